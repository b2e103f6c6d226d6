"""The demo program's error taxonomy and what its auditors write on a failed answer.

Fourteen trust-and-safety error categories: the four every installation starts with (policy
error, wrong action, procedural, customer experience; migration 0004) and ten finer ones a
moderation and support program tracks. The demo's scorecards (``demo.tickets.FORM_SPECS``) ask
one question per category or offer them as the wrong options of a choice, so every category
is counted from real answers. A failed answer carries a short, specific comment, as an
auditor would write it: which policy applied and why, what the agent should have done.
"""

from __future__ import annotations

import random

from audit_forms.catalog import ensure_default_categories
from audit_forms.models import ErrorCategory

K = ErrorCategory.Kind
# (name, slug, kind, description); the first four are the installation's defaults.
TAXONOMY: tuple[tuple[str, str, str, str], ...] = (
    ("Policy error", "policy-error", K.POLICY, "The wrong policy label was applied."),
    (
        "Wrong action",
        "wrong-action",
        K.WRONG_ACTION,
        "The decision itself was wrong (kept what breaks policy, removed what does not).",
    ),
    (
        "Procedural",
        "procedural",
        K.PROCEDURAL,
        "A required step was skipped: strike not recorded, user not notified.",
    ),
    (
        "Customer experience",
        "customer-experience",
        K.CUSTOMER_EXPERIENCE,
        "The wrong or an unpersonalised reply macro.",
    ),
    (
        "Missed context",
        "missed-context",
        K.POLICY,
        "The thread, the account's history or the report's context changes the answer.",
    ),
    (
        "Over-enforcement",
        "over-enforcement",
        K.WRONG_ACTION,
        "A penalty heavier than the enforcement ladder allows.",
    ),
    (
        "Under-enforcement",
        "under-enforcement",
        K.WRONG_ACTION,
        "A penalty lighter than the enforcement ladder requires.",
    ),
    (
        "Missed escalation",
        "missed-escalation",
        K.PROCEDURAL,
        "A case the escalation matrix sends to a specialist team was closed in the queue.",
    ),
    (
        "Evidence missing",
        "evidence-missing",
        K.PROCEDURAL,
        "No screenshots, message ids or notes to support the decision.",
    ),
    (
        "Wrong language routing",
        "wrong-language-routing",
        K.PROCEDURAL,
        "Handled outside the queue of the ticket's language.",
    ),
    ("SLA breach", "sla-breach", K.PROCEDURAL, "Handled after the queue's service level."),
    (
        "Identity not verified",
        "identity-verification",
        K.PROCEDURAL,
        "Account details changed or shared before the holder was verified.",
    ),
    (
        "Incomplete resolution",
        "incomplete-resolution",
        K.CUSTOMER_EXPERIENCE,
        "The customer's issue was left open or only half solved.",
    ),
    ("Tone", "tone", K.CUSTOMER_EXPERIENCE, "Dismissive, blaming or curt with the customer."),
)


def ensure_taxonomy() -> list[ErrorCategory]:
    """The demo's error categories, creating any that are missing (idempotent)."""
    ensure_default_categories()
    return [
        ErrorCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "description": description}
        )[0]
        for name, slug, kind, description in TAXONOMY
    ]


# Section numbers of the program's guidelines, per policy area (labels are numbered in the
# order ``demo.tickets.POLICY_LABELS`` lists them: "Policy 4.2" is harassment's second label).
POLICY_SECTIONS = {
    "Child safety": 1,
    "Violent extremism": 2,
    "Hate speech": 3,
    "Harassment": 4,
    "Spam": 5,
    "Misinformation": 6,
    "Billing": 11,
    "Account recovery": 12,
    "Appeals": 13,
}
WHY_LABEL = {
    "Hate speech": (
        "the attack is on a protected group, not on a person",
        "the symbol is the group's, used to praise it",
    ),
    "Violent extremism": (
        "the post praises the group, it does not report on it",
        "the link invites followers to join",
    ),
    "Child safety": (
        "the adult asks to move the chat off the platform",
        "the account holder says they are a minor",
    ),
    "Harassment": (
        "the target is a private individual",
        "the message names a time and place",
        "the same accounts reply to every post",
    ),
    "Spam": ("the link leads to a payment page", "the same link was posted dozens of times"),
    "Misinformation": ("the claim is about how to vote", "the photo is from another event"),
    "Billing": ("the customer was charged twice, it is not a refund request",),
    "Account recovery": ("the email was changed by someone else: a compromised account",),
    "Appeals": ("the appeal is about the suspension, not the removed post",),
}
COMMENTS = {
    "policy-error": (
        "Policy {right_code} ({right_label}) applies, not {code} ({label}) — {why}.",
        "Label should be {right_code} ({right_label}): {why}.",
    ),
    "missed-context": (
        "The thread shows the two users are friends joking after a match; read it first.",
        "The quote comes from a news report; the author is criticising it.",
        "The reporter posted the same insult first: both sides need a look.",
        "The account was already warned twice this month; that changes the step.",
    ),
    "over-enforcement": (
        "First strike: removal and a warning, not a {days}-day suspension (ladder step 1).",
        "Age restriction was enough here; removal is for repeat posts (ladder step 2).",
    ),
    "under-enforcement": (
        "Repeat after a warning: remove and add a strike (ladder step 2), not just a warning.",
        "Kept up with a label, but the post meets 'remove' in the ladder; third strike.",
    ),
    "missed-escalation": (
        "Names a time and place: escalate to the threats team within 1 hour (matrix E2).",
        "Possible minor involved: always escalate to child safety specialists (matrix E1).",
    ),
    "evidence-missing": (
        "No screenshot or message ids in the notes; the decision cannot be reviewed.",
        "Case notes say 'violating' with no quote of what violates.",
    ),
    "procedural": (
        "Strike not recorded on the account and no notice sent to the user (procedure P3).",
        "Closed without the mandatory duplicate check (procedure P1).",
    ),
    "sla-breach": (
        "Handled {hours} hours after the report; this queue's SLA is {sla} hours.",
        "Picked up late ({hours} h against a {sla} h SLA) while the queue was short.",
    ),
    "wrong-language-routing": (
        "Handled with machine translation outside its language queue; route it to its team.",
        "Sent to the wrong language queue first; it waited a day for the re-route.",
    ),
    "identity-verification": (
        "Changed the account email before the two verification questions (KYC step 2).",
        "Read out the billing address before the caller was verified.",
    ),
    "incomplete-resolution": (
        "Refund promised but never issued; the customer will have to contact us again.",
        "Answered the first question only; the second charge is still unexplained.",
    ),
    "tone": (
        "Reply blames the customer ('you should have read the terms').",
        "Curt one-line reply to an upset customer; no apology, no next step.",
    ),
    "customer-experience": (
        "Used the refund macro for an invoice request; wrong instructions sent.",
        "Generic macro with the placeholder '[NAME]' left in.",
    ),
}
# Support queues' own wording where a category's moderation comments do not fit.
SUPPORT_AREAS = {"Billing", "Account recovery", "Appeals"}
SUPPORT_COMMENTS = {
    "missed-escalation": (
        "Refund over the agent's limit: goes to billing operations (matrix B3).",
        "Signs of a compromised account: hand over to account security (matrix A1).",
    ),
    "evidence-missing": (
        "No transaction id in the notes; billing cannot check what was refunded.",
        "Notes say 'customer verified' without saying how.",
    ),
    "procedural": (
        "Closed without the follow-up survey and case category (procedure S2).",
        "Merged into the wrong ticket instead of linking the duplicate (procedure S1).",
    ),
}

# The wrong action, per decision taken: what should have happened instead, and why.
WRONG_ACTION = {
    "keep": ("Should have been removed: it breaks policy {right_code} ({right_label}).",),
    "remove": ("Should have been kept up: {benign}; nothing in it breaks the policy.",),
    "age_restrict": (
        "Should have been removed, not age-restricted: policy {right_code} "
        "({right_label}) applies to every audience.",
        "Should have been kept up without a restriction: {benign}.",
    ),
    "escalate": (
        "No escalation needed: policy {right_code} ({right_label}) covers it; remove in the queue.",
    ),
    "resolved": ("Should have been escalated: {team} must handle this case.",),
    "refunded": ("Refund not due: the charge was valid under the plan's terms.",),
    "escalated": ("Could have been resolved in the queue with the standard steps.",),
}
BENIGN = (
    "criticism of an idea, not of people",
    "news reporting on the topic",
    "a joke between friends in the thread",
    "counter-speech quoting the abuse",
)
TEAMS = ("billing operations", "the account security team", "the appeals review board")


def auditor_comment(
    rng: random.Random,
    category: str,
    *,
    policy_area: str,
    decision: str,
    policy_label: str,
    labels: tuple[str, ...],
) -> str:
    """What the demo's auditor writes on an answer in error of ``category``, for a ticket of
    ``policy_area`` decided ``decision`` with ``policy_label`` (``labels``: the area's labels,
    in guideline order)."""
    section = POLICY_SECTIONS.get(policy_area, 9)
    taken = policy_label.rsplit(".", 1)[-1]
    index = labels.index(taken) if taken in labels else None
    right = rng.choice([i for i in range(len(labels)) if i != index] or [0])
    support = SUPPORT_COMMENTS if policy_area in SUPPORT_AREAS else {}
    templates = (
        support.get(category)
        or COMMENTS.get(category)
        or WRONG_ACTION.get(decision, ("The decision does not follow the guidelines' examples.",))
    )
    if category == "policy-error" and index is None:
        templates = ("Policy {right_code} ({right_label}) applies, not 'no violation' — {why}.",)
    return rng.choice(templates).format(
        code=f"{section}.{index + 1}" if index is not None else "none",
        label=taken.replace("_", " "),
        right_code=f"{section}.{right + 1}",
        right_label=labels[right].replace("_", " "),
        why=rng.choice(WHY_LABEL.get(policy_area, ("the guidelines' examples say so",))),
        benign=rng.choice(BENIGN),
        team=rng.choice(TEAMS),
        days=rng.choice((3, 7, 30)),
        hours=rng.randint(5, 30),
        sla=rng.choice((2, 4)),
    )
