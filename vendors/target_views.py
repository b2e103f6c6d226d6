"""Contract-target pages for program managers: the list, a form to add one, a form to edit
one with its history. Vendor users get 404 (the pages do not exist for them), auditors 403.
The rules (no overlap, history) live in vendors.targets."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.decorators import internal_page, manager_required

from .forms import ContractTargetForm
from .models import ContractTarget, Vendor
from .targets import TargetOverlap, percent, save_target, target_history


@internal_page
@manager_required
def target_list(request):
    """Every contract target, by vendor; ``?vendor=<slug>`` narrows it to one vendor."""
    targets = ContractTarget.objects.select_related("vendor", "workflow")
    vendors = Vendor.objects.order_by("name")
    chosen = request.GET.get("vendor", "")
    if chosen:
        targets = targets.filter(vendor__slug=chosen)
    today = timezone.localdate()
    rows = [{"target": t, "state": _state(t, today), "percent": percent(t.target)}
            for t in targets]
    return render(request, "vendors/target_list.html",
                  {"rows": rows, "vendors": vendors, "chosen": chosen, "today": today})


def _state(target: ContractTarget, today) -> str:
    if target.effective_from > today:
        return "future"
    if target.effective_to is not None and target.effective_to < today:
        return "ended"
    return "in force"


@internal_page
@manager_required
def target_create(request):
    initial = {}
    vendor = Vendor.objects.filter(slug=request.GET.get("vendor", "")).first()
    if vendor is not None:
        initial["vendor"] = vendor
    form = ContractTargetForm(request.POST or None, initial=initial)
    return _save_or_show(request, form, None)


@internal_page
@manager_required
def target_edit(request, pk: int):
    target = get_object_or_404(ContractTarget.objects.select_related("vendor", "workflow"),
                               pk=pk)
    form = ContractTargetForm(request.POST or None, instance=target)
    return _save_or_show(request, form, target)


def _save_or_show(request, form, target):
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save_target(form.save(commit=False), request.user,
                                    form.cleaned_data.get("reason", ""))
            except TargetOverlap as clash:
                form.add_error("effective_from", str(clash))
            else:
                messages.success(request, f"Saved: {saved}.")
                return redirect("vendors:target_edit", pk=saved.pk)
        status = 400
    return render(request, "vendors/target_form.html", {
        "form": form, "target": target,
        "history": target_history(target) if target is not None else [],
    }, status=status)
