"""Response headers that keep visitor and bot text from ever running as code.

The Content-Security-Policy allows scripts, styles and fonts from this origin
only (no inline script or style, no eval) and network connections to this
origin and to the Rasa server the widget talks to. A page may widen
``connect-src`` by setting ``g.csp_connect``.
"""

from __future__ import annotations

from flask import Response, g, request


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
