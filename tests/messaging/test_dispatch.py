"""Dispatch of external channels: claiming, sending through the SMS provider and e-mail,
retries with backoff, the rate limit, consent re-checked at claim time, refunds."""

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.core import mail

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import kst
from dangol.core.sms import NhnCloudSms
from dangol.ledger.selectors import ledger_verify
from dangol.messaging import dispatch
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.dispatch import deliveries_claim, deliveries_dispatch, rate_limit_wait
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.messaging.rendering import opt_out_url
from dangol.messaging.selectors import message_credit_balance
from dangol.places.models import Store
from dangol.regulars.services import consent_grant, consent_withdraw
from tests.messaging.sms_server import APP_KEY, OPT_OUT_080, SECRET_KEY, SENDER, FakeNhnSms

pytestmark = pytest.mark.django_db

AFTERNOON = kst(2026, 11, 21, 14, 0)
LEASE = 120
LMS_PRICE = 50


@pytest.fixture
def sms_server(settings) -> Iterator[FakeNhnSms]:
    """The local NHN server, configured as the SMS provider."""
    server = FakeNhnSms(slow_seconds=0.9)
    server.start()
    settings.DANGOL_SMS_BACKEND = "dangol.core.sms.NhnCloudSms"
    settings.DANGOL_SMS_API_URL = server.url
    settings.DANGOL_SMS_API_KEY = APP_KEY
    settings.DANGOL_SMS_API_SECRET = SECRET_KEY
    settings.DANGOL_SMS_SENDER = SENDER
    settings.DANGOL_SMS_OPT_OUT_080 = OPT_OUT_080
    settings.DANGOL_SMS_TIMEOUT_SECONDS = 0.3
    settings.DANGOL_MESSAGING_RATE_PER_SECOND = {"sms": 1000, "email": 1000}
    settings.DANGOL_MESSAGING_LEASE_SECONDS = LEASE
    settings.DANGOL_MESSAGING_BACKOFF_SECONDS = 30
    settings.DANGOL_MESSAGING_MAX_ATTEMPTS = 5
    yield server
    server.stop()


def info_campaign() -> Campaign:
    return Campaign.objects.create(
        kind=Campaign.Kind.INFO, template=Campaign.Template.VOUCHER_RECEIVED,
        body="상품권이 도착했습니다.", audience=Campaign.Audience.DIRECT, channels=["sms"],
        scheduled_at=AFTERNOON, status=Campaign.Status.SENT, idempotency_key=uuid.uuid4().hex,
    )


def queued(
    campaign: Campaign, n: int = 1, *, channel: str = Channel.SMS, **fields
) -> list[Delivery]:
    """Insert `n` queued deliveries of `campaign` (no customer: system notices)."""
    rows = [
        Delivery(
            campaign=campaign, channel=channel, address=f"0101000{i:04d}",
            status=fields.get("status", Delivery.Status.QUEUED), price=0,
            release_at=fields.get("release_at", AFTERNOON),
            next_attempt_at=fields.get("next_attempt_at"),
            claimed_until=fields.get("claimed_until"), attempts=fields.get("attempts", 0),
            opt_out_token=uuid.uuid4().hex,
        )
        for i in range(n)
    ]
    return Delivery.objects.bulk_create(rows)


def send_ad(store: Store, *, channels: tuple[str, ...] = ("sms",)) -> Campaign:
    campaign = campaign_create(
        store=store, kind=Campaign.Kind.AD, body="고등어 30% 할인, 저녁 7시까지",
        audience=Campaign.Audience.ALL, channels=list(channels),
        idempotency_key=uuid.uuid4().hex,
    )
    return campaign_send(campaign=campaign)


def status_of(delivery: Delivery) -> str:
    delivery.refresh_from_db()
    return delivery.status


# --- claiming --------------------------------------------------------------------------------


def test_claim_takes_only_due_rows_and_leases_them(settings) -> None:
    settings.DANGOL_MESSAGING_LEASE_SECONDS = LEASE
    campaign = info_campaign()
    due = queued(campaign, 3)
    later = dt.timedelta(minutes=1)
    queued(campaign, release_at=AFTERNOON + later)  # not released yet
    queued(campaign, next_attempt_at=AFTERNOON + later)  # backing off
    queued(campaign, status=Delivery.Status.HELD)
    queued(campaign, status=Delivery.Status.SENT)
    queued(campaign, channel=Channel.EMAIL)
    queued(campaign, status=Delivery.Status.SENDING, claimed_until=AFTERNOON + later)  # leased
    [backed_off] = queued(campaign, next_attempt_at=AFTERNOON)  # backoff ends now: due

    ids = deliveries_claim(channel=Channel.SMS, limit=50, now=AFTERNOON)

    assert ids == [*(d.pk for d in due), backed_off.pk]
    rows = Delivery.objects.filter(pk__in=ids)
    assert {row.status for row in rows} == {Delivery.Status.SENDING}
    assert {row.claimed_until for row in rows} == {AFTERNOON + dt.timedelta(seconds=LEASE)}
    assert {row.attempts for row in rows} == {1}
    assert deliveries_claim(channel=Channel.SMS, limit=50, now=AFTERNOON) == []


def test_claim_limit_takes_the_oldest_rows() -> None:
    rows = queued(info_campaign(), 5)

    assert deliveries_claim(channel=Channel.SMS, limit=2, now=AFTERNOON) == [
        rows[0].pk, rows[1].pk
    ]
    assert deliveries_claim(channel=Channel.SMS, limit=2, now=AFTERNOON) == [
        rows[2].pk, rows[3].pk
    ]


def test_expired_lease_is_claimable_again(settings) -> None:
    settings.DANGOL_MESSAGING_LEASE_SECONDS = LEASE
    [row] = queued(info_campaign())
    assert deliveries_claim(channel=Channel.SMS, limit=10, now=AFTERNOON) == [row.pk]

    just_before = AFTERNOON + dt.timedelta(seconds=LEASE - 1)
    assert deliveries_claim(channel=Channel.SMS, limit=10, now=just_before) == []
    expired = AFTERNOON + dt.timedelta(seconds=LEASE)
    assert deliveries_claim(channel=Channel.SMS, limit=10, now=expired) == [row.pk]
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.claimed_until == expired + dt.timedelta(seconds=LEASE)


# --- sending SMS -----------------------------------------------------------------------------


def test_ad_sms_goes_out_through_the_provider_with_the_delivery_key(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    first, second = consenting_regular(), consenting_regular()
    credited_store(1_000)
    with clock.travel(AFTERNOON):
        campaign = send_ad(store)
        report = deliveries_dispatch(channel=Channel.LMS)

    rows = list(Delivery.objects.filter(campaign=campaign).order_by("pk"))
    assert [(row.customer_id, row.channel, row.status) for row in rows] == [
        (first.pk, Channel.LMS, Delivery.Status.SENT),
        (second.pk, Channel.LMS, Delivery.Status.SENT),
    ]
    assert (report.claimed, report.sent, report.retried, report.failed) == (2, 2, 0, 0)
    assert {row.sent_at for row in rows} == {AFTERNOON}
    assert all(row.provider_id.endswith(":1") and row.claimed_until is None for row in rows)
    assert sorted(sms_server.accepted) == [f"delivery-{row.pk}" for row in rows]
    for row in rows:
        message = sms_server.accepted[f"delivery-{row.pk}"]
        assert message["kind"] == "ad-mms"  # NHN's ad LMS endpoint
        assert message["body"].startswith("(광고) 바다수산\n고등어 30% 할인, 저녁 7시까지")
        # By SMS the opt-out is the operator's free 080 number, not the web link.
        assert message["body"].endswith("\n무료수신거부 080-123-4567")
        assert opt_out_url(row.opt_out_token) not in message["body"]
        assert message["title"] == "(광고) 바다수산"
        assert message["recipientList"][0]["recipientGroupingKey"] == f"delivery-{row.pk}"
    assert message_credit_balance(store=store) == 1_000 - 2 * LMS_PRICE
    assert ledger_verify().ok


def test_withdrawal_after_sending_and_before_dispatch_is_honoured_and_refunded(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    stays, leaves = consenting_regular(), consenting_regular()
    credited_store(1_000)
    with clock.travel(AFTERNOON):
        campaign = send_ad(store)
    with clock.travel(AFTERNOON + dt.timedelta(seconds=10)):
        consent_withdraw(customer=leaves, store=store)
    with clock.travel(AFTERNOON + dt.timedelta(seconds=20)):
        report = deliveries_dispatch(channel=Channel.LMS)

    kept = Delivery.objects.get(campaign=campaign, customer=stays)
    dropped = Delivery.objects.get(campaign=campaign, customer=leaves)
    assert kept.status == Delivery.Status.SENT
    assert (dropped.status, dropped.suppressed_reason, dropped.refunded) == (
        Delivery.Status.SUPPRESSED, "withdrawn_before_dispatch", True
    )
    assert report.claimed == 1
    assert list(sms_server.accepted) == [f"delivery-{kept.pk}"]
    assert message_credit_balance(store=store) == 1_000 - LMS_PRICE
    assert ledger_verify().ok


def test_claim_judges_consent_at_its_instant_like_the_fan_out_and_the_release(
    store: Store, consenting_regular: Callable[..., User], credited_store: Callable[..., Store],
) -> None:
    # The claim judges the consent at its instant (a consent withdrawn at 14:05 that came
    # back only at 14:20 does not stand at 14:10) and, besides, honours every withdrawal
    # already committed when its statement runs: at 14:40 a claim for 14:10 must not send
    # an ad whose consent was withdrawn at 14:30 — nothing goes out after a withdrawal.
    withdraws_later, comes_back = consenting_regular(), consenting_regular()
    credited_store(1_000)
    with clock.travel(AFTERNOON):
        campaign = send_ad(store)
    for minutes, action, person in [
        (5, consent_withdraw, comes_back), (20, consent_grant, comes_back),
        (30, consent_withdraw, withdraws_later),
    ]:
        with clock.travel(AFTERNOON + dt.timedelta(minutes=minutes)):
            action(customer=person, store=store)

    with clock.travel(AFTERNOON + dt.timedelta(minutes=40)):
        ids = deliveries_claim(
            channel=Channel.LMS, limit=10, now=AFTERNOON + dt.timedelta(minutes=10)
        )

    withdrawn = Delivery.objects.get(campaign=campaign, customer=withdraws_later)
    lapsed = Delivery.objects.get(campaign=campaign, customer=comes_back)
    assert ids == []
    for row in (withdrawn, lapsed):
        assert (row.status, row.suppressed_reason, row.refunded) == (
            Delivery.Status.SUPPRESSED, "withdrawn_before_dispatch", True
        )


def test_a_retry_that_slips_into_the_night_is_held_until_eight_for_day_only_consent(
    sms_server: FakeNhnSms, settings, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    settings.DANGOL_MESSAGING_BACKOFF_SECONDS = 15 * 60
    day_only, night_ok = consenting_regular(), consenting_regular(night=True)
    credited_store(1_000)
    evening = kst(2026, 11, 21, 20, 50)
    sms_server.fail_next(2, "error")
    with clock.travel(evening):
        campaign = send_ad(store)
        first = deliveries_dispatch(channel=Channel.LMS)
    assert (first.retried, first.sent) == (2, 0)

    night = kst(2026, 11, 21, 21, 5)
    report = deliveries_dispatch(channel=Channel.LMS, now=night)

    held = Delivery.objects.get(campaign=campaign, customer=day_only)
    sent = Delivery.objects.get(campaign=campaign, customer=night_ok)
    assert (report.claimed, report.sent) == (1, 1)
    assert sent.status == Delivery.Status.SENT
    assert (held.status, held.release_at, held.claimed_until) == (
        Delivery.Status.HELD, kst(2026, 11, 22, 8, 0), None
    )
    assert list(sms_server.accepted) == [f"delivery-{sent.pk}"]


def test_retryable_errors_back_off_exponentially_then_the_row_is_sent(
    sms_server: FakeNhnSms,
) -> None:
    [row] = queued(info_campaign())
    sms_server.fail_next(2, "error")

    deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (Delivery.Status.QUEUED, 1, "HTTP 500")
    assert row.next_attempt_at == AFTERNOON + dt.timedelta(seconds=30)

    too_soon = AFTERNOON + dt.timedelta(seconds=29)
    assert deliveries_dispatch(channel=Channel.SMS, now=too_soon).claimed == 0
    second = AFTERNOON + dt.timedelta(seconds=30)
    deliveries_dispatch(channel=Channel.SMS, now=second)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.QUEUED, 2)
    assert row.next_attempt_at == second + dt.timedelta(seconds=60)

    third = second + dt.timedelta(seconds=60)
    report = deliveries_dispatch(channel=Channel.SMS, now=third)
    row.refresh_from_db()
    assert report.sent == 1
    assert (row.status, row.attempts, row.error, row.sent_at) == (
        Delivery.Status.SENT, 3, "", third
    )
    assert len(sms_server.accepted) == 1


def test_timeouts_count_as_attempts_and_the_key_is_the_same_each_time(
    sms_server: FakeNhnSms,
) -> None:
    [row] = queued(info_campaign())
    sms_server.fail_next(1, "timeout")

    deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)
    deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON + dt.timedelta(seconds=30))

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.SENT, 2)
    keys = [
        request["body"]["senderGroupingKey"]
        for request in sms_server.requests if request["method"] == "POST"
    ]
    assert keys == [f"delivery-{row.pk}", f"delivery-{row.pk}"]
    assert len(sms_server.sent) == 1


def test_after_the_last_attempt_the_row_fails_and_is_refunded(
    sms_server: FakeNhnSms, settings, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    settings.DANGOL_MESSAGING_MAX_ATTEMPTS = 2
    consenting_regular()
    credited_store(1_000)
    sms_server.fail_next(10, "error")
    with clock.travel(AFTERNOON):
        campaign = send_ad(store)
        deliveries_dispatch(channel=Channel.LMS)
    assert message_credit_balance(store=store) == 1_000 - LMS_PRICE

    report = deliveries_dispatch(channel=Channel.LMS, now=AFTERNOON + dt.timedelta(minutes=1))

    row = Delivery.objects.get(campaign=campaign)
    assert report.failed == 1
    assert (row.status, row.attempts, row.error, row.refunded) == (
        Delivery.Status.FAILED, 2, "HTTP 500", True
    )
    assert message_credit_balance(store=store) == 1_000
    an_hour_later = AFTERNOON + dt.timedelta(hours=1)
    assert deliveries_dispatch(channel=Channel.LMS, now=an_hour_later).claimed == 0
    assert ledger_verify().ok


def test_a_refused_number_fails_at_once_and_is_refunded(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    consenting_regular()
    credited_store(1_000)
    sms_server.fail_next(1, "refuse")
    with clock.travel(AFTERNOON):
        campaign = send_ad(store)
        report = deliveries_dispatch(channel=Channel.LMS)

    row = Delivery.objects.get(campaign=campaign)
    assert report.failed == 1
    assert (row.status, row.attempts, row.refunded) == (Delivery.Status.FAILED, 1, True)
    assert row.error == "-2000: Invalid recipient number"
    assert message_credit_balance(store=store) == 1_000
    assert ledger_verify().ok


def test_a_sent_row_is_never_sent_again(sms_server: FakeNhnSms) -> None:
    queued(info_campaign(), 2)

    assert deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON).sent == 2
    later = AFTERNOON + dt.timedelta(hours=1)
    assert deliveries_dispatch(channel=Channel.SMS, now=later).claimed == 0

    assert len(sms_server.requests) == 2
    assert sms_server.repeats == 0


def test_a_row_a_dead_worker_left_sending_is_repeated_with_the_same_key(
    sms_server: FakeNhnSms,
) -> None:
    [row] = queued(info_campaign())
    # The dead worker's send reached the provider; its answer never got recorded.
    NhnCloudSms().send(
        to=row.address, body="상품권이 도착했습니다.", kind="sms",
        idempotency_key=f"delivery-{row.pk}",
    )
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.SENDING, attempts=1,
        claimed_until=AFTERNOON - dt.timedelta(seconds=1),
    )

    report = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)

    assert report.sent == 1
    assert status_of(row) == Delivery.Status.SENT
    # NHN does not de-duplicate: the retry looked the key up and did not send again.
    assert len(sms_server.sent) == 1
    assert sms_server.repeats == 0
    lookups = [r for r in sms_server.requests if r["method"] == "GET"]
    assert [r["path"].split("?")[1] for r in lookups] == [f"senderGroupingKey=delivery-{row.pk}"]


def test_dispatch_rejects_the_in_app_channel() -> None:
    with pytest.raises(ValueError, match="external"):
        deliveries_dispatch(channel=Channel.IN_APP)


# --- rate limit ------------------------------------------------------------------------------


def test_rate_limit_keeps_each_second_within_the_provider_limit(
    sms_server: FakeNhnSms, settings
) -> None:
    # Given 12 texts queued and a provider limit of 5 a second
    settings.DANGOL_MESSAGING_RATE_PER_SECOND = {"sms": 5, "email": 1000}
    queued(info_campaign(), 12)

    # When one dispatch sends them all
    report = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)

    # Then the provider accepted all 12, never more than 5 in one second of its clock (so
    # they were spread over at least 3 seconds)
    assert report.sent == 12
    assert len(sms_server.accepted_at) == 12
    per_second: dict[int, int] = {}
    for moment in sms_server.accepted_at:
        per_second[int(moment)] = per_second.get(int(moment), 0) + 1
    assert max(per_second.values()) <= 5
    assert len(per_second) >= 3


def test_rate_limit_window_is_shared_through_the_cache(settings) -> None:
    """Two workers (two callers) count in the same cache window: the sixth send of a second
    sleeps until the next second."""
    settings.DANGOL_MESSAGING_RATE_PER_SECOND = {"sms": 5, "email": 1}
    moments = iter([1000.2] * 6 + [1001.0])
    slept: list[float] = []

    for _ in range(5):
        rate_limit_wait(Channel.SMS, now=lambda: next(moments), sleep=slept.append)
    assert slept == []
    rate_limit_wait(Channel.LMS, now=lambda: next(moments), sleep=slept.append)  # same provider
    assert slept == [pytest.approx(0.8)]
    # e-mail has its own bucket
    rate_limit_wait(Channel.EMAIL, now=lambda: 1000.5, sleep=slept.append)
    assert len(slept) == 1


# --- e-mail ----------------------------------------------------------------------------------


def test_ad_email_carries_the_opt_out_link_and_list_unsubscribe(
    settings, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DANGOL_MESSAGING_RATE_PER_SECOND = {"sms": 1000, "email": 1000}
    person = consenting_regular(email="regular@example.com")
    credited_store(1_000)
    with clock.travel(AFTERNOON):
        campaign = send_ad(store, channels=("email",))
        report = deliveries_dispatch(channel=Channel.EMAIL)

    row = Delivery.objects.get(campaign=campaign, customer=person)
    url = opt_out_url(row.opt_out_token)
    assert report.sent == 1
    assert row.status == Delivery.Status.SENT
    [message] = mail.outbox
    assert message.to == ["regular@example.com"]
    assert message.subject == "(광고) 바다수산"
    assert message.body.startswith("(광고) 바다수산\n고등어 30% 할인")
    assert f"무료 수신거부: {url}" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"] == f"<delivery-{row.pk}@dangol>"


def test_informational_email_has_no_unsubscribe_header(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [row] = queued(info_campaign(), channel=Channel.EMAIL)
    Delivery.objects.filter(pk=row.pk).update(address="someone@example.com")

    deliveries_dispatch(channel=Channel.EMAIL, now=AFTERNOON)

    [message] = mail.outbox
    assert message.body == "상품권이 도착했습니다."
    assert "List-Unsubscribe" not in message.extra_headers
    assert status_of(row) == Delivery.Status.SENT


def test_email_without_an_address_fails_at_once(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [row] = queued(info_campaign(), channel=Channel.EMAIL)
    Delivery.objects.filter(pk=row.pk).update(address="")

    report = deliveries_dispatch(channel=Channel.EMAIL, now=AFTERNOON)

    row.refresh_from_db()
    assert report.failed == 1
    assert (row.status, row.error) == (Delivery.Status.FAILED, "no e-mail address")
    assert mail.outbox == []


def test_smtp_error_is_retried(settings, monkeypatch) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [row] = queued(info_campaign(), channel=Channel.EMAIL)
    Delivery.objects.filter(pk=row.pk).update(address="someone@example.com")

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    deliveries_dispatch(channel=Channel.EMAIL, now=AFTERNOON)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.QUEUED, 1)
    assert row.error == "ConnectionRefusedError: smtp down"


# --- the periodic task -----------------------------------------------------------------------


def test_periodic_task_dispatches_every_waiting_channel_through_the_outbox(settings) -> None:
    from dangol.core.models import OutboxMessage
    from dangol.messaging.tasks import deliveries_dispatch_due

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign = info_campaign()
    sms = queued(campaign, 2)
    [email] = queued(campaign, channel=Channel.EMAIL)
    Delivery.objects.filter(pk=email.pk).update(address="someone@example.com")

    with clock.travel(AFTERNOON):
        assert dispatch.channels_waiting() == [Channel.EMAIL, Channel.SMS]
        deliveries_dispatch_due()
        assert dispatch.channels_waiting() == []

    assert {status_of(row) for row in [*sms, email]} == {Delivery.Status.SENT}
    assert OutboxMessage.objects.filter(
        idempotency_key__in=[f"delivery-{row.pk}" for row in sms]
    ).count() == 2
    assert len(mail.outbox) == 1


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_get_the_same_row() -> None:
    """Worker A claims inside a transaction it keeps open (its rows stay locked); worker B,
    on its own connection, skips A's locked rows instead of waiting or taking them."""
    import threading

    from django.db import connections, transaction

    rows = queued(info_campaign(), 30)
    claimed_a: list[int] = []
    claimed_b: list[int] = []
    a_holds, b_done = threading.Event(), threading.Event()

    def worker_a() -> None:
        try:
            with transaction.atomic():
                claimed_a.extend(deliveries_claim(channel=Channel.SMS, limit=10, now=AFTERNOON))
                a_holds.set()
                b_done.wait(timeout=10)
        finally:
            connections.close_all()

    def worker_b() -> None:
        try:
            a_holds.wait(timeout=10)
            claimed_b.extend(deliveries_claim(channel=Channel.SMS, limit=10, now=AFTERNOON))
        finally:
            b_done.set()
            connections.close_all()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert claimed_a == [row.pk for row in rows[:10]]
    assert claimed_b == [row.pk for row in rows[10:20]]
    assert Delivery.objects.filter(status=Delivery.Status.SENDING).count() == 20


# --- queries ---------------------------------------------------------------------------------


def test_claim_is_a_constant_number_of_statements(django_assert_num_queries) -> None:
    campaign = info_campaign()
    queued(campaign, 40)

    # suppress-withdrawn UPDATE and claim UPDATE, each in its own savepoint (2 + 2 + 2).
    with django_assert_num_queries(6):
        assert len(deliveries_claim(channel=Channel.SMS, limit=30, now=AFTERNOON)) == 30


def test_dispatch_writes_one_update_per_sent_row(sms_server: FakeNhnSms) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = info_campaign()
    queued(campaign, 15)

    with CaptureQueriesContext(connection) as five:
        assert deliveries_dispatch(channel=Channel.SMS, limit=5, now=AFTERNOON).sent == 5
    with CaptureQueriesContext(connection) as ten:
        assert deliveries_dispatch(channel=Channel.SMS, limit=10, now=AFTERNOON).sent == 10

    assert len(ten.captured_queries) - len(five.captured_queries) == 5


# --- a withdrawal racing the fan-out and the dispatch ------------------------------------------


def test_withdrawal_committed_before_the_claim_stops_the_send_whatever_its_instant(
    store, consenting_regular, credited_store, frozen_clock
) -> None:
    # The dispatcher reads its clock, then claims; a withdrawal stamped a moment after that
    # reading but committed before the claim statement must still stop the send.
    frozen_clock(AFTERNOON)
    credited_store(1_000)
    person = consenting_regular()
    [row] = Delivery.objects.filter(campaign=send_ad(store))
    frozen_clock(AFTERNOON + dt.timedelta(milliseconds=5))
    consent_withdraw(customer=person, store=store)

    assert deliveries_claim(channel=row.channel, limit=10, now=AFTERNOON) == []

    row.refresh_from_db()
    assert (row.status, row.suppressed_reason, row.refunded) == (
        Delivery.Status.SUPPRESSED, "withdrawn_before_dispatch", True
    )
    assert message_credit_balance(store=store) == 1_000
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("withdraw_at", ["during_fan_out", "before_claim"])
def test_withdrawal_racing_fan_out_and_dispatch_never_lets_a_send_through(
    store, consenting_regular, credited_store, frozen_clock, sms_server, withdraw_at
) -> None:
    """Two connections: the sender fans a campaign out and dispatches it; the customer
    withdraws (a) while the fan-out's transaction is open (the withdrawal waits for nothing:
    it commits while the fan-out holds its locks), or (b) after the fan-out committed and
    after the dispatcher read its clock, before its claim. Either way: no SMS reaches the
    provider, and whatever was charged for the customer is refunded."""
    import threading

    from django.db import connections, transaction

    frozen_clock(AFTERNOON)
    credited_store(1_000)
    person = consenting_regular()
    fanned, withdrawn = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with transaction.atomic():
                campaign = campaign_create(
                    store=store, kind=Campaign.Kind.AD, body="고등어 30% 할인, 저녁 7시까지",
                    audience=Campaign.Audience.ALL, channels=["sms"],
                    idempotency_key=uuid.uuid4().hex,
                )
                if withdraw_at == "during_fan_out":
                    fanned.set()
                    withdrawn.wait(timeout=10)
                campaign_send(campaign=campaign)
            now = clock.now()  # the dispatcher's clock reading, before the withdrawal
            if withdraw_at == "before_claim":
                fanned.set()
                withdrawn.wait(timeout=10)
            deliveries_dispatch(channel=Channel.LMS, now=now)  # the ad's text is an LMS
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
        finally:
            connections.close_all()

    def customer() -> None:
        try:
            fanned.wait(timeout=10)
            # A moment after the sender's clock reading (threads share the frozen clock).
            clock.freeze(AFTERNOON + dt.timedelta(milliseconds=5))
            consent_withdraw(customer=person, store=store)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
        finally:
            withdrawn.set()
            connections.close_all()

    threads = [threading.Thread(target=sender), threading.Thread(target=customer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sms_server.requests == []
    assert not Delivery.objects.filter(
        status__in=[Delivery.Status.SENT, Delivery.Status.SENDING]
    ).exists()
    assert message_credit_balance(store=store) == 1_000
    assert ledger_verify().ok
