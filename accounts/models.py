"""People of the program and the role that decides what each one may see."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    PROGRAM_MANAGER = "manager", "Program manager"
    QA_AUDITOR = "auditor", "QA auditor"
    VENDOR_POC = "vendor_poc", "Vendor POC"
    VENDOR_QA_ANALYST = "vendor_qa", "Vendor QA analyst"
    ADMIN = "admin", "Admin"
    SERVICE_ACCOUNT = "service", "Service account"


# Roles bound to exactly one vendor: the scoping function treats them alike (their own
# vendor's data only, TOTP required, never staff). What each may *do* differs: a POC
# disputes findings and answers for coaching, an analyst takes part in calibration.
VENDOR_ROLES = (Role.VENDOR_POC, Role.VENDOR_QA_ANALYST)

# Roles people hold (a service account is a machine: it gets no invitation and no login).
PEOPLE_ROLES = [choice for choice in Role.choices if choice[0] != Role.SERVICE_ACCOUNT]


def vendor_required_message(role: str) -> str:
    """What a form or the People page says when a vendor role is given without a vendor."""
    return f"A {Role(role).label.replace('Vendor', 'vendor', 1)} must be bound to one vendor."


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("Users are identified by email; an email is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in. Vendor users (POCs and QA analysts) are bound to exactly one
    vendor (a database constraint), everyone else to none: the scoping function reads these
    two fields.

    A service account's API identity is a row here too (role ``service``, no password, may
    be bound to one vendor), so the one scoping function and every "who did it" column treat
    it like a person of the same reach; see accounts.service_accounts."""

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.QA_AUDITOR)
    vendor = models.ForeignKey(
        "vendors.Vendor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="Only for vendor users (POCs, QA analysts): the one vendor whose data they "
        "may see.",
    )
    conflicted_vendors = models.ManyToManyField(
        "vendors.Vendor",
        blank=True,
        related_name="conflicted_auditors",
        help_text="Vendors this auditor must never audit (e.g. a former employer).",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__in=VENDOR_ROLES) & Q(vendor__isnull=False))
                | (~Q(role__in=VENDOR_ROLES) & Q(vendor__isnull=True))
                | Q(role=Role.SERVICE_ACCOUNT),
                name="vendor_user_has_exactly_one_vendor",
            ),
            # The admin is not scoped by vendor, so a vendor user must never reach it.
            models.CheckConstraint(
                condition=~Q(role__in=VENDOR_ROLES) | (Q(is_staff=False) & Q(is_superuser=False)),
                name="vendor_user_is_never_staff",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.SERVICE_ACCOUNT)
                | (Q(is_staff=False) & Q(is_superuser=False)),
                name="service_account_is_never_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_service_account(self) -> bool:
        """A machine calling the API with a bearer token; never a login."""
        return self.role == Role.SERVICE_ACCOUNT

    @property
    def is_vendor_user(self) -> bool:
        """Bound to one vendor and scoped to it (POC or QA analyst, or a service account
        bound to a vendor): never internal."""
        return self.role in VENDOR_ROLES or (self.is_service_account and self.vendor_id is not None)

    @property
    def is_vendor_poc(self) -> bool:
        """Speaks for the vendor: disputes findings, acknowledges coaching."""
        return self.role == Role.VENDOR_POC

    @property
    def is_vendor_analyst(self) -> bool:
        """The vendor's own QA: joins the calibration sessions they are invited to."""
        return self.role == Role.VENDOR_QA_ANALYST

    @property
    def is_internal(self) -> bool:
        """Internal staff, and service accounts bound to no vendor (program-wide)."""
        return self.role in {Role.PROGRAM_MANAGER, Role.QA_AUDITOR, Role.ADMIN} or (
            self.is_service_account and self.vendor_id is None)

    @property
    def is_manager(self) -> bool:
        """Program managers and admins design plans, import tickets and invite people."""
        return self.role in {Role.PROGRAM_MANAGER, Role.ADMIN}


class ServiceAccount(models.Model):
    """A machine client of the API (a help-desk sync, a BI job): a name, the scopes it may
    use and, through its user row, an optional vendor it is bound to. Managers create it;
    it calls the API with ServiceToken bearer tokens only."""

    internal_only = True  # managers' pages only; never vendor data

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="service_account")
    scopes = models.JSONField(default=list, help_text="Scopes such as tickets:write.")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.user.is_active


class ServiceToken(models.Model):
    """One bearer token of a service account. Only the SHA-256 digest of the token is kept
    (the token is shown once); ``prefix`` identifies it in lists and logs. Several live
    tokens per account allow rotation without downtime."""

    internal_only = True

    account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="service_token_expires_after_creation"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account})"


class VendorIdentityProvider(models.Model):
    """A vendor's own OpenID Connect identity provider: that vendor's people may sign in
    through it instead of password and TOTP (accounts.vendor_sso; docs/integrations.md).

    The client secret is kept encrypted (``vendor_sso.seal``) and never shown again after
    saving; the history keeps every other field and when the secret was last changed."""

    internal_only = True  # managers' pages only

    vendor = models.OneToOneField("vendors.Vendor", on_delete=models.CASCADE,
                                  related_name="identity_provider")
    issuer_url = models.URLField("issuer URL", max_length=300,
                                 help_text="e.g. https://login.acme-bpo.example/realms/staff")
    client_id = models.CharField("client ID", max_length=200)
    client_secret = models.TextField(help_text="Encrypted; never shown after saving.")
    secret_changed_at = models.DateTimeField()
    email_domains = models.JSONField(
        default=list, help_text="Lower-case domains whose addresses this IdP may sign in.")
    enabled = models.BooleanField(default=True)
    required = models.BooleanField(
        default=False, help_text="The vendor's people may not log in with a password.")
    create_users = models.BooleanField(
        "just-in-time users", default=False,
        help_text="Someone the IdP vouches for without an account here becomes a vendor QA "
                  "analyst of this vendor.")
    trusted_for_mfa = models.BooleanField(
        "trusted for two-factor", default=False,
        help_text="A sign-in through this IdP counts as two-factor: no local TOTP asked.")
    updated_at = models.DateTimeField(auto_now=True)

    # Who pointed a vendor's sign-in where, and when, is evidence (like contract targets).
    history = HistoricalRecords(excluded_fields=["client_secret", "updated_at"])

    class Meta:
        ordering = ["vendor__name"]

    def __str__(self) -> str:
        return f"{self.vendor} sign-in ({self.issuer_url})"
