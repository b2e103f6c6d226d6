"""Factories for the program's people and population, shared by every test module."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Role, User
from tickets.models import Ticket
from tickets.population import sample_key
from vendors.models import Agent, ContractTarget, Site, Vendor, Workflow

PASSWORD = "correct-horse-battery-staple"


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    slug = factory.Sequence(lambda n: f"site-{n}")
    country = "PH"
    timezone = "Asia/Manila"


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    site = factory.SubFactory(SiteFactory)
    vendor = factory.SelfAttribute("site.vendor")
    external_id = factory.Sequence(lambda n: f"agent-{n:05d}")


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workflow
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Workflow {n}")
    slug = factory.Sequence(lambda n: f"workflow-{n}")
    kind = Workflow.Kind.MODERATION
    language = "en"


class ContractTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractTarget

    vendor = factory.SubFactory(VendorFactory)
    workflow = factory.SubFactory(WorkflowFactory)
    metric = ContractTarget.Metric.ACCURACY
    direction = ContractTarget.Direction.AT_LEAST
    target = "0.9500"
    effective_from = dt.date(2026, 1, 1)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    agent = factory.SubFactory(AgentFactory)
    site = factory.SelfAttribute("agent.site")
    vendor = factory.SelfAttribute("agent.vendor")
    workflow = factory.SubFactory(WorkflowFactory)
    source = ""
    external_id = factory.Sequence(lambda n: f"T-{n:08d}")
    # As the import computes it, so drawn samples are the ones real tickets would give.
    sample_key = factory.LazyAttribute(lambda t: sample_key(t.source, t.external_id))
    handled_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=3))
    decision = "remove"
    policy_label = "hate_speech"
    language = "en"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    role = Role.QA_AUDITOR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def enrol_totp(user: User) -> str:
    """Give ``user`` an authenticator app; returns the TOTP secret so tests can log in."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(timezone.now().timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client, user: User):
    """Log ``client`` in as ``user`` with a new session (``session_of``). Returns the client."""
    from django.conf import settings

    client.cookies[settings.SESSION_COOKIE_NAME] = session_of(user)
    return client


def session_of(user: User) -> str:
    """The key of a new session of ``user``, as ``Client.force_login`` would leave it, without
    its key cycling and login signals (a third of a request's cost in the URL walks, which log
    in a fresh client for every request), in one insert: a new random key of 32 characters
    needs no check that it is free, nor a savepoint around the insert that
    ``SessionStore.create`` makes in case it was not."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.utils.crypto import get_random_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    key = get_random_string(32, VALID_KEY_CHARS)
    store.get_model_class()(
        session_key=key,
        session_data=store.encode({
            SESSION_KEY: user._meta.pk.value_to_string(user),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }),
        expire_date=timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE),
    ).save(force_insert=True)
    return key
