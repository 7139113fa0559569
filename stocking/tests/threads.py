"""Run callables in parallel threads against a real database, each thread on its own connection."""

import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

# SQLite ignores SELECT ... FOR UPDATE, so lock races are only meaningful on MySQL/MariaDB.
mysql_only = pytest.mark.skipif(
    "mysql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row-lock races need MySQL/MariaDB (run with DATABASE_URL=mysql://...)",
)


def run_concurrently(calls: list[Callable[[], object]], timeout: float = 60) -> list[object]:
    """Start every call at once (behind a barrier); return each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread hung (lock wait?)"
    return results
