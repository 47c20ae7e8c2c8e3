"""Follows, every consent transition, reconfirmation and tags."""

import datetime as dt

import pytest

from dangol.core import clock
from dangol.core.clock import kst
from dangol.notices.models import Notice
from dangol.regulars import consent_texts, errors, services, tasks
from dangol.regulars.models import Consent, ConsentEvent, Follow, Tag
from dangol.regulars.rules import ConsentState, consent_allows_ad
from dangol.regulars.selectors import ad_recipients
from tests.factories import CustomerFactory, MarketFactory, StoreFactory
from tests.regulars.conftest import STORE_JOINED

pytestmark = pytest.mark.django_db


def _state(consent: Consent) -> ConsentState:
    consent.refresh_from_db()
    return ConsentState(
        consent.ad_granted_at, consent.ad_withdrawn_at, consent.night_granted_at,
        consent.night_withdrawn_at,
    )


def _kinds(consent: Consent) -> list[str]:
    return list(consent.events.order_by("at", "id").values_list("kind", flat=True))


def _tick(minutes: int = 1) -> dt.datetime:
    moment = clock.now() + dt.timedelta(minutes=minutes)
    clock.freeze(moment)
    return moment


# --- follows --------------------------------------------------------------------------------


def test_follow_twice_keeps_one_follow(noon, customer, store):
    first = services.follow_create(customer=customer, store=store)
    second = services.follow_create(customer=customer, store=store, source=Follow.Source.QR)
    assert first.pk == second.pk
    assert Follow.objects.count() == 1


def test_follow_needs_no_consent(noon, customer, store):
    services.follow_join(customer=customer, store=store)
    assert Follow.objects.filter(customer=customer, store=store).exists()
    assert not Consent.objects.exists()


def test_follow_a_market_channel(noon, customer):
    market = MarketFactory()
    follow = services.follow_join(customer=customer, market=market, ad=True)
    assert follow.market == market and follow.store is None
    assert Consent.objects.get(customer=customer, market=market).ad_active


def test_follow_with_night_but_no_ad_writes_nothing(noon, customer, store):
    with pytest.raises(errors.NightNeedsAdConsent):
        services.follow_join(customer=customer, store=store, night=True)
    assert not Follow.objects.exists()
    assert not Consent.objects.exists()


def test_unfollow_withdraws_the_ad_consent_at_once(noon, customer, store):
    services.follow_join(customer=customer, store=store, ad=True, night=True)
    moment = _tick()
    assert services.follow_delete(customer=customer, store=store)
    consent = Consent.objects.get()
    assert consent.ad_withdrawn_at == moment and consent.night_withdrawn_at == moment
    assert not services.follow_delete(customer=customer, store=store)


# --- consent: every transition ---------------------------------------------------------------


def test_consent_transitions_none_ad_night_back_and_regrant(noon, customer, store):
    # none → ad
    consent = services.consent_grant(customer=customer, store=store)
    assert consent.ad_active and not consent.night_active
    assert consent.text_version == consent_texts.AD.version
    assert consent.text.startswith(consent_texts.AD.text)
    assert consent.method == Consent.Method.WEB and consent.confirmed_at == noon
    # ad → ad + night
    _tick()
    consent = services.consent_night_grant(customer=customer, store=store)
    assert consent.night_active
    # night withdrawn: ad stays
    _tick()
    consent = services.consent_night_withdraw(customer=customer, store=store)
    assert consent.ad_active and not consent.night_active
    # ad withdrawn
    withdrawn = _tick()
    consent = services.consent_withdraw(customer=customer, store=store)
    assert not consent.ad_active and consent.ad_withdrawn_at == withdrawn
    # re-grant: a new grant, the night opt-in does not come back by itself
    regranted = _tick()
    consent = services.consent_grant(customer=customer, store=store)
    assert consent.ad_active and consent.ad_granted_at == regranted
    assert consent.ad_withdrawn_at is None and not consent.night_active
    assert _kinds(consent) == [
        ConsentEvent.Kind.GRANTED, ConsentEvent.Kind.NIGHT_GRANTED,
        ConsentEvent.Kind.NIGHT_WITHDRAWN, ConsentEvent.Kind.WITHDRAWN,
        ConsentEvent.Kind.GRANTED,
    ]
    assert Consent.objects.count() == 1


def test_withdrawing_ad_also_withdraws_night(noon, customer, store):
    services.consent_grant(customer=customer, store=store)
    services.consent_night_grant(customer=customer, store=store)
    _tick()
    consent = services.consent_withdraw(customer=customer, store=store)
    assert not consent.night_active
    assert _kinds(consent)[-2:] == [
        ConsentEvent.Kind.NIGHT_WITHDRAWN, ConsentEvent.Kind.WITHDRAWN
    ]


def test_night_without_ad_is_refused(noon, customer, store):
    with pytest.raises(errors.NightNeedsAdConsent):
        services.consent_night_grant(customer=customer, store=store)
    services.consent_grant(customer=customer, store=store)
    services.consent_withdraw(customer=customer, store=store)
    with pytest.raises(errors.NightNeedsAdConsent):
        services.consent_night_grant(customer=customer, store=store)


def test_granting_twice_adds_no_event(noon, customer, store):
    services.consent_grant(customer=customer, store=store)
    _tick()
    consent = services.consent_grant(customer=customer, store=store)
    assert consent.ad_granted_at == noon
    assert consent.events.count() == 1


def test_withdrawing_without_consent_changes_nothing(noon, customer, store):
    assert services.consent_withdraw(customer=customer, store=store) is None
    assert not ConsentEvent.objects.exists()


def test_withdrawal_between_two_sends(noon, customer, store):
    consent = services.consent_grant(customer=customer, store=store)
    first_send = _tick(60)
    assert consent_allows_ad(_state(consent), first_send)
    assert list(ad_recipients(store=store, at=first_send)) == [customer]
    withdrawn_at = _tick(1)
    services.consent_withdraw(customer=customer, store=store)
    second_send = withdrawn_at + dt.timedelta(microseconds=1)
    state = _state(consent)
    assert consent_allows_ad(state, withdrawn_at - dt.timedelta(microseconds=1))
    assert not consent_allows_ad(state, withdrawn_at)
    assert not consent_allows_ad(state, second_send)
    assert list(ad_recipients(store=store, at=second_send)) == []
    # the first send stays lawful in hindsight
    assert list(ad_recipients(store=store, at=first_send)) == [customer]


def test_consents_are_per_sender(noon, customer, store):
    other = StoreFactory()
    services.consent_grant(customer=customer, store=store)
    assert list(ad_recipients(store=other, at=noon)) == []


def test_paper_consent_is_kept_with_its_date_and_evidence(noon, customer, store):
    on_paper = kst(2025, 6, 1, 0, 0)
    consent = services.consent_grant(
        customer=customer, store=store, method=Consent.Method.PAPER,
        text_version=consent_texts.IMPORTED.version, evidence="동의방법: 서면",
        granted_at=on_paper,
    )
    assert consent.ad_granted_at == on_paper and consent.confirmed_at == on_paper
    assert "서면" in consent.text
    event = consent.events.get()
    assert event.method == Consent.Method.PAPER and event.text_version == "imported-paper"


def test_old_paper_consent_does_not_undo_a_withdrawal(noon, customer, store):
    services.consent_grant(customer=customer, store=store)
    services.consent_withdraw(customer=customer, store=store)
    with pytest.raises(errors.ConsentSuperseded):
        services.consent_grant(
            customer=customer, store=store, method=Consent.Method.PAPER,
            granted_at=noon - dt.timedelta(days=30),
        )


def test_consent_in_the_future_is_refused(noon, customer, store):
    with pytest.raises(errors.ConsentInFuture):
        services.consent_grant(customer=customer, store=store, granted_at=noon + dt.timedelta(1))


@pytest.mark.parametrize("granted_at", [
    dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    STORE_JOINED - dt.timedelta(seconds=1),
])
def test_consent_dated_before_the_sender_existed_is_refused(noon, customer, store, granted_at):
    with pytest.raises(errors.ConsentBeforeSender):
        services.consent_grant(
            customer=customer, store=store, method=Consent.Method.PAPER, granted_at=granted_at
        )
    assert not Consent.objects.filter(ad_granted_at__isnull=False).exists()


def test_consent_dated_the_instant_the_sender_joined_is_kept(noon, customer, store):
    consent = services.consent_grant(customer=customer, store=store, granted_at=STORE_JOINED)
    assert consent.ad_granted_at == STORE_JOINED


def test_market_consent_dated_before_the_market_existed_is_refused(noon, customer):
    market = MarketFactory(created_at=kst(2025, 1, 1))
    with pytest.raises(errors.ConsentBeforeSender):
        services.consent_grant(customer=customer, market=market, granted_at=kst(2024, 12, 31))


# --- the 2-year reconfirmation ------------------------------------------------------------------


def _granted_on(customer, store, moment):
    clock.freeze(moment)
    return services.consent_grant(customer=customer, store=store)


def test_reconfirmation_is_due_on_the_exact_day_not_the_day_before(customer, store):
    consent = _granted_on(customer, store, kst(2024, 11, 21, 15, 0))
    clock.freeze(kst(2026, 11, 20, 10, 0))
    assert services.consents_reconfirm_due(today=clock.today_kst()) == 0
    clock.freeze(kst(2026, 11, 21, 10, 0))
    assert services.consents_reconfirm_due(today=clock.today_kst()) == 1
    notice = Notice.objects.get()
    assert notice.user == customer and notice.kind == Notice.Kind.CONSENT_RECONFIRMATION
    assert store.name in notice.body
    consent.refresh_from_db()
    assert consent.confirmed_at == kst(2026, 11, 21, 10, 0)
    event = consent.events.get(kind=ConsentEvent.Kind.RECONFIRMATION_SENT)
    assert event.notice == notice


def test_reconfirmation_task_twice_a_day_sends_one_notice(customer, store):
    _granted_on(customer, store, kst(2024, 11, 21, 9, 0))
    clock.freeze(kst(2026, 11, 21, 10, 0))
    tasks.consents_reconfirm.call_local()
    clock.freeze(kst(2026, 11, 21, 18, 0))
    tasks.consents_reconfirm.call_local()
    assert Notice.objects.count() == 1
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RECONFIRMATION_SENT).count() == 1


def test_reconfirmation_service_is_idempotent_for_one_consent(customer, store):
    consent = _granted_on(customer, store, kst(2024, 11, 21, 9, 0))
    clock.freeze(kst(2026, 11, 21, 10, 0))
    today = clock.today_kst()
    assert services.consent_reconfirmation_send(consent_id=consent.pk, today=today) is not None
    assert services.consent_reconfirmation_send(consent_id=consent.pk, today=today) is None
    assert Notice.objects.count() == 1


def test_silence_keeps_consent_and_restarts_the_clock(customer, store):
    consent = _granted_on(customer, store, kst(2024, 11, 21, 9, 0))
    clock.freeze(kst(2026, 11, 21, 10, 0))
    services.consents_reconfirm_due(today=clock.today_kst())
    clock.freeze(kst(2027, 6, 1, 12, 0))
    assert services.consents_reconfirm_due(today=clock.today_kst()) == 0
    consent.refresh_from_db()
    assert consent.ad_active
    assert list(ad_recipients(store=store, at=clock.now())) == [customer]
    clock.freeze(kst(2028, 11, 21, 10, 0))
    assert services.consents_reconfirm_due(today=clock.today_kst()) == 1
    assert Notice.objects.count() == 2


def test_withdrawn_consent_gets_no_reconfirmation(customer, store):
    _granted_on(customer, store, kst(2024, 11, 21, 9, 0))
    services.consent_withdraw(customer=customer, store=store)
    clock.freeze(kst(2026, 11, 21, 10, 0))
    assert services.consents_reconfirm_due(today=clock.today_kst()) == 0


# --- tags -----------------------------------------------------------------------------------


def test_tags_are_created_once_per_name_and_set_on_a_regular(noon, customer, store):
    follow = services.follow_create(customer=customer, store=store)
    tag = services.tag_create(store=store, name="  김장   고객 ")
    assert tag.name == "김장 고객"
    assert services.tag_create(store=store, name="김장 고객").pk == tag.pk
    services.follow_tags_set(store=store, follow_id=follow.pk, tag_ids=[tag.pk])
    assert list(follow.tags.all()) == [tag]
    services.follow_tags_set(store=store, follow_id=follow.pk, tag_ids=[])
    assert not follow.tags.exists()


def test_tag_of_another_store_is_refused(noon, customer, store):
    follow = services.follow_create(customer=customer, store=store)
    foreign = services.tag_create(store=StoreFactory(), name="남의 태그")
    with pytest.raises(errors.TagNotOfStore):
        services.follow_tags_set(store=store, follow_id=follow.pk, tag_ids=[foreign.pk])


def test_empty_tag_name_is_refused(store):
    with pytest.raises(errors.TagInvalid):
        services.tag_create(store=store, name="   ")
    assert not Tag.objects.exists()


def test_consent_of_one_customer_is_not_another_s(noon, store):
    first, second = CustomerFactory(), CustomerFactory()
    services.consent_grant(customer=first, store=store)
    consent = Consent.objects.get()
    with pytest.raises(services.NotFound):
        services.consent_withdraw_by_id(customer=second, consent_id=consent.pk)
    consent.refresh_from_db()
    assert consent.ad_active
