"""Issue 12's privacy rights in a real browser: a customer finds 내 개인정보 from the home
page, downloads their data (a .zip), reads what deleting keeps and removes, types the word
and deletes the account; afterwards the row holds only a pseudonym and they are signed out."""

import zipfile

import pytest
from playwright.sync_api import expect

from dangol.accounts.models import User
from dangol.core import clock
from dangol.regulars.models import Follow
from dangol.regulars.services import follow_join
from tests.e2e.conftest import sign_in_customer
from tests.factories import CustomerFactory, MarketFactory, SigunguFactory, StoreFactory

NOW = clock.kst(2026, 11, 21, 14, 0)
PHONE = "010-5555-7777"

pytestmark = pytest.mark.e2e


def test_download_then_delete_account(live_server, phone, transactional_db, frozen_clock):
    frozen_clock(NOW)
    store = StoreFactory(name="반송수산", market=MarketFactory(region=SigunguFactory()))
    customer = CustomerFactory(phone="+821055557777", name="김단골")
    follow_join(customer=customer, store=store, ad=True)
    base = live_server.url

    sign_in_customer(phone, base, PHONE)
    phone.get_by_role("link", name="내 개인정보").click()
    expect(phone.get_by_role("heading", name="내 개인정보", exact=True)).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="내 정보 내려받기").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "김단골" in archive.read("my-data.json").decode()

    phone.get_by_role("link", name="탈퇴 안내 보기").click()
    expect(phone.get_by_text("전자상거래법 제6조")).to_be_visible()
    phone.get_by_label("탈퇴하려면").fill("탈퇴")
    phone.get_by_role("button", name="계정을 지우고 탈퇴하기").click()
    expect(phone.get_by_text("탈퇴했습니다")).to_be_visible()
    expect(phone.get_by_role("link", name="로그인")).to_be_visible()

    customer = User.objects.get(pk=customer.pk)
    assert customer.name.startswith("탈퇴회원-") and customer.phone is None
    assert not customer.is_active and not Follow.objects.filter(customer=customer).exists()
