"""`dangol token create|list|revoke`: API tokens for integrations (a POS, a city's system).

The tokens are accounts' rows; the command lives in access because a token can be limited
to one store, and access decides who may hold such a token (accounts imports no domain
app)."""

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.access.checks import store_token_scope
from dangol.accounts import services
from dangol.accounts.models import ApiToken, User
from dangol.core.errors import DangolError


class Command(BaseCommand):
    help = (
        "API 토큰을 만들고(create), 보고(list), 폐기(revoke)합니다. "
        "Create, list and revoke API tokens."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)

        create = actions.add_parser(
            "create", help="토큰을 만들고 비밀값을 한 번 출력 / create, print the secret once"
        )
        create.add_argument("--email", required=True, help="토큰 소유자의 이메일 / owner's e-mail")
        create.add_argument("--name", required=True, help="토큰 이름 (예: 1번 포스) / token name")
        create.add_argument(
            "--store", type=int, default=None,
            help="이 가게에만 쓰이는 토큰 (POS) / limit the token to this store (a POS)",
        )

        listing = actions.add_parser("list", help="사용자의 토큰 목록 / list a user's tokens")
        listing.add_argument("--email", required=True, help="토큰 소유자의 이메일 / owner's e-mail")

        revoke = actions.add_parser("revoke", help="토큰을 폐기합니다 / revoke a token")
        revoke.add_argument("prefix", help="토큰 앞 8자리 (list에 표시) / the token's prefix")
        revoke.add_argument(
            "--email", help="같은 앞자리가 여럿일 때 소유자 / owner, to disambiguate"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self.create_token(
                email=options["email"], name=options["name"], store_id=options.get("store")
            )
        elif action == "list":
            self.list_tokens(email=options["email"])
        else:
            self.revoke_token(prefix=options["prefix"], email=options.get("email"))

    def create_token(self, *, email: str, name: str, store_id: int | None = None) -> None:
        user = self.user_by_email(email)
        try:
            scope = "" if store_id is None else store_token_scope(user=user, store_id=store_id)
            token, secret = services.api_token_create(user=user, name=name, scope=scope)
        except DangolError as exc:
            raise CommandError(exc.message) from exc
        # The secret alone on stdout (so `$(dangol token create …)` captures just it); the
        # notice on stderr. Only its digest is stored: it cannot be shown again.
        self.stderr.write(
            _("토큰을 만들었습니다: %(name)s (%(prefix)s…). 아래 비밀값은 다시 볼 수 없으니 "
              "지금 안전한 곳에 보관하세요.") % {"name": token.name, "prefix": token.prefix}
        )
        self.stdout.write(secret)

    def list_tokens(self, *, email: str) -> None:
        user = self.user_by_email(email)
        tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
        if not tokens:
            self.stdout.write(_("토큰이 없습니다."))
            return
        for token in tokens:
            if token.revoked_at:
                status = _("폐기됨 %(when)s") % {"when": self.when(token.revoked_at)}
            else:
                status = _("사용 중")
            last_used = self.when(token.last_used_at) if token.last_used_at else "-"
            self.stdout.write(
                "  ".join([
                    token.prefix,
                    token.name,
                    status,
                    _("만든 때 %(when)s") % {"when": self.when(token.created_at)},
                    _("마지막 사용 %(when)s") % {"when": last_used},
                ])
            )

    def revoke_token(self, *, prefix: str, email: str | None) -> None:
        tokens = ApiToken.objects.filter(prefix=prefix).select_related("user")
        if email:
            tokens = tokens.filter(user=self.user_by_email(email))
        found = list(tokens[:2])
        if not found:
            raise CommandError(_("앞자리가 %(prefix)s인 토큰이 없습니다.") % {"prefix": prefix})
        if len(found) > 1:
            raise CommandError(
                _("앞자리가 %(prefix)s인 토큰이 여럿입니다. --email로 소유자를 지정하세요.")
                % {"prefix": prefix}
            )
        token = found[0]
        if token.revoked_at:
            self.stdout.write(_("이미 폐기된 토큰입니다: %(token)s") % {"token": token})
            return
        services.api_token_revoke(token=token)
        self.stdout.write(_("토큰을 폐기했습니다: %(token)s") % {"token": token})

    def user_by_email(self, email: str) -> User:
        """Return the user with `email`, or stop the command with a message."""
        user = User.objects.filter(email=User.objects.normalize_email(email.strip())).first()
        if user is None:
            raise CommandError(_("이메일이 %(email)s인 사용자가 없습니다.") % {"email": email})
        return user

    @staticmethod
    def when(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
