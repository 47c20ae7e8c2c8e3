"""Messaging API: compose/check, idempotent send, statistics and credit for stores and
market channels; the customer's inbox with unread count and read receipts."""

import json

import pytest
from django.utils.dateparse import parse_datetime

from dangol.accounts.services import api_token_create
from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger.selectors import ledger_verify
from dangol.messaging import selectors
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.regulars.services import follow_create
from tests.factories import MarketMembershipFactory, StaffUserFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db
JSON = "application/json"
EVENING = kst(2026, 11, 20, 20, 30)  # a Friday, before quiet hours
NIGHT = kst(2026, 11, 20, 21, 30)
BODY = "고등어 30% 할인, 오늘 저녁 7시까지"


@pytest.fixture(autouse=True)
def _evening(frozen_clock):
    frozen_clock(EVENING)


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def association(market):
    return MarketMembershipFactory(market=market, role="association").user


def bearer(user, scope=""):
    _token, secret = api_token_create(user=user, name="포스", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def post(client, url, body, headers=None, key=None):
    headers = dict(headers or {})
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(url, json.dumps(body), content_type=JSON, headers=headers)


@pytest.fixture
def audience(consenting_regular, customer_factory, store):
    """Two consented regulars (one with night consent) and a follower without consent."""
    day_only = consenting_regular()
    night = consenting_regular(night=True)
    follower = customer_factory()
    follow_create(customer=follower, store=store)
    return day_only, night, follower


# --- check ----------------------------------------------------------------------------------


def test_check_counts_cost_balance_and_preview_without_writing(
    client, store, owner, audience, credited_store
):
    credited_store(1_000)
    url = f"/api/stores/{store.pk}/campaigns/check"
    response = post(client, url, {"body": BODY}, bearer(owner))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["targeted"], data["eligible"], data["eligible_now"], data["held"]) == (3, 2, 2, 0)
    assert data["suppressed_no_consent"] == 1
    assert (data["cost"], data["balance"], data["problems"]) == (30, 1_000, [])
    assert data["deliveries"] == {"in_app": 2}
    lines = data["preview"].splitlines()
    assert lines[0] == "(광고) 바다수산" and lines[1] == BODY
    assert lines[2] == "연락처: 051-544-1234"
    assert lines[3].startswith("무료 수신거부: ") and "/o/" in lines[3]
    assert Campaign.objects.count() == 0 and Delivery.objects.count() == 0


def test_check_shows_the_sms_text_as_sent_with_the_free_080_line(
    client, store, owner, audience, settings
):
    settings.DANGOL_SMS_OPT_OUT_080 = "0801234567"
    url = f"/api/stores/{store.pk}/campaigns/check"
    response = post(client, url, {"body": "고등어 ₩8,000"}, bearer(owner))

    lines = response.json()["sms_preview"].splitlines()
    assert lines[1] == "고등어 8,000원"
    assert lines[-1] == "무료수신거부 080-123-4567"
    assert response.json()["preview"].splitlines()[-1].startswith("무료 수신거부: ")


def test_check_at_night_tells_how_many_will_be_held(client, store, owner, audience,
                                                   credited_store):
    credited_store(1_000)
    body = {"body": BODY, "scheduled_at": NIGHT.isoformat()}
    data = post(client, f"/api/stores/{store.pk}/campaigns/check", body, bearer(owner)).json()
    assert (data["eligible"], data["eligible_now"], data["held"]) == (2, 1, 1)
    assert parse_datetime(data["release_at"]) == kst(2026, 11, 21, 8, 0)


def test_check_reports_short_credit_and_sms_kind(client, store, owner, audience, credited_store):
    credited_store(20)
    body = {"body": BODY, "channels": ["in_app", "sms"]}
    data = post(client, f"/api/stores/{store.pk}/campaigns/check", body, bearer(owner)).json()
    # SMS: the rendered ad (prefix, contact, opt-out line) is over 90 bytes → LMS ₩50
    assert (data["sms_channel"], data["cost"], data["balance"]) == ("lms", 2 * 15 + 2 * 50, 20)
    assert len(data["problems"]) == 1 and "₩130" in data["problems"][0]
    assert "₩20" in data["problems"][0]


# --- send -----------------------------------------------------------------------------------


def test_send_needs_an_idempotency_key(client, store, owner, audience, credited_store):
    credited_store(1_000)
    response = post(client, f"/api/stores/{store.pk}/campaigns", {"body": BODY}, bearer(owner))
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert Campaign.objects.count() == 0


def test_send_now_fans_out_charges_and_a_repeat_returns_the_first_answer(
    client, store, owner, audience, credited_store
):
    credited_store(1_000)
    day_only, night, follower = audience
    headers = bearer(owner)
    url = f"/api/stores/{store.pk}/campaigns"
    first = post(client, url, {"body": BODY}, headers, key="sale-1")
    again = post(client, url, {"body": BODY}, headers, key="sale-1")
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again.json() == first.json()
    data = first.json()
    assert (data["status"], data["kind"], data["store_id"], data["market_id"]) == (
        "sent", "ad", store.pk, None)
    assert (data["targeted"], data["suppressed_no_consent"], data["cost"]) == (3, 1, 30)
    stats = data["stats"]
    assert (stats["delivered"], stats["held"], stats["deliveries"], stats["net_cost"]) == (
        2, 0, 2, 30)
    assert stats["suppressed"] == {"no_consent": 1}
    campaign = Campaign.objects.get()
    assert campaign.created_by == owner
    assert sorted(Delivery.objects.values_list("customer_id", "status")) == sorted(
        [(day_only.pk, "visible"), (night.pk, "visible")])
    assert selectors.message_credit_balance(store=store) == 970
    assert ledger_verify().ok

    changed = post(client, url, {"body": "다른 내용"}, headers, key="sale-1")
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
    assert Campaign.objects.count() == 1


def test_send_at_night_holds_those_without_night_consent(client, store, owner, audience,
                                                        credited_store, frozen_clock):
    credited_store(1_000)
    day_only, night, _follower = audience
    frozen_clock(NIGHT)
    response = post(client, f"/api/stores/{store.pk}/campaigns", {"body": BODY},
                    bearer(owner), key="night-1")
    assert response.status_code == 201, response.content
    assert (response.json()["held_quiet_hours"], response.json()["stats"]["held"]) == (1, 1)
    rows = dict(Delivery.objects.values_list("customer_id", "status"))
    assert rows == {day_only.pk: "held", night.pk: "visible"}
    assert Delivery.objects.get(customer=day_only).release_at == kst(2026, 11, 21, 8, 0)


def test_send_over_the_credit_is_refused_with_cost_and_balance_and_writes_nothing(
    client, store, owner, audience, credited_store
):
    credited_store(20)
    response = post(client, f"/api/stores/{store.pk}/campaigns", {"body": BODY},
                    bearer(owner), key="short-1")
    assert response.status_code == 402
    assert response.json()["code"] == "message_credit_short"
    assert "₩30" in response.json()["message"] and "₩20" in response.json()["message"]
    assert (Campaign.objects.count(), Delivery.objects.count()) == (0, 0)
    assert selectors.message_credit_balance(store=store) == 20
    # topped up, the same key may be used again: the refusal stored nothing
    credited_store(100)
    retry = post(client, f"/api/stores/{store.pk}/campaigns", {"body": BODY},
                 bearer(owner), key="short-1")
    assert retry.status_code == 201 and retry.json()["cost"] == 30


def test_scheduled_send_is_stored_not_sent(client, store, owner, audience, credited_store):
    credited_store(1_000)
    later = kst(2026, 11, 21, 10, 0)
    response = post(client, f"/api/stores/{store.pk}/campaigns",
                    {"body": BODY, "scheduled_at": later.isoformat()}, bearer(owner), key="s-1")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["cost"], data["stats"]["deliveries"]) == ("scheduled", 0, 0)
    assert parse_datetime(data["scheduled_at"]) == later
    assert Delivery.objects.count() == 0
    assert selectors.message_credit_balance(store=store) == 1_000


def test_invalid_campaign_is_refused_with_its_reason(client, store, owner, credited_store):
    credited_store(1_000)
    response = post(client, f"/api/stores/{store.pk}/campaigns",
                    {"body": BODY, "link_url": "https://example.com"}, bearer(owner), key="x")
    assert response.status_code == 400
    assert response.json()["code"] == "campaign_invalid"
    assert Campaign.objects.count() == 0


def test_informational_free_text_is_refused(client, store, owner, credited_store):
    credited_store(1_000)
    response = post(client, f"/api/stores/{store.pk}/campaigns",
                    {"body": BODY, "kind": "info"}, bearer(owner), key="info-1")
    assert response.status_code == 400 and response.json()["code"] == "campaign_invalid"


def test_an_ad_cannot_go_out_as_an_informational_template(
    client, store, owner, credited_store, customer_factory, frozen_clock
):
    # The probe: at 23:29 an "expiry" notice with the merchant's own text reached 5
    # regulars without ad consent. A merchant cannot write an informational message at all.
    frozen_clock(kst(2026, 11, 20, 23, 29))
    credited_store(1_000)
    for _ in range(5):
        follow_create(customer=customer_factory(), store=store)
    body = {"kind": "info", "template": "expiry", "body": "오늘만 50% 할인",
            "channels": ["in_app", "sms"]}
    response = post(client, f"/api/stores/{store.pk}/campaigns", body, bearer(owner), key="i-2")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "campaign_invalid"
    assert "정보성" in response.json()["message"]
    assert not Campaign.objects.exists() and not Delivery.objects.exists()
    check = post(client, f"/api/stores/{store.pk}/campaigns/check", body, bearer(owner)).json()
    assert check["eligible"] == 0 and any("정보성" in p for p in check["problems"])


# --- list, statistics, credit ---------------------------------------------------------------


def test_list_and_statistics_are_the_store_s_own(client, store, owner, audience,
                                                 credited_store, market):
    from tests.factories import StoreFactory

    credited_store(1_000)
    headers = bearer(owner)
    sent = post(client, f"/api/stores/{store.pk}/campaigns", {"body": BODY}, headers,
                key="a").json()
    delivery = Delivery.objects.filter(campaign_id=sent["id"]).first()
    Delivery.objects.filter(pk=delivery.pk).update(read_at=clock.now(), clicked_at=clock.now())

    listed = client.get(f"/api/stores/{store.pk}/campaigns", headers=headers).json()
    assert listed["count"] == 1 and [item["id"] for item in listed["items"]] == [sent["id"]]
    detail = client.get(f"/api/stores/{store.pk}/campaigns/{sent['id']}", headers=headers)
    stats = detail.json()["stats"]
    assert (stats["targeted"], stats["delivered"], stats["read"], stats["clicked"]) == (
        3, 2, 1, 1)
    assert (stats["opted_out"], stats["cost"]) == (0, 30)

    other = StoreFactory(market=market)
    StoreMembershipFactory(store=other, user=owner)
    assert client.get(f"/api/stores/{other.pk}/campaigns/{sent['id']}",
                      headers=headers).status_code == 404
    assert client.get(f"/api/stores/{other.pk}/campaigns", headers=headers).json()["count"] == 0


def test_credit_balance(client, store, owner, credited_store):
    assert client.get(f"/api/stores/{store.pk}/message-credit",
                      headers=bearer(owner)).json() == {"balance": 0}
    credited_store(5_000)
    assert client.get(f"/api/stores/{store.pk}/message-credit",
                      headers=bearer(owner)).json() == {"balance": 5_000}


# --- permissions ----------------------------------------------------------------------------


def test_caller_who_does_not_run_the_store_is_refused(client, store, audience, credited_store):
    credited_store(1_000)
    response = post(client, f"/api/stores/{store.pk}/campaigns", {"body": BODY},
                    bearer(StaffUserFactory()), key="k")
    assert response.status_code == 403 and response.json()["code"] == "store_not_managed"
    assert Campaign.objects.count() == 0


def test_token_scoped_to_another_store_is_refused(client, store, owner, market):
    from tests.factories import StoreFactory

    other = StoreFactory(market=market)
    StoreMembershipFactory(store=other, user=owner)
    headers = bearer(owner, scope=f"store:{other.pk}")
    assert client.get(f"/api/stores/{store.pk}/campaigns", headers=headers).status_code == 403
    scoped = bearer(owner, scope=f"store:{store.pk}")
    assert client.get(f"/api/stores/{store.pk}/campaigns", headers=scoped).status_code == 200


def test_unauthenticated_caller_gets_401(client, store):
    assert client.get(f"/api/stores/{store.pk}/campaigns").status_code == 401
    assert client.get("/api/me/inbox").status_code == 401


# --- market channels ------------------------------------------------------------------------


def test_association_sends_to_market_followers_once_each(
    client, store, market, association, consenting_regular, credited_market
):
    market.phone = "051-544-0000"
    market.save(update_fields=["phone"])
    credited_market(1_000)
    both = consenting_regular(market=market)
    consenting_regular(customer=both)  # also a consented regular of the store
    only_market = consenting_regular(market=market, night=True)
    headers = bearer(association)
    body = {"body": "반송큰시장 토요 장터", "audience": "market"}
    check = post(client, f"/api/markets/{market.pk}/campaigns/check", body, headers).json()
    assert (check["eligible"], check["cost"], check["balance"]) == (2, 30, 1_000)
    assert check["preview"].startswith(
        "(광고) 반송큰시장\n반송큰시장 토요 장터\n연락처: 051-544-0000\n무료 수신거부: ")

    sent = post(client, f"/api/markets/{market.pk}/campaigns", body, headers, key="m-1")
    assert sent.status_code == 201, sent.content
    data = sent.json()
    assert (data["market_id"], data["store_id"], data["cost"]) == (market.pk, None, 30)
    assert sorted(Delivery.objects.values_list("customer_id", flat=True)) == sorted(
        [both.pk, only_market.pk])
    listed = client.get(f"/api/markets/{market.pk}/campaigns", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [data["id"]]
    detail = client.get(f"/api/markets/{market.pk}/campaigns/{data['id']}", headers=headers)
    assert detail.json()["stats"]["delivered"] == 2
    assert client.get(f"/api/markets/{market.pk}/message-credit",
                      headers=headers).json() == {"balance": 970}


def test_check_of_a_sender_without_contact_shows_the_problem(
    client, market, association, consenting_regular, credited_market
):
    market.phone = ""
    market.save(update_fields=["phone"])
    credited_market(1_000)
    consenting_regular(market=market)
    body = {"body": "장터 소식", "audience": "market"}
    data = post(client, f"/api/markets/{market.pk}/campaigns/check", body,
                bearer(association)).json()
    assert data["preview"] == "장터 소식"
    assert len(data["problems"]) == 1 and "연락처" in data["problems"][0]


def test_market_channel_needs_an_association_member_and_an_unscoped_token(
    client, store, market, owner, association
):
    tutor = MarketMembershipFactory(market=market, role="tutor").user
    url = f"/api/markets/{market.pk}/campaigns"
    for user in (tutor, owner):
        response = client.get(url, headers=bearer(user))
        assert response.status_code == 403 and response.json()["code"] == "market_not_managed"
    StoreMembershipFactory(store=store, user=association)
    scoped = bearer(association, scope=f"store:{store.pk}")
    assert client.get(url, headers=scoped).status_code == 403
    assert client.get(url, headers=bearer(association)).status_code == 200


# --- inbox ----------------------------------------------------------------------------------


def _send(client, store, owner, key, body=BODY):
    response = post(client, f"/api/stores/{store.pk}/campaigns", {"body": body},
                    bearer(owner), key=key)
    assert response.status_code == 201, response.content
    return response.json()


def test_inbox_lists_newest_first_with_unread_count_and_rendered_ad(
    client, store, owner, consenting_regular, credited_store, frozen_clock
):
    credited_store(1_000)
    regular = consenting_regular()
    first = _send(client, store, owner, "a", body="첫 소식")
    frozen_clock(kst(2026, 11, 20, 20, 40))
    second = _send(client, store, owner, "b", body="두 번째 소식")
    client.force_login(regular)
    data = client.get("/api/me/inbox").json()
    assert (data["count"], data["unread"]) == (2, 2)
    assert [item["campaign_id"] for item in data["items"]] == [second["id"], first["id"]]
    item = data["items"][0]
    token = Delivery.objects.get(campaign_id=second["id"]).opt_out_token
    assert (item["kind"], item["sender_name"], item["body"]) == ("ad", "바다수산", "두 번째 소식")
    assert item["text"].splitlines()[0] == "(광고) 바다수산"
    assert item["opt_out_url"].endswith(f"/o/{token}/") and token in item["text"]
    assert item["read_at"] is None

    page = client.get("/api/me/inbox?limit=1&offset=1").json()
    assert (page["count"], [i["campaign_id"] for i in page["items"]]) == (2, [first["id"]])
    assert client.get("/api/me/inbox?limit=101").status_code == 422


def test_reading_a_message_records_the_first_read_time(
    client, store, owner, consenting_regular, credited_store, frozen_clock
):
    credited_store(1_000)
    regular = consenting_regular()
    stranger = consenting_regular()
    _send(client, store, owner, "a")
    mine = Delivery.objects.get(customer=regular)
    theirs = Delivery.objects.get(customer=stranger)
    client.force_login(regular)
    response = client.post(f"/api/me/inbox/{mine.pk}/read")
    assert response.status_code == 200 and parse_datetime(response.json()["read_at"]) == EVENING
    frozen_clock(kst(2026, 11, 20, 20, 50))
    again = client.post(f"/api/me/inbox/{mine.pk}/read")
    assert parse_datetime(again.json()["read_at"]) == EVENING
    assert client.get("/api/me/inbox").json()["unread"] == 0
    refused = client.post(f"/api/me/inbox/{theirs.pk}/read")
    assert refused.status_code == 404 and refused.json()["code"] == "message_not_found"
    assert Delivery.objects.get(pk=theirs.pk).read_at is None


def test_held_messages_are_not_in_the_inbox_until_released(
    client, store, owner, consenting_regular, credited_store, frozen_clock
):
    credited_store(1_000)
    regular = consenting_regular()
    frozen_clock(NIGHT)
    _send(client, store, owner, "n")
    client.force_login(regular)
    assert client.get("/api/me/inbox").json() == {"count": 0, "unread": 0, "items": []}
    held = Delivery.objects.get(customer=regular)
    assert client.post(f"/api/me/inbox/{held.pk}/read").status_code == 404


def test_informational_notice_is_in_the_inbox(client, customer_factory):
    from dangol.notices.services import notice_send

    person = customer_factory()
    notice_send(user=person, kind="expiry", title="유효기간 안내", body="곧 끝납니다",
                idempotency_key="exp")
    client.force_login(person)
    data = client.get("/api/me/inbox").json()
    assert (data["count"], data["unread"]) == (1, 1)
    item = data["items"][0]
    assert (item["kind"], item["template"], item["sender_name"]) == ("info", "expiry", "단골")
    assert (item["text"], item["opt_out_url"]) == ("유효기간 안내\n곧 끝납니다", "")
    assert Delivery.objects.filter(channel=Channel.SMS, customer=person).count() == 1


@pytest.mark.parametrize("size", [1, 5])
def test_inbox_reads_in_constant_queries(client, store, owner, consenting_regular,
                                         credited_store, django_assert_num_queries, size):
    credited_store(10_000)
    regular = consenting_regular()
    for n in range(size):
        _send(client, store, owner, f"k{n}", body=f"소식 {n}")
    client.force_login(regular)
    # session, user, page of deliveries (with campaign and sender), count, unread count
    with django_assert_num_queries(5):
        data = client.get("/api/me/inbox").json()
    assert data["count"] == size


@pytest.mark.parametrize("when", [
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00",
    "1900-01-01T00:00:00+09:00", "2027-11-20T20:30:00+09:00",
])
@pytest.mark.parametrize("path", ["campaigns", "campaigns/check"])
def test_scheduled_time_far_past_or_far_ahead_is_refused_with_422(
    client, store, owner, audience, credited_store, when, path
):
    credited_store(1_000)
    body = {"body": BODY, "scheduled_at": when}
    response = post(client, f"/api/stores/{store.pk}/{path}", body, bearer(owner), key="when")
    assert response.status_code == 422, response.content
    assert "시각" in response.json()["message"] or "시각" in str(response.json())
    assert not Campaign.objects.exists() and not Delivery.objects.exists()


def test_scheduled_time_a_few_seconds_ago_is_sent_now(client, store, owner, audience,
                                                      credited_store):
    credited_store(1_000)
    body = {"body": BODY, "scheduled_at": "2026-11-20T20:29:40+09:00"}
    response = post(client, f"/api/stores/{store.pk}/campaigns", body, bearer(owner), key="s")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "sent"
