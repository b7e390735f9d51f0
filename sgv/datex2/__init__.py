"""DATEX II v3.7 with the AFIR extension (`aegi`): the open data in the EU's format (issue #17).

xml.py writes the elements (namespaces, clean text, streaming); mapping.py translates OCPI
and RIPREE values into DATEX II enumerations; table.py writes the
EnergyInfrastructureTablePublication, status.py the EnergyInfrastructureStatusPublication
(status_sql.py: its snapshot, written by PostgreSQL).
Both read the public view through sgv/public/ only, and sgv/opendata/views.py serves them.
"""

from sgv.datex2.status import status_xml
from sgv.datex2.status_sql import status_snapshot
from sgv.datex2.table import table_xml

__all__ = ["status_snapshot", "status_xml", "table_xml"]
