import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from payments.sandbox import start_sandbox


class Command(BaseCommand):
    help = (
        "Serve a local PortOne V1 sandbox (development and tests only): the endpoints the payments adapter "
        "uses, with PortOne's envelope and error statuses, plus /sandbox/pay to pay a prepared payment. "
        "Point PORTONE_API_URL at it and set PORTONE_SANDBOX=true."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default: loopback only).")
        parser.add_argument("--port", type=int, default=5110)
        parser.add_argument("--api-key", default=settings.PORTONE_V1_API_KEY or "sandbox-key", help="Accepted imp_key.")
        parser.add_argument(
            "--api-secret", default=settings.PORTONE_V1_API_SECRET or "sandbox-secret", help="Accepted imp_secret."
        )
        parser.add_argument("--webhook-url", default="", help="Notify payments here, as PortOne's webhook does.")

    def handle(self, *args, **options):
        server = start_sandbox(
            api_key=options["api_key"],
            api_secret=options["api_secret"],
            host=options["host"],
            port=options["port"],
            webhook_url=options["webhook_url"],
        )
        self.stdout.write(self.style.SUCCESS(f"PortOne sandbox on {server.url} (imp_key {options['api_key']})"))
        stop = {"now": False}

        def request_stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        try:
            while not stop["now"]:
                signal.pause()
        finally:
            server.shutdown()
            server.server_close()
            self.stdout.write("PortOne sandbox stopped")
