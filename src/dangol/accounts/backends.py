"""Authentication backends: e-mail and password for staff and operators."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from dangol.accounts.models import User


class EmailBackend(ModelBackend):
    """Authenticate by e-mail (case-insensitive) and password."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, email: str | None = None, **kwargs: Any,
    ) -> User | None:
        identifier = (email or username or "").strip()
        if not identifier or not password:
            return None
        try:
            user = User.objects.get(email__iexact=identifier)
        except User.DoesNotExist:
            # Spend the same time as a real check so timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
