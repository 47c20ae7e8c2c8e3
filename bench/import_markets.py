"""Time `dangol import markets` on the official file, in a fresh temporary SQLite database.

    .venv/bin/python bench/import_markets.py [path-to-shared-data]

Imports the legal-dong list first (timed on its own line), then times the market import
alone and a second run over the same file (which must create nothing). The last line is
`BENCH import_markets rows=<n> seconds=<s>` for the first market import.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REGIONS_FILE = "legal_dong_codes.csv"
MARKETS_FILE = "traditional_markets_standard_2024-11-04.cp949.csv"


def main() -> int:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    regions_path, markets_path = data / REGIONS_FILE, data / MARKETS_FILE
    for path in (regions_path, markets_path):
        if not path.exists():
            print(f"missing data file: {path}", file=sys.stderr)
            return 2

    with tempfile.TemporaryDirectory(prefix="dangol-bench-") as var_dir:
        # Before django.setup(): settings read these once.
        os.environ["DANGOL_VAR_DIR"] = var_dir
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "dangol.config.settings"
        # Python puts this script's folder first on the path, where bench/http.py would
        # shadow the standard library's `http` that Django imports.
        here = str(Path(__file__).resolve().parent)
        sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != here]
        sys.path.insert(0, str(REPO / "src"))

        import django

        django.setup()
        from django.core.management import call_command

        from dangol.places.importers.markets import markets_import
        from dangol.places.importers.regions import regions_import
        from dangol.places.models import Market

        call_command("migrate", verbosity=0)

        started = time.perf_counter()
        regions = regions_import(file=regions_path)
        regions_seconds = time.perf_counter() - started
        print(
            f"regions: {regions.total} rows ({regions.created} created, "
            f"{regions.skipped} 읍면동 lines skipped) in {regions_seconds:.2f} s"
        )

        started = time.perf_counter()
        report = markets_import(file=markets_path)
        seconds = time.perf_counter() - started
        print(
            f"markets: {report.total} rows ({report.created} created, {report.updated} updated, "
            f"{len(report.rejected)} rejected, {len(report.corrected)} corrected) "
            f"in {seconds:.2f} s"
        )

        started = time.perf_counter()
        again = markets_import(file=markets_path)
        again_seconds = time.perf_counter() - started
        print(
            f"markets again: {again.total} rows ({again.created} created, {again.updated} "
            f"updated, {again.unchanged} unchanged) in {again_seconds:.2f} s; "
            f"{Market.objects.count()} markets in the database"
        )

    print(f"BENCH import_markets rows={report.total} seconds={seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
