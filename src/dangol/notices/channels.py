"""Where informational notices go besides the Notice row (a registry).

The notices app sits below messaging in the layers, so it cannot call messaging; messaging
registers its functions here instead (in its AppConfig.ready):

- a *sender* `fn(notice)` is called by `notice_send` in its transaction, once, right after
  a new Notice is created (never on an idempotent repeat), and routes the notice through
  the delivery path (in-app inbox copy, SMS);
- a *reader* `fn(user, unread)` is called when a user's notices are marked read, with the
  (lazy) QuerySet of their unread notices, before they are marked, so that the inbox copies
  are marked read too (in one statement: the notices page keeps its query count low).

A function raising makes the send (or the read) fail as a whole: the caller's transaction
rolls back with the Notice.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dangol.accounts.models import User
    from dangol.notices.models import Notice

Sender = Callable[["Notice"], object]
Reader = Callable[["User", "QuerySet[Notice]"], object]

_senders: list[Sender] = []
_readers: list[Reader] = []


def register(fn: Sender) -> Sender:
    """Register `fn(notice)` to be called for every new notice; return `fn` (a decorator).

    Registering the same function twice registers it once."""
    if fn not in _senders:
        _senders.append(fn)
    return fn


def register_reader(fn: Reader) -> Reader:
    """Register `fn(user, unread)` to be called when notices are marked read."""
    if fn not in _readers:
        _readers.append(fn)
    return fn


def unregister(fn: Callable[..., object]) -> None:
    """Remove `fn` from the registry (tests)."""
    for registry in (_senders, _readers):
        if fn in registry:
            registry.remove(fn)


def notice_dispatch(notice: "Notice") -> None:
    """Call every registered sender with the new `notice`."""
    for fn in list(_senders):
        fn(notice)


def notices_read(user: "User", unread: "QuerySet[Notice]") -> None:
    """Call every registered reader with `user` and the QuerySet of their notices about to
    be marked read."""
    for fn in list(_readers):
        fn(user, unread)
