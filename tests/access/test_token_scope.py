"""API tokens limited to one store (a POS): who may get one, and where it acts."""

import pytest
from django.core.management import CommandError, call_command

from dangol.access.checks import may_manage_store, store_token_scope
from dangol.access.errors import StoreNotManaged
from dangol.accounts import errors, services
from dangol.accounts.models import ApiToken
from tests.factories import StaffUserFactory, StoreFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


def test_store_scoped_token_acts_only_for_its_store():
    membership = StoreMembershipFactory()
    other = StoreMembershipFactory(user=membership.user).store
    scope = store_token_scope(user=membership.user, store_id=membership.store.pk)
    token, secret = services.api_token_create(user=membership.user, name="1번 포스", scope=scope)
    looked_up = services.api_token_lookup(secret=secret)
    assert looked_up.pk == token.pk
    assert may_manage_store(membership.user, membership.store, token=looked_up)
    assert may_manage_store(membership.user, other)
    assert not may_manage_store(membership.user, other, token=looked_up)


def test_unscoped_token_and_session_are_not_limited_by_scope():
    membership = StoreMembershipFactory()
    token, _secret = services.api_token_create(user=membership.user, name="시청 연계")
    assert may_manage_store(membership.user, membership.store, token=token)
    assert may_manage_store(membership.user, membership.store)


def test_only_a_member_can_get_a_token_for_a_store():
    with pytest.raises(StoreNotManaged):
        store_token_scope(user=StaffUserFactory(), store_id=StoreFactory().pk)


def test_a_store_scoped_token_never_acts_as_the_platform_admin():
    admin = StaffUserFactory(is_superuser=True)
    store = StoreFactory()
    with pytest.raises(StoreNotManaged):
        store_token_scope(user=admin, store_id=store.pk)
    token, _secret = services.api_token_create(user=admin, name="x", scope=f"store:{store.pk}")
    assert may_manage_store(admin, store)
    assert not may_manage_store(admin, store, token=token)


def test_malformed_scope_is_refused():
    with pytest.raises(errors.InvalidTokenScope):
        services.api_token_create(user=StaffUserFactory(), name="x", scope="market:1")
    assert not ApiToken.objects.exists()


def test_token_command_creates_a_store_scoped_token(capsys):
    membership = StoreMembershipFactory(user__email="owner@example.kr")
    call_command("token", "create", "--email", "owner@example.kr", "--name", "포스",
                 "--store", str(membership.store.pk))
    assert ApiToken.objects.get().scope == f"store:{membership.store.pk}"
    with pytest.raises(CommandError):
        call_command("token", "create", "--email", "owner@example.kr", "--name", "남의 가게",
                     "--store", str(StoreFactory().pk))
