"""The demo program's audit forms: a published scorecard per kind of work (moderation,
support) whose questions count the demo's error taxonomy (``demo.taxonomy``).

``seed_demo`` publishes them after the tickets; the sampling demo answers them
(``demo.sampling.demo_answers``) and ``ERROR_ANSWERS`` says which answer is an error of which
category.
"""

from django.db import transaction
from django.utils.text import slugify

from audit_forms import catalog as forms_catalog
from audit_forms.json_format import FORMAT, FORMAT_VERSION, import_version
from audit_forms.models import AuditForm, FormVersion
from demo.taxonomy import ensure_taxonomy
from demo.vendors import WORKFLOWS

YES_NO, PASS_FAIL = "yes_no", "pass_fail"


def _question(key: str, text: str, kind: str = YES_NO, **more) -> dict:
    return {"key": key, "text": text, "kind": kind, "weight": 1, **more}


def _wrong(value: str, label: str, category: str) -> dict:
    """A choice that is an error of ``category``."""
    return {
        "value": value,
        "label": label,
        "credit": 0,
        "is_error": True,
        "error_category": category,
    }


CORRECT_ACTION = _question(
    "correct_action",
    "Was the correct action taken?",
    critical=True,
    error_category="wrong-action",
    guidance="Compare the decision with the policy's examples; a wrong action fails the "
    "whole audit.",
)
POLICY_LABEL = _question(
    "policy_label",
    "Was the correct policy label applied?",
    PASS_FAIL,
    error_category="policy-error",
    guidance="The most specific label that applies, not the area alone.",
)
ESCALATION = _question(
    "escalation",
    "Was the ticket escalated when the escalation matrix requires it?",
    na_allowed=True,
    error_category="missed-escalation",
    guidance="N/A when the matrix does not require an escalation.",
)
DOCUMENTATION = _question(
    "documentation",
    "Is the case documented as the procedure requires?",
    "choice",
    choices=[
        {"value": "complete", "label": "Evidence and required steps recorded", "credit": 1},
        _wrong("evidence_missing", "Evidence missing from the notes", "evidence-missing"),
        _wrong("steps_skipped", "A required step skipped (strike, user notice)", "procedural"),
    ],
)
HANDLING = _question(
    "handling",
    "Was the ticket handled in its queue and on time?",
    "choice",
    choices=[
        {"value": "on_time", "label": "In the right queue, within the SLA", "credit": 1},
        _wrong("sla_breached", "After the queue's SLA", "sla-breach"),
        _wrong(
            "wrong_queue", "Outside the queue of the ticket's language", "wrong-language-routing"
        ),
    ],
)
# Every single error fails an audit: with these weights one wrong answer costs at least
# 1/9 of the score (more when a question is N/A), and the pass mark is 90.
PASS_MARK = 90
FORM_SPECS = (
    {
        "kind": "moderation",
        "name": "Moderation scorecard",
        "description": "Decision quality on content moderation queues.",
        "sections": [
            {
                "key": "decision",
                "title": "Decision",
                "weight": 4,
                "questions": [
                    CORRECT_ACTION,
                    _question(
                        "enforcement",
                        "Was the enforcement proportionate?",
                        "choice",
                        choices=[
                            {"value": "proportionate", "label": "As the ladder says", "credit": 1},
                            _wrong("over", "Heavier than the ladder allows", "over-enforcement"),
                            _wrong(
                                "under", "Lighter than the ladder requires", "under-enforcement"
                            ),
                        ],
                    ),
                    POLICY_LABEL,
                    _question(
                        "context",
                        "Was the context considered (thread, history, report)?",
                        error_category="missed-context",
                    ),
                ],
            },
            {
                "key": "process",
                "title": "Process",
                "weight": 3,
                "questions": [ESCALATION, DOCUMENTATION, HANDLING],
            },
        ],
    },
    {
        "kind": "support",
        "name": "Support scorecard",
        "description": "Resolution and customer experience on support queues.",
        "sections": [
            {
                "key": "resolution",
                "title": "Resolution",
                "weight": 4,
                "questions": [
                    CORRECT_ACTION,
                    POLICY_LABEL,
                    _question(
                        "resolved",
                        "Was the customer's issue fully resolved?",
                        error_category="incomplete-resolution",
                    ),
                    ESCALATION,
                ],
            },
            {
                "key": "process",
                "title": "Process",
                "weight": 3,
                "questions": [
                    _question(
                        "identity",
                        "Was the account holder verified before any account "
                        "detail was changed or shared?",
                        na_allowed=True,
                        error_category="identity-verification",
                        guidance="N/A when no account detail was changed or shared.",
                    ),
                    DOCUMENTATION,
                    HANDLING,
                ],
            },
            {
                "key": "customer",
                "title": "Customer experience",
                "weight": 2,
                "questions": [
                    _question(
                        "tone",
                        "Tone and empathy",
                        "scale",
                        error_category="tone",
                        scale_error_at_or_below=1,
                        guidance="1 = dismissive or rude, 5 = warm, clear and personal.",
                    ),
                    _question(
                        "macro",
                        "Which reply macro was used?",
                        "choice",
                        choices=[
                            {
                                "value": "right",
                                "label": "The right macro, personalised",
                                "credit": 1,
                            },
                            {
                                "value": "generic",
                                "label": "A generic but acceptable macro",
                                "credit": 0.5,
                            },
                            _wrong("wrong", "The wrong macro", "customer-experience"),
                        ],
                    ),
                ],
            },
        ],
    },
)
# The answer that is an error of each category of the demo taxonomy (demo.taxonomy).
ERROR_ANSWERS = {
    "wrong-action": ("correct_action", "no"),
    "policy-error": ("policy_label", "fail"),
    "over-enforcement": ("enforcement", "over"),
    "under-enforcement": ("enforcement", "under"),
    "missed-context": ("context", "no"),
    "missed-escalation": ("escalation", "no"),
    "evidence-missing": ("documentation", "evidence_missing"),
    "procedural": ("documentation", "steps_skipped"),
    "sla-breach": ("handling", "sla_breached"),
    "wrong-language-routing": ("handling", "wrong_queue"),
    "identity-verification": ("identity", "no"),
    "incomplete-resolution": ("resolved", "no"),
    "tone": ("tone", "1"),
    "customer-experience": ("macro", "wrong"),
}


def form_document(
    spec: dict, workflow_slugs: list[str], changelog: str = "First version for the demo program."
) -> dict:
    """A demo form in the import format of ``audit_forms.json_format``."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "form": {
            "name": spec["name"],
            "description": spec["description"],
            "workflows": workflow_slugs,
        },
        "version": {"pass_mark": PASS_MARK, "critical_zeroes_score": True, "changelog": changelog},
        "sections": spec["sections"],
    }


def _question_keys(spec: dict) -> set[str]:
    return {question["key"] for section in spec["sections"] for question in section["questions"]}


@transaction.atomic
def seed_forms(by=None) -> dict[str, tuple[int, int]]:
    """A published scorecard per workflow kind (moderation, support), linked to every demo
    workflow of that kind. Idempotent by slug: an existing form is left as it is, unless its
    published version asks other questions than the demo answers (a demo seeded before the
    error taxonomy): then the demo's questions are published as its next version."""
    ensure_taxonomy()
    created = 0
    for spec in FORM_SPECS:
        slugs = [w.slug for w in WORKFLOWS if str(w.kind) == spec["kind"]]
        form = AuditForm.objects.filter(slug=slugify(spec["name"])).first()
        if form is None:
            draft = import_version(form_document(spec, slugs), by=by)
        else:
            published = form.versions.published().first()
            asked = set(published.questions.values_list("key", flat=True)) if published else None
            if asked in (None, _question_keys(spec)) or form.versions.drafts().exists():
                continue
            draft = import_version(
                form_document(spec, slugs, "The demo's trust-and-safety error taxonomy."),
                by=by,
                form=form,
            )
        forms_catalog.publish_version(draft, by=by)
        created += 1
    published = FormVersion.objects.published().count()
    return {"audit forms": (created, published)}
