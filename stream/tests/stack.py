"""Real processes for the stream's end-to-end tests (and its browser test): a database of their
own, migrated once, gunicorn for HTTP, uvicorn for the stream, run_market when prices must move.
Every process leads its own process group and is stopped by its own id.

The database: a SQLite file when the suite runs on SQLite (the suite's in-memory database is out
of reach of another process), or `<test database>_e2e` on the suite's MySQL/MariaDB server.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)

SEED = """
from decimal import Decimal
from trading.models import Stock
for code, name, price in [("005930", "삼성전자", "70000"), ("000660", "SK하이닉스", "120000")]:
    Stock.objects.update_or_create(code=code, defaults=dict(
        name=name, market="KOSPI", sector="Technology", current_price=Decimal(price),
        previous_close=Decimal(price), day_open=Decimal(price), day_high=Decimal(price),
        day_low=Decimal(price), volatility=Decimal("0.05")))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    def __init__(self, tmp: Path) -> None:
        self.mysql = connection.vendor == "mysql"
        if self.mysql:
            params = connection.settings_dict
            self.name = f"{connection.creation._get_test_db_name()}_e2e"[:64]
            user, host, port = params["USER"], params["HOST"] or "127.0.0.1", params["PORT"] or 3306
            password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
            self.url = f"mysql://{user}{password}@{host}:{port}/{self.name}"
        else:
            self.url = f"sqlite:///{tmp / 'stream-e2e.sqlite3'}"

    def _server(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    def create(self) -> None:
        if self.mysql:
            self._server(f"DROP DATABASE IF EXISTS `{self.name}`")
            self._server(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        manage(self.url, "migrate", "--noinput", "-v0")
        manage(self.url, "shell", "-c", SEED)

    def drop(self) -> None:
        if self.mysql:
            self._server(f"DROP DATABASE IF EXISTS `{self.name}`")


def child_env(database_url: str, **extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "THROTTLE_ALL": "100000000/min", **extra}
    for name in ("PYTHON_ENV", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "STREAM_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


def manage(database_url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=child_env(database_url), check=True, capture_output=True
    )


class Process:
    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log, "wb") as log:
            self.popen = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def wait_for_port(process: Process, port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} did not start:\n{process.tail()}") from None
            time.sleep(0.1)


def start_web(database_url: str, log_dir: Path, *, stream_url: str = "", **env: str) -> tuple[Process, str]:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    extra = {"GUNICORN_WORKERS": "1", **env}
    if stream_url:
        extra["STREAM_URL"] = stream_url
    web = Process("web", [*argv, "stocking.wsgi:application"], child_env(database_url, **extra), log_dir).start()
    wait_for_port(web, port)
    return web, f"http://127.0.0.1:{port}"


def start_stream(database_url: str, log_dir: Path, *, port: int | None = None, **env: str) -> tuple[Process, str]:
    port = port or free_port()
    argv = [sys.executable, "-m", "uvicorn", "stocking.asgi:application", "--port", str(port), "--log-level", "warning"]
    stream = Process("stream", argv, child_env(database_url, **env), log_dir).start()
    wait_for_port(stream, port)
    return stream, f"ws://127.0.0.1:{port}/ws/v1/stream"


def start_market(database_url: str, log_dir: Path, *args: str) -> Process:
    argv = [sys.executable, "manage.py", "run_market", *args]
    return Process("market", argv, child_env(database_url), log_dir).start()


class Api:
    """A user of the HTTP API: registered on the spot, with an access token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.username = f"e2e{uuid.uuid4().hex[:10]}"
        password = "a-Strong-pass-99"
        self.call(
            "POST",
            "/api/v1/auth/register",
            {"username": self.username, "email": f"{self.username}@example.com", "password": password},
        )
        tokens = self.call("POST", "/api/v1/auth/token", {"username": self.username, "password": password})
        self.access, self.refresh = tokens["access"], tokens["refresh"]
        self.user_id = self.call("GET", "/api/v1/auth/me")["id"]

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "access", None):
            headers["Authorization"] = f"Bearer {self.access}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def market_buy(self, code: str = "005930", quantity: int = 1) -> dict:
        return self.call(
            "POST", "/api/v1/orders", {"stock": code, "side": "buy", "order_type": "market", "quantity": quantity}
        )
