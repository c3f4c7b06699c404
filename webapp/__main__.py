"""``python -m webapp``: the development server on http://127.0.0.1:5000."""

from webapp import create_app

create_app().run(host="127.0.0.1", port=5000)
