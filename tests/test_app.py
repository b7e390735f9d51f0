"""The application factory, its configuration, /healthz and the errors by audience."""

import json
import os
import subprocess
from urllib.request import urlopen

import pytest

from sgv import create_app
from sgv.config import sqlalchemy_url
from tests.conftest import app_settings
from tests.servers import BIN, ROOT, free_port, gunicorn, sgv_environment


def unreachable_database_url() -> str:
    return f"postgresql://sgv@127.0.0.1:{free_port()}/sgv"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://sgv@127.0.0.1:5/sgv", "postgresql+psycopg://sgv@127.0.0.1:5/sgv"),
        ("postgres://u:p@db/sgv", "postgresql+psycopg://u:p@db/sgv"),
        ("postgresql+psycopg://u@db/sgv", "postgresql+psycopg://u@db/sgv"),
    ],
)
def test_plain_postgresql_url_gets_the_psycopg_driver(given, used):
    assert sqlalchemy_url(given) == used


def test_settings_are_read_from_sgv_environment_variables(monkeypatch):
    monkeypatch.setenv("SGV_DATABASE_URL", "postgresql://someone@dbhost:6543/sgvprod")
    monkeypatch.setenv("SGV_PARTY_ID", "XYZ")
    monkeypatch.setenv("SGV_TOKEN_DAYS", "30")
    monkeypatch.setenv("SGV_CACHE_URL", "redis://cache:6379/0")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://someone@dbhost:6543/sgvprod"
    )
    assert app.config["PARTY_ID"] == "XYZ"
    assert app.config["TOKEN_DAYS"] == 30
    assert app.config["CACHE_TYPE"] == "RedisCache"
    assert app.config["CACHE_REDIS_URL"] == "redis://cache:6379/0"


def test_defaults_work_without_any_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("SGV_"):
            monkeypatch.delenv(name)
    app = create_app()
    assert app.config["ENVIRONMENT"] == "production"
    assert app.config["CACHE_TYPE"] == "SimpleCache"
    assert app.config["MAX_CONTENT_LENGTH"] == 1_000_000
    assert "tile.openstreetmap.org" in app.config["TILE_URL"]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("ENVIRONMENT", "prod", "SGV_ENVIRONMENT must be one of production, staging"),
        ("CACHE_URL", "memcached://x", "SGV_CACHE_URL must be empty or a redis:// URL"),
    ],
)
def test_bad_settings_are_refused_with_a_message_naming_them(setting, value, message):
    with pytest.raises(ValueError, match=message):
        create_app(app_settings("postgresql://x@127.0.0.1/x", **{setting: value}))


def test_healthz_reports_database_and_postgis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["postgis"].startswith("3.")
    assert response.json["schema"]


def test_healthz_answers_503_when_the_database_is_down():
    app = create_app(app_settings(unreachable_database_url()))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.fixture
def failing_app(rolled_back_database):
    """An app with routes that fail unexpectedly, under each audience's prefix."""
    app = create_app(app_settings(rolled_back_database))

    def boom():
        raise RuntimeError("secret internal detail")

    for prefix in ("/api/2.2.1", "/opendata", ""):
        app.add_url_rule(f"{prefix}/boom", f"boom{prefix}", boom)
    return app


def test_unknown_ocpi_url_gets_the_ocpi_envelope(client):
    response = client.get("/api/9.9/nothing", headers={"X-Request-ID": "req-1"})
    assert response.status_code == 404
    assert response.json["status_code"] == 2000
    assert response.json["timestamp"].endswith("Z")
    assert "data" not in response.json
    assert response.headers["X-Request-ID"] == "req-1"
    assert response.headers["X-Correlation-ID"]


def test_unknown_opendata_url_gets_a_json_error(client):
    response = client.get("/opendata/nothing.json")
    assert response.status_code == 404
    assert response.json == {
        "code": 404,
        "name": "Not Found",
        "description": response.json["description"],
    }


def test_unknown_page_gets_an_html_page(client):
    response = client.get("/nothing")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_wrong_method_on_a_page_says_which_are_allowed(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("path", "check"),
    [
        ("/api/2.2.1/boom", lambda r: r.json["status_code"] == 3000),
        ("/opendata/boom", lambda r: r.json["code"] == 500),
        ("/boom", lambda r: r.mimetype == "text/html"),
    ],
)
def test_unexpected_errors_answer_500_without_a_stack_trace(failing_app, path, check):
    response = failing_app.test_client().get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert check(response)
    assert "incident" in body
    assert "Traceback" not in body and "secret internal detail" not in body


def test_status_command_prints_json(app):
    result = app.test_cli_runner().invoke(args=["sgv", "status", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["postgis"].startswith("3.")


def test_status_command_fails_in_one_line_when_the_database_is_down():
    app = create_app(app_settings(unreachable_database_url()))
    result = app.test_cli_runner().invoke(args=["sgv", "status"])
    assert result.exit_code == 1
    assert result.output.startswith("database unavailable:")
    assert len(result.output.strip().splitlines()) == 1


def test_sgv_console_script_runs_the_same_commands(committed_database):
    result = subprocess.run(
        [str(BIN / "sgv"), "status", "--json"],
        cwd=ROOT,
        env=sgv_environment(committed_database),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok"


def test_gunicorn_serves_the_wsgi_app(committed_database):
    with gunicorn(committed_database) as base_url, urlopen(base_url + "/healthz") as response:
        assert json.load(response)["database"] == "ok"
