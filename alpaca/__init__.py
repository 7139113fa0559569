"""The Alpaca-compatible API (a Django app), mounted at /alpaca.

Its import name is also the name of alpaca-py, the SDK that bots, the example and this app's tests
use; the tests run the SDK against the live server in one process. So this package lends its name to
the SDK as well: the SDK's subpackages (alpaca.trading, alpaca.data, alpaca.common, ...) are found
through this package's __path__, and `__version__` is the SDK's, which its User-Agent reads. Without
alpaca-py installed (the runtime image) nothing is added. The app's own modules never share a name
with the SDK's.
"""

import os
import sys
from importlib.metadata import PackageNotFoundError, version

_HERE = os.path.dirname(os.path.abspath(__file__))


def _sdk_directories() -> list[str]:
    found = []
    for entry in sys.path:
        candidate = os.path.join(os.path.abspath(entry or os.curdir), "alpaca")
        if candidate != _HERE and os.path.isfile(os.path.join(candidate, "common", "rest.py")):
            found.append(candidate)
    return found


__path__.extend(directory for directory in _sdk_directories() if directory not in __path__)  # noqa: F821

try:
    __version__ = version("alpaca-py")
except PackageNotFoundError:
    __version__ = "0.0.0"
