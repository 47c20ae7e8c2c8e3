"""Concurrent taps on PostgreSQL: one follow, one consent, one grant event."""

import threading

import pytest
from django.db import connection

from dangol.regulars import imports, services
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


def test_a_large_import_commits_chunk_by_chunk_and_lets_others_write_between():
    store = StoreFactory()
    rows = imports.IMPORT_CHUNK_ROWS * 2 + 10
    phones = [f"010-{3000 + n // 10_000:04d}-{n % 10_000:04d}" for n in range(rows)]
    data = "\n".join(["이름,휴대전화"] + [f"손님,{phone}" for phone in phones]).encode()
    seen: list[tuple[int, int, int]] = []

    def elsewhere(done: int, total: int) -> None:
        # Another connection sees the committed chunks and can write while the import runs.
        def look() -> None:
            try:
                services.follow_create(customer=CustomerFactory(), store=store)
                seen.append((done, total, Follow.objects.filter(store=store).count()))
            finally:
                connection.close()

        thread = threading.Thread(target=look)
        thread.start()
        thread.join(timeout=10)

    result = imports.regulars_import(store=store, data=data, progress=elsewhere)

    assert result.followed == rows
    assert seen == [
        (imports.IMPORT_CHUNK_ROWS, rows, imports.IMPORT_CHUNK_ROWS + 1),
        (imports.IMPORT_CHUNK_ROWS * 2, rows, imports.IMPORT_CHUNK_ROWS * 2 + 2),
        (rows, rows, rows + 3),
    ]
