"""OCPI credentials tokens: issued at random, stored as SHA-256 digests (SPEC §3)."""

import base64
import binascii
import hashlib
import secrets


def new_token() -> str:
    """Return a fresh token of 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """Return the hex SHA-256 digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def candidates(authorization: str | None) -> list[str]:
    """Return the tokens an Authorization header may carry: as sent, and base64-decoded.

    OCPI 2.2.x sends base64, 2.1.1 the raw token, and implementations mix them up, so
    every version accepts both. The decoded form is stripped: the spec's own example
    decodes with a trailing newline.
    """
    if not authorization:
        return []
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    found = [value]
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return found
    if decoded and decoded != value and decoded.isprintable():
        found.append(decoded)
    return found
