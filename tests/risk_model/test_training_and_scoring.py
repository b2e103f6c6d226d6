"""The built-in risk model's story: a manager trains it on finalised audits, reads its card and
scores the population. Audited tickets carry the score of the fold's model that never saw them;
outside models' scores stay unless the manager asks. One training is shared by the module."""

from __future__ import annotations

import io

import numpy as np
import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from accounts.progress import ProgressReporter, read_progress
from risk_model import learning, training
from risk_model.jobs import PROGRESS_KIND
from risk_model.models import MAX_ESTIMATOR_BYTES, OutOfFoldScore, RiskJob, RiskModel
from tests.factories import UserFactory, enrol_totp
from tests.risk_model.world import NOW, OUTSIDE_MODEL, audited_program
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CARD = reverse("risk_model:card")


@pytest.fixture(scope="module")
def trained(django_db_setup, django_db_blocker):
    """The program, trained once by the command at NOW, inside a transaction rolled back after
    the module's last test (each test runs in a savepoint of it)."""
    clock = time_machine.travel(NOW, tick=False)
    clock.start()
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        manager = UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)
        world = audited_program(manager)
        out = io.StringIO()
        call_command("train_risk_model", stdout=out)
        world.update(manager=manager, output=out.getvalue(), model=RiskModel.objects.get())
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
    clock.stop()


def test_the_card_measures_the_model_on_held_out_audits(trained):
    model = trained["model"]
    failed = np.array(trained["failed"], dtype=int)

    assert model.version == 1 and model.name == "qa-risk-v1"
    assert model.audits == 240 and model.failures == failed.sum()
    # The label depends on the channel and the words: the held-out AUC is far from chance.
    assert model.auc > 0.7
    assert model.auc_low < model.auc < model.auc_high
    assert model.brier_low < model.brier < model.brier_high
    assert model.brier < failed.mean() * (1 - failed.mean())  # better than the base rate
    assert sum(b.count for b in model.bins.all()) == 240
    assert 0 < model.estimator_bytes <= MAX_ESTIMATOR_BYTES
    assert {f["name"] for f in model.features} >= {"excerpt", "agent's error rate", "hour of day"}
    assert (
        f"Trained qa-risk-v1 on 240 audited tickets ({failed.sum()} failed): AUC "
        f"{model.auc:.3f}" in trained["output"]
    )


def test_an_audited_tickets_score_comes_from_the_fold_that_left_it_out(trained):
    model = trained["model"]
    ids, failed, _ = training.audited_tickets(NOW)
    frame = learning.ticket_frame(training.ticket_rows(ids))
    stored = {s.ticket_id: s for s in OutOfFoldScore.objects.filter(model=model)}
    assert set(stored) == set(ids)
    folds = np.array([stored[i].fold for i in ids])
    assert set(folds) == set(range(training.FOLDS))

    # Refit fold 2's model on the other folds only: it gives exactly the stored scores.
    held_out = folds == 2
    bundle = learning.fit_bundle(frame[~held_out].reset_index(drop=True), failed[~held_out])
    again = bundle.predict(frame[held_out].reset_index(drop=True))
    kept = np.array([stored[i].score for i in np.array(ids)[held_out]])
    np.testing.assert_allclose(again, kept, rtol=0, atol=1e-9)

    # The stored final model learned from those tickets: its in-sample scores differ.
    final = learning.RiskBundle.loads(model.estimator)
    assert not np.allclose(final.predict(frame[held_out].reset_index(drop=True)), kept)
    # The version keeps fold 2's model: the one that scored those tickets.
    np.testing.assert_allclose(
        final.folds[2].predict(frame[held_out].reset_index(drop=True)), kept, rtol=0, atol=1e-9
    )


def test_scoring_writes_every_ticket_but_keeps_outside_models_scores(trained):
    model = trained["model"]
    out = io.StringIO()

    call_command("score_tickets", "--chunk", "37", stdout=out)  # several pages of 37

    tickets = {t.pk: t for t in Ticket.objects.all()}
    crossed = dict(OutOfFoldScore.objects.filter(model=model).values_list("ticket_id", "score"))
    for ticket in trained["audited"]:
        assert tickets[ticket.pk].ai_model == "qa-risk-v1"
        assert tickets[ticket.pk].ai_score == pytest.approx(crossed[ticket.pk], abs=1e-12)
    outside = {t.pk for t in trained["outside"]}
    for pk in outside:
        assert (tickets[pk].ai_model, tickets[pk].ai_score) == (OUTSIDE_MODEL, 0.123)
    # An unaudited ticket's score is the average of the K fold models' predictions (cross-
    # prediction): the models that gave the audited tickets theirs, not the final model.
    fresh = [t for t in trained["unaudited"] if t.pk not in outside]
    bundle = learning.RiskBundle.loads(model.estimator)
    assert len(bundle.folds) == training.FOLDS
    frame = learning.ticket_frame(
        Ticket.objects.filter(pk__in=[t.pk for t in fresh]).order_by("pk")
        .values(*learning.TICKET_FIELDS)
    )
    expected = np.mean([fold.predict(frame) for fold in bundle.folds], axis=0)
    written = [tickets[t.pk].ai_score for t in sorted(fresh, key=lambda t: t.pk)]
    np.testing.assert_allclose(written, expected, rtol=0, atol=1e-12)
    assert not np.allclose(written, bundle.predict(frame), rtol=0, atol=1e-9)
    assert out.getvalue().strip() == (
        "Scored 270 tickets with qa-risk-v1 (240 audited ones with their out-of-fold score); "
        "10 kept an outside model's score."
    )


def test_a_manager_may_replace_outside_scores(trained):
    call_command("score_tickets", "--overwrite-outside", stdout=io.StringIO())

    models = set(Ticket.objects.values_list("ai_model", flat=True))
    assert models == {"qa-risk-v1"}


def test_the_score_button_runs_the_task_and_the_card_shows_it(trained, client_as):
    client = client_as(trained["manager"])

    response = client.post(reverse("risk_model:score"), follow=True)

    job = RiskJob.objects.get()
    assert (job.kind, job.status, job.tickets_scored) == ("score", "done", 270)
    assert Ticket.objects.filter(ai_model="qa-risk-v1").count() == 270
    html = response.content.decode()
    assert "Scored 270 tickets with qa-risk-v1" in html
    model = trained["model"]
    assert f'id="auc">{model.auc:.3f}<' in html
    assert "<svg" in html and 'class="chart calibration-chart"' in html
    assert 'id="train-now"' in html


def test_a_scoring_counts_its_tickets_as_it_goes(trained, client_as):
    client_as(trained["manager"]).post(reverse("risk_model:score"))

    job = RiskJob.objects.get()
    record = read_progress(PROGRESS_KIND, job.pk)  # the worker's last record
    assert (record.phase, record.done, record.total) == ("scoring tickets", 270, 270)
    assert record.text == "270 of 270 tickets scored"


def test_the_card_shows_a_running_scorings_bar_and_polls_its_status(trained, client_as):
    job = RiskJob.objects.create(kind="score", status="running", requested_by=trained["manager"])
    clock = iter([50.0, 60.0])
    reporter = ProgressReporter(PROGRESS_KIND, job.pk, clock=lambda: next(clock))
    reporter.phase("scoring tickets", 270, "tickets scored")
    reporter.update(90)
    client = client_as(trained["manager"])

    html = client.get(CARD).content.decode()
    status = client.get(reverse("risk_model:job_status", args=[job.pk])).json()

    assert '<progress id="job-bar" max="100" value="33"' in html and "js/progress.js" in html
    assert "90 of 270 tickets scored, about 20 s left" in html
    assert (status["status"], status["finished"], status["percent"]) == ("running", False, 33)
    assert status["text"] == "90 of 270 tickets scored, about 20 s left"
    reporter.clear()
    RiskJob.objects.filter(pk=job.pk).update(status="done", message="Scored.")
    assert client.get(reverse("risk_model:job_status", args=[job.pk])).json()["finished"]
    assert "js/progress.js" not in client.get(CARD).content.decode()


def test_the_card_reads_a_handful_of_queries(trained, client_as, django_assert_max_num_queries):
    client = client_as(trained["manager"])

    with django_assert_max_num_queries(8):
        response = client.get(CARD)

    assert response.status_code == 200


def test_a_job_that_breaks_is_recorded_not_raised(trained, client_as):
    RiskModel.objects.update(estimator=b"not a model")  # unreadable bytes: loading fails

    response = client_as(trained["manager"]).post(reverse("risk_model:score"), follow=True)

    assert response.status_code == 200
    job = RiskJob.objects.get()
    assert (job.status, job.message) == ("failed", "Stopped by an error; the log has it.")


def test_qa_staff_read_the_card_without_its_buttons(trained, client_as):
    auditor = UserFactory(email="auditor@example.com", role=Role.QA_AUDITOR)
    client = client_as(auditor)

    html = client.get(CARD).content.decode()

    assert "qa-risk-v1" in html and 'id="train-now"' not in html
    assert client.post(reverse("risk_model:train")).status_code == 403
    assert client.get(reverse("risk_model:version", args=[1])).status_code == 200
    assert client.get(reverse("risk_model:version", args=[9])).status_code == 404


def test_the_card_is_not_found_for_a_vendor(trained, client_as):
    poc = UserFactory(email="poc@acme.example", role=Role.VENDOR_POC, vendor=trained["vendor"])
    enrol_totp(poc)
    client = client_as(poc)

    job = RiskJob.objects.create(kind="score", status="running")
    status = reverse("risk_model:job_status", args=[job.pk])
    for url in (CARD, reverse("risk_model:version", args=[1]), status):
        assert client.get(url).status_code == 404
    job.delete()
    assert client.post(reverse("risk_model:train")).status_code == 404
    assert client.post(reverse("risk_model:score")).status_code == 404
    assert not RiskJob.objects.exists()
