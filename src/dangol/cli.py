"""The `dangol` command: Django's management commands with dangol's settings."""

import os
import sys


def main() -> None:
    """Run a management command (`dangol import markets FILE`, `dangol demo`, …)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
