"""The personal-data download (개인정보보호법 §35): every section, only the person's own rows,
formula-safe CSVs, recorded in the audit log; the page, the file and the API."""

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.urls import reverse

from dangol.accounts.services import api_token_create
from dangol.audit.models import AuditEntry
from dangol.core.phone import phone_display
from dangol.privacy import selectors
from dangol.privacy.archive import SECTIONS

pytestmark = pytest.mark.django_db


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)
                                      if response.streaming else response.content))


def _csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(f"{SECTIONS[name][0]}.csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_document_holds_every_section_of_a_full_life(live):
    life = live()

    document = selectors.my_data(user=life.customer)

    sections = document["sections"]
    assert document["account"]["phone"] == phone_display(life.customer.phone)
    assert [row["sender"] for row in sections["follows"]] == ["바다수산"]
    assert sections["consents"][0]["ad"] is True
    kinds = [event["kind"] for event in sections["consent_events"]]
    assert kinds == ["granted", "night_granted", "night_withdrawn", "withdrawn", "granted"]
    assert all(event["text"] for event in sections["consent_events"] if "granted" in event["kind"])
    assert [row["code"] for row in sections["vouchers"]] == [life.voucher.code]
    assert sections["vouchers"][0]["balance"] == 0
    assert [event["kind"] for event in sections["voucher_events"]] == ["purchase", "redemption"]
    assert {row["status"] for row in sections["coupons"]} == {"사용함", "사용 가능"}
    assert len(sections["stamp_cards"]) == 1 and len(sections["stamps"]) == 1
    assert sorted(row["channel"] for row in sections["messages"]) == ["앱 알림함", "장문 문자(LMS)"]
    assert all("고등어 세일" in row["body"] for row in sections["messages"])
    assert [row["title"] for row in sections["notices"]] == ["안내"]
    assert set(sections) == set(SECTIONS) - {"account"}


def test_another_customers_data_never_appears(live, client):
    mine = live(name="김단골")
    theirs = live(name="박이웃")
    client.force_login(mine.customer)

    response = client.get(reverse("privacy:download"))
    api = client.get("/api/me/data")

    archive = _zip(response)
    everything = "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    everything += api.content.decode()
    assert "김단골" in everything and mine.voucher.code in everything
    other_phone = theirs.customer.phone
    for secret in (
        "박이웃", other_phone, phone_display(other_phone), theirs.voucher.code,
        theirs.open_coupon.code, theirs.notice.body,
    ):
        assert secret not in everything, secret


def test_download_is_a_zip_of_json_and_one_csv_per_section_and_is_audited(live, client):
    life = live()
    client.force_login(life.customer)

    response = client.get(reverse("privacy:download"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = _zip(response)
    names = set(archive.namelist())
    assert names == {"my-data.json"} | {f"{file}.csv" for file, _t, _c in SECTIONS.values()}
    document = json.loads(archive.read("my-data.json"))
    assert document["account"]["id"] == life.customer.pk
    assert document["account"]["created_at"].endswith("+09:00")
    events = _csv(archive, "consent_events")
    assert events[0][:2] == ["동의 번호", "보내는 곳"]
    assert len(events) == 1 + 5
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERSONAL_DATA_EXPORT)
    assert entry.actor == life.customer and entry.subject == f"user:{life.customer.pk}"
    assert entry.details["export"] == "my_data"


def test_csv_cells_cannot_be_formulas(live, client):
    life = live(name="=HYPERLINK(\"http://x\")")
    client.force_login(life.customer)

    archive = _zip(client.get(reverse("privacy:download")))

    account = _csv(archive, "account")
    assert account[1][1] == "'=HYPERLINK(\"http://x\")"
    assert json.loads(archive.read("my-data.json"))["account"]["name"].startswith("=")


def test_api_answers_the_document_to_a_customer_token(live, client):
    life = live()
    _token, secret = api_token_create(user=life.customer, name="내 앱")

    response = client.get("/api/me/data", headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 200
    body = response.json()
    assert body["account"]["phone"] == phone_display(life.customer.phone)
    assert [row["name"] for row in body["sections"]["api_tokens"]] == ["내 앱"]
    assert body["sections"]["vouchers"][0]["code"] == life.voucher.code
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PERSONAL_DATA_EXPORT).count() == 1


def test_api_refuses_an_anonymous_caller(client):
    assert client.get("/api/me/data").status_code == 401


def test_page_lists_what_is_held_and_home_links_to_it(live, client):
    life = live()
    client.force_login(life.customer)

    page = client.get(reverse("privacy:overview"))
    home = client.get(reverse("web:home"))

    assert page.status_code == 200
    content = page.content.decode()
    assert "내 정보 내려받기" in content and reverse("privacy:download") in content
    assert reverse("privacy:erase") in content
    assert reverse("privacy:overview") in home.content.decode()


def test_gift_recipient_number_is_masked_and_code_left_out(live, store, client):
    from dangol.vouchers import services as vouchers
    from tests.vouchers.conftest import buy, make_product

    life = live()
    gift = buy(make_product(store, name="선물용"), life.customer)
    vouchers.voucher_gift(voucher=gift, to_phone="010-9876-5432", message="생일 축하")
    gift.refresh_from_db()

    document = selectors.my_data(user=life.customer)

    row = next(r for r in document["sections"]["vouchers"] if r["voucher_id"] == gift.pk)
    assert row["relation"] == "bought_given" and row["code"] == ""
    event = next(e for e in document["sections"]["voucher_events"] if e["kind"] == "gift")
    assert event["phone"] == "010-****-5432" and event["message"] == "생일 축하"
    assert gift.code not in json.dumps(selectors.my_data(user=life.customer), default=str)


def test_document_takes_the_same_queries_however_many_rows(live, store):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangol.core import clock
    from dangol.vouchers import services as vouchers
    from tests.privacy.conftest import NOW
    from tests.vouchers.conftest import buy, make_product

    small = live()
    big = live()
    with clock.travel(NOW + dt.timedelta(days=1)):
        live(big.customer)  # a second life the next day: more of every kind of row
    for n in range(3):
        gift = buy(make_product(store, name=f"선물 {n}"), big.customer)
        vouchers.voucher_gift(voucher=gift, to_phone=f"010-9876-543{n}")

    with CaptureQueriesContext(connection) as one:
        selectors.my_data(user=small.customer)
    with CaptureQueriesContext(connection) as many:
        document = selectors.my_data(user=big.customer)

    sections = document["sections"]
    assert len(sections["vouchers"]) == 5 and len(sections["coupons"]) == 4
    assert len(sections["stamps"]) == 2 and len(sections["messages"]) == 4
    assert len(many.captured_queries) == len(one.captured_queries)
