"""Exporting personal data is a logged action: the regulars' CSV with full numbers."""

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.regulars import services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_exporting_the_regulars_records_who_took_how_many_and_from_where(client, store, owner):
    for name in ("이단골", "박단골"):
        services.follow_create(customer=CustomerFactory(name=name), store=store)
    client.force_login(owner)

    response = client.get(
        reverse("regulars:merchant_export", args=[store.pk]), REMOTE_ADDR="192.0.2.44"
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.client_address) == (
        AuditEntry.Action.PERSONAL_DATA_EXPORT, owner, f"store:{store.pk}", "192.0.2.44",
    )
    assert entry.details == {"export": "regulars", "rows": 2}
