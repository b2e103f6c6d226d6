"""The forms QA fills to open an action. The target (audits, an agent, a site or a vendor)
comes from the link that led here (an audit, an agent's page, an error theme); opened with no
target, ``SubjectForm`` lets the manager pick one first."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from accounts.models import Role, User
from accounts.scoping import visible_to
from audit_forms.models import ErrorCategory
from vendors.models import Agent, Site, Vendor, Workflow

DEFAULT_DAYS = 14


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    category = forms.ModelChoiceField(ErrorCategory.objects.all(), to_field_name="slug",
                                      label="Theme (error category)")
    workflow = forms.ModelChoiceField(Workflow.objects.all(), to_field_name="slug",
                                      required=False, empty_label="All workflows")
    owner = forms.ModelChoiceField(User.objects.none(), required=False,
                                   empty_label="No owner yet", label="Owner (vendor POC)")
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, vendor=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "due_date", timezone.localdate() + dt.timedelta(days=DEFAULT_DAYS))
        super().__init__(*args, **kwargs)
        if vendor is not None:
            self.fields["owner"].queryset = User.objects.filter(
                role=Role.VENDOR_POC, vendor=vendor, is_active=True)


class SubjectForm(forms.Form):
    """Who the action is for: a vendor, one of its sites or one of its agents. Read from the
    query string (GET), so the action form's URL names its subject as the other paths do."""

    vendor = forms.ModelChoiceField(Vendor.objects.none(), to_field_name="slug",
                                    empty_label="Choose a vendor")
    site = forms.ChoiceField(required=False, label="Site (optional)")
    agent = forms.CharField(required=False, max_length=64, label="Agent external id (optional)",
                            help_text="An agent of the vendor; the action is then for that agent.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        vendors = visible_to(user, Vendor.objects.order_by("name"))
        self.fields["vendor"].queryset = vendors
        sites = visible_to(user, Site.objects.filter(vendor__in=vendors)).select_related(
            "vendor").order_by("vendor__name", "name")
        groups: dict[str, list] = {}
        for site in sites:
            groups.setdefault(site.vendor.name, []).append((site.slug, site.name))
        self.fields["site"].choices = [("", "The whole vendor"), *groups.items()]

    def clean(self):
        data = super().clean()
        vendor = data.get("vendor")
        if vendor is None:
            return data
        data["site_obj"] = data["agent_obj"] = None
        if data.get("site"):
            data["site_obj"] = visible_to(self.user, Site.objects.filter(
                vendor=vendor, slug=data["site"])).first()
            if data["site_obj"] is None:
                self.add_error("site", f"{data['site']!r} is not a site of {vendor.name}.")
        if data.get("agent"):
            agents = Agent.objects.filter(vendor=vendor, external_id=data["agent"].strip())
            if data["site_obj"] is not None:
                agents = agents.filter(site=data["site_obj"])
            data["agent_obj"] = visible_to(self.user, agents).select_related("site").first()
            if data["agent_obj"] is None:
                where = data["site_obj"].name if data["site_obj"] else vendor.name
                self.add_error("agent", f"No agent {data['agent'].strip()!r} at {where}.")
        return data

    def target(self) -> dict:
        """The target as the opening view uses it (valid forms only)."""
        data = self.cleaned_data
        agent = data["agent_obj"]
        return {"audits": [], "vendor": data["vendor"], "agent": agent,
                "site": agent.site if agent else data["site_obj"]}


class CompleteForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                            label="Coaching done")
