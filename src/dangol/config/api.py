"""The JSON API (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from dangol import __version__
from dangol.accounts.api import ApiTokenAuth, SessionAuth
from dangol.core.api import install_error_handlers
from dangol.places.api import router as places_router

api = NinjaAPI(
    title="dangol API",
    version=__version__,
    description=(
        "단골 API. 통합(POS, 지자체 시스템)은 `Authorization: Bearer <token>` 헤더로 인증합니다. "
        "Integrations authenticate with a bearer token; each token sees what its owner may see."
    ),
    auth=[ApiTokenAuth(), SessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", places_router)
