"""`dangol backup` and `dangol restore`, run as an operator runs them, on SQLite and PostgreSQL.

Each test works on databases of its own (SQLite files in a temporary directory, or sibling
databases on the test's PostgreSQL server), migrated and written by `dangol` processes.
"""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 180


@dataclass
class Database:
    """A database a `dangol` process can be pointed at with DATABASE_URL."""

    url: str

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Return the rows of a read-only query."""
        if self.url.startswith("sqlite:"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return db.execute(sql).fetchall()
        with psycopg.connect(self.url) as db:
            return db.execute(sql).fetchall()  # type: ignore[arg-type]


class Databases:
    """Make fresh, empty databases of one kind; drop the PostgreSQL ones afterwards."""

    def __init__(self, kind: str, directory: Path) -> None:
        self.kind, self.directory, self.made = kind, directory, []

    def _server(self) -> str:
        settings = connection.settings_dict
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return (
            f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}"
            f":{settings['PORT'] or 5432}"
        )

    def new(self, name: str) -> Database:
        if self.kind == "sqlite":
            return Database(f"sqlite:///{self.directory / name}.sqlite3")
        database = f"{connection.settings_dict['NAME']}_{name}"
        with psycopg.connect(f"{self._server()}/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{database}"')
        self.made.append(database)
        return Database(f"{self._server()}/{database}")

    def drop_all(self) -> None:
        if not self.made:
            return
        with psycopg.connect(f"{self._server()}/postgres", autocommit=True) as server:
            for database in self.made:
                server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request, tmp_path) -> Iterator[Databases]:
    made = Databases(request.param, tmp_path)
    yield made
    made.drop_all()


def environ(database: Database, directory: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database.url, "DANGOL_VAR_DIR": str(directory)}


def dangol(database: Database, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `dangol ARGS` against `database`; return the finished process."""
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "dangol", *args], cwd=ROOT, env=environ(database, directory),
        capture_output=True, text=True, timeout=WAIT_SECONDS, check=False,
    )


def migrated(database: Database, directory: Path) -> Database:
    done = dangol(database, directory, "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    return database


def wait_for(condition, what: str, writer: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert writer.poll() is None, f"the busy site stopped: {writer.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def redemptions(database: Database) -> int:
    return database.rows("SELECT COUNT(*) FROM vouchers_redemption")[0][0]


def test_backup_of_a_busy_database_restores_elsewhere_with_identical_balances(
    databases, tmp_path
):
    # Given a site whose counters keep redeeming while the backup runs
    source = migrated(databases.new("busy"), tmp_path)
    writer = subprocess.Popen(  # noqa: S603 (our own test module)
        [sys.executable, "-m", "tests.core.busy_site", str(tmp_path)], cwd=ROOT,
        env=environ(source, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for((tmp_path / "busy").exists, "the first redemptions", writer)

        # When it is backed up and the backup restored into an empty database elsewhere
        backup = tmp_path / "dangol.backup"
        done = dangol(source, tmp_path, "backup", str(backup))
        assert done.returncode == 0, done.stderr
        target = databases.new("restored")
        done = dangol(target, tmp_path, "restore", str(backup))
        assert done.returncode == 0, done.stderr
        # (the counters went on redeeming after the backup's snapshot)
        in_backup = redemptions(target)
        wait_for(lambda: redemptions(source) > in_backup, "redemptions after the backup", writer)
    finally:
        (tmp_path / "stop").touch()
        out, err = writer.communicate(timeout=WAIT_SECONDS)
    assert writer.returncode == 0, err
    assert in_backup >= 20

    # Then the restored ledger verifies
    verify = dangol(target, tmp_path, "ledger", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "이상 없음" in verify.stdout
    # and every account holds what the source's entries of the restored transactions give it
    restored = set(target.rows("SELECT id FROM ledger_transaction"))
    expected: dict[int, int] = dict.fromkeys(
        (account for (account,) in source.rows("SELECT id FROM ledger_account")), 0
    )
    for transaction, account, amount in source.rows(
        "SELECT transaction_id, account_id, amount FROM ledger_entry"
    ):
        if (transaction,) in restored:
            expected[account] += amount
    balances = dict(target.rows("SELECT id, balance FROM ledger_account"))
    assert balances == {account: expected[account] for account in balances}
    assert sum(1 for balance in balances.values() if balance) >= 4
    # and each voucher's balance is its face value less its restored redemptions
    assert target.rows(
        "SELECT v.id FROM vouchers_voucher v WHERE v.balance != v.face_value - COALESCE("
        "(SELECT SUM(r.amount) FROM vouchers_redemption r WHERE r.voucher_id = v.id), 0)"
    ) == []


def test_restore_refuses_a_non_empty_database_without_force(databases, tmp_path):
    # Given a backup and a database that already holds tables
    source = migrated(databases.new("refused_source"), tmp_path)
    backup = tmp_path / "dangol.backup"
    assert dangol(source, tmp_path, "backup", str(backup)).returncode == 0
    occupied = migrated(databases.new("refused_occupied"), tmp_path)
    before = occupied.rows("SELECT COUNT(*) FROM django_migrations")

    # When the backup is restored over it without --force
    refused = dangol(occupied, tmp_path, "restore", str(backup))

    # Then nothing is restored and the operator is told why
    assert refused.returncode != 0
    assert "--force" in refused.stderr
    assert occupied.rows("SELECT COUNT(*) FROM django_migrations") == before


def test_restore_with_force_replaces_a_non_empty_database(databases, tmp_path):
    # Given a backup of a migrated database and another one holding a table of its own
    source = migrated(databases.new("forced_source"), tmp_path)
    backup = tmp_path / "dangol.backup"
    assert dangol(source, tmp_path, "backup", str(backup)).returncode == 0
    occupied = databases.new("forced_occupied")
    if databases.kind == "sqlite":
        with sqlite3.connect(occupied.url.removeprefix("sqlite:///")) as db:
            db.execute("CREATE TABLE leftover (id integer)")
    else:
        with psycopg.connect(occupied.url) as db:
            db.execute("CREATE TABLE leftover (id integer)")

    # When it is restored with --force
    done = dangol(occupied, tmp_path, "restore", "--force", str(backup))

    # Then the database is the backup's, and the ledger verifies
    assert done.returncode == 0, done.stderr
    tables = {
        name for (name,) in occupied.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            if databases.kind == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
    }
    assert "leftover" not in tables
    assert {"django_migrations", "ledger_account"} <= tables
    assert dangol(occupied, tmp_path, "ledger", "verify").returncode == 0
