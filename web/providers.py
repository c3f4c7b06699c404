"""The login provider seam: how a person proves who they are.

The login page asks the configured provider (``BANJIAN_LOGIN_PROVIDER``, default ``password``) and, on
success, opens the platform's own session for the person it names; everything after that (roles, windows,
session generations, logout) is the same whoever the provider is. A government single sign-on (OIDC, CAS)
is a new class here with its own ``start``/callback route, registered in ``PROVIDERS``; no page changes.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from flask import Flask, current_app

from runner.people import directory


class LoginProvider(Protocol):
    """What the login page needs of a provider."""

    name: ClassVar[str]
    #: the provider checks a password the platform stores (so the 修改密码 page applies)
    keeps_passwords: ClassVar[bool]

    def authenticate(self, services: Any, username: str, secret: str, *, address: str) -> directory.Person:
        """The person who logs in, or ``directory.LoginFailed`` / ``directory.AccountLocked``."""
        ...


class PasswordLogin:
    """Username and password checked against the directory (failed logins lock per client address)."""

    name: ClassVar[str] = "password"
    keeps_passwords: ClassVar[bool] = True

    def authenticate(self, services: Any, username: str, secret: str, *, address: str) -> directory.Person:
        return directory.login(services, username, secret, address=address)


PROVIDERS: dict[str, type[LoginProvider]] = {PasswordLogin.name: PasswordLogin}


def init_app(app: Flask) -> None:
    """Choose the app's provider from ``LOGIN_PROVIDER`` (a name of ``PROVIDERS``)."""
    name = str(app.config.get("LOGIN_PROVIDER") or PasswordLogin.name)
    if name not in PROVIDERS:
        raise RuntimeError(f"BANJIAN_LOGIN_PROVIDER={name!r} is not one of {sorted(PROVIDERS)}")
    app.extensions["banjian_login"] = PROVIDERS[name]()


def provider() -> LoginProvider:
    """The current app's login provider."""
    return current_app.extensions["banjian_login"]  # type: ignore[no-any-return]
