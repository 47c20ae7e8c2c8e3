"""Tenancy: who may see what. Selectors call these helpers with the acting user.

A merchant sees only their stores, a market association only its market, an operator only
its organisation's programs. The memberships live beside what they grant (places,
organisations); this module only names the roles and the common checks, so no domain has
to import another's internals.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role a user can hold through a membership."""

    OWNER = "owner", _("사장님")
    STAFF = "staff", _("직원")
    ASSOCIATION = "association", _("상인회")
    TUTOR = "tutor", _("디지털 튜터")
    OPERATOR = "operator", _("운영자")
    AUDITOR = "auditor", _("감사자")


def is_platform_admin(user: object) -> bool:
    """Return whether `user` is a superuser, who sees everything (Django admin)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_superuser", False))
