"""Why a service refuses what it was asked: one exception, its kinds named for the situation.

Services (ingest, registration, quality, parties) raise `Refused` and know no HTTP; the
OCPI layer answers it with the (HTTP status, OCPI status_code) that `ocpi/envelope.py`'s
REFUSALS table gives the kind (SPEC §3, Answers), the CLI prints its message.
"""

import enum


class Kind(enum.Enum):
    """A situation in which a service refuses a request."""

    INVALID = "invalid object"  # the message names the field
    UNKNOWN_LOCATION = "unknown location, EVSE or connector"
    UNKNOWN_TARIFF = "unknown tariff"
    NOTHING_TO_DELETE = "DELETE of an unknown tariff"
    NOT_CREATED = "credentials of a party not created on the platform"
    ALREADY_REGISTERED = "credentials POST of a registered party"
    NOT_REGISTERED = "credentials PUT or DELETE, or renewal, of an unregistered party"
    CPO_UNREACHABLE = "CPO server unreachable or answering errors"
    NO_COMMON_VERSION = "no OCPI version in common with the CPO"
    MISSING_ENDPOINTS = "required CPO endpoints missing"


class Refused(Exception):
    """A request a service refuses: the situation (`kind`) and what to tell the asker."""

    def __init__(self, kind: enum.Enum, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
