"""A small audit form built through the domain functions, shared by the form tests."""

from audit_forms.catalog import add_choice, add_question, add_section, create_form
from audit_forms.models import ErrorCategory, FormVersion


def error_category(slug: str = "wrong-action", kind: str = "wrong_action") -> ErrorCategory:
    category, _ = ErrorCategory.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").title(), "kind": kind}
    )
    return category


def build_small_form(manager, name: str = "Hate speech review") -> FormVersion:
    """Two sections: a critical yes/no decision check and a choice + scale on handling.

    Decision (weight 2): "right-action" yes/no, critical, category wrong-action.
    Handling (weight 1): "policy-cited" choice (full 1 / partly 0.5 / none 0, error),
    "tone" scale with N/A allowed.
    """
    version = create_form(name=name, created_by=manager)
    decision = add_section(version, title="Decision", key="decision", weight=2)
    add_question(
        decision,
        text="Was the right action taken?",
        key="right-action",
        kind="yes_no",
        critical=True,
        error_category=error_category(),
    )
    handling = add_section(version, title="Handling", key="handling", weight=1)
    cited = add_question(
        handling, text="Was the policy cited?", key="policy-cited", kind="choice", weight=2
    )
    add_choice(cited, label="Fully", value="full", credit=1)
    add_choice(cited, label="Partly", value="partly", credit="0.5")
    add_choice(
        cited,
        label="Not at all",
        value="none",
        credit=0,
        is_error=True,
        error_category=error_category("policy-error", "policy"),
    )
    add_question(handling, text="Tone", key="tone", kind="scale", na_allowed=True)
    return version
