"""Run a write transaction again when MySQL/MariaDB picks it as a deadlock victim or times out a lock."""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

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
