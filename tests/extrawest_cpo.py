"""A CPO built on extrawest-ocpi (PyPI, module py_ocpi), for SGV's conformance tests.

Runs under uvicorn in a virtualenv of its own (scripts/lib/extrawest.sh; the package pins
old pydantic, fastapi and httpx), never in SGV's: tests/extrawest.py starts it on
127.0.0.1. The OCPI side is the library's own: versions, version details, credentials
(its PUT calls SGV back with the new token, as OCPI's update sequence says) and the
Sender interfaces of locations and tariffs with its own pagination (`Link` written as
https://OCPI_HOST/..., X-Total-Count, X-Limit). What a CPO's software does on its own
initiative (register, push, renew, unregister) is driven by the test through /control/*,
made with the library's httpx, as such software would.

Configuration (environment): OCPI_HOST (127.0.0.1:PORT), PROTOCOL (http), COUNTRY_CODE,
PARTY_ID (read by py_ocpi itself) and XW_TOKEN_B (the token SGV must present).
"""

# ruff: noqa: B008 (FastAPI reads a request body through Body() defaults)

import base64
import os
import secrets
from datetime import datetime
from typing import Any

import httpx
from fastapi import Body
from py_ocpi import get_application
from py_ocpi.core.adapter import BaseAdapter
from py_ocpi.core.authentication.authenticator import Authenticator
from py_ocpi.core.config import settings
from py_ocpi.core.crud import Crud
from py_ocpi.core.enums import ModuleID, RoleEnum
from py_ocpi.modules.versions.enums import VersionNumber

VERSION = "2.2.1"
STATE: dict[str, Any] = {
    "tokens_b": [os.environ.get("XW_TOKEN_B", "extrawest-token-b")],  # SGV may use these
    "sgv_token": None,  # TOKEN_C, once registered
    "sgv_endpoints": {},  # identifier -> URL, from SGV's version details
    "objects": {"locations": [], "tariffs": []},
    "page_size": 3,  # the most objects a page holds, whatever limit SGV asks
    "received": [],  # credentials SGV PUT to us
}


def own_versions_url() -> str:
    return f"{settings.PROTOCOL}://{settings.OCPI_HOST}/{settings.OCPI_PREFIX}/versions"


def own_credentials() -> dict:
    return {
        "token": STATE["tokens_b"][-1],
        "url": own_versions_url(),
        "roles": [
            {
                "role": "CPO",
                "business_details": {"name": "Extrawest CPO de pruebas"},
                "party_id": settings.PARTY_ID,
                "country_code": settings.COUNTRY_CODE,
            }
        ],
    }


def moment(value: Any) -> datetime:
    text = value if isinstance(value, str) else value.isoformat()
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Store(Crud):
    """The CPO's data in memory: what the library's routers read and write."""

    @classmethod
    async def get(cls, module: ModuleID, role: RoleEnum, id, *args, **kwargs) -> Any:
        if module == ModuleID.credentials_and_registration:
            return own_credentials()
        found = [o for o in STATE["objects"].get(module.value, []) if o["id"] == id]
        return found[0] if found else None

    @classmethod
    async def list(cls, module: ModuleID, role: RoleEnum, filters: dict, *args, **kwargs):
        objects = STATE["objects"][module.value]
        if filters.get("date_from"):
            objects = [o for o in objects if moment(o["last_updated"]) >= filters["date_from"]]
        if filters.get("date_to"):
            objects = [o for o in objects if moment(o["last_updated"]) < filters["date_to"]]
        offset = filters["offset"]
        size = min(filters["limit"], STATE["page_size"])
        page = objects[offset : offset + size]
        return page, len(objects), offset + size >= len(objects)

    @classmethod
    async def create(cls, module: ModuleID, role: RoleEnum, data: dict, *args, **kwargs):
        raise NotImplementedError("SGV never registers with a CPO")

    @classmethod
    async def update(cls, module: ModuleID, role: RoleEnum, data: dict, id, *args, **kwargs):
        """SGV renewed: keep its new token and endpoints, answer with a new TOKEN_B."""
        credentials = data["credentials"]
        STATE["received"].append(credentials)
        STATE["sgv_token"] = credentials["token"]
        STATE["tokens_b"] = [secrets.token_urlsafe(24)]
        return own_credentials()

    @classmethod
    async def delete(cls, module: ModuleID, role: RoleEnum, id, *args, **kwargs):
        STATE["sgv_token"] = None

    @classmethod
    async def do(cls, module, role, action, *args, data=None, **kwargs):
        return None


class Tokens(Authenticator):
    @classmethod
    async def get_valid_token_c(cls) -> list[str]:
        return list(STATE["tokens_b"])

    @classmethod
    async def get_valid_token_a(cls) -> list[str]:
        return []


app = get_application(
    version_numbers=[VersionNumber.v_2_2_1],
    roles=[RoleEnum.cpo],
    crud=Store,
    modules=[ModuleID.credentials_and_registration, ModuleID.locations, ModuleID.tariffs],
    authenticator=Tokens,
    adapter=BaseAdapter,
)


# --- what the CPO's own software does, on the test's cue --------------------------------


def auth(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


async def discover(client: httpx.AsyncClient, versions_url: str, token: str) -> None:
    """Read SGV's versions and version details; keep its endpoints."""
    versions = (await client.get(versions_url, headers=auth(token))).json()["data"]
    details_url = next(v["url"] for v in versions if v["version"] == VERSION)
    details = (await client.get(details_url, headers=auth(token))).json()["data"]
    STATE["sgv_endpoints"] = {e["identifier"]: e["url"] for e in details["endpoints"]}


@app.post("/control/register")
async def register(versions_url: str = Body(), token_a: str = Body()) -> dict:
    """POST our credentials to SGV with TOKEN_A; keep the TOKEN_C it answers with."""
    async with httpx.AsyncClient(timeout=30) as client:
        await discover(client, versions_url, token_a)
        answer = await client.post(
            STATE["sgv_endpoints"]["credentials"], json=own_credentials(), headers=auth(token_a)
        )
    envelope = answer.json()
    if envelope.get("status_code") == 1000:
        STATE["sgv_token"] = envelope["data"]["token"]
    return {"http_status": answer.status_code, **envelope}


@app.post("/control/renew")
async def renew() -> dict:
    """PUT new credentials to SGV: the new TOKEN_B works before we ask (SGV calls back)."""
    old, new = STATE["tokens_b"][-1], secrets.token_urlsafe(24)
    STATE["tokens_b"] = [old, new]
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.put(
            STATE["sgv_endpoints"]["credentials"],
            json=own_credentials(),
            headers=auth(STATE["sgv_token"]),
        )
    envelope = answer.json()
    if envelope.get("status_code") == 1000:
        STATE["tokens_b"] = [new]
        STATE["sgv_token"] = envelope["data"]["token"]
    else:
        STATE["tokens_b"] = [old]
    return {"http_status": answer.status_code, **envelope}


@app.post("/control/push")
async def push(method: str = Body(), path: str = Body(), body: Any = Body(None)) -> dict:
    """Send one push (PUT/PATCH) to SGV's locations or tariffs receiver with TOKEN_C."""
    module, _, rest = path.partition("/")
    url = STATE["sgv_endpoints"][module].rstrip("/") + "/" + rest
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.request(method, url, json=body, headers=auth(STATE["sgv_token"]))
    return {"http_status": answer.status_code, **answer.json()}


@app.post("/control/unregister")
async def unregister() -> dict:
    """DELETE our credentials at SGV."""
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.delete(
            STATE["sgv_endpoints"]["credentials"], headers=auth(STATE["sgv_token"])
        )
    return {"http_status": answer.status_code, **answer.json()}


@app.put("/control/objects")
async def load(objects: dict = Body(), page_size: int = Body(3)) -> dict:
    """Serve these objects on the Sender interfaces, `page_size` to a page."""
    STATE["objects"] = {"locations": [], "tariffs": [], **objects}
    STATE["page_size"] = page_size
    return {"loaded": {k: len(v) for k, v in STATE["objects"].items()}}


@app.get("/control/state")
async def state() -> dict:
    """What the CPO holds: its tokens, SGV's token and what SGV sent."""
    return {k: STATE[k] for k in ("tokens_b", "sgv_token", "sgv_endpoints", "received")}
