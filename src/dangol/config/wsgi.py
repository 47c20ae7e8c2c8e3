"""WSGI entry point for gunicorn.

gunicorn runs no system checks, so the application refuses to load with the demo's
stand-ins outside the demo (dangol.core.checks), as `dangol serve` and `run_huey` do.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
application = get_wsgi_application()

from dangol.core.checks import demo_parts_refuse  # noqa: E402 - needs the set-up apps

demo_parts_refuse()
