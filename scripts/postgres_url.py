"""Print a PostgreSQL URL the tests can use, or nothing if none answers.

DATABASE_URL wins when it names PostgreSQL; otherwise try the local service
(127.0.0.1:5432, trust auth, database `test`, user postgres or root). Under CI=true,
try to start the local cluster first if it is not answering.
"""

import os
import subprocess
import sys

import psycopg


def reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def candidates() -> list[str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return [url]
    return [f"postgres://{user}@127.0.0.1:5432/test" for user in ("postgres", "root")]


def main() -> None:
    for attempt in range(2):
        for url in candidates():
            if reachable(url):
                print(url)
                return
        if attempt == 0 and os.environ.get("CI") == "true":
            start = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
            subprocess.run(  # noqa: S603
                ["/bin/bash", "-c", start],
                check=False, capture_output=True,
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
