"""The task queue: Huey, configured in settings.HUEY (SQLite file by default, Redis with
REDIS_URL). Tasks import from here so the choice stays in one place. The `db_` decorators
close the task's database connection afterwards, as Django's request cycle would."""

from huey.contrib.djhuey import HUEY as huey
from huey.contrib.djhuey import db_periodic_task, db_task

__all__ = ["db_periodic_task", "db_task", "huey"]
