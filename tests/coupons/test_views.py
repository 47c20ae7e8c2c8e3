import datetime as dt

import pytest
from django.urls import reverse

from dangol.coupons import services, stamps
from dangol.coupons.models import Coupon, CouponTemplate, Stamp
from dangol.regulars.services import follow_create
from tests.coupons.utils import NOW, make_program, make_template
from tests.factories import (
    CustomerFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(frozen_clock):
    frozen_clock(NOW)
    return StoreFactory(name="반송 수산")


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def customer():
    return CustomerFactory()


def claim(template, customer):
    return services.coupon_claim(template=template, customer=customer)


# --- customer pages ---------------------------------------------------------------------------


def test_store_coupons_lists_claimable_and_asks_anonymous_to_sign_in(client, store):
    make_template(store, name="오늘만 1,000원")
    make_template(store, name="보상 전용", claimable=False)

    page = client.get(reverse("coupons:store_coupons", args=[store.pk]))

    assert "오늘만 1,000원" in page.content.decode() and "쿠폰 받기" in page.content.decode()
    assert "보상 전용" not in page.content.decode()
    response = client.post(reverse("coupons:store_coupons", args=[store.pk]), {"template": 1})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_customer_claims_coupon_from_store_page(client, store, customer):
    template = make_template(store)
    client.force_login(customer)

    response = client.post(
        reverse("coupons:store_coupons", args=[store.pk]), {"template": template.pk}
    )

    coupon = Coupon.objects.get(customer=customer)
    assert response["Location"] == reverse("coupons:coupon", args=[coupon.pk])
    again = client.post(
        reverse("coupons:store_coupons", args=[store.pk]), {"template": template.pk}, follow=True
    )
    assert "1장까지" in again.content.decode()


def test_store_coupons_page_has_constant_queries(client, store, customer,
                                                django_assert_max_num_queries):
    client.force_login(customer)
    for n in range(3):
        make_template(store, name=f"쿠폰 {n}")
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("coupons:store_coupons", args=[store.pk]))
    for n in range(10):
        make_template(store, name=f"더 {n}")
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("coupons:store_coupons", args=[store.pk]))


def test_wallet_shows_usable_used_expired_in_constant_queries(
    client, store, owner, customer, frozen_clock, django_assert_max_num_queries
):
    client.force_login(customer)
    claim(make_template(store, name="쓸 수 있는 쿠폰"), customer)
    used = claim(make_template(store, name="쓴 쿠폰"), customer)
    services.coupon_redeem(store=store, staff=owner, code=used.code)
    with django_assert_max_num_queries(5) as few:
        page = client.get(reverse("coupons:wallet"))
    text = page.content.decode()
    assert "쓸 수 있는 쿠폰" in text and "쓴 쿠폰" in text
    for n in range(8):
        claim(make_template(store, name=f"더 {n}", valid_until=NOW + dt.timedelta(hours=1)),
              customer)
    frozen_clock(NOW + dt.timedelta(hours=2))
    with django_assert_max_num_queries(len(few)):
        assert "기간 만료" in client.get(reverse("coupons:wallet")).content.decode()


def test_coupon_page_shows_code_and_qr_of_scan_url(client, store, customer):
    coupon = claim(make_template(store), customer)
    client.force_login(customer)

    page = client.get(reverse("coupons:coupon", args=[coupon.pk])).content.decode()

    assert coupon.code in page and "<svg" in page


def test_coupon_page_of_another_customer_is_not_found(client, store, customer):
    coupon = claim(make_template(store), CustomerFactory())
    client.force_login(customer)
    assert client.get(reverse("coupons:coupon", args=[coupon.pk])).status_code == 404


def test_my_code_and_stamp_cards_render(client, store, owner, customer):
    make_program(store)
    client.force_login(customer)
    page = client.get(reverse("coupons:my_code")).content.decode()
    code = customer.customer_code.code
    assert code in page and "<svg" in page
    stamps.stamp_give(store=store, staff=owner, customer_code=code)
    assert "1 / 3개" in client.get(reverse("coupons:stamps")).content.decode()


@pytest.mark.parametrize("name", ["coupons:wallet", "coupons:stamps", "coupons:my_code"])
def test_customer_pages_need_sign_in(client, name):
    assert client.get(reverse(name)).status_code == 302


# --- merchant pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["coupons:merchant_coupons", "coupons:merchant_redeem", "coupons:merchant_stamps"]
)
def test_merchant_pages_are_for_owner_and_staff_only(client, store, owner, name):
    url = reverse(name, args=[store.pk])
    assert client.get(url).status_code == 302
    client.force_login(StaffUserFactory())
    assert client.get(url).status_code == 403
    client.force_login(StoreMembershipFactory(store=StoreFactory()).user)
    assert client.get(url).status_code == 403
    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(StoreMembershipFactory(store=store, role="staff").user)
    assert client.get(url).status_code == 200


def test_merchant_creates_template_and_issues_to_all_regulars(client, store, owner):
    for _ in range(3):
        follow_create(customer=CustomerFactory(), store=store)
    client.force_login(owner)
    url = reverse("coupons:merchant_coupons", args=[store.pk])

    response = client.post(url, {
        "action": "create", "name": "김장철 10%", "kind": "percent_off", "percent_off": 10,
        "max_discount": 3000, "start_day": "2026-11-21", "end_day": "2026-11-30",
        "per_customer_limit": 1, "minimum_purchase": 0, "claimable": "on",
    })
    assert response.status_code == 302
    template = CouponTemplate.objects.get(store=store)
    assert template.valid_until == NOW.replace(day=1, month=12, hour=0)

    issued = client.post(url, {"action": "issue", "template": template.pk}, follow=True)
    assert "단골 3명에게 쿠폰을 발급했습니다" in issued.content.decode()


def test_merchant_coupons_page_has_constant_queries(client, store, owner,
                                                   django_assert_max_num_queries):
    client.force_login(owner)
    make_template(store)
    url = reverse("coupons:merchant_coupons", args=[store.pk])
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for n in range(10):
        make_template(store, name=f"쿠폰 {n}")
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_redeem_flow_confirms_then_refuses_a_second_use(client, store, owner, customer):
    coupon = claim(make_template(store, name="고등어 1,000원 할인"), customer)
    client.force_login(owner)
    url = reverse("coupons:merchant_redeem", args=[store.pk])

    preview = client.post(url, {"action": "lookup", "code": coupon.code}).content.decode()
    assert "고등어 1,000원 할인" in preview and "사용 처리 확인" in preview
    done = client.post(url, {"code": coupon.code, "purchase_amount": "15000"})
    assert "쿠폰을 사용 처리했습니다" in done.content.decode()
    again = client.post(url, {"code": coupon.code})
    assert again.status_code == 409 and "이미 사용한 쿠폰입니다" in again.content.decode()
    looked_up = client.post(url, {"action": "lookup", "code": coupon.code})
    assert "이미 사용한 쿠폰입니다" in looked_up.content.decode()


def test_counter_lookup_never_reads_a_code_or_token_from_the_url(client, store, owner,
                                                                customer):
    # Access logs record query strings: the counter screen looks coupons up by POST only.
    coupon = claim(make_template(store, name="고등어 1,000원 할인"), customer)
    client.force_login(owner)
    url = reverse("coupons:merchant_redeem", args=[store.pk])

    by_code = client.get(url, {"code": coupon.code}).content.decode()
    by_token = client.get(url, {"token": coupon.token}).content.decode()

    assert "고등어 1,000원 할인" not in by_code and "고등어 1,000원 할인" not in by_token
    assert 'method="get"' not in by_code
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.ISSUED


def test_scan_url_opens_confirm_for_staff_and_refusal_for_others(client, store, owner, customer):
    coupon = claim(make_template(store), customer)
    url = reverse("coupons:scan")
    scan = {"token": coupon.token}

    client.force_login(owner)
    assert "사용 처리 확인" in client.post(url, scan).content.decode()
    client.force_login(StoreMembershipFactory(store=StoreFactory()).user)
    foreign = client.post(url, scan)
    assert foreign.status_code == 403 and "다른 가게의 쿠폰입니다" in foreign.content.decode()
    client.force_login(customer)
    assert client.post(url, scan).status_code == 403
    client.force_login(owner)
    assert client.post(url, {"token": "nope"}).status_code == 404


def test_coupon_and_customer_qrs_carry_their_secret_in_the_fragment(client, store, customer):
    coupon = claim(make_template(store), customer)
    client.force_login(customer)

    detail = client.get(reverse("coupons:coupon", args=[coupon.pk]))
    mine = client.get(reverse("coupons:my_code"))

    code = stamps.customer_code_get_or_create(customer=customer).code
    assert detail.context["scan_url"] == f"http://testserver/c/#{coupon.token}"
    assert mine.context["scan_url"] == f"http://testserver/u/#{code}"
    assert client.get(f"/c/{coupon.token}/")["Location"] == f"/c/#{coupon.token}"
    assert client.get(f"/u/{code}/")["Location"] == f"/u/#{code}"


def test_merchant_gives_stamp_by_phone_and_sees_limit_message(client, store, owner):
    make_program(store, per_day_limit=1, per_visit_limit=1)
    follow_create(customer=CustomerFactory(phone="+821077770000"), store=store)
    client.force_login(owner)
    url = reverse("coupons:merchant_stamps", args=[store.pk])

    first = client.post(url, {"phone": "010-7777-0000", "count": 1})
    assert "스탬프 1개를 주었습니다" in first.content.decode()
    second = client.post(url, {"phone": "010-7777-0000", "count": 1})
    assert second.status_code == 409 and "하루 최대 1개" in second.content.decode()
    assert Stamp.objects.count() == 1


def test_merchant_starts_a_stamp_program(client, store, owner):
    reward = make_template(store, name="식혜", kind="free_item", amount_off=0, free_item="식혜")
    client.force_login(owner)
    response = client.post(reverse("coupons:merchant_stamps", args=[store.pk]), {
        "action": "program", "name": "10개 모으면 식혜", "stamps_required": 10,
        "reward": reward.pk, "per_visit_limit": 1, "per_day_limit": 2,
    })
    assert response.status_code == 302
    assert store.stamp_programs.get().reward == reward


def test_customer_qr_opens_the_stamp_screen_with_the_code(client, store, owner, customer):
    make_program(store)
    code = stamps.customer_code_get_or_create(customer=customer).code
    client.force_login(owner)

    response = client.post(reverse("coupons:customer_scan"), {"code": code})

    # the stamp screen itself, the code in its form: no redirect with ?customer_code=
    assert response.status_code == 200 and not response.has_header("Location")
    assert f'value="{code}"' in response.content.decode()
    assert not Stamp.objects.exists()
    assert client.post(reverse("coupons:customer_scan"), {"code": "12"}).status_code == 400


def test_customer_qr_lets_a_merchant_of_two_stores_choose(client, store, owner, customer):
    other = StoreFactory()
    StoreMembershipFactory(store=other, user=owner)
    make_program(other)
    code = stamps.customer_code_get_or_create(customer=customer).code
    client.force_login(owner)

    choose = client.post(reverse("coupons:customer_scan"), {"code": code}).content.decode()
    assert other.name in choose and "customer_code=" not in choose
    chosen = client.post(reverse("coupons:merchant_stamps", args=[other.pk]),
                         {"action": "prefill", "customer_code": code})

    assert chosen.status_code == 200 and f'value="{code}"' in chosen.content.decode()
    assert not Stamp.objects.exists()


def test_stamp_pages_have_constant_queries(client, store, owner, django_assert_max_num_queries):
    make_program(store, per_day_limit=9, per_visit_limit=9)
    customer = CustomerFactory()
    stamps.stamp_give(store=store, staff=owner, customer=customer)
    client.force_login(customer)
    with django_assert_max_num_queries(5) as few:
        client.get(reverse("coupons:stamps"))
    for _ in range(4):
        other = StoreFactory()
        make_program(other)
        stamps.stamp_give(store=other, staff=owner, customer=customer)
    with django_assert_max_num_queries(len(few)):
        assert client.get(reverse("coupons:stamps")).content.decode().count("<progress") == 5

    client.force_login(owner)
    url = reverse("coupons:merchant_stamps", args=[store.pk])
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for _ in range(5):
        stamps.stamp_give(store=store, staff=owner, customer=CustomerFactory())
    with django_assert_max_num_queries(len(few)):
        client.get(url)
