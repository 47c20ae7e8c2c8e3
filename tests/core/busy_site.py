"""A busy site for the backup tests: `python -m tests.core.busy_site DIR` (with DATABASE_URL).

Sell vouchers, then let several counters redeem ₩1 at a time, each in its own thread and
connection, writing `DIR/busy` after the first BUSY redemptions, until `DIR/stop` appears;
print the number of redemptions.
"""

import os
import sys
import threading
import time
from pathlib import Path

COUNTERS = 4
BUSY = 20  # redemptions made before the site counts as busy


def main(directory: Path) -> None:
    import django

    django.setup()
    from django.db import connection

    from dangol.vouchers import services
    from dangol.vouchers.models import Voucher
    from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory
    from tests.vouchers.conftest import buy, make_product

    store, staff = StoreFactory(), StaffUserFactory()
    product = make_product(store, face_value=100_000, sale_price=100_000)
    vouchers = [buy(product, CustomerFactory()) for _ in range(COUNTERS)]
    connection.close()
    done = [0] * COUNTERS

    def counter(index: int) -> None:
        try:
            while not (directory / "stop").exists():
                services.voucher_redeem(
                    voucher=Voucher.objects.get(pk=vouchers[index].pk), store=store, amount=1,
                    staff=staff, idempotency_key=f"counter-{index}-{done[index]}",
                )
                done[index] += 1
                if sum(done) >= BUSY:
                    (directory / "busy").touch()
        finally:
            connection.close()

    threads = [threading.Thread(target=counter, args=(i,)) for i in range(COUNTERS)]
    for thread in threads:
        thread.start()
    while not (directory / "stop").exists():
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    sys.stdout.write(f"{sum(done)}\n")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    main(Path(sys.argv[1]))
