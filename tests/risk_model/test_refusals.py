"""Training refuses, with a message and without writing anything, when the audits cannot
support a model: too few, or a single outcome."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from risk_model.models import RiskJob, RiskModel
from risk_model.training import HISTORY_DAYS, MIN_TRAINING_AUDITS
from tests.risk_model.world import NOW, audited_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_too_few_audits_is_refused_with_the_numbers(manager):
    audited_program(manager, audited=30, unaudited=0, outside=0)

    with pytest.raises(CommandError) as refused:
        call_command("train_risk_model")

    assert str(refused.value) == (
        f"Not trained: 30 audited tickets with a finalised audit in the last {HISTORY_DAYS} "
        f"days; the model needs at least {MIN_TRAINING_AUDITS}."
    )
    assert not RiskModel.objects.exists()


def test_a_single_outcome_is_refused(manager):
    audited_program(manager, audited=MIN_TRAINING_AUDITS, unaudited=0, outside=0, fail_all=False)

    with pytest.raises(
        CommandError,
        match=f"all {MIN_TRAINING_AUDITS} audited tickets passed; a model needs both outcomes",
    ):
        call_command("train_risk_model")


def test_the_train_button_records_the_refusal(manager, client_as):
    response = client_as(manager).post(reverse("risk_model:train"), follow=True)

    job = RiskJob.objects.get()
    assert (job.kind, job.status) == ("train", "refused")
    assert "Not trained: 0 audited tickets" in job.message
    assert job.message in response.content.decode()
    assert 'id="no-model"' in response.content.decode()


def test_scoring_without_a_model_says_so(manager, client_as):
    with pytest.raises(CommandError, match="No risk model yet: run manage.py train_risk_model"):
        call_command("score_tickets")
    client_as(manager).post(reverse("risk_model:score"))
    assert RiskJob.objects.get().message == "No model to score with: train one first."
