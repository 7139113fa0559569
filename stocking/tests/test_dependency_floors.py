"""pip-audit needs a vulnerability database these machines cannot reach, so CI checks instead that
every installed package with a published security fix is at or above the release that fixed it.
Add a row when an advisory names a package the project installs."""

import re
from importlib.metadata import version

import pytest

# (distribution, first fixed release, the advisories that release fixed)
FLOORS = [
    ("Django", "5.2.8", "CVE-2025-64459 (SQL injection via _connector), CVE-2025-64458"),
    ("djangorestframework", "3.15.2", "CVE-2024-21520 (XSS in the browsable API's break_long_headers)"),
    ("djangorestframework-simplejwt", "5.3.1", "CVE-2024-22513 (inactive users' tokens still accepted)"),
    ("PyJWT", "2.10.1", "CVE-2024-53861 (issuer check bypass)"),
    ("gunicorn", "23.0.0", "CVE-2024-1135, CVE-2024-6827 (request smuggling)"),
    ("requests", "2.32.4", "CVE-2023-32681, CVE-2024-35195, CVE-2024-47081"),
    ("urllib3", "2.5.0", "CVE-2025-50181, CVE-2025-50182"),
    ("idna", "3.7", "CVE-2024-3651 (quadratic-time encode)"),
    ("certifi", "2024.7.4", "CVE-2024-39689 (GLOBALTRUST roots removed)"),
    ("sqlparse", "0.5.0", "CVE-2024-4340 (recursion on nested lists)"),
]


def release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


@pytest.mark.parametrize(("package", "fixed", "advisories"), FLOORS, ids=[row[0] for row in FLOORS])
def test_installed_package_has_its_security_fixes(package, fixed, advisories):
    installed = version(package)
    assert release(installed) >= release(fixed), f"{package} {installed} < {fixed}: {advisories}"
