"""`manage.py run_stack` (what `make run` serves with): Ctrl-C stops every service and exits 0."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(tmp_path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'stack.sqlite3'}", "GUNICORN_WORKERS": "1"}
    env.pop("PYTHON_ENV", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_stack", "--bind", "127.0.0.1", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(url: str, seconds: float = 20) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_ctrl_c_stops_web_stream_and_sandbox_cleanly_and_exits_0(tmp_path):
    port, sandbox_port, stream_port = free_port(), free_port(), free_port()
    stack = start(
        tmp_path,
        *("--port", str(port), "--no-market", "--sandbox", "--sandbox-port", str(sandbox_port)),
        *("--stream-port", str(stream_port)),
    )
    try:
        assert b'"status": "ok"' in wait_for(f"http://127.0.0.1:{port}/healthz")
        # The pages are told where the stream is, and their content security policy lets them connect.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            policy = response.headers["Content-Security-Policy"]
        assert f"ws://127.0.0.1:{stream_port}/ws/v1/stream" in policy
        wait_for_port(stream_port)
        os.killpg(stack.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        output, _ = stack.communicate(timeout=20)
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
    assert stack.returncode == 0, output
    assert "Stopped: sandbox, stream, web." in output
    assert "Segmentation fault" not in output and "did not stop" not in output
    for service_port in (port, sandbox_port, stream_port):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", service_port), timeout=0.5).close()


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_service_that_dies_stops_the_rest_and_fails(tmp_path):
    port = free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        stack = start(
            tmp_path,
            *("--port", str(port), "--no-market", "--no-stream"),
            *("--sandbox", "--sandbox-port", str(taken.getsockname()[1])),
        )
        output, _ = stack.communicate(timeout=30)
    finally:
        taken.close()
    assert stack.returncode == 1, output
    assert "sandbox exited with status" in output
