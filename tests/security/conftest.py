"""Security tests use the workspace's fixtures (app on the test database, users, signed-in clients)."""

from tests.forms.conftest import app, client, csrf_app, make_user, signed_in, windows  # noqa: F401
