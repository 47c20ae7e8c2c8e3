"""The voucher API: products, purchase, the holder's vouchers, POS balance and redemption."""

import pytest
from django.utils.dateparse import parse_datetime

from dangol.accounts.services import api_token_create
from dangol.core.clock import kst
from dangol.core.models import IdempotentRequest
from dangol.payments.models import Payment
from dangol.payments.providers.sandbox import CARD_APPROVE, CARD_DECLINE, CARD_TIMEOUT
from dangol.vouchers import services
from dangol.vouchers.models import Redemption, Refund, Voucher, VoucherGift
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)
from tests.vouchers.conftest import assert_consistent, buy, make_product

pytestmark = pytest.mark.django_db

NOW = kst(2026, 11, 21, 14, 0)
JSON = "application/json"


@pytest.fixture(autouse=True)
def _short_sandbox_timeout(settings):
    settings.PAYMENTS_SANDBOX_TIMEOUT_SECONDS = 0.05


@pytest.fixture
def store(frozen_clock):
    frozen_clock(NOW)
    return StoreFactory(name="싱싱수산")


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def product(store):
    return make_product(store)


@pytest.fixture
def customer():
    return CustomerFactory()


def bearer(user, scope="", key=None):
    _token, secret = api_token_create(user=user, name="포스", scope=scope)
    headers = {"Authorization": f"Bearer {secret}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


# --- products -------------------------------------------------------------------------------


def test_anonymous_caller_lists_products_on_sale_filtered_by_store(client, store, product):
    market_product = make_product(store, market=store.market, name="시장 5만원권",
                                  face_value=50_000, sale_price=47_500)
    make_product(StoreFactory(), name="다른 가게 1만원권")
    make_product(store, name="판매 종료").__class__.objects.filter(name="판매 종료").update(
        is_active=False
    )

    everything = client.get("/api/vouchers/products").json()
    here = client.get(f"/api/vouchers/products?store_id={store.pk}").json()

    assert everything["count"] == 3
    assert {item["id"] for item in here["items"]} == {product.pk, market_product.pk}
    [sold_by_market] = [item for item in here["items"] if item["id"] == market_product.pk]
    assert sold_by_market == {
        "id": market_product.pk, "name": "시장 5만원권", "kind": "amount", "product_name": "",
        "store_id": None, "market_id": store.market_id, "issuer_name": store.market.name,
        "face_value": 50_000, "sale_price": 47_500, "validity_months": 12, "is_perishable": False,
    }
    by_market = client.get(f"/api/vouchers/products?market_id={store.market_id}").json()
    assert by_market["count"] == 2
    assert client.get("/api/vouchers/products?store_id=999999").json()["count"] == 0


# --- purchase -------------------------------------------------------------------------------


def purchase(client, product, key="buy-1", card=CARD_APPROVE, **extra):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        "/api/vouchers/purchases", {"product_id": product.pk, "card_number": card},
        content_type=JSON, headers=headers, **extra,
    )


def test_purchase_issues_a_voucher_and_a_replay_returns_the_same_one(client, product, customer):
    client.force_login(customer)

    first = purchase(client, product)
    again = purchase(client, product)

    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    body = first.json()
    assert (body["face_value"], body["balance"], body["status"]) == (10_000, 10_000, "active")
    assert body["product"] == {"id": product.pk, "name": "싱싱수산 1만원권", "kind": "amount",
                               "product_name": ""}
    assert body["accepted_at"] == "싱싱수산"
    # 12 calendar months from 2026-11-21, that day included: through 2027-11-20
    assert parse_datetime(body["expires_at"]) == kst(2027, 11, 21)
    assert body["expires_display"] == "2027. 11. 20. (토) 23:59까지"
    assert Voucher.objects.count() == 1 and Payment.objects.count() == 1
    assert_consistent(Voucher.objects.get())


def test_longest_allowed_key_fits_every_derived_key(client, store, owner, product, customer):
    client.force_login(customer)
    key = "k" * 64

    bought = purchase(client, product, key=key)
    again = purchase(client, product, key=key)
    redeemed = redeem(client, store, bearer(owner, key=key), code=bought.json()["code"],
                      amount=1_000)

    assert bought.status_code == 201 and again.json() == bought.json()
    assert redeemed.status_code == 201 and Voucher.objects.count() == 1


def test_purchase_without_idempotency_key_is_refused(client, product, customer):
    client.force_login(customer)

    response = purchase(client, product, key=None)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in response.json()["message"]
    assert not Voucher.objects.exists() and not Payment.objects.exists()


def test_purchase_key_reused_for_another_product_is_refused_with_422(
    client, store, product, customer
):
    client.force_login(customer)
    purchase(client, product)

    response = purchase(client, make_product(store, name="2만원권", face_value=20_000,
                                             sale_price=20_000))

    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert Voucher.objects.count() == 1


def test_declined_card_answers_402_with_the_providers_message(client, product, customer):
    client.force_login(customer)

    response = purchase(client, product, card=CARD_DECLINE)

    assert response.status_code == 402
    assert response.json()["code"] == "voucher_purchase_failed"
    assert "결제가 승인되지 않아" in response.json()["message"]
    assert not Voucher.objects.exists()


def test_provider_timeout_answers_503_and_a_retry_with_the_same_key_issues_once(
    client, product, customer
):
    client.force_login(customer)

    lost = purchase(client, product, card=CARD_TIMEOUT)
    retried = purchase(client, product, card=CARD_TIMEOUT)

    assert lost.status_code == 503 and lost.json()["code"] == "payment_pending"
    assert "같은 Idempotency-Key" in lost.json()["message"]
    assert retried.status_code == 201 and retried.json()["balance"] == 10_000
    assert Voucher.objects.count() == 1 and Payment.objects.count() == 1


def test_purchase_needs_a_signed_in_caller(client, product):
    assert purchase(client, product).status_code == 401


# --- the holder's vouchers ------------------------------------------------------------------


def test_my_vouchers_lists_held_vouchers_with_constant_queries(
    client, store, product, customer, django_assert_max_num_queries
):
    market_product = make_product(store, market=store.market, name="시장 상품권",
                                  accepted_stores=[store, StoreFactory(market=store.market)])
    buy(product, customer)
    buy(product, CustomerFactory())
    client.force_login(customer)
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/me/vouchers").json()["count"] == 1
    for _ in range(4):
        buy(market_product, customer)

    with django_assert_max_num_queries(len(few)):
        listed = client.get("/api/me/vouchers").json()

    assert listed["count"] == 5
    summaries = sorted(item["accepted_at"] for item in listed["items"])
    assert summaries == ["싱싱수산"] + [f"{store.market.name} 가게 2곳"] * 4


def test_my_voucher_shows_redemptions_and_the_refund_quote(client, store, owner, product,
                                                           customer):
    voucher = buy(product, customer)
    services.voucher_redeem(voucher=voucher, store=store, amount=8_000, staff=owner,
                            idempotency_key="pos-1")
    client.force_login(customer)

    body = client.get(f"/api/me/vouchers/{voucher.pk}").json()

    assert body["balance"] == 2_000
    assert [(r["store_name"], r["amount"]) for r in body["redemptions"]] == [("싱싱수산", 8_000)]
    assert body["refund_quote"] == {
        "rule": "balance", "rule_display": "잔액 환불(60%/80% 이상 사용)", "balance": 2_000,
        "amount": 2_000,
    }
    assert body["refund_refused"] is None and body["refund"] is None


def test_my_voucher_explains_why_it_cannot_be_refunded(client, store, owner, product,
                                                       customer, frozen_clock):
    voucher = buy(product, customer)
    services.voucher_redeem(voucher=voucher, store=store, amount=1_000, staff=owner,
                            idempotency_key="pos-1")
    frozen_clock(kst(2026, 12, 10))
    client.force_login(customer)

    body = client.get(f"/api/me/vouchers/{voucher.pk}").json()

    assert body["refund_quote"] is None
    assert "80% 이상 사용한 뒤에 가능합니다" in body["refund_refused"]


def test_my_voucher_shows_its_refund_once_refunded(client, product, customer):
    voucher = buy(product, customer)
    services.voucher_refund(voucher=voucher, idempotency_key="r-1", reason="단순 변심")
    client.force_login(customer)

    response = client.get(f"/api/me/vouchers/{voucher.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["refund"]["rule"] == "withdrawal"
    assert body["refund"]["rule_display"] == "구매 후 7일 이내 전액 환불"
    assert body["refund"]["amount"] == 10_000 and body["refund_quote"] is None


def test_someone_elses_voucher_is_not_found(client, product, customer):
    voucher = buy(product, CustomerFactory())
    client.force_login(customer)

    response = client.get(f"/api/me/vouchers/{voucher.pk}")

    assert response.status_code == 404 and response.json()["code"] == "voucher_not_found"


def test_gift_moves_the_voucher_and_a_replay_returns_the_first_answer(client, product, customer):
    voucher = buy(product, customer)
    friend = CustomerFactory()
    client.force_login(customer)
    url = f"/api/me/vouchers/{voucher.pk}/gift"
    body = {"to_phone": friend.phone.replace("+82", "0"), "message": "생일 축하해"}

    first = client.post(url, body, content_type=JSON, headers={"Idempotency-Key": "gift-1"})
    again = client.post(url, body, content_type=JSON, headers={"Idempotency-Key": "gift-1"})

    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["to_phone"].startswith("010-****-")
    assert VoucherGift.objects.count() == 1
    voucher.refresh_from_db()
    assert voucher.holder == friend
    assert IdempotentRequest.objects.get().response_status == 201
    reused = client.post(url, {**body, "message": "다른 말"}, content_type=JSON,
                         headers={"Idempotency-Key": "gift-1"})
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    client.force_login(friend)
    assert client.get("/api/me/vouchers").json()["items"][0]["id"] == voucher.pk


def test_gifted_vouchers_old_code_answers_like_an_unknown_code(client, store, owner, product,
                                                               customer):
    # Given a voucher the customer gifted after noting its code and QR token
    voucher = buy(product, customer)
    old_code, old_token = voucher.code, voucher.qr_token
    client.force_login(customer)
    gifted = client.post(f"/api/me/vouchers/{voucher.pk}/gift", {"to_phone": "010-9876-5432"},
                         content_type=JSON, headers={"Idempotency-Key": "gift-1"})
    assert gifted.status_code == 201
    client.logout()
    headers = bearer(owner, scope=f"store:{store.pk}", key="sale-1")

    # When the giver tries to spend it with the old code or token
    by_code = redeem(client, store, headers, code=old_code, amount=1_000)
    by_token = redeem(client, store, headers, qr_token=old_token, amount=1_000)
    unknown = redeem(client, store, headers, code="ZZZZZZZZZZZZ", amount=1_000)

    # Then each is answered as an unknown code and nothing is taken
    assert by_code.status_code == by_token.status_code == unknown.status_code == 404
    assert by_code.json() == by_token.json() == unknown.json()
    voucher.refresh_from_db()
    assert voucher.balance == 10_000 and not Redemption.objects.exists()


def test_gift_without_key_is_refused_and_changes_nothing(client, product, customer):
    voucher = buy(product, customer)
    client.force_login(customer)

    response = client.post(f"/api/me/vouchers/{voucher.pk}/gift",
                           {"to_phone": "010-9999-0000"}, content_type=JSON)

    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    assert not VoucherGift.objects.exists()


def test_gift_to_an_invalid_number_stores_no_response(client, product, customer):
    voucher = buy(product, customer)
    client.force_login(customer)

    response = client.post(f"/api/me/vouchers/{voucher.pk}/gift", {"to_phone": "02-123-4567"},
                           content_type=JSON, headers={"Idempotency-Key": "gift-1"})

    assert response.status_code == 400
    assert not IdempotentRequest.objects.exists() and not VoucherGift.objects.exists()


def test_gift_to_010_with_seven_digits_is_refused_and_changes_nothing(client, product,
                                                                      customer):
    voucher = buy(product, customer)
    client.force_login(customer)

    response = client.post(f"/api/me/vouchers/{voucher.pk}/gift", {"to_phone": "010-123-4567"},
                           content_type=JSON, headers={"Idempotency-Key": "gift-1"})

    assert response.status_code == 400 and response.json()["code"] == "invalid_phone"
    voucher.refresh_from_db()
    assert voucher.holder == customer and not VoucherGift.objects.exists()


def test_extend_adds_three_months_once_per_key(client, product, customer):
    voucher = buy(product, customer)
    client.force_login(customer)
    url = f"/api/me/vouchers/{voucher.pk}/extend"

    first = client.post(url, headers={"Idempotency-Key": "ext-1"})
    again = client.post(url, headers={"Idempotency-Key": "ext-1"})

    assert first.status_code == 200 and again.json() == first.json()
    assert parse_datetime(first.json()["expires_at"]) == kst(2028, 2, 21)
    assert first.json()["extension_count"] == 1
    voucher.refresh_from_db()
    assert voucher.extension_count == 1
    second = client.post(url, headers={"Idempotency-Key": "ext-2"})
    assert second.json()["extension_count"] == 2


def test_refund_within_seven_days_pays_the_sale_price_once(client, store, customer):
    product = make_product(store, face_value=10_000, sale_price=9_000)
    voucher = buy(product, customer)
    client.force_login(customer)
    url = f"/api/me/vouchers/{voucher.pk}/refund"

    first = client.post(url, {"reason": "단순 변심"}, content_type=JSON,
                        headers={"Idempotency-Key": "refund-1"})
    again = client.post(url, {"reason": "단순 변심"}, content_type=JSON,
                        headers={"Idempotency-Key": "refund-1"})

    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    body = first.json()
    assert (body["rule"], body["balance"], body["amount"]) == ("withdrawal", 10_000, 9_000)
    assert body["paid_at"] is not None
    assert Refund.objects.count() == 1
    voucher.refresh_from_db()
    assert (voucher.balance, voucher.status) == (0, Voucher.Status.REFUNDED)
    assert_consistent(voucher)
    refused = client.post(url, {}, content_type=JSON, headers={"Idempotency-Key": "refund-2"})
    assert refused.status_code == 409 and refused.json()["code"] == "voucher_refund_refused"


def test_refund_without_key_is_refused(client, product, customer):
    voucher = buy(product, customer)
    client.force_login(customer)

    response = client.post(f"/api/me/vouchers/{voucher.pk}/refund", {}, content_type=JSON)

    assert response.status_code == 400 and not Refund.objects.exists()


def test_my_vouchers_need_a_signed_in_caller(client):
    assert client.get("/api/me/vouchers").status_code == 401


# --- POS ------------------------------------------------------------------------------------


def look_up(client, store, headers, **body):
    return client.post(f"/api/stores/{store.pk}/vouchers/lookup", body, content_type=JSON,
                       headers=headers)


def test_pos_checks_a_voucher_by_code_or_qr_token(client, store, owner, product, customer):
    voucher = buy(product, customer)
    headers = bearer(owner, scope=f"store:{store.pk}")

    by_code = look_up(client, store, headers, code=voucher.code)
    by_token = look_up(client, store, headers, qr_token=voucher.qr_token)

    assert by_code.status_code == 200 and by_token.json() == by_code.json()
    body = by_code.json()
    assert (body["code"], body["status"], body["balance"]) == (voucher.code, "active", 10_000)
    assert body["accepted_here"] is True and body["expired"] is False
    assert body["product"]["kind"] == "amount"
    missing = look_up(client, store, headers, code="NOPE")
    assert missing.status_code == 404 and missing.json()["code"] == "voucher_not_found"
    nothing = look_up(client, store, headers)
    assert nothing.status_code == 400


def test_pos_check_takes_no_code_or_token_in_the_url(client, store, owner, product, customer):
    # Access logs record paths and query strings: a code there is a bearer credential on disk.
    voucher = buy(product, customer)
    headers = bearer(owner, scope=f"store:{store.pk}")

    in_path = client.get(f"/api/stores/{store.pk}/vouchers/{voucher.code}", headers=headers)
    token_in_path = client.get(f"/api/stores/{store.pk}/vouchers/{voucher.qr_token}",
                               headers=headers)

    assert in_path.status_code in {404, 405} and token_in_path.status_code in {404, 405}
    assert "/api/stores/{store_id}/vouchers/{code}" not in client.get(
        "/api/openapi.json").json()["paths"]


def test_pos_check_says_when_another_store_does_not_accept_the_voucher(client, product,
                                                                      customer):
    voucher = buy(product, customer)
    other = StoreFactory()
    manager = StoreMembershipFactory(store=other).user

    body = look_up(client, other, bearer(manager), code=voucher.code).json()

    assert body["accepted_here"] is False


def redeem(client, store, headers, **body):
    return client.post(f"/api/stores/{store.pk}/vouchers/redemptions", body,
                       content_type=JSON, headers=headers)


def test_pos_redeems_part_of_a_voucher_and_a_replay_charges_once(client, store, owner, product,
                                                                 customer):
    voucher = buy(product, customer)
    headers = bearer(owner, scope=f"store:{store.pk}", key="sale-1")

    first = redeem(client, store, headers, code=voucher.code, amount=4_000)
    again = redeem(client, store, headers, code=voucher.code, amount=4_000)

    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    body = first.json()
    assert (body["amount"], body["fee"], body["net"], body["voucher_balance"]) == (
        4_000, 120, 3_880, 6_000,
    )
    assert Redemption.objects.count() == 1
    assert_consistent(voucher)
    reused = redeem(client, store, headers, code=voucher.code, amount=5_000)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


def test_pos_redeems_by_qr_token(client, store, owner, product, customer):
    voucher = buy(product, customer)

    response = redeem(client, store, bearer(owner, key="sale-1"), qr_token=voucher.qr_token,
                      amount=10_000)

    assert response.status_code == 201 and response.json()["voucher_balance"] == 0
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.USED


@pytest.mark.parametrize("amount", [True, False, "1000", 2**63])
def test_redemption_amount_that_is_not_whole_won_is_refused_with_422(client, store, owner,
                                                                    product, customer, amount):
    voucher = buy(product, customer)

    response = redeem(client, store, bearer(owner, key="sale-1"), code=voucher.code,
                      amount=amount)

    assert response.status_code == 422
    voucher.refresh_from_db()
    assert voucher.balance == 10_000 and not Redemption.objects.exists()


def test_redeeming_more_than_the_balance_is_refused_with_409(client, store, owner, product,
                                                             customer):
    voucher = buy(product, customer)

    response = redeem(client, store, bearer(owner, key="sale-1"), code=voucher.code,
                      amount=10_001)

    assert response.status_code == 409
    assert response.json()["code"] == "voucher_insufficient_balance"
    assert "잔액이 부족합니다" in response.json()["message"]
    assert not Redemption.objects.exists()


def test_redemption_without_key_is_refused(client, store, owner, product, customer):
    voucher = buy(product, customer)

    response = redeem(client, store, bearer(owner), code=voucher.code, amount=1_000)

    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    assert not Redemption.objects.exists()


def test_voucher_of_another_store_is_not_accepted(client, store, owner, customer):
    voucher = buy(make_product(StoreFactory(market=MarketFactory())), customer)

    response = redeem(client, store, bearer(owner, key="sale-1"), code=voucher.code,
                      amount=1_000)

    assert response.status_code == 403 and response.json()["code"] == "voucher_not_accepted"


def test_store_scoped_token_for_another_store_is_refused(client, store, owner, product,
                                                         customer):
    voucher = buy(product, customer)
    other = StoreFactory()
    StoreMembershipFactory(store=other, user=owner)
    headers = bearer(owner, scope=f"store:{other.pk}", key="sale-1")

    redeemed = redeem(client, store, headers, code=voucher.code, amount=1_000)
    checked = look_up(client, store, headers, code=voucher.code)

    assert redeemed.status_code == 403 and redeemed.json()["code"] == "store_not_managed"
    assert checked.status_code == 403
    assert not Redemption.objects.exists()


def test_caller_who_does_not_run_the_store_is_refused(client, store, product, customer):
    voucher = buy(product, customer)
    headers = bearer(StaffUserFactory(), key="sale-1")

    assert redeem(client, store, headers, code=voucher.code, amount=1_000).status_code == 403
    listed = client.get(f"/api/stores/{store.pk}/vouchers/redemptions", headers=headers)
    assert listed.status_code == 403


def test_store_endpoints_need_a_caller(client, store):
    assert client.get(f"/api/stores/{store.pk}/vouchers/redemptions").status_code == 401
    assert look_up(client, store, {}, code="ABC").status_code == 401
    response = client.post(f"/api/stores/{store.pk}/vouchers/redemptions",
                           {"code": "ABC", "amount": 1}, content_type=JSON,
                           headers={"Idempotency-Key": "k"})
    assert response.status_code == 401


def test_store_redemption_history_is_paginated_with_constant_queries(
    client, store, owner, product, customer, django_assert_max_num_queries
):
    headers = bearer(owner)
    voucher = buy(product, customer)
    services.voucher_redeem(voucher=voucher, store=store, amount=1_000, staff=owner,
                            idempotency_key="r-0")
    url = f"/api/stores/{store.pk}/vouchers/redemptions"
    with django_assert_max_num_queries(10) as few:
        assert client.get(url, headers=headers).json()["count"] == 1
    for n in range(1, 6):
        services.voucher_redeem(voucher=voucher, store=store, amount=1_000, staff=owner,
                                idempotency_key=f"r-{n}")

    with django_assert_max_num_queries(len(few)):
        listed = client.get(f"{url}?limit=4", headers=headers).json()

    assert listed["count"] == 6 and len(listed["items"]) == 4
    assert [item["voucher_balance"] for item in listed["items"]] == [4_000] * 4
    assert listed["items"][0]["amount"] == 1_000 and listed["items"][0]["net"] == 970


# --- the OpenAPI document -------------------------------------------------------------------

WRITES = [
    "/api/vouchers/purchases", "/api/me/vouchers/{voucher_id}/gift",
    "/api/me/vouchers/{voucher_id}/extend", "/api/me/vouchers/{voucher_id}/refund",
    "/api/stores/{store_id}/vouchers/redemptions",
]


@pytest.mark.parametrize("path", WRITES)
def test_every_voucher_write_documents_the_idempotency_key_header(client, path):
    document = client.get("/api/openapi.json").json()

    parameters = document["paths"][path]["post"]["parameters"]

    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)


def test_product_list_is_documented_as_public(client):
    document = client.get("/api/openapi.json").json()

    assert {} in document["paths"]["/api/vouchers/products"]["get"]["security"]
