"""The Dockerfile installs what `make setup` installs, in the same steps (Docker cannot run on the
development machines, so this is how the image's install is kept honest)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def pip_requirement_files(text: str) -> list[str]:
    return re.findall(r"pip install (?:--quiet )?-r (\S+)", text)


def makefile_install_recipe() -> str:
    makefile = (ROOT / "Makefile").read_text()
    return makefile.split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]


def test_the_image_installs_the_same_debian_packages_as_the_setup():
    assert "$(call apt_install,requirements-debian.txt)" in makefile_install_recipe()
    assert "$(grep -v '^#' requirements-debian.txt)" in (ROOT / "Dockerfile").read_text()
    packages = [line for line in (ROOT / "requirements-debian.txt").read_text().split() if not line.startswith("#")]
    assert "default-libmysqlclient-dev" in packages and "pkg-config" in packages


def test_the_image_runs_the_same_pip_steps_in_the_same_order():
    make_steps = pip_requirement_files(makefile_install_recipe())
    docker_steps = pip_requirement_files((ROOT / "Dockerfile").read_text())
    # The image leaves out only the test tools: requirements-dev.txt is requirements.txt plus them.
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()
    runtime = ["requirements.txt" if step == "requirements-dev.txt" else step for step in make_steps]
    # The one other difference: alpaca-py serves the Alpaca API's tests and examples/, not the app, so the
    # image leaves out the setup's third step. It must stay after the fixed requests it needs.
    assert runtime[-1] == "requirements-alpaca.txt" and "requirements-alpaca.txt" not in docker_steps
    assert runtime[:-1] == docker_steps
    assert docker_steps[-1] == "requirements-security.txt"  # the fixed requests comes last in the image


def test_ci_installs_from_the_same_package_lists():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "requirements-debian.txt" in ci and "requirements-debian-test.txt" in ci
