"""The places domain errors: a place that breaks a rule, and a national data file an import
refuses, each with a Korean, translatable message and a stable code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError, ValidationError


class InvalidPlace(ValidationError):
    """A region, market, store, product or post field does not have the required form."""

    code = "invalid_place"
    template = _("%(field)s: %(reason)s")


class BrnTaken(ValidationError):
    """Another store is already registered under this 사업자등록번호."""

    code = "brn_taken"
    template = _("이미 등록된 사업자등록번호입니다: %(value)s")


class InvalidRole(ValidationError):
    """The role cannot be held in this kind of membership."""

    code = "invalid_role"
    template = _("이 구성원에게 줄 수 없는 역할입니다: %(role)s")


class ImportFileRefused(ValidationError):
    """The file as a whole is not what the import expects; nothing was imported."""

    code = "import_file_refused"
    template = _("파일을 가져올 수 없습니다. 아무것도 가져오지 않았습니다.")


class ImportFileUnreadable(ImportFileRefused):
    code = "import_file_unreadable"
    template = _("파일을 열 수 없습니다: %(file)s (%(error)s). 아무것도 가져오지 않았습니다.")


class ImportFileEmpty(ImportFileRefused):
    code = "import_file_empty"
    template = _("파일이 비어 있습니다(데이터 행이 없습니다). 아무것도 가져오지 않았습니다.")


class ImportFileWrongEncoding(ImportFileRefused):
    code = "import_file_wrong_encoding"
    template = _(
        "파일의 문자 인코딩이 %(expected)s이(가) 아닙니다(%(found)s). 공공데이터포털에서 "
        "내려받은 원본 파일을 그대로 지정하세요. 아무것도 가져오지 않았습니다."
    )


class ImportFileWrongColumns(ImportFileRefused):
    code = "import_file_wrong_columns"
    template = _(
        "%(dataset)s 파일이 아닙니다: 필요한 열이 없습니다(%(missing)s). "
        "아무것도 가져오지 않았습니다."
    )


class ImportFileMalformed(ImportFileRefused):
    code = "import_file_malformed"
    template = _(
        "CSV 형식이 올바르지 않습니다(%(line)s번째 줄: %(error)s). 아무것도 가져오지 않았습니다."
    )


class RegionsNotImported(DangolError):
    """Markets need the national region list, and it is missing or incomplete."""

    code = "regions_not_imported"
    template = _(
        "지역(시도·시군구) 자료가 없거나 불완전합니다(없는 시도 코드: %(missing)s). 먼저 "
        "`dangol import regions 법정동코드파일`로 지역을 가져온 뒤 다시 실행하세요."
    )
    status = 409


class MarketsNotImported(DangolError):
    """Facilities belong to listed markets, and none are imported yet."""

    code = "markets_not_imported"
    template = _(
        "가져온 시장이 없습니다. 먼저 `dangol import markets 전통시장표준데이터파일`로 시장을 "
        "가져온 뒤 다시 실행하세요."
    )
    status = 409
