"""Each auditor's alignment with the blind re-audits of their audits, against a count by hand,
and the pages that show it."""

import math
from collections import defaultdict

import pytest
from scipy.stats import norm

from accounts.formats import percent
from audits import lifecycle
from audits.models import Audit
from audits.reaudits.alignment import alignment
from tests.audits.reaudit_helpers import (
    FAILING,
    draw_reaudits,
    finalised_program,
    finalised_window,
    reaudit_plan,
)
from tests.audits.workspace_helpers import ALL_GOOD

pytestmark = pytest.mark.django_db

KEYS = ("right_action", "policy_cited", "tone", "escalation")


def wilson(agreed: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson's score interval written out (Wilson 1927), not through the code under test."""
    z = norm.ppf(1 - (1 - confidence) / 2)
    p = agreed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture
def scored():
    """Every re-audit but one scored: by turns the other verdict (right_action flipped), the
    same verdict with another escalation answer, or the same answers. Returns the program,
    the run and, per original auditor, the hand count."""
    program = finalised_program()
    window = finalised_window()
    run = draw_reaudits(reaudit_plan(program.auditors), window)
    reaudits = list(Audit.objects.filter(sampled_ticket__run=run)
                    .select_related("reaudit_of", "auditor").order_by("pk"))
    left_open = reaudits.pop()
    hand = defaultdict(lambda: {"n": 0, "agreed": 0, **{key: 0 for key in KEYS}})
    for turn, reaudit in enumerate(reaudits):
        original = reaudit.reaudit_of.answers
        if turn % 3 == 0:
            answers = ALL_GOOD if original["right_action"] == "no" else FAILING
        elif turn % 3 == 1:
            answers = {**original, "escalation": "done"}
        else:
            answers = dict(original)
        lifecycle.submit_audit(reaudit, reaudit.auditor, answers=answers)
        count = hand[reaudit.reaudit_of.auditor_id]
        count["n"] += 1
        count["agreed"] += turn % 3 != 0
        for key in KEYS:  # same answers, by hand
            count[key] += answers[key] == original[key]
    return program, run, window, hand, left_open


def test_alignment_per_auditor_is_the_count_by_hand_with_wilsons_interval(scored):
    program, run, _, hand, left_open = scored

    rows = {row.auditor_id: row for row in alignment(run=run)}

    assert set(rows) == set(hand)
    for auditor_id, count in hand.items():
        row = rows[auditor_id]
        assert (row.reaudited, row.agreed) == (count["n"], count["agreed"])
        assert row.rate == pytest.approx(count["agreed"] / count["n"])
        assert row.confidence == pytest.approx(0.9)  # the run's plan
        assert (row.low, row.high) == pytest.approx(wilson(count["agreed"], count["n"], 0.9))
        questions = {q.key: q for q in row.questions}
        for key in KEYS:
            assert (questions[key].compared, questions[key].agreed) == (count["n"], count[key])
        worst = max(KEYS, key=lambda key: (count["n"] - count[key], key == "right_action"))
        if count["n"] - count[worst]:
            assert row.worst_questions[0].disagreed == count["n"] - count[worst]
            assert row.worst_questions[0].text
    # The open re-audit counts nowhere yet.
    assert sum(row.reaudited for row in rows.values()) == Audit.objects.filter(
        sampled_ticket__run=run).exclude(pk=left_open.pk).count()


def test_alignment_over_a_period_and_for_one_auditor_reads_the_same_pairs(scored):
    program, run, window, hand, _ = scored
    auditor = program.auditors[0]

    over_period = alignment(start=window.start, end=window.end)
    one = alignment(start=window.start, end=window.end, auditor=auditor)

    assert [(r.email, r.reaudited, r.agreed) for r in over_period] == [
        (r.email, r.reaudited, r.agreed) for r in alignment(run=run)]
    assert [r.auditor_id for r in one] == [auditor.pk]
    assert one[0].confidence == 0.95
    assert alignment(start=window.end) == []


def test_the_run_page_and_the_auditor_pages_show_the_alignment(client_as, scored):
    program, run, _, hand, _ = scored
    auditor = program.auditors[0]
    row = next(r for r in alignment(run=run) if r.auditor_id == auditor.pk)

    page = client_as(program.lead).get(f"/sampling/runs/{run.pk}/").content.decode()

    assert "Alignment per auditor" in page
    assert f'data-auditor="{auditor.email}"' in page
    assert percent(row.rate) in page
    assert client_as(program.lead).get("/audits/reaudits/").status_code == 200
    own = client_as(auditor).get(f"/audits/reaudits/auditors/{auditor.pk}/")
    assert own.status_code == 200
    assert f"{row.agreed} of {row.reaudited}" in own.content.decode()
    assert client_as(auditor).get("/audits/reaudits/").status_code == 403
    other = program.auditors[1]
    assert client_as(other).get(f"/audits/reaudits/auditors/{auditor.pk}/").status_code == 404
