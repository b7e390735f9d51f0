"""Entry point for `gunicorn wsgi:app`."""

from sgv import create_app
from sgv.maps import page  # noqa: F401  (folium, loaded before the first map request)

app = create_app()
