"""Security tests use the workspace's fixtures (app on the test database, users, signed-in clients)."""

from tests.support.web_fixtures import app, client, csrf_app, make_user, signed_in, windows  # noqa: F401
