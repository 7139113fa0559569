"""The stream process's WebSocket routes. Another protocol served by the same process (the Alpaca
streams) appends its consumers here and registers its sinks on the same hub (stream.runtime)."""

from django.urls import path

from stream.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/v1/stream", StreamConsumer.as_asgi()),
]
