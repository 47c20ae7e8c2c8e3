"""`regions_import` (`dangol import regions`): the legal-dong list and its reconciliation table."""

from datetime import date

import pytest

from dangol.places.errors import ImportFileWrongColumns
from dangol.places.importers.regions import REGION_CHANGES, regions_import
from dangol.places.models import Region
from tests.places.importers.files import LEGAL_DONG_2020, database_state, write_regions

# --- regions --------------------------------------------------------------------------------


def test_regions_import_creates_sido_and_sigungu_with_names_and_parents(regions):
    haeundae = Region.objects.get(code="26350")
    assert haeundae.level == Region.Level.SIGUNGU
    assert (haeundae.name, haeundae.full_name) == ("해운대구", "부산광역시 해운대구")
    assert haeundae.parent_id == "26" and haeundae.is_active
    busan = Region.objects.get(code="26")
    assert (busan.level, busan.name, busan.parent_id) == (Region.Level.SIDO, "부산광역시", None)
    assert Region.objects.get(code="41111").name == "수원시 장안구"
    assert regions.skipped == 3  # 읍면동 rows
    assert regions.rejected == []


def test_regions_import_keeps_abolished_regions_inactive(regions):
    assert not Region.objects.get(code="21").is_active
    assert not Region.objects.get(code="21350").is_active
    assert Region.objects.get(code="28170").successor_id == "28177"


def test_regions_import_moves_gangwon_from_42_to_51(regions):
    gangwon = Region.objects.get(code="51")
    assert (gangwon.name, gangwon.is_active) == ("강원특별자치도", True)
    chuncheon = Region.objects.get(code="51110")
    assert (chuncheon.full_name, chuncheon.parent_id, chuncheon.is_active) == (
        "강원특별자치도 춘천시", "51", True
    )
    old = Region.objects.get(code="42")
    assert (old.is_active, old.successor_id) == (False, "51")
    old_chuncheon = Region.objects.get(code="42110")
    assert (old_chuncheon.is_active, old_chuncheon.successor_id) == (False, "51110")
    # A county abolished long before keeps no successor and is not moved.
    assert not Region.objects.filter(code="51710").exists()


def test_regions_import_moves_jeonbuk_from_45_to_52_with_its_gu(regions):
    assert Region.objects.get(code="52").name == "전북특별자치도"
    wansan = Region.objects.get(code="52111")
    assert (wansan.name, wansan.full_name, wansan.is_active) == (
        "전주시 완산구", "전북특별자치도 전주시 완산구", True
    )
    assert Region.objects.get(code="45111").successor_id == "52111"
    assert Region.objects.get(code="45").successor_id == "52"
    assert not Region.objects.get(code="45110").is_active


def test_regions_import_moves_gunwi_from_gyeongbuk_to_daegu(regions):
    gunwi = Region.objects.get(code="27720")
    assert (gunwi.full_name, gunwi.parent_id, gunwi.is_active) == ("대구광역시 군위군", "27", True)
    old = Region.objects.get(code="47720")
    assert (old.is_active, old.successor_id) == (False, "27720")


def test_regions_import_adds_bucheon_gu_of_2024_and_sejong_sido(regions):
    for old, new, name in [
        ("41195", "41192", "부천시 원미구"),
        ("41197", "41194", "부천시 소사구"),
        ("41199", "41196", "부천시 오정구"),
    ]:
        region = Region.objects.get(code=new)
        assert (region.name, region.is_active, region.parent_id) == (name, True, "41")
        assert Region.objects.get(code=old).successor_id == new
    sejong = Region.objects.get(code="36")
    assert (sejong.level, sejong.is_active) == (Region.Level.SIDO, True)
    assert Region.objects.get(code="36110").parent_id == "36"


def test_regions_import_twice_changes_nothing(regions, tmp_path):
    before = database_state()
    again = regions_import(file=write_regions(tmp_path / "again.csv"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, regions.created)
    assert database_state() == before


def test_regions_import_updates_a_renamed_region_in_place(regions, tmp_path):
    Region.objects.filter(code="26350").update(name="옛 이름", full_name="옛 이름")
    again = regions_import(file=write_regions(tmp_path / "again.csv"))
    assert again.updated == 1
    assert Region.objects.get(code="26350").name == "해운대구"


def test_regions_import_reports_a_bad_code_with_its_line(db, tmp_path):
    rows = [*LEGAL_DONG_2020[:3], ("26350", "부산광역시 해운대구", "존재")]
    report = regions_import(file=write_regions(tmp_path / "regions.csv", rows))
    assert [(problem.line, problem.reason) for problem in report.rejected] == [
        (5, "법정동코드 '26350'은(는) 10자리 숫자가 아닙니다.")
    ]


def test_regions_import_refuses_a_file_without_its_columns_and_writes_nothing(regions, tmp_path):
    before = database_state()
    path = write_regions(tmp_path / "other.csv", header=("코드", "이름", "상태"))
    with pytest.raises(ImportFileWrongColumns) as refused:
        regions_import(file=path)
    assert "법정동코드" in refused.value.message
    assert "아무것도 가져오지 않았습니다" in refused.value.message
    assert database_state() == before


def test_reconciliation_table_names_a_date_and_label_for_every_change():
    for change in REGION_CHANGES:
        assert change.effective <= date(2024, 11, 4)
        assert change.label and change.new
