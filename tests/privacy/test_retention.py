"""The retention periods (docs/privacy.md), with dangol's clock moved forward: one-time
codes, delivery addresses (campaign figures keep their counts), revoked API tokens, the
development outbox and expired sessions."""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from dangol.accounts import services as accounts
from dangol.accounts.models import ApiToken, VerificationCode
from dangol.core.models import OutboxMessage
from dangol.messaging.models import Delivery
from dangol.messaging.selectors import campaign_stats
from dangol.privacy import services
from dangol.privacy.tasks import retention_run_task
from tests.privacy.conftest import NOW

pytestmark = pytest.mark.django_db


def test_codes_expired_more_than_a_day_ago_are_deleted(frozen_clock):
    frozen_clock(NOW)
    old = VerificationCode.objects.create(phone="+821011112222", code_hash="a",
                                          expires_at=NOW - dt.timedelta(days=1, seconds=1))
    recent = VerificationCode.objects.create(phone="+821011112222", code_hash="b",
                                             expires_at=NOW - dt.timedelta(hours=23))

    assert accounts.verification_codes_purge() == 1

    assert list(VerificationCode.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_code_period_comes_from_settings(frozen_clock, settings):
    settings.DANGOL_RETENTION_OTP_DAYS = 7
    frozen_clock(NOW)
    VerificationCode.objects.create(phone="+821011112222", code_hash="a",
                                    expires_at=NOW - dt.timedelta(days=2))

    assert accounts.verification_codes_purge() == 0


def test_delivery_addresses_are_blanked_after_a_year_and_counts_stay(live, frozen_clock):
    life = live()
    sent = Delivery.objects.filter(customer=life.customer).exclude(address="")
    assert sent.count() == 1
    campaign = sent.get().campaign
    before = campaign_stats(campaign=campaign)

    frozen_clock(NOW + dt.timedelta(days=364))
    assert services.retention_run()["delivery_addresses"] == 0
    frozen_clock(NOW + dt.timedelta(days=366))
    assert services.retention_run()["delivery_addresses"] == 1

    assert not Delivery.objects.exclude(address="").exists()
    assert campaign_stats(campaign=campaign) == before
    assert Delivery.objects.filter(customer=life.customer).count() == 2


def test_revoked_tokens_go_after_ninety_days_and_live_ones_stay(customer_factory, frozen_clock):
    frozen_clock(NOW)
    person = customer_factory()
    revoked, _secret = accounts.api_token_create(user=person, name="옛 POS")
    live_token, _secret = accounts.api_token_create(user=person, name="POS")
    accounts.api_token_revoke(token=revoked)

    frozen_clock(NOW + dt.timedelta(days=89))
    assert services.retention_run()["revoked_api_tokens"] == 0
    frozen_clock(NOW + dt.timedelta(days=91))
    assert services.retention_run()["revoked_api_tokens"] == 1

    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live_token.pk]


def test_outbox_messages_and_expired_sessions_go(frozen_clock):
    frozen_clock(NOW)
    OutboxMessage.objects.create(channel="sms", recipient="+821011112222", body="인증번호")
    session = SessionStore()
    session["x"] = 1
    session.create()

    frozen_clock(NOW + dt.timedelta(days=31))
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=NOW + dt.timedelta(days=1)
    )
    done = retention_run_task.call_local()

    assert done["outbox_messages"] == 1 and done["expired_sessions"] == 1
    assert not OutboxMessage.objects.exists() and not Session.objects.exists()
