"""The stream process's one tailer: polls the outbox and the tick records (OutboxReader) in a thread
of its own and hands every batch to the hub. It polls every STREAM_POLL_INTERVAL, or at once on a
wake-up; while Redis wake-ups arrive it only needs a slow safety poll."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import connection

from stream.hub import Hub
from stream.outbox_reader import OutboxReader

logger = logging.getLogger(__name__)

ERROR_BACKOFF = 1.0


class Tailer:
    def __init__(self, *, hub: Hub, reader: OutboxReader, interval: Callable[[], float]) -> None:
        self.hub = hub
        self.reader = reader
        self.interval = interval
        self.polls = 0
        self.errors = 0
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stream-tailer")
        # An in-memory SQLite database (the test suite's) is shared between threads under table
        # locks that fail at once instead of waiting: there, poll on the thread every other
        # database call of the stream uses. Elsewhere the tailer has a thread of its own, so many
        # clients subscribing at once never delay a poll.
        self._shared_thread = connection.vendor == "sqlite" and connection.is_in_memory_db()
        self.primed = asyncio.get_running_loop().create_future()

    async def _call(self, function):
        if self._shared_thread:
            return await sync_to_async(function, thread_sensitive=True)()
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self.primed.done():
                try:
                    await self._call(self.reader.prime)
                    self.primed.set_result(True)
                except Exception:  # noqa: BLE001 - a database outage at start: keep trying
                    logger.exception("stream tailer: cannot read the outbox; retrying")
                    await self._recover()
            while True:
                self._wake.clear()
                try:
                    batch = await self._call(self.reader.read)
                except Exception:  # noqa: BLE001 - the next poll retries; nothing is lost meanwhile
                    self.errors += 1
                    logger.exception("stream tailer: poll failed; retrying")
                    await self._recover()
                    continue
                self.polls += 1
                if batch:
                    self.hub.publish(batch)
                if batch.more:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval())
        finally:
            if not self._shared_thread:
                await asyncio.shield(loop.run_in_executor(self._executor, connection.close))
            self._executor.shutdown(wait=False)

    async def _recover(self) -> None:
        # A connection the database dropped is replaced on the next poll.
        await self._call(connection.close)
        await asyncio.sleep(ERROR_BACKOFF)
