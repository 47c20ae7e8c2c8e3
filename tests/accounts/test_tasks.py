import datetime as dt

import pytest

from dangol.accounts import services, tasks
from dangol.accounts.models import VerificationCode
from dangol.core import clock

pytestmark = pytest.mark.django_db


def test_periodic_purge_task_removes_expired_codes(frozen_clock):
    start = clock.kst(2026, 11, 20, 10, 0)
    frozen_clock(start)
    services.verification_code_send(request=None, phone="010-1234-5678")
    frozen_clock(start + dt.timedelta(days=2))
    # Huey runs tasks immediately in tests (settings.HUEY["immediate"]).
    tasks.purge_expired_verification_codes()
    assert not VerificationCode.objects.exists()


def test_purge_task_is_scheduled_periodically():
    task = tasks.purge_expired_verification_codes.task_class()
    assert task.validate_datetime(dt.datetime(2026, 11, 21, 5, 17))  # noqa: DTZ001
    assert not task.validate_datetime(dt.datetime(2026, 11, 21, 5, 18))  # noqa: DTZ001
