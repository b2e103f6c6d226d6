"""The audit export takes the slugs every page URL uses (vendor=acme, site=manila,
workflow=…) and, with answers=1, one answer and one comment column per question, in CSV and
XLSX alike."""

from __future__ import annotations

import pytest

from audits.models import Audit
from tests.audits.test_exports import read_csv, read_xlsx
from tests.audits.workspace_helpers import ALL_GOOD

pytestmark = pytest.mark.django_db

QUESTIONS = ["right_action", "policy_cited", "tone", "escalation"]


def ids(rows) -> list[int]:
    return sorted(int(row["audit_id"]) for row in rows)


def test_vendor_site_and_workflow_slugs_filter_like_ids(client_as, world, manager, workflow):
    client = client_as(manager)

    def export(**query):
        response = client.get("/audits/export.csv", query)
        assert response.status_code == 200, response.content
        return ids(read_csv(response))

    b_audits = sorted(a.pk for a in world.b.audits.values())
    assert export(vendor=world.b.vendor.slug) == export(vendor=world.b.vendor.pk) == b_audits
    assert export(vendor=world.a.vendor.slug, site=world.a.site.slug) == sorted(
        a.pk for a in world.a.audits.values()
    )
    assert export(workflow=workflow.slug) == sorted(a.pk for a in Audit.objects.all())
    assert export(vendor=world.a.vendor.slug, site=world.b.site.slug) == []
    xlsx = client.get("/audits/export.xlsx", {"vendor": world.b.vendor.slug})
    assert sorted(read_xlsx(xlsx)["audit_id"]) == b_audits


@pytest.mark.parametrize("path", ["/audits/export.csv", "/audits/export.xlsx"])
def test_an_unknown_or_malformed_slug_is_a_400_naming_the_field(
    client_as,
    world,
    manager,
    path,
):
    client = client_as(manager)

    unknown = client.get(path, {"vendor": "nobody"})
    assert unknown.status_code == 400
    assert "vendor: No vendor 'nobody' among those you can see." in unknown.content.decode()
    malformed = client.get(path, {"site": "man ila\x00"})
    assert malformed.status_code == 400
    assert "site:" in malformed.content.decode()


def test_a_poc_naming_another_vendors_slug_learns_nothing_about_it(client_as, world, poc_a):
    client = client_as(poc_a)

    theirs = client.get("/audits/export.csv", {"vendor": world.b.vendor.slug})
    nobody = client.get("/audits/export.csv", {"vendor": "nobody"})

    assert theirs.status_code == nobody.status_code == 400
    assert theirs.content.decode().replace(world.b.vendor.slug, "nobody") == nobody.content.decode()
    own = client.get("/audits/export.csv", {"vendor": world.a.vendor.slug})
    assert ids(read_csv(own)) == [world.a.final_audit.pk]


def test_answers_1_adds_each_questions_answer_and_comment(client_as, world, manager):
    final = world.a.final_audit
    Audit.objects.filter(pk=final.pk).update(
        answers={**ALL_GOOD, "tone": "3"}, comments={"tone": "=curt, see line 2"}
    )
    client = client_as(manager)

    rows = read_csv(
        client.get("/audits/export.csv", {"vendor": world.a.vendor.slug, "answers": "1"})
    )
    frame = read_xlsx(
        client.get("/audits/export.xlsx", {"vendor": world.a.vendor.slug, "answers": "1"})
    )

    expected = [name for key in QUESTIONS for name in (f"answer_{key}", f"comment_{key}")]
    assert list(rows[0])[-len(expected) :] == expected
    assert list(frame.columns)[-len(expected) :] == expected
    row = next(r for r in rows if int(r["audit_id"]) == final.pk)
    assert row["answer_tone"] == "3" and row["answer_right_action"] == "yes"
    assert row["comment_tone"] == "'=curt, see line 2"  # spreadsheet-safe, like every cell
    assert row["comment_right_action"] == ""
    line = frame[frame["audit_id"] == final.pk].iloc[0]
    assert line["answer_tone"] == "3" and line["comment_tone"] == "'=curt, see line 2"
    # Without the option, no answer columns.
    plain = read_csv(client.get("/audits/export.csv", {"vendor": world.a.vendor.slug}))
    assert not any(name.startswith("answer_") for name in plain[0])


def test_a_poc_gets_answers_and_comments_of_their_own_final_audits(client_as, world, poc_a):
    rows = read_csv(client_as(poc_a).get("/audits/export.csv", {"answers": "yes"}))

    assert ids(rows) == [world.a.final_audit.pk]
    assert rows[0]["answer_escalation"] == ALL_GOOD["escalation"]


def test_a_bad_answers_option_is_a_400_naming_it(client_as, world, manager):
    response = client_as(manager).get("/audits/export.csv", {"answers": "maybe"})

    assert response.status_code == 400
    assert "answers: 'maybe' is not 1 or 0." in response.content.decode()
