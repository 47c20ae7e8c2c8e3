"""The importers on the full official files, read from ../shared/data by the tests marked `slow`,
which skip when the files are absent.
"""

import csv
from collections import Counter

import pytest
from django.db.models import Count

from dangol.places.importers.facilities import market_facilities_import
from dangol.places.importers.markets import markets_import
from dangol.places.importers.regions import regions_import
from dangol.places.models import Market, market_source_key
from tests.conftest import shared_data_file
from tests.factories import MarketFactory
from tests.places.importers.files import FACILITIES_FILE, MARKETS_FILE, REGIONS_FILE

# --- the full official files ----------------------------------------------------------------


def sido_counts_in_file(path: str) -> Counter[str]:
    """Return the number of markets per 시도 named in the file's addresses."""
    with open(path, encoding="cp949", newline="") as handle:
        return Counter(
            (row["소재지도로명주소"].strip() or row["소재지지번주소"].strip()).split()[0]
            for row in csv.DictReader(handle)
        )


@pytest.mark.slow
def test_full_files_place_every_market_in_a_current_sigungu(db):
    markets_path = shared_data_file(MARKETS_FILE)
    regions_import(file=shared_data_file(REGIONS_FILE))

    report = markets_import(file=markets_path)

    assert report.total == 1388
    assert (report.created, report.rejected) == (1388, [])
    in_database = Counter(
        dict(Market.objects.values_list("region__parent__name").annotate(n=Count("id")))
    )
    assert in_database == sido_counts_in_file(markets_path)
    assert not Market.objects.exclude(region__is_active=True, region__level="sigungu").exists()
    assert report.reconciled["강원도 → 강원특별자치도"] == in_database["강원특별자치도"]
    assert report.reconciled["전라북도 → 전북특별자치도"] == in_database["전북특별자치도"]
    assert Market.objects.filter(region_id="27720").count() == report.reconciled[
        "경상북도 군위군 → 대구광역시 군위군"
    ]

    again = markets_import(file=markets_path)
    assert (again.created, again.updated, again.unchanged, again.total) == (0, 0, 1388, 1388)
    assert Market.objects.count() == 1388


@pytest.mark.slow
def test_full_file_updates_the_demo_market_instead_of_adding_another(db):
    regions_import(file=shared_data_file(REGIONS_FILE))
    name = "반송큰시장(반송2동시장)"
    demo = MarketFactory(
        name=name, region_id="26350",
        source_key=market_source_key(region_code="26350", name=name),
    )

    report = markets_import(file=shared_data_file(MARKETS_FILE))

    assert (report.created, report.updated, report.total) == (1387, 1, 1388)
    assert list(Market.objects.filter(name=name).values_list("pk", flat=True)) == [demo.pk]
    assert Market.objects.count() == 1388


@pytest.mark.slow
def test_full_facilities_file_finds_the_listed_markets(db):
    regions_import(file=shared_data_file(REGIONS_FILE))
    markets_import(file=shared_data_file(MARKETS_FILE))

    report = market_facilities_import(file=shared_data_file(FACILITIES_FILE))

    assert (report.total, report.created) == (1388, 0)
    assert report.updated == 1388 - len(report.rejected)
    # The facilities file (July 2024) names one market differently from the list (November).
    assert len(report.rejected) == 1
    assert report.rejected[0].reason.startswith("시장 목록에 없는 시장입니다")
    assert Market.objects.count() == 1388
