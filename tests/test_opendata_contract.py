"""Open data fuzzed against its own contract: schemathesis over /opendata/openapi.json.

A real gunicorn on 127.0.0.1 serves the demo data (`sgv demo load`: the register sample and
demo CPOs pushed over OCPI). Schemathesis generates requests from the OpenAPI description,
valid and invalid, and runs every check: no 5xx, every response matches its documented
status, content type, headers and schema, every invalid request is refused, and every valid
request is accepted — save the 400s the description documents for values a JSON Schema
cannot rule out (a bounding box whose corners are swapped).

Bounded and derandomised so it stays within seconds in the suite; docs/security.md gives
the command of a longer run and its figures (SGV_CONTRACT_EXAMPLES raises the bound).
"""

import os
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sgv.opendata import openapi
from tests.conftest import demo_template, throwaway_database
from tests.contract_checks import valid_requests_are_accepted
from tests.servers import gunicorn

EXAMPLES = int(os.environ.get("SGV_CONTRACT_EXAMPLES", "40"))  # per operation and phase


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    """Serve the demo data under gunicorn on a free loopback port; yield its base URL."""
    template, result = demo_template()  # `sgv demo load`, run once a test run
    assert result.exit_code == 0, result.output
    with throwaway_database("contract", template=template) as url, gunicorn(url) as base_url:
        yield base_url


# The description as the app builds it, loaded eagerly (schemathesis' lazy fixture loader
# does not run under pytest 9); the first test proves the live server serves exactly it.
schema = schemathesis.openapi.from_dict(openapi.document())
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")
schema.config.cache.enabled = False  # no crash files left in the working tree


def test_the_fuzzed_description_is_the_one_served(live_server):
    served = requests.get(f"{live_server}/opendata/openapi.json", timeout=10).json()
    assert served == openapi.document(live_server)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_export_keeps_its_openapi_contract(live_server, case):
    case.call_and_validate(
        base_url=live_server,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_requests_are_accepted],
    )
