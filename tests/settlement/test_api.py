"""The settlement API: a store's payouts and coming settlements; runs for the platform
administrator and auditors (an organisation's operator sees no platform-wide run)."""

import datetime as dt

import pytest
from django.db.models import F
from django.utils.dateparse import parse_datetime

from dangol.accounts.services import api_token_create
from dangol.core import clock
from dangol.settlement import services
from dangol.settlement.models import Payout, SettlementPolicy
from tests.factories import (
    OrganisationMembershipFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)
from tests.settlement.conftest import NOW, payable, redeem

pytestmark = pytest.mark.django_db

FIRST_CUTOFF = clock.kst(2026, 11, 3, 23, 59)


def bearer(user, scope=""):
    _token, secret = api_token_create(user=user, name="연동", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def fee_policy(frozen_clock) -> SettlementPolicy:
    frozen_clock(NOW)
    return services.settlement_policy_create(
        name="월 10회 2.5%", cycles_per_month=10, cutoff_time=dt.time(23, 59),
        payout_lag_days=1, fee_bp=250,
    )


@pytest.fixture
def store(fee_policy):
    store = StoreFactory(name="싱싱수산")
    services.store_settlement_account_set(
        store=store, policy=fee_policy, bank_name="부산은행", account_number="101-2030-4050-60"
    )
    payable(store)
    return store


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def run(store, fee_policy):
    """A run at 3 Nov paying ₩10,000 (fee ₩250), then ₩4,000 redeemed before the next cut-off."""
    redeem(store, 10_000, at=clock.kst(2026, 11, 2, 12, 0), key="r-1")
    paid = services.settlement_run(policy=fee_policy, cutoff=FIRST_CUTOFF)
    redeem(store, 4_000, at=clock.kst(2026, 11, 5, 12, 0), key="r-2")
    return paid


# --- a store's settlements ------------------------------------------------------------------


def test_store_sees_its_payouts_and_the_next_regular_settlement(client, store, owner, run):
    response = client.get(f"/api/stores/{store.pk}/settlements", headers=bearer(owner))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [payout] = body["items"]
    assert (payout["amount"], payout["fee"], payout["net"]) == (10_000, 250, 9_750)
    assert (payout["kind"], payout["kind_display"]) == ("regular", "정기 정산")
    assert payout["run_id"] == run.pk and payout["payout_date"] == "2026-11-04"
    assert payout["statement_number"]
    [upcoming] = body["upcoming"]
    assert (upcoming["kind"], upcoming["payout_date"], upcoming["amount"]) == (
        "regular", "2026-11-09", 3_900,
    )
    assert parse_datetime(upcoming["cutoff"]) == clock.kst(2026, 11, 6, 23, 59)


def test_store_payouts_are_paged_newest_first(client, store, owner, fee_policy, run):
    services.settlement_run(policy=fee_policy, cutoff=clock.kst(2026, 11, 6, 23, 59))

    body = client.get(f"/api/stores/{store.pk}/settlements?limit=1",
                      headers=bearer(owner)).json()

    assert body["count"] == 2
    assert [(item["payout_date"], item["net"]) for item in body["items"]] == [
        ("2026-11-09", 3_900),
    ]
    assert client.get(f"/api/stores/{store.pk}/settlements?limit=101",
                      headers=bearer(owner)).status_code == 422


def test_store_without_settlement_account_has_no_upcoming_settlement(client, frozen_clock):
    frozen_clock(NOW)
    store = StoreFactory()
    owner = StoreMembershipFactory(store=store).user

    body = client.get(f"/api/stores/{store.pk}/settlements", headers=bearer(owner)).json()

    assert body == {"count": 0, "items": [], "upcoming": []}


def test_other_stores_settlements_are_refused(client, store, run):
    stranger = StoreMembershipFactory(store=StoreFactory()).user

    response = client.get(f"/api/stores/{store.pk}/settlements", headers=bearer(stranger))

    assert response.status_code == 403 and response.json()["code"] == "store_not_managed"


def test_store_scoped_token_for_another_store_is_refused(client, store, owner, run):
    other = StoreFactory()
    StoreMembershipFactory(store=other, user=owner)

    response = client.get(f"/api/stores/{store.pk}/settlements",
                          headers=bearer(owner, scope=f"store:{other.pk}"))

    assert response.status_code == 403


def test_store_settlements_need_a_caller(client, store):
    assert client.get(f"/api/stores/{store.pk}/settlements").status_code == 401


# --- the platform administrator and auditors ------------------------------------------------


def test_platform_admin_lists_runs_with_totals_in_constant_queries(
    client, store, fee_policy, run, django_assert_max_num_queries
):
    headers = bearer(StaffUserFactory(is_superuser=True))
    with django_assert_max_num_queries(10) as few:
        client.get("/api/settlement/runs", headers=headers)
    services.settlement_run(policy=fee_policy, cutoff=clock.kst(2026, 11, 6, 23, 59))
    services.settlement_run(policy=fee_policy, cutoff=clock.kst(2026, 11, 9, 23, 59))

    with django_assert_max_num_queries(len(few)):
        response = client.get("/api/settlement/runs?offset=2", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    [item] = body["items"]
    assert item["id"] == run.pk and item["kind"] == "regular"
    assert item["policy_name"] == "월 10회 2.5%" and item["status"] == "completed"
    assert (item["payouts_count"], item["amount_total"], item["fee_total"], item["net_total"]) == (
        1, 10_000, 250, 9_750,
    )


def test_run_detail_reconciles_ledger_and_payouts_for_an_auditor(client, store, run):
    auditor = OrganisationMembershipFactory(role="auditor").user

    body = client.get(f"/api/settlement/runs/{run.pk}", headers=bearer(auditor)).json()

    assert body["net_total"] == 9_750
    assert body["reconciliation"] == {
        "ok": True, "ledger_total": 9_750, "payout_total": 9_750, "mismatches": [],
    }


def test_run_detail_lists_a_payout_that_disagrees_with_the_ledger(client, store, run):
    Payout.objects.update(amount=F("amount") + 1, net=F("net") + 1)
    admin = StaffUserFactory(is_superuser=True)

    body = client.get(f"/api/settlement/runs/{run.pk}", headers=bearer(admin)).json()

    assert body["reconciliation"]["ok"] is False
    assert body["reconciliation"]["mismatches"] == [
        {"store_id": store.pk, "reason": "ledger_payout_differ", "ledger": 9_750,
         "payout": 9_751, "captured": None},
    ]


def test_platform_admin_lists_the_payouts_of_a_run(client, store, run):
    admin = StaffUserFactory(is_superuser=True)

    body = client.get(f"/api/settlement/runs/{run.pk}/payouts", headers=bearer(admin)).json()

    assert body["count"] == 1
    assert body["items"][0]["store_name"] == "싱싱수산" and body["items"][0]["net"] == 9_750


def test_unknown_run_is_not_found(client, store):
    admin = StaffUserFactory(is_superuser=True)

    assert client.get("/api/settlement/runs/999999", headers=bearer(admin)).status_code == 404


@pytest.mark.parametrize("who", ["merchant", "operator", "staff member"])
def test_runs_are_refused_to_all_but_the_platform_admin_and_auditors(
    client, store, owner, run, who
):
    user = {
        "merchant": lambda: owner,
        "operator": lambda: OrganisationMembershipFactory(role="operator").user,
        "staff member": lambda: StaffUserFactory(is_staff=True),
    }[who]()

    for url in ("/api/settlement/runs", f"/api/settlement/runs/{run.pk}",
                f"/api/settlement/runs/{run.pk}/payouts"):
        response = client.get(url, headers=bearer(user))
        assert response.status_code == 403 and response.json()["code"] == "operator_only"


def test_store_scoped_token_never_acts_as_the_platform_admin(client, store, run):
    admin = StaffUserFactory(is_superuser=True)

    response = client.get("/api/settlement/runs",
                          headers=bearer(admin, scope=f"store:{store.pk}"))

    assert response.status_code == 403


def test_runs_need_a_caller(client):
    assert client.get("/api/settlement/runs").status_code == 401
