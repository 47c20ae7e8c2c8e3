"""The decisions of access: one platform administrator, roles held towards a store, a
market, an organisation, and what a store-scoped API token may do."""

import pytest
from django.contrib.auth.models import AnonymousUser

from dangol.access import checks, errors, policy
from dangol.access.policy import Who
from dangol.accounts.services import api_token_create
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    MarketMembershipFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory()


def member(store, role):
    return StoreMembershipFactory(store=store, role=role).user


def pos_token(user, store):
    token, _secret = api_token_create(user=user, name="포스", scope=f"store:{store.pk}")
    return token


# --- the platform administrator -----------------------------------------------------------------


def test_the_platform_admin_is_an_active_superuser_and_nothing_else():
    assert checks.is_platform_admin(StaffUserFactory(is_superuser=True))
    assert not checks.is_platform_admin(StaffUserFactory(is_staff=True))
    assert not checks.is_platform_admin(StaffUserFactory(is_superuser=True, is_active=False))
    assert not checks.is_platform_admin(AnonymousUser())
    assert not checks.is_platform_admin(None)


def test_an_organisation_operator_is_not_the_platform_admin():
    operator = OrganisationMembershipFactory(role="operator").user

    assert not checks.is_platform_admin(operator)
    with pytest.raises(errors.PlatformAdminOnly) as refused:
        checks.require_platform_admin(operator)
    assert refused.value.code == "operator_only"


def test_require_platform_admin_lets_the_admin_through_but_not_a_staff_member():
    checks.require_platform_admin(StaffUserFactory(is_superuser=True))
    with pytest.raises(errors.PlatformAdminOnly):
        checks.require_platform_admin(StaffUserFactory(is_staff=True))


# --- stores ---------------------------------------------------------------------------------------


def test_owner_staff_and_admin_manage_a_store_and_no_one_else(store):
    assert checks.may_manage_store(member(store, "owner"), store)
    assert checks.may_manage_store(member(store, "staff"), store)
    assert checks.may_manage_store(StaffUserFactory(is_superuser=True), store)
    assert not checks.may_manage_store(member(StoreFactory(), "owner"), store)
    assert not checks.may_manage_store(CustomerFactory(), store)
    assert not checks.may_manage_store(AnonymousUser(), store)
    assert not checks.may_manage_store(StaffUserFactory(is_staff=True), store)


def test_an_inactive_member_manages_nothing(store):
    owner = member(store, "owner")
    owner.is_active = False

    assert not checks.may_manage_store(owner, store)


def test_owner_only_actions_refuse_staff(store):
    staff = member(store, "staff")

    assert checks.may(member(store, "owner"), policy.PROGRAM_APPLY, store=store)
    assert not checks.may(staff, policy.PROGRAM_APPLY, store=store)
    assert not checks.may(StaffUserFactory(is_superuser=True), policy.PROGRAM_APPLY, store=store)
    assert not checks.may(staff, policy.VOUCHERS_STORE_PRODUCT, store=store)
    with pytest.raises(errors.StoreOwnerOnly):
        checks.require(staff, policy.VOUCHERS_STORE_PRODUCT, store=store)


def test_store_for_manager_returns_the_store_or_says_why_not(store):
    owner = member(store, "owner")

    assert checks.store_for_manager(
        user=owner, store_id=store.pk, action=policy.COUPONS_MANAGE
    ) == store
    with pytest.raises(errors.StoreNotManaged) as refused:
        checks.store_for_manager(
            user=CustomerFactory(), store_id=store.pk, action=policy.COUPONS_MANAGE
        )
    assert refused.value.code == "store_not_managed"
    with pytest.raises(errors.StoreNotFound):
        checks.store_for_manager(
            user=owner, store_id=store.pk + 1000, action=policy.COUPONS_MANAGE
        )


def test_one_query_decides_a_store_action(store, django_assert_num_queries):
    owner = member(store, "owner")

    with django_assert_num_queries(1):
        assert checks.may(owner, policy.REGULARS_LIST, store=store)


def test_the_market_association_sees_its_stores_closed_ones_too():
    market = MarketFactory()
    open_store = StoreFactory(market=market)
    closed = StoreFactory(market=market, is_active=False)
    elsewhere = StoreFactory(is_active=False)
    association = MarketMembershipFactory(market=market, role="association").user

    assert set(checks.stores_visible_to(association)) == {open_store, closed}
    assert set(checks.stores_visible_to(AnonymousUser())) == {open_store}
    assert set(checks.stores_visible_to(StaffUserFactory(is_superuser=True))) == {
        open_store, closed, elsewhere,
    }
    assert not checks.may_manage_store(association, closed)


def test_members_see_their_closed_store(store):
    closed = StoreFactory(is_active=False)
    staff = member(closed, "staff")

    assert set(checks.stores_visible_to(staff)) == {store, closed}
    assert set(checks.stores_visible_to(CustomerFactory())) == {store}


def test_stores_managed_by_lists_the_member_stores_only(store):
    owner = member(store, "owner")
    second = StoreFactory(name="가나다")
    StoreMembershipFactory(store=second, user=owner, role="staff")
    StoreFactory()

    assert list(checks.stores_managed_by(owner)) == sorted([store, second], key=lambda s: s.name)
    assert list(checks.stores_managed_by(StaffUserFactory(is_superuser=True))) == []
    assert list(checks.stores_managed_by(AnonymousUser())) == []


def test_a_merchant_with_any_store_may_open_the_merchant_home(store):
    assert checks.may(member(store, "staff"), policy.MERCHANT_HOME)
    assert not checks.may(CustomerFactory(), policy.MERCHANT_HOME)


# --- store-scoped API tokens ----------------------------------------------------------------------


def test_a_store_scoped_token_acts_only_at_its_store_with_its_own_message(store):
    owner = member(store, "owner")
    other = StoreFactory()
    StoreMembershipFactory(store=other, user=owner, role="owner")
    token = pos_token(owner, store)

    assert checks.store_for_manager(
        user=owner, store_id=store.pk, action=policy.VOUCHERS_REDEEM, token=token
    ) == store
    with pytest.raises(errors.StoreNotManaged) as refused:
        checks.store_for_manager(
            user=owner, store_id=other.pk, action=policy.VOUCHERS_REDEEM, token=token
        )
    assert refused.value.message == "이 API 토큰은 이 가게에서 쓸 수 없습니다."


def test_a_store_scoped_token_never_runs_a_market_or_the_platform(store):
    admin = StaffUserFactory(is_superuser=True)
    market = store.market
    MarketMembershipFactory(market=market, user=admin, role="association")
    token = pos_token(admin, store)

    with pytest.raises(errors.MarketNotManaged) as refused:
        checks.market_for_association(
            user=admin, market_id=market.pk, action=policy.MARKET_MESSAGES_SEND, token=token
        )
    assert refused.value.message == "가게 전용 API 토큰으로는 시장 채널을 쓸 수 없습니다."
    with pytest.raises(errors.PlatformAdminOnly):
        checks.require_platform_admin(admin, token=token)
    assert not checks.may_manage_store(admin, store, token=token)


# --- markets --------------------------------------------------------------------------------------


def test_the_association_runs_its_market_channel_only():
    market, other = MarketFactory(), MarketFactory()
    association = MarketMembershipFactory(market=market, role="association").user
    tutor = MarketMembershipFactory(market=market, role="tutor").user

    assert checks.may_run_market(association, market)
    assert not checks.may_run_market(association, other)
    assert not checks.may_run_market(tutor, market)
    assert checks.may_run_market(StaffUserFactory(is_superuser=True), other)
    with pytest.raises(errors.MarketNotManaged):
        checks.market_for_association(
            user=tutor, market_id=market.pk, action=policy.MARKET_CREDIT
        )
    with pytest.raises(errors.MarketNotFound):
        checks.market_for_association(
            user=association, market_id=other.pk + 1000, action=policy.MARKET_CREDIT
        )


def test_a_tutor_tutors_the_assigned_market_only():
    market, other = MarketFactory(), MarketFactory()
    tutor = MarketMembershipFactory(market=market, role="tutor").user
    association = MarketMembershipFactory(market=market, role="association").user

    assert checks.may_tutor(tutor, market)
    assert not checks.may_tutor(tutor, other)
    assert not checks.may_tutor(association, market)
    assert checks.may_tutor(StaffUserFactory(is_superuser=True), market)


# --- organisations --------------------------------------------------------------------------------


def test_an_operator_operates_their_organisation_only():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    operator = OrganisationMembershipFactory(organisation=mine, role="operator").user
    auditor = OrganisationMembershipFactory(organisation=mine, role="auditor").user

    assert checks.may_operate(operator, mine.pk)
    assert not checks.may_operate(operator, theirs.pk)
    assert not checks.may_operate(auditor, mine.pk)
    assert checks.may_operate(StaffUserFactory(is_superuser=True), theirs.pk)
    assert list(checks.organisations_operated_by(operator)) == [mine]
    assert list(checks.organisations_operated_by(auditor)) == []


def test_auditors_read_everything_and_write_nothing():
    auditor = OrganisationMembershipFactory(role="auditor").user
    other = OrganisationFactory()

    assert checks.may_audit(auditor)
    assert checks.may(auditor, policy.PROGRAM_VIEW, organisation_id=other.pk)
    assert checks.may(auditor, policy.SETTLEMENT_RUNS_VIEW)
    assert not checks.may(auditor, policy.PROGRAM_REVIEW, organisation_id=other.pk)
    assert not checks.may(auditor, policy.SETTLEMENT_RUN)
    assert not checks.may_audit(OrganisationMembershipFactory(role="operator").user)


def test_no_one_but_the_platform_admin_may_take_a_platform_wide_action():
    platform_wide = [
        action for action in policy.ACTIONS
        if action.who == frozenset({Who.PLATFORM_ADMIN})
    ]
    users = [
        CustomerFactory(),
        StoreMembershipFactory(role="owner").user,
        MarketMembershipFactory(role="association").user,
        OrganisationMembershipFactory(role="operator").user,
        OrganisationMembershipFactory(role="auditor").user,
        StaffUserFactory(is_staff=True),
    ]

    assert {action.name for action in platform_wide} >= {
        "settlement.run", "settlement.bank_file", "messaging.prices",
    }
    for action in platform_wide:
        assert checks.may(StaffUserFactory(is_superuser=True), action)
        assert not any(checks.may(user, action) for user in users), action.name
