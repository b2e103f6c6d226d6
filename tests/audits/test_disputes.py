"""Disputes: a vendor POC contests questions of a final audit within the window; a QA lead
who is not the auditor decides each; the score is recomputed with score_audit, the change
kept in history and the trail, the rollups follow; SLA and rates are reported."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from accounts.models import Role
from audit_forms.scoring import score_audit
from audits import disputes, lifecycle
from audits.disputes import Decision
from audits.models import Audit, AuditEvent, AuditStatus, Dispute, DisputedQuestion
from rollups.models import AuditCell
from sampling.models import SampledTicket
from scorecards.dispute_rates import dispute_rates
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import UserFactory
from tests.live_worker import tasks_in_process
from tests.people_and_places import two_vendors_people_and_places, vendor_poc

pytestmark = pytest.mark.django_db

# A final audit the vendor disagrees with: the policy citation was marked failed.
FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}


def final_audit(auditor, manager, workflow, site, answers=FLAWED) -> Audit:
    """A submitted and finalised audit, with the rollup refreshes those steps queue on commit
    run as in production (the rates read the finalised audits from ``FinalisedDay``)."""
    audit = assigned_audits(auditor, workflow, site=site)[0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.submit_audit(audit, auditor, answers=answers)
        return lifecycle.finalise_audit(audit, manager)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def lead(db):
    return UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)


def overturn_policy(reply="The policy was cited in the second paragraph."):
    return {"policy_cited": Decision("overturned", reply, "pass")}


# ----- rates over audits of their own ---------------------------------------------------------


def test_dispute_and_overturn_rates_per_vendor_auditor_and_question(
    version, auditor, manager, lead, workflow, site_a, site_b, poc_a, poc_b
):
    a_audits = [final_audit(auditor, manager, workflow, site_a) for _ in range(4)]
    b_audit = final_audit(lead, manager, workflow, site_b)
    first = disputes.raise_dispute(a_audits[0], poc_a, {"policy_cited": "Cited.", "tone": "Ok."})
    disputes.resolve_dispute(
        first,
        manager,
        {
            "policy_cited": Decision("overturned", "Yes.", "pass"),
            "tone": Decision("upheld", "No."),
        },
    )
    disputes.raise_dispute(a_audits[1], poc_a, {"policy_cited": "Cited."})  # still open
    second = disputes.raise_dispute(b_audit, poc_b, {"policy_cited": "Cited."})
    disputes.resolve_dispute(second, manager, overturn_policy())

    rates = dispute_rates()

    vendors = {rate.label: rate for rate in rates.by_vendor}
    acme = vendors[site_a.vendor.name]
    assert (acme.finalised, acme.disputed, acme.dispute_rate) == (4, 2, 0.5)
    assert (acme.questions, acme.decided, acme.overturned, acme.overturn_rate) == (3, 2, 1, 0.5)
    other = vendors[site_b.vendor.name]
    assert (other.dispute_rate, other.overturn_rate) == (1.0, 1.0)
    auditors = {rate.label: rate for rate in rates.by_auditor}
    assert auditors[auditor.email].dispute_rate == 0.5
    assert auditors[lead.email].overturn_rate == 1.0
    questions = {rate.key[1]: rate for rate in rates.by_question}
    assert (
        questions["policy_cited"].questions,
        questions["policy_cited"].decided,
        questions["policy_cited"].overturned,
    ) == (3, 2, 2)
    assert questions["tone"].overturn_rate == 0.0


def the_disputed_audit() -> dict:
    """tests/conftest.py's people and places (made as its fixtures make them), both vendors'
    POCs, the published form and one final audit of Acme's that the vendor disagrees with."""
    program = two_vendors_people_and_places()
    manager, auditor, workflow = program["manager"], program["auditor"], program["workflow"]
    program["version"] = published_form(workflow, by=manager)
    program["poc_a"] = vendor_poc(program["vendor_a"])
    program["poc_b"] = vendor_poc(program["vendor_b"])
    program["audit"] = final_audit(auditor, manager, workflow, program["site_a"])
    return program


@pytest.fixture(scope="class")
def program(django_db_setup, django_db_blocker):
    """The final audit and its people, built once for the class whose tests dispute it, with
    Celery's tasks run in process as tests/live_worker.py's ``eager_tasks`` runs each test's
    (that function-scoped fixture is not yet on): the finalisation refreshes the rollups."""
    with tasks_in_process():
        yield from rows_for_every_test(django_db_blocker, the_disputed_audit)


class TestTheDisputedAudit:
    """The tests that dispute one final audit of Acme's, built once for the class. A class, not
    the module, holds them and their program: the rates test above counts audits of its own
    and needs a program without this one."""

    # The people, places, form and audit the tests ask for are the program's.
    (manager, auditor, workflow, site_a, site_b, poc_a, poc_b, version) = answered_from_the_program(
        "manager", "auditor", "workflow", "site_a", "site_b", "poc_a", "poc_b", "version",
        in_a_class=True,
    )

    @pytest.fixture
    def audit(self, program, db):
        """Read anew for each test: the tests dispute and rescore it."""
        return Audit.objects.get(pk=program["audit"].pk)

    # ----- raising ----------------------------------------------------------------------------

    def test_the_vendors_poc_disputes_questions_of_a_final_audit(self, audit, poc_a, settings):
        upload = SimpleUploadedFile("screenshot of ticket.png", b"\x89PNG evidence")

        dispute = disputes.raise_dispute(
            audit,
            poc_a,
            {"policy_cited": "Policy 4.2 is cited.", "tone": "Tone was polite."},
            {"policy_cited": upload},
        )

        audit.refresh_from_db()
        assert audit.status == AuditStatus.DISPUTED
        assert dispute.status == Dispute.Status.OPEN
        assert dispute.due_at == dispute.raised_at + dt.timedelta(days=settings.DISPUTE_SLA_DAYS)
        rows = {row.question_key: row for row in dispute.questions.all()}
        assert rows["policy_cited"].original_answer == "fail"
        assert rows["policy_cited"].attachment_name == "screenshot of ticket.png"
        # Stored under a random name: nothing of the vendor, ticket or file name in the path.
        assert rows["policy_cited"].attachment.name.startswith("dispute_attachments/")
        assert "screenshot" not in rows["policy_cited"].attachment.name
        assert not rows["tone"].attachment
        assert audit.events.filter(kind=AuditEvent.Kind.DISPUTED).count() == 1

    @pytest.mark.parametrize(
        "window_days, days_since_final, allowed",
        [
            (7, 6, True),
            (7, 8, False),
            (2, 1, True),
            (2, 3, False),
        ],
    )
    def test_the_dispute_window_counts_from_finalisation(
        self, audit, poc_a, settings, window_days, days_since_final, allowed
    ):
        settings.DISPUTE_WINDOW_DAYS = window_days
        Audit.objects.filter(pk=audit.pk).update(
            finalised_at=timezone.now() - dt.timedelta(days=days_since_final)
        )
        audit.refresh_from_db()

        assert disputes.can_raise(audit, poc_a) is allowed
        if allowed:
            disputes.raise_dispute(audit, poc_a, {"tone": "Polite enough."})
        else:
            with pytest.raises(disputes.DisputeError, match=f"window of {window_days} days closed"):
                disputes.raise_dispute(audit, poc_a, {"tone": "Polite enough."})
            assert not Dispute.objects.exists()

    def test_only_the_poc_of_the_audits_own_vendor_disputes(self, audit, poc_b, auditor, manager):
        for outsider in (poc_b, auditor, manager):
            with pytest.raises(disputes.DisputeNotPermitted, match="POC of the audit's vendor"):
                disputes.raise_dispute(audit, outsider, {"tone": "No."})
        assert not Dispute.objects.exists()

    def test_only_a_final_audit_can_be_disputed(self, version, auditor, workflow, site_a, poc_a):
        audit = assigned_audits(auditor, workflow, site=site_a)[0]
        lifecycle.submit_audit(audit, auditor, answers=FLAWED)

        with pytest.raises(disputes.DisputeError, match="Only a final audit.*submitted"):
            disputes.raise_dispute(audit, poc_a, {"tone": "No."})

    def test_questions_must_be_of_the_form_have_a_reason_and_one_dispute_is_open_at_a_time(
        self, audit, poc_a
    ):
        with pytest.raises(disputes.DisputeError, match="Not questions of this audit's form: x"):
            disputes.raise_dispute(audit, poc_a, {"x": "Why?"})
        with pytest.raises(disputes.DisputeError, match="Give a reason.*tone"):
            disputes.raise_dispute(audit, poc_a, {"tone": "  "})
        with pytest.raises(disputes.DisputeError, match="at least one question"):
            disputes.raise_dispute(audit, poc_a, {})

        disputes.raise_dispute(audit, poc_a, {"tone": "Polite."})
        with pytest.raises(disputes.DisputeError):  # disputed now: no longer final
            disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited."})
        assert Dispute.objects.count() == 1

    # ----- resolving --------------------------------------------------------------------------

    def test_the_audits_own_auditor_cannot_resolve_even_as_a_lead(
        self, version, manager, lead, workflow, site_a, poc_a
    ):
        audit = final_audit(manager, lead, workflow, site_a)  # the manager audited this one
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited."})

        assert not disputes.can_resolve(dispute, manager)
        with pytest.raises(disputes.DisputeNotPermitted, match="other than the audit's auditor"):
            disputes.resolve_dispute(dispute, manager, overturn_policy())
        assert disputes.can_resolve(dispute, lead)
        disputes.resolve_dispute(dispute, lead, overturn_policy())

    def test_an_overturned_verdict_reaches_the_sampled_ticket_for_the_next_draws(
        self, audit, poc_a, lead
    ):
        assert audit.passed is False
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited.", "tone": "Ok."})

        disputes.resolve_dispute(
            dispute,
            lead,
            {
                "policy_cited": Decision("overturned", "Cited in the second paragraph.", "pass"),
                "tone": Decision("overturned", "The tone was fine.", "5"),
            },
        )

        audit.refresh_from_db()
        assert audit.passed is True
        assert SampledTicket.objects.get(pk=audit.sampled_ticket_id).passed is True

    def test_an_auditor_or_the_poc_cannot_resolve(self, audit, poc_a, auditor):
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited."})
        for user in (auditor, poc_a):
            with pytest.raises(disputes.DisputeNotPermitted):
                disputes.resolve_dispute(dispute, user, overturn_policy())

    def test_every_disputed_question_needs_a_decision_a_reply_and_a_corrected_answer(
        self, audit, poc_a, manager
    ):
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited.", "tone": "Ok."})

        with pytest.raises(disputes.DisputeError) as refused:
            disputes.resolve_dispute(
                dispute,
                manager,
                {
                    "policy_cited": Decision("overturned", "", ""),
                },
            )
        message = str(refused.value)
        assert "policy_cited: write a reply" in message
        assert "policy_cited: give the corrected answer" in message
        assert "tone: choose upheld" in message
        dispute.refresh_from_db()
        assert dispute.status == Dispute.Status.OPEN
        assert Audit.objects.get(pk=audit.pk).status == AuditStatus.DISPUTED

    def test_an_overturn_rescores_with_score_audit_keeps_history_and_makes_the_audit_final(
        self, audit, poc_a, manager, version
    ):
        score_before = audit.score
        history_before = audit.history.count()
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited.", "tone": "Ok."})

        disputes.resolve_dispute(
            dispute,
            manager,
            {
                "policy_cited": Decision("overturned", "Yes, it was cited.", "pass"),
                "tone": Decision("partially_overturned", "A 3 rather than a 2.", "3"),
            },
        )

        audit.refresh_from_db()
        corrected = {**FLAWED, "policy_cited": "pass", "tone": "3"}
        expected = score_audit(version.to_spec(), corrected)
        assert audit.answers == corrected
        assert audit.score == Decimal(str(expected.score)).quantize(Decimal("0.01"))
        assert audit.score > score_before
        assert audit.errors == list(expected.errors)
        assert audit.status == AuditStatus.FINAL
        dispute.refresh_from_db()
        assert (dispute.status, dispute.resolved_by, dispute.score_before, dispute.score_after) == (
            Dispute.Status.RESOLVED,
            manager,
            score_before,
            audit.score,
        )
        kinds = list(audit.events.order_by("at", "id").values_list("kind", flat=True))
        assert kinds[-4:] == ["disputed", "rescored", "resolved", "finalised"]
        rescored = audit.events.get(kind=AuditEvent.Kind.RESCORED)
        assert rescored.details["corrected"] == {"policy_cited": "pass", "tone": "3"}
        assert rescored.details["before"]["score"] == float(score_before)
        # disputed, rescored, resolved, finalised: four history rows, the rescoring among them.
        assert audit.history.count() == history_before + 4
        rescore_row = audit.history.filter(history_change_reason__contains="rescored by dispute")
        assert rescore_row.get().score == audit.score
        assert rescore_row.get().history_user == manager
        decided = DisputedQuestion.objects.get(dispute=dispute, question_key="policy_cited")
        assert (decided.decision, decided.corrected_answer) == ("overturned", "pass")
        assert decided.history.count() == 2  # raised, then decided

    def test_an_upheld_dispute_keeps_the_score_and_answers(self, audit, poc_a, manager):
        score, answers = audit.score, audit.answers
        dispute = disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})

        disputes.resolve_dispute(dispute, manager, {"tone": Decision("upheld", "A 2 is right.")})

        audit.refresh_from_db()
        assert (audit.score, audit.answers, audit.status) == (score, answers, AuditStatus.FINAL)
        assert not audit.events.filter(kind=AuditEvent.Kind.RESCORED).exists()

    def test_a_decided_question_cannot_be_disputed_again(self, audit, poc_a, manager):
        dispute = disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})
        disputes.resolve_dispute(dispute, manager, {"tone": Decision("upheld", "A 2 is right.")})
        audit.refresh_from_db()

        with pytest.raises(disputes.DisputeError, match="Already decided.*tone"):
            disputes.raise_dispute(audit, poc_a, {"tone": "Still polite."})
        disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited."})  # another question may

    def test_the_scorecard_cell_follows_an_overturn(
        self, audit, poc_a, manager, django_capture_on_commit_callbacks
    ):
        from rollups.writer import rebuild_rollups

        rebuild_rollups()
        cell = AuditCell.objects.get()
        assert (cell.audited, cell.passed, float(cell.score_sum)) == (1, 0, float(audit.score))
        errors_before = dict(cell.error_categories)
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited.", "tone": "Ok."})

        with django_capture_on_commit_callbacks(execute=True):
            disputes.resolve_dispute(
                dispute,
                manager,
                {**overturn_policy(), "tone": Decision("overturned", "Polite.", "5")},
            )

        audit.refresh_from_db()
        cell = AuditCell.objects.get()  # refreshing rewrites the cell
        assert audit.passed  # the overturn turned a fail into a pass, and the cell says so
        assert (cell.audited, cell.passed, float(cell.score_sum)) == (1, 1, float(audit.score))
        assert cell.error_categories.get("procedural", 0) == errors_before.get("procedural", 0) - 1

    # ----- SLA and rates ----------------------------------------------------------------------

    def test_an_open_dispute_past_its_deadline_is_overdue_and_a_resolved_one_never(
        self, audit, poc_a, manager
    ):
        dispute = disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})
        assert not dispute.overdue
        later = dispute.due_at + dt.timedelta(minutes=1)
        assert dispute.is_overdue(later)

        dispute = disputes.resolve_dispute(dispute, manager, {"tone": Decision("upheld", "No.")})
        assert not dispute.is_overdue(later)

    def test_rates_of_a_period_count_audits_finalised_in_it(self, audit, poc_a):
        from rollups.periods import period_of

        disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})
        this_week = period_of("week", timezone.now().date())

        assert dispute_rates(this_week).by_vendor[0].disputed == 1
        assert dispute_rates(this_week.previous()).by_vendor == []

    # ----- pages ------------------------------------------------------------------------------

    def test_the_poc_disputes_from_the_audit_page_and_lands_on_the_confirmation(
        self, audit, poc_a, client_as
    ):
        client = client_as(poc_a)
        page = client.get(f"/audits/{audit.pk}/").content.decode()
        assert f'href="/audits/{audit.pk}/dispute/"' in page

        response = client.post(
            f"/audits/{audit.pk}/dispute/",
            {
                "reason_policy_cited": "Policy 4.2 is cited in the reply.",
                "reason_tone": "",
                "file_policy_cited": SimpleUploadedFile("evidence.txt", b"the reply text"),
            },
        )

        dispute = Dispute.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/audits/disputes/{dispute.pk}/"
        page = client.get(response["Location"]).content.decode()
        assert "Policy 4.2 is cited in the reply." in page
        assert "Awaiting a QA lead" in page
        assert audit.auditor.email not in page  # who audited is internal
        row = dispute.questions.get()
        download = client.get(f"/audits/disputes/attachments/{row.pk}/")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"the reply text"
        assert 'filename="evidence.txt"' in download["Content-Disposition"]

    def test_outside_the_window_the_poc_sees_no_button_and_the_form_says_why(
        self, audit, poc_a, client_as, settings
    ):
        Audit.objects.filter(pk=audit.pk).update(
            finalised_at=timezone.now() - dt.timedelta(days=settings.DISPUTE_WINDOW_DAYS + 1)
        )
        client = client_as(poc_a)

        page = client.get(f"/audits/{audit.pk}/").content.decode()
        assert f"/audits/{audit.pk}/dispute/" not in page
        response = client.get(f"/audits/{audit.pk}/dispute/")
        assert response.status_code == 409
        assert "dispute window of 7 days closed" in response.content.decode()

    def test_vendor_bs_poc_gets_404_on_everything_of_as_dispute(
        self, audit, poc_a, poc_b, client_as
    ):
        dispute = disputes.raise_dispute(
            audit, poc_a, {"tone": "Ok."}, {"tone": SimpleUploadedFile("a.txt", b"secret")}
        )
        row = dispute.questions.get()
        client = client_as(poc_b)

        for url in (
            f"/audits/{audit.pk}/dispute/",
            f"/audits/disputes/{dispute.pk}/",
            f"/audits/disputes/attachments/{row.pk}/",
            "/audits/disputes/",
        ):
            assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url

    def test_anonymous_visitors_are_sent_to_log_in(self, audit, poc_a, client):
        dispute = disputes.raise_dispute(
            audit, poc_a, {"tone": "Ok."}, {"tone": SimpleUploadedFile("a.txt", b"secret")}
        )
        row = dispute.questions.get()

        for url in (
            f"/audits/{audit.pk}/dispute/",
            f"/audits/disputes/{dispute.pk}/",
            f"/audits/disputes/attachments/{row.pk}/",
            "/audits/disputes/",
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url

    def test_leads_queue_lists_open_disputes_first_and_flags_overdue_ones(
        self, version, audit, poc_a, manager, auditor, workflow, site_a, client_as
    ):
        late = disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})
        Dispute.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
        other = final_audit(auditor, manager, workflow, site_a)
        done = disputes.raise_dispute(other, poc_a, {"tone": "Ok."})
        disputes.resolve_dispute(done, manager, {"tone": Decision("upheld", "No.")})

        page = client_as(manager).get("/audits/disputes/").content.decode()

        assert page.index(f">#{late.pk}<") < page.index(f">#{done.pk}<")
        assert "1 overdue" in page
        assert page.count('badge bad">Overdue') == 1

    def test_the_leads_queue_narrows_to_one_vendor(
        self, version, audit, poc_a, poc_b, manager, auditor, workflow, site_b, client_as
    ):
        acme = disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})
        other = final_audit(auditor, manager, workflow, site_b)
        borealis = disputes.raise_dispute(other, poc_b, {"tone": "No."})

        lead = client_as(manager)
        narrowed = lead.get(f"/audits/disputes/?vendor={site_b.vendor.slug}").content.decode()
        assert f">#{borealis.pk}<" in narrowed and f">#{acme.pk}<" not in narrowed
        everyone = lead.get("/audits/disputes/").content.decode()
        assert f">#{borealis.pk}<" in everyone and f">#{acme.pk}<" in everyone
        # The queue is the leads': a POC (who has the portal's list) gets a 404, filter or not.
        narrowed_by_a_poc = client_as(poc_a).get(f"/audits/disputes/?vendor={site_b.vendor.slug}")
        assert narrowed_by_a_poc.status_code == 404

    def test_the_original_auditor_sees_the_dispute_but_cannot_resolve_it(
        self, audit, poc_a, auditor, client_as
    ):
        dispute = disputes.raise_dispute(audit, poc_a, {"tone": "Ok."})
        client = client_as(auditor)

        page = client.get(f"/audits/disputes/{dispute.pk}/").content.decode()
        assert "Ok." in page and "Resolve dispute" not in page
        assert (
            client.post(
                f"/audits/disputes/{dispute.pk}/",
                {"decision_tone": "overturned", "corrected_tone": "5", "reply_tone": "Yes."},
            ).status_code
            == 403
        )
        assert Dispute.objects.get().status == Dispute.Status.OPEN

    def test_a_lead_resolves_on_the_page_and_the_audit_page_shows_the_new_score(
        self, audit, poc_a, manager, client_as
    ):
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited."})
        client = client_as(manager)
        assert "Resolve dispute" in client.get(f"/audits/disputes/{dispute.pk}/").content.decode()

        refused = client.post(f"/audits/disputes/{dispute.pk}/", {"decision_policy_cited": "x"})
        assert refused.status_code == 400
        response = client.post(
            f"/audits/disputes/{dispute.pk}/",
            {
                "decision_policy_cited": "overturned",
                "corrected_policy_cited": "pass",
                "reply_policy_cited": "You are right.",
            },
        )

        assert response.status_code == 302
        audit.refresh_from_db()
        assert audit.status == AuditStatus.FINAL
        page = client.get(response["Location"]).content.decode()
        assert f"{audit.score:.1f}" in page
        assert f"Dispute #{dispute.pk}" in page
