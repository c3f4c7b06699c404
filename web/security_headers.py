"""Browser security headers on every answer (Flask-Talisman): a Content-Security-Policy, no framing, no sniffing.

The policy allows only this site's own scripts, styles, images, fonts and connections. Inline scripts run only
with the request's nonce (``{{ csp_nonce() }}`` in templates; Flask-Admin's own inline scripts get it through
``csp_nonce_generator``); inline event handlers (``onclick=``) are never run — pages bind their handlers in
their script files. Styles may be inline: bpmn-js, Chart.js and Bootstrap's widgets set ``style`` attributes
(style cannot run script). ``data:`` images and fonts are for bpmn-js's palette and Flask-Admin's icons.
"""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

SELF = "'self'"
POLICY: dict[str, str | list[str]] = {
    "default-src": SELF,
    "script-src": SELF,  # plus the request's nonce
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:"],
    "font-src": [SELF, "data:"],
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> Talisman:
    """Send the headers on every response of ``app``; HTTPS itself is the reverse proxy's job (no redirect
    here), HSTS is sent on requests that came over HTTPS. Call after the session-cookie settings are final."""
    return Talisman(
        app,
        force_https=False,
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_http_only=True,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options="DENY",
        content_security_policy=POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
    )
