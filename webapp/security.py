"""Response headers that keep visitor and bot text from ever running as code.

Behind a TLS-terminating proxy (nginx, a load balancer), set TRUSTED_PROXIES
to the number of proxies in front: their X-Forwarded-For/-Proto are then
believed (and only theirs), so HTTPS requests get HSTS and Secure cookies and
throttles see the visitor's address, not the proxy's.

The Content-Security-Policy allows scripts, styles and fonts from this origin
only (no inline script or style, no eval) and network connections to this
origin and to the Rasa server the widget talks to. A page may widen
``connect-src`` by setting ``g.csp_connect``.
"""

from __future__ import annotations

import os

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix


def content_security_policy(connect: list[str]) -> str:
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(g.get("csp_connect", []))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.path.startswith("/staff"):
        # Visitor data (transcripts, bookings, exports) must not stay in any cache.
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def trust_proxies(app: Flask) -> None:
    count = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
