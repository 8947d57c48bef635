"""The model server (``python -m assistant.model_server``): the served model over HTTP, on loopback.

Rasa can pull its model from a URL (``models:`` in endpoints.yml) and asks
again every ``wait_time_between_pulls`` seconds with the last ETag in
``If-None-Match``. Serving ``models/``'s newest archive here means a model
promoted by ``make retrain`` or brought back by ``make rollback`` goes live in
the running bot within seconds, with no restart and no dropped conversation
(trackers live in the tracker store, not in the model). Several Rasa replicas
pull from the same place.

The ETag is the archive's name, which carries its training time and data hash
(:func:`assistant.tools.training.model_name`), so it changes exactly when another model is served.
"""

from __future__ import annotations

import logging
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from assistant.served import MODELS, current_model

MODEL_PATH = "/model"
log = logging.getLogger(__name__)


def etag(model: Path) -> str:
    return f'"{model.name}"'


class ModelHandler(BaseHTTPRequestHandler):
    models: Path | None = None  # None: the project's models/

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?", 1)[0] != MODEL_PATH:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        model = current_model(self.models)
        if model is None:
            self.send_error(HTTPStatus.NOT_FOUND, "no trained model in models/")
            return
        tag = etag(model)
        if self.headers.get("If-None-Match") == tag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", tag)
            self.end_headers()
            return
        try:
            body = model.read_bytes()
        except FileNotFoundError:  # retired between listing and reading: ask again later
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("ETag", tag)
        self.send_header("filename", model.name)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log.info("served %s", model.name)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug(format, *args)


def serve(host: str, port: int, models: Path | None = None) -> ThreadingHTTPServer:
    handler = type("Handler", (ModelHandler,), {"models": models})
    return ThreadingHTTPServer((host, port), handler)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s model server: %(message)s")
    # Loopback only: a model archive holds the training data (phrasings).
    host = os.environ.get("MODEL_SERVER_HOST", "127.0.0.1")
    port = int(os.environ.get("MODEL_SERVER_PORT", "5056"))
    server = serve(host, port)
    log.info("serving the newest model in %s at http://%s:%s%s", MODELS, host, port, MODEL_PATH)
    server.serve_forever()


if __name__ == "__main__":
    main()
