"""The stream process's WebSocket routes. Another protocol served by the same process (the Alpaca
streams) appends its consumers here and registers its sinks on the same hub (stream.runtime)."""

from django.urls import path

from stream.alpaca_data import AlpacaDataConsumer
from stream.alpaca_trading import AlpacaTradingConsumer
from stream.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/v1/stream", StreamConsumer.as_asgi()),
    # ALPACA.md §8: what alpaca-py's TradingStream and StockDataStream connect to with url_override.
    path("alpaca/stream", AlpacaTradingConsumer.as_asgi()),
    path("alpaca/v2/iex", AlpacaDataConsumer.as_asgi()),
    path("alpaca/v2/sip", AlpacaDataConsumer.as_asgi()),
]
