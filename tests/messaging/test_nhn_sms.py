"""NHN Cloud SMS as the real service behaves (issue 13, Deliver 3–6), against the fake in
dangol.core.fakes.nhn_sms: ads through the ad routes under the 080 rule, the 080 block list
in step with consent, a timeout then a retry sending once, no "₩" reaching the provider,
the monthly quota pausing the channel, and delivery reports stored per delivery."""

import datetime as dt
import uuid
from collections.abc import Callable

import pytest

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import kst
from dangol.core.sms import NhnCloudSms, national_number
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.dispatch import deliveries_dispatch
from dangol.messaging.errors import CampaignInvalid
from dangol.messaging.models import Campaign, Channel, Delivery, SmsChannelState
from dangol.messaging.sms_provider import (
    delivery_reports_poll,
    opt_outs_sync,
    sms_channel_paused,
    sms_channel_resume,
)
from dangol.places.models import Store
from dangol.regulars.models import Consent, ConsentEvent
from dangol.regulars.services import consent_withdraw
from tests.messaging.sms_server import APP_KEY, OPT_OUT_080, SECRET_KEY, SENDER, FakeNhnSms
from tests.messaging.test_dispatch import AFTERNOON, info_campaign, queued
from tests.messaging.test_dispatch import sms_server as sms_server  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

BODY = "고등어 30% 할인"


def ad(store: Store, body: str = BODY) -> Campaign:
    campaign = campaign_create(
        store=store, kind=Campaign.Kind.AD, body=body, audience=Campaign.Audience.ALL,
        channels=["sms"], idempotency_key=uuid.uuid4().hex,
    )
    return campaign_send(campaign=campaign)


def adapter(server: FakeNhnSms) -> NhnCloudSms:
    return NhnCloudSms(api_url=server.url, app_key=APP_KEY, secret_key=SECRET_KEY,
                       sender=SENDER, timeout_seconds=0.3, opt_out_080=OPT_OUT_080)


# --- ads under the 080 rule --------------------------------------------------------------------


def test_an_ad_sms_with_the_080_line_goes_through_the_ad_route_and_is_accepted(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    consenting_regular()
    credited_store(1_000)
    with clock.travel(AFTERNOON):
        campaign = ad(store)
        report = deliveries_dispatch(channel=Channel.SMS)

    assert report.sent == 1
    [message] = sms_server.sent
    assert message["kind"] == "ad-sms"
    assert message["body"].startswith("(광고) 바다수산\n")
    assert message["body"].endswith("\n무료수신거부 080-123-4567")
    assert Delivery.objects.get(campaign=campaign).status == Delivery.Status.SENT


def test_an_ad_without_the_080_line_is_refused_by_the_ad_route(sms_server: FakeNhnSms) -> None:
    result = adapter(sms_server).send(
        to="01011112222", body="(광고) 바다수산\n고등어\n무료 수신거부: https://x/o/1/",
        idempotency_key="d-1", ad=True,
    )

    assert result.accepted is False and result.retryable is False
    assert result.error.startswith("-6003")
    assert sms_server.sent == []


def test_an_080_opt_out_becomes_a_withdrawal_and_the_next_ad_is_suppressed(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    person = consenting_regular()
    credited_store(1_000)
    called_at = kst(2026, 11, 21, 13, 30)
    sms_server.block(national_number(person.phone), at=called_at)

    with clock.travel(AFTERNOON):
        assert opt_outs_sync() == (1, 0)
        campaign = ad(store)
        deliveries_dispatch(channel=Channel.SMS)

    consent = Consent.objects.get(customer=person, store=store)
    assert consent.ad_withdrawn_at == called_at
    event = ConsentEvent.objects.get(consent=consent, kind=ConsentEvent.Kind.WITHDRAWN)
    assert (event.method, event.at) == ("080", called_at)
    assert not Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENT).exists()
    assert sms_server.sent == []
    with clock.travel(AFTERNOON + dt.timedelta(minutes=10)):
        assert opt_outs_sync() == (0, 0)  # read once; its own withdrawal is not pushed back


def test_a_withdrawal_made_in_dangol_is_pushed_to_the_080_block_list(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
) -> None:
    person = consenting_regular()
    with clock.travel(AFTERNOON):
        consent_withdraw(customer=person, store=store)
    with clock.travel(AFTERNOON + dt.timedelta(minutes=1)):
        assert opt_outs_sync() == (0, 1)

    assert national_number(person.phone) in sms_server.blocked


# --- sending correctly -------------------------------------------------------------------------


def test_a_timeout_after_the_provider_accepted_then_the_retry_sends_exactly_once(
    sms_server: FakeNhnSms,
) -> None:
    [row] = queued(info_campaign())
    sms_server.fail_next(1, "timeout-after-accepting")

    first = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)
    second = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON + dt.timedelta(minutes=1))

    assert (first.retried, second.sent) == (1, 1)
    row.refresh_from_db()
    assert row.status == Delivery.Status.SENT
    assert len(sms_server.sent) == 1


def test_the_won_sign_never_reaches_the_provider(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
    credited_store: Callable[..., Store],
) -> None:
    consenting_regular()
    credited_store(1_000)
    with clock.travel(AFTERNOON):
        ad(store, body="고등어 ₩12,000")
        report = deliveries_dispatch(channel=Channel.SMS)

    assert report.sent == 1
    assert all("₩" not in str(request["body"]) for request in sms_server.requests)
    assert "고등어 12,000원" in sms_server.sent[0]["body"]


@pytest.mark.parametrize("code", ["-9999", "-2021"])
def test_the_providers_temporary_errors_are_retried_not_final(
    sms_server: FakeNhnSms, code: str
) -> None:
    [row] = queued(info_campaign())
    sms_server.fail_next(1, code)

    first = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)
    second = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON + dt.timedelta(minutes=1))

    assert (first.retried, first.failed, second.sent) == (1, 0, 1)


def test_quota_exhaustion_pauses_the_channel_and_fails_nothing(
    sms_server: FakeNhnSms, mailoutbox, settings,
) -> None:
    settings.ADMINS = [("운영자", "ops@example.com")]
    rows = queued(info_campaign(), 3)
    sms_server.quota = 1

    report = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON)

    assert (report.sent, report.failed) == (1, 0)
    statuses = sorted(Delivery.objects.filter(pk__in=[r.pk for r in rows])
                      .values_list("status", "attempts"))
    assert statuses == [(Delivery.Status.QUEUED, 0), (Delivery.Status.QUEUED, 0),
                        (Delivery.Status.SENT, 1)]
    assert sms_channel_paused(now=AFTERNOON)
    assert "-2052" in SmsChannelState.objects.get().paused_reason
    [told] = mailoutbox  # the operator is told, once
    assert told.to == ["ops@example.com"] and "monthly quota" in told.subject
    # Paused: nothing is claimed, nothing fails, the rows wait.
    later = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON + dt.timedelta(minutes=5))
    assert later.claimed == 0
    # The operator raised the quota and resumed: the rows go out.
    sms_server.quota = None
    sms_channel_resume()
    resumed = deliveries_dispatch(channel=Channel.SMS, now=AFTERNOON + dt.timedelta(minutes=6))
    assert resumed.sent == 2
    assert len(sms_server.sent) == 3


def test_delivery_reports_are_polled_and_stored_per_delivery(sms_server: FakeNhnSms) -> None:
    delivered, failed = queued(info_campaign(), 2)
    with clock.travel(AFTERNOON):
        deliveries_dispatch(channel=Channel.SMS)
        sms_server.set_status(f"delivery-{failed.pk}", "4", "3015")

        assert delivery_reports_poll() == 2

    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert (delivered.report_status, delivered.report_code) == ("delivered", "1000")
    assert (failed.report_status, failed.report_code) == ("failed", "3015")


def test_the_composer_refuses_what_no_sms_can_carry_in_korean(
    store: Store, consenting_regular: Callable[..., User],
) -> None:
    consenting_regular()
    with pytest.raises(CampaignInvalid) as refused:
        campaign_create(
            store=store, kind=Campaign.Kind.AD, body="고등어 할인 🐟", channels=["sms"],
            audience=Campaign.Audience.ALL, idempotency_key=uuid.uuid4().hex,
        )

    assert "문자로 보낼 수 없는 글자가 있습니다: 🐟" in refused.value.message
    # The won sign is not refused: it is sent as 원, and counted so.
    campaign_create(
        store=store, kind=Campaign.Kind.AD, body="고등어 ₩12,000", channels=["sms"],
        audience=Campaign.Audience.ALL, idempotency_key=uuid.uuid4().hex,
    )


def test_an_080_call_does_not_withdraw_a_consent_given_again_after_it(
    sms_server: FakeNhnSms, store: Store, consenting_regular: Callable[..., User],
) -> None:
    person = consenting_regular()
    sms_server.block(national_number(person.phone), at=kst(2026, 11, 21, 13, 0))
    with clock.travel(AFTERNOON):
        opt_outs_sync()
    again = AFTERNOON + dt.timedelta(hours=1)
    consenting_regular(customer=person, granted_at=again, follow=False)

    with clock.travel(again + dt.timedelta(minutes=10)):
        opt_outs_sync()  # the block list still lists the 13:00 call

        assert Consent.objects.get(customer=person, store=store).ad_active
