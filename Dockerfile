FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PORT=5100

# mysqlclient has no Linux wheel: it builds against the MariaDB/MySQL client headers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends default-libmysqlclient-dev pkg-config gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-security.txt ./
RUN pip install -r requirements.txt
# Second step: a requests with the security fixes, over the version iamport-rest-client pins.
RUN pip install -r requirements-security.txt

COPY . .
RUN python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home --uid 1000 stocking \
    && chown -R stocking:stocking /app
USER stocking

EXPOSE 5100
CMD ["gunicorn", "-c", "gunicorn.conf.py", "stocking.wsgi"]
