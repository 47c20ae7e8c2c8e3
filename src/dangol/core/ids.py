"""Identifiers for things people read aloud or type: short codes without look-alike letters."""

import secrets

# No 0/O, 1/I/L: a code read over the counter must not be misheard.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int = 10, alphabet: str = CODE_ALPHABET) -> str:
    """Return a random code of `length` characters drawn from `alphabet` (CSPRNG)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def random_digits(length: int = 6) -> str:
    """Return `length` random decimal digits (for one-time codes and counter codes)."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def token_urlsafe(nbytes: int = 32) -> str:
    """Return a random URL-safe secret (API tokens, opt-out links)."""
    return secrets.token_urlsafe(nbytes)
