"""The demo seed next to data that was there before it."""

import pytest

from dangol.accounts.models import User
from dangol.demo.seed import demo_seed
from dangol.places.models import Market, Region
from dangol.places.services import market_create, region_ensure
from dangol.regulars.models import Consent, Follow
from dangol.regulars.services import follow_create

pytestmark = pytest.mark.django_db


def test_seed_reuses_regions_and_market_imported_before():
    busan, _ = region_ensure(code="26", name="부산광역시", full_name="부산광역시")
    haeundae, _ = region_ensure(
        code="26350", name="해운대구", full_name="부산광역시 해운대구", parent=busan
    )
    imported = market_create(
        name="반송큰시장(반송2동시장)", region=haeundae,
        source_key="26350:반송큰시장(반송2동시장)", store_count=171,
    )

    report = demo_seed()

    assert report.created["regions"] == 0
    assert report.created["markets"] == 0
    assert report.market_id == imported.pk
    assert Region.objects.count() == 2
    assert Market.objects.get().stores.count() == report.created["stores"]


def test_first_seed_gives_no_consent_to_real_followers_of_an_imported_market():
    busan, _ = region_ensure(code="26", name="부산광역시", full_name="부산광역시")
    haeundae, _ = region_ensure(
        code="26350", name="해운대구", full_name="부산광역시 해운대구", parent=busan
    )
    imported = market_create(
        name="반송큰시장(반송2동시장)", region=haeundae,
        source_key="26350:반송큰시장(반송2동시장)", store_count=171,
    )
    real = [
        User.objects.create_user(phone=f"+82105550{n:04d}", name="실제 고객") for n in range(20)
    ]
    for person in real:
        follow_create(customer=person, market=imported, source=Follow.Source.PAGE)

    demo_seed()

    assert not Consent.objects.filter(customer__in=real).exists()
    assert Consent.objects.filter(market=imported, ad_granted_at__isnull=False).exists()
