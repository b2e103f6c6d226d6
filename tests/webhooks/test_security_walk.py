"""The URL security walk (tests/test_url_security.py) over the webhook pages alone: anonymous
visitors go to log in, vendor A's POC gets 404 from every page and action, even for an
endpoint bound to vendor B, and nothing answered names vendor B."""

import pytest

from tests.test_url_security import walk_as

pytestmark = pytest.mark.django_db

PREFIXES = ("integrations/webhooks/",)


def test_the_webhook_pages_answer_anonymous_visitors_with_the_login_page(world):
    problems, count = walk_as(world, "anon", prefixes=PREFIXES)

    assert count == 8  # four routes, GET and POST
    assert not problems, "\n".join(problems)


def test_the_webhook_pages_are_not_found_for_a_vendor_poc(world, poc_a):
    problems, count = walk_as(world, "poc", login_as=poc_a, prefixes=PREFIXES)

    assert count == 8
    assert not problems, "\n".join(problems)
