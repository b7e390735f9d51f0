"""The public map for drivers: blueprint "maps" (page, map documents, installation pages)."""

from sgv.maps.views import bp

__all__ = ["bp"]
