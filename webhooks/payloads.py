"""What each webhook event says: ids and the key fields, split into what the event's vendor
may see and what only internal endpoints get (who audited, who decided, a re-audit).

A payload never carries an audit's internal note, a comment, a dispute's reasons or a lead's
replies: those are texts for the pages, where their readers are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse

from scorecards.model_flags import flag_text, flag_url


@dataclass
class Payload:
    vendor_id: int | None
    data: dict
    internal: dict = field(default_factory=dict)

    def for_vendor(self, vendor_bound: bool) -> dict:
        return dict(self.data) if vendor_bound else {**self.data, **self.internal}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _moment(value) -> str | None:
    return None if value is None else value.isoformat()


def _ticket(ticket) -> dict:
    return {"ticket": {"id": ticket.pk, "source": ticket.source,
                       "external_id": ticket.external_id},
            "vendor": ticket.vendor.slug}


def audit_finalised(audit) -> Payload | None:
    audit = type(audit).objects.select_related(
        "ticket__vendor", "ticket__site", "ticket__workflow", "auditor").get(pk=audit.pk)
    ticket = audit.ticket
    data = {
        "audit": audit.pk, **_ticket(ticket), "site": ticket.site.slug,
        "workflow": ticket.workflow.slug, "score": _number(audit.score),
        "passed": audit.passed, "critical_failed": audit.critical_failed,
        "error_count": audit.error_count, "errors": list(audit.errors),
        "finalised_at": _moment(audit.finalised_at),
        "url": reverse("audits:audit_detail", args=[audit.pk]),
    }
    internal = {"auditor": audit.auditor.email if audit.auditor else None}
    if audit.reaudit_of_id:
        # A re-audit grades our own auditor: internal news only.
        return Payload(None, data, {**internal, "reaudit_of": audit.reaudit_of_id})
    return Payload(ticket.vendor_id, data, internal)


def _dispute(dispute) -> tuple:
    dispute = type(dispute).objects.select_related(
        "audit__ticket__vendor", "raised_by", "resolved_by").get(pk=dispute.pk)
    data = {"dispute": dispute.pk, "audit": dispute.audit_id, **_ticket(dispute.audit.ticket),
            "status": dispute.status, "url": reverse("audits:dispute_detail", args=[dispute.pk])}
    return dispute, data


def dispute_raised(dispute) -> Payload:
    dispute, data = _dispute(dispute)
    data |= {"questions": sorted(dispute.questions.values_list("question_key", flat=True)),
             "raised_at": _moment(dispute.raised_at), "due_at": _moment(dispute.due_at)}
    return Payload(dispute.audit.ticket.vendor_id, data,
                   {"raised_by": dispute.raised_by.email if dispute.raised_by else None})


def dispute_decided(dispute) -> Payload:
    dispute, data = _dispute(dispute)
    data |= {
        "decisions": dict(dispute.questions.order_by("question_key")
                          .values_list("question_key", "decision")),
        "score_before": _number(dispute.score_before), "score_after": _number(dispute.score_after),
        "resolved_at": _moment(dispute.resolved_at),
    }
    return Payload(dispute.audit.ticket.vendor_id, data,
                   {"resolved_by": dispute.resolved_by.email if dispute.resolved_by else None})


def coaching_opened(action) -> Payload:
    action = type(action).objects.select_related(
        "vendor", "site", "agent", "category", "owner").get(pk=action.pk)
    data = {
        "action": action.pk, "vendor": action.vendor.slug, "level": action.level,
        "site": action.site.slug if action.site else None,
        "agent": action.agent.external_id if action.agent else None,
        "category": action.category.slug if action.category else None,
        "title": action.title, "due_date": action.due_date.isoformat(),
        "status": action.status, "url": reverse("coaching:action_detail", args=[action.pk]),
    }
    return Payload(action.vendor_id, data,
                   {"owner": action.owner.email if action.owner else None})


def coaching_overdue(action) -> Payload:
    """The action as at ``coaching.opened``; its due date has passed and it is not done."""
    return coaching_opened(action)


def run_drawn(run) -> Payload:
    run = type(run).objects.select_related("plan").get(pk=run.pk)
    return Payload(None, {
        "run": run.pk, "plan": {"id": run.plan_id, "name": run.plan.name},
        "window_start": _moment(run.window_start), "window_end": _moment(run.window_end),
        "population_size": run.population_size, "sample_size": run.sample_size,
        "finished_at": _moment(run.finished_at),
    })


def calibration_closed(session) -> Payload:
    session = type(session).objects.select_related("vendor").get(pk=session.pk)
    return Payload(None, {
        "session": session.pk, "name": session.name,
        "vendor": session.vendor.slug if session.vendor else None,
        "closed_at": _moment(session.closed_at),
        "url": reverse("calibration:session_detail", args=[session.pk]),
    })


def model_degraded(check) -> Payload:
    """A red flag: a scoring model got significantly worse (``scorecards.model_flags``).
    Internal only: the model's record covers every vendor's tickets."""
    result = check.result
    return Payload(None, {
        "kind": "model_degraded", "text": flag_text(check), "url": flag_url(check),
        "model": check.model,
        "recent": {"first": check.recent[0].isoformat(), "last": check.recent[1].isoformat(),
                   "audits": check.recent_audits},
        "reference": {"first": check.reference[0].isoformat(),
                      "last": check.reference[1].isoformat(), "audits": check.reference_audits},
        "auc": {"reference": result.reference_auc.value if result.reference_auc else None,
                "recent": result.recent_auc.value if result.recent_auc else None,
                "p_value": result.auc_p},
        "observed_minus_predicted": {"reference": result.reference_calibration.gap,
                                     "recent": result.recent_calibration.gap,
                                     "p_value": result.calibration_p},
    })


def slack_text(payload: dict) -> str:
    """One line a person reads in a Slack channel; the link is relative to the program."""
    data, event = payload["data"], payload["event"]
    if event == "audit.finalised":
        score = "no score" if data["score"] is None else f"score {data['score']:g}"
        verdict = {True: "pass", False: "fail", None: "no verdict"}[data["passed"]]
        text = (f"Audit #{data['audit']} of ticket {data['ticket']['external_id']} "
                f"({data['vendor']}) is final: {score}, {verdict}, "
                f"{data['error_count']} question(s) in error"
                f"{', a critical error' if data['critical_failed'] else ''}.")
    elif event == "dispute.raised":
        text = (f"{data['vendor']} disputes {len(data['questions'])} question(s) of audit "
                f"#{data['audit']} (ticket {data['ticket']['external_id']}); "
                f"due {data['due_at']}.")
    elif event == "dispute.decided":
        text = (f"Dispute #{data['dispute']} of audit #{data['audit']} ({data['vendor']}) is "
                f"decided: score {data['score_before']} → {data['score_after']}.")
    elif event == "coaching.opened":
        text = (f"Coaching action for {data['vendor']}: {data['title']} "
                f"(due {data['due_date']}).")
    elif event == "coaching.overdue":
        text = (f"Coaching action for {data['vendor']} is overdue: {data['title']} "
                f"(was due {data['due_date']}).")
    elif event == "run.drawn":
        text = (f"Sample run #{data['run']} of plan {data['plan']['name']} is drawn: "
                f"{data['sample_size']} of {data['population_size']} tickets.")
    elif event == "calibration.closed":
        text = f"Calibration session {data['name']} is closed."
    elif event == "red_flag.raised":
        text = f"Red flag: {data['text']}"
    else:
        text = event
    url = data.get("url")
    return f"*{event}* {text}" + (f" ({url})" if url else "")
