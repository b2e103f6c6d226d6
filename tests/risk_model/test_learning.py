"""The risk model's pure parts: the agent feature never carries the ticket's own label, the
folds are reproducible and stratified, and the quality measures match published values and
an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn.metrics import brier_score_loss, roc_auc_score

from risk_model import learning
from sampling import stats


def test_the_agent_rate_leaves_the_tickets_own_audit_out():
    agents = np.array([7, 7, 7, 7, 9, 9])
    failed = np.array([1, 1, 0, 0, 0, 1])
    record = learning.AgentRecord.of(agents, failed)
    prior, m = failed.mean(), learning.PRIOR_AUDITS

    logits = record.error_logit(agents, own_failed=failed)

    # Ticket 0 (agent 7, failed): the other three audits of agent 7 hold one failure.
    rate = (1 + m * prior) / (3 + m)
    assert logits[0] == pytest.approx(np.log(rate / (1 - rate)))
    # Two tickets of one agent with different labels get different features, each from the
    # other's label only: a failed ticket's feature is lower than a passed one's.
    assert logits[0] < logits[2]
    # An agent never audited gets the prior rate.
    unseen = record.error_logit(np.array([123]))
    assert unseen[0] == pytest.approx(np.log(prior / (1 - prior)))


def test_folds_are_stratified_and_reproducible():
    failed = np.array([1] * 20 + [0] * 80)

    first = learning.fold_assignment(failed, 5, seed=3)

    assert np.array_equal(first, learning.fold_assignment(failed, 5, seed=3))
    for k in range(5):
        assert (first == k).sum() == 20 and failed[first == k].sum() == 4


def hanley_mcneil_ct_ratings():
    """Hanley & McNeil (Radiology 143, 1982), Table 1: CT ratings 1–5 of 58 normal and 51
    abnormal cases; their published area is 0.893."""
    normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]
    y, scores = [], []
    for rating, (passes, failures) in enumerate(zip(normal, abnormal, strict=True)):
        y += [0] * passes + [1] * failures
        scores += [rating / 4] * (passes + failures)
    return np.array(y), np.array(scores)


def test_auc_matches_the_published_area_and_a_bootstrap_of_its_error():
    y, scores = hanley_mcneil_ct_ratings()

    auc = stats.auc_delong(y, scores)

    assert round(auc.value, 3) == 0.893
    assert auc.value == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    # DeLong's standard error against 2,000 bootstrap resamples (seeded) of the same data,
    # each resample's area from its ranks (Mann–Whitney), all resamples at once.
    rng = np.random.default_rng(11)
    picks = rng.integers(0, len(y), (2000, len(y)))
    failed, ranks = y[picks], rankdata(scores[picks], axis=1)
    positives = failed.sum(axis=1)
    draws = ((ranks * failed).sum(axis=1) - positives * (positives + 1) / 2) / (
        positives * (len(y) - positives)
    )
    assert auc.se == pytest.approx(np.std(draws), rel=0.1)
    assert auc.low == pytest.approx(auc.value - 1.959964 * auc.se, abs=1e-6)


def test_brier_and_calibration_bins():
    y, scores = hanley_mcneil_ct_ratings()

    brier = stats.brier_score(y, scores)
    bins = stats.calibration_bins(y, scores)

    assert brier.value == pytest.approx(brier_score_loss(y, scores), abs=1e-12)
    assert brier.low < brier.value < brier.high
    # Ratings 1–5 are scores 0, 0.25, 0.5, 0.75, 1: five bins, the last one closed at 1.
    assert [b.count for b in bins] == [36, 8, 8, 22, 35]
    assert bins[0].observed == pytest.approx(3 / 36)
    assert sum(b.count for b in bins) == len(y)


def test_the_stored_bundle_round_trips():
    rng = np.random.default_rng(0)
    rows = [
        {
            "id": i,
            "agent_id": i % 5,
            "workflow_id": 1,
            "site_id": 1,
            "language": "en",
            "channel": ("chat", "email")[i % 2],
            "decision": "remove",
            "policy_label": "",
            "automated": False,
            "handled_at": "2026-01-01T10:00:00+00:00",
            "site__timezone": "Asia/Manila",
            "excerpt": "word",
        }
        for i in range(60)
    ]
    failed = (np.arange(60) % 2 == 0) & (rng.random(60) < 0.8)
    frame = learning.ticket_frame(rows)
    assert set(frame["hour"]) == {"18"}  # 10:00 UTC is 18:00 in Manila

    bundle = learning.fit_bundle(frame, failed.astype(int))
    again = learning.RiskBundle.loads(bundle.dumps())

    np.testing.assert_array_equal(bundle.predict(frame), again.predict(frame))
