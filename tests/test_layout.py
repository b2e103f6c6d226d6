"""The one base layout: grouped navigation that fits at 1280 px, a favicon, and wide tables that
scroll inside their card with the row names kept in view."""

from pathlib import Path

from django.contrib.staticfiles import finders

NAV_START = '<nav class="mainnav"'


def main_nav(html: str) -> str:
    return html[html.index(NAV_START) : html.index("</nav>")]


def test_a_manager_finds_every_page_in_a_few_groups(client_as, manager):
    nav = main_nav(client_as(manager).get("/").content.decode())

    # Five entries in the bar: three groups and two direct links.
    assert nav.count('<details class="navgroup" name="mainnav">') == 3
    for group in ("Audits", "Program", "Manage"):
        assert f">{group}</summary>" in nav
    for page in (
        "/audits/queue/",
        "/audits/tickets/",
        "/audits/forms/",
        "/audits/tickets/import/",
        "/scorecards/trends/",
        "/scorecards/gaps/",
        "/vendors/",
        "/sampling/",
        "/coaching/",
        "/people/",
    ):
        assert f'href="{page}' in nav, page


def test_an_auditor_sees_no_manager_links(client_as, auditor):
    nav = main_nav(client_as(auditor).get("/audits/queue/").content.decode())

    assert 'href="/people/' not in nav and "/audits/tickets/import/" not in nav
    assert 'href="/audits/queue/"' in nav
    # The group of the page one is on is marked.
    assert '<summary class="current">Audits</summary>' in nav


def test_a_vendor_poc_sees_their_portal_and_coaching_only(client_as, poc_a):
    nav = main_nav(client_as(poc_a).get("/portal/").content.decode())

    assert "navgroup" not in nav
    assert ">Acme Moderation portal</a>" in nav and 'href="/coaching/"' in nav
    assert "/scorecards/" not in nav and "/sampling/" not in nav


def test_every_page_links_the_favicon(client):
    html = client.get("/accounts/login/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    svg = Path(finders.find("favicon.svg")).read_text()
    assert svg.startswith("<svg") and 'viewBox="0 0 32 32"' in svg
