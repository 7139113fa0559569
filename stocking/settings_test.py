"""Settings for the test suite: the normal settings with PYTHON_ENV=test (fast hashing, local cache)."""

import os

os.environ["PYTHON_ENV"] = "test"

from stocking.settings import *  # noqa: E402,F401,F403
