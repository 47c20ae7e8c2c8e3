"""Time the regulars CSV import (`regulars_import`) in a fresh temporary SQLite database.

    .venv/bin/python bench/regulars_import.py [--rows 80000]

Generates a customer list of `--rows` rows (every tenth with a paper consent date, under the
2 MB upload limit), migrates a scratch database, creates one store, and imports the list
twice: first into an empty database, then again (every customer and follow exists). The
last line is `BENCH regulars_import rows=<n> seconds=<s> rows_per_s=<r>` for the first run.
SQLite runs in this process, so the CPU time printed is nearly the import's whole cost; the
wall time also counts waiting for a CPU on a loaded machine.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def customer_list(rows: int) -> bytes:
    """Return `rows` generated rows: 이름, 휴대전화 and, for every tenth, 동의일시 and 동의방법."""
    lines = ["이름,휴대전화,동의일시,동의방법"]
    for n in range(rows):
        phone = f"010-{2000 + n // 10_000:04d}-{n % 10_000:04d}"
        lines.append(f"손님,{phone},2025-03-01,서면" if n % 10 == 0 else f"손님,{phone}")
    return "\n".join(lines).encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=80_000)
    args = parser.parse_args()

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

        from dangol.places.services import market_create, region_ensure, store_create
        from dangol.regulars.imports import regulars_import

        call_command("migrate", verbosity=0)
        busan, _ = region_ensure(code="26", name="부산광역시", full_name="부산광역시")
        region, _ = region_ensure(code="26350", name="해운대구", full_name="부산광역시 해운대구",
                                  parent=busan)
        market = market_create(name="벤치시장", region=region, source_key="26350:벤치시장")
        store = store_create(market=market, name="벤치수산", category="seafood")
        data = customer_list(args.rows)
        print(f"file: {args.rows} rows, {len(data) / 1024 / 1024:.2f} MB")

        started, cpu = time.perf_counter(), time.process_time()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("regulars_import(store=store, data=data)", globals(), locals(),
                            os.environ["BENCH_PROFILE"])
        result = regulars_import(store=store, data=data)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"first import: {result.followed} followed, {result.with_consent} with consent, "
            f"{len(result.errors)} rejected in {seconds:.2f} s ({args.rows / seconds:,.0f} rows/s;"
            f" {cpu:.2f} s of CPU in this process)"
        )
        started = time.perf_counter()
        again = regulars_import(store=store, data=data)
        again_seconds = time.perf_counter() - started
        print(
            f"again: {again.already_following} already following, {again.with_consent} with "
            f"consent in {again_seconds:.2f} s ({args.rows / again_seconds:,.0f} rows/s)"
        )

    print(f"BENCH regulars_import rows={args.rows} seconds={seconds:.2f} "
          f"rows_per_s={args.rows / seconds:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
