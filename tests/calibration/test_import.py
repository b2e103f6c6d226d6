"""``manage.py import_calibration``: an offline exercise loads whole, or not at all with
every bad row named."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from calibration import selectors, sessions
from calibration.models import GoldAnswer, Rating

pytestmark = pytest.mark.django_db

HEADER = "session,ticket,rater,question,answer\n"


@pytest.fixture
def csv_file(tmp_path):
    def write(body: str, name="exercise.csv"):
        path = tmp_path / name
        path.write_text(HEADER + body, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def empty_session(version, manager, vendor_a, tickets_a):
    return sessions.create_session(name="Offline October", form_version=version, by=manager,
                                   vendor=vendor_a)


def test_an_offline_exercise_is_imported_with_its_gold(
    csv_file, empty_session, auditor, auditor2, analyst_a, capsys, manager
):
    path = csv_file(
        "Offline October,ACME-CAL-1,auditor@example.com,right_action,yes\n"
        "Offline October,ACME-CAL-1,auditor2@example.com,right_action,no\n"
        "Offline October,ACME-CAL-1,QA@acme.example,right_action,yes\n"
        "Offline October,ACME-CAL-1,gold,right_action,yes\n"
        f"{empty_session.pk},ACME-CAL-2,auditor@example.com,tone,4\n"
        f"{empty_session.pk},ACME-CAL-2,auditor2@example.com,policy_cited,na\n"
    )
    call_command("import_calibration", path)
    assert "6 row(s): 5 rating(s), 1 gold answer(s); 2 ticket(s) added, 3 rater(s) invited" in (
        capsys.readouterr().out)
    assert [i.ticket.external_id for i in empty_session.items.all()] == [
        "ACME-CAL-1", "ACME-CAL-2"]
    assert Rating.objects.filter(item__session=empty_session).count() == 5
    assert GoldAnswer.objects.get().answer == "yes"

    call_command("import_calibration", path)  # twice: nothing new
    assert Rating.objects.filter(item__session=empty_session).count() == 5
    assert empty_session.participants.count() == 3

    sessions.open_session(empty_session, by=manager)
    closed = sessions.close_session(empty_session, by=manager)
    right = selectors.session_results(closed).questions[0]
    assert (right.key, right.n_units, right.n_raters) == ("right_action", 1, 3)


def test_every_bad_row_is_named_and_nothing_is_written(
    csv_file, empty_session, auditor, analyst_b, poc_a, tickets_b, capsys
):
    path = csv_file(
        "Offline October,ACME-CAL-1,auditor@example.com,right_action,yes\n"
        "Nope,ACME-CAL-1,auditor@example.com,right_action,yes\n"
        "Offline October,ACME-XXX,auditor@example.com,right_action,yes\n"
        "Offline October,ACME-CAL-1,ghost@example.com,right_action,yes\n"
        "Offline October,ACME-CAL-1,auditor@example.com,tone,9\n"
        "Offline October,ACME-CAL-1,auditor@example.com,speed,yes\n"
        "Offline October,ACME-CAL-1,qa@borealis.example,right_action,yes\n"
        "Offline October,ACME-CAL-1,poc@acme.example,right_action,yes\n"
        "Offline October,BOR-CAL-1,auditor@example.com,right_action,yes\n"
        "Offline October,ACME-CAL-1,auditor@example.com,right_action,no\n"
        "Offline October,,auditor@example.com,right_action,\n"
    )
    with pytest.raises(CommandError, match="11 problems in 10 rows of 11; nothing was imported"):
        call_command("import_calibration", path)
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "row 3, field session: no calibration session 'Nope'",
        "row 4, field ticket: no ticket with id 'ACME-XXX'",
        "row 5, field rater: nobody has the email 'ghost@example.com'",
        "row 6, field answer: 'tone': '9' is not on the 1–5 scale",
        "row 7, field question: 'speed': not a question of this form",
        "row 8, field rater: qa@borealis.example is a QA analyst of Borealis Support: they "
        "can join only a session of Borealis Support's tickets (set the session's vendor)",
        "row 9, field rater: poc@acme.example is a Vendor POC: only QA staff and vendor QA "
        "analysts take part in calibration",
        "row 10, field ticket: 'BOR-CAL-1' is not Acme Moderation's ticket",
        "row 11, field question: 'right_action' of 'ACME-CAL-1' by 'auditor@example.com' is "
        "already answered in row 2",
        "row 12, field ticket: a value is required",
        "row 12, field answer: a value is required",
    ]
    assert not Rating.objects.exists() and not empty_session.items.exists()


def test_a_file_without_the_columns_or_for_a_closed_session(
    csv_file, tmp_path, open_session, manager, capsys
):
    bad = tmp_path / "bad.csv"
    bad.write_text("session,ticket,who\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_calibration", str(bad))
    assert "row 1, field rater,question,answer: missing column(s)" in capsys.readouterr().err
    sessions.close_session(open_session, by=manager)
    path = csv_file("November calibration,ACME-CAL-1,auditor@example.com,tone,4\n")
    with pytest.raises(CommandError):
        call_command("import_calibration", path)
    assert "is closed: its results are final" in capsys.readouterr().err
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_calibration", str(tmp_path / "missing.csv"))
