"""core.idempotency: one write per (user, key), stored responses replayed, reuse refused."""

import datetime as dt
import threading

import pytest
from django.db import connection

from dangol.core import clock
from dangol.core.errors import IdempotencyKeyReused, NotFound
from dangol.core.idempotency import (
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotentRequestInProgress,
    idempotency_service_key,
    idempotent_call,
    idempotent_requests_purge,
)
from dangol.core.models import IdempotentRequest, OutboxMessage
from dangol.core.tasks import idempotent_requests_purge_task
from tests.factories import CustomerFactory

NOW = clock.kst(2026, 11, 21, 14, 0)


def _writer(calls: list[int], status: int = 201):
    """Return an action that writes one outbox row and answers with the count of calls."""

    def action() -> tuple[int, dict[str, int]]:
        calls.append(1)
        OutboxMessage.objects.create(channel="sms", recipient="+821012345678", body="x")
        return status, {"calls": len(calls)}

    return action


def _call(user, key, action, *, path="/api/things", payload=None):
    return idempotent_call(
        user_id=user.pk, key=key, method="post", path=path,
        payload={"a": 1} if payload is None else payload, action=action,
    )


@pytest.mark.django_db
def test_repeat_with_same_key_replays_the_stored_response_without_writing_again():
    user, calls = CustomerFactory(), []

    first = _call(user, "k-1", _writer(calls))
    again = _call(user, "k-1", _writer(calls))

    assert (first.status, first.body, first.replayed) == (201, {"calls": 1}, False)
    assert (again.status, again.body, again.replayed) == (201, {"calls": 1}, True)
    assert len(calls) == 1 and OutboxMessage.objects.count() == 1
    stored = IdempotentRequest.objects.get()
    assert (stored.method, stored.path, stored.response_status) == ("POST", "/api/things", 201)


@pytest.mark.django_db
def test_same_key_with_a_different_body_is_refused_as_reused():
    user, calls = CustomerFactory(), []
    _call(user, "k-1", _writer(calls), payload={"a": 1})

    with pytest.raises(IdempotencyKeyReused) as refused:
        _call(user, "k-1", _writer(calls), payload={"a": 2})

    assert refused.value.status == 422 and refused.value.code == "idempotency_key_reused"
    assert len(calls) == 1


@pytest.mark.django_db
def test_same_key_on_another_path_is_refused_as_reused():
    user, calls = CustomerFactory(), []
    _call(user, "k-1", _writer(calls), path="/api/a")

    with pytest.raises(IdempotencyKeyReused):
        _call(user, "k-1", _writer(calls), path="/api/b")


@pytest.mark.django_db
def test_payload_key_order_does_not_change_the_fingerprint():
    user, calls = CustomerFactory(), []
    _call(user, "k-1", _writer(calls), payload={"a": 1, "b": "둘"})

    again = _call(user, "k-1", _writer(calls), payload={"b": "둘", "a": 1})

    assert again.replayed and len(calls) == 1


@pytest.mark.django_db
def test_keys_are_per_user():
    calls: list[int] = []
    _call(CustomerFactory(), "k-1", _writer(calls))

    other = _call(CustomerFactory(), "k-1", _writer(calls))

    assert not other.replayed and len(calls) == 2 and IdempotentRequest.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_key_is_refused_with_a_translated_message(key):
    with pytest.raises(IdempotencyKeyMissing) as refused:
        _call(CustomerFactory(), key, _writer([]))

    assert refused.value.status == 400
    assert "Idempotency-Key 헤더가 필요합니다" in refused.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a b", "x" * 65, "키"])
def test_malformed_key_is_refused(key):
    with pytest.raises(IdempotencyKeyInvalid):
        _call(CustomerFactory(), key, _writer([]))
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_failed_action_stores_nothing_and_rolls_its_writes_back():
    user = CustomerFactory()

    def crash() -> tuple[int, dict[str, int]]:
        OutboxMessage.objects.create(channel="sms", recipient="+821012345678", body="x")
        raise NotFound()

    with pytest.raises(NotFound):
        _call(user, "k-1", crash)

    assert not OutboxMessage.objects.exists() and not IdempotentRequest.objects.exists()
    retried = _call(user, "k-1", _writer([]))
    assert not retried.replayed and OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_purge_deletes_responses_older_than_a_day_and_frees_the_key(frozen_clock):
    user = CustomerFactory()
    frozen_clock(NOW - dt.timedelta(hours=24, seconds=1))
    _call(user, "old", _writer([]))
    frozen_clock(NOW - dt.timedelta(hours=23, minutes=59))
    _call(user, "recent", _writer([]))
    frozen_clock(NOW)

    assert idempotent_requests_purge() == 1

    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    assert not _call(user, "old", _writer([])).replayed


@pytest.mark.django_db
def test_periodic_task_purges(frozen_clock):
    frozen_clock(NOW - dt.timedelta(days=2))
    _call(CustomerFactory(), "old", _writer([]))
    frozen_clock(NOW)

    assert idempotent_requests_purge_task.call_local() == 1
    assert not IdempotentRequest.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_in_progress_is_refused_with_409_on_postgres():
    user = CustomerFactory()
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def slow() -> tuple[int, dict[str, int]]:
        started.set()
        assert release.wait(10)
        OutboxMessage.objects.create(channel="sms", recipient="+821012345678", body="x")
        return 201, {"calls": 1}

    def first() -> None:
        try:
            outcome["first"] = _call(user, "k-1", slow)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    try:
        with pytest.raises(IdempotentRequestInProgress) as refused:
            _call(user, "k-1", _writer([]))
    finally:
        release.set()
        thread.join()

    assert refused.value.status == 409
    assert outcome["first"].body == {"calls": 1}  # type: ignore[attr-defined]
    assert _call(user, "k-1", _writer([])).replayed
    assert OutboxMessage.objects.count() == 1


def test_service_keys_keep_short_keys_and_hash_long_ones():
    uuid = "0b7f3c1e-6a4d-4f7e-9a51-3f0c2d9e8b10"

    assert idempotency_service_key(scope="store:7", key=uuid) == f"api:store:7:{uuid}"
    long_key = idempotency_service_key(scope="user:12", key="x" * 64)
    assert long_key.startswith("api:user:12:h:") and len(long_key) == len("api:user:12:h:") + 32
    assert long_key != idempotency_service_key(scope="user:12", key="x" * 63 + "y")
