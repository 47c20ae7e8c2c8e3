"""Static-file storage that tolerates the optional web font being absent.

The Pretendard woff2 files are fetched at install time from the npm registry
(scripts/fetch_fonts.sh). On a machine without npm they are missing; the stylesheet still
names them, and the manifest storage would then refuse to collect static files at all.
Fonts are the one optional asset: their references are left unhashed (the browser falls
back to system fonts); any other missing file is still an error.
"""

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

OPTIONAL_PREFIX = "web/fonts/"


class StaticStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's compressed manifest storage, lenient only about optional fonts."""

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if name.startswith(OPTIONAL_PREFIX):
                return name
            raise
