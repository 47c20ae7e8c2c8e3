"""Programs pages: the operators' console (list with figures, create, detail with the review
queue, roll-out, pledges; auditors read only) and the merchant's three-tap application."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangol.core import clock
from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.messaging.credit import message_credit_account
from dangol.messaging.selectors import message_credit_balance
from dangol.programs import selectors
from dangol.programs.models import Application, Benefit, Enrolment, Grant, Program
from dangol.programs.pledges import pledge_create
from tests.factories import (
    MarketFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    SidoFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

NOW = clock.kst(2026, 11, 21, 10, 0)


@pytest.fixture(autouse=True)
def _now():
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def shop(haeundae, market_in, store_in, owner_of):
    """A store in a 해운대구 market with its owner: (store, owner)."""
    store = store_in(market_in(haeundae, name="반송큰시장"), name="반송수산")
    return store, owner_of(store)


def figure(page: str, name: str) -> str:
    return page.split(f'data-figure="{name}">')[1].split("<")[0]


def spend(store, amount: int, key: str) -> None:
    """Use `amount` of the store's message credit (as a campaign charge would)."""
    usage = account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.MESSAGE_USAGE, non_negative=False,
        name="메시지 발송 비용",
    )
    ledger_transfer(idempotency_key=key, kind="message_charge",
                    source=message_credit_account(store=store), destination=usage, amount=amount)


def apply_url(store, program):
    return reverse("programs:apply", args=[store.pk, program.pk])


# --- access -----------------------------------------------------------------------------------


def test_console_pages_refuse_customers_and_anonymous(client, program):
    made = program()
    assert client.get(reverse("programs:console_list")).status_code == 302
    client.force_login(StaffUserFactory())
    assert client.get(reverse("programs:console_list")).status_code == 403
    assert client.get(reverse("programs:console_detail", args=[made.pk])).status_code == 403
    assert client.get(reverse("programs:console_pledges")).status_code == 403


def test_operator_of_another_organisation_cannot_see_or_decide(client, program, shop):
    made = program()
    store, owner = shop
    application = Application.objects.create(
        program=made, store=store, applicant=owner, declared_annual_sales=2_000_000_000,
        brn=store.brn, status=Application.Status.REVIEW, reasons=[],
    )
    stranger = OrganisationMembershipFactory(role="operator").user
    client.force_login(stranger)
    assert client.get(reverse("programs:console_detail", args=[made.pk])).status_code == 403
    response = client.post(
        reverse("programs:console_decide", args=[made.pk, application.pk]), {"action": "approve"}
    )
    assert response.status_code == 403
    assert made.name not in client.get(reverse("programs:console_list")).content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.REVIEW


def test_auditor_reads_every_program_but_cannot_act(client, program, auditor_user, shop, haeundae):
    made = program()
    store, owner = shop
    application = Application.objects.create(
        program=made, store=store, applicant=owner, declared_annual_sales=2_000_000_000,
        brn=store.brn, status=Application.Status.REVIEW, reasons=[{"code": "sales_above_limit",
                                                                   "declared": 2_000_000_000,
                                                                   "limit": 1_000_000_000}],
    )
    client.force_login(auditor_user)
    page = client.get(reverse("programs:console_list")).content.decode()
    assert made.name in page
    detail = client.get(reverse("programs:console_detail", args=[made.pk])).content.decode()
    assert "반송수산" in detail and "감사자는 사업을 볼 수만 있습니다." in detail
    assert "시군구 전체 참여" not in detail and 'name="action" value="approve"' not in detail
    assert client.post(reverse("programs:console_decide", args=[made.pk, application.pk]),
                       {"action": "approve"}).status_code == 403
    assert client.post(reverse("programs:console_enrol", args=[made.pk]),
                       {"region": haeundae.pk}).status_code == 403
    assert client.get(reverse("programs:console_new")).status_code == 403


# --- list and figures ---------------------------------------------------------------------------


def test_list_shows_budget_committed_spent_remaining_exactly(client, program, operator_user, shop):
    made = program(budget=3_000_000)
    store, owner = shop
    client.force_login(owner)
    client.post(apply_url(store, made), {"declared_annual_sales": 300_000_000, "confirm": "on"})
    spend(store, 4_400, "spend-1")

    client.force_login(operator_user)
    page = client.get(reverse("programs:console_list")).content.decode()

    row = page.split(f'data-program="{made.pk}"')[1].split("</tr>")[0]
    assert figure(row, "budget") == "₩3,000,000"
    assert figure(row, "committed") == "₩300,000"
    assert figure(row, "spent") == "₩4,400"
    assert figure(row, "remaining") == "₩2,700,000"
    # the list's bulk figures agree with the selector's
    figures = selectors.program_figures(program=made)
    assert (figures.committed, figures.spent, figures.remaining) == (300_000, 4_400, 2_700_000)


def test_list_query_count_does_not_grow_with_programs(client, program, operator_user, haeundae,
                                                     market_in, store_in, owner_of):
    first = program()
    client.force_login(operator_user)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("programs:console_list")).status_code == 200
    for _ in range(4):
        made = program()
        store = store_in(market_in(haeundae))
        client.force_login(owner_of(store))
        client.post(apply_url(store, made), {"declared_annual_sales": 1, "confirm": "on"})
    store = store_in(market_in(haeundae))
    client.force_login(owner_of(store))
    client.post(apply_url(store, first), {"declared_annual_sales": 1, "confirm": "on"})
    assert Grant.objects.count() == 5 * 3
    client.force_login(operator_user)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("programs:console_list")).content.decode()
    assert page.count("data-program=") == 5
    assert len(five) == len(one)


# --- create -----------------------------------------------------------------------------------


def test_operator_creates_an_open_program_with_default_benefits(client, operator_user,
                                                                operator_org, haeundae):
    client.force_login(operator_user)
    form = client.get(reverse("programs:console_new")).content.decode()
    assert 'value="300000"' in form and 'value="3000000"' in form and 'value="10"' in form

    response = client.post(reverse("programs:console_new"), {
        "name": "해운대구 상생 2026", "operator": operator_org.pk,
        "starts_on": "2026-11-21", "ends_on": "2026-12-31", "regions": [haeundae.pk],
        "budget": 30_000_000, "max_annual_sales": 1_000_000_000, "applicant_cap": "",
        "message_credit": 300_000, "market_channel_credit": 3_000_000,
        "cycles_per_month": 10, "fast_settlement": "on",
    })

    made = Program.objects.get(name="해운대구 상생 2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:console_detail", args=[made.pk])
    assert made.status == Program.Status.OPEN and made.budget == 30_000_000
    assert list(made.regions.all()) == [haeundae]
    kinds = {b.kind: (b.amount, b.cycles_per_month) for b in made.benefits.all()}
    assert kinds == {
        Benefit.Kind.MESSAGE_CREDIT: (300_000, None),
        Benefit.Kind.MARKET_CHANNEL_CREDIT: (3_000_000, None),
        Benefit.Kind.SETTLEMENT_UPGRADE: (0, 10),
        Benefit.Kind.FAST_SETTLEMENT: (0, None),
    }
    detail = client.get(response["Location"]).content.decode()
    assert figure(detail, "budget") == "₩30,000,000"
    assert figure(detail, "remaining") == "₩30,000,000"
    assert figure(detail, "committed") == "₩0"


def test_create_refuses_a_backwards_period_and_another_organisation(client, operator_user,
                                                                   operator_org, haeundae):
    client.force_login(operator_user)
    other = OrganisationFactory(name="다른 기관")
    data = {
        "name": "거꾸로", "operator": operator_org.pk, "starts_on": "2026-12-31",
        "ends_on": "2026-11-21", "regions": [haeundae.pk], "budget": 1_000_000,
        "max_annual_sales": 1_000_000_000, "message_credit": 300_000,
        "market_channel_credit": 0, "cycles_per_month": 0,
    }
    response = client.post(reverse("programs:console_new"), data)
    assert response.status_code == 400
    assert "종료일은 시작일보다 빠를 수 없습니다." in response.content.decode()
    data.update(ends_on="2027-01-31", operator=other.pk)
    assert client.post(reverse("programs:console_new"), data).status_code == 400
    assert not Program.objects.exists()


# --- merchant: three taps -----------------------------------------------------------------------


def test_merchant_home_card_apply_and_credit_in_three_taps(client, program, shop):
    made = program()
    store, owner = shop
    client.force_login(owner)
    home = client.get(reverse("web:merchant")).content.decode()
    assert "지원 사업 신청" in home and f'data-program-offer="{made.pk}"' in home
    # tap 1: the card
    card = home.split(f'data-program-offer="{made.pk}"')[1].split("</a>")[0]
    assert apply_url(store, made) in card
    page = client.get(apply_url(store, made)).content.decode()
    assert "메시지 충전금 ₩300,000" in page and "연 매출이 10억 원 이하임을 확인합니다." in page
    # taps 2 and 3: tick the box (with the figure) and submit
    response = client.post(apply_url(store, made),
                           {"declared_annual_sales": 250_000_000, "confirm": "on"})
    assert response.status_code == 302
    result = client.get(response["Location"]).content.decode()
    assert 'data-application-status="approved"' in result and "₩300,000" in result
    assert message_credit_balance(store=store) == 300_000
    assert Application.objects.get().declared_annual_sales == 250_000_000
    home = client.get(reverse("web:merchant")).content.decode()
    assert "승인" in home.split(f'data-program-offer="{made.pk}"')[1].split("</a>")[0]
    # a second submit changes nothing
    client.post(apply_url(store, made), {"declared_annual_sales": 1, "confirm": "on"})
    assert Application.objects.count() == 1 and message_credit_balance(store=store) == 300_000


def test_apply_needs_the_confirmation(client, program, shop):
    made = program()
    store, owner = shop
    client.force_login(owner)
    response = client.post(apply_url(store, made), {"declared_annual_sales": 100})
    assert response.status_code == 400
    assert "연 매출 확인에 체크해 주세요." in response.content.decode()
    assert not Application.objects.exists()


def test_no_card_for_a_store_out_of_scope_or_a_closed_program(client, program, owner_of,
                                                             store_in):
    program()
    closed = program()
    Program.objects.filter(pk=closed.pk).update(status=Program.Status.CLOSED)
    sido = SidoFactory(code="11", name="서울특별시", full_name="서울특별시")
    from tests.factories import SigunguFactory

    jongno = SigunguFactory(code="11110", name="종로구", full_name="서울특별시 종로구",
                            parent=sido)
    store = store_in(MarketFactory(region=jongno))
    client.force_login(owner_of(store))
    assert "data-program-offer" not in client.get(reverse("web:merchant")).content.decode()


def test_another_merchant_cannot_apply_for_the_store(client, program, shop, owner_of, store_in,
                                                    haeundae, market_in):
    made = program()
    store, _owner = shop
    other = owner_of(store_in(market_in(haeundae)))
    client.force_login(other)
    assert client.get(apply_url(store, made)).status_code == 403
    assert client.post(apply_url(store, made),
                       {"declared_annual_sales": 1, "confirm": "on"}).status_code == 403
    assert not Application.objects.exists()


def test_staff_see_the_application_page_but_only_the_owner_applies(client, program, shop):
    made = program()
    store, _owner = shop
    staff = StaffUserFactory()
    store.memberships.create(user=staff, role="staff")
    client.force_login(staff)

    page = client.get(apply_url(store, made))
    response = client.post(apply_url(store, made), {"declared_annual_sales": 1, "confirm": "on"})

    assert page.status_code == 200
    assert response.status_code == 403
    assert "이 가게의 사장님만 신청할 수 있습니다." in response.content.decode()
    assert not Application.objects.exists()


# --- review queue -------------------------------------------------------------------------------


def test_review_queue_approve_and_reject_with_reason(client, program, operator_user, haeundae,
                                                     market_in, store_in, owner_of):
    made = program()
    big, small = store_in(market_in(haeundae), name="큰가게"), store_in(market_in(haeundae),
                                                                       name="작은가게")
    for store in (big, small):
        client.force_login(owner_of(store))
        client.post(apply_url(store, made),
                    {"declared_annual_sales": 1_500_000_000, "confirm": "on"})
    assert Application.objects.filter(status=Application.Status.REVIEW).count() == 2

    client.force_login(operator_user)
    detail_url = reverse("programs:console_detail", args=[made.pk])
    page = client.get(detail_url).content.decode()
    assert "큰가게" in page and "작은가게" in page
    assert "신고한 연 매출 ₩1,500,000,000이(가) 상한 ₩1,000,000,000을(를) 넘습니다." in page

    big_app = Application.objects.get(store=big)
    small_app = Application.objects.get(store=small)
    # a rejection needs a reason
    client.post(reverse("programs:console_decide", args=[made.pk, small_app.pk]),
                {"action": "reject", "reason": " "})
    small_app.refresh_from_db()
    assert small_app.status == Application.Status.REVIEW
    client.post(reverse("programs:console_decide", args=[made.pk, small_app.pk]),
                {"action": "reject", "reason": "매출 증빙 없음"})
    response = client.post(reverse("programs:console_decide", args=[made.pk, big_app.pk]),
                           {"action": "approve"})
    assert response.status_code == 302

    big_app.refresh_from_db()
    small_app.refresh_from_db()
    assert big_app.status == Application.Status.APPROVED and big_app.decided_by == operator_user
    assert small_app.status == Application.Status.REJECTED
    assert message_credit_balance(store=big) == 300_000
    assert message_credit_balance(store=small) == 0
    page = client.get(detail_url).content.decode()
    assert "검토할 신청이 없습니다." in page
    assert figure(page, "committed") == "₩300,000"
    assert 'data-grant="' in page
    # the merchant sees the rejection with its reason
    client.force_login(small.memberships.get().user)
    result = client.get(apply_url(small, made)).content.decode()
    assert 'data-application-status="rejected"' in result and "반려: 매출 증빙 없음" in result


def test_detail_query_count_does_not_grow_with_rows(client, program, operator_user, haeundae,
                                                    market_in, store_in, owner_of):
    made = program()

    def add(n: int) -> None:
        for _ in range(n):
            market = market_in(haeundae)
            approved, review = store_in(market), store_in(market)
            client.force_login(owner_of(approved))
            client.post(apply_url(approved, made), {"declared_annual_sales": 1, "confirm": "on"})
            client.force_login(owner_of(review))
            client.post(apply_url(review, made),
                        {"declared_annual_sales": 2_000_000_000, "confirm": "on"})
            Enrolment.objects.create(program=made, market=market)
        pledge_create(organisation=made.operator, text=f"약속 {n}", metric="merchants_credited",
                      target=10, deadline=dt.date(2026, 12, 31), program=made)

    def count() -> int:
        client.force_login(operator_user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("programs:console_detail", args=[made.pk])).status_code \
                == 200
        return len(queries)

    add(1)
    one = count()
    add(4)
    assert Application.objects.count() == 10 and Enrolment.objects.count() == 5
    assert count() == one


# --- roll-out and pledges -----------------------------------------------------------------------


def test_region_enrol_button_enrols_every_market_of_the_sigungu(client, program, operator_user,
                                                                haeundae, market_in):
    made = program()
    for n in range(3):
        market_in(haeundae, name=f"해운대시장{n}")
    client.force_login(operator_user)
    response = client.post(reverse("programs:console_enrol", args=[made.pk]),
                           {"region": haeundae.pk})
    assert response.status_code == 302
    assert Enrolment.objects.filter(program=made).count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "해운대구의 시장 3곳을 참여시켰습니다." in page
    assert 'data-sigungu="26350"' in page and "참여 시장 3곳" in page


def test_pledges_page_shows_progress_for_operators_and_auditors(client, program, operator_user,
                                                                auditor_user, shop):
    made = program()
    pledge = pledge_create(organisation=made.operator, text="메시지 충전금 가게 100곳",
                           metric="merchants_credited", target=100,
                           deadline=dt.date(2026, 12, 31), program=made)
    store, owner = shop
    client.force_login(owner)
    client.post(apply_url(store, made), {"declared_annual_sales": 1, "confirm": "on"})
    for user in (operator_user, auditor_user):
        client.force_login(user)
        page = client.get(reverse("programs:console_pledges")).content.decode()
        row = page.split(f'data-pledge="{pledge.pk}"')[1].split("</tr>")[0]
        assert "메시지 충전금 가게 100곳" in row
        assert "data-pledge-value>1<" in row and "data-pledge-percent>1%<" in row


def test_pledges_page_query_count_is_constant(client, auditor_user, operator_org):
    def make(n: int) -> int:
        for i in range(n):
            org = OrganisationFactory(name=f"플랫폼{i}-{n}", kind="platform")
            pledge_create(organisation=org, text="시장 지원", metric="markets_supported",
                          target=100, deadline=dt.date(2027, 6, 30))
        client.force_login(auditor_user)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("programs:console_pledges"))
        return len(queries)

    assert make(1) == make(5)


def test_merchant_home_cards_cost_constant_queries(client, program, shop):
    store, owner = shop
    program()
    client.force_login(owner)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("web:merchant"))
    made = program()
    client.post(apply_url(store, made), {"declared_annual_sales": 1, "confirm": "on"})
    program()
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("web:merchant")).content.decode()
    assert page.count("data-program-offer=") == 3
    assert len(three) == len(one)


def test_detail_lists_a_market_channel_grant_under_the_market(client, program, operator_user,
                                                             haeundae, market_in):
    from dangol.programs.rollout import enrolment_advance

    prog = program(budget=5_000_000, benefits=[
        {"kind": "market_channel_credit", "amount": 3_000_000},
    ])
    market = market_in(haeundae, name="반송큰시장")
    enrolment = Enrolment.objects.create(program=prog, market=market)
    enrolment_advance(enrolment=enrolment, to="active")
    client.force_login(operator_user)

    page = client.get(reverse("programs:console_detail", args=[prog.pk])).content.decode()

    assert "반송큰시장 시장 채널" in page
    assert "₩3,000,000" in page
    grants_csv = client.get(reverse("programs:console_grants_export", args=[prog.pk, "csv"]))
    assert "반송큰시장 시장 채널" in grants_csv.content.decode("utf-8-sig")
