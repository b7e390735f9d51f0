"""What a CPO's push does to the database (SPEC §3): locations, EVSEs, connectors, tariffs.

locations.py and tariffs.py apply whole and partial objects (rules.py: the rules they
share, fast.py: the one-statement paths of the hot PATCH and a new location, lookup.py:
finding a CPO's objects), matching.py ties locations and EVSEs to RIPREE (SPEC §7).
Services flush and touch() what they change; they raise Refused, never an OCPI error.
"""
