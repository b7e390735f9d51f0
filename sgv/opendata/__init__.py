"""Open data for third parties: blueprint "opendata" (exports, deltas, OpenAPI)."""

from sgv.opendata.views import bp

__all__ = ["bp"]
