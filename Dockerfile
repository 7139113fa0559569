FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PORT=5100

WORKDIR /app
# The same steps as `make setup` (stocking/tests/test_packaging.py compares them): the Debian
# packages in requirements-debian.txt, the Python requirements, then the fixed requests.
COPY requirements-debian.txt requirements.txt requirements-security.txt ./
RUN apt-get update \
    && apt-get install -y --no-install-recommends $(grep -v '^#' requirements-debian.txt) \
    && rm -rf /var/lib/apt/lists/*
RUN pip install -r requirements.txt
# Second step: a requests with the security fixes, over the version iamport-rest-client pins.
RUN pip install -r requirements-security.txt

COPY . .
RUN python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home --uid 1000 stocking \
    && chown -R stocking:stocking /app
USER stocking

EXPOSE 5100
# The web process. The live stream, the market engine and the PortOne sandbox run from the same
# image with another command: `uvicorn stocking.asgi:application --host 0.0.0.0 --port 5101` (the
# WebSocket stream; set STREAM_URL for the web process), `python manage.py run_market` and
# `python manage.py portone_sandbox --host 0.0.0.0`.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "stocking.wsgi:application"]
