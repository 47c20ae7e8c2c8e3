"""The import contracts of pyproject.toml (DESIGN.md §3: imports only point down) hold, and
an import that points up breaks them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="lint-imports is not installed (pip install -e '.[test]')"
)


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the project's contracts over the `dangol` package under `src`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        env={**os.environ, "PYTHONPATH": str(src)}, cwd=src,
        capture_output=True, text=True, timeout=120, check=False,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    """Copy the Python files of src/dangol under `tmp_path` and return the new src."""
    shutil.copytree(
        ROOT / "src" / "dangol", tmp_path / "src" / "dangol",
        ignore=lambda _dir, names: [
            name for name in names if "." in name and not name.endswith(".py")
        ],
    )
    return tmp_path / "src"


def test_the_code_keeps_every_import_contract():
    result = lint_imports(ROOT / "src")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_place_importing_programs_breaks_the_house(tmp_path):
    src = copy_of_the_code(tmp_path)
    models = src / "dangol" / "places" / "models.py"
    models.write_text(models.read_text() + "\nfrom dangol.programs import models as _m\n")

    result = lint_imports(src)

    assert result.returncode == 1
    assert "dangol.places is not allowed to import dangol.programs" in result.stdout
    assert "dangol.places.models -> dangol.programs.models" in result.stdout


def test_core_importing_an_app_breaks_the_core_contract(tmp_path):
    src = copy_of_the_code(tmp_path)
    money = src / "dangol" / "core" / "money.py"
    money.write_text(money.read_text() + "\nfrom dangol.accounts import models as _m\n")

    result = lint_imports(src)

    assert result.returncode == 1
    assert "core imports no dangol app BROKEN" in result.stdout


def test_places_services_asking_access_breaks_the_house(tmp_path):
    # Only places' market page and store endpoints may ask access (pyproject's
    # ignore_imports); the rest of places sits below it.
    src = copy_of_the_code(tmp_path)
    services = src / "dangol" / "places" / "services.py"
    services.write_text(services.read_text() + "\nfrom dangol.access import checks as _c\n")

    result = lint_imports(src)

    assert result.returncode == 1
    assert "dangol.places is not allowed to import dangol.access" in result.stdout
