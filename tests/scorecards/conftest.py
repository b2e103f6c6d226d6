"""Fixtures for the scorecard rollup tests (builders are in rollup_helpers.py)."""

import pytest

from tests.audits.workspace_helpers import published_form


@pytest.fixture
def version(workflow, manager):
    """The published moderation scorecard of tests/audits/workspace_helpers.py."""
    return published_form(workflow, by=manager)
