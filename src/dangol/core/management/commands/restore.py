"""`dangol restore [--force] FILE`: replace the configured database with a backup."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dangol.core.backup import BackupError, database_restore


class Command(BaseCommand):
    help = "백업 파일에서 데이터베이스를 복원합니다. Restore the database from a backup."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="백업 파일 / the backup file to restore")
        parser.add_argument(
            "--force", action="store_true",
            help="비어 있지 않은 데이터베이스도 덮어씁니다 / overwrite a non-empty database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            database_restore(path=options["file"], force=options["force"])
        except BackupError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(_("복원했습니다: %(path)s") % {"path": options["file"]})
        )
