"""Fixtures for the scorecard rollup tests (builders are in rollup_helpers.py)."""

import pytest

from tests.audits.workspace_helpers import published_form


@pytest.fixture
def version(workflow, manager):
    """The published moderation scorecard of tests/audits/workspace_helpers.py."""
    return published_form(workflow, by=manager)


@pytest.fixture
def step(django_capture_on_commit_callbacks):
    """Run one lifecycle step and, as in production, what it queued on commit (the cell
    refresh, eager)."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run
