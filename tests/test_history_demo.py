"""`demo load` seeds four weeks of simulated history; the page says it is simulated."""

from sqlalchemy import text

from sgv.demo.load import load
from sgv.extensions import db
from sgv.history import demo as demo_history
from sgv.history import store
from sgv.history.aggregate import histories
from tests.test_demo import IBD_SITE, REGISTERED_SITE


def test_demo_load_seeds_simulated_history_shown_as_such(committed_app):
    load(limit=3)
    seeded = db.session.execute(
        text(
            "SELECT count(DISTINCT evse_fk), min(changed_at), bool_and(simulated)"
            " FROM status_history WHERE simulated"
        )
    ).one()
    assert seeded[0] > 0 and seeded[2]
    assert demo_history.seed(["IBD", "CEP", "912", "924", "913"]) == 0  # a reload adds none
    client = committed_app.test_client()
    page = client.get(f"/installations/{IBD_SITE}?lang=en").get_data(as_text=True)
    assert "Simulated history (demo)." in page and "availability-chart" in page
    spanish = client.get(f"/installations/{IBD_SITE}?lang=es").get_data(as_text=True)
    assert "Historial simulado (demo)." in spanish
    # 913 pushed but is not approved: its simulated history stays hidden too.
    hidden = client.get(f"/installations/{REGISTERED_SITE}?lang=en").get_data(as_text=True)
    assert "availability" not in hidden
    shown = client.get("/opendata/availability.json").json["installations"]
    assert IBD_SITE in {site["installation_id"] for site in shown}
    assert REGISTERED_SITE not in {site["installation_id"] for site in shown}
    assert all(site["simulated"] for site in shown)
    # `demo load` ran the job; its stored figures are those of the on-request build of
    # before (aggregate.histories at the build's time, shaped as the export's objects).
    exported = client.get("/opendata/availability.json").json
    built_at = store.latest().built_at
    assert exported["built_at"] == built_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    computed = [store.installation_object(s) for s in histories(None, built_at).values()]
    assert len(computed) > 3 and exported["count"] == len(computed)
    assert exported["installations"] == computed
