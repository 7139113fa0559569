"""Run a write transaction again when MySQL/MariaDB picks it as a deadlock victim or times out a lock."""

import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, connections, transaction

logger = logging.getLogger(__name__)

RETRYABLE_MYSQL_ERRORS = {1213, 1205}  # deadlock found; lock wait timeout exceeded
MAX_ATTEMPTS = 5

P = ParamSpec("P")
R = TypeVar("R")


def is_retryable(exc: OperationalError) -> bool:
    return bool(exc.args) and exc.args[0] in RETRYABLE_MYSQL_ERRORS


def atomic_with_retry(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap `func` in `transaction.atomic()`, re-running the whole transaction on a deadlock.

    Inside an outer transaction nothing can be retried (the outer one is already doomed), so the
    function then just joins it and the error propagates to whoever owns the outermost block.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # A long-lived process (run_market) has no request cycle to repair a connection a lost
        # server left "in a transaction" with no block open; without this, every later
        # transaction would take the nested path below and fail. Live blocks are left alone.
        discard_broken_connections()
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as exc:
                if not is_retryable(exc) or attempt == MAX_ATTEMPTS:
                    raise
                logger.info("retrying %s after MySQL error %s (attempt %d)", func.__name__, exc.args[0], attempt)
                time.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper


def require_transaction(what: str) -> None:
    """Refuse to take row locks outside a transaction: the lock would be released at once.

    An explicit check rather than `assert`, which `python -O` strips.
    """
    if not connection.in_atomic_block:
        raise AssertionError(f"{what} must run inside transaction.atomic()")


def discard_broken_connections() -> int:
    """Forget connections whose transaction bookkeeping no code is holding any more; return how many.

    A lost server can leave Django's state behind: a COMMIT that went through, then a failed
    `SET autocommit=1` (the server died in between), records autocommit as off. If the caller
    swallows that error (the database cache, hence the throttles, does), the next
    transaction.atomic() takes its "autocommit is already off" path and, when its SAVEPOINT fails,
    leaves `in_atomic_block` set with no block to clear it; Django's own clean-up then closes the
    socket but keeps the connection "in a transaction", so every later query on that thread raises
    TransactionManagementError (a 500) until the process restarts. Outside any atomic block none of
    these flags may be set, so such a connection is dropped and its flags reset as connect() would
    (ensure_connection refuses to reconnect while they say "in a transaction").
    """
    dropped = 0
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.atomic_blocks:
            continue  # not connected, or inside a live atomic block (a test's, say)
        if conn.in_atomic_block or conn.needs_rollback or conn.autocommit != conn.settings_dict["AUTOCOMMIT"]:
            logger.warning("dropping database connection %r left in a broken transaction state", conn.alias)
            raw, conn.connection = conn.connection, None
            with contextlib.suppress(Exception):  # it is usually dead already
                raw.close()
            conn.in_atomic_block = conn.needs_rollback = conn.closed_in_transaction = False
            conn.savepoint_ids = []
            dropped += 1
    return dropped


def rows_update(*, model, fields: list[str], rows: dict, chunk: int = 500) -> None:
    """UPDATE many rows by primary key, each with its own values, in one statement per `chunk` rows:
    `SET f = CASE pk WHEN … THEN … END, … WHERE pk IN (…)`. Django's bulk_update builds the same
    statement from expression objects at ~20× the Python cost, which a matching batch of 200 fills
    paid for orders, balances and positions alike. Values go through each field's
    get_db_prep_value, exactly as the ORM would send them."""
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    pk_column = quote(meta.pk.column)
    columns = [meta.get_field(name) for name in fields]
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            keys = [meta.pk.get_db_prep_value(pk, connection) for pk, _ in part]
            assignments, params = [], []
            for index, field in enumerate(columns):
                whens = " ".join(["WHEN %s THEN %s"] * len(part))
                assignments.append(f"{quote(field.column)} = CASE {pk_column} {whens} END")
                for key, (_, values) in zip(keys, part, strict=True):
                    params += [key, field.get_db_prep_value(values[index], connection)]
            where = ", ".join(["%s"] * len(part))
            sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {pk_column} IN ({where})"
            cursor.execute(sql, params + keys)


def rows_update_each(*, model, fields: list[str], rows: dict) -> None:
    """The same as `rows_update` as one executemany of a per-row UPDATE: for many rows (the
    simulator rewrites every stock, 2,700 at KRX's size, each tick), where the CASE form makes the
    server walk up to `chunk` keys per column for every row it updates."""
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    params = [
        [field.get_db_prep_value(value, connection) for field, value in zip(columns, values, strict=True)]
        + [meta.pk.get_db_prep_value(pk, connection)]
        for pk, values in rows.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
