"""The demo seed next to data that was there before it."""

import pytest

from dangol.demo.seed import demo_seed
from dangol.places.models import Market, Region
from dangol.places.services import market_create, region_ensure

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
