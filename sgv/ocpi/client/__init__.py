"""Calls from the platform to a CPO: versions, version details, credentials, Sender pull.

calls.py makes one call and reads its envelope, handshake.py finds the common version
and the CPO's endpoints and PUTs our credentials, crawl.py pulls page by page. Under
them, guard.py decides which addresses may be called (no SSRF) and transport.py opens
only those, pinned, with a deadline per call. Other features use the names below.
"""

from sgv.ocpi.client.calls import CpoError, CpoUnreachable, default_encoding
from sgv.ocpi.client.crawl import Crawl, next_link, pull
from sgv.ocpi.client.guard import Allowance
from sgv.ocpi.client.handshake import (
    MissingEndpoints,
    Negotiation,
    NoCommonVersion,
    endpoint_url,
    negotiate,
    put_credentials,
)

__all__ = [
    "Allowance",
    "CpoError",
    "CpoUnreachable",
    "Crawl",
    "MissingEndpoints",
    "Negotiation",
    "NoCommonVersion",
    "default_encoding",
    "endpoint_url",
    "negotiate",
    "next_link",
    "pull",
    "put_credentials",
]
