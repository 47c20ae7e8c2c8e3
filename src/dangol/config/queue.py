"""The task queue: Huey, configured in settings.HUEY (SQLite file by default, Redis with
REDIS_URL). Tasks import `huey` from here so the choice stays in one place."""

from huey.contrib.djhuey import HUEY as huey

__all__ = ["huey"]
