"""A draw puts its tickets in the auditors' queues as assigned audits, scored with the
plan's audit form."""

from audits.models import Audit, AuditStatus
from sampling import events
from sampling.drawing import draw_sample
from sampling.tasks import request_run
from tests.audits.workspace_helpers import published_form
from tests.sampling.conftest import WINDOW


def draw(plan):
    return draw_sample(request_run(plan, window=WINDOW, seed=11, enqueue=False).pk)


def test_every_assigned_ticket_of_a_draw_becomes_an_assigned_audit_on_the_plans_form(
    population, make_plan, auditors
):
    workflow = population.workflows[0]
    scorecard = published_form(workflow)
    plan = make_plan(auditors=auditors, form=scorecard.form)

    run = draw(plan)

    assigned = run.sampled_tickets.filter(auditor__isnull=False)
    audits = Audit.objects.filter(sampled_ticket__run=run)
    assert assigned.count() > 0
    assert audits.count() == assigned.count()
    assert set(audits.values_list("status", flat=True)) == {AuditStatus.ASSIGNED}
    assert set(audits.values_list("form_version", flat=True)) == {scorecard.pk}
    assert {(a.auditor_id, a.ticket_id) for a in audits} == {
        (s.auditor_id, s.ticket_id) for s in assigned
    }


def test_drawing_a_done_run_again_opens_no_second_audit(population, make_plan, auditors):
    plan = make_plan(auditors=auditors, form=published_form(population.workflows[0]).form)
    run = draw(plan)
    opened = Audit.objects.filter(sampled_ticket__run=run).count()

    draw_sample(run.pk)

    assert Audit.objects.filter(sampled_ticket__run=run).count() == opened


def test_a_draw_announces_its_run_once_and_a_done_run_drawn_again_announces_nothing(
    population, make_plan, auditors
):
    heard = []

    def listen(run, **signal):
        heard.append(run.pk)

    events.run_drawn.connect(listen)
    try:
        run = draw(make_plan(auditors=auditors))
        draw_sample(run.pk)
    finally:
        events.run_drawn.disconnect(listen)

    assert heard == [run.pk]
