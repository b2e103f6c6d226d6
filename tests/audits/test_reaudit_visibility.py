"""A re-audit is blind for its re-auditor, and invisible to everything that judges the vendor:
rollups and scorecards, exports, the API's lists, the portal and the vendor's POC."""

import pytest
from django.db.models import F

from accounts.models import Role
from audits import lifecycle
from audits.exports import exported_audits
from audits.models import Audit, AuditStatus
from notifications.events import notify_finding
from notifications.models import Notification
from rollups.models import (
    AuditCell,
    AuditorDay,
    FinalisedDay,
    SiteCell,
    StratumTotal,
    VendorCell,
    WeekSums,
)
from rollups.writer import rebuild_rollups, refresh_rollups
from tests.audits.reaudit_helpers import (
    FAILING,
    draw_reaudits,
    finalised_program,
    finalised_window,
    reaudit_plan,
)
from tests.audits.workspace_helpers import ALL_GOOD
from tests.conftest import rows_for_every_test
from tests.factories import UserFactory, enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def program_and_run(django_db_setup, django_db_blocker):
    """The finalised audits of ``finalised_program`` and a re-audit run drawn over them, built
    once for the module."""
    yield from rows_for_every_test(django_db_blocker, program_with_reaudits_drawn)


def program_with_reaudits_drawn():
    program = finalised_program()
    return program, draw_reaudits(reaudit_plan(program.auditors), finalised_window())


@pytest.fixture
def drawn(program_and_run, db):
    """The program, its re-audit run and the run's re-audits, read anew for each test (the
    tests score them)."""
    program, run = program_and_run
    reaudits = list(Audit.objects.filter(sampled_ticket__run=run)
                    .select_related("reaudit_of", "auditor", "ticket"))
    return program, run, reaudits


def _opposite(answers: dict) -> dict:
    """The other verdict: a re-audit that disagrees with everything it can."""
    return ALL_GOOD if answers.get("right_action") == "no" else {**FAILING, "tone": "1"}


def test_the_reauditor_never_sees_the_original_until_they_submit(client_as, drawn):
    _, _, reaudits = drawn
    reaudit = reaudits[0]
    original = reaudit.reaudit_of
    client = client_as(reaudit.auditor)

    page = client.get(f"/audits/{reaudit.pk}/score/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "re-audit · blind" in html
    assert f"ORIGINAL COMMENT {original.pk}" not in html
    assert f"ORIGINAL NOTE {original.pk}" not in html
    assert f"/audits/{original.pk}/" not in html
    # Nor anywhere else they could look: its page, the ticket search, the API, an export.
    assert client.get(f"/audits/{original.pk}/").status_code == 404
    search = client.get("/audits/adhoc/", {"q": original.ticket.external_id}).content.decode()
    assert f"/audits/{original.pk}/" not in search
    assert client.get(f"/api/v1/audits/{original.pk}/").status_code == 404
    assert not exported_audits(reaudit.auditor, {}).filter(pk=original.pk).exists()
    # Someone else sees the original as before.
    other = UserFactory(email="bystander@example.com", role=Role.QA_AUDITOR)
    assert client_as(other).get(f"/audits/{original.pk}/").status_code == 200

    lifecycle.submit_audit(reaudit, reaudit.auditor, answers=dict(original.answers))

    assert client_as(reaudit.auditor).get(f"/audits/{original.pk}/").status_code == 200


def _rounded(value):
    """Floats to 9 digits: a refresh and a rebuild add a week's sums in different orders."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_rounded(item) for item in value)
    return value


def _rollup_rows() -> dict[str, list[str]]:
    tables = (AuditCell, SiteCell, VendorCell, StratumTotal, WeekSums, AuditorDay, FinalisedDay)
    rows = {}
    for model in tables:
        names = [f.attname for f in model._meta.concrete_fields
                 if f.attname not in ("id", "updated_at")]
        rows[model.__name__] = sorted(
            repr(_rounded(row)) for row in model.objects.values_list(*names)
        )
    return rows


def test_scored_reaudits_change_no_rollup_and_so_no_scorecard_number(drawn):
    _, _, reaudits = drawn
    rebuild_rollups()
    before = _rollup_rows()
    assert before["AuditCell"] and before["AuditorDay"]

    for reaudit in reaudits:
        lifecycle.submit_audit(reaudit, reaudit.auditor,
                               answers=_opposite(reaudit.reaudit_of.answers))
    refresh_rollups([r.pk for r in reaudits] + [r.reaudit_of_id for r in reaudits])

    assert _rollup_rows() == before
    rebuild_rollups()
    assert _rollup_rows() == before


def test_the_vendors_poc_gets_404_for_a_reaudit_and_never_a_notification(client_as, drawn):
    program, _, reaudits = drawn
    reaudit = reaudits[0]
    lifecycle.submit_audit(reaudit, reaudit.auditor, answers=_opposite(reaudit.reaudit_of.answers))
    poc = UserFactory(email="poc@vendor.example", role=Role.VENDOR_POC,
                      vendor=reaudit.ticket.vendor)
    enrol_totp(poc)
    # Even a re-audit forced into the status vendors see stays hidden from them.
    Audit.objects.filter(pk=reaudit.pk).update(finalised_at=F("submitted_at"))
    client = client_as(poc)

    assert client.get(f"/audits/{reaudit.pk}/").status_code == 404
    assert client.get(f"/api/v1/audits/{reaudit.pk}/").status_code == 404
    assert client.get(f"/audits/{reaudit.pk}/dispute/").status_code == 404
    listed = client.get("/api/v1/audits/").json()["results"]
    assert reaudit.pk not in {row["id"] for row in listed}
    assert reaudit.reaudit_of_id in {row["id"] for row in listed}
    # A finding is news for the vendor; a re-audit never is, whatever its fields say.
    assert notify_finding(reaudit.pk) == []
    assert not Notification.objects.filter(event_key=f"finding:{reaudit.pk}").exists()


def test_the_api_list_and_exports_are_vendor_work_but_a_reaudit_opens_by_id(client_as, drawn):
    program, _, reaudits = drawn
    lead = program.lead
    client = client_as(lead)
    ids = set()
    url = "/api/v1/audits/"
    while url:
        body = client.get(url).json()
        ids |= {row["id"] for row in body["results"]}
        url = body.get("next")

    assert ids == {audit.pk for audit in program.audits}
    assert not exported_audits(lead, {}).filter(reaudit_of__isnull=False).exists()
    assert client.get(f"/api/v1/audits/{reaudits[0].pk}/").status_code == 200
    assert client.get(f"/audits/{reaudits[0].pk}/").status_code == 200


def test_a_reaudits_page_offers_no_finalise_and_its_queue_row_says_blind(client_as, drawn):
    program, _, reaudits = drawn
    reaudit = reaudits[0]
    lifecycle.submit_audit(reaudit, reaudit.auditor, answers=dict(reaudit.reaudit_of.answers))

    page = client_as(program.lead).get(f"/audits/{reaudit.pk}/").content.decode()

    assert "re-audit of" in page
    assert f"/audits/{reaudit.pk}/finalise/" not in page
    assert Audit.objects.get(pk=reaudit.pk).status == AuditStatus.SUBMITTED
    waiting = next(r for r in reaudits[1:] if r.auditor_id)
    queue = client_as(waiting.auditor).get("/audits/queue/").content.decode()
    assert "re-audit · blind" in queue
