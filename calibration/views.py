"""Calibration pages: the sessions, a session (progress, results, decisions), blind scoring
and the answer key.

Thin: who may see what is ``calibration.selectors``, every change is
``calibration.sessions``, whose refusals become a message (``CalibrationError``), a 403
(``NotAllowed``) or, for sessions the user may not see, a 404.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import internal_page, role_required
from audit_forms.catalog import version_with_parts
from audit_forms.scoring import InvalidAnswers
from audits.selectors import scoring_sheet

from . import results as numbers
from . import selectors, sessions, track_record
from .forms import InviteForm, ItemsForm, SessionForm
from .models import CalibrationItem, ItemSource, Participant, SessionStatus


# Lead pages: vendor users get 404 (the page does not exist for them, as a session they
# are not invited to), auditors 403.
def lead_required(view):
    return internal_page(role_required("is_manager")(view))


def _may_use(user) -> bool:
    return bool(user.is_internal or user.is_vendor_user)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    if not _may_use(request.user):
        raise Http404("No such page.")
    mine = set(Participant.objects.filter(user=request.user).values_list("session_id", flat=True))
    return render(request, "calibration/list.html", {
        "sessions": selectors.sessions_visible_to(request.user), "mine": mine,
        "is_lead": sessions.is_lead(request.user),
    })


@lead_required
def session_new(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = sessions.create_session(by=request.user, **form.cleaned_data)
        except sessions.CalibrationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Created {session}: now add its tickets and people.")
            return redirect("calibration:session_detail", pk=session.pk)
    return render(request, "calibration/new.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    session = selectors.session_for(user, pk)
    lead = sessions.is_lead(user)
    items = list(session.items.select_related("ticket__vendor", "ticket__workflow"))
    context = {
        "session": session, "items": items, "is_lead": lead,
        "participating": sessions.is_participant(session, user),
        "scored": selectors.scored_item_ids(session, user),
        "progress": selectors.progress(session) if lead or session.is_closed else [],
        "questions": selectors.form_questions(session),
        "reliable": numbers.RELIABLE, "tentative": numbers.TENTATIVE,
    }
    notes = selectors.notes_by_key(session)
    context["decisions"] = [(key, notes.get(key)) for key, _kind in context["questions"]]
    if lead and not session.is_closed:
        context["items_form"] = ItemsForm(initial={"source": ItemSource.RANDOM})
        context["invite_form"] = InviteForm()
    if session.is_closed:
        result = selectors.session_results(session)
        grid_items, grid = selectors.answer_grid(session, result)
        context.update(result=result, grid_items=grid_items, grid=grid,
                       gold=selectors.gold_visible_to(user, session))
    return render(request, "calibration/detail.html", context)


def _ids(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


@require_POST
@lead_required
def session_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """The lead's steps: add items, invite, remove an item, open, close."""
    session = selectors.session_for(request.user, pk)
    by = request.user
    try:
        if step == "items":
            form = ItemsForm(request.POST)
            if not form.is_valid():
                raise sessions.CalibrationError(
                    "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            data = form.cleaned_data
            if data["source"] == ItemSource.PICKED:
                added = sessions.add_picked_items(session, by=by,
                                                  external_ids=_ids(data["external_ids"]))
            elif data["source"] == ItemSource.DISPUTES:
                added = sessions.add_overturned_dispute_items(
                    session, by=by, count=data["count"] or 10, vendors=data["vendors"])
            else:
                added = sessions.add_random_items(
                    session, by=by, count=data["count"] or 10, vendors=data["vendors"],
                    workflows=data["workflows"], days=data["days"] or 30)
            messages.success(request, f"Added {len(added)} ticket{'s' * (len(added) != 1)}.")
        elif step == "invite":
            form = InviteForm(request.POST)
            if not form.is_valid():
                raise sessions.CalibrationError("person: choose someone to invite")
            sessions.invite(session, form.cleaned_data["user"], by=by)
            messages.success(request, f"Invited {form.cleaned_data['user']}.")
        elif step == "remove":
            item = get_object_or_404(CalibrationItem, session=session,
                                     pk=request.POST.get("item") or 0)
            sessions.remove_item(session, item, by=by)
        elif step == "open":
            sessions.open_session(session, by=by)
            messages.success(request, "The session is open: participants can score.")
        elif step == "close":
            sessions.close_session(session, by=by)
            messages.success(request, "The session is closed: the results are final.")
        else:
            raise Http404("No such step.")
    except sessions.CalibrationError as error:
        messages.error(request, str(error))
    return redirect("calibration:session_detail", pk=session.pk)


@login_required
def item_score(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """A participant scores one item blind, on the auditors' own scoring sheet."""
    user = request.user
    session = selectors.session_for(user, pk)
    item = selectors.item_for(user, session, item_pk)
    if not sessions.is_participant(session, user):
        raise Http404("You are not a participant of this session.")
    if session.status != SessionStatus.OPEN:
        messages.info(request, f"{session} is {session.get_status_display().lower()}.")
        return redirect("calibration:session_detail", pk=session.pk)
    own = {r.question_key: r.answer for r in item.ratings.filter(rater=user)}
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        answers = {key[2:]: value for key, value in request.POST.items()
                   if key.startswith("q_")}
        try:
            sessions.score_item(item, user, answers)
        except InvalidAnswers as invalid:
            own, problems, status = answers, invalid.problems, 400
        else:
            following = _next_unscored(session, user, item)
            messages.success(request, f"Scored {item.ticket}.")
            if following is not None and "next" in request.POST:
                return redirect("calibration:item_score", pk=session.pk, item_pk=following.pk)
            return redirect("calibration:session_detail", pk=session.pk)
    sheet = scoring_sheet(version_with_parts(session.form_version_id), own, {}, problems)
    return render(request, "calibration/score.html", {
        "session": session, "item": item, "sheet": sheet, "problems": problems,
        "question_count": sum(len(s.questions) for s in sheet),
        "remaining": session.items.count() - len(selectors.scored_item_ids(session, user)),
    }, status=status)


def _next_unscored(session, user, item) -> CalibrationItem | None:
    done = selectors.scored_item_ids(session, user)
    return session.items.exclude(pk__in=done).exclude(pk=item.pk).first()


@lead_required
def item_gold(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The lead's answer key for one item: an answer and a rationale per question."""
    session = selectors.session_for(request.user, pk)
    item = selectors.item_for(request.user, session, item_pk)
    version = version_with_parts(session.form_version_id)
    gold = {g.question_key: g for g in item.gold.all()}
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        answers = {q.key: (request.POST.get(f"q_{q.key}", ""),
                           request.POST.get(f"why_{q.key}", ""))
                   for q in version.questions.all()}
        try:
            sessions.set_gold(item, by=request.user, answers=answers)
        except InvalidAnswers as invalid:
            problems, status = invalid.problems, 400
        except sessions.CalibrationError as error:
            messages.error(request, str(error))
            return redirect("calibration:session_detail", pk=session.pk)
        else:
            messages.success(request, f"Saved the gold answers of {item.ticket}.")
            return redirect("calibration:session_detail", pk=session.pk)
    sheet = scoring_sheet(version, {k: g.answer for k, g in gold.items()}, {}, problems)
    rationale = {k: g.rationale for k, g in gold.items()}
    for section in sheet:
        for q in section.questions:
            q.rationale = rationale.get(q.key, "")
    return render(request, "calibration/gold.html", {
        "session": session, "item": item, "sheet": sheet, "problems": problems,
    }, status=status)


@require_POST
@lead_required
def question_decision(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Save the decision on a question, or turn it into guidance in the form's draft."""
    session = selectors.session_for(request.user, pk)
    try:
        if "guidance" in request.POST:
            draft = sessions.turn_into_guidance(session, key, request.POST.get("guidance", ""),
                                                by=request.user)
            messages.success(request, f"The guidance of “{key}” is in {draft}: publish it from "
                                      "the form builder.")
        else:
            sessions.save_note(session, key, request.POST.get("note", ""), by=request.user)
            messages.success(request, f"Saved the decision on “{key}”.")
    except sessions.CalibrationError as error:
        messages.error(request, str(error))
    return redirect(f"{session_url(session)}#decision-{key}")


def session_url(session) -> str:
    return reverse("calibration:session_detail", kwargs={"pk": session.pk})


@lead_required
def reliability(request: HttpRequest) -> HttpResponse:
    """Auditor reliability over time: everyone's accuracy against gold and agreement with
    the group, drift, and each form's alpha session by session (closed sessions only)."""
    return render(request, "calibration/reliability.html", {
        "report": track_record.reliability_report(),
        "tentative": numbers.TENTATIVE, "reliable": numbers.RELIABLE,
        "window_days": track_record.reliability.DRIFT_WINDOW_DAYS,
        "min_answers": track_record.reliability.DRIFT_MIN_ANSWERS,
    })


def own_reliability_panel(request: HttpRequest) -> str:
    """The "My calibration" section of an auditor's home, rendered for the page that composes
    the home (``qa_program.home``: the auditor's home lives in ``audits``, below this app)."""
    mine = track_record.own_reliability(request.user)
    if mine is None:
        return ""  # no section until a closed session holds their answers and gold
    return render_to_string("calibration/_own_reliability.html", {
        "mine": mine, "window_days": track_record.reliability.DRIFT_WINDOW_DAYS,
    }, request=request)
