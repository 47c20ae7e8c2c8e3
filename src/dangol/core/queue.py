"""The task queue: Huey, configured in settings.HUEY (SQLite file by default, Redis with
REDIS_URL). Every app's tasks.py takes its decorators from here, so the choice stays in one
place and no domain app imports config. The `db_` decorators close the task's database
connection afterwards, as Django's request cycle would.

Importing huey.contrib.djhuey builds the Huey instance from settings.HUEY (read lazily
through django.conf.settings), so this module may be imported from any app once Django's
settings are configured; it has no other side effect."""

from huey.contrib.djhuey import HUEY as huey
from huey.contrib.djhuey import db_periodic_task, db_task

__all__ = ["db_periodic_task", "db_task", "huey"]
