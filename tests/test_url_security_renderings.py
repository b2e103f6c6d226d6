"""The URL security walk again, as vendor A's POC asking every route for the browsable API
(``?format=api``) or for HTML (``Accept: text/html``): no rendering shows more than JSON does.
(Its own file so that a parallel run spreads the walks over workers.)"""

import pytest

from tests.test_url_security import BROWSABLE, HTML, walk_as

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=30)]


@pytest.mark.parametrize("renderer", [BROWSABLE, HTML])
def test_asking_for_another_rendering_shows_vendor_a_poc_nothing_more(world, poc_a, renderer):  # noqa: F811
    """Every route again, as A's POC asking for the browsable API or for HTML."""
    problems, count = walk_as(world, "poc", login_as=poc_a, renderer=renderer)
    assert count > 500
    assert not problems, f"{len(problems)} of {count} answers wrong:\n" + "\n".join(problems)
