"""`dangol backup FILE`: write a backup of the configured database (docs/operations.md)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dangol.core.backup import BackupError, database_backup


class Command(BaseCommand):
    help = "데이터베이스를 파일로 백업합니다. Back up the database to a file (the site may run)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="백업 파일 / the backup file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            database_backup(path=options["file"])
        except BackupError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(_("백업했습니다: %(path)s") % {"path": options["file"]})
        )
