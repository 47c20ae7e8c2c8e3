"""The file of a personal-data download: a .zip holding `my-data.json` (the whole document,
for machines and for moving to another service) and one CSV per section in Korean (UTF-8
with BOM, so that Excel opens it), written through core's spreadsheet writer so that no
text anyone typed is run as a formula."""

import datetime as dt
import io
import json
import zipfile
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.korean import format_datetime
from dangol.core.spreadsheet import csv_writer

# Section → (file name, title, [(field, column heading)]), in the order of the download.
SECTIONS: dict[str, tuple[str, Promise, list[tuple[str, Promise]]]] = {
    "account": ("01-account", _("계정"), [
        ("id", _("회원 번호")), ("name", _("이름")), ("phone", _("휴대전화")),
        ("phone_verified_at", _("휴대전화 인증 시각")), ("email", _("이메일")),
        ("created_at", _("가입일")), ("last_login", _("마지막 로그인")),
    ]),
    "follows": ("02-follows", _("단골 맺은 가게·시장"), [
        ("sender_kind", _("종류")), ("sender_id", _("번호")), ("sender", _("이름")),
        ("source", _("경로")), ("created_at", _("단골 맺은 때")),
    ]),
    "consents": ("03-consents", _("광고성 정보 수신 동의"), [
        ("consent_id", _("동의 번호")), ("sender_kind", _("종류")), ("sender_id", _("번호")),
        ("sender", _("보내는 곳")), ("ad", _("광고 수신 동의 중")),
        ("ad_granted_at", _("광고 수신 동의 시각")), ("ad_withdrawn_at", _("광고 수신 철회 시각")),
        ("night", _("야간 수신 동의 중")), ("night_granted_at", _("야간 수신 동의 시각")),
        ("night_withdrawn_at", _("야간 수신 철회 시각")), ("method", _("동의 방법")),
        ("text_version", _("동의 문구 버전")), ("text", _("보여 준 동의 문구")),
        ("confirmed_at", _("마지막 확인 시각")),
    ]),
    "consent_events": ("04-consent-history", _("수신 동의 이력"), [
        ("consent_id", _("동의 번호")), ("sender", _("보내는 곳")), ("kind", _("종류 코드")),
        ("kind_label", _("종류")), ("at", _("시각")), ("method", _("방법")),
        ("text_version", _("문구 버전")), ("text", _("보여 준 문구")),
    ]),
    "vouchers": ("05-vouchers", _("상품권"), [
        ("voucher_id", _("상품권 번호(내부)")), ("product", _("상품")), ("issuer", _("발행처")),
        ("relation", _("관계")), ("code", _("상품권 번호")), ("face_value", _("액면가(원)")),
        ("balance", _("잔액(원)")), ("status", _("상태")), ("purchased_at", _("구매 시각")),
        ("valid_until", _("유효기간 끝")),
    ]),
    "voucher_events": ("06-voucher-history", _("상품권 이력"), [
        ("voucher_id", _("상품권 번호(내부)")), ("kind", _("종류")), ("at", _("시각")),
        ("amount", _("금액(원)")), ("store", _("가게")), ("phone", _("받는 사람")),
        ("message", _("메시지·사유")),
    ]),
    "coupons": ("07-coupons", _("쿠폰"), [
        ("coupon_id", _("쿠폰 번호(내부)")), ("store", _("가게")), ("coupon", _("쿠폰")),
        ("status", _("상태")), ("source", _("발급 경로")), ("code", _("쿠폰 번호")),
        ("issued_at", _("발급 시각")), ("redeemed_at", _("사용 시각")),
        ("purchase_amount", _("구매 금액(원)")), ("discount_amount", _("할인 금액(원)")),
    ]),
    "stamp_cards": ("08-stamp-cards", _("스탬프 카드"), [
        ("card_id", _("카드 번호")), ("store", _("가게")), ("program", _("스탬프 카드")),
        ("stamps", _("현재 스탬프")), ("stamps_required", _("필요한 스탬프")),
        ("completed_count", _("완성한 카드")), ("created_at", _("만든 때")),
    ]),
    "stamps": ("09-stamps", _("받은 스탬프"), [
        ("card_id", _("카드 번호")), ("store", _("가게")), ("count", _("스탬프 수")),
        ("given_at", _("받은 시각")),
    ]),
    "messages": ("10-messages", _("받은 메시지"), [
        ("delivery_id", _("발송 번호")), ("sender", _("보낸 곳")), ("kind", _("종류")),
        ("channel", _("채널")), ("body", _("내용")), ("delivered_at", _("도착 시각")),
        ("read_at", _("읽은 시각")), ("clicked_at", _("링크 누른 시각")),
        ("opted_out_at", _("수신 거부 시각")),
    ]),
    "notices": ("11-notices", _("알림"), [
        ("notice_id", _("알림 번호")), ("kind", _("종류")), ("title", _("제목")),
        ("body", _("내용")), ("created_at", _("보낸 때")), ("read_at", _("읽은 때")),
    ]),
    "api_tokens": ("12-api-tokens", _("API 토큰"), [
        ("name", _("이름")), ("prefix", _("앞 8자리")), ("scope", _("범위")),
        ("created_at", _("만든 때")), ("last_used_at", _("마지막 사용")),
        ("revoked_at", _("폐기한 때")),
    ]),
}


def jsonable(value: Any) -> Any:
    """Return `value` as JSON can hold it: datetimes in ISO 8601 at KST, containers walked."""
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.KST).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def _cell(value: Any) -> Any:
    """Return `value` as a person reads it in a CSV cell."""
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, bool):
        return str(_("예")) if value else str(_("아니요"))
    return "" if value is None else value


def section_csv(name: str, rows: list[dict[str, Any]]) -> bytes:
    """Return one section as CSV bytes (UTF-8 with BOM), headings first."""
    _file, _title, columns = SECTIONS[name]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out)
    writer.writerow([str(heading) for _field, heading in columns])
    for row in rows:
        writer.writerow([_cell(row.get(field)) for field, _heading in columns])
    return out.getvalue().encode()


def my_data_zip(document: dict[str, Any]) -> bytes:
    """Return the .zip of `document` (privacy.selectors.my_data)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "my-data.json",
            json.dumps(jsonable(document), ensure_ascii=False, indent=2),
        )
        archive.writestr(f"{SECTIONS['account'][0]}.csv",
                         section_csv("account", [document["account"]]))
        for name, rows in document["sections"].items():
            archive.writestr(f"{SECTIONS[name][0]}.csv", section_csv(name, rows))
    return buffer.getvalue()
