"""The process-wide parts of a stream process: one hub, one tailer, one Redis listener. Started by
the ASGI lifespan (uvicorn) or by the first connection, whichever comes first; stopped by the
lifespan shutdown."""

import asyncio
import contextlib

from django.conf import settings

from stream.hub import Hub
from stream.outbox_reader import OutboxReader
from stream.tailer import Tailer
from stream.wakeups import WakeupListener


class Runtime:
    def __init__(self) -> None:
        self.hub = Hub()
        self.tailer: Tailer | None = None
        self.listener: WakeupListener | None = None
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def poll_interval(self) -> float:
        if self.listener is not None and self.listener.connected:
            return settings.STREAM_REDIS_POLL_INTERVAL
        return settings.STREAM_POLL_INTERVAL

    async def ensure_started(self, *, wait: float | None = None) -> None:
        """Start the tailer on this loop if it is not running and, with `wait`, wait that long for
        it to know where the outbox ends (so anything committed after a client's `subscribed`
        reaches it live); TimeoutError if the database does not answer by then."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            await self.stop()
            self._loop = loop
            lookback = getattr(settings, "STREAM_LOOKBACK_SECONDS", 15.0)
            self.tailer = Tailer(hub=self.hub, reader=OutboxReader(lookback=lookback), interval=self.poll_interval)
            self._tasks = [asyncio.ensure_future(self.tailer.run())]
            if settings.REDIS_URL:
                self.listener = WakeupListener(
                    url=settings.REDIS_URL, channel=settings.STREAM_WAKEUP_CHANNEL, on_wakeup=self.tailer.wake
                )
                self._tasks.append(asyncio.ensure_future(self.listener.run()))
        if wait is not None:
            await asyncio.wait_for(asyncio.shield(self.tailer.primed), timeout=wait)

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loop = None
        self.tailer = None
        self.listener = None


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime()
    return _runtime


def reset_runtime() -> Runtime:
    """A fresh runtime (tests: each has its own event loop)."""
    global _runtime
    _runtime = Runtime()
    return _runtime
