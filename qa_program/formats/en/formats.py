"""Display formats for the program's one language: one date style, a 24-hour clock.

Pages print a day as "6 Dec 2026" and a moment as "6 Dec 2026 14:05", the same as
``accounts.formats.day`` and ``moment`` write them in messages and notifications; exports
write ISO 8601 instead (docs/exports.md). Only display formats are set here; input formats
stay Django's, and ``<input type="date">`` values stay ISO as HTML requires.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
