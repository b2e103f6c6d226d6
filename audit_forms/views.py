"""Pages of the audit-form builder. Thin: every change is a call into ``forms_catalog``.

Internal staff read forms; only program managers (and admins) change them; vendor users
get 404, as for anything they may not see. Every POST that edits a form part goes through
a domain function that refuses a published or retired version, and the page answers such
a request with 409 and the reason.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import internal_page

from . import catalog as catalog
from .forms import (
    ChoiceForm,
    ErrorCategoryForm,
    FormImportForm,
    FormWorkflowsForm,
    NewFormForm,
    QuestionForm,
    SectionForm,
    VersionSettingsForm,
    category_options,
)
from .json_format import FormImportError, export_version, import_version
from .models import AuditForm, ErrorCategory, FormChoice, FormQuestion, FormSection, FormVersion


def managers_only(view):
    """Program managers edit; auditors may look (403 on edits); vendor users get 404. A
    refused edit of a frozen version answers 409 with the reason."""

    @wraps(view)
    @internal_page
    def wrapped(request, *args, **kwargs):
        if not request.user.is_manager:
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except catalog.FrozenVersion as refusal:
            return render(request, "audit_forms/refused.html", {"reason": refusal}, status=409)

    return wrapped


def builder_url(version: FormVersion, anchor: str = "") -> str:
    url = reverse("audits:form_version", args=[version.pk])
    return f"{url}#{anchor}" if anchor else url


def report_problems(request, error: catalog.FormEditError) -> None:
    for problem in error.problems:
        messages.error(request, problem)


def form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{field}: {error}" if field != "__all__" else error)


@internal_page
def form_list(request):
    forms = AuditForm.objects.prefetch_related("workflows").annotate(
        published=Count("versions", filter=Q(versions__status="published")),
        drafts=Count("versions", filter=Q(versions__status="draft")),
        version_count=Count("versions"),
    )
    return render(request, "audit_forms/form_list.html", {"forms": forms})


@managers_only
def form_create(request):
    form = NewFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = catalog.create_form(created_by=request.user, **form.cleaned_data)
        except catalog.FormEditError as error:
            form.add_error("name", error.problems[0].split(": ", 1)[-1])
        else:
            return redirect(builder_url(version))
    return render(request, "audit_forms/form_create.html", {"form": form})


@internal_page
def form_detail(request, slug):
    audit_form = get_object_or_404(AuditForm.objects.prefetch_related("workflows"), slug=slug)
    versions = list(
        audit_form.versions.select_related("published_by", "retired_by")
        .annotate(audit_count=Count("audits")).order_by("-number")
    )
    details = FormWorkflowsForm(instance=audit_form) if request.user.is_manager else None
    return render(request, "audit_forms/form_detail.html", {
        "audit_form": audit_form, "versions": versions, "details_form": details,
        "draft": next((v for v in versions if v.is_draft), None),
        "import_form": FormImportForm(),
    })


@managers_only
@require_POST
def form_update(request, slug):
    audit_form = get_object_or_404(AuditForm, slug=slug)
    details = FormWorkflowsForm(request.POST, instance=audit_form)
    if details.is_valid():
        details.save()
        messages.success(request, "Saved.")
    else:
        form_errors(request, details)
    return redirect("audits:form_detail", slug=slug)


@managers_only
@require_POST
def draft_start(request, slug):
    audit_form = get_object_or_404(AuditForm, slug=slug)
    draft = catalog.start_draft(audit_form, by=request.user)
    return redirect(builder_url(draft))


@internal_page
def version_detail(request, pk):
    """The builder for a draft (managers), a read-only view of anything else."""
    version = get_object_or_404(FormVersion, pk=pk)
    version = catalog.version_with_parts(version.pk)
    editable = version.is_draft and request.user.is_manager
    shares = catalog.question_shares(version)
    options = category_options() if editable else None
    for section in version.sections.all():
        for question in section.questions.all():
            question.share = shares[question.pk]
            if editable:
                question.edit_form = QuestionForm(
                    instance=question, prefix=f"q{question.pk}", category_options=options
                )
                question.new_choice_form = ChoiceForm(
                    prefix="new-choice", auto_id=f"id_q{question.pk}_new_%s",
                    category_options=options,
                )
                for choice in question.choices.all():
                    choice.edit_form = ChoiceForm(
                        instance=choice, prefix=f"c{choice.pk}", category_options=options
                    )
        if editable:
            section.edit_form = SectionForm(instance=section, prefix=f"s{section.pk}")
            section.new_question_form = QuestionForm(
                prefix="new-question", auto_id=f"id_s{section.pk}_new_%s",
                category_options=options,
            )
    context = {
        "version": version, "audit_form": version.form, "editable": editable,
        "draft": version.form.versions.drafts().first(),
    }
    if editable:
        context.update(
            settings_form=VersionSettingsForm(instance=version),
            new_section_form=SectionForm(prefix="new-section"),
            problems=catalog.publication_problems(version),
        )
    return render(request, "audit_forms/version.html", context)


@internal_page
def version_export(request, pk):
    version = get_object_or_404(FormVersion.objects.select_related("form"), pk=pk)
    response = JsonResponse(export_version(version), json_dumps_params={"indent": 2})
    name = f"{version.form.slug}-v{version.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@managers_only
def form_import(request, slug=None):
    """Import a JSON form: as a new form, or (from a form's page) as its next draft."""
    audit_form = get_object_or_404(AuditForm, slug=slug) if slug else None
    upload = FormImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and upload.is_valid():
        try:
            data = json.load(request.FILES["file"])
        except (ValueError, UnicodeDecodeError) as error:
            problems = [f"{request.FILES['file'].name}: not valid JSON ({error})"]
        else:
            try:
                version = import_version(data, by=request.user, form=audit_form)
            except FormImportError as error:
                problems = [f"{request.FILES['file'].name}: {p}" for p in error.problems]
            else:
                messages.success(request, f"Imported as {version} (a draft: check and publish).")
                return redirect(builder_url(version))
    status = 400 if problems else 200
    return render(request, "audit_forms/form_import.html", {
        "form": upload, "audit_form": audit_form, "problems": problems,
    }, status=status)


@managers_only
@require_POST
def version_publish(request, pk):
    version = get_object_or_404(FormVersion, pk=pk)
    try:
        catalog.publish_version(version, by=request.user)
    except catalog.FormEditError as error:
        report_problems(request, error)
    else:
        messages.success(request, f"{version} is published; new audits use it.")
    return redirect(builder_url(version))


@managers_only
@require_POST
def version_retire(request, pk):
    version = get_object_or_404(FormVersion, pk=pk)
    try:
        catalog.retire_version(version, by=request.user)
    except catalog.FormEditError as error:
        report_problems(request, error)
    return redirect("audits:form_detail", slug=version.form.slug)


@managers_only
@require_POST
def version_discard(request, pk):
    version = get_object_or_404(FormVersion, pk=pk)
    slug = version.form.slug
    catalog.require_draft(version)
    version.delete()
    messages.success(request, f"Draft {version} discarded.")
    return redirect("audits:form_detail", slug=slug)


@managers_only
@require_POST
def version_settings(request, pk):
    version = get_object_or_404(FormVersion, pk=pk)
    catalog.require_draft(version)
    form = VersionSettingsForm(request.POST, instance=FormVersion.objects.get(pk=pk))
    if form.is_valid():
        catalog.update_version_settings(version, **form.cleaned_data)
    else:
        form_errors(request, form)
    return redirect(builder_url(version, "settings"))


def edit_part(request, form, apply, version, anchor):
    """Validate ``form`` and hand its data to the domain function ``apply``."""
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not (k in ("key", "value") and not v)}
        try:
            part = apply(data)
        except catalog.FormEditError as error:
            report_problems(request, error)
        else:
            anchor = f"{part._meta.model_name}-{part.pk}" if part is not None else anchor
    else:
        form_errors(request, form)
    return redirect(builder_url(version, anchor))


@managers_only
@require_POST
def section_add(request, pk):
    version = get_object_or_404(FormVersion, pk=pk)
    catalog.require_draft(version)
    form = SectionForm(request.POST, prefix="new-section")
    return edit_part(request, form, lambda d: catalog.add_section(version, **d), version, "")


@managers_only
@require_POST
def section_edit(request, pk):
    section = get_object_or_404(FormSection.objects.select_related("version"), pk=pk)
    catalog.require_draft(section.version)
    form = SectionForm(request.POST, instance=FormSection.objects.get(pk=pk), prefix=f"s{pk}")
    return edit_part(
        request, form, lambda d: catalog.update_section(section, **d), section.version, ""
    )


@managers_only
@require_POST
def question_add(request, pk):
    section = get_object_or_404(FormSection.objects.select_related("version"), pk=pk)
    catalog.require_draft(section.version)
    form = QuestionForm(request.POST, prefix="new-question")
    return edit_part(
        request, form, lambda d: catalog.add_question(section, **d), section.version,
        f"formsection-{section.pk}",
    )


@managers_only
@require_POST
def question_edit(request, pk):
    question = get_object_or_404(FormQuestion.objects.select_related("section__version"), pk=pk)
    version = question.section.version
    catalog.require_draft(version)
    form = QuestionForm(request.POST, instance=FormQuestion.objects.get(pk=pk), prefix=f"q{pk}")
    return edit_part(request, form, lambda d: catalog.update_question(question, **d), version, "")


@managers_only
@require_POST
def choice_add(request, pk):
    question = get_object_or_404(FormQuestion.objects.select_related("section__version"), pk=pk)
    version = question.section.version
    catalog.require_draft(version)
    form = ChoiceForm(request.POST, prefix="new-choice")

    def add(data):
        catalog.add_choice(question, **data)
        return question

    return edit_part(request, form, add, version, "")


@managers_only
@require_POST
def choice_edit(request, pk):
    choice = get_object_or_404(FormChoice.objects.select_related("question__section__version"),
                               pk=pk)
    version = choice.question.section.version
    catalog.require_draft(version)
    form = ChoiceForm(request.POST, instance=FormChoice.objects.get(pk=pk), prefix=f"c{pk}")

    def update(data):
        catalog.update_choice(choice, **data)
        return choice.question

    return edit_part(request, form, update, version, "")


PARTS = {
    "section": (FormSection, "version", catalog.delete_section, catalog.move_section),
    "question": (FormQuestion, "section__version", catalog.delete_question,
                 catalog.move_question),
    "choice": (FormChoice, "question__section__version", catalog.delete_choice, None),
}


@managers_only
@require_POST
def part_action(request, part, pk, action):
    """Delete or move (up/down) a section, question or choice of a draft."""
    if part not in PARTS:
        raise Http404
    model, version_path, delete, move = PARTS[part]
    item = get_object_or_404(model.objects.select_related(version_path), pk=pk)
    version = item.owning_version()
    catalog.require_draft(version)
    if action == "delete":
        delete(item)
    elif action in ("up", "down") and move is not None:
        move(item, -1 if action == "up" else 1)
    else:
        raise Http404
    return redirect(builder_url(version))


@internal_page
def category_list(request):
    form = ErrorCategoryForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_manager:
            raise PermissionDenied
        if form.is_valid():
            form.save()
            messages.success(request, f"Error category {form.instance.name!r} added.")
            return redirect("audits:form_categories")
    categories = ErrorCategory.objects.all()
    return render(request, "audit_forms/categories.html", {
        "categories": categories, "form": form,
    })


@managers_only
@require_POST
def category_toggle(request, pk):
    category = get_object_or_404(ErrorCategory, pk=pk)
    category.active = not category.active
    category.save(update_fields=["active"])
    return redirect("audits:form_categories")
