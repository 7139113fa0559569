import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_healthz_checks_the_database_without_auth(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1].replace("sqlite3", "sqlite"),
    }


def test_schema_lists_auth_endpoints_with_request_and_response_schemas(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/token", "/api/v1/auth/token/refresh", "/api/v1/auth/logout"):
        operation = paths[path]["post"]
        assert "requestBody" in operation, path
    assert "200" in paths["/api/v1/auth/me"]["get"]["responses"]
    assert "201" in paths["/api/v1/auth/register"]["post"]["responses"]
    assert "/api/v1/orders" in paths


@pytest.mark.django_db
def test_docs_pages_render(client):
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200


def _run_settings(env: dict) -> subprocess.CompletedProcess:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='stocking.settings'; django.setup()"
    return subprocess.run(
        [sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )


def test_production_refuses_default_secret_and_debug():
    assert "SECRET_KEY" in _run_settings({"PYTHON_ENV": "production", "ALLOWED_HOSTS": "x"}).stderr
    strong = "k" * 60
    debug = _run_settings({"PYTHON_ENV": "production", "SECRET_KEY": strong, "DEBUG": "true", "ALLOWED_HOSTS": "x"})
    assert "DEBUG must be off" in debug.stderr
    ok = _run_settings({"PYTHON_ENV": "production", "SECRET_KEY": strong, "ALLOWED_HOSTS": "x"})
    assert ok.returncode == 0, ok.stderr


def test_check_deploy_is_clean_in_production():
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHON_ENV": "production",
        "SECRET_KEY": "s3cr3t-" * 10,
        "ALLOWED_HOSTS": "example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_uri_is_accepted_as_an_alias():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='stocking.settings'; django.setup();"
        "from django.conf import settings; db = settings.DATABASES['default']; print(db['ENGINE'], db['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URI": "mysql://u:p@db.example:3306/stocking"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["django.db.backends.mysql", "stocking"], result.stderr


@pytest.mark.django_db
def test_docs_load_their_assets_from_our_own_static_files(client):
    html = client.get("/docs").content.decode() + client.get("/redoc").content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "jsdelivr" not in html


@pytest.mark.django_db
def test_front_door_is_the_landing_page_linking_sign_up_and_the_api_docs(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/accounts/signup/"' in response.content and b'href="/docs"' in response.content
