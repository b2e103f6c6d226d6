"""One date style and a 24-hour clock everywhere: the default display formats, and no
template asks for AM/PM."""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

AFTERNOON = dt.datetime(2026, 11, 18, 15, 5, tzinfo=dt.UTC)
ROOT = Path(settings.BASE_DIR)
# Format characters of Django's date filter that print a 12-hour clock or a.m./p.m.
# A named format ("DATETIME_FORMAT") is one of the settings tested below, not characters.
TWELVE_HOUR = re.compile(r"""\|(?:date|time):(["'])(?![A-Z_]+_FORMAT\1)[^"']*[aAghP]""")
# Allowed: an "a"/"A"/"g"/... escaped with a backslash is literal text, e.g. "\a\t".
ESCAPED = re.compile(r"\\[aAghP]")


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_datetimes_and_times_print_on_a_24_hour_clock_by_default():
    with timezone.override(dt.UTC):
        assert render("{{ when }}", when=AFTERNOON) == "18 Nov 2026 15:05"
        assert render("{{ when|time }}", when=AFTERNOON) == "15:05"
        assert render("{{ when|date }}", when=AFTERNOON) == "18 Nov 2026"
        assert render("{{ when|date:'DATETIME_FORMAT' }}", when=AFTERNOON) == "18 Nov 2026 15:05"
        assert render("{{ when|date:'SHORT_DATETIME_FORMAT' }}", when=AFTERNOON) == (
            "18 Nov 2026 15:05"
        )


def test_no_template_formats_a_time_on_a_12_hour_clock():
    offenders = []
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if TWELVE_HOUR.search(ESCAPED.sub("", line)):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
