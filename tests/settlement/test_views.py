"""Settlement pages: the merchant's settlement page and statements; the settlement runs,
run by the platform administrator and read by auditors (an organisation's operator runs
nothing platform-wide)."""

import csv
import io

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.core import clock
from dangol.core.clock import kst
from dangol.settlement import services
from dangol.settlement.models import Payout, SettlementRun
from tests.factories import (
    OrganisationMembershipFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)
from tests.settlement.conftest import NOW, payable, redeem

pytestmark = pytest.mark.django_db

CUTOFF = kst(2026, 11, 30, 23, 59)


@pytest.fixture(autouse=True)
def _now():
    clock.freeze(NOW)


@pytest.fixture
def store(make_store):
    return make_store(bank="신한은행", number="110-123-451234")


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def operator():
    return OrganisationMembershipFactory(role="operator").user


@pytest.fixture
def auditor():
    return OrganisationMembershipFactory(role="auditor").user


@pytest.fixture
def admin():
    return StaffUserFactory(is_superuser=True)


def merchant_url(store):
    return reverse("settlement:merchant", args=[store.pk])


def settle(policy):
    return services.settlement_run(policy=policy, cutoff=CUTOFF)


# --- merchant page ----------------------------------------------------------------------------


def test_merchant_page_shows_terms_account_owed_and_next_payout(client, store, owner):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    client.force_login(owner)

    page = client.get(merchant_url(store)).content.decode()

    assert "월 10회" in page and "정산일 23:59" in page and "마감 후 1영업일" in page
    assert "신한은행 110-***-**1234" in page and "451234" not in page
    assert 'data-settlement="owed">₩15,000<' in page
    # Next cut-off after 2026-12-01 09:00 is 12-03 23:59, paid one business day later.
    assert 'data-next="regular"' in page and "2026. 12. 4. (금) 지급 예정" in page
    assert "₩15,000" in page.split('data-next="regular"')[1].split("</li>")[0]
    assert 'data-next="fast"' not in page
    assert "아직 받은 정산이 없습니다." in page


def test_merchant_page_shows_the_fast_payout_of_an_eligible_store(client, policy, owner, store):
    services.store_settlement_account_set(
        store=store, policy=policy, bank_name="신한은행", account_number="110-123-451234",
        fast_settlement_eligible=True, fast_share_bp=9000, fast_fee_bp=0,
    )
    redeem(store, 15_000, at=kst(2026, 11, 30, 12), key="r1")
    client.force_login(owner)

    page = client.get(merchant_url(store)).content.decode()

    # Monday's redemptions: 90% in the fast run at the end of Monday, paid Tuesday 1 Dec,
    # the other 10% at the next regular cut-off (Thursday 3 Dec), paid Friday.
    fast = page.split('data-next="fast"')[1].split("</li>")[0]
    assert "빠른정산" in fast and "₩13,500" in fast
    assert "2026. 12. 1. (화) 지급 예정 · 판매액의 90%" in fast
    regular = page.split('data-next="regular"')[1].split("</li>")[0]
    assert "₩1,500" in regular and "2026. 12. 4. (금) 지급 예정" in regular
    assert "대상: 판매액의 90%를 다음 영업일에" in page


def test_merchant_page_lists_statements_with_kind_amounts_and_pdf(client, policy, store, owner):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get(store=store)
    client.force_login(owner)

    page = client.get(merchant_url(store)).content.decode()

    row = page.split(f'data-statement="{statement.pk}"')[1].split("</li>")[0]
    assert "2026. 12. 1. (화) 지급" in row
    assert "2026. 11. 30. (월) 23:59 마감분" in row
    assert "정기정산" in row and row.count("₩15,000") == 2 and "₩0" in row
    assert reverse("settlement:statement_pdf", args=[store.pk, statement.pk]) in row
    assert 'data-settlement="owed">₩0<' in page


def test_merchant_page_without_settlement_account_says_what_to_do(client):
    store = StoreFactory()
    owner = StoreMembershipFactory(store=store).user
    client.force_login(owner)

    page = client.get(merchant_url(store)).content.decode()

    assert 'data-settlement="no-account"' in page and "정산 계좌 등록을 요청해 주세요" in page


def test_merchant_page_refuses_other_users(client, store, make_store):
    other_owner = StoreMembershipFactory(store=make_store()).user

    anonymous = client.get(merchant_url(store))
    client.force_login(other_owner)
    foreign = client.get(merchant_url(store))
    missing = client.get(reverse("settlement:merchant", args=[store.pk + 999]))

    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert foreign.status_code == 403
    assert missing.status_code == 404


def test_merchant_page_has_constant_queries(
    client, policy, store, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    redeem(store, 1_000, at=kst(2026, 11, 3, 12), key="r0")
    services.settlement_run(policy=policy, cutoff=kst(2026, 11, 3, 23, 59))
    with django_assert_max_num_queries(13) as few:
        client.get(merchant_url(store))
    for day in (6, 9, 12, 15, 18, 21, 24, 27):
        redeem(store, 1_000 + day, at=kst(2026, 11, day, 12), key=f"r{day}")
        services.settlement_run(policy=policy, cutoff=kst(2026, 11, day, 23, 59))
    assert Payout.objects.filter(store=store).count() == 9
    with django_assert_max_num_queries(len(few)):
        page = client.get(merchant_url(store))
    assert page.content.decode().count("data-statement=") == 9


def test_statement_pdf_downloads_a_real_pdf_with_the_korean_font(client, policy, store, owner):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get(store=store)
    client.force_login(owner)

    response = client.get(reverse("settlement:statement_pdf", args=[store.pk, statement.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"{statement.number}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert b"NanumGothic" in response.content and b"/FontFile2" in response.content


def test_statement_pdf_of_another_store_is_not_found(client, policy, store, owner, make_store):
    other = make_store()
    redeem(store, 1_000, at=kst(2026, 11, 20), key="r1")
    redeem(other, 2_000, at=kst(2026, 11, 20), key="r2")
    settle(policy)
    foreign = Payout.objects.get(store=other)
    client.force_login(owner)

    through_own_store = client.get(
        reverse("settlement:statement_pdf", args=[store.pk, foreign.pk])
    )
    through_their_store = client.get(
        reverse("settlement:statement_pdf", args=[other.pk, foreign.pk])
    )

    assert through_own_store.status_code == 404
    assert through_their_store.status_code == 403


def test_store_staff_see_statements_but_cannot_download_their_pdf(client, policy, store):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get(store=store)
    staff = StoreMembershipFactory(store=store, role="staff").user
    client.force_login(staff)
    pdf_url = reverse("settlement:statement_pdf", args=[store.pk, statement.pk])

    page = client.get(merchant_url(store)).content.decode()
    response = client.get(pdf_url)

    assert f'data-statement="{statement.pk}"' in page and pdf_url not in page
    assert response.status_code == 403


def test_statement_pdf_download_is_audited_with_who_and_what(client, policy, store, owner):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get(store=store)
    client.force_login(owner)

    client.get(reverse("settlement:statement_pdf", args=[store.pk, statement.pk]),
               REMOTE_ADDR="198.51.100.4")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERSONAL_DATA_EXPORT)
    assert (entry.actor, entry.subject, entry.client_address) == (
        owner, f"store:{store.pk}", "198.51.100.4",
    )
    assert entry.details == {"export": "statement", "statement": statement.number}
    assert "451234" not in str(entry.details)


def test_the_platform_admins_statement_download_is_audited_too(client, policy, store, admin):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get(store=store)
    client.force_login(admin)

    client.get(reverse("settlement:run_statement_pdf", args=[statement.pk]))

    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERSONAL_DATA_EXPORT)
    assert (entry.actor, entry.subject) == (admin, f"store:{store.pk}")


# --- the platform administrator and auditors: runs ------------------------------------------------


def test_runs_page_is_for_the_platform_admin_and_auditors_only(
    client, store, owner, operator, auditor, admin
):
    url = reverse("settlement:runs")

    anonymous = client.get(url)
    client.force_login(owner)
    merchant = client.get(url)
    client.force_login(operator)
    organisation_operator = client.get(url)
    client.force_login(auditor)
    audit = client.get(url)
    audit_post = client.post(url, {"action": "regular"})
    client.force_login(admin)
    operate = client.get(url)

    assert anonymous.status_code == 302
    assert merchant.status_code == 403
    assert organisation_operator.status_code == 403
    assert audit.status_code == 200 and "정기정산 실행" not in audit.content.decode()
    assert "감사자는 정산 내역을 볼 수만 있습니다." in audit.content.decode()
    assert audit_post.status_code == 403 and not SettlementRun.objects.exists()
    assert operate.status_code == 200 and "정기정산 실행" in operate.content.decode()


@pytest.mark.parametrize("action", ["regular", "fast"])
def test_an_organisation_operator_cannot_run_a_settlement(
    client, policy, store, operator, action
):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    client.force_login(operator)

    response = client.post(
        reverse("settlement:runs"),
        {"action": action, "policy": policy.pk, "cutoff": "", "day": ""},
    )

    assert response.status_code == 403
    assert not SettlementRun.objects.exists() and payable(store).balance == 15_000


def test_runs_page_shows_policy_terms_and_latest_passed_cutoff(client, policy, admin):
    client.force_login(admin)

    page = client.get(reverse("settlement:runs")).content.decode()

    card = page.split(f'data-policy="{policy.pk}"')[1].split("</div>")[0]
    assert "월 10회" in card and "2026. 11. 30. (월) 23:59" in card


def test_run_form_runs_the_latest_cutoff_and_a_rerun_changes_nothing(
    client, policy, store, admin
):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    client.force_login(admin)
    url = reverse("settlement:runs")

    first = client.post(url, {"action": "regular", "policy": policy.pk, "cutoff": ""}, follow=True)
    again = client.post(url, {"action": "regular", "policy": policy.pk, "cutoff": ""}, follow=True)

    run = SettlementRun.objects.get()
    assert run.cutoff == CUTOFF and run.status == SettlementRun.Status.COMPLETED
    assert first.redirect_chain == [(reverse("settlement:run", args=[run.pk]), 302)]
    assert again.redirect_chain == first.redirect_chain
    message = f"정산 #{run.pk}: 1건, 지급 합계 ₩15,000, 지급일 2026-12-01"
    assert message in first.content.decode() and message in again.content.decode()
    assert Payout.objects.get().net == 15_000 and payable(store).balance == 0


def test_run_form_takes_an_explicit_cutoff_in_kst(client, policy, store, admin):
    redeem(store, 5_000, at=kst(2026, 11, 20), key="r1")
    redeem(store, 7_000, at=kst(2026, 11, 25), key="r2")
    client.force_login(admin)

    client.post(
        reverse("settlement:runs"),
        {"action": "regular", "policy": policy.pk, "cutoff": "2026-11-21T23:59"},
    )

    run = SettlementRun.objects.get()
    assert run.cutoff == kst(2026, 11, 21, 23, 59)
    assert Payout.objects.get().amount == 5_000


def test_run_form_refuses_a_future_cutoff(client, policy, store, admin):
    redeem(store, 5_000, at=kst(2026, 11, 20), key="r1")
    client.force_login(admin)

    response = client.post(
        reverse("settlement:runs"),
        {"action": "regular", "policy": policy.pk, "cutoff": "2026-12-03T23:59"},
    )

    assert response.status_code == 400
    assert "정산 기준 시각이 아직 지나지 않았습니다" in response.content.decode()
    assert not SettlementRun.objects.exists()


def test_runs_list_has_constant_queries(
    client, policy, make_store, admin, django_assert_max_num_queries
):
    client.force_login(admin)
    first = make_store()
    redeem(first, 1_000, at=kst(2026, 11, 2), key="a")
    services.settlement_run(policy=policy, cutoff=kst(2026, 11, 3, 23, 59))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("settlement:runs"))
    for n in range(6):
        redeem(make_store(), 1_000 + n, at=kst(2026, 11, 4), key=f"b{n}")
    services.settlement_run(policy=policy, cutoff=kst(2026, 11, 6, 23, 59))
    services.settlement_run(policy=policy, cutoff=kst(2026, 11, 9, 23, 59))
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("settlement:runs")).content.decode()
    six = SettlementRun.objects.get(cutoff=kst(2026, 11, 6, 23, 59))
    row = page.split(f'data-run="{six.pk}"')[1].split("</tr>")[0]
    assert ">6<" in row and "₩6,015" in row and "완료" in row


# --- the platform administrator and auditors: one run -------------------------------------------


def test_run_page_shows_totals_payouts_and_reconciliation(client, policy, make_store, auditor):
    policy.fee_bp = 250
    policy.save(update_fields=["fee_bp"])
    store = make_store(bank="국민은행", number="123-45-6789012")
    redeem(store, 10_000, at=kst(2026, 11, 20), key="r1")
    run = settle(policy)
    payout = statement = Payout.objects.get()
    client.force_login(auditor)

    page = client.get(reverse("settlement:run", args=[run.pk])).content.decode()

    assert 'data-total="count">1<' in page
    assert 'data-total="amount">₩10,000<' in page and 'data-total="fee">₩250<' in page
    assert "₩9,750" in page.split('data-total="net">')[1].split("</dd>")[0]
    row = page.split(f'data-payout="{payout.pk}"')[1].split("</tr>")[0]
    assert store.name in row and "국민은행" in row and "123-**-***9012" in row
    assert "6789012" not in page
    # statements and the bank file are the platform administrator's, not an auditor's
    assert reverse("settlement:run_statement_pdf", args=[statement.pk]) not in row
    assert reverse("settlement:payouts_csv", args=[run.pk]) not in page
    assert 'data-reconciliation="ok"' in page


def test_run_page_offers_the_bank_file_to_the_platform_admin(client, policy, store, admin):
    redeem(store, 10_000, at=kst(2026, 11, 20), key="r1")
    run = settle(policy)
    client.force_login(admin)

    page = client.get(reverse("settlement:run", args=[run.pk])).content.decode()

    assert reverse("settlement:payouts_csv", args=[run.pk]) in page


def test_run_page_lists_reconciliation_mismatches_with_reasons(
    client, policy, make_store, admin
):
    store = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 20), key="r1")
    run = settle(policy)
    # A payout row edited behind the ledger's back (amount and net together, as the row's
    # own constraint demands) must show up.
    Payout.objects.filter(store=store).update(amount=9_000, net=9_000)
    client.force_login(admin)

    page = client.get(reverse("settlement:run", args=[run.pk])).content.decode()

    assert 'data-reconciliation="mismatch"' in page and "불일치 1건" in page
    row = page.split(f'data-mismatch="{store.pk}"')[1].split("</tr>")[0]
    assert store.name in row and "원장 금액과 지급액이 다릅니다" in row
    assert "₩10,000" in row and "₩9,000" in row


def test_run_page_has_constant_queries(
    client, policy, make_store, admin, django_assert_max_num_queries
):
    client.force_login(admin)
    redeem(make_store(), 1_000, at=kst(2026, 11, 20), key="a")
    one = settle(policy)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("settlement:run", args=[one.pk]))
    for n in range(8):
        redeem(make_store(), 2_000 + n, at=kst(2026, 11, 28), key=f"b{n}")
    many = services.settlement_run(policy=policy, cutoff=kst(2026, 12, 1, 8, 0))
    assert many.payouts.count() == 8
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("settlement:run", args=[many.pk]))
    assert page.content.decode().count("data-payout=") == 8


def test_run_pages_refuse_merchants(client, policy, store, owner):
    redeem(store, 1_000, at=kst(2026, 11, 20), key="r1")
    run = settle(policy)
    statement = Payout.objects.get()
    client.force_login(owner)

    assert client.get(reverse("settlement:run", args=[run.pk])).status_code == 403
    assert client.get(reverse("settlement:payouts_csv", args=[run.pk])).status_code == 403
    assert (
        client.get(reverse("settlement:run_statement_pdf", args=[statement.pk])).status_code
        == 403
    )


def test_payouts_csv_downloads_the_bank_transfer_file(client, policy, store, admin):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    run = settle(policy)
    client.force_login(admin)

    response = client.get(reverse("settlement:payouts_csv", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"settlement-run-{run.pk}-payouts.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["은행", "예금주", "계좌번호", "금액"],
        ["신한은행", store.name, "110-***-**1234", "15000"],
    ]


def test_an_auditor_cannot_download_a_store_statement_pdf(client, policy, store, auditor):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get()
    client.force_login(auditor)

    response = client.get(reverse("settlement:run_statement_pdf", args=[statement.pk]))

    assert response.status_code == 403


def test_the_platform_admin_downloads_any_statement_pdf(client, policy, store):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    settle(policy)
    statement = Payout.objects.get()
    admin = StaffUserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)

    response = client.get(reverse("settlement:run_statement_pdf", args=[statement.pk]))

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"NanumGothic" in response.content


def test_console_links_to_settlement_for_those_who_may_see_it(client, operator, auditor, admin):
    pages = {}
    for name, user in (("operator", operator), ("auditor", auditor), ("admin", admin)):
        client.force_login(user)
        pages[name] = client.get(reverse("web:console")).content.decode()

    assert reverse("settlement:runs") in pages["admin"]
    assert reverse("settlement:runs") in pages["auditor"]
    assert reverse("settlement:runs") not in pages["operator"]


def test_the_bank_file_is_the_platform_admins_alone(client, policy, store, operator, auditor):
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r1")
    run = settle(policy)
    url = reverse("settlement:payouts_csv", args=[run.pk])

    for user in (operator, auditor):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_fast_run_form_runs_the_latest_business_day_once(client, policy, store, admin):
    services.store_settlement_account_set(
        store=store, policy=policy, bank_name="신한은행", account_number="110-123-451234",
        fast_settlement_eligible=True, fast_share_bp=9000, fast_fee_bp=0,
    )
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="r1")
    client.force_login(admin)
    url = reverse("settlement:runs")

    first = client.post(url, {"action": "fast", "day": ""}, follow=True)
    again = client.post(url, {"action": "fast", "day": "2026-11-30"}, follow=True)

    run = SettlementRun.objects.get()
    assert run.kind == "fast" and run.policy is None
    assert run.cutoff == kst(2026, 12, 1, 0, 0)  # the end of Monday 30 November
    assert first.redirect_chain == again.redirect_chain == [
        (reverse("settlement:run", args=[run.pk]), 302)
    ]
    assert f"정산 #{run.pk}: 1건, 지급 합계 ₩9,000, 지급일 2026-12-01" in again.content.decode()
    assert Payout.objects.get().net == 9_000
    listing = client.get(url).content.decode()
    row = listing.split(f'data-run="{run.pk}"')[1].split("</tr>")[0]
    assert "빠른정산" in row and "—" in row and "₩9,000" in row


def test_fast_run_form_refuses_a_day_not_ended_and_a_holiday(client, admin):
    client.force_login(admin)
    url = reverse("settlement:runs")

    today = client.post(url, {"action": "fast", "day": "2026-12-01"})
    saturday = client.post(url, {"action": "fast", "day": "2026-11-28"})

    assert today.status_code == 400
    assert "정산 기준 시각이 아직 지나지 않았습니다" in today.content.decode()
    assert saturday.status_code == 400
    assert "영업일이 끝나는 자정" in saturday.content.decode()
    assert not SettlementRun.objects.exists()


def test_fast_run_form_is_not_for_auditors(client, auditor):
    client.force_login(auditor)

    response = client.post(reverse("settlement:runs"), {"action": "fast", "day": ""})

    assert response.status_code == 403 and not SettlementRun.objects.exists()
