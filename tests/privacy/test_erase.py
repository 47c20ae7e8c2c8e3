"""Deleting one's account (탈퇴): refused while money or a role is at stake, otherwise the
person can no longer sign in, their contact is replaced by a pseudonym, what the law keeps is
kept (untouched, pointing only at the pseudonym) and the rest is removed."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dangol.accounts import services as accounts
from dangol.accounts.models import ApiToken, User, VerificationCode
from dangol.core.models import IdempotentRequest
from dangol.coupons.models import Coupon, CustomerCode
from dangol.coupons.stamps import customer_code_get_or_create
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.models import Delivery, SuppressedReason
from dangol.messaging.selectors import inbox_for
from dangol.notices.models import Notice
from dangol.notices.selectors import notices_for
from dangol.privacy import services
from dangol.privacy.errors import AccountHoldsRole, ErasureNotConfirmed
from dangol.regulars.models import Consent, ConsentEvent, Follow
from dangol.vouchers import services as vouchers
from dangol.vouchers.errors import VoucherBalanceRemains, VoucherRefundPending
from dangol.vouchers.models import Refund, Voucher, VoucherGift
from dangol.vouchers.selectors import vouchers_held_by
from tests.accounts.test_services import last_code_sent_to
from tests.factories import MarketMembershipFactory
from tests.vouchers.conftest import buy, key, make_product

pytestmark = pytest.mark.django_db


def _snapshot_money():
    return (
        list(Transaction.objects.order_by("pk").values_list("pk", "idempotency_key")),
        list(Entry.objects.order_by("pk").values_list("pk", "account_id", "amount")),
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
    )


def test_erasure_pseudonymises_and_keeps_what_the_law_keeps(live):
    life = live(name="김단골")
    person = life.customer
    phone = person.phone
    money_before = _snapshot_money()
    events_before = ConsentEvent.objects.filter(consent__customer=person).count()

    result = services.account_erase(user=person, confirmation="탈퇴")

    person.refresh_from_db()
    assert person.name.startswith("탈퇴회원-") and len(person.name) == len("탈퇴회원-") + 12
    assert person.phone is None and "김단골" not in person.email
    assert person.email.endswith("@erased.invalid")
    assert not person.is_active and not person.has_usable_password()
    assert person.erased_at is not None
    # follows ended, the consent withdrawn as an event; the history stays as proof
    assert not Follow.objects.filter(customer=person).exists()
    consent = Consent.objects.get(customer=person)
    assert not consent.ad_active and consent.ad_withdrawn_at is not None
    events = list(ConsentEvent.objects.filter(consent=consent).values_list("kind", flat=True))
    assert len(events) > events_before and events[-1] == "withdrawn"
    # unused coupons voided, used ones kept
    assert Coupon.objects.get(pk=life.open_coupon.pk).status == Coupon.Status.VOID
    assert Coupon.objects.get(pk=life.used_coupon.pk).status == Coupon.Status.REDEEMED
    # ledger and voucher records untouched, tied to the pseudonymised row only
    assert _snapshot_money() == money_before
    assert ledger_verify().ok
    voucher = Voucher.objects.get(pk=life.voucher.pk)
    assert voucher.buyer_id == person.pk and voucher.holder_id == person.pk
    assert voucher.holder_phone == "" and voucher.redemptions.count() == 1
    # no delivery keeps the number; the rows stay for the campaign's counts
    assert Delivery.objects.filter(customer=person).count() == 2
    assert not Delivery.objects.filter(address=phone).exists()
    assert not Notice.objects.filter(pk=life.notice.pk).exists()
    assert result.follows_ended == 1 and result.coupons_voided == 1


def test_erased_person_cannot_sign_in_by_session_token_or_code(live):
    life = live()
    person, phone = life.customer, life.customer.phone
    _token, secret = accounts.api_token_create(user=person, name="앱")
    browser = Client()
    browser.force_login(person)
    assert browser.get(reverse("privacy:overview")).status_code == 200

    response = browser.post(reverse("privacy:erase"), {"confirm": "탈퇴"})

    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    other_browser = Client()
    other_browser.cookies = browser.cookies
    assert other_browser.get(reverse("privacy:overview")).status_code == 302
    api = Client().get("/api/me/data", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert not ApiToken.objects.filter(user=person).exists()
    # the same number later: a fresh account with none of the old data
    accounts.verification_code_send(request=None, phone=phone)
    fresh = accounts.customer_login_with_code(
        request=None, phone=phone, code=last_code_sent_to(phone)
    )
    assert fresh.pk != person.pk and fresh.is_active
    assert not vouchers_held_by(user=fresh).exists()
    assert not Follow.objects.filter(customer=fresh).exists()
    assert not inbox_for(user=fresh).exists() and not notices_for(user=fresh).exists()


def test_a_session_opened_before_erasure_is_signed_out(live):
    life = live()
    kept_session = Client()
    kept_session.force_login(life.customer)

    services.account_erase(user=life.customer, confirmation="탈퇴")

    assert kept_session.get(reverse("privacy:overview")).status_code == 302


def test_refused_while_a_voucher_keeps_a_balance(live, store):
    life = live()
    product = make_product(store, name="남은 상품권")
    unused = buy(product, life.customer)
    with pytest.raises(VoucherBalanceRemains) as refused:
        services.account_erase(user=life.customer, confirmation="탈퇴")
    assert "₩10,000" in refused.value.message
    life.customer.refresh_from_db()
    assert life.customer.is_active and life.customer.phone
    assert Follow.objects.filter(customer=life.customer).exists()
    assert Voucher.objects.get(pk=unused.pk).holder_phone == life.customer.phone


def test_refused_while_a_voucher_gifted_to_the_number_keeps_a_balance(live, store,
                                                                      customer_factory):
    life = live()
    giver = customer_factory()
    gift = buy(make_product(store, name="선물"), giver)
    vouchers.voucher_gift(voucher=gift, to_phone=life.customer.phone)

    with pytest.raises(VoucherBalanceRemains):
        services.account_erase(user=life.customer, confirmation="탈퇴")


def test_refused_while_a_refund_is_pending(live, store):
    life = live()
    voucher = buy(make_product(store, name="환불할 상품권"), life.customer)
    refund = vouchers.voucher_refund(voucher=voucher, idempotency_key=key("refund"))
    Refund.objects.filter(pk=refund.pk).update(paid_at=None)  # the provider has not paid yet

    with pytest.raises(VoucherRefundPending):
        services.account_erase(user=life.customer, confirmation="탈퇴")


def test_refused_for_a_member_of_a_market(live, market):
    life = live()
    MarketMembershipFactory(market=market, user=life.customer)

    with pytest.raises(AccountHoldsRole):
        services.account_erase(user=life.customer, confirmation="탈퇴")


def test_refused_without_the_confirmation_word(live, client):
    life = live()
    client.force_login(life.customer)

    with pytest.raises(ErasureNotConfirmed):
        services.account_erase(user=life.customer, confirmation="네")
    response = client.post(reverse("privacy:erase"), {"confirm": "네"})

    assert response.status_code == 400
    assert "탈퇴" in response.content.decode()
    life.customer.refresh_from_db()
    assert life.customer.is_active and life.customer.erased_at is None


def test_page_explains_what_is_kept_and_shows_the_refusal(live, store, client):
    life = live()
    buy(make_product(store, name="남은 상품권"), life.customer)
    client.force_login(life.customer)

    response = client.get(reverse("privacy:erase"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "전자상거래법" in content and "잔액이 남은 상품권이 1장" in content
    assert 'name="confirm"' not in content


def test_pending_message_is_suppressed_and_refunded_to_its_sender(live, store):
    life = live()
    campaign = campaign_send(campaign=campaign_create(
        store=store, kind="ad", body="내일 세일", audience="all", channels=["sms"],
        idempotency_key="pending-at-erasure",
    ))
    pending = Delivery.objects.get(campaign=campaign, customer=life.customer)
    assert pending.status == Delivery.Status.QUEUED and pending.address

    services.account_erase(user=life.customer, confirmation="탈퇴")

    pending.refresh_from_db()
    assert pending.status == Delivery.Status.SUPPRESSED
    assert pending.suppressed_reason == SuppressedReason.RECIPIENT_ERASED
    assert pending.refunded and pending.address == ""
    assert ledger_verify().ok


def test_codes_gifts_notices_and_stored_responses_go(live, store, customer_factory):
    life = live()
    phone = life.customer.phone
    customer_code_get_or_create(customer=life.customer)
    giver = customer_factory()
    gift = buy(make_product(store, name="선물"), giver)
    vouchers.voucher_gift(voucher=gift, to_phone=phone, message="축하")
    vouchers.voucher_redeem(voucher=gift, store=store, amount=10_000,
                            staff=store.memberships.first().user, idempotency_key=key("r"))
    VerificationCode.objects.create(phone=phone, code_hash="x", expires_at=life.voucher.expires_at)
    IdempotentRequest.objects.create(
        user=life.customer, key="gift-1", method="POST", path="/api/me/vouchers/1/gift",
        fingerprint="f", response_status=200, response_body={"to_phone": phone},
    )

    services.account_erase(user=life.customer, confirmation="탈퇴")

    assert not CustomerCode.objects.filter(customer=life.customer).exists()
    assert not VerificationCode.objects.filter(phone=phone).exists()
    assert not IdempotentRequest.objects.filter(user=life.customer).exists()
    assert VoucherGift.objects.get(voucher=gift).to_phone == ""
    assert Voucher.objects.get(pk=gift.pk).holder_id == life.customer.pk
    assert not Notice.objects.filter(phone=phone).exists()
    assert not Voucher.objects.filter(holder_phone=phone).exists()


def test_consent_reconfirmation_notice_is_kept_without_the_number(live):
    life = live()
    notice = Notice.objects.create(
        user=life.customer, kind=Notice.Kind.CONSENT_RECONFIRMATION, title="확인", body="b",
        idempotency_key="reconfirm-1", created_at=life.voucher.purchased_at,
    )

    services.account_erase(user=life.customer, confirmation="탈퇴")

    assert Notice.objects.filter(pk=notice.pk, user=life.customer, phone="").exists()


def test_erasing_twice_changes_nothing_more(live):
    life = live()
    services.account_erase(user=life.customer, confirmation="탈퇴")
    life.customer.refresh_from_db()
    first = (life.customer.name, life.customer.email, life.customer.erased_at)

    erased = accounts.user_erase(user=life.customer)

    assert (erased.name, erased.email, erased.erased_at) == first
    assert User.objects.filter(pk=life.customer.pk, is_active=False).exists()
    assert erased.erased_at - first[2] == dt.timedelta(0)
