"""The database refuses impossible plans and runs, whatever form or script writes them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.scoping import visible_to
from sampling.drawing import draw_sample
from sampling.models import (
    SampledTicket,
    SampleRun,
    SampleStratum,
    SamplingPlan,
    validate_cron,
    validate_strata_keys,
    validate_stratum_costs,
    validate_timezone,
)
from sampling.tasks import request_run

from .conftest import WINDOW


@pytest.mark.parametrize("field", ["confidence", "margin_of_error", "expected_rate"])
@pytest.mark.parametrize("value", ["0", "1", "1.5"])
def test_proportions_must_lie_strictly_between_0_and_1(db, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        SamplingPlan.objects.create(name="Bad", **{field: value})


def test_a_scheduled_plan_must_say_when(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        SamplingPlan.objects.create(
            name="Weekly, no day", schedule="weekly", schedule_time=dt.time(6)
        )
    plan = SamplingPlan(name="Daily, no time", schedule="daily")
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert "schedule_time" in error.value.message_dict


def test_one_run_per_plan_window_and_seed(make_plan):
    plan = make_plan()
    SampleRun.objects.create(plan=plan, seed=1, window_start=WINDOW.start, window_end=WINDOW.end)

    with pytest.raises(IntegrityError), transaction.atomic():
        SampleRun.objects.create(
            plan=plan, seed=1, window_start=WINDOW.start, window_end=WINDOW.end
        )
    SampleRun.objects.create(plan=plan, seed=2, window_start=WINDOW.start, window_end=WINDOW.end)


def test_a_failed_run_must_say_why(make_plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        SampleRun.objects.create(
            plan=make_plan(),
            seed=1,
            window_start=WINDOW.start,
            window_end=WINDOW.end,
            status="failed",
        )


def test_field_validators_explain_the_mistake():
    with pytest.raises(ValidationError, match="Unknown strata key.*colour"):
        validate_strata_keys(["vendor", "colour"])
    with pytest.raises(ValidationError, match="only once"):
        validate_strata_keys(["site", "site"])
    with pytest.raises(ValidationError, match="IANA"):
        validate_timezone("Mars/Olympus")
    with pytest.raises(ValidationError, match="five fields"):
        validate_cron("* * *")
    with pytest.raises(ValidationError, match="Invalid cron"):
        validate_cron("61 * * * *")
    with pytest.raises(ValidationError, match="positive"):
        validate_stratum_costs({"workflow=1": 0})
    with pytest.raises(ValidationError, match="<key>=<value>"):
        validate_stratum_costs({"colour=red": 2})
    validate_cron("30 6 * * 1-5")
    validate_stratum_costs({"workflow=1": 2.5, "language=ja": 1})


def test_vendor_users_never_see_plans_or_runs_but_see_their_own_sampled_tickets(
    population, make_plan, poc_a, vendor_a
):
    from tests.factories import AgentFactory, SiteFactory, TicketFactory, WorkflowFactory

    agent = AgentFactory(site=SiteFactory(vendor=vendor_a))
    TicketFactory(
        agent=agent, workflow=WorkflowFactory(), handled_at=WINDOW.start + dt.timedelta(hours=1)
    )
    plan = make_plan(minimum_per_stratum=1)
    run = draw_sample(request_run(plan, window=WINDOW, enqueue=False).pk)

    for model in (SamplingPlan, SampleRun, SampleStratum):
        assert not visible_to(poc_a, model.objects.all()).exists()
    mine = visible_to(poc_a, SampledTicket.objects.filter(run=run))
    assert mine.count() == 1
    assert SampledTicket.objects.filter(run=run).count() > 1
