"""datex2/status.xml's snapshot is written by PostgreSQL (sgv/datex2/status_sql.py over
public.site_texts): byte for byte what the Python writer (status.py, which ?since= still
uses) writes from public.installations(), on the edge-case world of
tests/sql_render_world.py, at any hour, with each bad stored row, and with hostile
references; and escaped() drops and escapes exactly as xml.escape() does."""

from datetime import timedelta

from sqlalchemy import text

from sgv import datex2, public
from sgv.datex2 import status_sql
from sgv.datex2.xml import escape
from sgv.extensions import db
from tests import sql_render_world, test_datex2
from tests.conftest import module_world
from tests.test_datex2 import HOSTILE, valid
from tests.test_opendata import REFS
from tests.test_opendata_sql import BAD_ROWS, FILTERS

schema = test_datex2.schema  # the v3.7 schema set, built once a session
SNAPSHOT_FILTERS = [f for f in FILTERS if "ids" not in f]  # a snapshot selects no ids
# Markup, quotes, the writer's own SLOT character, C0/C1 controls, U+FFFE, non-Latin text.
HOSTILE_REF = "ES*\"<&>\x01'\x85\ufffe日本*E1"
HOSTILE_TARIFF = "T\"<&>\x01\x1f'ñ1"


# A charge point of INST2 with connectors priced T2, T1, T2 (at other powers): two rates,
# in the order their tariffs first appear, each once (sgv/public/refill_points.py).
MIXED = """
INSERT INTO connectors (evse_fk, connector_id, position, standard, format, power_type,
                        max_voltage, max_amperage, max_electric_power, tariff_ids,
                        last_updated, data, capabilities)
SELECT c.evse_fk, c.connector_id || n, c.position + n, c.standard, c.format, c.power_type,
       c.max_voltage, c.max_amperage, c.max_electric_power / n, ARRAY[tariff]::varchar[],
       c.last_updated, c.data, c.capabilities
FROM connectors c JOIN evses e ON e.id = c.evse_fk,
     (VALUES (2, 'T1'), (3, 'T2')) AS extra(n, tariff)
WHERE e.evse_id = 'ES*ABC*INST2A'
"""


def build_world() -> None:
    sql_render_world.seed()
    db.session.execute(
        text(
            "UPDATE connectors SET tariff_ids = '{T2}' FROM evses e "
            "WHERE e.id = evse_fk AND e.evse_id = 'ES*ABC*INST2A'"
        )
    )
    db.session.execute(text(MIXED))


# The edge-case world and MIXED, built once for the module in a database of its own.
sql_world, rolled_back_database, world = module_world("world", build_world)


def by_python(at, **filters) -> bytes:
    sites = public.installations(at=at, **filters)
    pairs = ((site, p) for site in sites for p in site.charge_points if p.live)
    return b"".join(datex2.status_xml(public.as_refill_points(pairs), at))


def by_sql(at, bbox=None, operator=None) -> bytes:
    return b"".join(datex2.status_snapshot(at, bbox=bbox, operator=operator))


def test_the_sql_snapshot_is_the_python_writers_bytes_at_any_hour(world, schema):
    now = public.database_now()
    for filters in SNAPSHOT_FILTERS:
        for at in (now, now + timedelta(hours=6), now + timedelta(hours=12)):
            assert by_sql(at, **filters) == by_python(at, **filters), (filters, at)
    root = valid(schema, by_sql(now))
    mixed = root.xpath("//*[local-name()='refillPointStatus'][*[@id='ES*ABC*INST2A']]")[0]
    rates = mixed.xpath(
        "*[local-name()='energyRateUpdate']/*[local-name()='energyRateReference']/@id"
    )
    assert rates == ["ES*ABC*T2", "ES*ABC*T1"]  # prices compared, in order, each tariff once
    assert by_sql(now, operator="nobody") == by_python(now, operator="nobody")  # no site


def test_a_bad_stored_row_is_written_as_the_python_writer_writes_it(world):
    for bad, (sql, _) in BAD_ROWS.items():
        savepoint = db.session.begin_nested()
        db.session.execute(text(sql))
        now = public.database_now()
        assert by_sql(now) == by_python(now), bad
        savepoint.rollback()


def test_hostile_references_are_escaped_as_the_python_writer_escapes_them(world, schema):
    db.session.execute(
        text("UPDATE charge_points SET evse_ref = :ref WHERE evse_ref = :old"),
        {"ref": HOSTILE_REF, "old": REFS[0]},
    )
    db.session.execute(
        text(
            "UPDATE tariffs SET tariff_id = CAST(:t AS text), "
            "data = jsonb_set(data, '{id}', to_jsonb(CAST(:t AS text))) WHERE tariff_id = 'T1'"
        ),
        {"t": HOSTILE_TARIFF},
    )
    db.session.execute(
        text(
            "UPDATE connectors SET tariff_ids = ARRAY[:t]::varchar[] WHERE :old = ANY(tariff_ids)"
        ),
        {"t": HOSTILE_TARIFF, "old": "T1"},
    )
    db.session.commit()
    now = public.database_now()
    body = by_sql(now)
    assert body == by_python(now)
    root = valid(schema, body)
    refs = root.xpath("//*[local-name()='refillPointStatus']/*[local-name()='reference']/@id")
    assert "ES*\"<&>'日本*E1" in refs
    rates = root.xpath("//*[local-name()='energyRateReference']/@id")
    assert {rate.split("*", 2)[2] for rate in rates} >= {"T\"<&>'ñ1"}
    assert b"<&>" not in body and b"\x01" not in body


def test_escaped_drops_and_escapes_every_character_as_xml_escape(app):
    every = "".join(chr(c) for c in range(1, 0x3000) if not 0xD800 <= c < 0xE000)
    samples = [every, HOSTILE, HOSTILE_REF, "\ufffe\uffff\U0001f600 & é", "x" * 1030 + "&"]
    params = dict(status_sql.WRITING.params)
    for n, sample in enumerate(samples):
        params[f"s{n}"] = sample
    columns = ", ".join(status_sql.escaped(f"CAST(:s{n} AS text)") for n in range(len(samples)))
    found = db.session.execute(text(f"SELECT {columns}"), params).one()
    assert list(found) == [escape(sample) for sample in samples]
