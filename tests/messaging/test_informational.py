"""Informational notices go through the delivery path of messaging: one system campaign
(kind info, no sender, not charged) per notice, an in-app copy visible at once and an SMS
queued for the dispatcher; idempotent per notice."""

import json

import pytest

from dangol.core import clock
from dangol.core.clock import kst
from dangol.messaging import informational
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.notices.models import Notice
from dangol.notices.selectors import notices_for
from dangol.notices.services import notice_send, notices_mark_read
from dangol.vouchers import services as voucher_services
from tests.vouchers.conftest import buy, make_product

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_voucher_gift_to_a_number_creates_notice_in_app_and_queued_sms(
    client, store, customer_factory
):
    giver = customer_factory(phone="+821011112222")
    friend = customer_factory(phone="+821098765432")
    client.force_login(giver)
    body = json.dumps({"to_phone": "010-9876-5432", "message": "생일 축하해"})
    with clock.travel(kst(2026, 11, 21, 23, 30)):  # at night: informational, sent at once
        voucher = buy(make_product(store), giver)
        url = f"/api/me/vouchers/{voucher.pk}/gift"
        first = client.post(url, body, content_type=JSON, headers={"Idempotency-Key": "g-1"})
        again = client.post(url, body, content_type=JSON, headers={"Idempotency-Key": "g-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()

    notice = Notice.objects.get()
    assert (notice.kind, notice.user, notice.phone) == ("voucher_received", friend,
                                                      "+821098765432")
    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.template, campaign.store, campaign.market) == (
        "info", "voucher_received", None, None)
    assert (campaign.audience, campaign.status, campaign.cost, campaign.charge) == (
        "direct", "sent", 0, None)
    assert campaign.idempotency_key == f"notice:{notice.pk}"
    assert campaign.body.startswith("상품권이 도착했습니다\n")
    assert "생일 축하해" in campaign.body

    rows = {d.channel: d for d in Delivery.objects.filter(campaign=campaign)}
    assert set(rows) == {Channel.IN_APP, Channel.LMS} or set(rows) == {Channel.IN_APP,
                                                                     Channel.SMS}
    in_app = rows.pop(Channel.IN_APP)
    (sms,) = rows.values()
    assert Delivery.objects.count() == 2
    assert (in_app.customer, in_app.status, in_app.price, in_app.read_at) == (
        friend, "visible", 0, None)
    assert (sms.customer, sms.address, sms.status, sms.price) == (
        friend, "+821098765432", "queued", 0)
    assert sms.release_at == kst(2026, 11, 21, 23, 30)  # not held for quiet hours
    assert in_app.opt_out_token != sms.opt_out_token


def test_repeating_the_gift_notice_with_the_same_key_creates_nothing_more(store,
                                                                        customer_factory):
    giver = customer_factory()
    voucher = buy(make_product(store), giver)
    gift = voucher_services.voucher_gift(voucher=voucher, to_phone="01055556666")
    before = (Notice.objects.count(), Campaign.objects.count(), Delivery.objects.count())
    assert before == (1, 1, 2)
    notice = Notice.objects.get()
    again = notice_send(phone="01055556666", kind="voucher_received", title="x", body="y",
                        idempotency_key=f"voucher-gift:{gift.pk}")
    assert again.pk == notice.pk
    assert informational.notice_route(notice).pk == Campaign.objects.get().pk
    assert (Notice.objects.count(), Campaign.objects.count(), Delivery.objects.count()) == before


def test_notice_to_an_unknown_number_keeps_the_number_on_the_in_app_copy():
    notice_send(phone="010-1234-0000", kind="expiry", title="만료 안내", body="곧 끝납니다",
                idempotency_key="exp-1")
    in_app = Delivery.objects.get(channel=Channel.IN_APP)
    assert (in_app.customer, in_app.address, in_app.status) == (None, "+821012340000",
                                                                "visible")
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert (sms.customer, sms.address, sms.status) == (None, "+821012340000", "queued")


def test_short_text_goes_as_sms_long_text_as_lms(customer_factory):
    person = customer_factory(phone="+821033334444")
    notice_send(user=person, kind="settlement_paid", title="정산", body="지급",
                idempotency_key="short")
    notice_send(user=person, kind="settlement_paid", title="정산 지급 안내",
                body="가" * 60, idempotency_key="long")
    channels = sorted(Delivery.objects.exclude(channel=Channel.IN_APP)
                      .values_list("campaign__idempotency_key", "channel"))
    short, long_ = (Notice.objects.get(idempotency_key=k).pk for k in ("short", "long"))
    assert channels == sorted([(f"notice:{short}", "sms"), (f"notice:{long_}", "lms")])


def test_user_without_phone_gets_only_the_in_app_copy(customer_factory):
    person = customer_factory(phone=None, email="nophone@example.com")
    notice_send(user=person, kind="consent_reconfirmation", title="확인", body="동의 유지",
                idempotency_key="re-1")
    assert list(Delivery.objects.values_list("channel", "customer")) == [("in_app", person.pk)]
    assert Campaign.objects.get().channels == ["in_app"]


def test_other_notices_stay_notices_only(customer_factory):
    notice_send(user=customer_factory(), kind="other", title="기타", body="안내",
                idempotency_key="o-1")
    assert (Notice.objects.count(), Campaign.objects.count()) == (1, 0)


def test_reading_the_notices_page_reads_the_inbox_copy_and_back(client, customer_factory):
    person = customer_factory(phone="+821077778888")
    notice_send(user=person, kind="expiry", title="만료", body="A", idempotency_key="a")
    notice_send(user=person, kind="expiry", title="만료", body="B", idempotency_key="b")
    assert notices_mark_read(user=person) == 2
    assert not Delivery.objects.filter(channel=Channel.IN_APP, read_at__isnull=True).exists()

    notice_send(user=person, kind="expiry", title="만료", body="C", idempotency_key="c")
    copy = Delivery.objects.get(channel=Channel.IN_APP, read_at__isnull=True)
    client.force_login(person)
    response = client.post(f"/api/me/inbox/{copy.pk}/read")
    assert response.status_code == 200
    assert notices_for(user=person).filter(read_at__isnull=True).count() == 0


def test_a_failing_route_rolls_the_notice_back(monkeypatch, customer_factory):
    def broken(notice):
        raise RuntimeError("boom")

    monkeypatch.setattr(informational.Delivery.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        notice_send(user=customer_factory(), kind="expiry", title="t", body="b",
                    idempotency_key="z")
    assert (Notice.objects.count(), Campaign.objects.count()) == (0, 0)


def test_the_queued_gift_sms_is_dispatched_to_the_outbox_at_night(store, customer_factory):
    from dangol.core.models import OutboxMessage
    from dangol.messaging.dispatch import deliveries_dispatch

    giver = customer_factory()
    with clock.travel(kst(2026, 11, 21, 23, 30)):
        voucher = buy(make_product(store), giver)
        voucher_services.voucher_gift(voucher=voucher, to_phone="010-2222-3333")
        sms = Delivery.objects.exclude(channel=Channel.IN_APP).get()
        report = deliveries_dispatch(channel=sms.channel)
    assert (report.claimed, report.sent) == (1, 1)
    sms.refresh_from_db()
    assert (sms.status, sms.refunded) == ("sent", False)
    message = OutboxMessage.objects.get()
    assert message.recipient == "+821022223333"
    assert message.body.startswith("상품권이 도착했습니다\n")
    assert "(광고)" not in message.body and "수신거부" not in message.body


def test_a_gift_to_a_number_before_sign_up_reaches_the_inbox_once_that_number_signs_up(
    client, store, customer_factory
):
    giver = customer_factory(phone="+821011112222")
    voucher = buy(make_product(store), giver)
    voucher_services.voucher_gift(voucher=voucher, to_phone="010-5555-0000", message="선물")
    copy = Delivery.objects.get(channel=Channel.IN_APP)
    assert (copy.customer, copy.address) == (None, "+821055550000")

    newcomer = customer_factory(phone="+821055550000")
    client.force_login(newcomer)
    inbox = client.get("/me/inbox/")
    assert "상품권이 도착했습니다" in inbox.content.decode()
    assert client.get(f"/me/inbox/{copy.pk}/").status_code == 200
    copy.refresh_from_db()
    assert copy.read_at is not None
    stranger = customer_factory(phone="+821099990000")
    client.force_login(stranger)
    assert client.get(f"/me/inbox/{copy.pk}/").status_code == 404
