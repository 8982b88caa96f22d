"""Security headers on every response, and rate limiting bound to the app.

The Content-Security-Policy allows no inline script, no inline style and no inline event handler:
behaviour lives in static/app.js (wired with data attributes), looks in static/style.css.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

from webapp.extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Sent only when the site is served over HTTPS (XINXI_SECURE_COOKIES=1).
HSTS = "max-age=31536000"


def register(app: Flask) -> None:
    """Bind the rate limiter to `app` and add the security headers to each of its responses."""
    limiter.init_app(app)
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
