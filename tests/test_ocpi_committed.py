"""OCPI behaviour that needs committed data: rejections kept in their own transaction,
concurrent pushes from separate connections, the app under gunicorn."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.ocpi_helpers import example, headers, make_party, send
from tests.servers import gunicorn


def rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_rejected_push_is_recorded_and_changes_nothing(committed_app, committed_database):
    client = committed_app.test_client()
    _, token = make_party("BE", "BEC")
    body = example("2.2.1", "location_example")
    assert (
        client.put(
            "/api/2.2.1/locations/BE/BEC/LOC1", json=body, headers=headers(token)
        ).status_code
        == 201
    )
    before = rows(committed_database, "SELECT data, last_updated FROM locations")

    body["name"] = "Changed"
    body["evses"][0]["status"] = "BROKEN"
    response = client.put("/api/2.2.1/locations/BE/BEC/LOC1", json=body, headers=headers(token))

    assert response.status_code == 400
    assert rows(committed_database, "SELECT data, last_updated FROM locations") == before
    rejected = rows(
        committed_database,
        "SELECT method, endpoint, object_id, status_code, reason FROM rejections",
    )
    assert len(rejected) == 1
    method, endpoint, object_id, status_code, reason = rejected[0]
    assert (method, endpoint, object_id, status_code) == (
        "PUT",
        "/api/2.2.1/locations/BE/BEC/LOC1",
        "LOC1",
        2001,
    )
    assert "status" in reason


def test_status_patch_outside_a_transaction_applies_refuses_and_records(
    committed_app, committed_database
):
    # A status-only PATCH runs as one statement without BEGIN/COMMIT: it must still
    # apply, skip an older push, and leave a refusal recorded with nothing changed.
    client = committed_app.test_client()
    _, token = make_party("BE", "BEC")
    body = example("2.2.1", "location_example")
    url = "/api/2.2.1/locations/BE/BEC/LOC1"
    assert client.put(url, json=body, headers=headers(token)).status_code == 201
    status = "SELECT status, last_updated FROM evses WHERE uid = '3256'"

    newer = {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"}
    assert client.patch(url + "/3256", json=newer, headers=headers(token)).status_code == 200
    [(applied, moment)] = rows(committed_database, status)
    assert (applied, moment.isoformat()) == ("CHARGING", "2026-01-01T10:00:00+00:00")

    older = {"status": "AVAILABLE", "last_updated": "2025-01-01T10:00:00Z"}
    response = client.patch(url + "/3256", json=older, headers=headers(token))
    assert response.status_code == 200
    assert "Not applied" in response.json["status_message"]
    assert rows(committed_database, status) == [(applied, moment)]

    response = client.patch(url + "/NOPE", json=newer, headers=headers(token))
    assert (response.status_code, response.json["status_code"]) == (404, 2003)
    assert rows(committed_database, status) == [(applied, moment)]
    assert rows(committed_database, "SELECT method, endpoint, status_code FROM rejections") == [
        ("PATCH", url + "/NOPE", 2003)
    ]


def test_concurrent_patches_to_one_evse_keep_the_newest(committed_app, committed_database):
    _, token = make_party("BE", "BEC")
    body = example("2.2.1", "location_example")
    statuses = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"]
    with gunicorn(committed_database, workers=2) as base_url:
        assert send(base_url, "PUT", "/api/2.2.1/locations/BE/BEC/LOC1", token, body)[0] == 201
        # Two clients interleave 40 updates; minute n carries statuses[n % 4].
        updates = [
            {"status": statuses[n % 4], "last_updated": f"2026-01-01T10:{n:02d}:00Z"}
            for n in range(40)
        ]
        order = updates[::2] + updates[1::2]
        barrier = threading.Barrier(2)

        def push(batch):
            barrier.wait()
            return [
                send(base_url, "PATCH", "/api/2.2.1/locations/BE/BEC/LOC1/3256", token, u)
                for u in batch
            ]

        with ThreadPoolExecutor(2) as pool:
            results = [r for batch in pool.map(push, [order[:20], order[20:]]) for r in batch]

    assert {(status, answer["status_code"]) for status, answer in results} == {(200, 1000)}
    [(status, updated)] = rows(
        committed_database, "SELECT status, last_updated FROM evses WHERE uid = '3256'"
    )
    assert status == statuses[39 % 4]
    assert updated.isoformat() == "2026-01-01T10:39:00+00:00"


@pytest.mark.parametrize(
    "body",
    [
        [],
        None,
        "text",
        42,
        {"evses": "x"},
        {"coordinates": []},
        {"last_updated": 5},
        {"id": None},
        {"evses": [None]},
        {"\u0000": "\ud7ff"},
        {"publish": 1e400},
    ],
)
def test_no_input_produces_a_500(app, body):
    client = app.test_client()
    _, token = make_party("BE", "BEC")
    for method in ("put", "patch"):
        response = getattr(client, method)(
            "/api/2.2.1/locations/BE/BEC/LOC1",
            headers=headers(token),
            data=json.dumps(body),
            content_type="application/json",
        )
        assert 400 <= response.status_code < 500, (method, body, response.json)
        assert response.json["status_code"] in (2001, 2003)
