"""Privacy endpoint: the signed-in person's own data, as the JSON of their download."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from dangol.accounts.api import api_caller, required_auth
from dangol.core.api import ErrorOut
from dangol.privacy import services
from dangol.privacy.archive import jsonable

router = Router(tags=["privacy"], auth=required_auth)


class MyDataOut(Schema):
    generated_at: dt.datetime
    account: dict[str, Any] = Field(description="계정 / the account")
    sections: dict[str, list[dict[str, Any]]] = Field(
        description=(
            "follows, consents, consent_events, vouchers, voucher_events, coupons, "
            "stamp_cards, stamps, messages, notices, api_tokens"
        ),
    )


@router.get("/me/data", response={200: MyDataOut, 401: ErrorOut},
            summary="내 정보 내려받기 / my personal data")
def my_data(request: HttpRequest) -> dict[str, Any]:
    """내 계정, 단골, 수신 동의와 그 이력, 상품권, 쿠폰·스탬프, 받은 메시지와 알림 전부
    (개인정보보호법 §35). 내려받을 때마다 감사 기록에 남습니다."""
    return jsonable(services.my_data_export(user=api_caller(request), fmt="json"))
