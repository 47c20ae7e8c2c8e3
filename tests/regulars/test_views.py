"""Pages: follow from the store page, QR and search; my stores and consents; the
merchant's regulars, import, export and poster; who may see what."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.core.clock import kst
from dangol.regulars import services
from dangol.regulars.models import Consent, Follow, RegularsImport
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _regulars_url(store):
    return reverse("regulars:merchant_regulars", args=[store.pk])


# --- following ------------------------------------------------------------------------------


def test_anonymous_store_page_offers_follow_through_sign_in_and_nothing_personal(client, store):
    response = client.get(store.get_absolute_url())
    html = response.content.decode()
    follow_url = reverse("regulars:store_follow", args=[store.pk])
    assert "단골 맺기" in html
    assert f"/accounts/login/?next={follow_url}" in html
    assert "단골 그만두기" not in html and "단골 관리" not in html


def test_signed_in_follower_sees_unfollow_on_store_page(client, noon, customer, store):
    services.follow_create(customer=customer, store=store)
    client.force_login(customer)
    html = client.get(store.get_absolute_url()).content.decode()
    assert "단골 그만두기" in html
    assert "계산대 포스터" not in html


def test_owner_sees_regulars_and_poster_links_on_store_page(client, store, owner):
    client.force_login(owner)
    html = client.get(store.get_absolute_url()).content.decode()
    assert reverse("regulars:merchant_poster", args=[store.pk]) in html


def test_follow_page_needs_sign_in(client, store):
    url = reverse("regulars:store_follow", args=[store.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=" in response["Location"]


def test_qr_address_opens_the_follow_prompt(client, customer, store):
    response = client.get(f"/s/{store.pk}/")
    assert response.status_code == 302
    assert response["Location"] == reverse("regulars:store_follow", args=[store.pk]) + "?source=qr"
    client.force_login(customer)
    html = client.get(response["Location"]).content.decode()
    assert 'name="source" value="qr"' in html
    assert "보유 기간" in html and "[선택]" in html


def test_follow_with_ad_consent_from_the_page(client, noon, customer, store):
    client.force_login(customer)
    url = reverse("regulars:store_follow", args=[store.pk])
    response = client.post(url, {"source": "qr", "ad": "1"})
    assert response.status_code == 302 and response["Location"] == store.get_absolute_url()
    follow = Follow.objects.get(customer=customer, store=store)
    assert follow.source == Follow.Source.QR
    consent = Consent.objects.get(customer=customer, store=store)
    assert consent.ad_active and not consent.night_active
    assert consent.text_version == "ad-2026-11"


def test_follow_without_consent_is_allowed(client, noon, customer, store):
    client.force_login(customer)
    client.post(reverse("regulars:store_follow", args=[store.pk]), {})
    assert Follow.objects.filter(customer=customer).exists()
    assert not Consent.objects.exists()


def test_night_without_ad_is_refused_on_the_page(client, noon, customer, store):
    client.force_login(customer)
    response = client.post(reverse("regulars:store_follow", args=[store.pk]), {"night": "1"})
    assert response.status_code == 400
    assert "야간" in response.content.decode()
    assert not Follow.objects.exists()


def test_unfollow_from_the_page(client, noon, customer, store):
    services.follow_join(customer=customer, store=store, ad=True)
    client.force_login(customer)
    response = client.post(reverse("regulars:store_unfollow", args=[store.pk]))
    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert not Consent.objects.get().ad_active


def test_follow_a_market_channel_from_its_page(client, noon, customer):
    market = MarketFactory()
    client.force_login(customer)
    assert "단골 맺기" in client.get(market.get_absolute_url()).content.decode()
    client.post(reverse("regulars:market_follow", args=[market.pk]), {"ad": "1"})
    assert Follow.objects.get(customer=customer).market == market


def test_store_search_has_follow_buttons(client, noon, customer, store):
    StoreFactory(name="다른가게")
    client.force_login(customer)
    html = client.get(reverse("regulars:store_search"), {"q": "바다"}).content.decode()
    assert "바다수산" in html and "다른가게" not in html
    assert reverse("regulars:store_follow", args=[store.pk]) + "?source=search" in html


# --- the customer's pages ------------------------------------------------------------------


def test_my_stores_lists_follows_with_unfollow(client, noon, customer, store):
    market = MarketFactory(name="반송큰시장")
    services.follow_create(customer=customer, store=store)
    services.follow_create(customer=customer, market=market)
    client.force_login(customer)
    html = client.get(reverse("regulars:my_stores")).content.decode()
    assert "바다수산" in html and "반송큰시장" in html
    assert reverse("regulars:store_unfollow", args=[store.pk]) in html
    assert reverse("regulars:market_unfollow", args=[market.pk]) in html


@pytest.mark.parametrize("size", [1, 8])
def test_my_stores_query_count_does_not_grow(client, noon, customer, django_assert_num_queries,
                                             size):
    for store in StoreFactory.create_batch(size):
        services.follow_create(customer=customer, store=store)
    client.force_login(customer)
    # session, user, follows with their stores and markets
    with django_assert_num_queries(4):
        client.get(reverse("regulars:my_stores"))


def test_my_consents_withdraws_in_one_tap(client, noon, customer, store):
    services.follow_join(customer=customer, store=store, ad=True, night=True)
    consent = Consent.objects.get()
    client.force_login(customer)
    html = client.get(reverse("regulars:my_consents")).content.decode()
    assert "바다수산" in html and "야간 수신만 철회" in html
    url = reverse("regulars:consent_withdraw", args=[consent.pk])
    client.post(url, {"what": "night"})
    consent.refresh_from_db()
    assert consent.ad_active and not consent.night_active
    client.post(url, {"what": "ad"})
    consent.refresh_from_db()
    assert not consent.ad_active


def test_cannot_withdraw_someone_else_s_consent(client, noon, customer, store):
    services.consent_grant(customer=customer, store=store)
    client.force_login(CustomerFactory())
    url = reverse("regulars:consent_withdraw", args=[Consent.objects.get().pk])
    assert client.post(url).status_code == 404
    assert Consent.objects.get().ad_active


@pytest.mark.parametrize("size", [1, 8])
def test_my_consents_query_count_does_not_grow(client, noon, customer, django_assert_num_queries,
                                               size):
    for store in StoreFactory.create_batch(size):
        services.follow_join(customer=customer, store=store, ad=True)
    client.force_login(customer)
    # session, user, follows, consents
    with django_assert_num_queries(5):
        client.get(reverse("regulars:my_consents"))


# --- the merchant's regulars -----------------------------------------------------------------


def test_regulars_list_shows_masked_numbers_counts_and_chart(client, noon, store, owner):
    customer = CustomerFactory(phone="+821012345678", name="이단골")
    services.follow_join(customer=customer, store=store, ad=True)
    tag = services.tag_create(store=store, name="김장 고객")
    services.follow_tags_set(store=store, follow_id=Follow.objects.get().pk, tag_ids=[tag.pk])
    client.force_login(owner)
    response = client.get(_regulars_url(store))
    html = response.content.decode()
    assert "010-****-5678" in html and "010-1234-5678" not in html
    assert "이단골" in html and "김장 고객" in html
    counts = response.context["counts"]
    assert (counts.total, counts.with_ad_consent, counts.new_today) == (1, 1, 1)
    assert len(re.findall(r"<rect ", html)) == 30


def test_another_merchant_gets_403(client, store):
    other = StaffUserFactory()
    StoreFactory().memberships.create(user=other, role="owner")
    client.force_login(other)
    for url in (
        _regulars_url(store),
        reverse("regulars:merchant_export", args=[store.pk]),
        reverse("regulars:merchant_poster", args=[store.pk]),
        reverse("regulars:merchant_import", args=[store.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_a_customer_cannot_see_the_list(client, noon, customer, store):
    services.follow_create(customer=customer, store=store)
    client.force_login(customer)
    assert client.get(_regulars_url(store)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, store):
    assert client.get(_regulars_url(store)).status_code == 302


@pytest.mark.parametrize("size", [1, 12])
def test_regulars_list_query_count_does_not_grow(client, noon, store, owner,
                                                 django_assert_num_queries, size):
    tag = services.tag_create(store=store, name="단골")
    for customer in CustomerFactory.create_batch(size):
        follow = services.follow_join(customer=customer, store=store, ad=True)
        services.follow_tags_set(store=store, follow_id=follow.pk, tag_ids=[tag.pk])
    client.force_login(owner)
    # session, user, store, membership check, count, page of rows, their tags, counts,
    # growth, tags
    with django_assert_num_queries(11):
        response = client.get(_regulars_url(store))
    assert len(response.context["page_obj"].object_list) == size


def test_tag_filter_and_tag_creation(client, noon, store, owner):
    tagged, untagged = CustomerFactory(name="태그있음"), CustomerFactory(name="태그없음")
    follow = services.follow_create(customer=tagged, store=store)
    services.follow_create(customer=untagged, store=store)
    client.force_login(owner)
    client.post(reverse("regulars:merchant_tag_create", args=[store.pk]), {"name": "배달"})
    tag = store.regular_tags.get()
    client.post(
        reverse("regulars:merchant_follow_tags", args=[store.pk, follow.pk]), {"tags": [tag.pk]}
    )
    html = client.get(_regulars_url(store), {"tag": tag.pk}).content.decode()
    assert "태그있음" in html and "태그없음" not in html


def _upload_and_run(client, store, upload, capture):
    """Post `upload` on the import page, run the queued import (Huey runs tasks in-process
    in the tests), and return the import's page."""
    with capture(execute=True):
        response = client.post(
            reverse("regulars:merchant_import", args=[store.pk]), {"file": upload}
        )
    assert response.status_code == 302
    return client.get(response["Location"])


def test_import_page_reports_bad_rows_by_line(
    client, noon, store, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    upload = SimpleUploadedFile(
        "명부.csv", "이름,휴대전화\n가,010-1111-2222\n나,12345\n".encode("cp949"),
        content_type="text/csv",
    )
    response = _upload_and_run(client, store, upload, django_capture_on_commit_callbacks)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-import-state="done"' in html
    assert "3번째 줄" in html
    assert Follow.objects.filter(store=store, source="import").count() == 1


def test_import_page_reports_a_consent_dated_before_the_store(
    client, noon, store, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    upload = SimpleUploadedFile(
        "명부.csv",
        "이름,휴대전화,동의일시\n가,010-1111-2222,0001-01-01T00:00:00+14:00\n".encode(),
        content_type="text/csv",
    )
    response = _upload_and_run(client, store, upload, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "2번째 줄" in response.content.decode()
    assert not Consent.objects.exists()


def test_import_page_refuses_a_bad_file(client, store, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("x.csv", b"name,phone\na,010\n", content_type="text/csv")
    response = client.post(reverse("regulars:merchant_import", args=[store.pk]), {"file": upload})
    assert response.status_code == 400
    assert "필수 열" in response.content.decode()
    assert not RegularsImport.objects.exists()


def test_export_holds_full_numbers_consent_and_tags(client, store, owner, frozen_clock):
    frozen_clock(kst(2026, 11, 21, 9, 30))
    customer = CustomerFactory(phone="+821012345678", name="이단골")
    services.follow_join(customer=customer, store=store, ad=True)
    services.follow_create(customer=CustomerFactory(name="동의없음"), store=store)
    client.force_login(owner)
    response = client.get(reverse("regulars:merchant_export", args=[store.pk]))
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    rows = text.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("이름,휴대전화")
    assert "이단골,010-1234-5678,2026-11-21,예,2026-11-21 09:30,아니요," in rows
    assert any(row.startswith("동의없음,") and ",아니요,," in row for row in rows)


def test_export_neutralises_a_name_that_is_a_formula(client, store, owner, frozen_clock):
    frozen_clock(kst(2026, 11, 21, 9, 30))
    customer = CustomerFactory(phone="+821012345678", name="=2+5+cmd|' /C calc'!A0")
    services.follow_create(customer=customer, store=store)
    client.force_login(owner)

    response = client.get(reverse("regulars:merchant_export", args=[store.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'=2+5+cmd|' /C calc'!A0"


def test_store_staff_cannot_export_full_numbers(client, store):
    staff = StaffUserFactory()
    store.memberships.create(user=staff, role="staff")
    client.force_login(staff)

    page = client.get(_regulars_url(store)).content.decode()
    response = client.get(reverse("regulars:merchant_export", args=[store.pk]))

    assert response.status_code == 403
    assert reverse("regulars:merchant_export", args=[store.pk]) not in page


def test_export_is_audited_once_with_who_what_and_how_many_without_numbers(
    client, store, owner, frozen_clock, caplog
):
    frozen_clock(kst(2026, 11, 21, 9, 30))
    services.follow_create(customer=CustomerFactory(phone="+821012345678"), store=store)
    client.force_login(owner)

    with caplog.at_level("INFO"):
        client.get(reverse("regulars:merchant_export", args=[store.pk]))

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.created_at) == (
        AuditEntry.Action.PERSONAL_DATA_EXPORT, owner, f"store:{store.pk}",
        kst(2026, 11, 21, 9, 30),
    )
    assert entry.details == {"export": "regulars", "rows": 1}
    assert "12345678" not in str(entry.details)
    # recorded once: in the audit log, not again as a log line
    assert not [r for r in caplog.records if "export" in r.getMessage()]


# --- the counter poster ----------------------------------------------------------------------


def _pdf_title(data: bytes) -> str:
    raw = re.search(rb"/Title \((.*?)\) /", data, re.S).group(1)
    octets = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), raw)
    octets = octets.replace(b"\\(", b"(").replace(b"\\)", b")").replace(b"\\\\", b"\\")
    return octets.decode("utf-16")


def test_poster_is_an_a5_pdf_with_embedded_korean_font_and_store_name(client, store, owner):
    client.force_login(owner)
    response = client.get(reverse("regulars:merchant_poster", args=[store.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF")
    # A5 = 148 × 210 mm = 419.53 × 595.28 pt
    assert re.search(rb"/MediaBox \[ 0 0 419\.52\d* 595\.27\d* \]", data)
    assert b"/FontFile2" in data and b"NanumGothic" in data
    assert _pdf_title(data) == "바다수산 — QR 찍고 단골 맺기"


def test_anonymous_cached_page_never_holds_a_signed_in_visitor_s_state(noon, customer, store):
    from django.test import Client

    services.follow_create(customer=customer, store=store)
    anonymous = Client()
    anonymous.get(store.get_absolute_url())  # fills the cache
    signed_in = Client()
    signed_in.force_login(customer)
    assert "단골 그만두기" in signed_in.get(store.get_absolute_url()).content.decode()
    html = anonymous.get(store.get_absolute_url()).content.decode()
    assert "단골 그만두기" not in html and customer.name not in html
