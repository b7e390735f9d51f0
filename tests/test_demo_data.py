"""The committed demo register (data/ripree_demo.csv) and the DGT converter that made it."""

import copy
import csv
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from sgv.demo.dgt import ConversionError, convert, main
from sgv.ocpi.schemas.enums import CONNECTOR_TYPES_221
from sgv.registry.rows import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DEMO_CSV = ROOT / "data" / "ripree_demo.csv"
SOURCE = ROOT.parent / "shared" / "data" / "es_dgt_electrolineras_2024-06-03.json"
needs_source = pytest.mark.skipif(not SOURCE.exists(), reason=f"{SOURCE} is not available")

SPEC_7_HEADER = list(COLUMNS)

OCPI_CONNECTOR_TYPES = CONNECTOR_TYPES_221

# (lat min, lat max, lon min, lon max)
SPAIN = {
    "mainland": (35.9, 43.9, -9.5, 3.4),
    "Balearic Islands": (38.6, 40.2, 1.1, 4.4),
    "Canary Islands": (27.5, 29.5, -18.3, -13.3),
    "Ceuta": (35.85, 35.93, -5.40, -5.27),
    "Melilla": (35.26, 35.33, -2.98, -2.91),
}

# INE province codes: the first two digits of every Spanish postcode.
PROVINCE_CODES = {
    "Araba/Álava": "01",
    "Albacete": "02",
    "Alicante/Alacant": "03",
    "Almería": "04",
    "Ávila": "05",
    "Badajoz": "06",
    "Balears, Illes": "07",
    "Barcelona": "08",
    "Burgos": "09",
    "Cáceres": "10",
    "Cádiz": "11",
    "Castellón/Castelló": "12",
    "Ciudad Real": "13",
    "Córdoba": "14",
    "Coruña, A": "15",
    "Cuenca": "16",
    "Girona": "17",
    "Granada": "18",
    "Guadalajara": "19",
    "Gipuzkoa": "20",
    "Huelva": "21",
    "Huesca": "22",
    "Jaén": "23",
    "León": "24",
    "Lleida": "25",
    "Rioja, La": "26",
    "Lugo": "27",
    "Madrid": "28",
    "Málaga": "29",
    "Murcia": "30",
    "Navarra": "31",
    "Ourense": "32",
    "Asturias": "33",
    "Palencia": "34",
    "Palmas, Las": "35",
    "Pontevedra": "36",
    "Salamanca": "37",
    "Santa Cruz de Tenerife": "38",
    "Cantabria": "39",
    "Segovia": "40",
    "Sevilla": "41",
    "Soria": "42",
    "Tarragona": "43",
    "Teruel": "44",
    "Toledo": "45",
    "Valencia/València": "46",
    "Valladolid": "47",
    "Bizkaia": "48",
    "Zamora": "49",
    "Zaragoza": "50",
    "Ceuta": "51",
    "Melilla": "52",
}

SITE_COLUMNS = SPEC_7_HEADER[: SPEC_7_HEADER.index("access") + 1]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def demo_rows() -> list[dict[str, str]]:
    return read_csv(DEMO_CSV)[1]


def in_spain(latitude: float, longitude: float) -> bool:
    return any(
        lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max
        for lat_min, lat_max, lon_min, lon_max in SPAIN.values()
    )


# --- the committed CSV -------------------------------------------------------------------


def test_demo_csv_has_the_spec_7_header_in_order():
    assert read_csv(DEMO_CSV)[0] == SPEC_7_HEADER


def test_demo_csv_is_utf8_without_bom_with_unix_line_ends():
    raw = DEMO_CSV.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert "Tarancón" in raw.decode("utf-8")


def test_demo_csv_holds_661_installations_and_1902_charge_points(demo_rows):
    assert len(demo_rows) == 1902
    assert len({row["installation_id"] for row in demo_rows}) == 661


def test_rows_of_one_installation_agree_on_every_site_column(demo_rows):
    sites = defaultdict(set)
    for row in demo_rows:
        sites[row["installation_id"]].add(tuple(row[column] for column in SITE_COLUMNS))
    assert all(len(variants) == 1 for variants in sites.values())


def test_installation_ids_are_prefixed_short_hashes(demo_rows):
    assert all(re.fullmatch(r"DGT-[0-9a-f]{16}", row["installation_id"]) for row in demo_rows)


def test_evse_refs_are_unique_european_evse_ids(demo_rows):
    refs = [row["evse_ref"] for row in demo_rows]
    assert len(set(refs)) == len(refs)
    assert all(re.fullmatch(r"ES\*[A-Z0-9]{3}\*E[A-Z0-9]+", ref) for ref in refs)


def test_party_id_is_three_characters_taken_from_the_evse_id(demo_rows):
    for row in demo_rows:
        assert row["country_code"] == "ES"
        assert re.fullmatch(r"[A-Z0-9]{3}", row["party_id"])
        assert row["evse_ref"].startswith(f"ES*{row['party_id']}*")


def test_each_operator_has_one_party_id_and_iberdrola_is_ibd(demo_rows):
    parties = defaultdict(set)
    for row in demo_rows:
        parties[row["operator_name"]].add(row["party_id"])
    assert len(parties) == 14
    assert all(len(ids) == 1 for ids in parties.values())
    assert parties["IBERDROLA CLIENTES S.A.U"] == {"IBD"}
    assert parties["CEPSA COMERCIAL PETRÓLEO,S.A.U."] == {"CEP"}


def test_postcodes_are_five_digit_strings_with_leading_zeros_restored(demo_rows):
    codes = {row["installation_id"]: row["postal_code"] for row in demo_rows}
    assert all(re.fullmatch(r"\d{5}", code) for code in codes.values())
    assert sum(code.startswith("0") for code in codes.values()) == 169


def test_postcodes_start_with_their_province_code(demo_rows):
    for row in demo_rows:
        assert row["postal_code"][:2] == PROVINCE_CODES[row["province"]], row


def test_address_fields_are_parsed_without_their_labels(demo_rows):
    for row in demo_rows:
        for column in ("name", "address", "municipality", "province"):
            assert row[column] and row[column] == row[column].strip()
            assert not re.match(r"(Dirección|Municipio|Provincia):", row[column])
            assert "\t" not in row[column]


def test_coordinates_are_decimal_degrees_inside_spain(demo_rows):
    for row in demo_rows:
        assert re.fullmatch(r"-?\d+\.\d+", row["latitude"])
        assert re.fullmatch(r"-?\d+\.\d+", row["longitude"])
        assert in_spain(float(row["latitude"]), float(row["longitude"])), row


def test_canary_and_balearic_sites_are_kept(demo_rows):
    provinces = {row["province"] for row in demo_rows}
    assert {"Palmas, Las", "Santa Cruz de Tenerife", "Balears, Illes"} <= provinces


def test_connector_types_are_ocpi_values_deduplicated_and_sorted(demo_rows):
    for row in demo_rows:
        types = row["connector_types"].split("|")
        assert set(types) <= OCPI_CONNECTOR_TYPES
        assert types == sorted(set(types))


def test_max_power_is_plain_positive_kilowatts(demo_rows):
    powers = {float(row["max_power_kw"]) for row in demo_rows}
    assert all(re.fullmatch(r"\d+(\.\d+)?", row["max_power_kw"]) for row in demo_rows)
    assert min(powers) >= 1 and max(powers) == 350


def test_opening_hours_are_24_7_or_tab_free_register_text(demo_rows):
    hours = {row["installation_id"]: row["opening_hours"] for row in demo_rows}
    always = [text for text in hours.values() if text == "24/7"]
    others = [text for text in hours.values() if text != "24/7"]
    assert len(always) == 641 and len(others) == 20
    assert all(text.startswith("Lunes (") and "\t" not in text for text in others)


def test_every_charge_point_is_public_and_has_no_invented_tax_id(demo_rows):
    assert {row["access"] for row in demo_rows} == {"public"}
    assert {row["operator_tax_id"] for row in demo_rows} == {""}


@needs_source
def test_rerunning_the_converter_gives_a_byte_identical_file(tmp_path):
    stats = convert(SOURCE, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == DEMO_CSV.read_bytes()
    assert (stats.sites, stats.rows, stats.connectors) == (661, 1902, 2305)
    assert len(stats.operators) == 14 and stats.operators["IBERDROLA CLIENTES S.A.U"] == 634
    assert stats.parties["IBD"] == 1874 and stats.postcodes_padded == 169
    assert stats.outside_spain == [] and stats.refs_not_evse_ids == []


# --- the converter on small registers ----------------------------------------------------


def refill_point(evse_id: str = "ES*ABC*E1", *connectors: dict) -> dict:
    plugs = list(connectors) or [{"connectorType": "iec62196T2", "maxPowerAtSocket": 22000}]
    return {
        "name": {"values": {"value": evse_id}},
        "connector": plugs[0] if len(plugs) == 1 else plugs,
    }


def register_site(
    name="Plaza Mayor",
    operator="Ejemplo Recarga S.L.",
    points=None,
    postcode=28013,
    lat=40.4154,
    lon=-3.7074,
    hours="24x7 horas",
) -> dict:
    points = points if points is not None else [refill_point()]
    return {
        "name": {"values": {"value": name}},
        "operatingHours": {"label": hours},
        "locationReference": {
            "_locationReferenceExtension": {
                "facilityLocation": {
                    "address": {
                        "postcode": postcode,
                        "addressLine": [
                            {"text": {"values": {"value": "Dirección: Plaza Mayor,1"}}},
                            {"text": {"values": {"value": "Municipio: Madrid"}}},
                            {"text": {"values": {"value": "Provincia: Madrid"}}},
                            {"text": {"values": {"value": "Comunidad Autónoma: Madrid"}}},
                        ],
                    }
                }
            },
            "coordinatesForDisplay": {"latitude": lat, "longitude": lon},
        },
        "operator": {"name": {"values": {"value": operator}}},
        "energyInfrastructureStation": {
            "refillPoint": points[0] if len(points) == 1 else points,
        },
    }


def run(tmp_path: Path, *sites: dict, listed: bool = False):
    """Convert a register holding `sites`; one site is a single object unless `listed`."""
    source = tmp_path / "register.json"
    site_node = sites[0] if len(sites) == 1 and not listed else list(sites)
    table = {"energyInfrastructureTable": {"energyInfrastructureSite": site_node}}
    source.write_text(json.dumps({"payload": table}), encoding="utf-8")
    stats = convert(source, tmp_path / "out.csv")
    return read_csv(tmp_path / "out.csv")[1], stats


def test_single_children_as_objects_or_as_lists_give_the_same_rows(tmp_path):
    single, _ = run(tmp_path, register_site())
    listed_site = register_site()
    point = refill_point()
    point["connector"] = [point["connector"]]
    listed_site["energyInfrastructureStation"] = [{"refillPoint": [point]}]
    listed_site["operator"]["name"]["values"] = [{"value": "Ejemplo Recarga S.L."}]
    listed, _ = run(tmp_path, listed_site, listed=True)
    assert listed == single


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Plaza Mayor", "Plaza Mayor"),
        (130326, "130326"),
        ({"value": "Objeto"}, "Objeto"),
        (["", "Lista"], "Lista"),
        ("  Con\tespacios  ", "Con espacios"),
    ],
)
def test_site_names_are_read_from_any_json_shape(tmp_path, value, expected):
    site = register_site()
    site["name"]["values"]["value"] = value
    rows, _ = run(tmp_path, site)
    assert rows[0]["name"] == expected


@pytest.mark.parametrize(
    "postcode, expected, padded",
    [(7011, "07011", 1), ("08001", "08001", 0), (28013, "28013", 0), (123, "", 0), (None, "", 0)],
)
def test_postcodes_get_their_leading_zero_back(tmp_path, postcode, expected, padded):
    rows, stats = run(tmp_path, register_site(postcode=postcode))
    assert rows[0]["postal_code"] == expected
    assert stats.postcodes_padded == padded
    assert len(stats.postcodes_invalid) == (expected == "")


@pytest.mark.parametrize(
    "label, expected",
    [
        ("24x7 horas", "24/7"),
        ("24X7", "24/7"),
        (
            "Lunes (08:00 - 20:00)\tMartes (08:00 - 20:00)\t",
            "Lunes (08:00 - 20:00); Martes (08:00 - 20:00)",
        ),
    ],
)
def test_opening_hours_become_24_7_or_cleaned_text(tmp_path, label, expected):
    rows, _ = run(tmp_path, register_site(hours=label))
    assert rows[0]["opening_hours"] == expected


def test_max_power_is_the_largest_connector_in_kw_and_types_are_mapped(tmp_path):
    point = refill_point(
        "ES*ABC*E7",
        {"connectorType": "iec62196T2COMBO", "maxPowerAtSocket": 150000},
        {"connectorType": "chademo", "maxPowerAtSocket": 50000},
        {"connectorType": "domesticF", "maxPowerAtSocket": 3700},
        {"connectorType": "chademo", "maxPowerAtSocket": 50000},
    )
    rows, stats = run(tmp_path, register_site(points=[point]))
    assert rows[0]["max_power_kw"] == "150"
    assert rows[0]["connector_types"] == "CHADEMO|DOMESTIC_F|IEC_62196_T2_COMBO"
    assert stats.connectors == 4


def test_fractional_kilowatts_keep_their_decimals(tmp_path):
    point = refill_point("ES*ABC*E8", {"connectorType": "domesticF", "maxPowerAtSocket": 3680})
    rows, _ = run(tmp_path, register_site(points=[point]))
    assert rows[0]["max_power_kw"] == "3.68"


def test_power_declared_in_kilowatts_is_reported_not_changed(tmp_path):
    point = refill_point("ES*ABC*E9", {"connectorType": "iec62196T2", "maxPowerAtSocket": 22})
    rows, stats = run(tmp_path, register_site(points=[point]))
    assert rows[0]["max_power_kw"] == "0.022"
    assert stats.implausible_power == ["ES*ABC*E9"]


def test_a_connector_type_without_an_ocpi_twin_stops_the_conversion(tmp_path):
    point = refill_point("ES*ABC*E1", {"connectorType": "cee5", "maxPowerAtSocket": 11000})
    with pytest.raises(ConversionError, match="cee5"):
        run(tmp_path, register_site(points=[point]))


def test_party_comes_from_the_evse_id_prefix(tmp_path):
    rows, stats = run(tmp_path, register_site(points=[refill_point("es*ibd*E123")]))
    assert (rows[0]["country_code"], rows[0]["party_id"]) == ("ES", "IBD")
    assert rows[0]["evse_ref"] == "es*ibd*E123"
    assert stats.parties == {"IBD": 1}


def test_a_site_without_evse_ids_takes_its_operators_party(tmp_path):
    named = register_site(name="Sin EVSE-ID", points=[refill_point("Punto 1")])
    rows, stats = run(tmp_path, register_site(points=[refill_point("ES*XYZ*E1")]), named)
    assert {row["party_id"] for row in rows} == {"XYZ"}
    assert len(stats.party_from_operator) == 1
    assert stats.refs_not_evse_ids == ["Punto 1"]


def test_an_operator_without_any_evse_id_gets_a_party_from_its_name(tmp_path):
    site = register_site(operator="Électrica Ñandú S.L.", points=[refill_point("Punto 1")])
    rows, stats = run(tmp_path, site)
    assert rows[0]["party_id"] == "ELE"
    assert stats.party_from_name == [rows[0]["installation_id"]]


def test_a_derived_party_already_held_by_another_operator_stops_the_conversion(tmp_path):
    holder = register_site(operator="Otro", points=[refill_point("ES*EJE*E1")])
    derived = register_site(name="B", points=[refill_point("Punto 1")])  # "Ejemplo …" → EJE
    with pytest.raises(ConversionError, match="EJE"):
        run(tmp_path, holder, derived)


def test_installation_id_depends_on_operator_coordinates_and_name_only(tmp_path):
    first, _ = run(tmp_path, register_site())
    more_points = [refill_point("ES*ABC*E1"), refill_point("ES*ABC*E2")]
    same, _ = run(tmp_path, register_site(points=more_points, hours="Lunes (08:00 - 20:00)"))
    moved, _ = run(tmp_path, register_site(lat=40.4155))
    renamed, _ = run(tmp_path, register_site(name="Plaza Menor"))
    assert first[0]["installation_id"] == same[0]["installation_id"] == same[1]["installation_id"]
    assert moved[0]["installation_id"] != first[0]["installation_id"]
    assert renamed[0]["installation_id"] != first[0]["installation_id"]


def test_two_identical_sites_stop_the_conversion(tmp_path):
    twin = register_site(points=[refill_point("ES*ABC*E2")])
    with pytest.raises(ConversionError, match="same operator, coordinates and name"):
        run(tmp_path, register_site(), twin)


def test_sites_outside_spain_are_reported(tmp_path):
    swapped = register_site(name="Al revés", lat=-3.7074, lon=40.4154)
    canary = register_site(name="Canarias", lat=28.1, lon=-15.43)
    rows, stats = run(tmp_path, swapped, canary)
    swapped_id = next(row["installation_id"] for row in rows if row["name"] == "Al revés")
    assert stats.outside_spain == [swapped_id]


def test_coordinates_are_written_without_exponents(tmp_path):
    rows, _ = run(tmp_path, register_site(lat=40.0, lon=-0.00001))
    assert (rows[0]["latitude"], rows[0]["longitude"]) == ("40.0", "-0.00001")


def test_the_same_register_always_gives_the_same_bytes(tmp_path):
    sites = [register_site(name=f"Sitio {n}", lat=40 + n / 100) for n in range(5)]
    run(tmp_path, *sites)
    first = (tmp_path / "out.csv").read_bytes()
    run(tmp_path, *reversed(copy.deepcopy(sites)))
    assert (tmp_path / "out.csv").read_bytes() == first


def test_main_prints_a_summary_and_exits_zero(tmp_path, capsys):
    source = tmp_path / "register.json"
    table = {"energyInfrastructureTable": {"energyInfrastructureSite": register_site()}}
    source.write_text(json.dumps({"payload": table}), encoding="utf-8")
    assert main([str(source), str(tmp_path / "out.csv")]) == 0
    assert "1 sites, 1 charge points, 1 connectors, 1 operators" in capsys.readouterr().out


def test_main_reports_a_conversion_error_on_stderr_and_exits_one(tmp_path, capsys):
    source = tmp_path / "register.json"
    site = register_site(points=[refill_point("ES*ABC*E1", {"connectorType": "other"})])
    table = {"energyInfrastructureTable": {"energyInfrastructureSite": site}}
    source.write_text(json.dumps({"payload": table}), encoding="utf-8")
    assert main([str(source), str(tmp_path / "out.csv")]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_module_runs_with_python_dash_m(tmp_path):
    source = tmp_path / "register.json"
    table = {"energyInfrastructureTable": {"energyInfrastructureSite": register_site()}}
    source.write_text(json.dumps({"payload": table}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sgv.demo.dgt", str(source), str(tmp_path / "out.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert read_csv(tmp_path / "out.csv")[0] == SPEC_7_HEADER
