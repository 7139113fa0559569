"""Fixtures for the stream's in-process tests: Channels' WebsocketCommunicator against the routes,
with a fresh runtime (hub + tailer) on each test's event loop. The tailer reads the database from a
thread of its own, so these tests commit their data (transaction=True)."""

import asyncio
import json
from decimal import Decimal

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from stream.routing import websocket_urlpatterns
from stream.runtime import reset_runtime

PATH = "/ws/v1/stream"


@pytest.fixture(autouse=True)
def _fast_stream_settings(settings):
    settings.STREAM_POLL_INTERVAL = 0.02
    settings.REDIS_URL = ""


@pytest_asyncio.fixture
async def runtime():
    fresh = reset_runtime()
    yield fresh
    await fresh.stop()


def application():
    return URLRouter(websocket_urlpatterns)


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


def refresh_for(user) -> str:
    return str(RefreshToken.for_user(user))


class Client:
    """A communicator with the protocol's moves."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator

    async def send(self, message) -> None:
        await self.ws.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 3) -> dict:
        return json.loads(await self.ws.receive_from(timeout=timeout))

    async def recv_type(self, kind: str, timeout: float = 3) -> dict:
        """The next frame of `kind`, skipping others (quotes between order events, say)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(timeout=max(0.01, deadline - loop.time()))
            if frame["type"] == kind:
                return frame

    async def closed_with(self, timeout: float = 3) -> int:
        output = await self.ws.receive_output(timeout=timeout)
        while output["type"] != "websocket.close":
            output = await self.ws.receive_output(timeout=timeout)
        return output.get("code", 1000)

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)

    async def subscribe(self, **message) -> dict:
        await self.send({"action": "subscribe", **message})
        return await self.recv_type("subscribed")

    async def close(self) -> None:
        await self.ws.disconnect()


async def connect(*, headers=None) -> Client:
    communicator = WebsocketCommunicator(application(), PATH, headers=headers or [])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return Client(communicator)


async def authorized(user) -> Client:
    client = await connect()
    await client.send({"action": "auth", "token": token_for(user)})
    assert await client.recv() == {"type": "authorized", "user_id": user.pk}
    return client


@pytest.fixture
def make_user(transactional_db):
    from accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def stock(transactional_db):
    from trading.tests.factories import StockFactory

    return StockFactory(code="005930", name="삼성전자", current_price=Decimal("70000"))


def place(user, stock_code: str = "005930", **fields):
    from trading.services import order_place

    options = {"side": "buy", "order_type": "market", "quantity": 1, **fields}
    return order_place(user=user, stock_code=stock_code, **options).order


aplace = database_sync_to_async(place)


async def adb(function, *args):
    """Database work from an async test, on the thread the stream's own database calls use."""
    return await database_sync_to_async(function)(*args)


@database_sync_to_async
def record_tick(quotes: list[dict]):
    from django.utils import timezone

    from trading.models import MarketTick

    return MarketTick.objects.create(at=timezone.now(), quotes=quotes)


def quote(code: str, price: str) -> dict:
    return {"code": code, "price": price, "change": "0", "change_rate": "0.00", "volume": 1}
