"""The messaging pages: who may see them, what the composer shows and refuses (keeping what
was typed), statistics, the inbox with read receipts and click tracking (no open redirect),
the opt-out link without signing in, the 마감 세일 one-tap, credit, and constant query counts."""

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangol.core import clock
from dangol.core.clock import kst
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.regulars.models import Consent
from tests.coupons.utils import make_template
from tests.factories import (
    CustomerFactory,
    MarketMembershipFactory,
    ProductFactory,
    StoreFactory,
    StoreMembershipFactory,
)

pytestmark = pytest.mark.django_db

DAY = kst(2026, 11, 21, 14, 0)  # a Saturday afternoon
NIGHT = kst(2026, 11, 21, 21, 30)


@pytest.fixture(autouse=True)
def _day(frozen_clock):
    frozen_clock(DAY)


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def association(market):
    return MarketMembershipFactory(market=market, role="association").user


def send(store=None, *, market=None, body="고등어 세일", **extra: Any) -> Campaign:
    """Create and send an ad now through the services (what the composer does)."""
    from dangol.messaging.campaigns import campaign_create, campaign_send

    fields: dict[str, Any] = {
        "store": store, "market": market, "kind": Campaign.Kind.AD,
        "template": Campaign.Template.FREE, "body": body, "image": None,
        "coupon_template": None, "link_url": "", "link_label": "",
        "audience": Campaign.Audience.MARKET if market else Campaign.Audience.ALL,
        "tag": None, "channels": [Channel.IN_APP.value], "scheduled_at": None,
        "idempotency_key": f"test-{uuid.uuid4().hex}", "created_by": None,
    }
    fields.update(extra)
    return campaign_send(campaign=campaign_create(**fields))


def composer_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "body": "오늘 고등어 1손 8,000원!", "audience": "all", "channels": ["in_app"],
        "when": "now", "scheduled_at": "", "link_url": "", "link_label": "",
        "idempotency_key": f"web-{uuid.uuid4().hex}", "action": "send",
    }
    data.update(overrides)
    return data


def inbox_item(customer, campaign) -> Delivery:
    return Delivery.objects.get(campaign=campaign, customer=customer, channel=Channel.IN_APP)


# --- permissions -----------------------------------------------------------------------------


def test_store_pages_need_sign_in_and_the_store(client, store, owner, customer_factory):
    url = reverse("messaging:store_messages", args=[store.pk])
    assert client.get(url).status_code == 302  # to sign in

    other = StoreMembershipFactory(store=StoreFactory()).user
    client.force_login(other)
    for name in ("store_messages", "store_message_new", "store_credit"):
        assert client.get(reverse(f"messaging:{name}", args=[store.pk])).status_code == 403
    assert client.post(reverse("messaging:closing_sale", args=[store.pk]),
                       {"item": "x", "price": 1, "until": "19:00",
                        "idempotency_key": "k"}).status_code == 403
    client.force_login(customer_factory())
    assert client.get(url).status_code == 403
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert client.get(reverse("messaging:store_messages", args=[99999])).status_code == 404


def test_market_pages_are_for_its_association_only(client, store, market, owner, association):
    url = reverse("messaging:market_messages", args=[market.pk])
    client.force_login(owner)  # a merchant of the market is not its association
    assert client.get(url).status_code == 403
    tutor = MarketMembershipFactory(market=market, role="tutor").user
    client.force_login(tutor)
    assert client.get(url).status_code == 403
    client.force_login(association)
    assert client.get(url).status_code == 200
    assert client.get(reverse("messaging:market_message_new", args=[market.pk])).status_code == 200


def test_statistics_of_another_senders_campaign_is_not_found(
    client, store, owner, credited_store, consenting_regular
):
    other = StoreFactory(market=store.market, phone="+82515440000")
    credited_store(1_000, other)
    consenting_regular(other)
    campaign = send(other)
    client.force_login(owner)
    url = reverse("messaging:store_message", args=[store.pk, campaign.pk])
    assert client.get(url).status_code == 404


# --- composer --------------------------------------------------------------------------------


def test_composer_previews_the_exact_recipient_text_cost_and_balance(
    client, store, owner, credited_store, consenting_regular
):
    credited_store(1_000)
    consenting_regular()
    consenting_regular()
    client.force_login(owner)

    page = client.post(
        reverse("messaging:store_message_new", args=[store.pk]),
        composer_data(body="오늘 고등어 1손 8,000원!", action="preview"),
    )

    html = page.content.decode()
    assert page.status_code == 200
    preview = re.search(r'data-preview>(.*?)</div>', html, re.S).group(1)
    lines = preview.split("\n")
    assert lines[0] == "(광고) 바다수산"
    assert lines[1] == "오늘 고등어 1손 8,000원!"
    assert "051-544-1234" in lines[2]
    assert lines[3].startswith("무료 수신거부: http://testserver/o/")  # per recipient
    assert 'data-stat="targeted">2<' in html
    assert 'data-stat="cost">₩30<' in html  # 2 × in-app ₩15
    assert 'data-stat="balance">₩1,000<' in html
    assert Campaign.objects.count() == 0  # a preview sends nothing


def test_composer_previews_the_sms_text_as_sent_with_the_free_080_line(
    client, store, owner, settings
):
    settings.DANGOL_SMS_OPT_OUT_080 = "0801234567"
    client.force_login(owner)

    page = client.post(
        reverse("messaging:store_message_new", args=[store.pk]),
        composer_data(body="오늘 고등어 ₩8,000!", action="preview"),
    )

    html = page.content.decode()
    sms = re.search(r"data-sms-preview>(.*?)</div>", html, re.S).group(1).split("\n")
    assert sms[0] == "(광고) 바다수산"
    assert sms[1] == "오늘 고등어 8,000원!"  # as sent: the won sign is not in EUC-KR
    assert sms[-1] == "무료수신거부 080-123-4567"
    in_app = re.search(r"data-preview>(.*?)</div>", html, re.S).group(1)
    assert in_app.split("\n")[-1].startswith("무료 수신거부: http://testserver/o/")


def test_composer_sends_by_day_and_shows_statistics(
    client, store, owner, credited_store, consenting_regular
):
    credited_store(1_000)
    first, second = consenting_regular(), consenting_regular(night=True)
    CustomerFactory()  # not a regular: never targeted
    client.force_login(owner)

    response = client.post(reverse("messaging:store_message_new", args=[store.pk]),
                           composer_data())

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:store_message", args=[store.pk, campaign.pk])
    assert set(campaign.deliveries.values_list("customer_id", "status")) == {
        (first.pk, "visible"), (second.pk, "visible"),
    }
    assert campaign.cost == 30 and campaign.created_by_id == owner.pk
    page = client.get(response["Location"]).content.decode()
    assert 'data-stat="targeted">2<' in page
    assert 'data-stat="delivered">2<' in page
    assert 'data-stat="cost">₩30<' in page


def test_credit_short_is_refused_with_cost_and_balance_and_keeps_the_text(
    client, store, owner, credited_store, consenting_regular
):
    credited_store(20)
    consenting_regular()
    consenting_regular()
    client.force_login(owner)

    response = client.post(
        reverse("messaging:store_message_new", args=[store.pk]),
        composer_data(body="이 글은 그대로 남아야 합니다", link_url="https://example.kr/sale",
                      link_label="자세히"),
    )

    html = response.content.decode()
    assert response.status_code == 402
    assert "메시지 충전금이 부족합니다" in html
    error = re.search(r"data-error>(.*?)</div>", html, re.S).group(1)
    assert "30" in error and "20" in error  # cost ₩30, balance ₩20
    assert "이 글은 그대로 남아야 합니다</textarea>" in html
    assert 'value="https://example.kr/sale"' in html and 'value="자세히"' in html
    assert Campaign.objects.count() == 0 and Delivery.objects.count() == 0


def test_too_long_text_is_refused_and_kept(client, store, owner, credited_store):
    credited_store(1_000)
    client.force_login(owner)
    body = "가" * 1001

    response = client.post(reverse("messaging:store_message_new", args=[store.pk]),
                           composer_data(body=body))

    assert response.status_code == 400
    assert body + "</textarea>" in response.content.decode()
    assert Campaign.objects.count() == 0


def test_at_night_the_merchant_is_told_how_many_are_held_before_sending(
    client, store, owner, credited_store, consenting_regular, frozen_clock
):
    credited_store(1_000)
    night_ok = consenting_regular(night=True)
    day_only = consenting_regular()
    frozen_clock(NIGHT)
    client.force_login(owner)
    url = reverse("messaging:store_message_new", args=[store.pk])
    data = composer_data()

    first = client.post(url, data)

    html = first.content.decode()
    assert first.status_code == 409
    assert "1명은 야간 수신 동의가 없어 내일 08:00에 보냅니다" in html
    assert Campaign.objects.count() == 0
    assert 'name="held_ack" value="1"' in html

    second = client.post(url, {**data, "held_ack": "1"})

    assert second.status_code == 302
    campaign = Campaign.objects.get()
    assert inbox_item(night_ok, campaign).status == Delivery.Status.VISIBLE
    held = inbox_item(day_only, campaign)
    assert held.status == Delivery.Status.HELD
    assert held.release_at == kst(2026, 11, 22, 8, 0)


def test_scheduled_send_creates_a_scheduled_campaign_in_korean_time(
    client, store, owner, credited_store, consenting_regular
):
    credited_store(1_000)
    consenting_regular()
    client.force_login(owner)

    response = client.post(
        reverse("messaging:store_message_new", args=[store.pk]),
        composer_data(when="later", scheduled_at="2026-11-22T10:30"),
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert campaign.scheduled_at == kst(2026, 11, 22, 10, 30)
    assert campaign.deliveries.count() == 0


def test_a_time_already_come_is_sent_at_once_as_the_api_does(
    client, store, owner, credited_store, consenting_regular
):
    # The composer once scheduled any chosen time, even the current minute, and left the
    # message to the minute task, while the API sent a time already come at once.
    credited_store(1_000)
    regular = consenting_regular()
    client.force_login(owner)

    response = client.post(
        reverse("messaging:store_message_new", args=[store.pk]),
        composer_data(when="later", scheduled_at="2026-11-21T14:00"),  # now (DAY)
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.sent_at) == (Campaign.Status.SENT, DAY)
    assert list(campaign.deliveries.values_list("customer_id", "status")) == [
        (regular.pk, "visible")
    ]


def test_market_association_sends_to_market_followers(
    client, market, association, credited_market, consenting_regular
):
    credited_market(1_000)
    follower = consenting_regular(market=market)
    client.force_login(association)

    response = client.post(reverse("messaging:market_message_new", args=[market.pk]),
                           composer_data(audience="market"))

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.market_id == market.pk and campaign.store_id is None
    assert inbox_item(follower, campaign).status == Delivery.Status.VISIBLE


# --- statistics ------------------------------------------------------------------------------


def test_statistics_count_read_clicked_and_opt_outs(
    client, store, owner, credited_store, consenting_regular
):
    credited_store(1_000)
    people = [consenting_regular() for _ in range(3)]
    unconsented = CustomerFactory()
    from dangol.regulars.services import follow_create

    follow_create(customer=unconsented, store=store)
    campaign = send(store, link_url="https://example.kr/sale", link_label="보기")
    a, b, c = (inbox_item(p, campaign) for p in people)
    client.force_login(people[0])
    client.get(reverse("messaging:inbox_message", args=[a.pk]))
    client.get(reverse("messaging:go", args=[a.pk, a.opt_out_token]))
    client.force_login(people[1])
    client.get(reverse("messaging:inbox_message", args=[b.pk]))
    client.logout()
    client.post(reverse("messaging:opt_out", args=[c.opt_out_token]))

    client.force_login(owner)
    page = client.get(reverse("messaging:store_message", args=[store.pk, campaign.pk]))

    html = page.content.decode()
    assert 'data-stat="targeted">4<' in html
    assert 'data-stat="suppressed-no-consent">1<' in html
    assert 'data-stat="delivered">3<' in html
    assert 'data-stat="read">2<' in html
    assert 'data-stat="clicked">1<' in html
    assert 'data-stat="opt-outs">1<' in html
    assert 'data-stat="cost">₩45<' in html


# --- inbox -----------------------------------------------------------------------------------


def test_inbox_newest_first_unread_bold_and_opening_marks_read(
    client, store, credited_store, consenting_regular, frozen_clock
):
    credited_store(1_000)
    customer = consenting_regular()
    older = send(store, body="어제 소식")
    frozen_clock(DAY + dt.timedelta(hours=1))
    newer = send(store, body="오늘 소식")
    client.force_login(customer)

    html = client.get(reverse("messaging:inbox")).content.decode()

    assert html.index("오늘 소식") < html.index("어제 소식")
    assert html.count('class="unread"') == 2
    assert 'data-unread="2"' in html  # the header badge

    item = inbox_item(customer, newer)
    page = client.get(reverse("messaging:inbox_message", args=[item.pk]))
    text = page.content.decode()
    assert "(광고) 바다수산" in text and "무료 수신거부" in text
    assert f"/o/{item.opt_out_token}/" in text
    item.refresh_from_db()
    assert item.read_at == DAY + dt.timedelta(hours=1)
    html = client.get(reverse("messaging:inbox")).content.decode()
    assert html.count('class="unread"') == 1 and 'data-unread="1"' in html
    assert inbox_item(customer, older).read_at is None


def test_someone_elses_message_is_not_found(client, store, credited_store, consenting_regular):
    credited_store(1_000)
    customer = consenting_regular()
    campaign = send(store)
    client.force_login(CustomerFactory())
    item = inbox_item(customer, campaign)
    assert client.get(reverse("messaging:inbox_message", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_link_button_records_the_click_and_goes_only_to_the_campaigns_url(
    client, store, credited_store, consenting_regular
):
    credited_store(1_000)
    customer = consenting_regular()
    campaign = send(store, link_url="https://example.kr/sale", link_label="보기")
    item = inbox_item(customer, campaign)
    url = reverse("messaging:go", args=[item.pk, item.opt_out_token])

    response = client.get(url + "?next=https://evil.example/&url=https://evil.example/")

    assert response.status_code == 302 and response["Location"] == "https://example.kr/sale"
    item.refresh_from_db()
    assert item.clicked_at == DAY
    bad = reverse("messaging:go", args=[item.pk, "0" * 32])
    assert client.get(bad).status_code == 404
    plain = send(store, body="링크 없음")
    plain_item = inbox_item(customer, plain)
    url = reverse("messaging:go", args=[plain_item.pk, plain_item.opt_out_token])
    assert client.get(url + "?next=https://evil.example/").status_code == 404


def test_inbox_shows_coupon_and_link_buttons(
    client, store, credited_store, consenting_regular
):
    credited_store(1_000)
    customer = consenting_regular()
    template = make_template(store, name="고등어 1,000원 할인",
                             valid_from=DAY - dt.timedelta(days=1),
                             valid_until=DAY + dt.timedelta(days=7))
    campaign = send(store, coupon_template=template, link_url="https://example.kr/a",
                    link_label="가게 소식")
    item = inbox_item(customer, campaign)
    client.force_login(customer)

    html = client.get(reverse("messaging:inbox_message", args=[item.pk])).content.decode()

    assert "쿠폰 받기: 고등어 1,000원 할인" in html
    assert f'value="{template.pk}"' in html
    assert "가게 소식" in html
    assert reverse("messaging:go", args=[item.pk, item.opt_out_token]) in html


# --- opt-out ---------------------------------------------------------------------------------


def test_opt_out_works_signed_out_and_stops_the_next_campaign(
    client, store, credited_store, consenting_regular, frozen_clock
):
    credited_store(1_000)
    customer = consenting_regular()
    stays = consenting_regular()
    first = send(store)
    item = inbox_item(customer, first)
    url = reverse("messaging:opt_out", args=[item.opt_out_token])

    page = client.get(url)
    assert page.status_code == 200
    assert "바다수산" in page.content.decode() and "수신 거부" in page.content.decode()
    frozen_clock(DAY + dt.timedelta(minutes=5))
    done = client.post(url)

    assert done.status_code == 200 and "data-done" in done.content.decode()
    consent = Consent.objects.get(customer=customer, store=store)
    assert consent.ad_withdrawn_at == DAY + dt.timedelta(minutes=5)
    item.refresh_from_db()
    assert item.opted_out_at == DAY + dt.timedelta(minutes=5)
    assert client.post(url).status_code == 200  # again: nothing changes, still confirmed
    item.refresh_from_db()
    assert item.opted_out_at == DAY + dt.timedelta(minutes=5)

    frozen_clock(DAY + dt.timedelta(minutes=10))
    second = send(store, body="다음 소식")
    assert not Delivery.objects.filter(
        campaign=second, customer=customer, status=Delivery.Status.VISIBLE
    ).exists()
    assert inbox_item(stays, second).status == Delivery.Status.VISIBLE


def test_opt_out_with_an_unknown_token_is_not_found(client):
    assert client.get(reverse("messaging:opt_out", args=["f" * 32])).status_code == 404
    assert client.post(reverse("messaging:opt_out", args=["f" * 32])).status_code == 404


# --- 마감 세일 -------------------------------------------------------------------------------


def test_merchant_home_offers_closing_sale_with_defaults(client, store, owner):
    ProductFactory(store=store, name="고등어 1손", price=12000, position=0)
    ProductFactory(store=store, name="갈치", price=20000, position=1)
    client.force_login(owner)

    html = client.get(reverse("web:merchant")).content.decode()

    assert "마감 세일" in html
    assert 'name="item" maxlength="50" required value="고등어 1손"' in html
    assert 'value="8400"' in html  # 12,000 − 30 %
    assert 'value="19:00"' in html


def test_closing_sale_by_day_sends_at_once(
    client, store, owner, credited_store, consenting_regular
):
    credited_store(1_000)
    customer = consenting_regular()
    client.force_login(owner)

    response = client.post(reverse("messaging:closing_sale", args=[store.pk]), {
        "item": "고등어 1손", "price": "8400", "until": "19:00", "idempotency_key": "sale-1",
    })

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.template == Campaign.Template.CLOSING_SALE
    assert "고등어 1손" in campaign.body and "₩8,400" in campaign.body and "19:00" in campaign.body
    assert inbox_item(customer, campaign).status == Delivery.Status.VISIBLE
    again = client.post(reverse("messaging:closing_sale", args=[store.pk]), {
        "item": "고등어 1손", "price": "8400", "until": "19:00", "idempotency_key": "sale-1",
    })
    assert again.status_code == 302 and Campaign.objects.count() == 1  # a double tap


def test_closing_sale_at_night_asks_to_confirm_the_held_count(
    client, store, owner, credited_store, consenting_regular, frozen_clock
):
    credited_store(1_000)
    consenting_regular(night=True)
    consenting_regular()
    frozen_clock(NIGHT)
    client.force_login(owner)
    data = {"item": "고등어 1손", "price": "8400", "until": "22:00", "idempotency_key": "s-2"}

    first = client.post(reverse("messaging:closing_sale", args=[store.pk]), data)

    assert first.status_code == 200
    assert "1명은 야간 수신 동의가 없어 내일 08:00에 보냅니다" in first.content.decode()
    assert Campaign.objects.count() == 0
    second = client.post(reverse("messaging:closing_sale", args=[store.pk]),
                         {**data, "held_ack": "1"})
    assert second.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.held_quiet_hours == 1


# --- credit ----------------------------------------------------------------------------------


def test_credit_page_tops_up_with_the_sandbox_card(client, store, owner):
    client.force_login(owner)
    url = reverse("messaging:store_credit", args=[store.pk])
    assert 'data-stat="balance">₩0<' in client.get(url).content.decode()

    response = client.post(url, {"amount": "10000", "card_number": CARD_APPROVE,
                                 "idempotency_key": "top-1"})

    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert 'data-stat="balance">₩10,000<' in html
    assert "₩10,000" in html.split("사용·충전 내역")[1]


# --- query counts ----------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_and_list_pages_have_constant_query_counts(
    client, store, owner, credited_store, consenting_regular, frozen_clock
):
    credited_store(10_000)
    customer = consenting_regular()
    send(store, body="하나")
    client.force_login(customer)
    inbox_url = reverse("messaging:inbox")
    one = _queries(client, inbox_url)
    client.force_login(owner)
    list_url = reverse("messaging:store_messages", args=[store.pk])
    list_one = _queries(client, list_url)
    other = StoreFactory(market=store.market, phone="+82515440001")
    credited_store(10_000, other)
    consenting_regular(other, customer=customer)
    for n in range(4):
        frozen_clock(DAY + dt.timedelta(minutes=n + 1))
        send(store, body=f"소식 {n}")
        send(other, body=f"다른 가게 {n}")

    client.force_login(customer)
    assert _queries(client, inbox_url) == one
    client.force_login(owner)
    assert _queries(client, list_url) == list_one
    clock.freeze(None)
