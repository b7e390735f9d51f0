"""Which operators keep their word (issue #19): /operators, /operators/<cc>-<party> and
/opendata/operators.json, on the real register sample with one live CPO."""

import csv
from datetime import UTC, datetime, timedelta

from sgv.extensions import db
from sgv.models import CheckRun, Party, Rejection
from tests.conftest import module_world
from tests.test_opendata import DEMO, REFS, errors, load_demo, run_cli

# The demo world of test_opendata, built once for this module in a database of its own.
demo_world, rolled_back_database, demo = module_world("demo", load_demo)


def register_counts(party_id: str) -> tuple[int, int]:
    """Count an operator's charge points in the demo register, and those of 43 kW or more."""
    with DEMO.open(encoding="utf-8") as source:
        rows = [row for row in csv.DictReader(source) if row["party_id"] == party_id]
    return len(rows), sum(1 for row in rows if float(row["max_power_kw"] or 0) >= 43)


def operators(client) -> dict[str, dict]:
    response = client.get("/opendata/operators.json")
    assert response.status_code == 200
    document = response.get_json()
    assert errors(document, "OperatorsExport") == []
    assert document["count"] == len(document["operators"])
    return {f"{o['country_code']}*{o['party_id']}": o for o in document["operators"]}


def record_checks(party: Party, answered: int, unanswered: int, when: datetime) -> None:
    for n in range(answered + unanswered):
        db.session.add(
            CheckRun(
                party_fk=party.id,
                started_at=when,
                reachable=n < answered,
                objects_returned=10,
                not_pushed=1 if n < answered else 0,
            )
        )
    db.session.commit()


def test_every_register_operator_is_listed_with_its_coverage(demo, client):
    found = operators(client)
    ibd = found["ES*IBD"]
    total, obliged = register_counts("IBD")
    assert ibd["charge_points"] == total and ibd["obliged_charge_points"] == obliged
    assert ibd["state"] == "live" and ibd["live_charge_points"] == len(REFS)
    assert ibd["obliged_without_live"] == obliged - len(REFS)  # both pushed points are 50 kW
    never = [o for o in found.values() if o["state"] == "not_integrated"]
    assert never and all(o["quality"] is None and o["live_charge_points"] == 0 for o in never)
    assert all(o["obliged_without_live"] == o["obliged_charge_points"] for o in never)


def test_quality_comes_from_the_checks_and_pushes_of_the_window(demo, client):
    party = db.session.query(Party).filter_by(party_id="IBD").one()
    now = datetime.now(UTC)
    record_checks(party, answered=3, unanswered=1, when=now - timedelta(hours=2))
    record_checks(party, answered=0, unanswered=5, when=now - timedelta(days=40))  # too old
    db.session.add(
        Rejection(
            party_fk=party.id,
            method="PUT",
            endpoint="/api/2.2.1/locations/ES/IBD/X",
            http_status=400,
            status_code=2001,
            reason="bad",
        )
    )
    db.session.commit()
    quality = operators(client)["ES*IBD"]["quality"]
    assert quality["checks"] == 4 and quality["checks_answered_pct"] == 75.0
    assert quality["updates_not_pushed_pct"] == 7.5  # 3 of 40 objects pulled
    assert quality["rejected_pushes"] == 1
    assert quality["median_status_age_s"] > 0  # the demo pushed statuses stamped 2025


def test_a_revoked_operator_loses_its_live_figures_at_once_but_keeps_its_quality(demo, app, client):
    assert operators(client)["ES*IBD"]["live_charge_points"] == len(REFS)
    run_cli(app, "cpo", "revoke", "ES", "IBD", "--reason", "stale data")
    ibd = operators(client)["ES*IBD"]
    assert ibd["state"] == "revoked" and ibd["live_charge_points"] == 0
    assert ibd["obliged_without_live"] == ibd["obliged_charge_points"]
    assert ibd["quality"] is not None
    page = client.get("/operators/ES-IBD").get_data(as_text=True)
    assert 'id="hidden-note"' in page and "Revocado" in page


def test_the_figures_are_open_data_for_any_web_page(demo, client):
    response = client.get("/opendata/operators.json", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "no-cache" in response.headers["Cache-Control"]
    refused = client.get("/opendata/operators.json?operator=IBD")
    assert refused.status_code == 400 and "'operator'" in refused.get_json()["description"]


def test_the_pages_show_the_figures_in_both_languages(demo, client):
    listing = client.get("/operators?lang=en")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "IBERDROLA CLIENTES S.A.U" in html and "Checks answered" in html
    assert "/operators/ES-IBD" in html and 'href="/opendata/operators.json"' in html
    party = db.session.query(Party).filter_by(party_id="IBD").one()
    record_checks(party, answered=1, unanswered=3, when=datetime.now(UTC))
    page = client.get("/operators/es-ibd?lang=es").get_data(as_text=True)  # any case
    assert 'id="weeks"' in page
    assert '<td class="num">25 %</td>' in page and "2,5 %" in page  # Spanish decimals
    assert client.get("/operators/ES-NOPE").status_code == 404


def test_an_operator_that_never_integrated_has_no_history(demo, client):
    never = [o for o in operators(client).values() if o["state"] == "not_integrated"][0]
    page = client.get(f"/operators/{never['country_code']}-{never['party_id']}")
    assert page.status_code == 200
    assert 'id="weeks"' not in page.get_data(as_text=True)


def test_hostile_operator_names_are_text(app, client):
    from tests.public_helpers import add_installation

    site = add_installation("HOSTILE-OP", party_id="XSS")
    site.operator_name = "<script>alert(1)</script> & Co"
    db.session.commit()
    html = client.get("/operators").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert operators(client)["ES*XSS"]["name"] == "<script>alert(1)</script> & Co"


def test_an_installation_page_links_to_its_operator(demo, client):
    from tests.test_opendata import SITE

    html = client.get(f"/installations/{SITE}").get_data(as_text=True)
    assert 'href="/operators/ES-IBD?lang=' in html
