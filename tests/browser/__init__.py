"""Browser flows in headless Chromium."""

import os
from pathlib import Path


def keep_a_picture(page, name):
    """Save a full-page screenshot under $QA_SHOTS, for a person to look at; off by default.

    A picture is not an assertion, and Chromium can refuse one on a loaded machine.
    """
    folder = os.environ.get("QA_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


# How long a test waits for a status page to show what its worker reported (ms): the page polls
# every 1.5 s, retries a failed poll after 5 s, and reloads once the job has finished, which
# on a busy machine can take longer than an expectation's default 5 s.
POLLED = 15_000
