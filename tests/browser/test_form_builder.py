"""In a real browser: a program manager builds an audit form, publishes it, finds it frozen,
and edits it by starting draft v2."""

import re

import pytest
from playwright.sync_api import expect

from audit_forms.models import FormQuestion, FormVersion
from tests.browser import keep_a_picture

pytestmark = pytest.mark.browser


def add_question(
    section, text: str, kind: str, *, weight: str = "1", critical=False, na_allowed=False
) -> None:
    adder = section.locator("details.add-question")
    if not adder.evaluate("el => el.open"):
        adder.locator("summary").click()
    form = adder.locator("form")
    form.locator("[name='new-question-text']").fill(text)
    form.locator("[name='new-question-kind']").select_option(kind)
    form.locator("[name='new-question-weight']").fill(weight)
    if critical:
        form.locator("[name='new-question-critical']").check()
    if na_allowed:
        form.locator("[name='new-question-na_allowed']").check()
    form.get_by_role("button", name="Add question").click()
    expect(section.page.locator(".question", has_text=text)).to_be_visible()


def test_a_manager_builds_publishes_and_versions_a_form(page, signed_in, manager):
    page.on("dialog", lambda dialog: dialog.accept())
    signed_in(manager)

    page.goto("/audits/forms/")
    page.get_by_role("link", name="New form").click()
    page.get_by_label("Name").fill("Spam review")
    page.get_by_role("button", name="Create and start building").click()
    expect(page.get_by_role("heading", name=re.compile("Spam review v1"))).to_be_visible()
    expect(page.locator("#version-status")).to_have_text("Draft")

    page.locator("#add-section [name='new-section-title']").fill("Decision")
    page.locator("#add-section [name='new-section-weight']").fill("2")
    page.get_by_role("button", name="Add section").click()
    section = page.locator("section.section-card", has_text="Decision")
    expect(section).to_be_visible()

    add_question(section, "Was the right action taken?", "yes_no", weight="3", critical=True)
    add_question(section, "Was the procedure followed?", "pass_fail", na_allowed=True)
    question = page.locator(".question", has_text="Was the right action taken?")
    expect(question.locator(".badge.critical")).to_be_visible()
    expect(question).to_contain_text("75.0% of score")
    expect(page.locator(".question", has_text="procedure")).to_contain_text("N/A allowed")
    keep_a_picture(page, "form_builder_draft")

    page.locator("#publish").click()
    expect(page.locator("#version-status")).to_have_text("Published")
    expect(page.locator(".messages")).to_contain_text("is published")
    # Frozen: no edit controls on the published version.
    expect(page.get_by_text("Edit question")).to_have_count(0)
    expect(page.get_by_text("Add a question")).to_have_count(0)
    expect(page.locator("#add-section")).to_have_count(0)
    keep_a_picture(page, "form_builder_published")

    # A hand-made POST to the question's edit URL is refused and changes nothing.
    v1 = FormVersion.objects.get(form__name="Spam review", number=1)
    target = FormQuestion.objects.get(version=v1, text="Was the right action taken?")
    status = page.evaluate(
        """async ([url, prefix]) => {
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            const body = new URLSearchParams({csrfmiddlewaretoken: token});
            body.set(prefix + "-text", "Changed in place");
            body.set(prefix + "-kind", "yes_no");
            body.set(prefix + "-weight", "1");
            body.set(prefix + "-scale_error_at_or_below", "2");
            const response = await fetch(url, {method: "POST", body: body});
            return response.status;
        }""",
        [f"/audits/forms/questions/{target.pk}/", f"q{target.pk}"],
    )
    assert status == 409
    target.refresh_from_db()
    assert target.text == "Was the right action taken?"

    page.get_by_role("button", name="Edit (creates a new draft)").click()
    expect(page.get_by_role("heading", name=re.compile("Spam review v2"))).to_be_visible()
    expect(page.locator("#version-status")).to_have_text("Draft")
    expect(page.locator(".question")).to_have_count(2)
    page.get_by_text("Edit question").first.click()
    edit = page.locator(".question-form").first
    expect(edit.locator("[name$='-text']")).to_have_value("Was the right action taken?")
    # The scale threshold only shows for scale questions.
    expect(edit.locator("[data-field='scale_error_at_or_below']")).to_be_hidden()
    edit.locator("[name$='-kind']").select_option("scale")
    expect(edit.locator("[data-field='scale_error_at_or_below']")).to_be_visible()
    keep_a_picture(page, "form_builder_edit_question")
    v1.refresh_from_db()
    assert v1.status == "published"

    page.get_by_role("link", name="Spam review").first.click()
    versions = page.locator("#versions tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.filter(has_text="v2")).to_contain_text("Draft")
    expect(versions.filter(has_text="v1")).to_contain_text("Published")
    keep_a_picture(page, "form_versions")
