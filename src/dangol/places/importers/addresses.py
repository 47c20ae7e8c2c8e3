"""Find the current 시군구 of a market's addresses: `RegionDirectory` holds every region in
memory, so that an import places a whole file without a query per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext

from dangol.places.importers.regions import CURRENT_SIDO_CODES
from dangol.places.models import Region

# --- finding a market's 시군구 from its address ---------------------------------------------


@dataclass(frozen=True)
class _Resolution:
    code: str
    kind: str
    note: str | None = None


class RegionDirectory:
    """The regions in memory, to find the current 시군구 of an address without queries.

    Old names (강원도 춘천시, 경상북도 군위군) lead through `successor` to the region in force.
    """

    def __init__(self, regions: Sequence[Region]) -> None:
        self._by_code = {region.code: region for region in regions}
        # 시도 name → its current code; old names (강원도) too, remembered in `old_sido_names`.
        self.sido_by_name: dict[str, str] = {}
        self.old_sido_names: set[str] = set()
        # 시도 code → 시군구 name ("해운대구", "수원시 장안구") → (current code, via an old name)
        self.sigungu_by_name: dict[str, dict[str, tuple[str, bool]]] = {}
        for region in sorted(regions, key=lambda region: not region.is_active):
            current = self.current(region.code)
            if current is None:
                continue
            if region.level == Region.Level.SIDO:
                if region.name not in self.sido_by_name and not region.is_active:
                    self.old_sido_names.add(region.name)
                self.sido_by_name.setdefault(region.name, current)
                continue
            sido = self.current(region.parent_id or region.code[:2])
            if sido is not None:
                names = self.sigungu_by_name.setdefault(sido, {})
                names.setdefault(region.name, (current, not region.is_active))
        self.single_tier: dict[str, str] = {}
        for sido, names in self.sigungu_by_name.items():
            codes = {code for code, _old in names.values()}
            if len(codes) == 1 and self._by_code[sido].name in names:
                self.single_tier[sido] = codes.pop()
        # The 시 divided into 일반구, by the first four digits they share with their 구
        # (수원시 41110, 수원시 장안구 41111); 증평군 43745 is no 구 of 영동군 43740.
        self.divided: set[str] = set()
        for region in regions:
            city = self._by_code.get(region.code[:4] + "0")
            if (
                region.level == Region.Level.SIGUNGU and region.is_active
                and region.code[4] != "0" and city is not None and city.is_active
                and region.name.startswith(city.name + " ")
            ):
                self.divided.add(region.code[:4])

    @classmethod
    def load(cls) -> RegionDirectory:
        """Return the directory of every region, read in one query."""
        return cls(list(Region.objects.all()))

    def current(self, code: str) -> str | None:
        """Return the code in force for region `code`, following `successor`; None if none."""
        seen: set[str] = set()
        region = self._by_code.get(code)
        while region is not None and not region.is_active and region.code not in seen:
            seen.add(region.code)
            region = self._by_code.get(region.successor_id) if region.successor_id else None
        return region.code if region is not None and region.is_active else None

    def full_name(self, code: str) -> str:
        return self._by_code[code].full_name

    def is_divided_city(self, code: str) -> bool:
        """Return True if `code` is a 시 divided into 일반구 (수원시, not 수원시 장안구)."""
        return code[4:] == "0" and code[:4] in self.divided

    def missing_sido(self) -> list[str]:
        """Return the codes of the current 시도 that are not in the directory."""
        return sorted(
            code for code in CURRENT_SIDO_CODES
            if code not in self._by_code or not self._by_code[code].is_active
        )

    def resolve(self, *, road: str, lot: str) -> _Resolution | str:
        """Return the current 시군구 of a market's addresses, or the reason there is none.

        Take the road address, then the lot address, word for word; then correct a missing
        space, a one-letter typo or a 구 named by the end of its name. Prefer a 구 to the 시
        divided into it. Every answer that is not the road address as written has a note.
        """
        addresses = [(address, bool(is_lot)) for is_lot, address in enumerate((road, lot))]
        addresses = [(address, is_lot) for address, is_lot in addresses if address.split()]
        if not addresses:
            return gettext("주소가 비어 있습니다(도로명주소와 지번주소 모두 없음).")
        city: _Resolution | None = None
        known_sido = False
        for address, is_lot in addresses:
            words = address.split()
            sido = self.sido_by_name.get(words[0])
            known_sido = known_sido or sido is not None
            found = self._exact(sido, words[1:]) if sido else None
            if found is not None and words[0] in self.old_sido_names:
                found = _Resolution(found.code, "successor")
            if found is None or (city is not None and found.code[:4] != city.code[:4]):
                continue
            if is_lot and road:
                found = self._note(found.code, "lot_address", gettext(
                    "도로명주소 '%(written)s'에서 시군구를 찾지 못해 지번주소로 %(region)s에 "
                    "넣었습니다."
                ), road)
            elif is_lot:
                found = _Resolution(found.code, "lot_address")
            if not self.is_divided_city(found.code):
                return found
            city = city or found
        for address, _is_lot in addresses:
            words = address.split()
            sido = self.sido_by_name.get(words[0])
            within = city.code[:4] if city is not None else None
            corrected = self._corrected(sido, words[1:], within=within) if sido else None
            if corrected is not None and not self.is_divided_city(corrected.code):
                return corrected
        if city is not None:
            return self._note(city.code, "city_without_gu", gettext(
                "주소 '%(written)s'에 구가 없어 %(region)s에 넣었습니다."
            ), addresses[0][0])
        if not known_sido:
            reason = gettext("주소의 시도를 알 수 없습니다: %(address)s")
        else:
            reason = gettext("주소에서 현행 시군구를 찾을 수 없습니다: %(address)s")
        return reason % {"address": addresses[0][0]}

    def _exact(self, sido: str, words: list[str]) -> _Resolution | None:
        if sido in self.single_tier:
            return _Resolution(self.single_tier[sido], "single_tier")
        names = self.sigungu_by_name.get(sido, {})
        for count in (2, 1):
            if len(words) >= count and " ".join(words[:count]) in names:
                code, via_old_name = names[" ".join(words[:count])]
                return _Resolution(code, "successor" if via_old_name else "exact")
        return None

    def _corrected(self, sido: str, words: list[str], *, within: str | None) -> _Resolution | None:
        names = {
            name: code for name, (code, _old) in self.sigungu_by_name.get(sido, {}).items()
            if within is None or (code[:4] == within and not self.is_divided_city(code))
        }
        if not words or not names:
            return None
        compact = "".join(words)
        by_compact = {name.replace(" ", ""): name for name in names}
        prefixes = [name for name in by_compact if compact.startswith(name)]
        if prefixes:
            name = by_compact[max(prefixes, key=len)]
            return self._note(names[name], "corrected_spacing", gettext(
                "주소 '%(written)s'의 띄어쓰기를 바로잡아 %(region)s에 넣었습니다."
            ), " ".join(words[:3]))
        # One letter wrong, never the last (시·군·구), in a name of three letters or more.
        typos: set[tuple[str, str]] = set()
        for name, code in names.items():
            written = " ".join(words[: name.count(" ") + 1])
            if (
                len(written) == len(name) >= 3 and written[-1] == name[-1]
                and sum(a != b for a, b in zip(written, name, strict=True)) == 1
            ):
                typos.add((code, written))
        if len({code for code, _written in typos}) == 1:
            code, written = typos.pop()
            return self._note(code, "corrected_typo", gettext(
                "주소의 '%(written)s'을(를) 오기로 보고 %(region)s에 넣었습니다."
            ), written)
        # A 구 named by the end of its name: 창원시 회원구 for 창원시 마산회원구.
        if len(words) >= 2 and len(words[1]) >= 3 and words[1].endswith("구"):
            ends = {
                code for name, code in names.items()
                if name.count(" ") == 1 and name.split(" ")[0] == words[0]
                and name.split(" ")[1].endswith(words[1])
            }
            if len(ends) == 1:
                return self._note(ends.pop(), "corrected_abbreviation", gettext(
                    "주소의 '%(written)s'을(를) 줄여 쓴 구 이름으로 보고 %(region)s에 넣었습니다."
                ), " ".join(words[:2]))
        return None

    def _note(self, code: str, kind: str, template: str, written: str) -> _Resolution:
        note = template % {"written": written, "region": self.full_name(code)}
        return _Resolution(code, kind, note)
