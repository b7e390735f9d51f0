"""Entry point for `flask --app app …`."""

from sgv import create_app

app = create_app()
