"""The stream side of the Redis wake-ups (stocking/core/wakeup.py publishes them): each message
makes the tailer poll at once. On any Redis trouble it reconnects with a back-off, and the tailer
polls at STREAM_POLL_INTERVAL meanwhile, so a Redis outage costs latency, never events."""

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

MAX_BACKOFF = 10.0


class WakeupListener:
    def __init__(self, *, url: str, channel: str, on_wakeup: Callable[[], None]) -> None:
        self.url = url
        self.channel = channel
        self.on_wakeup = on_wakeup
        self.connected = False
        self.received = 0

    async def run(self) -> None:
        import redis.asyncio as redis

        backoff = 0.5
        while True:
            client = redis.Redis.from_url(self.url, health_check_interval=15, socket_connect_timeout=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.connected = True
                backoff = 0.5
                self.on_wakeup()  # wake-ups published while we were away are lost: poll now
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        self.received += 1
                        self.on_wakeup()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any Redis failure: poll without it, then retry
                if self.connected:
                    logger.warning("stream: Redis wake-ups lost (%s); polling until they are back", exc)
            finally:
                self.connected = False
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:  # noqa: BLE001 - closing a dead connection may fail as well
                    pass
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
