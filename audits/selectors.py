"""Reading audits for people: the auditor's queue, one audit's page, its history.

Every function starts from ``audits_visible_to``, which is ``accounts.scoping.visible_to``
plus the one rule that is about audits rather than vendors: a vendor POC sees only audits
that have been finalised (a submitted score may still be reopened and changed by QA, so it
is not yet a finding). Internal notes are never read into anything a vendor is shown: pages
check ``show_internal`` and the API drops the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.scoping import visible_to
from audit_forms.catalog import version_with_parts
from audit_forms.models import ErrorCategory, FormQuestion, FormVersion
from tickets.models import Ticket

from .models import OPEN_STATUSES, VENDOR_WORK, Audit, AuditEvent, AuditStatus

ANSWER_LABELS = {"yes": "Yes", "no": "No", "pass": "Pass", "fail": "Fail", "na": "N/A"}


def audits_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """The audits ``user`` may see: scoped by vendor, and only finalised ones for vendors,
    never a re-audit. Re-audits are blind: while one is in someone's queue, the audit it
    scores again is hidden from them (page, list, API, export)."""
    audits = visible_to(user, Audit.objects.all() if queryset is None else queryset)
    if getattr(user, "is_vendor_user", False):
        # A dispute of a final audit keeps it visible; a reopened one (finalised_at cleared)
        # is back in QA's hands until it is final again. A re-audit grades our auditor.
        audits = audits.filter(VENDOR_WORK).filter(
            Q(status=AuditStatus.FINAL)
            | Q(status__in=(AuditStatus.DISPUTED, AuditStatus.RESOLVED), finalised_at__isnull=False)
        )
    elif getattr(user, "pk", None):
        audits = audits.filter(~Exists(blind_to(user).filter(reaudit_of=OuterRef("pk"))))
    return audits


def blind_to(user) -> QuerySet:
    """The re-audits ``user`` is still to score: they may not see the audits these score
    again until they have submitted."""
    return Audit.objects.filter(
        reaudit_of__isnull=False, auditor=user, status__in=OPEN_STATUSES
    )


def shows_internal(user) -> bool:
    """Whether internal notes and the QA trail may be shown to ``user``."""
    return bool(getattr(user, "is_internal", False))


# ----- the queue ----------------------------------------------------------------------------


def auditor_queue(user) -> QuerySet:
    """The user's assigned and in-progress audits: soonest due first, then by workflow."""
    return (
        audits_visible_to(user)
        .filter(auditor=user, status__in=OPEN_STATUSES)
        .select_related("ticket__workflow", "ticket__vendor", "ticket__site")
        .order_by(F("due_at").asc(nulls_last=True), "ticket__workflow__name", "pk")
    )


def next_queued_audit(user) -> Audit | None:
    return auditor_queue(user).first()


def queue_counts(user, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Open, in progress, overdue and submitted-today counts for the queue header, in one
    query. "Today" is the server's local day (settings.TIME_ZONE)."""
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    open_ = Q(status__in=OPEN_STATUSES)
    today = Q(submitted_at__gte=day_start)
    # Filtering first keeps the count to the open and today's rows (both indexed), not
    # every audit the auditor ever did.
    return audits_visible_to(user).filter(open_ | today, auditor=user).aggregate(
        open=Count("pk", filter=open_),
        in_progress=Count("pk", filter=Q(status=AuditStatus.IN_PROGRESS)),
        overdue=Count("pk", filter=open_ & Q(due_at__lt=now)),
        submitted_today=Count("pk", filter=today),
    )


def queue_by_workflow(user) -> list[dict]:
    """Open audits per workflow, largest first (one grouped query)."""
    return list(
        audits_visible_to(user)
        .filter(auditor=user, status__in=OPEN_STATUSES)
        .order_by()
        .values(workflow=F("ticket__workflow__name"))
        .annotate(open=Count("pk"))
        .order_by("-open", "workflow")
    )


# ----- one audit ----------------------------------------------------------------------------


def audit_for_page(user, pk: int) -> Audit:
    """One audit with its ticket and form, or 404 when ``user`` may not see it."""
    return get_object_or_404(
        audits_visible_to(user).select_related(
            "ticket__vendor", "ticket__site", "ticket__agent", "ticket__workflow",
            "form_version__form", "auditor",
        ),
        pk=pk,
    )


def audit_events(user, audit: Audit) -> QuerySet:
    """The lifecycle trail (internal: vendors get none)."""
    return visible_to(user, AuditEvent.objects.filter(audit=audit).select_related("by"))


@dataclass
class Option:
    value: str
    label: str
    hotkey: str = ""
    is_error: bool = False


@dataclass
class SheetQuestion:
    key: str
    number: int
    label: str
    guidance: str
    kind: str
    required: bool
    critical: bool
    error_hint: str
    options: list[Option]
    answer: str = ""
    note: str = ""
    problem: str = ""

    @property
    def missing(self) -> bool:
        return bool(self.problem)

    @property
    def answer_label(self) -> str:
        return next((o.label for o in self.options if o.value == self.answer), self.answer)

    @property
    def is_error(self) -> bool:
        return any(o.value == self.answer and o.is_error for o in self.options)


@dataclass
class SheetSection:
    key: str
    title: str
    weight: float
    questions: list[SheetQuestion] = field(default_factory=list)


def load_version(version_id: int) -> FormVersion:
    """A form version with every part prefetched (sections, questions, choices, categories)."""
    return version_with_parts(version_id)


def scoring_sheet(
    version: FormVersion,
    answers: dict[str, str],
    comments: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> list[SheetSection]:
    """The form as the scoring and audit pages show it: numbered questions with their
    answer options (and the key that picks each), the current answers and any problem."""
    comments = comments or {}
    problems = problems or {}
    sheet: list[SheetSection] = []
    number = 0
    for section in version.sections.all():
        rows = SheetSection(section.key, section.title, float(section.weight))
        for question in section.questions.all():
            number += 1
            rows.questions.append(SheetQuestion(
                key=question.key,
                number=number,
                label=question.text,
                guidance=question.guidance,
                kind=question.kind,
                required=question.required,
                critical=question.critical,
                error_hint=question.error_category.name if question.error_category else "",
                options=answer_options(question),
                answer=answers.get(question.key, ""),
                note=comments.get(question.key, ""),
                problem=problems.get(question.key, ""),
            ))
        sheet.append(rows)
    return sheet


def answer_options(question: FormQuestion) -> list[Option]:
    """The answers a question offers, with the key that picks each on the scoring page."""
    kind = question.kind
    if kind == FormQuestion.Kind.YES_NO:
        options = [Option("yes", "Yes", "y"), Option("no", "No", "n", True)]
    elif kind == FormQuestion.Kind.PASS_FAIL:
        options = [Option("pass", "Pass", "y"), Option("fail", "Fail", "n", True)]
    elif kind == FormQuestion.Kind.SCALE:
        options = [
            Option(str(v), str(v), str(v), v <= question.scale_error_at_or_below)
            for v in range(1, 6)
        ]
    else:
        options = [
            Option(c.value, c.label, str(i) if i <= 9 else "", c.is_error)
            for i, c in enumerate(question.choices.all(), start=1)
        ]
    if question.na_allowed:
        options.append(Option("na", "N/A", "a"))
    return options


def section_score_rows(sheet: list[SheetSection], audit: Audit) -> list[dict]:
    return [
        {"title": s.title, "score": audit.section_scores.get(s.key)}
        for s in sheet if s.key in audit.section_scores
    ]


def error_category_rows(audit: Audit) -> list[dict]:
    """Error counts by category name (the audit stores slugs)."""
    names = dict(
        ErrorCategory.objects.filter(slug__in=list(audit.error_categories))
        .values_list("slug", "name")
    )
    return sorted(
        ({"name": names.get(slug, slug), "count": count}
         for slug, count in audit.error_categories.items()),
        key=lambda row: (-row["count"], row["name"]),
    )


# ----- history ------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    when: dt.datetime
    who: object
    reason: str
    changes: list[dict]


def history_of_changes(audit: Audit, sheet: list[SheetSection], *, show_internal: bool
                       ) -> list[HistoryEntry]:
    """Every recorded change since the first submission, newest first, as readable
    before → after pairs (answers by question, score, verdict, status, comments)."""
    questions = {q.key: q for section in sheet for q in section.questions}
    records = list(audit.history.select_related("history_user").order_by("history_date",
                                                                          "history_id"))
    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        changes = _record_changes(previous, record, questions, show_internal)
        if changes:
            entries.append(HistoryEntry(record.history_date, record.history_user,
                                        record.history_change_reason or "", changes))
        previous = record
    return entries[::-1]


def _record_changes(previous, record, questions, show_internal) -> list[dict]:
    def label_of(key, value):
        question = questions.get(key)
        if question is None:
            return ANSWER_LABELS.get(value, value)
        return next((o.label for o in question.options if o.value == value), value)

    def title_of(key):
        question = questions.get(key)
        return f"{question.number}. {question.label}" if question else key

    changes: list[dict] = []
    if previous is None:
        changes.append({"field": "Status", "old": "", "new": record.get_status_display()})
        changes.append({"field": "Score", "old": "", "new": record.score})
        return changes
    for name, title in (("status", "Status"), ("score", "Score"), ("passed", "Passed")):
        old, new = getattr(previous, name), getattr(record, name)
        if old != new:
            if name == "status":
                old, new = previous.get_status_display(), record.get_status_display()
            changes.append({"field": title, "old": old, "new": new})
    for key in sorted(set(previous.answers) | set(record.answers),
                      key=lambda k: getattr(questions.get(k), "number", 10_000)):
        old, new = previous.answers.get(key, ""), record.answers.get(key, "")
        if old != new:
            changes.append({"field": title_of(key), "old": label_of(key, old),
                            "new": label_of(key, new)})
    for key in sorted(set(previous.comments) | set(record.comments)):
        old, new = previous.comments.get(key, ""), record.comments.get(key, "")
        if old != new:
            changes.append({"field": f"Comment on {title_of(key)}", "old": old, "new": new})
    if show_internal and previous.internal_note != record.internal_note:
        changes.append({"field": "Internal note", "old": previous.internal_note,
                        "new": record.internal_note})
    return changes


# ----- ad-hoc audits ------------------------------------------------------------------------


def tickets_by_id(user, query: str, *, limit: int = 10) -> list[Ticket]:
    """Tickets whose external id is ``query`` (or whose number is, for digits)."""
    query = query.strip()
    if not query:
        return []
    match = Q(external_id=query)
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    if query.isascii() and query.isdigit():
        match |= Q(pk=int(query))
    return list(
        visible_to(user, Ticket.objects.select_related("vendor", "site", "agent", "workflow"))
        .filter(match)
        .order_by("-handled_at", "pk")[:limit]
    )


def published_versions_for(workflow_id: int) -> QuerySet:
    return (
        FormVersion.objects.published().for_workflow(workflow_id)
        .select_related("form").order_by("form__name")
    )
