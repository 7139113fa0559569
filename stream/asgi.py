"""The ASGI application of the stream process: WebSocket routes, Django for any HTTP request that
reaches it, and the lifespan events that start and stop the tailer with the server."""

import logging

from channels.routing import ProtocolTypeRouter, URLRouter

from stream.routing import websocket_urlpatterns
from stream.runtime import get_runtime

logger = logging.getLogger(__name__)


def build_application(*, http):
    router = ProtocolTypeRouter({"http": http, "websocket": URLRouter(websocket_urlpatterns)})

    async def application(scope, receive, send):
        if scope["type"] != "lifespan":
            return await router(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await get_runtime().ensure_started()
                except Exception as exc:  # noqa: BLE001 - the server must say why it will not start
                    logger.exception("stream: startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await get_runtime().stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return application
