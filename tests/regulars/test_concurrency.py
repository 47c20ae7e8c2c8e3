"""Concurrent taps on PostgreSQL: one follow, one consent, one grant event."""

import threading

import pytest
from django.db import connection

from dangol.regulars import services
from dangol.regulars.models import Consent, ConsentEvent, Follow
from tests.factories import CustomerFactory, StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10


def test_concurrent_follow_with_consent_keeps_one_of_each():
    customer, store = CustomerFactory(), StoreFactory()
    barrier = threading.Barrier(THREADS)
    crashes: list[BaseException] = []

    def tap() -> None:
        try:
            barrier.wait()
            services.follow_join(customer=customer, store=store, ad=True, night=True)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashes == []
    assert Follow.objects.count() == 1
    consent = Consent.objects.get()
    assert consent.ad_active and consent.night_active
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.GRANTED).count() == 1
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.NIGHT_GRANTED).count() == 1
