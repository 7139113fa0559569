"""Throttle rates come from the environment: THROTTLE_<SCOPE> per scope, THROTTLE_ALL for every scope."""

import json
import os
import subprocess
import sys

from django.conf import settings

PRINT_RATES = (
    "import django; django.setup(); from django.conf import settings; import json; "
    "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
)


def rates_with(**env) -> dict:
    # Settings are read once per process, so each environment gets a fresh interpreter.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THROTTLE_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="stocking.settings")
    out = subprocess.run(
        [sys.executable, "-c", PRINT_RATES],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_each_scope_reads_its_own_variable():
    rates = rates_with(THROTTLE_AUTH="5/min")
    assert rates["auth"] == "5/min"
    assert rates["orders"] == "300/min" and rates["payments"] == "30/min"


def test_throttle_all_overrides_every_scope():
    rates = rates_with(THROTTLE_ALL="100000000/min", THROTTLE_AUTH="5/min")
    assert set(rates) >= {"anon", "user", "auth", "orders", "payments"}
    assert set(rates.values()) == {"100000000/min"}
