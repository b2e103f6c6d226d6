"""In a real browser, the Content-Security-Policy blocks nothing our own pages need: the
overview, the scorer, the form builder, the sampling planner, the API docs and the staff's
browsable API, and the vendor POC's portal, each open without a CSP violation."""

import pytest

pytestmark = pytest.mark.browser


def visit(page, paths: list[str]) -> list[str]:
    """Open each path; return the CSP violations the console reported, with their page."""
    violations: list[str] = []
    current = {"path": ""}

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{current['path']}: {message.text}")

    page.on("console", on_console)
    for path in paths:
        current["path"] = path
        response = page.goto(path)
        assert response.status < 400, (path, response.status)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        page.wait_for_load_state("networkidle")
    return violations


def test_staff_pages_run_under_the_content_security_policy(page, signed_in, world, manager):
    version = world.version
    signed_in(manager)
    violations = visit(
        page,
        [
            "/scorecards/",
            "/audits/forms/",
            f"/audits/forms/{version.form.slug}/",
            f"/audits/forms/versions/{version.pk}/",
            "/sampling/planner/",
            f"/audits/{world.b.final_audit.pk}/",
            "/api/v1/audits/?format=api",
            "/api/docs/",
        ],
    )
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("QA Program API")
    assert not violations, violations


def test_the_scorer_runs_under_the_content_security_policy(page, signed_in, world, auditor):
    audit = world.b.audits["in_progress"]
    assert audit.auditor == auditor
    signed_in(auditor)
    violations = visit(page, ["/audits/queue/", f"/audits/{audit.pk}/score/"])
    page.keyboard.press("1")  # the scorer's keyboard script is running
    assert not violations, violations


def test_the_portal_runs_under_the_content_security_policy(page, signed_in, world, poc_a):
    signed_in(poc_a)
    violations = visit(
        page,
        ["/portal/", "/portal/audits/", "/portal/coaching/", f"/audits/{world.a.final_audit.pk}/"],
    )
    assert not violations, violations
