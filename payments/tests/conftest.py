"""Every payments test talks to a real PortOne sandbox over HTTP: one server per test session on a free
loopback port, its memory wiped before each test, and the settings pointed at it."""

import pytest

from payments.sandbox import start_sandbox

SANDBOX_KEY = "sandbox-test-key"
SANDBOX_SECRET = "sandbox-test-secret"


@pytest.fixture(scope="session")
def sandbox_server():
    server = start_sandbox(api_key=SANDBOX_KEY, api_secret=SANDBOX_SECRET)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def sandbox(sandbox_server, settings):
    """The sandbox's state (for delays and outages); PortOne settings point at the sandbox."""
    settings.PORTONE_API_URL = sandbox_server.url
    settings.PORTONE_V1_API_KEY = SANDBOX_KEY
    settings.PORTONE_V1_API_SECRET = SANDBOX_SECRET
    settings.PORTONE_STORE_ID = "imp-sandbox"
    settings.PORTONE_CHANNEL_KEY = ""
    settings.PORTONE_SANDBOX = True
    settings.PORTONE_TIMEOUT = 5.0
    sandbox_server.state.reset()
    return sandbox_server.state
