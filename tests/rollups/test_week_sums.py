"""The week sums give every vendor's and the program's estimates exactly as the cells do.

Weekly sample runs: each stratum's tickets are handled in one week, so a month of a vendor or
of the program is the sum of its weeks' rows. Strata mix both vendors' agents, so a vendor's
week is part of a stratum (its n_h counts the other vendor's audits too)."""

import datetime as dt
import math
import random
import threading

import pytest
from django.db import connections, transaction

from audit_forms.models import ErrorCategory
from audits import lifecycle
from audits.lifecycle import open_assigned_audits
from audits.models import Audit, AuditStatus
from rollups import week_sums
from rollups.domain_sums import category_slugs
from rollups.estimates import Scope, domain_outcomes
from rollups.models import WeekSums
from rollups.periods import Period, period_of
from rollups.writer import rebuild_rollups, refresh_rollups
from tests.audits.workspace_helpers import ALL_GOOD, assign_tickets, published_form, sample_run
from tests.factories import AgentFactory, TicketFactory, WorkflowFactory
from tests.lock_waits import WAIT_SECONDS, wait_until_another_connection_waits
from tests.rollups.rollup_helpers import (
    assert_same_outcomes,
    assert_week_sums_as_rebuilt,
    category_rate_from_audits,
    random_lifecycle,
    stored_week_sums,
    submitted_in_bulk,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FIRST_MONDAY = dt.date(2026, 3, 2)
MARCH = period_of("month", FIRST_MONDAY)
WEEKS = [FIRST_MONDAY + dt.timedelta(weeks=i) for i in range(3)]
BREAKDOWNS = [(), ("vendor",), ("week",), ("vendor", "week")]


def _stratum(agents, workflow, weeks, rng, tickets=12):
    """Tickets of one stratum, handled by ``agents`` at random times in ``weeks`` (in turn)."""
    handled = [
        dt.datetime.combine(weeks[i % len(weeks)], dt.time(9), tzinfo=dt.UTC)
        + dt.timedelta(days=rng.randrange(7), hours=rng.randrange(14))
        for i in range(tickets)
    ]
    return [
        TicketFactory(agent=rng.choice(agents), workflow=workflow, handled_at=at) for at in handled
    ]


@pytest.fixture
def program(version, auditor, manager, workflow, site_a, site_b):
    """A weekly run per week of March's first three, each stratified by workflow (two), each
    stratum's 12 tickets handled that week by agents of both vendors; every audit opened."""
    other_workflow = WorkflowFactory(name="Spam (EN)", slug="spam-en")
    published_form(other_workflow, by=manager, name="Spam scorecard")
    agents = [AgentFactory(site=site) for site in (site_a, site_a, site_b, site_b)]
    rng = random.Random(20260302)
    for week in WEEKS:
        run = sample_run(f"Week of {week}")
        for stratum_workflow in (workflow, other_workflow):
            assign_tickets(run, _stratum(agents, stratum_workflow, [week], rng), auditor)
        open_assigned_audits(run)
    return {
        "audits": list(Audit.objects.order_by("pk")),
        "rng": rng,
        "agents": agents,
        "workflows": (workflow, other_workflow),
    }


def _from_cells(monkeypatch, scope, by, categories):
    """The estimates as the cells give them (the week sums stood aside)."""
    with monkeypatch.context() as patched:
        patched.setattr(week_sums, "summed_rows", lambda *args: None)
        return domain_outcomes(scope, by=by, categories=categories)


def test_week_sums_give_what_the_cells_give_after_any_lifecycle(
    program, step, auditor, manager, monkeypatch, vendor_a, vendor_b
):
    random_lifecycle(program, step, auditor, manager, steps=60)
    slugs = category_slugs()
    scopes = [
        Scope(MARCH),
        Scope(MARCH, vendor=vendor_a.pk),
        Scope(MARCH, vendor=vendor_b.pk),
        Scope(period_of("week", WEEKS[1])),
        Scope(Period("custom", WEEKS[1], WEEKS[2])),
    ]
    for scope in scopes:
        for by in BREAKDOWNS:
            assert week_sums.summed_rows(scope, by, slugs) is not None, (scope, by)
            for categories in (False, True):
                read = domain_outcomes(scope, by=by, categories=categories)
                assert read, (scope, by)
                assert_same_outcomes(read, _from_cells(monkeypatch, scope, by, categories))
    # And against the audit rows themselves, counted here without the cells.
    for slug in ("policy-error", "procedural"):
        whole = domain_outcomes(Scope(MARCH), categories=True)[None].categories[slug]
        by_hand = category_rate_from_audits(slug, MARCH)
        assert math.isclose(whole.p, by_hand.p, rel_tol=1e-12)
        assert math.isclose(whole.se, by_hand.se, rel_tol=1e-12)
    # The rows every refresh kept, and their runs' parts, are what a rebuild computes.
    assert {vendor for vendor, _week, _run in stored_week_sums()} == {
        None, vendor_a.pk, vendor_b.pk}
    assert_week_sums_as_rebuilt()


def test_a_stratum_across_weeks_sends_the_longer_periods_to_the_cells(
    program, step, auditor, manager, monkeypatch, workflow
):
    """A stratum with audits in weeks 1 and 2: a period holding both is no sum of weeks, so
    the cells answer it; each week alone, and weeks 2–3, still come from the week sums."""
    run = sample_run("Fortnight")
    assign_tickets(run, _stratum(program["agents"], workflow, WEEKS[:2], program["rng"]), auditor)
    open_assigned_audits(run)
    program["audits"] = list(Audit.objects.order_by("pk"))
    random_lifecycle(program, step, auditor, manager, steps=20)
    # Last, one audit of the stratum's second week leaves the counts: its n_h drops, so the
    # first week's rows change too.
    second_week = (
        Audit.objects.filter(
            sampled_ticket__run=run,
            status=AuditStatus.SUBMITTED,
            ticket__handled_at__gte=dt.datetime.combine(WEEKS[1], dt.time.min, tzinfo=dt.UTC),
        )
        .order_by("pk")
        .first()
    )
    assert second_week is not None
    step(lifecycle.reopen_audit, second_week, manager, "Recheck.")

    fortnight = Scope(Period("custom", WEEKS[0], WEEKS[1]))
    for scope in (Scope(MARCH), fortnight):
        assert week_sums.summed_rows(scope, ("vendor",), []) is None
        assert week_sums.summed_rows(scope, ("vendor", "week"), []) is not None
        assert_same_outcomes(
            domain_outcomes(scope, by="vendor"), _from_cells(monkeypatch, scope, "vendor", False)
        )
    for period in (period_of("week", WEEKS[0]), Period("custom", WEEKS[1], WEEKS[2])):
        scope = Scope(period)
        assert week_sums.summed_rows(scope, ("vendor",), []) is not None
        assert_same_outcomes(
            domain_outcomes(scope, by="vendor", categories=True),
            _from_cells(monkeypatch, scope, "vendor", True),
        )
    # A refresh of the stratum's audits of one week recomputed the other week's rows too.
    assert_week_sums_as_rebuilt()


def test_a_category_added_since_is_read_from_the_cells_until_the_rows_are_recomputed(
    program, step, auditor, manager, monkeypatch
):
    random_lifecycle(program, step, auditor, manager, steps=0)
    ErrorCategory.objects.create(name="Spam policy", slug="spam-policy")
    slugs = category_slugs()
    scope = Scope(MARCH)
    assert week_sums.summed_rows(scope, (), slugs) is None
    assert week_sums.summed_rows(scope, (), []) is not None  # the rates without categories
    with_new = domain_outcomes(scope, categories=True)[None]
    assert with_new.categories["spam-policy"].p == 0
    rebuild_rollups()
    assert week_sums.summed_rows(scope, (), slugs) is not None
    assert_same_outcomes(
        domain_outcomes(scope, categories=True), _from_cells(monkeypatch, scope, None, True)
    )


@pytest.mark.postgres
def test_two_refreshes_of_one_week_take_turns(
    postgres_only, version, auditor, workflow, site_a, site_b
):
    """Two strata of one week, each with an audit reopened behind the rollups' back: the
    refresh of the second waits for the first to commit before it reads the cells, so the
    week's rows count both (without the lock it would count one, or collide on the key)."""
    agents = [AgentFactory(site=site_a), AgentFactory(site=site_b)]
    run = sample_run("Week of 2 March")
    rng = random.Random(7)
    for _ in range(2):
        assign_tickets(run, _stratum(agents, workflow, WEEKS[:1], rng, tickets=6), auditor)
    open_assigned_audits(run)
    audits = list(Audit.objects.order_by("sampled_ticket__stratum_id", "pk"))
    submitted_in_bulk(audits, [ALL_GOOD] * len(audits))
    rebuild_rollups()
    first, second = audits[0].pk, audits[-1].pk
    Audit.objects.filter(pk__in=[first, second]).update(status=AuditStatus.IN_PROGRESS)

    refreshed, release, errors = threading.Event(), threading.Event(), []

    def refresh(audit_id, hold):
        try:
            with transaction.atomic():
                refresh_rollups([audit_id])
                if hold:
                    refreshed.set()
                    release.wait(WAIT_SECONDS)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    holding = threading.Thread(target=refresh, args=(first, True))
    holding.start()
    assert refreshed.wait(WAIT_SECONDS)
    waiting = threading.Thread(target=refresh, args=(second, False))
    waiting.start()
    wait_until_another_connection_waits(
        "wait_event = 'advisory'", [], "no refresh waited for the week's lock"
    )
    release.set()
    for thread in (holding, waiting):
        thread.join(WAIT_SECONDS)
    assert errors == []
    assert WeekSums.objects.get(vendor=None, week=WEEKS[0]).audits == len(audits) - 2
    assert_week_sums_as_rebuilt()
