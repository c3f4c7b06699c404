"""Paths without a cookie session: a door whose every request names its caller another way (the JSON API's
bearer token) neither reads nor signs the session cookie — a cookie a browser sends along is ignored, and no
``Set-Cookie`` goes back."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import NullSession, SessionInterface, SessionMixin


class SessionlessUnder(SessionInterface):
    """``inner`` (the app's session interface) everywhere except under ``prefix``, where the session is Flask's
    null session (empty; writing to it is an error)."""

    def __init__(self, inner: SessionInterface, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(self.prefix):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not self.is_null_session(session):
            self.inner.save_session(app, session, response)

    def make_null_session(self, app: Flask) -> NullSession:
        return self.inner.make_null_session(app)


def without_sessions(app: Flask, prefix: str) -> None:
    """Serve the paths under ``prefix`` of ``app`` without a cookie session."""
    app.session_interface = SessionlessUnder(app.session_interface, prefix)
