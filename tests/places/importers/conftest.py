"""Fixtures of the importer tests: the cut-down 2020 legal-dong list imported, and a market
entered before any import.
"""

import pytest

from dangol.places.importers.regions import regions_import
from tests.factories import MarketFactory
from tests.places.importers.files import write_regions


@pytest.fixture
def regions(db, tmp_path):
    """Import the cut-down 2020 legal-dong list."""
    return regions_import(file=write_regions(tmp_path / "regions.csv"))


@pytest.fixture
def existing_market(regions):
    return MarketFactory(name="기존시장", region_id="26350")
