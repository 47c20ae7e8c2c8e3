"""The task queue: one Huey instance, built from settings.HUEY, shared by every app's tasks."""

import importlib
from importlib.util import find_spec

from django.apps import apps
from huey.api import TaskWrapper
from huey.contrib import djhuey

from dangol.core import queue


def test_queue_is_the_instance_django_configured():
    assert queue.huey is djhuey.HUEY
    assert queue.huey.immediate is True  # DANGOL_TESTING runs tasks in-process


def test_every_apps_tasks_are_registered_on_the_core_queue():
    task_modules = [
        importlib.import_module(f"{config.name}.tasks")
        for config in apps.get_app_configs()
        if config.name.startswith("dangol.")
        and find_spec(f"{config.name}.tasks") is not None
    ]
    wrappers = [
        value for module in task_modules for value in vars(module).values()
        if isinstance(value, TaskWrapper)
    ]

    assert {module.__name__.split(".")[1] for module in task_modules} >= {
        "accounts", "core", "coupons", "messaging", "programs", "regulars", "settlement",
        "vouchers",
    }
    assert wrappers
    assert all(wrapper.huey is queue.huey for wrapper in wrappers)
