"""Users and how they prove who they are. Roles live with what they grant (places,
organisations); this app knows nothing above it."""

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.phone import phone_mask


class UserManager(BaseUserManager["User"]):
    """Create staff users by e-mail and customers by phone."""

    use_in_migrations = True

    def create_user(self, email: str | None = None, password: str | None = None, **extra):
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email=email, password=password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One person. A customer has a verified mobile number; staff and operators an e-mail
    and a password. Either may have both."""

    email = models.EmailField(_("이메일"), unique=True, null=True, blank=True)
    phone = models.CharField(
        _("휴대전화"), max_length=16, unique=True, null=True, blank=True,
        help_text=_("E.164 형식 (+821012345678)"),
    )
    phone_verified_at = models.DateTimeField(_("휴대전화 인증 시각"), null=True, blank=True)
    name = models.CharField(_("이름"), max_length=60, blank=True)
    is_active = models.BooleanField(_("활성"), default=True)
    is_staff = models.BooleanField(_("관리 사이트 접근"), default=False)
    created_at = models.DateTimeField(_("가입일"), default=clock.now, editable=False)
    erased_at = models.DateTimeField(
        _("탈퇴일"), null=True, blank=True,
        help_text=_("탈퇴한 회원: 연락처와 이름은 지워지고 가명만 남습니다."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("사용자")
        verbose_name_plural = _("사용자")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False),
                name="%(app_label)s_%(class)s_has_identifier",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or phone_mask(self.phone or "")

    @property
    def display_name(self) -> str:
        """Return the name to show to others (never the full phone number)."""
        return str(self)


class VerificationCode(models.Model):
    """One one-time code sent by SMS to prove a phone number; only its hash is kept."""

    phone = models.CharField(max_length=16, db_index=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("인증번호")
        verbose_name_plural = _("인증번호")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{phone_mask(self.phone)} ({self.created_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def hash_code(phone: str, code: str) -> str:
        """Return the stored digest of `code` for `phone`."""
        return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


class ApiToken(models.Model):
    """A secret that lets an integration (a POS, a city's system) act as its owner in the
    API. Only a digest is stored; the token is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("이름"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    scope = models.CharField(
        _("범위"), max_length=40, blank=True,
        help_text=_("비우면 소유자가 볼 수 있는 모든 것, 'store:<id>'이면 그 가게만"),
    )
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("API 토큰")
        verbose_name_plural = _("API 토큰")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        """Return the stored digest of a token secret."""
        return hashlib.sha256(secret.encode()).hexdigest()
