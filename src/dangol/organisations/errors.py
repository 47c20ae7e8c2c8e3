"""The organisations domain errors, each with a Korean, translatable message and a stable
code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import ValidationError


class InvalidOrganisation(ValidationError):
    """An organisation's name or kind does not have the required form."""

    code = "invalid_organisation"
    template = _("기관 정보가 올바르지 않습니다: %(reason)s")


class OrganisationNameTaken(ValidationError):
    """Another organisation already has this name."""

    code = "organisation_name_taken"
    template = _("이미 등록된 기관입니다: %(name)s")


class InvalidOrganisationRole(ValidationError):
    """The role cannot be held in an organisation."""

    code = "invalid_organisation_role"
    template = _("기관 구성원에게 줄 수 없는 역할입니다: %(role)s")
