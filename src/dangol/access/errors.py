"""The refusals of access. Pages answer them with 403/404, the API with `{code, message}`
(the codes are stable: API clients and tests rely on them)."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import NotFound, PermissionDenied


class StoreNotFound(NotFound):
    template = _("가게를 찾을 수 없습니다.")


class MarketNotFound(NotFound):
    template = _("시장을 찾을 수 없습니다.")


class StoreNotManaged(PermissionDenied):
    code = "store_not_managed"
    template = _("이 가게의 사장님이나 직원만 할 수 있습니다.")


class StoreOwnerOnly(PermissionDenied):
    code = "store_owner_only"
    template = _("이 가게의 사장님만 할 수 있습니다.")


class MarketNotManaged(PermissionDenied):
    code = "market_not_managed"
    template = _("이 시장 상인회 회원만 할 수 있습니다.")


class NotOperator(PermissionDenied):
    code = "not_operator"
    template = _("이 기관의 운영자만 할 수 있습니다.")


class ConsoleOnly(PermissionDenied):
    code = "console_only"
    template = _("기관의 운영자나 감사자만 볼 수 있습니다.")


class PlatformAdminOnly(PermissionDenied):
    """Refused: a platform-wide action (settlement runs, bank files, prices).

    The code predates the one definition of the platform administrator; clients rely on it.
    """

    code = "operator_only"
    template = _("플랫폼 관리자만 할 수 있습니다.")


class SettlementReadersOnly(PlatformAdminOnly):
    template = _("플랫폼 관리자나 감사자만 볼 수 있습니다.")


class MerchantsOnly(PermissionDenied):
    code = "merchants_only"
    template = _("가게 사장님이나 직원만 할 수 있습니다.")


TOKEN_NOT_FOR_STORE = _("이 API 토큰은 이 가게에서 쓸 수 없습니다.")
TOKEN_NOT_FOR_MARKET = _("가게 전용 API 토큰으로는 시장 채널을 쓸 수 없습니다.")
TOKEN_NOT_FOR_PLATFORM = _("가게 전용 API 토큰으로는 할 수 없습니다.")
