"""Voucher pages: shop and purchase, my vouchers (gift, refund, extension), the merchant's
redeem, sales and new-product screens — with the Django test client, real services."""

import datetime as dt
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from dangol.core.clock import kst
from dangol.payments.models import Payment
from dangol.payments.providers.sandbox import CARD_APPROVE, CARD_DECLINE, CARD_TIMEOUT
from dangol.vouchers import rules, services
from dangol.vouchers.models import Redemption, Voucher, VoucherGift, VoucherProduct
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    MarketMembershipFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)
from tests.vouchers.conftest import assert_consistent, buy, key, make_product

pytestmark = pytest.mark.django_db

NOW = kst(2026, 11, 20, 10, 0)
FRIEND_PHONE = "010-9876-5432"


@pytest.fixture
def market(frozen_clock):
    frozen_clock(NOW)
    return MarketFactory(name="반송큰시장")


@pytest.fixture
def store(market):
    return StoreFactory(name="싱싱수산", market=market)


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def other_owner(market):
    return StoreMembershipFactory(store=StoreFactory(name="옆집반찬", market=market)).user


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def product(store):
    return make_product(store)


@pytest.fixture
def voucher(product, customer):
    return buy(product, customer)


def body(response) -> str:
    return response.content.decode()


def hidden_key(response) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', body(response))
    assert match, "the form carries an idempotency key"
    return match.group(1)


def redeem_url(store) -> str:
    return reverse("vouchers:merchant_redeem", args=[store.pk])


def look_up(client, store, **what):
    """Look a voucher up at the counter: the code or token travels in the POST body."""
    return client.post(redeem_url(store), {"action": "lookup", **what})


# --- who may see what -----------------------------------------------------------------------


def test_customer_pages_send_anonymous_to_sign_in(client, voucher, store, market):
    for url in [
        reverse("vouchers:mine"),
        reverse("vouchers:detail", args=[voucher.pk]),
        reverse("vouchers:merchant", args=[store.pk]),
        redeem_url(store),
        reverse("vouchers:product_new", args=[store.pk]),
        reverse("vouchers:market_product_new", args=[market.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), url


def test_shop_and_product_are_public(client, product, market):
    shop = client.get(reverse("vouchers:shop"), {"market": market.pk})
    page = client.get(reverse("vouchers:product", args=[product.pk]))

    assert shop.status_code == 200 and "싱싱수산 1만원권" in body(shop)
    assert page.status_code == 200 and "로그인하고 구매하기" in body(page)
    assert "₩10,000" in body(page)


def test_merchant_pages_refuse_another_stores_owner(client, store, other_owner):
    client.force_login(other_owner)

    for url in [
        reverse("vouchers:merchant", args=[store.pk]),
        redeem_url(store),
        reverse("vouchers:product_new", args=[store.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(redeem_url(store), {"code": "X", "amount": 1,
                                           "idempotency_key": "k"}).status_code == 403


def test_product_new_refuses_staff_and_market_page_refuses_non_members(client, store, market):
    staff = StoreMembershipFactory(store=store, role="staff").user
    client.force_login(staff)

    assert client.get(reverse("vouchers:product_new", args=[store.pk])).status_code == 403
    assert client.get(
        reverse("vouchers:market_product_new", args=[market.pk])
    ).status_code == 403


def test_detail_of_someone_elses_voucher_is_not_found(client, voucher):
    client.force_login(CustomerFactory())

    assert client.get(reverse("vouchers:detail", args=[voucher.pk])).status_code == 404


# --- buying ---------------------------------------------------------------------------------


def test_anonymous_purchase_goes_to_sign_in_and_back(client, product):
    url = reverse("vouchers:product", args=[product.pk])

    response = client.post(url, {"card_number": CARD_APPROVE, "idempotency_key": "k1"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert Payment.objects.count() == 0


def test_buy_shows_test_cards_and_issues_voucher(client, product, customer):
    client.force_login(customer)
    url = reverse("vouchers:product", args=[product.pk])
    page = client.get(url)
    assert CARD_APPROVE in body(page) and CARD_DECLINE in body(page)

    response = client.post(url, {"card_number": CARD_APPROVE,
                                 "idempotency_key": hidden_key(page)})

    voucher = Voucher.objects.get(buyer=customer)
    assert response["Location"] == reverse("vouchers:detail", args=[voucher.pk])
    assert (voucher.balance, voucher.face_value, voucher.status) == (10_000, 10_000, "active")
    assert Payment.objects.get().amount == 10_000
    assert_consistent(voucher)


def test_double_submit_charges_once(client, product, customer):
    client.force_login(customer)
    url = reverse("vouchers:product", args=[product.pk])
    form = {"card_number": CARD_APPROVE, "idempotency_key": hidden_key(client.get(url))}

    first = client.post(url, form)
    second = client.post(url, form)

    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1 and Voucher.objects.count() == 1


def test_declined_card_says_why_and_offers_a_fresh_form(client, product, customer):
    client.force_login(customer)
    url = reverse("vouchers:product", args=[product.pk])
    sent_key = hidden_key(client.get(url))

    response = client.post(url, {"card_number": CARD_DECLINE, "idempotency_key": sent_key})

    assert response.status_code == 402
    assert "잔액이 부족합니다" in body(response) and "다른 카드로 다시 시도" in body(response)
    assert hidden_key(response) != sent_key
    assert Voucher.objects.count() == 0
    retry = client.post(url, {"card_number": CARD_APPROVE, "idempotency_key": hidden_key(response)})
    assert retry.status_code == 302 and Voucher.objects.count() == 1


@override_settings(PAYMENTS_SANDBOX_TIMEOUT_SECONDS=0)
def test_timeout_keeps_the_key_so_the_retry_finishes_the_same_payment(client, product, customer):
    client.force_login(customer)
    url = reverse("vouchers:product", args=[product.pk])
    sent_key = hidden_key(client.get(url))

    response = client.post(url, {"card_number": CARD_TIMEOUT, "idempotency_key": sent_key})

    assert response.status_code == 504 and "두 번 결제되지 않습니다" in body(response)
    assert hidden_key(response) == sent_key and Voucher.objects.count() == 0
    retry = client.post(url, {"card_number": CARD_TIMEOUT, "idempotency_key": sent_key})
    assert retry.status_code == 302
    assert Payment.objects.count() == 1 and Voucher.objects.count() == 1


# --- my vouchers ----------------------------------------------------------------------------


def test_mine_lists_balance_expiry_and_expiring_soon(client, store, customer, frozen_clock,
                                                     django_assert_max_num_queries):
    fresh = buy(make_product(store), customer)
    perishable = make_product(store, name="고등어 교환권", kind="product",
                              product_name="고등어 1손", is_perishable=True, validity_months=3)
    old = buy(perishable, customer)
    frozen_clock(NOW + dt.timedelta(days=70))  # the 90-day voucher ends within 30 days
    client.force_login(customer)

    with django_assert_max_num_queries(5) as few:
        page = client.get(reverse("vouchers:mine"))

    text = body(page)
    assert "곧 만료" in text and text.count("곧 만료") == 1
    assert "잔액 ₩10,000" in text and "고등어 교환권" in text
    assert "2027. 11. 19. (금)까지" in text  # 12 months from 2026-11-20, that day included
    for _ in range(5):
        buy(make_product(store), customer)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("vouchers:mine"))
    assert fresh.pk != old.pk


def test_used_and_refunded_vouchers_are_listed_apart(client, store, owner, customer):
    used = buy(make_product(store, name="다 쓴 상품권"), customer)
    services.voucher_redeem(voucher=used, store=store, amount=10_000, staff=owner,
                            idempotency_key=key())
    client.force_login(customer)

    text = body(client.get(reverse("vouchers:mine")))

    finished = text.split('id="finished"')[1]
    assert "다 쓴 상품권" in finished and "사용 완료" in finished
    assert "다 쓴 상품권" not in text.split('id="finished"')[0]


def test_detail_shows_code_qr_where_history_and_refund_quote(client, voucher, customer, store):
    client.force_login(customer)

    text = body(client.get(reverse("vouchers:detail", args=[voucher.pk])))

    code = voucher.code
    assert f"{code[:4]} {code[4:8]} {code[8:]}" in text
    assert "<svg" in text and "싱싱수산" in text
    assert "2027. 11. 19. (금)까지" in text
    assert "지금 환불받을 수 있는 금액: <strong>₩10,000</strong>" in text
    assert "구매 후 7일 이내 전액" in text
    assert "3개월 연장 신청" in text


def test_gift_asks_to_confirm_then_hands_over_and_says_to_whom(client, voucher, customer):
    friend = CustomerFactory(phone="+821098765432")
    client.force_login(customer)
    url = reverse("vouchers:detail", args=[voucher.pk])

    confirm = client.post(url, {"action": "gift", "to_phone": FRIEND_PHONE, "message": "맛있게!"})

    assert "010-****-5432 님에게 잔액 ₩10,000 상품권을 선물할까요?" in body(confirm)
    assert VoucherGift.objects.count() == 0
    done = client.post(url, {"action": "gift_confirm", "to_phone": FRIEND_PHONE,
                             "message": "맛있게!"}, follow=True)
    voucher.refresh_from_db()
    assert (voucher.holder_phone, voucher.holder) == ("+821098765432", friend)
    assert "010-****-5432 님에게 선물한 상품권입니다." in body(done)
    assert voucher.code not in body(done)
    again = client.post(url, {"action": "gift_confirm", "to_phone": FRIEND_PHONE})
    assert again.status_code == 403 and VoucherGift.objects.count() == 1
    client.force_login(friend)
    assert "싱싱수산 1만원권" in body(client.get(reverse("vouchers:mine")))


def test_gift_to_a_landline_is_refused(client, voucher, customer):
    client.force_login(customer)

    response = client.post(reverse("vouchers:detail", args=[voucher.pk]),
                           {"action": "gift", "to_phone": "051-544-1234"})

    assert response.status_code == 400 and VoucherGift.objects.count() == 0


def test_refund_within_seven_days_pays_back_the_whole_price(client, voucher, customer):
    client.force_login(customer)
    url = reverse("vouchers:detail", args=[voucher.pk])

    unconfirmed = client.post(url, {"action": "refund"}, follow=True)
    assert "확인란" in body(unconfirmed)
    voucher.refresh_from_db()
    assert voucher.status == "active"
    page = client.post(url, {"action": "refund", "confirm": "1"}, follow=True)
    client.post(url, {"action": "refund", "confirm": "1"})

    voucher.refresh_from_db()
    assert (voucher.status, voucher.balance) == ("refunded", 0)
    assert "₩10,000 환불을 신청했습니다" in body(page)
    assert Payment.objects.get().refunded_amount == 10_000
    assert_consistent(voucher)


def test_extension_double_submit_extends_once(client, voucher, customer):
    client.force_login(customer)
    url = reverse("vouchers:detail", args=[voucher.pk])
    before = voucher.valid_until

    first = client.post(url, {"action": "extend", "extension": "1"}, follow=True)
    client.post(url, {"action": "extend", "extension": "1"})

    voucher.refresh_from_db()
    assert voucher.extension_count == 1
    assert voucher.valid_until == rules.add_months(before, 3)
    assert "2028. 2. 19. (토)까지 연장했습니다" in body(first)


# --- redeeming ------------------------------------------------------------------------------


def test_redeem_partly_then_the_rest(client, voucher, store, owner):
    client.force_login(owner)
    preview = look_up(client, store, code=voucher.code.lower())
    assert "잔액 ₩10,000" in body(preview) and "이 가게에서 사용 가능" in body(preview)
    form = {"code": voucher.code, "amount": 3_000, "idempotency_key": hidden_key(preview)}

    first = client.post(redeem_url(store), form)
    double_tap = client.post(redeem_url(store), form)

    assert "₩3,000 사용 처리했습니다." in body(first) and "남은 잔액 ₩7,000" in body(first)
    assert "남은 잔액 ₩7,000" in body(double_tap)
    assert Redemption.objects.count() == 1
    rest = client.post(redeem_url(store), {"code": voucher.code, "amount": 7_000,
                                           "idempotency_key": key()})
    assert "남은 잔액 ₩0" in body(rest)
    voucher.refresh_from_db()
    assert (voucher.balance, voucher.status) == (0, "used")
    assert [r.fee for r in Redemption.objects.order_by("id")] == [90, 210]
    assert_consistent(voucher)
    used = look_up(client, store, code=voucher.code)
    assert used.status_code == 409 and "이미 모두 사용한 상품권입니다" in body(used)


def test_redeem_more_than_the_balance_is_refused_with_the_balance(client, voucher, store, owner):
    client.force_login(owner)

    response = client.post(redeem_url(store), {"code": voucher.code, "amount": 12_000,
                                               "idempotency_key": key()})

    assert response.status_code == 409
    assert "잔액 ₩10,000, 요청 ₩12,000" in body(response)
    voucher.refresh_from_db()
    assert voucher.balance == 10_000 and Redemption.objects.count() == 0


def test_redeem_at_a_store_outside_the_voucher_is_refused(client, voucher, other_owner):
    other = other_owner.store_memberships.get().store
    client.force_login(other_owner)

    preview = look_up(client, other, code=voucher.code)
    forced = client.post(redeem_url(other), {"code": voucher.code, "amount": 1_000,
                                              "idempotency_key": key()})

    assert "이 가게에서는 사용할 수 없는 상품권입니다." in body(preview)
    assert forced.status_code == 403 and Redemption.objects.count() == 0


def test_redeem_after_expiry_is_refused_with_the_date(client, voucher, store, owner,
                                                      frozen_clock):
    frozen_clock(kst(2027, 11, 21, 9, 0))
    client.force_login(owner)

    preview = look_up(client, store, code=voucher.code)
    forced = client.post(redeem_url(store), {"code": voucher.code, "amount": 1_000,
                                             "idempotency_key": key()})

    assert "유효기간(2027. 11. 19. (금)까지)이 지난 상품권입니다." in body(preview)
    assert forced.status_code == 409 and Redemption.objects.count() == 0
    voucher.refresh_from_db()
    assert voucher.balance == 10_000


def test_product_voucher_is_redeemed_whole_only(client, store, owner, customer):
    item = make_product(store, name="고등어 교환권", kind="product", product_name="고등어 1손",
                        face_value=12_000, sale_price=12_000)
    voucher = buy(item, customer)
    client.force_login(owner)

    preview = look_up(client, store, code=voucher.code)
    part = client.post(redeem_url(store), {"code": voucher.code, "amount": 5_000,
                                           "idempotency_key": key()})

    assert "고등어 1손 교환 (₩12,000 전액)" in body(preview)
    assert "나누어 쓸 수 없습니다" in body(part) and Redemption.objects.count() == 0


def test_counter_lookup_never_reads_a_code_or_token_from_the_url(client, voucher, store, owner):
    # Access logs record query strings: a code or QR token there is a bearer credential
    # written to disk. The counter screen ignores them and looks up by POST only.
    client.force_login(owner)

    by_query = client.get(redeem_url(store), {"code": voucher.code})
    by_token = client.get(redeem_url(store), {"token": voucher.qr_token})
    by_post = look_up(client, store, token=voucher.qr_token)

    assert "잔액 ₩10,000" not in body(by_query) and "잔액 ₩10,000" not in body(by_token)
    assert 'method="post"' in body(by_query) and 'method="get"' not in body(by_query)
    assert by_post.status_code == 200 and "잔액 ₩10,000" in body(by_post)


def test_unknown_code_is_not_found(client, store, owner):
    client.force_login(owner)

    response = look_up(client, store, code="ZZZZZZZZZZZZ")

    assert response.status_code == 404 and "찾을 수 없습니다" in body(response)


def test_scan_takes_staff_to_the_confirm_screen_and_refuses_customers(client, voucher, store,
                                                                     owner, customer):
    url = reverse("vouchers:scan")
    client.force_login(owner)

    confirm = client.post(url, {"token": voucher.qr_token})

    # the confirm screen itself, not a redirect that would put the token in another URL
    assert confirm.status_code == 200 and not confirm.has_header("Location")
    assert "사용 처리 확인" in body(confirm) and "잔액 ₩10,000" in body(confirm)
    assert f'action="{redeem_url(store)}"' in body(confirm)
    client.force_login(customer)
    assert client.post(url, {"token": voucher.qr_token}).status_code == 403
    assert client.post(url, {"token": "nope"}).status_code == 404


def test_a_voucher_qr_keeps_its_token_out_of_every_url_a_server_sees(client, voucher, customer):
    client.force_login(customer)
    detail = client.get(reverse("vouchers:detail", args=[voucher.pk]))
    scan = detail.context["scan_url"]

    # the token rides in the fragment, which browsers never send
    assert scan == f"http://testserver/v/#{voucher.qr_token}"
    page = client.get(reverse("vouchers:scan"))
    assert page.status_code == 200 and voucher.qr_token not in body(page)
    assert 'name="token"' in body(page)
    client.logout()
    signed_out = client.post(reverse("vouchers:scan"), {"token": voucher.qr_token})
    assert signed_out["Location"] == reverse("accounts:login") + "?next=/v/"
    # a QR printed before: its path leads to the scanner page, the token in the fragment
    before = client.get(f"/v/{voucher.qr_token}/")
    assert before.status_code == 302 and before["Location"] == f"/v/#{voucher.qr_token}"


# --- merchant figures and products ----------------------------------------------------------


def test_merchant_page_counts_sales_and_redemptions(client, voucher, store, owner, customer,
                                                    django_assert_max_num_queries):
    services.voucher_redeem(voucher=voucher, store=store, amount=4_000, staff=owner,
                            idempotency_key=key())
    client.force_login(owner)

    with django_assert_max_num_queries(12) as few:
        page = client.get(reverse("vouchers:merchant", args=[store.pk]))

    text = body(page)
    today = text.split('data-stat="redeemed-today"')[1].split("</dl>")[0]
    assert "1건" in today and "₩4,000" in today and "수수료 ₩120" in today
    sold = text.split('data-stat="sold-month"')[1].split("</dl>")[0]
    assert "1장" in sold and "₩10,000" in sold
    assert reverse("vouchers:merchant_redeem", args=[store.pk]) in text
    for _ in range(5):
        extra = buy(make_product(store), customer)
        services.voucher_redeem(voucher=extra, store=store, amount=1_000, staff=owner,
                                idempotency_key=key())
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("vouchers:merchant", args=[store.pk]))


def test_shop_has_constant_queries(client, store, market, django_assert_max_num_queries):
    make_product(store)
    services.voucher_product_create(name="반송큰시장 1만원", market=market, face_value=10_000,
                                    sale_price=9_500)
    with django_assert_max_num_queries(3) as few:
        page = client.get(reverse("vouchers:shop"), {"store": store.pk})
    assert "반송큰시장 1만원" in body(page) and "₩500 할인" in body(page)
    for n in range(6):
        make_product(StoreFactory.create(market=market), name=f"가게 상품권 {n}")
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("vouchers:shop"), {"market": market.pk})


def test_owner_creates_a_store_voucher_and_validity_is_checked(client, store, owner):
    client.force_login(owner)
    url = reverse("vouchers:product_new", args=[store.pk])
    form = {"name": "싱싱수산 3만원권", "kind": "amount", "face_value": 30_000,
            "sale_price": 28_500, "validity_months": 2}

    short = client.post(url, form)
    assert short.status_code == 400 and "12개월 이상" in body(short)
    created = client.post(url, {**form, "validity_months": 12})

    assert created["Location"] == reverse("vouchers:merchant", args=[store.pk])
    product = VoucherProduct.objects.get(name="싱싱수산 3만원권")
    assert (product.store, product.market, product.sale_price) == (store, None, 28_500)


def test_association_creates_a_market_wide_voucher(client, market):
    member = MarketMembershipFactory(market=market, user=StaffUserFactory()).user
    client.force_login(member)

    response = client.post(
        reverse("vouchers:market_product_new", args=[market.pk]),
        {"name": "반송큰시장 5만원", "kind": "amount", "face_value": 50_000,
         "sale_price": 47_500, "validity_months": 12},
    )

    assert response.status_code == 302
    product = VoucherProduct.objects.get(name="반송큰시장 5만원")
    assert (product.market, product.store) == (market, None)


def test_merchant_home_links_the_voucher_screens(client, store, owner):
    client.force_login(owner)

    text = body(client.get(reverse("web:merchant")))

    assert reverse("vouchers:merchant_redeem", args=[store.pk]) in text
    assert reverse("vouchers:merchant", args=[store.pk]) in text
