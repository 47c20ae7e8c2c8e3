"""`dangol token create|list|revoke` (an access command: a token may be limited to a store)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangol.accounts.models import ApiToken
from tests.factories import StaffUserFactory, StoreFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


def token_command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def owner():
    return StaffUserFactory(email="owner@example.kr")


def test_create_prints_the_secret_once_and_stores_only_its_digest(owner):
    out, err = token_command("create", "--email", "owner@example.kr", "--name", "포스기")

    secret = out.strip()
    token = ApiToken.objects.get(user=owner)
    assert token.digest == ApiToken.digest_of(secret)
    assert (out + err).count(secret) == 1
    assert token.prefix in err
    assert "다시 볼 수 없" in err


def test_created_secret_authenticates_as_the_owner(client, owner):
    closed = StoreFactory(is_active=False)
    StoreMembershipFactory(store=closed, user=owner)
    out, _err = token_command("create", "--email", "owner@example.kr", "--name", "포스기")

    response = client.get(
        f"/api/stores/{closed.pk}", headers={"Authorization": f"Bearer {out.strip()}"}
    )

    assert response.status_code == 200


def test_revoke_by_prefix_stops_the_secret(client, owner):
    out, _err = token_command("create", "--email", "owner@example.kr", "--name", "포스기")
    secret = out.strip()

    revoked, _err = token_command("revoke", secret[:8])

    assert "폐기했습니다" in revoked
    response = client.get("/api/regions", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_list_shows_prefix_name_and_state_but_never_the_secret(owner):
    out, _err = token_command("create", "--email", "owner@example.kr", "--name", "포스기")
    secret = out.strip()
    token_command("revoke", secret[:8])
    token_command("create", "--email", "owner@example.kr", "--name", "구청 시스템")

    listing, _err = token_command("list", "--email", "owner@example.kr")

    assert secret[:8] in listing
    assert secret not in listing
    assert "포스기" in listing
    assert "폐기됨" in listing
    assert "구청 시스템" in listing
    assert "사용 중" in listing


def test_list_of_a_user_without_tokens_says_so(owner):
    listing, _err = token_command("list", "--email", "owner@example.kr")

    assert "토큰이 없습니다" in listing


def test_create_for_unknown_email_fails_and_creates_nothing():
    with pytest.raises(CommandError, match="사용자가 없습니다"):
        token_command("create", "--email", "nobody@example.kr", "--name", "포스기")

    assert not ApiToken.objects.exists()


def test_create_with_blank_name_fails(owner):
    with pytest.raises(CommandError, match="토큰 이름"):
        token_command("create", "--email", "owner@example.kr", "--name", " ")


def test_revoke_unknown_prefix_fails():
    with pytest.raises(CommandError, match="토큰이 없습니다"):
        token_command("revoke", "abcdefgh")


def test_revoke_ambiguous_prefix_asks_for_the_owner(owner):
    other = StaffUserFactory(email="other@example.kr")
    for user, digest in [(owner, "a" * 64), (other, "b" * 64)]:
        ApiToken.objects.create(user=user, name="포스기", prefix="SAMEPREF", digest=digest)

    with pytest.raises(CommandError, match="--email"):
        token_command("revoke", "SAMEPREF")
    token_command("revoke", "SAMEPREF", "--email", "other@example.kr")

    assert ApiToken.objects.get(user=other).revoked_at is not None
    assert ApiToken.objects.get(user=owner).revoked_at is None


def test_revoke_twice_says_it_is_already_revoked(owner):
    out, _err = token_command("create", "--email", "owner@example.kr", "--name", "포스기")
    token_command("revoke", out.strip()[:8])

    again, _err = token_command("revoke", out.strip()[:8])

    assert "이미 폐기된" in again
