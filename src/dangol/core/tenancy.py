"""The roles a membership grants (owner, staff, association, tutor, operator, auditor).

The memberships live beside what they grant (places, organisations); who may do what with
them is decided in one place, `dangol.access`, which also holds the one definition of the
platform administrator.
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

