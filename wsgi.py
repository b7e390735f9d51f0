"""Entry point for `gunicorn wsgi:app`."""

from sgv import create_app

app = create_app()
