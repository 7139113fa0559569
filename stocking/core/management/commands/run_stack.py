import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 10


@dataclass
class Service:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None


class Command(BaseCommand):
    help = (
        "Run the whole app for development: gunicorn on --port, the live stream (uvicorn) on --stream-port, "
        "the market engine (run_market) and, with --sandbox, the local PortOne sandbox, as child processes. "
        "Ctrl-C or SIGTERM stops every one of them cleanly (the engine finishes its tick) and exits 0; if any "
        "of them dies, the rest are stopped and the exit status is 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5100")))
        parser.add_argument("--bind", default="0.0.0.0", help="Interface gunicorn listens on.")
        parser.add_argument("--interval", type=float, default=settings.MARKET_ENGINE_INTERVAL)
        parser.add_argument("--no-market", action="store_true", help="Serve HTTP only; prices stay still.")
        parser.add_argument("--sandbox", action="store_true", help="Start the PortOne sandbox and point the app at it.")
        parser.add_argument("--sandbox-port", type=int, default=5110)
        parser.add_argument("--stream-port", type=int, default=5101, help="Port of the live stream (WebSocket).")
        parser.add_argument("--no-stream", action="store_true", help="No live stream; pages poll.")

    def handle(self, *args, **options):
        env = dict(os.environ)
        services = []
        if options["sandbox"]:
            sandbox_url = f"http://127.0.0.1:{options['sandbox_port']}/"
            env.update(
                PORTONE_SANDBOX="true",
                PORTONE_API_URL=sandbox_url,
                PORTONE_STORE_ID=env.get("PORTONE_STORE_ID") or "imp-sandbox",
                PORTONE_V1_API_KEY="sandbox-key",
                PORTONE_V1_API_SECRET="sandbox-secret",
            )
            webhook = f"http://127.0.0.1:{options['port']}/api/v1/payments/webhook"
            services.append(
                Service(
                    "sandbox",
                    self._manage("portone_sandbox", "--port", str(options["sandbox_port"]), "--webhook-url", webhook),
                )
            )
        if not options["no_stream"]:
            # Pages open their socket on this URL (and the content security policy allows it).
            env.setdefault("STREAM_URL", f"ws://127.0.0.1:{options['stream_port']}/ws/v1/stream")
            uvicorn = [sys.executable, "-m", "uvicorn", "stocking.asgi:application", "--timeout-graceful-shutdown", "5"]
            address = ["--host", options["bind"], "--port", str(options["stream_port"])]
            services.append(Service("stream", [*uvicorn, *address]))
        if not options["no_market"]:
            services.append(Service("market", self._manage("run_market", "--interval", str(options["interval"]))))
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"{options['bind']}:{options['port']}",
        ]
        services.append(Service("web", [*gunicorn, "stocking.wsgi:application"]))

        stop = {"signal": None}

        def request_stop(signum, frame):
            stop["signal"] = signum

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for service in services:
                # A session of its own: a terminal's Ctrl-C reaches only this supervisor, which then
                # stops each service the graceful way (gunicorn's gthread workers hang up to the
                # graceful timeout when they get the SIGINT directly).
                service.process = subprocess.Popen(service.argv, env=env, cwd=settings.BASE_DIR, start_new_session=True)
            failed = self._watch(services, stop)
        finally:
            self._stop_all(services)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            raise CommandError(f"{failed.name} exited with status {failed.process.returncode}; stopped the rest.")
        self.stdout.write(self.style.SUCCESS("Stopped: " + ", ".join(s.name for s in services) + "."))

    def _manage(self, *args: str) -> list[str]:
        return [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]

    def _watch(self, services: list[Service], stop: dict) -> Service | None:
        """Wait for a stop request (returns None) or for a service to die on its own (returns it)."""
        while stop["signal"] is None:
            for service in services:
                if service.process.poll() is not None:
                    return service
            time.sleep(0.2)
        return None

    def _stop_all(self, services: list[Service]) -> None:
        # SIGTERM, then wait: gunicorn drains its workers, run_market finishes its tick, uvicorn closes
        # the sockets (clients resume with since_seq), the sandbox closes its socket.
        running = [s for s in services if s.process and s.process.poll() is None]
        for service in running:
            service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for service in running:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{service.name} did not stop within {GRACE_SECONDS}s; killing it.")
                service.process.kill()
                service.process.wait()
