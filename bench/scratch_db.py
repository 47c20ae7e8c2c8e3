"""A scratch PostgreSQL database for a benchmark: created beside DATABASE_URL's, dropped after.

Imported by the PostgreSQL benchmarks (coupon_redeem, voucher_redeem). They drop their own
folder from sys.path first (bench/http.py would shadow the standard library's `http`) and
add it back at the end, so this module is found after the standard library.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"


def with_database(url: str, name: str) -> str:
    """Return `url` pointing at database `name` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin_execute(base_url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def scratch_database(base_url: str, name: str) -> Iterator[str]:
    """Create the empty database `name`, yield its URL, and drop it whatever happens.

    Django's connections are closed before the drop, which FORCE makes certain.
    """
    admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}"')
    admin_execute(base_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base_url, name)
    finally:
        from django.db import connections

        connections.close_all()
        admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
