"""The pure compliance rules of messaging (정보통신망법 §50): quiet hours, consent, ad and
informational texts, SMS/LMS byte rule, one copy per campaign. Table-driven at every
boundary, and Hypothesis against independent simple models."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangol.core.clock import KST, kst
from dangol.messaging.errors import AdSenderIncomplete, InfoTemplateUnknown, SmsTooLong
from dangol.messaging.rules import (
    LMS_MAX_BYTES,
    SMS_MAX_BYTES,
    ConsentState,
    Decision,
    FollowRow,
    Outcome,
    Reason,
    Sender,
    ad_body,
    ad_decision,
    ad_text,
    audience_copies,
    closing_sale_body,
    dedupe_key,
    follow_reaches,
    info_decision,
    info_text,
    info_title,
    release_at,
    sms_bytes,
    sms_kind,
    sms_text,
)

GRANTED = kst(2026, 3, 2, 10, 0)
DAY = dt.date(2026, 11, 20)  # a Friday


def at(hour: int, minute: int = 0, *, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=KST)


NEXT_MORNING = at(8, day=DAY + dt.timedelta(days=1))
SAME_MORNING = at(8)

# --- release_at -----------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "expected"), [
    (at(8, 0), at(8, 0)),
    (at(12, 0), at(12, 0)),
    (at(20, 59), at(20, 59)),
    (at(20, 59) + dt.timedelta(seconds=59, microseconds=999_999), None),  # still day: itself
    (at(21, 0), NEXT_MORNING),
    (at(23, 59), NEXT_MORNING),
    (at(0, 0), SAME_MORNING),
    (at(7, 59), SAME_MORNING),
    (at(8, 0) - dt.timedelta(microseconds=1), SAME_MORNING),
])
def test_release_at_boundaries(moment, expected):
    assert release_at(moment) == (moment if expected is None else expected)


def test_release_at_reads_kst_whatever_the_zone_and_crosses_month_and_year():
    # 2026-12-31 21:30 KST is 12:30 UTC; the next 08:00 KST is 2027-01-01.
    utc = dt.datetime(2026, 12, 31, 12, 30, tzinfo=dt.UTC)
    assert release_at(utc) == kst(2027, 1, 1, 8, 0)
    assert release_at(utc).utcoffset() == dt.timedelta(hours=9)
    # 2026-05-01 02:00 UTC is 11:00 KST: daytime, returned unchanged (same object).
    day = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    assert release_at(day) is day


def test_release_at_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        release_at(dt.datetime(2026, 5, 1, 22, 0))


@given(st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 12, 31),
    timezones=st.sampled_from([dt.UTC, KST]),
))
def test_release_at_matches_a_utc_model(moment):
    # Independent model: 21:00–08:00 KST is 12:00–23:00 UTC (Korea has no DST); the
    # release of a night instant is 23:00 UTC of the same UTC day.
    utc = moment.astimezone(dt.UTC)
    if 12 <= utc.hour < 23:
        expected = utc.replace(hour=23, minute=0, second=0, microsecond=0)
    else:
        expected = moment
    result = release_at(moment)
    assert result == expected
    assert result >= moment
    assert result - moment <= dt.timedelta(hours=11)
    assert not (12 <= result.astimezone(dt.UTC).hour < 23)


# --- ad_decision: table at every boundary ----------------------------------------------------

NONE = None
NEVER = ConsentState(ad_granted_at=None, ad_withdrawn_at=None)
GIVEN = ConsentState(ad_granted_at=GRANTED, ad_withdrawn_at=None)
WITHDRAWN = ConsentState(ad_granted_at=GRANTED, ad_withdrawn_at=kst(2026, 6, 1, 12, 0))
NIGHT = ConsentState(GRANTED, None, night_granted_at=GRANTED, night_withdrawn_at=None)
NIGHT_OFF = ConsentState(
    GRANTED, None, night_granted_at=GRANTED, night_withdrawn_at=kst(2026, 6, 1, 12, 0)
)
# Withdrawn with the night opt-in (consent_withdraw ends both).
ALL_OFF = ConsentState(
    GRANTED, kst(2026, 6, 1, 12, 0), night_granted_at=GRANTED,
    night_withdrawn_at=kst(2026, 6, 1, 12, 0),
)
# Withdrawn, then granted again (without night): stands again from the new grant.
REGRANTED = ConsentState(ad_granted_at=kst(2026, 7, 1, 9, 0), ad_withdrawn_at=None)

SEND, HOLD, SUPPRESS = Outcome.SEND, Outcome.HOLD, Outcome.SUPPRESS
TIMES = {
    "20:59": (at(20, 59), None),
    "21:00": (at(21, 0), NEXT_MORNING),
    "07:59": (at(7, 59), SAME_MORNING),
    "08:00": (at(8, 0), None),
}
NO: dict[str, tuple[Outcome, Reason | None]] = {
    "day": (SUPPRESS, Reason.NO_CONSENT), "night": (SUPPRESS, Reason.NO_CONSENT),
}
CONSENTS: dict[str, tuple[ConsentState | None, dict[str, tuple[Outcome, Reason | None]]]] = {
    "none": (NONE, NO),
    "never": (NEVER, NO),
    "given": (GIVEN, {"day": (SEND, None), "night": (HOLD, Reason.NIGHT_NO_CONSENT)}),
    "withdrawn": (
        WITHDRAWN, {"day": (SUPPRESS, Reason.WITHDRAWN), "night": (SUPPRESS, Reason.WITHDRAWN)}
    ),
    "night-only-standing": (NIGHT, {"day": (SEND, None), "night": (SEND, None)}),
    "night-withdrawn": (
        NIGHT_OFF, {"day": (SEND, None), "night": (HOLD, Reason.NIGHT_NO_CONSENT)}
    ),
    "all-withdrawn": (
        ALL_OFF, {"day": (SUPPRESS, Reason.WITHDRAWN), "night": (SUPPRESS, Reason.WITHDRAWN)}
    ),
    "regranted": (REGRANTED, {"day": (SEND, None), "night": (HOLD, Reason.NIGHT_NO_CONSENT)}),
}
TABLE = [
    pytest.param(consent, moment, due, *CONSENTS[name][1]["night" if hold_until else "day"],
                 hold_until, id=f"{name}@{label}{'-due' if due else ''}")
    for name, (consent, _) in CONSENTS.items()
    for label, (moment, hold_until) in TIMES.items()
    for due in (False, True)
]


@pytest.mark.parametrize(("consent", "moment", "due", "outcome", "reason", "hold_until"), TABLE)
def test_ad_decision_table(consent, moment, due, outcome, reason, hold_until):
    decision = ad_decision(consent=consent, at=moment, reconfirmation_due=due)
    assert decision.outcome is outcome
    assert decision.reason is reason
    if outcome is SEND:
        assert decision.release_at == moment
        assert decision.send and not decision.hold and not decision.suppress
    elif outcome is HOLD:
        assert decision.release_at == hold_until
        assert decision.hold
    else:
        assert decision.release_at is None
        assert decision.suppress


def test_table_covers_every_boundary_and_state():
    assert len(TABLE) == 8 * 4 * 2


def test_held_ad_is_decided_again_at_release_and_a_withdrawal_in_between_suppresses_it():
    sent_at = at(21, 30)
    first = ad_decision(consent=GIVEN, at=sent_at)
    assert first == Decision(HOLD, Reason.NIGHT_NO_CONSENT, NEXT_MORNING)
    assert first.release_at is not None
    # Nothing changed overnight: it goes out at 08:00.
    assert ad_decision(consent=GIVEN, at=first.release_at) == Decision(SEND, None, NEXT_MORNING)
    # Withdrawn at 06:10 the next morning: suppressed at release, reason withdrawn.
    withdrawn = ConsentState(GRANTED, at(6, 10, day=DAY + dt.timedelta(days=1)))
    assert ad_decision(consent=withdrawn, at=first.release_at) == Decision(
        SUPPRESS, Reason.WITHDRAWN
    )


def test_withdrawal_takes_effect_at_its_instant():
    instant = kst(2026, 6, 1, 12, 0)
    state = ConsentState(GRANTED, instant)
    assert ad_decision(consent=state, at=instant - dt.timedelta(microseconds=1)).send
    assert ad_decision(consent=state, at=instant).reason is Reason.WITHDRAWN


def test_consent_counts_from_its_instant():
    assert ad_decision(consent=GIVEN, at=GRANTED).send
    early = ad_decision(consent=GIVEN, at=GRANTED - dt.timedelta(seconds=1))
    assert early == Decision(SUPPRESS, Reason.NO_CONSENT)


def test_night_opt_in_counts_from_its_instant():
    night_on = at(22, 0)
    state = ConsentState(GRANTED, None, night_granted_at=night_on, night_withdrawn_at=None)
    assert ad_decision(consent=state, at=night_on - dt.timedelta(seconds=1)).hold
    assert ad_decision(consent=state, at=night_on).send


@pytest.mark.parametrize("consent", [NONE, GIVEN, NIGHT, WITHDRAWN])
@pytest.mark.parametrize("moment", [at(12, 0), at(22, 0)])
def test_opt_out_through_the_delivery_link_suppresses_whatever_the_consent(consent, moment):
    decision = ad_decision(consent=consent, at=moment, opted_out_at=moment)
    assert decision == Decision(SUPPRESS, Reason.OPTED_OUT)
    earlier = ad_decision(consent=consent, at=moment, opted_out_at=moment - dt.timedelta(hours=1))
    assert earlier.reason is Reason.OPTED_OUT


def test_opt_out_after_the_instant_judged_does_not_count_yet():
    later = at(12, 0) + dt.timedelta(minutes=1)
    assert ad_decision(consent=GIVEN, at=at(12, 0), opted_out_at=later).send


def test_reconfirmation_due_never_changes_the_decision():
    # By law silence keeps consent: a consent due (or late) for its 2-year notice still
    # lets ads through, by day and (with night opt-in) by night.
    old = ConsentState(kst(2023, 1, 2, 10), None, kst(2023, 1, 2, 10), None)
    for moment in (kst(2026, 11, 20, 12), kst(2026, 11, 20, 23)):
        assert ad_decision(consent=old, at=moment, reconfirmation_due=True) == Decision(
            SEND, None, moment
        )


# --- info_decision ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["voucher_received", "expiry", "settlement_paid", "consent_reconfirmation"]
)
@pytest.mark.parametrize("moment", [at(20, 59), at(21, 0), at(3, 0), at(7, 59), at(8, 0)])
def test_informational_messages_always_go_at_once_night_included(template, moment):
    assert info_decision(template=template, at=moment) == Decision(SEND, None, moment)


@pytest.mark.parametrize("template", ["", "closing_sale", "anything"])
def test_informational_messages_only_from_fixed_templates(template):
    with pytest.raises(InfoTemplateUnknown):
        info_decision(template=template, at=at(12))
    with pytest.raises(InfoTemplateUnknown):
        info_text(template)
    with pytest.raises(InfoTemplateUnknown):
        info_title(template)


# --- Hypothesis: random consent histories against a replay model ---------------------------

EVENTS = ("grant", "withdraw", "night_grant", "night_withdraw")
BASE = kst(2026, 1, 1, 0, 0)


def fold(events: list[tuple[dt.datetime, str]]) -> ConsentState | None:
    """The Consent row after `events`, as the regulars services write it."""
    if not events:
        return None
    ad_g = ad_w = n_g = n_w = None
    for moment, kind in events:
        ad_on = ad_g is not None and ad_w is None
        night_on = ad_on and n_g is not None and n_w is None
        if kind == "grant" and not ad_on:
            ad_g, ad_w = moment, None
            # (a standing night opt-in cannot exist without the ad opt-in)
        elif kind == "withdraw" and ad_on:
            if night_on:
                n_w = moment
            ad_w = moment
        elif kind == "night_grant" and ad_on and not night_on:
            n_g, n_w = moment, None
        elif kind == "night_withdraw" and night_on:
            n_w = moment
    return ConsentState(ad_g, ad_w, n_g, n_w)


def model(
    events: list[tuple[dt.datetime, str]], moment: dt.datetime
) -> tuple[Outcome, Reason | None]:
    """Replay every event up to `moment` with two booleans; independent of ad_decision."""
    ad = night = ever = False
    for when, kind in events:
        if when > moment:
            break
        if kind == "grant":
            ad, ever = True, True
        elif kind == "withdraw":
            ad = night = False
        elif kind == "night_grant":
            night = night or ad
        elif kind == "night_withdraw":
            night = False
    if not ad:
        return (SUPPRESS, Reason.WITHDRAWN if ever else Reason.NO_CONSENT)
    local_hour = moment.astimezone(dt.UTC).hour  # night is 12:00–23:00 UTC
    if 12 <= local_hour < 23 and not night:
        return (HOLD, Reason.NIGHT_NO_CONSENT)
    return (SEND, None)


HISTORY = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 20),  # minute offsets over 20 days
        st.sampled_from(EVENTS),
    ),
    max_size=12,
).map(lambda items: sorted(
    ((BASE + dt.timedelta(minutes=offset), kind) for offset, kind in items),
    key=lambda item: item[0],
))
MOMENT = st.integers(min_value=0, max_value=60 * 24 * 21 * 60).map(
    lambda seconds: BASE + dt.timedelta(seconds=seconds)
)


@settings(max_examples=400)
@given(history=HISTORY, moment=MOMENT)
def test_ad_decision_matches_a_replay_of_the_consent_history(history, moment):
    # The Consent row as it stands at `moment`: only the events up to then have happened.
    happened = [event for event in history if event[0] <= moment]
    decision = ad_decision(consent=fold(happened), at=moment)
    assert (decision.outcome, decision.reason) == model(history, moment)
    if decision.hold:
        assert decision.release_at == release_at(moment)
        assert decision.release_at is not None and decision.release_at > moment
    elif decision.send:
        assert decision.release_at == moment
    else:
        assert decision.release_at is None


@settings(max_examples=200)
@given(history=HISTORY, moment=MOMENT, due=st.booleans())
def test_held_then_released_equals_deciding_at_the_release(history, moment, due):
    # A held ad is decided again at 08:00 on the row as it stands then: the outcome is
    # exactly what the model says at the release instant (never a hold again).
    happened = [event for event in history if event[0] <= moment]
    first = ad_decision(consent=fold(happened), at=moment, reconfirmation_due=due)
    if not first.hold:
        return
    assert first.release_at is not None
    release = first.release_at
    by_then = [event for event in history if event[0] <= release]
    second = ad_decision(consent=fold(by_then), at=release, reconfirmation_due=due)
    assert second.outcome is not HOLD
    assert (second.outcome, second.reason) == model(history, release)


# --- ad_text ----------------------------------------------------------------------------------

URL = "https://dangol.kr/o/Abc123/"


def test_ad_text_exact_form():
    text = ad_text(
        body="고등어 30% 할인, 오늘 19시까지!", sender_name="바다수산",
        sender_contact="+82515441234", opt_out_url=URL,
    )
    assert text == (
        "(광고) 바다수산\n"
        "고등어 30% 할인, 오늘 19시까지!\n"
        "연락처: 051-544-1234\n"
        f"무료 수신거부: {URL}"
    )


@pytest.mark.parametrize("body", [
    "(광고) 고등어 세일", "(광고)고등어 세일", "  (광고) (광고) 고등어 세일  ", "고등어 세일",
])
def test_ad_text_adds_the_marker_once_even_if_typed(body):
    text = ad_text(body=body, sender_name="바다수산", sender_contact="051-544-1234",
                   opt_out_url=URL)
    assert text.startswith("(광고) 바다수산\n고등어 세일\n")
    assert text.count("(광고)") == 1
    assert text.endswith(f"\n무료 수신거부: {URL}")


@pytest.mark.parametrize("body", [
    "[광고] 고등어 세일", "(광 고) 고등어 세일", "광고) 고등어 세일", "(광고 고등어 세일",
    "( 광고 ) 고등어 세일", "[ 광 고 ]고등어 세일", "（광고） 고등어 세일",
    "【광고】 고등어 세일", "<광고> 고등어 세일", "(광고)[광고] 광고) 고등어 세일",
    "고등어 세일 (광고)", "고등어 세일 [광 고]", "(광고)\n고등어 세일",
    "\ufeff(광고) 고등어 세일", "(광\u200b고) 고등어 세일",
])
def test_ad_text_drops_every_label_variant_the_merchant_typed(body):
    text = ad_text(body=body, sender_name="바다수산", sender_contact="051-544-1234",
                   opt_out_url=URL)
    assert text.startswith("(광고) 바다수산\n고등어 세일\n"), text
    assert text.count("광") == 1


@pytest.mark.parametrize("body", [
    "광고 문의는 전화로", "(광고문의 환영) 고등어", "광고판 새로 달았어요",
    "신문 광고(오늘자) 보셨나요",
])
def test_ad_body_keeps_the_word_when_it_is_not_a_label(body):
    assert ad_body(body) == body


@given(st.text(alphabet="(광 고)[]【】광고세일\n ", max_size=30))
def test_ad_body_is_normalised_once(body):
    once = ad_body(body)
    assert ad_body(once) == once
    assert "(광고)" not in once and "[광고]" not in once
    assert not once.startswith(("광고)", "(광고 ", "(광고\n")) and once != "(광고"


def test_ad_text_keeps_a_contact_already_in_national_form_and_normalises_line_ends():
    text = ad_text(body="첫 줄\r\n둘째 줄\r셋째 줄", sender_name=" 반송큰시장 ",
                   sender_contact="051-544-0000", opt_out_url=URL)
    assert text.splitlines() == [
        "(광고) 반송큰시장", "첫 줄", "둘째 줄", "셋째 줄", "연락처: 051-544-0000",
        f"무료 수신거부: {URL}",
    ]


@pytest.mark.parametrize(("name", "contact", "url"), [
    ("", "051-544-1234", URL), ("바다수산", " ", URL), ("바다수산", "051-544-1234", ""),
])
def test_ad_text_refuses_an_ad_without_sender_contact_or_opt_out(name, contact, url):
    with pytest.raises(AdSenderIncomplete):
        ad_text(body="세일", sender_name=name, sender_contact=contact, opt_out_url=url)


# --- info_text / closing_sale_body ------------------------------------------------------------


def test_info_texts_exact_korean():
    assert info_title("voucher_received") == "상품권이 도착했습니다"
    assert info_text("voucher_received", product="반송큰시장 상품권", balance=30000) == (
        "반송큰시장 상품권 (잔액 ₩30,000)을 선물 받았습니다."
    )
    assert info_text(
        "voucher_received", product="반송큰시장 상품권", balance=30000, message="생일 축하해"
    ) == "반송큰시장 상품권 (잔액 ₩30,000)을 선물 받았습니다.\n보낸 분의 메시지: 생일 축하해"
    assert info_text(
        "expiry", product="반송큰시장 상품권", balance=12000, date=dt.date(2026, 12, 20)
    ) == (
        "반송큰시장 상품권 잔액 ₩12,000의 유효기간이 2026. 12. 20.에 끝납니다."
        " 기간 연장(3개월)이나 환불을 신청할 수 있습니다."
    )
    # A datetime is read in KST: 2026-11-30 16:00 UTC is 2026-12-01 01:00 KST.
    paid = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert info_text("settlement_paid", store="바다수산", amount=1_234_560, date=paid) == (
        "바다수산의 정산금 ₩1,234,560을 2026. 12. 1.에 지급했습니다."
    )
    assert info_text(
        "consent_reconfirmation", sender="바다수산", date=kst(2024, 11, 21, 9), night=True
    ) == (
        "바다수산의 광고성 정보 수신에 2024. 11. 21.에 동의하셨습니다. 동의는 그대로 유지되며, "
        "원하지 않으시면 '내 수신 동의' 화면에서 언제든 철회할 수 있습니다. "
        "야간(21시~8시) 수신 동의: 예."
    )


@pytest.mark.parametrize("template", [
    "voucher_received", "expiry", "settlement_paid", "consent_reconfirmation",
])
def test_info_texts_are_not_ads(template):
    values = {"product": "상품권", "balance": 1000, "date": dt.date(2026, 1, 1),
              "store": "바다수산", "amount": 1000, "sender": "바다수산"}
    text = info_text(template, **values)
    assert "(광고)" not in text
    assert "수신거부" not in text
    assert info_title(template)


def test_info_text_names_missing_values():
    with pytest.raises(KeyError, match="balance"):
        info_text("expiry", product="상품권", date=dt.date(2026, 1, 1))


@pytest.mark.parametrize(("until", "shown"), [
    (dt.time(19, 0), "19:00"),
    (kst(2026, 11, 20, 19, 30), "19:30"),
    (dt.datetime(2026, 11, 20, 10, 5, tzinfo=dt.UTC), "19:05"),
])
def test_closing_sale_body(until, shown):
    body = closing_sale_body(item=" 고등어 ", price=12000, until=until)
    assert body == f"[마감 세일] 고등어 ₩12,000, 오늘 {shown}까지!"


def test_closing_sale_body_refuses_naive_until():
    with pytest.raises(ValueError, match="aware"):
        closing_sale_body(item="고등어", price=1, until=dt.datetime(2026, 1, 1, 19))


def test_closing_sale_ad_fits_in_one_sms_only_when_short():
    body = closing_sale_body(item="고등어", price=12000, until=dt.time(19))
    full = ad_text(body=body, sender_name="바다수산", sender_contact="+82515441234",
                   opt_out_url="https://dangol.kr/o/0123456789abcdef0123456789abcdef/")
    # The legal lines alone take most of 90 bytes: the full ad goes as LMS.
    assert sms_bytes(full) > SMS_MAX_BYTES
    assert sms_kind(full) == "lms"


# --- sms_kind ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "size", "kind"), [
    ("", 0, "sms"),
    ("a" * 90, 90, "sms"),
    ("a" * 91, 91, "lms"),
    ("가" * 45, 90, "sms"),
    ("가" * 44 + "a", 89, "sms"),
    ("가" * 45 + "a", 91, "lms"),
    ("가" * 46, 92, "lms"),
    ("똠" * 45, 90, "sms"),  # outside KS X 1001: still 2 bytes in CP949 (euc_kr would say 8)
    ("a" * 2000, 2000, "lms"),
    ("가" * 1000, 2000, "lms"),
    ("줄\n" * 30, 90, "sms"),
    ("줄\r\n" * 30, 90, "sms"),  # CRLF counts as one line end
    ("₩12,000" * 10, 80, "sms"),  # the won sign goes as the 2-byte ￦
    ("😀" * 90, 90, "sms"),  # emoji cannot go by SMS: sent as '?', 1 byte each
])
def test_sms_kind_by_cp949_bytes(text, size, kind):
    assert sms_bytes(text) == size
    assert sms_kind(text) == kind


@pytest.mark.parametrize("text", ["a" * 2001, "가" * 1000 + "a", "가" * 1001])
def test_sms_kind_refuses_over_2000_bytes(text):
    with pytest.raises(SmsTooLong) as exc:
        sms_kind(text)
    assert f"{sms_bytes(text):,}바이트" in exc.value.message
    assert "2,000" in exc.value.message


def test_sms_text_makes_every_character_sendable():
    assert sms_text("₩12,000 – 고등어\u00a0세일 😀\r\n끝") == "12,000원 - 고등어 세일 ?\n끝"
    sms_text("똠방각하 뷁").encode("cp949")  # no error


@given(st.text(max_size=1200))
def test_sms_kind_agrees_with_its_byte_count(text):
    size = sms_bytes(text)
    # Independent count: 1 byte per ASCII character, 2 per Hangul syllable, bounded above by
    # 2 per character of the normalised text.
    normalised = sms_text(text)
    assert size == sum(1 if ord(ch) < 0x80 else 2 for ch in normalised)
    if size <= SMS_MAX_BYTES:
        assert sms_kind(text) == "sms"
    elif size <= LMS_MAX_BYTES:
        assert sms_kind(text) == "lms"
    else:
        with pytest.raises(SmsTooLong):
            sms_kind(text)


# --- one copy per campaign --------------------------------------------------------------------

STORE, OTHER_STORE, MARKET, OTHER_MARKET, TAG = 10, 11, 20, 21, 7


def test_follower_of_store_and_its_market_gets_one_copy_of_each_campaign():
    follows = [
        FollowRow(customer_id=1, store_id=STORE, tag_ids=frozenset({TAG})),
        FollowRow(customer_id=1, market_id=MARKET),
        FollowRow(customer_id=2, store_id=STORE),
        FollowRow(customer_id=3, market_id=MARKET),
        FollowRow(customer_id=4, store_id=OTHER_STORE),  # a store in the same market
        FollowRow(customer_id=5, market_id=OTHER_MARKET),
    ]
    # A join may bring the same row twice (e.g. once per tag): still one copy.
    follows += follows
    store_copies = audience_copies(
        campaign_id=1, sender=Sender(store_id=STORE), follows=follows, channels=["in_app"]
    )
    assert store_copies == {(1, 1, "in_app"), (1, 2, "in_app")}
    market_copies = audience_copies(
        campaign_id=2, sender=Sender(market_id=MARKET), follows=follows,
        channels=["in_app", "sms", "in_app"], audience="market",
    )
    assert market_copies == {(2, 1, "in_app"), (2, 1, "sms"), (2, 3, "in_app"), (2, 3, "sms")}
    assert audience_copies(
        campaign_id=2, sender=Sender(market_id=MARKET), follows=follows, channels=["in_app"],
    ) == {(2, 1, "in_app"), (2, 3, "in_app")}
    tag_copies = audience_copies(
        campaign_id=3, sender=Sender(store_id=STORE), follows=follows, channels=["in_app"],
        audience="tag", tag_id=TAG,
    )
    assert tag_copies == {(3, 1, "in_app")}


@pytest.mark.parametrize(("sender", "follow", "audience", "tag", "reaches"), [
    (Sender(store_id=STORE), FollowRow(1, store_id=STORE), "all", None, True),
    (Sender(store_id=STORE), FollowRow(1, market_id=MARKET), "all", None, False),
    (Sender(store_id=STORE), FollowRow(1, store_id=OTHER_STORE), "all", None, False),
    (Sender(store_id=STORE), FollowRow(1, store_id=STORE), "tag", TAG, False),
    (Sender(store_id=STORE), FollowRow(1, store_id=STORE, tag_ids=frozenset({TAG})), "tag",
     TAG, True),
    (Sender(store_id=STORE), FollowRow(1, store_id=STORE, tag_ids=frozenset({TAG})), "tag",
     None, False),
    (Sender(store_id=STORE), FollowRow(1, store_id=STORE), "market", None, False),
    (Sender(market_id=MARKET), FollowRow(1, market_id=MARKET), "market", None, True),
    (Sender(market_id=MARKET), FollowRow(1, store_id=STORE), "market", None, False),
    (Sender(market_id=MARKET), FollowRow(1, market_id=OTHER_MARKET), "market", None, False),
    (Sender(market_id=MARKET), FollowRow(1, market_id=MARKET), "all", None, True),
    (Sender(market_id=MARKET), FollowRow(1, market_id=MARKET), "tag", TAG, False),
])
def test_follow_reaches(sender, follow, audience, tag, reaches):
    assert follow_reaches(sender, follow, audience=audience, tag_id=tag) is reaches


def test_sender_is_exactly_one_and_audience_is_known():
    with pytest.raises(ValueError, match="exactly one"):
        Sender()
    with pytest.raises(ValueError, match="exactly one"):
        Sender(store_id=1, market_id=2)
    with pytest.raises(ValueError, match="unknown audience"):
        follow_reaches(Sender(store_id=1), FollowRow(1, store_id=1), audience="everyone")


def test_dedupe_key_is_the_delivery_identity():
    assert dedupe_key(campaign_id=5, customer_id=9, channel="sms") == (5, 9, "sms")
    assert dedupe_key(campaign_id=5, customer_id=9, channel="sms") != dedupe_key(
        campaign_id=5, customer_id=9, channel="in_app"
    )


FOLLOWS = st.lists(
    st.builds(
        FollowRow,
        customer_id=st.integers(1, 8),
        store_id=st.sampled_from([None, STORE, OTHER_STORE]),
        market_id=st.none(),
        tag_ids=st.frozensets(st.sampled_from([TAG, TAG + 1]), max_size=2),
    ) | st.builds(
        FollowRow, customer_id=st.integers(1, 8),
        market_id=st.sampled_from([MARKET, OTHER_MARKET]),
    ),
    max_size=30,
)


@given(
    follows=FOLLOWS,
    channels=st.lists(st.sampled_from(["in_app", "sms", "email"]), min_size=1, max_size=4),
    sender=st.sampled_from([Sender(store_id=STORE), Sender(market_id=MARKET)]),
)
def test_audience_copies_are_one_per_customer_and_channel(follows, channels, sender):
    copies = audience_copies(campaign_id=1, sender=sender, follows=follows, channels=channels)
    keys = [(c, customer, ch) for c, customer, ch in copies]
    assert len(keys) == len(set(keys))
    # Independent model: the sender's own follow rows, by customer id.
    if sender.store_id is not None:
        expected_customers = {f.customer_id for f in follows if f.store_id == STORE}
    else:
        expected_customers = {f.customer_id for f in follows if f.market_id == MARKET}
    assert {customer for _, customer, _ in copies} == expected_customers
    assert len(copies) == len(expected_customers) * len(set(channels))
    # Doubling the rows (a join fanning out) changes nothing.
    assert audience_copies(
        campaign_id=1, sender=sender, follows=follows * 2, channels=channels
    ) == copies
