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

from assistant import feedback
from assistant.clinic import load_clinic
from assistant.knowledge import get_article
from assistant.paths import PROJECT_ROOT
from webapp.article import article_blocks
from webapp.settings import Settings

site = Blueprint("site", __name__)

SOCKET_IO_DIST = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist"
WIDGET_DIR = Path(__file__).parent / "static" / "widget"
WIDGET_TITLE = "SI joint questions"
MAX_QUOTE = 2000  # the longest source passage is well under this


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
    """The article; ``?quote=`` (a source link in the widget) marks that passage."""
    article = get_article()
    config = widget_config()
    allow_rasa_connections(config["serverUrl"])
    quote = request.args.get("quote", "")[:MAX_QUOTE]
    blocks = article_blocks(article, quote)
    found = any(piece.marked for block in blocks for piece in [*block.pieces, *sum(block.item_pieces, [])])
    return render_template("article.html", article=article, blocks=blocks, quote=quote, quote_found=found,
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


FEEDBACK_STATUS = {feedback.Outcome.saved: 204, feedback.Outcome.invalid: 400,
                   feedback.Outcome.not_yours: 403, feedback.Outcome.not_answered: 404}


def _cors(response: Response) -> Response:
    """The widget may sit on another of the clinic's sites; it sends no cookies."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


@site.route("/widget/feedback", methods=["POST", "OPTIONS"])
def answer_feedback() -> Response:
    """A visitor's "was this helpful?" click (assistant/feedback.py); no cookies, so no CSRF token."""
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _cors(jsonify({"error": "expected a JSON object"})), 400
    outcome = feedback.record(body.get("session_id"), body.get("topic"), body.get("helpful"))
    if outcome is feedback.Outcome.saved:
        return _cors(Response(status=204))
    return _cors(jsonify({"error": outcome.value})), FEEDBACK_STATUS[outcome]


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
