"""The JSON API (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from dangol import __version__
from dangol.accounts.api import install_auth_error_handlers, required_auth
from dangol.core.api import InputParser, install_error_handlers
from dangol.coupons.api import router as coupons_router
from dangol.messaging.api import router as messaging_router
from dangol.places.api import router as places_router
from dangol.privacy.api import router as privacy_router
from dangol.programs.api import router as programs_router
from dangol.regulars.api import router as regulars_router
from dangol.settlement.api import router as settlement_router
from dangol.vouchers.api import router as vouchers_router

api = NinjaAPI(
    title="dangol API",
    version=__version__,
    description=(
        "단골 API. 지역·시장·영업 중인 가게는 인증 없이 읽을 수 있습니다. 통합(POS, 지자체 "
        "시스템)은 `Authorization: Bearer <token>` 헤더로 인증하며, 토큰은 그 소유자가 볼 수 "
        "있는 것을 봅니다. 올바르지 않거나 폐기된 토큰은 401로 거부됩니다.\n\n"
        "Regions, markets and active stores may be read without credentials. Integrations "
        "authenticate with a bearer token and see what the token's owner may see; an invalid "
        "or revoked token is refused with 401. Lists take `limit` (1–100, default 20) and "
        "`offset` and answer `{count, items}`; a limit above 100 is refused with 422."
    ),
    auth=required_auth,
    parser=InputParser(),
    urls_namespace="api",
)
install_error_handlers(api)
install_auth_error_handlers(api)
api.add_router("/", places_router)
api.add_router("/", regulars_router)
api.add_router("/", coupons_router)
api.add_router("/", vouchers_router)
api.add_router("/", settlement_router)
api.add_router("/", messaging_router)
api.add_router("/", programs_router)
api.add_router("/", privacy_router)
