"""RIPREE import (SPEC §7): stored as given, all or nothing, idempotent merge, the command."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from sgv.extensions import db
from sgv.registry import import_register
from tests.ripree_helpers import (
    MADRID,
    PALMA,
    REGISTER,
    imported,
    snapshot,
    static_version,
    write_csv,
    write_geojson,
)


@pytest.fixture
def register(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "register.csv", REGISTER)


# --- a valid register ---------------------------------------------------------------


def test_csv_import_stores_installations_and_charge_points(committed_app, register):
    report = imported(register)
    assert (report.rows, report.installations) == (3, 2)
    assert (report.installations_added, report.charge_points_added) == (2, 3)
    installations, charge_points = snapshot()
    assert installations[0][:9] == (
        "ES-MAD-0001",
        "A95758389",
        "IBERDROLA CLIENTES S.A.U",
        "IBD",
        "M-MADRID-060",
        "Calle de Alcalá, 45",
        "28014",
        "Madrid",
        "Madrid",
    )
    assert installations[0][9] == "POINT(-3.696944 40.418889)"
    assert installations[1][10] == "Lunes (00:00 - 23:59)\tMartes (08:30 - 17:30)"
    assert [row[2:] for row in charge_points] == [
        ("ES*IBD*E0001A1", Decimal("22.00"), ["IEC_62196_T2"]),
        ("ES*IBD*E0001A2", Decimal("50.00"), ["CHADEMO"]),
        ("ES*915*EES000256", Decimal("350.00"), ["IEC_62196_T2_COMBO", "CHADEMO"]),
    ]


def test_geojson_import_stores_the_same_as_csv(committed_app, tmp_path, register):
    report = imported(write_geojson(tmp_path / "register.geojson", REGISTER))
    assert (report.format, report.installations_added, report.charge_points_added) == (
        "geojson",
        2,
        3,
    )
    from_geojson = snapshot()
    again = imported(register)
    assert (again.installations_changed, again.charge_points_changed) == (0, 0)
    assert snapshot() == from_geojson


@pytest.mark.parametrize(
    ("place", "latitude", "longitude"),
    [
        ("Madrid", "40.4168", "-3.7038"),
        ("Maó, Menorca", "39.8885", "4.2658"),
        ("Las Palmas de Gran Canaria", "28.1235", "-15.4363"),
        ("Valverde, El Hierro", "27.8090", "-17.9150"),
        ("Ceuta", "35.8894", "-5.3198"),
        ("Melilla", "35.2923", "-2.9381"),
    ],
)
def test_coordinates_anywhere_in_spain_are_accepted(
    committed_app, tmp_path, place, latitude, longitude
):
    row = MADRID | {"latitude": latitude, "longitude": longitude}
    assert imported(write_csv(tmp_path / "r.csv", [row])).installations_added == 1


def test_postcode_keeps_its_leading_zero(committed_app, register):
    imported(register)
    postcode = "SELECT postal_code FROM installations WHERE id = 'ES-PMI-0002'"
    assert db.session.scalar(text(postcode)) == "07011"


@pytest.mark.parametrize("writer", [write_csv, write_geojson])
def test_postcode_that_lost_its_leading_zero_is_padded_with_a_warning(
    committed_app, tmp_path, writer
):
    rows = [PALMA | {"postal_code": "7011"}]
    if writer is write_geojson:
        rows = [PALMA | {"postal_code": 7011}]  # the register's own JSON has numbers
    report = imported(writer(tmp_path / "register", rows))
    assert snapshot()[0][0][6] == "07011"
    assert report.warnings == 1
    where = "line 2" if writer is write_csv else "features[0]"
    assert report.warning_sample == [f"{where}: postal_code: 4 digits, read as 07011"]


def test_progress_is_reported_up_to_the_file_size(committed_app, register):
    calls = []
    import_register(register, progress=lambda done, total: calls.append((done, total)))
    size = register.stat().st_size
    assert calls[-1] == (size, size)


def test_import_is_undone_when_the_caller_rolls_back(app, register):
    import_register(register)
    assert db.session.scalar(text("SELECT count(*) FROM charge_points")) == 3
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM charge_points")) == 0


def test_rejected_register_leaves_the_previous_import_exactly_as_it_was(
    committed_app, tmp_path, register
):
    imported(register)
    before = snapshot()
    version = static_version()
    rows = [MADRID | {"max_power_kw": "11"}, REGISTER[1], PALMA | {"latitude": "2.63586"}]
    path = write_csv(tmp_path / "changed.csv", [*rows, MADRID | {"evse_ref": "ES*IBD*NEW"}])
    result = committed_app.test_cli_runner().invoke(args=["sgv", "ripree", "import", str(path)])
    assert result.exit_code == 1
    assert snapshot() == before
    assert static_version() == version


# --- merging into what is there ------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(committed_app, register):
    imported(register)
    before = snapshot()
    report = imported(register)
    assert (report.installations_added, report.installations_changed) == (0, 0)
    assert (report.installations_unchanged, report.charge_points_unchanged) == (2, 3)
    assert (report.charge_points_added, report.charge_points_changed) == (0, 0)
    assert (report.charge_points_removed, report.missing) == (0, 0)
    assert not report.changed_anything
    assert snapshot() == before


def test_changed_charge_point_is_updated_and_its_installation_marked_changed(
    committed_app, tmp_path, register
):
    imported(register)
    (madrid_before, palma_before), _ = snapshot()
    rows = [MADRID | {"max_power_kw": "11", "connector_types": "IEC_62196_T2|DOMESTIC_F"}]
    report = imported(write_csv(tmp_path / "changed.csv", [*rows, *REGISTER[1:]]))
    assert (report.charge_points_changed, report.charge_points_unchanged) == (1, 2)
    assert (report.installations_changed, report.installations_unchanged) == (1, 1)
    (madrid, palma), charge_points = snapshot()
    assert charge_points[0][3:] == (Decimal("11.00"), ["IEC_62196_T2", "DOMESTIC_F"])
    assert madrid[-1] > madrid_before[-1]
    assert palma == palma_before


@pytest.mark.parametrize(
    ("change", "column", "stored"),
    [
        ({"name": "Porsche Palma"}, 4, "Porsche Palma"),
        ({"latitude": "39.594801"}, 9, "POINT(2.63586 39.594801)"),  # 11 cm north
        ({"postal_code": "07012"}, 6, "07012"),
        ({"operator_tax_id": ""}, 1, None),
    ],
)
def test_changed_site_is_updated_in_place(
    committed_app, tmp_path, register, change, column, stored
):
    imported(register)
    report = imported(write_csv(tmp_path / "changed.csv", [*REGISTER[:2], PALMA | change]))
    assert (report.installations_changed, report.charge_points_changed) == (1, 0)
    assert snapshot()[0][1][column] == stored


def test_charge_point_gone_from_its_installation_is_removed(committed_app, tmp_path, register):
    imported(register)
    report = imported(write_csv(tmp_path / "fewer.csv", [MADRID, PALMA]))
    assert (report.charge_points_removed, report.installations_changed) == (1, 1)
    assert [row[2] for row in snapshot()[1]] == ["ES*IBD*E0001A1", "ES*915*EES000256"]


def test_missing_installation_is_reported_but_kept_without_prune(committed_app, tmp_path, register):
    imported(register)
    report = imported(write_csv(tmp_path / "madrid.csv", REGISTER[:2]))
    assert (report.missing, report.missing_sample, report.retired) == (1, ["ES-PMI-0002"], 0)
    assert snapshot()[0][1][12] is None
    assert len(snapshot()[1]) == 3


def test_missing_installation_is_retired_with_prune_and_restored_when_back(
    committed_app, tmp_path, register
):
    imported(register)
    report = imported(write_csv(tmp_path / "madrid.csv", REGISTER[:2]), prune=True)
    assert (report.missing, report.retired) == (1, 1)
    assert snapshot()[0][1][12] is not None
    assert len(snapshot()[1]) == 3  # retired, not deleted: its charge points stay

    again = imported(write_csv(tmp_path / "madrid.csv", REGISTER[:2]), prune=True)
    assert (again.missing, again.retired) == (0, 0)  # already retired

    back = imported(register)
    assert (back.installations_restored, back.installations_changed) == (1, 1)
    assert snapshot()[0][1][12] is None


# --- the command ---------------------------------------------------------------------


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["sgv", "ripree", "import", *args])


def test_command_prints_the_report_as_json(committed_app, register):
    version = static_version()
    result = run(committed_app, str(register), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["installations_added"], report["charge_points_added"]) == (2, 3)
    assert {"missing", "missing_sample", "retired", "warnings", "seconds"} <= report.keys()
    assert static_version() > version

    version = static_version()
    assert json.loads(run(committed_app, str(register), "--json").stdout)["rows"] == 3
    assert static_version() == version  # nothing changed: caches stay valid


def test_command_prints_a_readable_summary(committed_app, register):
    result = run(committed_app, str(register))
    assert result.exit_code == 0
    assert "3 charge points at 2 installations" in result.stdout
    assert "installations: 2 added, 0 changed (0 restored), 0 unchanged" in result.stdout


def test_command_retires_missing_installations_only_with_prune(committed_app, tmp_path, register):
    run(committed_app, str(register))
    madrid = write_csv(tmp_path / "madrid.csv", REGISTER[:2])
    kept = run(committed_app, str(madrid))
    assert "missing from the file: 1 installations (ES-PMI-0002): kept" in kept.stdout
    pruned = json.loads(run(committed_app, str(madrid), "--prune", "--json").stdout)
    assert (pruned["missing"], pruned["retired"], pruned["pruned"]) == (1, 1, True)


def test_command_lists_bad_rows_and_exits_1(committed_app, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [MADRID | {"party_id": "IB"}, PALMA | {"access": ""}])
    result = run(committed_app, str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 2: party_id: must be 3 capital letters or digits",
        "line 3: access: required",
        f"error: {path}: 2 problem(s) in the file; nothing imported",
    ]
    as_json = json.loads(run(committed_app, str(path), "--json").stdout)
    assert as_json["problem_count"] == 2
    assert as_json["problems"][1] == {"line": 3, "field": "access", "reason": "required"}


def test_command_with_an_unreadable_file_gives_one_line_and_exits_2(committed_app, tmp_path):
    result = run(committed_app, str(tmp_path / "absent.csv"))
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot read {tmp_path / 'absent.csv'}: no such file\n"
    as_json = run(committed_app, str(tmp_path), "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) == {"error": f"cannot read {tmp_path}: not a readable file"}
