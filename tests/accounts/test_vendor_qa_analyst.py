"""The vendor QA analyst: a vendor user like a POC (one vendor, TOTP, never staff, scoped to
their vendor), who takes part in calibration but does not speak for the vendor in disputes
or coaching."""

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction

from accounts import people
from accounts.forms import InviteForm
from accounts.mfa import must_enrol_totp
from accounts.models import Role, User
from accounts.scoping import visible_to
from audits.disputes import is_vendor_poc_of
from coaching.actions import speaks_for_vendor
from tests.factories import UserFactory, VendorFactory, enrol_totp
from vendors.models import Vendor


@pytest.fixture
def analyst_a(vendor_a):
    return UserFactory(email="qa@acme.example", role=Role.VENDOR_QA_ANALYST, vendor=vendor_a)


def test_an_analyst_must_be_bound_to_a_vendor(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="loose@example.com", role=Role.VENDOR_QA_ANALYST)


def test_an_analyst_can_never_be_staff(analyst_a):
    analyst_a.is_staff = True
    with pytest.raises(IntegrityError), transaction.atomic():
        analyst_a.save()


def test_an_analyst_is_a_vendor_user_and_never_internal(analyst_a):
    assert analyst_a.is_vendor_user and analyst_a.is_vendor_analyst
    assert not analyst_a.is_internal and not analyst_a.is_manager and not analyst_a.is_vendor_poc


def test_an_analyst_sees_only_their_own_vendor(analyst_a, vendor_a, vendor_b):
    VendorFactory(name="Third", slug="third")
    assert list(visible_to(analyst_a, Vendor.objects.all())) == [vendor_a]


def test_an_analyst_without_totp_is_sent_to_enrol_it(client_as, analyst_a):
    assert must_enrol_totp(analyst_a)
    response = client_as(analyst_a).get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    assert client_as(analyst_a).get("/api/v1/vendors/").status_code == 403

    enrol_totp(analyst_a)
    assert not must_enrol_totp(analyst_a)
    assert client_as(analyst_a).get("/").headers["Location"] == "/portal/"


def test_an_analyst_neither_disputes_nor_answers_for_coaching(analyst_a, poc_a, vendor_a):
    audit = SimpleNamespace(ticket=SimpleNamespace(vendor_id=vendor_a.pk))
    action = SimpleNamespace(vendor_id=vendor_a.pk)
    assert is_vendor_poc_of(audit, poc_a) and speaks_for_vendor(poc_a, action)
    assert not is_vendor_poc_of(audit, analyst_a)
    assert not speaks_for_vendor(analyst_a, action)


def test_a_manager_makes_someone_an_analyst_of_one_vendor(manager, auditor, vendor_a):
    with pytest.raises(people.PeopleError, match="A vendor QA analyst must be bound"):
        people.change_role(auditor, manager, Role.VENDOR_QA_ANALYST, None)
    people.change_role(auditor, manager, Role.VENDOR_QA_ANALYST, vendor_a)
    auditor.refresh_from_db()
    assert (auditor.role, auditor.vendor) == (Role.VENDOR_QA_ANALYST, vendor_a)


def test_the_invitation_form_asks_an_analyst_for_a_vendor(db, vendor_a):
    form = InviteForm({"email": "new@acme.example", "role": Role.VENDOR_QA_ANALYST})
    assert not form.is_valid()
    assert form.errors["vendor"] == ["A vendor QA analyst must be bound to one vendor."]
    form = InviteForm(
        {"email": "new@acme.example", "role": Role.VENDOR_QA_ANALYST, "vendor": vendor_a.pk})
    assert form.is_valid(), form.errors
