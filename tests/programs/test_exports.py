"""A program's applications and grants as .xlsx and .csv with Korean headers."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangol.core import clock
from dangol.programs import exports
from dangol.programs.models import Application
from tests.factories import OrganisationMembershipFactory

pytestmark = pytest.mark.django_db

NOW = clock.kst(2026, 11, 21, 10, 0)


@pytest.fixture(autouse=True)
def _now():
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def applied(client, program, haeundae, market_in, store_in, owner_of):
    """A program with one approved store (반송수산) and one in review (큰가게)."""
    made = program()
    market = market_in(haeundae, name="반송큰시장")
    for name, sales in (("반송수산", 300_000_000), ("큰가게", 1_500_000_000)):
        store = store_in(market, name=name)
        client.force_login(owner_of(store))
        client.post(reverse("programs:apply", args=[store.pk, made.pk]),
                    {"declared_annual_sales": sales, "confirm": "on"})
    client.logout()
    return made


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_applications_csv_has_korean_headers_and_exact_rows(applied):
    rows = read_csv(exports.to_csv(exports.APPLICATION_HEADERS,
                                   exports.application_rows(program=applied)))
    assert rows[0] == ["신청 번호", "가게", "시장·상점가", "시군구", "사업자등록번호",
                       "신고 연 매출(원)", "상태", "사유", "신청 시각", "결정 시각"]
    assert len(rows) == 3
    approved, review = rows[1], rows[2]
    assert approved[1:4] == ["반송수산", "반송큰시장", "해운대구"]
    # no settlement account yet: approved, with the note that the upgrade waits for one
    assert approved[5:8] == [
        "300000000", "승인", "정산 계좌가 없어 정산 혜택을 적용하지 못했습니다."
    ]
    assert approved[8] == "2026-11-21 10:00" and approved[9] == "2026-11-21 10:00"
    assert review[1] == "큰가게" and review[6] == "검토 중" and review[9] == ""
    assert review[7] == "신고한 연 매출 ₩1,500,000,000이(가) 상한 ₩1,000,000,000을(를) 넘습니다."


def test_grants_xlsx_keeps_integer_won(applied):
    content = exports.to_xlsx(exports.GRANT_HEADERS, exports.grant_rows(program=applied),
                              title="지급")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "지급"
    assert rows[0] == ("지급 번호", "가게", "시장·상점가", "지원 내용", "금액(원)",
                       "원장 거래 번호", "지급 시각")
    # message credit ₩300,000, 10 cycles and fast settlement (no money) for 반송수산 only
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [
        ("반송수산", "메시지 충전금", 300_000),
        ("반송수산", "정산 주기 상향", 0),
        ("반송수산", "빠른정산(수수료 면제)", 0),
    ]
    assert isinstance(rows[1][5], int)


def test_export_downloads_for_operator_and_auditor_not_others(client, applied, operator_user,
                                                             auditor_user):
    urls = {
        kind: reverse("programs:console_applications_export", args=[applied.pk, kind])
        for kind in ("csv", "xlsx")
    }
    client.force_login(OrganisationMembershipFactory(role="operator").user)
    assert client.get(urls["csv"]).status_code == 403
    for user in (operator_user, auditor_user):
        client.force_login(user)
        response = client.get(urls["csv"])
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="program-{applied.pk}-applications.csv"'
        )
        assert len(read_csv(response.content)) == 1 + Application.objects.count()
        response = client.get(urls["xlsx"])
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row == 3
    grants = client.get(reverse("programs:console_grants_export", args=[applied.pk, "csv"]))
    assert [row[1] for row in read_csv(grants.content)[1:]] == ["반송수산"] * 3
    assert client.get(
        reverse("programs:console_grants_export", args=[applied.pk, "pdf"])
    ).status_code == 404


def test_export_query_count_does_not_grow_with_rows(client, applied, operator_user, haeundae,
                                                    market_in, store_in, owner_of):
    url = reverse("programs:console_grants_export", args=[applied.pk, "xlsx"])
    apps_url = reverse("programs:console_applications_export", args=[applied.pk, "csv"])

    def count() -> tuple[int, int]:
        client.force_login(operator_user)
        with CaptureQueriesContext(connection) as grants:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as applications:
            assert client.get(apps_url).status_code == 200
        return len(grants), len(applications)

    before = count()
    for _ in range(3):
        store = store_in(market_in(haeundae))
        client.force_login(owner_of(store))
        client.post(reverse("programs:apply", args=[store.pk, applied.pk]),
                    {"declared_annual_sales": 1, "confirm": "on"})
    assert Application.objects.count() == 5
    assert count() == before


def test_apply_confirmation_names_a_lower_limit(client, program, haeundae, market_in, store_in,
                                               owner_of):
    made = program(max_annual_sales=300_000_000)
    store = store_in(market_in(haeundae))
    client.force_login(owner_of(store))
    page = client.get(reverse("programs:apply", args=[store.pk, made.pk])).content.decode()
    assert "연 매출이 ₩300,000,000 이하임을 확인합니다." in page


FORMULA = "=2+5+cmd|' /C calc'!A0"


def test_csv_export_neutralises_formulas():
    rows = read_csv(exports.to_csv(["가게", "금액(원)"], [[FORMULA, -5000]]))

    assert rows[1] == ["'" + FORMULA, "-5000"]


def test_xlsx_export_neutralises_formulas():
    content = exports.to_xlsx(["가게", "금액(원)"], [[FORMULA, -5000]], title="지급")

    sheet = load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[2]] == ["'" + FORMULA, -5000]
    assert sheet["A2"].data_type == "s"
