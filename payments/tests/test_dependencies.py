"""iamport-rest-client pins requests==2.26.0; the project installs a fixed requests over it as a second
step. These fail if that step is lost and an old requests is what actually runs."""

import re
from importlib.metadata import version
from pathlib import Path

from django.conf import settings

FIXED_REQUESTS = (2, 32, 4)  # the last of the security releases after 2.26.0 (2.31.0, 2.32.0, 2.32.4)
ROOT = Path(settings.BASE_DIR)


def release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.match(r"(\d+)\.(\d+)\.(\d+)", text).groups())


def test_the_installed_requests_has_the_security_fixes():
    installed = version("requests")
    assert release(installed) >= FIXED_REQUESTS, f"requests {installed} is older than the fixed 2.32.4"


def test_the_security_requirements_pin_a_fixed_requests():
    pins = re.findall(r"^requests==(\S+)", (ROOT / "requirements-security.txt").read_text(), re.MULTILINE)
    assert len(pins) == 1 and release(pins[0]) >= FIXED_REQUESTS


def test_the_fixed_requests_is_installed_after_the_project_requirements():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.index("-r requirements-security.txt") > makefile.index("-r requirements-dev.txt")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("-r requirements-security.txt") > dockerfile.index("-r requirements.txt")
