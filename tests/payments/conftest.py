"""Payment test fixtures: the local Toss API and providers pointed at it."""

from collections.abc import Iterator

import pytest

from dangol.payments.fakes.toss import SECRET_KEY, FakeToss
from dangol.payments.providers.toss import TossProvider

TOSS_CLIENT_TIMEOUT = 0.3


@pytest.fixture(autouse=True)
def _short_sandbox_timeout(settings):
    settings.PAYMENTS_SANDBOX_TIMEOUT_SECONDS = 0.05
    settings.TOSS_RETRY_DELAYS = (0.0, 0.0)


@pytest.fixture
def toss_server() -> Iterator[FakeToss]:
    server = FakeToss(slow_seconds=TOSS_CLIENT_TIMEOUT * 3)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def toss(toss_server: FakeToss) -> TossProvider:
    return TossProvider(
        secret_key=SECRET_KEY, api_base=toss_server.url, timeout_seconds=TOSS_CLIENT_TIMEOUT
    )


@pytest.fixture
def use_toss(settings, toss_server: FakeToss) -> FakeToss:
    """Make Toss the configured provider, talking to the local server."""
    settings.PAYMENTS_PROVIDER = "toss"
    settings.TOSS_SECRET_KEY = SECRET_KEY
    settings.TOSS_API_BASE = toss_server.url
    settings.TOSS_TIMEOUT_SECONDS = TOSS_CLIENT_TIMEOUT
    return toss_server
