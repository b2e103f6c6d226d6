"""In a real browser: a lead makes a re-audit plan and draws it; a second auditor scores the
re-audits blind from their queue; the lead reads the first auditor's alignment on the run page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.formats import percent
from audits.models import Audit
from tests.audits.reaudit_helpers import FAILING, finalised_program
from tests.audits.workspace_helpers import ALL_GOOD
from tests.browser import keep_a_picture

pytestmark = pytest.mark.browser


@pytest.fixture
def program(transactional_db):
    """Two auditors' audits, finalised yesterday (inside the plan's "last 7 days")."""
    program = finalised_program(auditors=2, cap=10, size=600)
    Audit.objects.filter(pk__in=[a.pk for a in program.audits]).update(
        finalised_at=timezone.now() - dt.timedelta(days=1)
    )
    return program


def test_a_reaudit_run_is_drawn_scored_blind_by_a_second_auditor_and_the_alignment_shows(
    page, signed_in, program
):
    first, second = program.auditors
    signed_in(program.lead)
    page.goto("/sampling/plans/new/")
    page.fill("#id_name", "Grade the graders")
    page.select_option("#id_kind", "reaudit")
    page.select_option("#id_window_kind", "last_7_days")
    page.fill("#id_confidence", "90")
    page.fill("#id_margin_of_error", "20")
    page.select_option("#id_auditors", label=[first.email, second.email])
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("heading", name="Grade the graders")).to_be_visible()
    expect(page.locator("body")).to_contain_text("a re-audit plan draws finalised audits")
    page.get_by_role("button", name="Draw now").click()

    expect(page).to_have_url(re.compile(r"/sampling/runs/\d+/$"))
    expect(page.locator("#run-status")).to_have_text("Done", timeout=20_000)
    expect(page.locator("#run-strata tbody tr")).to_have_count(2)
    expect(page.locator("#run-strata")).to_contain_text(first.email)
    keep_a_picture(page, "reaudit-run-drawn")

    # The second auditor re-audits the first one's audits, blind.
    mine = list(Audit.objects.filter(auditor=second, reaudit_of__isnull=False)
                .select_related("reaudit_of").order_by("pk"))
    assert mine and all(r.reaudit_of.auditor_id == first.pk for r in mine)
    page.context.clear_cookies()
    signed_in(second)
    page.goto("/audits/queue/")
    expect(page.locator("body")).to_contain_text("re-audit · blind")
    agreed = 0
    for turn, reaudit in enumerate(mine):
        original = reaudit.reaudit_of.answers
        # Disagree on the verdict with the first re-audit only.
        answers = (ALL_GOOD if original["right_action"] == "no" else FAILING) if turn == 0 \
            else original
        agreed += turn != 0
        page.goto(f"/audits/{reaudit.pk}/score/")
        expect(page.locator("#reaudit-badge")).to_be_visible()
        hidden = f"ORIGINAL COMMENT {reaudit.reaudit_of_id}"
        expect(page.locator("body")).not_to_contain_text(hidden)
        for key, value in answers.items():
            page.locator(f'label:has(input[name="q_{key}"][value="{value}"])').click()
        page.get_by_role("button", name="Submit", exact=True).click()
        expect(page).to_have_url(re.compile(r"/audits/queue/$"))
    keep_a_picture(page, "reaudit-queue-after")

    page.context.clear_cookies()
    signed_in(program.lead)
    page.goto(f"/sampling/runs/{mine[0].sampled_ticket.run_id}/")
    row = page.locator(f'#run-alignment tr[data-auditor="{first.email}"]')
    expect(row).to_contain_text(f"{agreed}")
    expect(row.locator('[data-metric="alignment"]')).to_have_text(percent(agreed / len(mine)))
    expect(row).to_contain_text("Was the right action taken?")
    keep_a_picture(page, "reaudit-run-alignment")
    page.get_by_role("link", name=first.email).first.click()
    expect(page.locator("#auditor-alignment")).to_contain_text(f"{agreed} of {len(mine)}")
