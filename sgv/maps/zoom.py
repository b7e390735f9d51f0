"""The zoom levels the public map allows (the map page and the tile-cell API share them)."""

MIN_ZOOM = 4  # all of Spain, the Canary Islands included, on a phone
MAX_ZOOM = 19  # markercluster needs a maxZoom on the map: the test tiles set none
