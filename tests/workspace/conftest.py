"""The web fixtures (tests/support/web_fixtures.py) for this folder's request tests."""

from tests.support.web_fixtures import app, client, csrf_app, make_user, signed_in, windows  # noqa: F401
