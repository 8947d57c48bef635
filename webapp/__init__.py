"""The web app: the article page with the chat widget, and the staff console.

A small Flask app served by waitress (``python -m webapp``) next to the Rasa
server and the action server. The widget in the page talks to Rasa's socket.io
channel directly; this app serves pages, the widget's files, the clinic's
public contact facts and, under /staff, the console for signed-in staff.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect

from webapp.security import add_security_headers, trust_proxies
from webapp.settings import Settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SETTINGS"] = Settings.from_env()
    app.config.update(overrides or {})
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    from webapp.site import site
    from webapp.staff.auth import init_auth
    from webapp.staff.views import staff

    init_auth(app)
    trust_proxies(app)
    # The widget's feedback endpoint is called from any page the widget is
    # embedded in, carries no cookie and proves itself with the signed token.
    CSRFProtect(app).exempt("webapp.site.answer_feedback")
    app.register_blueprint(site)
    app.register_blueprint(staff)
    app.after_request(add_security_headers)
    return app
