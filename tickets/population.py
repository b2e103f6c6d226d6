"""Facts about the ticket population shared by import, demo seeding and sampling."""

import hashlib

SAMPLE_KEY_BITS = 31


def sample_key(source: str, external_id: str) -> int:
    """A stable pseudo-random number in [0, 2**31) for a ticket, from its identity.

    Sample draws rank tickets by a seeded hash of this key, computed in SQL with integer
    arithmetic that stays inside 64 bits on every database (31-bit key × 31-bit multiplier),
    so a draw is reproducible from (plan, window, seed) on PostgreSQL and SQLite alike.
    """
    digest = hashlib.blake2b(f"{source}\x1f{external_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << SAMPLE_KEY_BITS) - 1)
