import pytest
from django.utils.dateparse import parse_datetime

from dangol.accounts.services import api_token_create
from dangol.coupons import services, stamps
from dangol.coupons.models import Coupon, Stamp
from tests.coupons.utils import NOW, make_program, make_template
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(frozen_clock):
    frozen_clock(NOW)
    return StoreFactory()


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


def bearer(user, scope=""):
    _token, secret = api_token_create(user=user, name="포스", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def test_pos_redeems_by_code_and_repeat_with_same_key_returns_first_result(client, store, owner):
    coupon = services.coupon_claim(template=make_template(store), customer=CustomerFactory())
    headers = bearer(owner, scope=f"store:{store.pk}")
    url = f"/api/stores/{store.pk}/coupons/redeem"
    body = {"code": coupon.code, "purchase_amount": 12000, "idempotency_key": "sale-1"}

    first = client.post(url, body, content_type="application/json", headers=headers)
    again = client.post(url, body, content_type="application/json", headers=headers)

    assert first.status_code == 200 and first.json()["discount_amount"] == 1000
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    when = parse_datetime(first.json()["redeemed_at"])
    assert parse_datetime(again.json()["redeemed_at"]) == when
    refused = client.post(url, {"code": coupon.code}, content_type="application/json",
                          headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "coupon_already_used"
    assert "이미 사용한 쿠폰입니다" in refused.json()["message"]


@pytest.mark.parametrize("purchase_amount", [True, "12000", 2**63])
def test_pos_redeem_refuses_a_purchase_amount_that_is_not_whole_won(client, store, owner,
                                                                    purchase_amount):
    coupon = services.coupon_claim(template=make_template(store), customer=CustomerFactory())
    body = {"code": coupon.code, "purchase_amount": purchase_amount, "idempotency_key": "s-1"}

    response = client.post(f"/api/stores/{store.pk}/coupons/redeem", body,
                           content_type="application/json",
                           headers=bearer(owner, scope=f"store:{store.pk}"))

    assert response.status_code == 422
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None


def test_pos_key_reused_for_another_coupon_answers_as_every_api_does(client, store, owner):
    template = make_template(store)
    first, second = (
        services.coupon_claim(template=template, customer=CustomerFactory()) for _ in range(2)
    )
    headers = bearer(owner, scope=f"store:{store.pk}")
    url = f"/api/stores/{store.pk}/coupons/redeem"
    client.post(url, {"code": first.code, "idempotency_key": "sale-1"},
                content_type="application/json", headers=headers)

    reused = client.post(url, {"code": second.code, "idempotency_key": "sale-1"},
                         content_type="application/json", headers=headers)

    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Coupon.objects.get(pk=second.pk).status == Coupon.Status.ISSUED


def test_token_scoped_to_another_store_is_refused(client, store, owner):
    other = StoreFactory()
    StoreMembershipFactory(store=other, user=owner)
    coupon = services.coupon_claim(template=make_template(store), customer=CustomerFactory())
    headers = bearer(owner, scope=f"store:{other.pk}")

    response = client.post(
        f"/api/stores/{store.pk}/coupons/redeem", {"code": coupon.code},
        content_type="application/json", headers=headers,
    )

    assert response.status_code == 403 and response.json()["code"] == "store_not_managed"
    assert Coupon.objects.get(pk=coupon.pk).status == Coupon.Status.ISSUED


def test_caller_who_does_not_run_the_store_is_refused(client, store):
    response = client.get(
        f"/api/stores/{store.pk}/coupon-templates", headers=bearer(StaffUserFactory())
    )
    assert response.status_code == 403


def test_unauthenticated_caller_gets_401(client, store):
    response = client.post(f"/api/stores/{store.pk}/coupons/redeem", {"code": "123456"},
                           content_type="application/json")
    assert response.status_code == 401


def test_foreign_coupon_token_is_refused_with_its_message(client, store, owner):
    coupon = services.coupon_claim(template=make_template(StoreFactory()),
                                   customer=CustomerFactory())
    response = client.post(
        f"/api/stores/{store.pk}/coupons/redeem", {"token": coupon.token},
        content_type="application/json", headers=bearer(owner),
    )
    assert response.status_code == 403 and response.json()["code"] == "coupon_foreign"
    assert "다른 가게의 쿠폰입니다" in response.json()["message"]


def test_pos_gives_stamps_by_customer_code_idempotently(client, store, owner):
    make_program(store, stamps_required=2, per_visit_limit=2, per_day_limit=2)
    customer = CustomerFactory()
    code = stamps.customer_code_get_or_create(customer=customer).code
    headers = bearer(owner, scope=f"store:{store.pk}")
    body = {"customer_code": code, "count": 2, "idempotency_key": "visit-9"}

    first = client.post(f"/api/stores/{store.pk}/stamps", body,
                        content_type="application/json", headers=headers)
    again = client.post(f"/api/stores/{store.pk}/stamps", body,
                        content_type="application/json", headers=headers)

    assert first.status_code == 200 and first.json() == again.json()
    assert first.json()["completed_count"] == 1 and len(first.json()["reward_coupon_ids"]) == 1
    assert Stamp.objects.count() == 1
    limited = client.post(f"/api/stores/{store.pk}/stamps", {"customer_code": code},
                          content_type="application/json", headers=headers)
    assert limited.status_code == 409 and limited.json()["code"] == "stamp_day_limit"


def test_pos_stamp_by_phone_cannot_probe_for_accounts(client, store, owner):
    make_program(store)
    CustomerFactory(phone="+821066660001")  # has an account, does not follow the store
    headers = bearer(owner, scope=f"store:{store.pk}")
    answers = [
        client.post(f"/api/stores/{store.pk}/stamps", {"phone": phone},
                    content_type="application/json", headers=headers)
        for phone in ("010-6666-0001", "010-6666-0002")
    ]
    assert answers[0].status_code == answers[1].status_code == 404
    assert answers[0].json() == answers[1].json()
    assert not Stamp.objects.exists()


def test_coupon_templates_list_is_paginated_with_constant_queries(
    client, store, owner, django_assert_max_num_queries
):
    headers = bearer(owner)
    make_template(store)
    url = f"/api/stores/{store.pk}/coupon-templates"
    with django_assert_max_num_queries(8) as few:
        assert client.get(url, headers=headers).json()["count"] == 1
    for n in range(10):
        make_template(store, name=f"쿠폰 {n}")
    with django_assert_max_num_queries(len(few)):
        assert client.get(url, headers=headers).json()["count"] == 11


def test_customer_claims_and_lists_coupons_with_constant_queries(
    client, store, django_assert_max_num_queries
):
    customer = CustomerFactory()
    client.force_login(customer)
    template = make_template(store)

    url = f"/api/stores/{store.pk}/coupons/{template.pk}/claim"
    claimed = client.post(url, headers={"Idempotency-Key": "claim-1"})
    assert claimed.status_code == 201 and len(claimed.json()["code"]) == 6
    again = client.post(url, headers={"Idempotency-Key": "claim-2"})
    assert again.status_code == 409 and again.json()["code"] == "coupon_limit_reached"
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/me/coupons").json()["count"] == 1
    for n in range(5):
        services.coupon_claim(template=make_template(StoreFactory(), name=f"쿠폰 {n}"),
                              customer=customer)
    with django_assert_max_num_queries(len(few)):
        listed = client.get("/api/me/coupons").json()
    assert listed["count"] == 6 and listed["items"][0]["store_name"]


def test_claim_retried_with_the_same_key_issues_one_coupon(client, store):
    customer = CustomerFactory()
    client.force_login(customer)
    template = make_template(store, per_customer_limit=3)
    url = f"/api/stores/{store.pk}/coupons/{template.pk}/claim"

    first = client.post(url, headers={"Idempotency-Key": "claim-after-timeout"})
    retry = client.post(url, headers={"Idempotency-Key": "claim-after-timeout"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Coupon.objects.filter(customer=customer).count() == 1


def test_claim_needs_an_idempotency_key(client, store):
    customer = CustomerFactory()
    client.force_login(customer)
    template = make_template(store, per_customer_limit=3)

    response = client.post(f"/api/stores/{store.pk}/coupons/{template.pk}/claim")

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert not Coupon.objects.filter(customer=customer).exists()


def test_pos_stamps_retried_with_the_same_idempotency_key_header_are_given_once(
    client, store, owner
):
    make_program(store, stamps_required=5, per_visit_limit=5, per_day_limit=5)
    code = stamps.customer_code_get_or_create(customer=CustomerFactory()).code
    headers = {**bearer(owner, scope=f"store:{store.pk}"), "Idempotency-Key": "visit-10"}
    body = {"customer_code": code, "count": 1}

    first = client.post(f"/api/stores/{store.pk}/stamps", body,
                        content_type="application/json", headers=headers)
    again = client.post(f"/api/stores/{store.pk}/stamps", body,
                        content_type="application/json", headers=headers)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert Stamp.objects.count() == 1


def test_pos_redeem_retried_with_the_same_idempotency_key_header_returns_the_first_result(
    client, store, owner
):
    coupon = services.coupon_claim(template=make_template(store), customer=CustomerFactory())
    headers = {**bearer(owner, scope=f"store:{store.pk}"), "Idempotency-Key": "sale-7"}
    url = f"/api/stores/{store.pk}/coupons/redeem"

    first = client.post(url, {"code": coupon.code}, content_type="application/json",
                        headers=headers)
    again = client.post(url, {"code": coupon.code}, content_type="application/json",
                        headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
