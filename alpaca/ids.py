"""Alpaca's UUID ids for things StocKing names otherwise: stable across databases and restarts."""

import functools
import uuid


@functools.lru_cache(maxsize=8192)
def asset_id(code: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"stocking:asset:{code}")


def account_id(user_pk: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"stocking:account:{user_pk}")


def account_number(user_pk: int) -> str:
    return f"SK{user_pk:08d}"


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None
