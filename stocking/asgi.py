"""ASGI entry point of the live-stream process: `uvicorn stocking.asgi:application` (port 5101).
HTTP is served by gunicorn (stocking.wsgi); requests that reach this process still work."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocking.settings")
django_http = get_asgi_application()  # sets Django up before the consumers' models are imported

from stream.asgi import build_application  # noqa: E402

application = build_application(http=django_http)
