"""Back up the configured database to one file and restore it (`dangol backup|restore`).

SQLite is copied with SQLite's online backup API, which reads one consistent snapshot while
the site goes on writing (WAL lets writers continue during the copy); the file it makes is
itself a SQLite database. PostgreSQL is dumped with `pg_dump -Fc` (one snapshot, taken
without blocking writers) and restored with `pg_restore`, both from the PostgreSQL client
tools. A restore refuses a database that already holds tables unless it is forced, so a
mistyped DATABASE_URL cannot overwrite a live site.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection
from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError


class BackupError(DangolError):
    """A backup or restore could not be made."""

    code = "backup_failed"
    template = _("백업 또는 복원을 할 수 없습니다.")


def database_backup(*, path: Path) -> None:
    """Write a backup of the configured database to `path` (replaced only when complete).

    Raise BackupError if the database's client tools are missing or the copy fails.
    """
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(partial)
        elif connection.vendor == "postgresql":
            _run(_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={partial}", f"--dbname={connection.settings_dict['NAME']}")
        else:
            raise BackupError(_("이 데이터베이스(%(vendor)s)는 백업할 수 없습니다."),
                              vendor=connection.vendor)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def database_restore(*, path: Path, force: bool = False) -> None:
    """Replace the configured database with the backup at `path`.

    Raise BackupError if the file is missing or is not a backup, or if the database already
    holds tables and `force` is not set (then nothing is changed).
    """
    if not path.is_file():
        raise BackupError(_("백업 파일이 없습니다: %(path)s"), path=str(path))
    tables = connection.introspection.table_names()
    if tables and not force:
        raise BackupError(
            _("데이터베이스가 비어 있지 않습니다(테이블 %(count)s개). 덮어쓰려면 --force를 "
              "붙이세요."),
            count=len(tables),
        )
    if connection.vendor == "sqlite":
        _sqlite_restore(path)
    elif connection.vendor == "postgresql":
        _postgresql_restore(path, tables)
    else:
        raise BackupError(_("이 데이터베이스(%(vendor)s)는 복원할 수 없습니다."),
                          vendor=connection.vendor)
    connection.close()


def _sqlite_backup(partial: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        # All pages in one step: a step-wise copy restarts whenever the site writes, and
        # under steady writes would never finish; one step reads one snapshot.
        connection.connection.backup(target)
        # The copy is one self-contained file, not a WAL database needing its side files.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(_("SQLite 백업 실패: %(error)s"), error=str(error)) from error
    finally:
        target.close()


def _sqlite_restore(path: Path) -> None:
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(_("백업 파일을 열 수 없습니다: %(error)s"), error=str(error)) from error
    try:
        source.execute("SELECT 1 FROM django_migrations LIMIT 1")
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(
            _("dangol의 SQLite 백업 파일이 아닙니다: %(error)s"), error=str(error)
        ) from error
    finally:
        source.close()


def _postgresql_restore(path: Path, tables: list[str]) -> None:
    _run(_tool("pg_restore"), "--list", str(path))  # is it a backup at all?
    if tables:
        # --clean drops only what the backup holds; a table it does not know would stay.
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    _run(_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error",
         f"--dbname={connection.settings_dict['NAME']}", str(path))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _("%(tool)s 명령을 찾을 수 없습니다. PostgreSQL 클라이언트 도구를 설치하세요 "
              "(예: apt-get install postgresql-client)."),
            tool=name,
        )
    return found


def _run(*command: str) -> None:
    """Run a PostgreSQL client tool against the configured server; raise BackupError if it
    fails."""
    settings = connection.settings_dict
    environ = {
        **os.environ,
        "PGHOST": settings.get("HOST") or "",
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": settings.get("USER") or "",
        "PGPASSWORD": settings.get("PASSWORD") or "",
    }
    done = subprocess.run(  # noqa: S603 (the PostgreSQL tools, with our own arguments)
        command, env={k: v for k, v in environ.items() if v}, capture_output=True, text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s 실패: %(error)s"), tool=os.path.basename(command[0]),
            error=done.stderr.strip(),
        )
