"""Fixtures for the audit lifecycle, workspace and dispute tests."""

import pytest

from tests.audits.workspace_helpers import published_form


@pytest.fixture
def version(workflow, manager):
    """The published moderation scorecard of tests/audits/workspace_helpers.py."""
    return published_form(workflow, by=manager)
