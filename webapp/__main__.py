"""``python -m webapp``: serve the web app with waitress."""

from __future__ import annotations

from waitress import serve

from webapp import create_app
from webapp.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    print(f"Web app: http://{settings.host}:{settings.port}/ (article page with the chat widget)",
          flush=True)
    serve(create_app(), host=settings.host, port=settings.port, threads=8, ident="clinic-assistant")


if __name__ == "__main__":
    main()
