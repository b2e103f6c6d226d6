"""Facts about the ticket population shared by import, demo seeding and sampling."""

import hashlib

SAMPLE_KEY_BITS = 31
# The same number computed by PostgreSQL for a staged row (tickets.import_sql), from SQL
# expressions for the source and the external id: the first 32 bits of the MD5 digest of
# "source<US>external_id", masked to 31 bits.
SAMPLE_KEY_SQL = (
    "((('x' || left(md5({source} || chr(31) || {external_id}), 8))::bit(32)::integer"
    " & 2147483647)::bigint)"
)


def sample_key(source: str, external_id: str) -> int:
    """A stable pseudo-random number in [0, 2**31) for a ticket, from its identity.

    Sample draws rank tickets by a seeded hash of this key, computed in SQL with integer
    arithmetic that stays inside 64 bits on every database (31-bit key × 31-bit multiplier),
    so a draw is reproducible from (plan, window, seed) on PostgreSQL and SQLite alike. MD5
    (not for security: any well-mixed hash would do) because PostgreSQL has it built in, so
    the import computes the key in the database for a million rows (``SAMPLE_KEY_SQL``).
    """
    identity = f"{source}\x1f{external_id}".encode()
    digest = hashlib.md5(identity, usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big") & ((1 << SAMPLE_KEY_BITS) - 1)
