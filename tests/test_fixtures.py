"""The two database fixtures behave as STYLE §8 promises."""

import psycopg
import pytest

from sgv.extensions import db
from sgv.models import Party
from tests.conftest import truncate_all


def count_parties_from_another_connection(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM parties").fetchone()[0]


def add_party() -> None:
    db.session.add(
        Party(
            country_code="ES",
            party_id="ABC",
            name="Ejemplo",
            state="created",
            endpoints={},
            roles=[],
        )
    )
    db.session.commit()


def test_rolled_back_app_keeps_commits_away_from_other_connections(app, rolled_back_database):
    add_party()
    assert db.session.scalar(db.select(db.func.count()).select_from(Party)) == 1
    assert count_parties_from_another_connection(rolled_back_database) == 0


def test_committed_app_commits_for_real_and_truncates(committed_app, committed_database):
    add_party()
    assert count_parties_from_another_connection(committed_database) == 1
    truncate_all()
    assert count_parties_from_another_connection(committed_database) == 0


@pytest.mark.parametrize("attempt", [1, 2])
def test_committed_app_starts_empty_every_time(committed_app, committed_database, attempt):
    assert count_parties_from_another_connection(committed_database) == 0
    add_party()
