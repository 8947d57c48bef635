"""Public pages: the article with the chat widget, and the widget's files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
)

from assistant.clinic import load_clinic
from assistant.knowledge import PROJECT_ROOT, get_article
from webapp.article import article_blocks
from webapp.settings import Settings

site = Blueprint("site", __name__)

SOCKET_IO_DIST = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist"
WIDGET_DIR = Path(__file__).parent / "static" / "widget"
WIDGET_TITLE = "SI joint questions"


def rasa_url() -> str:
    settings: Settings = current_app.config["SETTINGS"]
    if settings.rasa_public_url:
        return settings.rasa_public_url
    host = urlsplit(request.host_url).hostname or "localhost"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{request.scheme}://{host}:{settings.rasa_port}"


def allow_rasa_connections(url: str) -> None:
    """Let this page's CSP reach the Rasa server over HTTP polling and WebSocket."""
    parts = urlsplit(url)
    ws = "wss" if parts.scheme == "https" else "ws"
    g.csp_connect = [f"{parts.scheme}://{parts.netloc}", f"{ws}://{parts.netloc}"]


def widget_config() -> dict:
    return {
        "serverUrl": rasa_url(),
        "title": WIDGET_TITLE,
        "subtitle": f"{load_clinic().name} · automated assistant",
        "initialPayload": "/greet",
        "colors": {"primary": "#0b4f8a", "primaryText": "#ffffff"},
    }


@site.get("/")
def article_page() -> str:
    article = get_article()
    config = widget_config()
    allow_rasa_connections(config["serverUrl"])
    return render_template("article.html", article=article, blocks=article_blocks(article),
                           clinic=load_clinic(), widget_config=config)


@site.get("/widget/clinic.json")
def clinic_contacts() -> Response:
    """Public contact facts the widget shows when the assistant is unreachable."""
    clinic = load_clinic()
    response = jsonify({
        "name": clinic.name,
        "emergencyNumber": clinic.emergency_number,
        "offices": [{"name": o.name, "shortName": o.short_name, "address": o.address,
                     "phone": o.phone}
                    for o in clinic.offices],
    })
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@site.get("/widget/vendor/socket.io.min.js")
def socket_io_client() -> Response:
    if not (SOCKET_IO_DIST / "socket.io.min.js").is_file():
        abort(404, "socket.io-client is not installed: run `make install`")
    return send_from_directory(Path(SOCKET_IO_DIST), "socket.io.min.js", max_age=3600)


@site.get("/widget/<path:filename>")
def widget_file(filename: str) -> Response:
    """widget.js and widget.css, at the URL the embed snippet names."""
    return send_from_directory(WIDGET_DIR, filename, max_age=300)


@site.get("/favicon.ico")
def favicon() -> Response:
    return Response(status=204)


@site.get("/healthz")
def health() -> Response:
    return jsonify({"status": "ok"})
