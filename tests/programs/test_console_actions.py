"""The console's actions on a program: promotion hall curation, roll-out steps and target,
and pledges (create, report) — each action, each refusal, who may act, query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangol.core import clock
from dangol.programs import rollout
from dangol.programs.models import Enrolment, HallItem, Pledge, RolloutTarget
from dangol.programs.pledges import pledge_create
from tests.factories import (
    MarketFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    ProductFactory,
    SigunguFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

NOW = clock.kst(2026, 11, 21, 10, 0)


@pytest.fixture(autouse=True)
def _now():
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def geumjeong(db):
    return SigunguFactory(code="26410", name="금정구", full_name="부산광역시 금정구")


@pytest.fixture
def stranger(db):
    return OrganisationMembershipFactory(role="operator").user


def hall_url(program) -> str:
    return reverse("programs:console_hall", args=[program.pk])


def markets_url(program) -> str:
    return reverse("programs:console_markets", args=[program.pk])


# --- promotion hall ---------------------------------------------------------------------------


@pytest.fixture
def mackerel(haeundae, market_in, store_in):
    """A ₩12,000 product of 반송수산, a store in a 해운대구 market (in the program's scope)."""
    store = store_in(market_in(haeundae, name="반송큰시장"), name="반송수산")
    return ProductFactory(store=store, name="고등어", unit="1손", price=12_000)


def test_operator_finds_an_eligible_store_and_lists_its_product(
    client, program, operator_user, mackerel, geumjeong
):
    made = program()
    outside = StoreFactory(name="반송상회", region=geumjeong,
                           market=MarketFactory(region=geumjeong))
    client.force_login(operator_user)
    page = client.get(hall_url(made), {"q": "반송"}).content.decode()
    assert f'data-found-store="{mackerel.store_id}"' in page
    assert f'data-found-store="{outside.pk}"' not in page
    page = client.get(hall_url(made), {"q": "반송", "store": mackerel.store_id}).content.decode()
    assert f'data-chosen-store="{mackerel.store_id}"' in page
    assert f'<option value="{mackerel.pk}">고등어</option>' in page

    response = client.post(hall_url(made), {
        "store": mackerel.store_id, "product": mackerel.pk, "discount": 3000,
        "share_percent": "50",
    })
    assert response.status_code == 302
    item = HallItem.objects.get(program=made)
    assert (item.product_id, item.store_id, item.price, item.discount, item.share_bp,
            item.is_active) == (mackerel.pk, mackerel.store_id, 12_000, 3_000, 5_000, True)
    assert item.voucher_product is not None and item.voucher_product.sale_price == 9_000

    page = client.get(hall_url(made)).content.decode()
    row = page.split(f'data-hall-item="{item.pk}"')[1].split("</tr>")[0]
    assert "반송수산" in row and "고등어 1손" in row
    assert "<td class=\"num\" data-sale-price>₩9,000</td>" in row
    assert "50% (₩1,500)" in row and "판매 중" in row
    assert f'href="{reverse("programs:hall", args=[made.pk])}"' in page
    assert reverse("programs:console_hall", args=[made.pk]) in client.get(
        reverse("programs:console_detail", args=[made.pk])).content.decode()


def test_hall_refusals_are_shown_in_korean_with_the_input_kept(
    client, program, operator_user, mackerel, geumjeong
):
    made = program()
    client.force_login(operator_user)
    response = client.post(hall_url(made), {
        "store": mackerel.store_id, "product": mackerel.pk, "discount": 12_000,
        "share_percent": "33.5",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "할인액은 1원 이상, 정가보다 작아야 합니다" in page
    assert 'value="12000"' in page and 'value="33.5"' in page
    assert f'<option value="{mackerel.pk}" selected>' in page
    assert not HallItem.objects.exists()

    outside = ProductFactory(store=StoreFactory(region=geumjeong,
                                                market=MarketFactory(region=geumjeong)))
    response = client.post(hall_url(made), {
        "store": outside.store_id, "product": outside.pk, "discount": 1000,
        "share_percent": "50",
    })
    assert response.status_code == 400
    assert "사업 대상이 아니거나 승인되지 않은 가게입니다" in response.content.decode()

    ok = {"store": mackerel.store_id, "product": mackerel.pk, "discount": 1000,
          "share_percent": "50"}
    assert client.post(hall_url(made), ok).status_code == 302
    response = client.post(hall_url(made), ok)
    assert response.status_code == 400
    assert "이미 기획전에 있는 상품입니다" in response.content.decode()
    assert HallItem.objects.count() == 1

    # A product of another store than the one chosen, a share above 100 %: the form refuses.
    response = client.post(hall_url(made), {**ok, "product": outside.pk})
    assert response.status_code == 400
    response = client.post(hall_url(made), {**ok, "share_percent": "150"})
    assert response.status_code == 400
    assert HallItem.objects.count() == 1


def test_hall_page_permissions(client, program, auditor_user, stranger, mackerel):
    made = program()
    post = {"store": mackerel.store_id, "product": mackerel.pk, "discount": 1000,
            "share_percent": "50"}
    client.force_login(auditor_user)
    response = client.get(hall_url(made), {"store": mackerel.store_id})
    assert response.status_code == 200
    assert "기획전에 올리기" not in response.content.decode()
    assert client.post(hall_url(made), post).status_code == 403
    client.force_login(stranger)
    assert client.get(hall_url(made)).status_code == 403
    assert client.post(hall_url(made), post).status_code == 403
    assert not HallItem.objects.exists()


def test_hall_page_query_count_does_not_grow_with_items(
    client, program, operator_user, mackerel, haeundae, market_in, store_in
):
    made = program()
    client.force_login(operator_user)

    def add(product) -> None:
        response = client.post(hall_url(made), {
            "store": product.store_id, "product": product.pk, "discount": 1000,
            "share_percent": "50"})
        assert response.status_code == 302

    add(mackerel)
    with CaptureQueriesContext(connection) as one:
        assert client.get(hall_url(made), {"q": "가게"}).status_code == 200
    for _ in range(4):
        add(ProductFactory(store=store_in(market_in(haeundae))))
    with CaptureQueriesContext(connection) as five:
        page = client.get(hall_url(made), {"q": "가게"}).content.decode()
    assert page.count("data-hall-item=") == 5
    assert len(five) == len(one)


# --- roll-out ---------------------------------------------------------------------------------


def test_region_page_lists_its_markets_and_advances_them(
    client, program, operator_user, haeundae, geumjeong, market_in
):
    made = program()
    here = market_in(haeundae, name="반송큰시장")
    there = market_in(geumjeong, name="서동미로시장")
    rollout.region_enrol(program=made, region=haeundae)
    rollout.region_enrol(program=made, region=geumjeong)
    enrolment = Enrolment.objects.get(program=made, market=here)
    client.force_login(operator_user)
    detail = client.get(reverse("programs:console_detail", args=[made.pk])).content.decode()
    assert f'{markets_url(made)}?region={haeundae.code}' in detail

    page = client.get(markets_url(made), {"region": haeundae.code}).content.decode()
    assert here.name in page and there.name not in page
    assert f'data-enrolment="{enrolment.pk}" data-status="invited"' in page

    advance = reverse("programs:console_enrolment_advance", args=[made.pk, enrolment.pk])
    response = client.post(f"{advance}?region={haeundae.code}", {"to": "onboarding"})
    assert response.status_code == 302
    assert response["Location"] == f"{markets_url(made)}?region={haeundae.code}"
    enrolment.refresh_from_db()
    assert enrolment.status == "onboarding" and enrolment.onboarding_at == NOW
    assert client.post(advance, {"to": "active"}).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == "active" and enrolment.active_at == NOW

    response = client.post(advance, {"to": "invited"}, follow=True)
    assert "참여 단계는 되돌릴 수 없습니다. (현재: 운영 중)" in response.content.decode()
    response = client.post(advance, {"to": "retired"}, follow=True)
    assert "알 수 없는 단계입니다." in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert client.get(markets_url(made), {"region": "99999"}).status_code == 404


def test_roll_out_target_is_set_and_refused_in_korean(client, program, operator_user):
    made = program()
    client.force_login(operator_user)
    target_url = reverse("programs:console_target", args=[made.pk])
    due = made.starts_on + dt.timedelta(days=60)
    response = client.post(target_url, {"markets": 100, "due_on": due.isoformat()})
    assert response.status_code == 302
    target = RolloutTarget.objects.get(program=made)
    assert (target.markets, target.due_on) == (100, due)

    early = made.starts_on - dt.timedelta(days=1)
    response = client.post(target_url, {"markets": 50, "due_on": early.isoformat()})
    assert response.status_code == 400
    page = response.content.decode()
    assert "기한이 사업 시작일보다 빠릅니다" in page and 'value="50"' in page
    assert client.post(target_url, {"markets": 0}).status_code == 400
    target.refresh_from_db()
    assert target.markets == 100


def test_market_page_paginates_by_fifty_with_a_constant_query_count(
    client, program, operator_user, haeundae
):
    made = program()
    MarketFactory.create_batch(3, region=haeundae)
    rollout.region_enrol(program=made, region=haeundae)
    client.force_login(operator_user)
    with CaptureQueriesContext(connection) as few:
        page = client.get(markets_url(made), {"region": haeundae.code}).content.decode()
    assert page.count("data-enrolment=") == 3
    MarketFactory.create_batch(48, region=haeundae)
    rollout.region_enrol(program=made, region=haeundae)
    with CaptureQueriesContext(connection) as many:
        page = client.get(markets_url(made), {"region": haeundae.code}).content.decode()
    assert page.count("data-enrolment=") == 50
    assert len(many) == len(few)
    second = client.get(markets_url(made), {"region": haeundae.code, "page": 2})
    assert second.content.decode().count("data-enrolment=") == 1


def test_roll_out_permissions(client, program, auditor_user, stranger, haeundae, market_in):
    made = program()
    market_in(haeundae)
    rollout.region_enrol(program=made, region=haeundae)
    enrolment = Enrolment.objects.get(program=made)
    advance = reverse("programs:console_enrolment_advance", args=[made.pk, enrolment.pk])
    target_url = reverse("programs:console_target", args=[made.pk])
    client.force_login(auditor_user)
    page = client.get(markets_url(made), {"region": haeundae.code}).content.decode()
    assert f'data-enrolment="{enrolment.pk}"' in page and "목표 정하기" not in page
    assert 'name="to"' not in page
    assert client.post(advance, {"to": "active"}).status_code == 403
    assert client.post(target_url, {"markets": 5}).status_code == 403
    client.force_login(stranger)
    assert client.get(markets_url(made)).status_code == 403
    assert client.post(advance, {"to": "active"}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == "invited"
    assert not RolloutTarget.objects.exists()


# --- pledges ----------------------------------------------------------------------------------


def test_operator_creates_a_pledge_for_their_organisation(client, operator_user, operator_org,
                                                          program):
    made = program()
    other = OrganisationFactory(name="다른 기관")
    client.force_login(operator_user)
    page = client.get(reverse("programs:console_pledges")).content.decode()
    assert "약속 등록" in page and "다른 기관" not in page
    response = client.post(reverse("programs:console_pledge_new"), {
        "organisation": operator_org.pk, "text": "해운대구 전통시장 20곳 지원", "metric":
        "markets_supported", "target": 20, "deadline": "2026-12-31", "program": made.pk,
    })
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert (pledge.organisation_id, pledge.program_id, pledge.metric, pledge.target,
            pledge.deadline) == (operator_org.pk, made.pk, "markets_supported", 20,
                                 dt.date(2026, 12, 31))
    assert "해운대구 전통시장 20곳 지원" in client.get(
        reverse("programs:console_pledges")).content.decode()

    response = client.post(reverse("programs:console_pledge_new"), {
        "organisation": other.pk, "text": "남의 약속", "metric": "reported", "target": 1,
        "deadline": "2026-12-31",
    })
    assert response.status_code == 400
    response = client.post(reverse("programs:console_pledge_new"), {
        "organisation": operator_org.pk, "text": "목표 없음", "metric": "reported", "target": 0,
        "deadline": "2026-12-31",
    })
    assert response.status_code == 400
    assert 'value="목표 없음"' not in response.content.decode()  # a textarea keeps it
    assert "목표 없음</textarea>" in response.content.decode()
    assert Pledge.objects.count() == 1


def test_operator_reports_a_reported_pledge_with_evidence(client, operator_user, operator_org):
    reported = pledge_create(organisation=operator_org, text="상인 교육 100회",
                             metric="reported", target=100, deadline=dt.date(2026, 12, 31))
    computed = pledge_create(organisation=operator_org, text="시장 10곳",
                             metric="markets_supported", target=10,
                             deadline=dt.date(2026, 12, 31))
    client.force_login(operator_user)
    page = client.get(reverse("programs:console_pledges")).content.decode()
    assert f'data-report-pledge="{reported.pk}"' in page
    assert f'data-report-pledge="{computed.pk}"' not in page

    url = reverse("programs:console_pledge_report", args=[reported.pk])
    response = client.post(url, {"value": 42, "evidence": "교육 일지 42건"})
    assert response.status_code == 302
    reported.refresh_from_db()
    assert (reported.reported_value, reported.evidence, reported.reported_at) == (
        42, "교육 일지 42건", NOW)
    page = client.get(reverse("programs:console_pledges")).content.decode()
    row = page.split(f'data-pledge="{reported.pk}"')[1].split("</tr>")[0]
    assert "<td class=\"num\" data-pledge-value>42</td>" in row and "42%" in row

    response = client.post(url, {"value": 50, "evidence": "  "})
    assert response.status_code == 400
    assert 'value="50"' in response.content.decode()
    response = client.post(reverse("programs:console_pledge_report", args=[computed.pk]),
                           {"value": 3, "evidence": "보고서"})
    assert response.status_code == 409
    assert "이 약속의 지표는 플랫폼이 집계하므로 직접 보고할 수 없습니다." in (
        response.content.decode())
    reported.refresh_from_db()
    computed.refresh_from_db()
    assert reported.reported_value == 42 and computed.reported_value is None


def test_pledge_permissions(client, operator_org, auditor_user, stranger):
    pledge = pledge_create(organisation=operator_org, text="상인 교육 100회", metric="reported",
                           target=100, deadline=dt.date(2026, 12, 31))
    new = {"organisation": operator_org.pk, "text": "약속", "metric": "reported", "target": 1,
           "deadline": "2026-12-31"}
    report_url = reverse("programs:console_pledge_report", args=[pledge.pk])
    client.force_login(auditor_user)
    page = client.get(reverse("programs:console_pledges")).content.decode()
    assert "상인 교육 100회" in page and "약속 등록" not in page and "보고하기" not in page
    assert client.post(reverse("programs:console_pledge_new"), new).status_code == 403
    assert client.post(report_url, {"value": 1, "evidence": "x"}).status_code == 403
    client.force_login(stranger)
    assert client.post(report_url, {"value": 1, "evidence": "x"}).status_code == 403
    assert client.post(reverse("programs:console_pledge_new"), new).status_code == 400
    assert Pledge.objects.count() == 1
    pledge.refresh_from_db()
    assert pledge.reported_value is None


def test_pledges_page_query_count_does_not_grow_with_reported_pledges(
    client, operator_user, operator_org
):
    def add(n: int) -> None:
        for i in range(n):
            pledge_create(organisation=operator_org, text=f"보고 약속 {i}", metric="reported",
                          target=10, deadline=dt.date(2026, 12, 31))

    add(1)
    client.force_login(operator_user)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("programs:console_pledges")).status_code == 200
    add(4)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("programs:console_pledges")).content.decode()
    assert page.count("data-report-pledge=") == 5
    assert len(five) == len(one)
