"""DATEX II v3.7 AFIR exports (issue #17): schema-valid on demo and hostile data, served
like the other exports, through the one public door (a revoked CPO is absent at once)."""

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import text

from sgv.datex2.xml import NS
from sgv.extensions import db
from tests.conftest import module_world
from tests.public_helpers import add_installation, live_cpo, push_status
from tests.test_opendata import REFS, SITE, load_demo, run_cli

# The demo world of test_opendata, built once for this module in a database of its own.
demo_world, rolled_back_database, demo = module_world("demo", load_demo)

SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "datex2" / "v3.7"  # see its README
ENTRY = SCHEMAS / "DATEXII_3_D2Payload.xsd"
HOSTILE = "<b>&amp; 日本語 \u202eمحطة\u202c \x01tab\there\x1f\x7f end"


@pytest.fixture(scope="session")
def schema() -> etree.XMLSchema:
    """The v3.7 schema set with the AFIR extension, built once (it takes seconds)."""
    if not ENTRY.exists():
        pytest.skip(f"DATEX II schemas not found at {SCHEMAS}")
    return etree.XMLSchema(etree.parse(str(ENTRY)))


def fetch(client, name: str, headers: dict | None = None, **args):
    response = client.get(f"/opendata/datex2/{name}", query_string=args, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response.get_data()  # read the stream inside this request's context
    return response


def valid(schema: etree.XMLSchema, body: bytes) -> etree._Element:
    """Parse a document, assert it is valid DATEX II v3.7, and return its root."""
    root = etree.fromstring(body)
    ok = schema.validate(root)
    assert ok, [f"{e.line}: {e.message}" for e in schema.error_log][:5]
    return root


def one(root: etree._Element, path: str) -> etree._Element:
    [found] = root.xpath(path, namespaces=NS)
    return found


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(t) for t in root.xpath(path, namespaces=NS)]


# --- table.xml -------------------------------------------------------------------------


def test_table_is_valid_datex2_with_every_installation_and_its_ocpi_connectors(
    demo, client, schema
):
    response = fetch(client, "table.xml")
    assert response.mimetype == "application/xml"
    root = valid(schema, response.data)
    sites = root.xpath("//aegi:energyInfrastructureSite", namespaces=NS)
    assert len(sites) == 661
    assert len(root.xpath("//aegi:refillPoint", namespaces=NS)) == 1902
    site = one(root, f"//aegi:energyInfrastructureSite[@id='{SITE}']")
    assert texts(site, "afac:operator/afac:externalIdentifier/afac:identifier/text()") == ["ES*IBD"]
    assert texts(site, ".//afac:telephoneNumber/text()") == ["+34 900 224 522"]
    assert texts(site, ".//loc:latitude/text()") == ["40.19398"]
    assert texts(site, ".//locx:postcode/text()") == ["28342"]
    point = one(site, f".//aegi:refillPoint[@id='{REFS[0]}']")
    assert texts(point, "aegi:currentType/text()") == ["dc"]
    assert texts(point, "aegi:chargingMode/text()") == ["mode4DC"]
    # the CPO's matched connector (OCPI): CCS on a cable, 50 kW in W, 500 V, 100 A
    connector = one(point, "aegi:connector")
    assert [c.text for c in connector] == [
        "iec62196T2COMBO",
        "cableMode3",
        "50000.0",
        "500.0",
        "100.0",
    ]
    # a charge point without public OCPI data: RIPREE's types at its power
    other = root.xpath(
        f"//aegi:energyInfrastructureSite[@id!='{SITE}']//aegi:refillPoint", namespaces=NS
    )[0]
    assert texts(other, "aegi:connector/aegi:maxPowerAtSocket/text()")
    assert texts(other, "aegi:connector/aegi:connectorFormat") == []


def test_table_keeps_hostile_names_as_text_and_stays_valid(app, client, schema):
    site = add_installation("HOSTILE-1", name="placeholder")
    db.session.execute(  # straight into the database: the import would refuse these
        text(
            "UPDATE installations SET name = CAST(:n AS text), address = CAST(:n AS text), "
            "opening_hours = CAST(:n AS text)"
        ),
        {"n": HOSTILE},
    )
    db.session.execute(
        text("UPDATE charge_points SET connector_types = ARRAY['WEIRD<&>']::varchar[]")
    )
    db.session.commit()
    root = valid(schema, fetch(client, "table.xml").data)
    found = one(root, f"//aegi:energyInfrastructureSite[@id='{site.id}']")
    name = texts(found, "afac:name/com:values/com:value/text()")
    assert name == ["<b>&amp; 日本語 \u202eمحطة\u202c tab\there end"]
    assert texts(found, ".//aegi:otherConnector/text()") == ["WEIRD<&>"] * 2
    assert b"<b>" not in fetch(client, "table.xml").data  # escaped, never markup


# --- status.xml ------------------------------------------------------------------------


def test_status_has_public_statuses_and_prices_excluding_vat(demo, client, schema):
    root = valid(schema, fetch(client, "status.xml").data)
    points = root.xpath("//aegi:refillPointStatus", namespaces=NS)
    assert sorted(texts(root, "//aegi:refillPointStatus/afac:reference/@id")) == sorted(REFS)
    assert all(texts(p, "aegi:status/text()") == ["available"] for p in points)
    assert texts(points[0], "afac:lastUpdated/text()") == ["2025-06-01T10:00:00Z"]
    price = one(points[0], "aegi:energyRateUpdate/aegi:energyPrice")
    assert texts(price, "aegi:priceType/text()") == ["pricePerKWh"]
    assert texts(price, "aegi:value/text()") == ["0.45"]  # ex VAT, as pushed
    assert texts(price, "aegi:taxIncluded/text()") == ["false"]
    assert texts(price, "aegi:taxRate/text()") == ["21.0"]
    site = one(root, "//aegi:energyInfrastructureSiteStatus")
    assert texts(site, "afac:reference/@id") == [SITE]


def test_status_keeps_hostile_references_as_text_and_stays_valid(demo, client, schema):
    """status.xml is written as text (sgv/datex2/status.py): every stored value is escaped."""
    ref, tariff = "ES*\"<&>\x01'*E1", "T\"<&>\x1f'1"
    db.session.execute(
        text("UPDATE charge_points SET evse_ref = :ref WHERE evse_ref = :old"),
        {"ref": ref, "old": REFS[0]},
    )
    db.session.execute(
        text(
            "UPDATE tariffs SET tariff_id = CAST(:t AS text), "
            "data = jsonb_set(data, '{id}', to_jsonb(CAST(:t AS text)))"
        ),
        {"t": tariff},
    )
    db.session.execute(
        text("UPDATE connectors SET tariff_ids = ARRAY[:t]::varchar[]"), {"t": tariff}
    )
    db.session.commit()
    body = fetch(client, "status.xml").data
    root = valid(schema, body)
    assert "ES*\"<&>'*E1" in texts(root, "//aegi:refillPointStatus/afac:reference/@id")
    assert set(texts(root, "//aegi:energyRateReference/@id")) == {"ES*IBD*T\"<&>'1"}
    assert b"<&>" not in body  # escaped, never markup
    table = valid(schema, fetch(client, "table.xml").data)  # where the rate is defined
    assert texts(table, "//aegi:energyRate/@id") == ["ES*IBD*T\"<&>'1"]


def test_every_rate_status_refers_to_is_defined_once_in_the_table(demo, client, schema):
    table = valid(schema, fetch(client, "table.xml").data)
    status = valid(schema, fetch(client, "status.xml").data)
    defined = texts(table, "//aegi:energyRate/@id")
    assert defined == ["ES*IBD*T1"] and len(REFS) > 1  # several points, one definition
    rate = one(table, "//aegi:energyRate")
    assert texts(rate, "aegi:ratePolicy/text()") == ["adHoc"]
    assert texts(rate, "aegi:applicableCurrency/text()") == ["EUR"]
    others = texts(table, "//aegi:energyRateByReference/@id")
    assert others == ["ES*IBD*T1"] * (len(REFS) - 1)
    assert set(texts(status, "//aegi:energyRateReference/@id")) == set(defined)


def test_status_filters_by_operator_and_box_like_status_json(demo, client, schema):
    def refs(**args) -> list[str]:
        root = valid(schema, fetch(client, "status.xml", **args).data)
        return sorted(texts(root, "//aegi:refillPointStatus/afac:reference/@id"))

    assert refs(operator="IBD") == refs(bbox="-3.70,40.19,-3.69,40.20") == sorted(REFS)
    assert refs(operator="924") == refs(bbox="0,0,1,1") == []


def test_status_since_has_the_changes_and_the_withdrawals(app, client, schema):
    add_installation()
    token = live_cpo(client)
    first = valid(schema, fetch(client, "status.xml").data)
    since = texts(first, "com:publicationTime/text()")[0]
    push_status(client, token, "CHARGING", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    changed = valid(schema, fetch(client, "status.xml", since=since).data)
    assert texts(changed, "//aegi:refillPointStatus[aegi:status='charging']/afac:reference/@id")
    run_cli(app, "cpo", "revoke", "ES", "ABC", "--reason", "stale data")
    assert texts(valid(schema, fetch(client, "status.xml").data), "//aegi:status") == []
    withdrawn = valid(schema, fetch(client, "status.xml", since=since).data)
    assert sorted(texts(withdrawn, "//aegi:status/text()")) == ["unknown", "unknown"]
    assert texts(withdrawn, "//aegi:energyRateUpdate") == []


def test_revoking_a_cpo_removes_its_refill_points_from_status_at_once(demo, app, client):
    cached = fetch(client, "status.xml", {"Accept-Encoding": "gzip"})
    assert REFS[0].encode() in gzip.decompress(cached.data)
    run_cli(app, "cpo", "revoke", "ES", "IBD", "--reason", "stale data")
    again = client.get(
        "/opendata/datex2/status.xml",
        headers={"Accept-Encoding": "gzip", "If-None-Match": cached.headers["ETag"]},
    )
    assert again.status_code == 200 and again.headers["ETag"] != cached.headers["ETag"]
    assert REFS[0].encode() not in gzip.decompress(again.get_data())


# --- HTTP: like the other exports ------------------------------------------------------


@pytest.mark.parametrize("name", ["table.xml", "status.xml"])
def test_served_like_the_other_exports(demo, client, name):
    plain = fetch(client, name, {"Origin": "https://example.org"})
    assert plain.headers["Access-Control-Allow-Origin"] == "*"
    assert plain.headers["Last-Modified"] and 'rel="license"' in plain.headers["Link"]
    zipped = fetch(client, name, {"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    again = client.get(f"/opendata/datex2/{name}", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_parameters_are_refused(client):
    response = client.get("/opendata/datex2/table.xml?bbox=1,2,3,4")
    assert response.status_code == 400 and "'bbox'" in response.json["description"]
