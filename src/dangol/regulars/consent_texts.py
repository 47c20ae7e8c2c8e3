"""The consent texts shown to customers, by version.

A text, once shown, never changes: a new wording gets a new version id, and each consent
stores the version id and the full text the customer saw (the evidence). Kept in Korean,
the language of the legal record, whatever the page's language.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentText:
    version: str
    text: str


# 개인정보보호법 §15·§22: the purpose, the items, the retention, and that it is optional.
FOLLOW_PRIVACY = ConsentText(
    version="follow-privacy-2026-11",
    text=(
        "[필수] 개인정보 수집·이용 안내 — 목적: 단골 가게(시장) 등록과 쿠폰·스탬프 제공. "
        "항목: 이름, 휴대전화 번호. 보유 기간: 단골을 그만둘 때까지(그만두면 지체 없이 파기). "
        "단골 맺기에 꼭 필요한 최소한의 정보입니다."
    ),
)

AD = ConsentText(
    version="ad-2026-11",
    text=(
        "[선택] 광고성 정보 수신 동의 — 목적: 이 가게(시장)의 할인·행사·신상품 소식 발송. "
        "항목: 이름, 휴대전화 번호. 보유 기간: 동의를 철회하거나 단골을 그만둘 때까지. "
        "동의하지 않아도 단골을 맺을 수 있으며, 언제든 철회할 수 있습니다. "
        "동의는 2년마다 다시 안내해 드립니다."
    ),
)

NIGHT = ConsentText(
    version="night-2026-11",
    text=(
        "[선택] 야간 광고성 정보 수신 동의 — 밤 9시부터 다음 날 아침 8시 사이에도 광고성 "
        "정보를 받겠습니다. 광고성 정보 수신에 동의한 경우에만 선택할 수 있습니다."
    ),
)

IMPORTED = ConsentText(
    version="imported-paper",
    text="가게가 보관한 서면(종이 명부) 동의를 가져왔습니다.",
)

BY_VERSION = {item.version: item for item in (FOLLOW_PRIVACY, AD, NIGHT, IMPORTED)}
