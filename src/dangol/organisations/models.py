"""Organisations that run or audit co-prosperity programs, and their people."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.tenancy import Role


class Organisation(models.Model):
    """A platform company, a city, an agency or a ministry."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("플랫폼 기업")
        CITY = "city", _("지방자치단체")
        AGENCY = "agency", _("공공기관")
        MINISTRY = "ministry", _("정부 부처")

    name = models.CharField(_("기관명"), max_length=100, unique=True)
    kind = models.CharField(_("종류"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("기관")
        verbose_name_plural = _("기관")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationMembership(models.Model):
    """One user's role (operator or auditor) in one organisation."""

    ROLES = [(Role.OPERATOR.value, Role.OPERATOR.label), (Role.AUDITOR.value, Role.AUDITOR.label)]

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(_("역할"), max_length=20, choices=ROLES)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("기관 구성원")
        verbose_name_plural = _("기관 구성원")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user", "role"], name="%(app_label)s_%(class)s_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"
