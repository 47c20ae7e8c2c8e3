import pytest
from django.core.management import CommandError, call_command

from dangol.accounts import errors, services
from dangol.accounts.models import ApiToken
from dangol.places.selectors import StoreNotManaged, store_token_scope, token_allows_store
from tests.factories import StaffUserFactory, StoreFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


class FakeRequest:
    def __init__(self, token):
        self.api_token = token


def test_store_scoped_token_acts_only_for_its_store():
    membership = StoreMembershipFactory()
    other = StoreFactory()
    scope = store_token_scope(user=membership.user, store_id=membership.store.pk)
    token, secret = services.api_token_create(user=membership.user, name="1번 포스", scope=scope)
    looked_up = services.api_token_lookup(secret=secret)
    assert looked_up.pk == token.pk
    assert token_allows_store(request=FakeRequest(looked_up), store=membership.store)
    assert not token_allows_store(request=FakeRequest(looked_up), store=other)


def test_unscoped_token_and_session_are_not_limited_by_scope():
    user = StaffUserFactory()
    token, _secret = services.api_token_create(user=user, name="시청 연계")
    store = StoreFactory()
    assert token_allows_store(request=FakeRequest(token), store=store)
    assert token_allows_store(request=object(), store=store)


def test_only_a_member_can_get_a_token_for_a_store():
    with pytest.raises(StoreNotManaged):
        store_token_scope(user=StaffUserFactory(), store_id=StoreFactory().pk)


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
