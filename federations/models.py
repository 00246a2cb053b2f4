"""Regions (city → county → township → community), organizations and federations."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel

from .codes import (
    CREDIT_CODE_REGEX,
    FOUNDATION_PREFIX,
    PRIVATE_NON_ENTERPRISE_PREFIX,
    SOCIAL_GROUP_PREFIX,
    validate_credit_code,
    validate_id_number,
)


class Region(AuditedModel):
    audit_region_lookup = "self"  # the auditors' workbench scopes history by region

    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("County or district")
        TOWNSHIP = "township", _("Township or street")
        COMMUNITY = "community", _("Community or village")

    class AreaType(models.TextChoices):
        URBAN = "urban", _("Urban community")
        RURAL = "rural", _("Rural village")

    # The level each level's parent must have.
    PARENT_LEVEL = {
        Level.COUNTY: Level.CITY,
        Level.TOWNSHIP: Level.COUNTY,
        Level.COMMUNITY: Level.TOWNSHIP,
    }

    code = models.CharField(
        _("division code"),
        max_length=12,
        unique=True,
        help_text=_("Administrative division code, digits only."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    area_type = models.CharField(
        _("urban or rural"), max_length=8, choices=AreaType.choices, blank=True, default=""
    )
    # Materialized path of division codes ("/370500/370502/"), so a subtree is one
    # indexed prefix query whatever its depth.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "area_type"], name="region_level_area"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="city", parent__isnull=True)
                | (~Q(level="city") & Q(parent__isnull=False)),
                name="region_only_city_is_root",
                violation_error_message=_("Only a city has no parent region."),
            ),
            models.CheckConstraint(
                condition=Q(level="community", area_type__in=["urban", "rural"])
                | (~Q(level="community") & Q(area_type="")),
                name="region_area_type_for_communities",
                violation_error_message=_(
                    "A community is urban or rural; other levels are neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6,12}$"),
                name="region_code_digits",
                violation_error_message=_("A division code has 6 to 12 digits."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        expected = self.PARENT_LEVEL.get(self.level)
        if expected and self.parent_id and self.parent.level != expected:
            raise ValidationError(
                {
                    "parent": _("The parent of a %(level)s must be a %(parent)s.")
                    % {"level": self.get_level_display(), "parent": self.Level(expected).label}
                }
            )
        if self.pk:
            old = Region.objects.filter(pk=self.pk).values_list("parent_id", "code").first()
            if old and old != (self.parent_id, self.code):
                raise ValidationError(
                    _("A region's parent and code never change; create a new region instead.")
                )

    def save(self, *args, **kwargs):
        # The path is derived from the (immutable) parent and code.
        self.path = f"{self.parent.path if self.parent_id else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]


def _choice_values(choices) -> list[str]:
    return [value for value, _label in choices]


CREDIT_CODE_FORMAT = Q(credit_code="") | Q(credit_code__regex=CREDIT_CODE_REGEX)
# Date bounds (README, "Dates"). A date that records the past (an organization founded,
# its party building started or ended, a federation registered) lies between PAST_FLOOR
# and today. A period's dates (staff started and ended, a membership joined and left) lie
# between PERIOD_FLOOR and the last day of next year, the last fiscal year the system plans
# for (fiscal year = calendar year): a planned end may be ahead, a year 7487 may not.
PAST_FLOOR = datetime.date(1949, 10, 1)
PERIOD_FLOOR = datetime.date(2000, 1, 1)


def period_ceiling(today: datetime.date | None = None) -> datetime.date:
    return datetime.date((today or timezone.localdate()).year + 1, 12, 31)


def date_bound_errors(instance, *, past: tuple = (), period: tuple = ()) -> dict:
    """{field: reason} for each of `instance`'s dates outside its bounds."""
    today = timezone.localdate()
    errors = {}
    for name in past:
        value = getattr(instance, name)
        if isinstance(value, datetime.date) and not PAST_FLOOR <= value <= today:
            errors[name] = _("A date from %(floor)s to today (%(today)s).") % {
                "floor": PAST_FLOOR.isoformat(),
                "today": today.isoformat(),
            }
    for name in period:
        value = getattr(instance, name)
        ceiling = period_ceiling(today)
        if isinstance(value, datetime.date) and not PERIOD_FLOOR <= value <= ceiling:
            errors[name] = _("A date from %(floor)s to %(ceiling)s (the end of next year).") % {
                "floor": PERIOD_FLOOR.isoformat(),
                "ceiling": ceiling.isoformat(),
            }
    return errors


phone_validator = RegexValidator(r"^[0-9+\- ]{5,32}$", _("A phone number has digits only."))


class Category(models.TextChoices):
    """Kinds of community social organization the policy develops (东民〔2020〕14号 四(一))."""

    # governance participation 基层治理
    SOCIAL_MOBILISATION = "social_mobilisation", _("Social mobilisation")
    DEMOCRATIC_CONSULTATION = "democratic_consultation", _("Democratic consultation")
    DISPUTE_MEDIATION = "dispute_mediation", _("Dispute mediation")
    SPECIAL_AFFAIRS = "special_affairs", _("Special affairs")
    # culture and sports 文体活动
    SINGING = "singing", _("Singing")
    DANCE = "dance", _("Dance")
    CALLIGRAPHY_PAINTING = "calligraphy_painting", _("Calligraphy and painting")
    PHOTOGRAPHY = "photography", _("Photography")
    FITNESS = "fitness", _("Fitness")
    # social-work services 社会工作服务
    HARDSHIP_RELIEF = "hardship_relief", _("Hardship relief")
    HUMANISTIC_CARE = "humanistic_care", _("Humanistic care")
    COUNSELLING = "counselling", _("Psychological counselling")
    RELATIONSHIP_MEDIATION = "relationship_mediation", _("Relationship mediation")
    VOLUNTEERING = "volunteering", _("Volunteer service")
    # elderly care 社区养老
    ELDERLY_MEALS = "elderly_meals", _("Meals for the elderly")
    ELDERLY_COMPANIONSHIP = "elderly_companionship", _("Companionship and care for the elderly")
    # rural self-management and self-service 农村自我管理自我服务
    VILLAGE_WORTHIES_COUNCIL = "village_worthies_council", _("Village worthies council")
    SOCIAL_WORK_STATION = "social_work_station", _("Social-work station")
    PRODUCTION_COOPERATIVE = "production_cooperative", _("Production cooperative")
    SPECIALTY_PRODUCE_ASSOCIATION = "specialty_produce", _("Specialty farm produce association")
    ECOMMERCE_SERVICE_CENTRE = "ecommerce_service", _("E-commerce service centre")
    PRODUCTION_MUTUAL_AID = "production_mutual_aid", _("Production mutual aid")


CATEGORY_GROUPS = {
    _("Governance participation"): [
        Category.SOCIAL_MOBILISATION,
        Category.DEMOCRATIC_CONSULTATION,
        Category.DISPUTE_MEDIATION,
        Category.SPECIAL_AFFAIRS,
    ],
    _("Culture and sports"): [
        Category.SINGING,
        Category.DANCE,
        Category.CALLIGRAPHY_PAINTING,
        Category.PHOTOGRAPHY,
        Category.FITNESS,
    ],
    _("Social-work services"): [
        Category.HARDSHIP_RELIEF,
        Category.HUMANISTIC_CARE,
        Category.COUNSELLING,
        Category.RELATIONSHIP_MEDIATION,
        Category.VOLUNTEERING,
    ],
    _("Elderly care"): [Category.ELDERLY_MEALS, Category.ELDERLY_COMPANIONSHIP],
    _("Rural self-service"): [
        Category.VILLAGE_WORTHIES_COUNCIL,
        Category.SOCIAL_WORK_STATION,
        Category.PRODUCTION_COOPERATIVE,
        Category.SPECIALTY_PRODUCE_ASSOCIATION,
        Category.ECOMMERCE_SERVICE_CENTRE,
        Category.PRODUCTION_MUTUAL_AID,
    ],
}


class LegalStatus(models.TextChoices):
    SOCIAL_GROUP = "social_group", _("Registered: social group")
    PRIVATE_NON_ENTERPRISE = (
        "private_non_enterprise",
        _("Registered: private non-enterprise unit"),
    )
    FOUNDATION = "foundation", _("Registered: foundation")
    FILED = "filed", _("Filed, without legal personality")


class PartyForm(models.TextChoices):
    OWN_BRANCH = "own_branch", _("Own party branch")
    JOINT_BRANCH = "joint_branch", _("Joint party branch")
    INSTRUCTOR = "instructor", _("Party-building instructor")
    NONE = "none", _("None")


class OrganizationState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    DISSOLVED = "dissolved", _("Dissolved")


class FederationKind(models.TextChoices):
    FEDERATION = "federation", _("Federation of community social organizations")
    SERVICE_CENTRE = (
        "service_centre",
        _("Community social organization service centre (social-work station)"),
    )


class Organization(AuditedModel):
    """A community social organization (社区社会组织)."""

    audit_region_lookup = "community"

    LegalStatus = LegalStatus
    PartyForm = PartyForm
    State = OrganizationState

    # The credit-code prefix civil affairs issues for each registered kind.
    CREDIT_CODE_PREFIX = {
        LegalStatus.SOCIAL_GROUP: SOCIAL_GROUP_PREFIX,
        LegalStatus.PRIVATE_NON_ENTERPRISE: PRIVATE_NON_ENTERPRISE_PREFIX,
        LegalStatus.FOUNDATION: FOUNDATION_PREFIX,
    }

    # Forms that are a party organization (党组织), not only guidance.
    PARTY_ORGANIZATION_FORMS = (PartyForm.OWN_BRANCH, PartyForm.JOINT_BRANCH)

    name = models.CharField(_("name"), max_length=200)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="organizations",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        default="",
        validators=[validate_credit_code],
        help_text=_("18 characters; required for a registered legal person."),
    )
    legal_status = models.CharField(
        _("legal status"),
        max_length=32,
        choices=LegalStatus.choices,
        default=LegalStatus.FILED,
    )
    representative_name = models.CharField(_("representative"), max_length=100, default="")
    representative_phone = models.CharField(
        _("representative's phone"),
        max_length=32,
        blank=True,
        default="",
        validators=[phone_validator],
    )
    representative_id_number = models.CharField(
        _("representative's identity card number"),
        max_length=18,
        blank=True,
        default="",
        validators=[validate_id_number],
    )
    founded_on = models.DateField(_("founded on"), null=True)
    party_form = models.CharField(
        _("party building"),
        max_length=16,
        choices=PartyForm.choices,
        default=PartyForm.NONE,
    )
    party_established_on = models.DateField(_("party building since"), null=True, blank=True)
    party_ended_on = models.DateField(_("party building ended on"), null=True, blank=True)
    is_brand = models.BooleanField(_("brand organization"), default=False)
    brand_year = models.PositiveSmallIntegerField(
        _("brand recognised in (year)"), null=True, blank=True
    )
    state = models.CharField(
        _("state"), max_length=16, choices=OrganizationState.choices, default=State.ACTIVE
    )

    class Meta:
        verbose_name = _("community social organization")
        verbose_name_plural = _("community social organizations")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["state", "legal_status"], name="org_state_legal"),
            models.Index(fields=["legal_status"], name="org_legal_status"),
            models.Index(fields=["party_form"], name="org_party_form"),
            models.Index(fields=["is_brand"], name="org_brand"),
            models.Index(fields=["community", "state"], name="org_community_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="org_credit_code_unique",
                violation_error_message=_(
                    "Another organization has this unified social credit code."
                ),
            ),
            models.CheckConstraint(
                condition=CREDIT_CODE_FORMAT,
                name="org_credit_code_format",
                violation_error_message=_("A credit code has 18 characters of its alphabet."),
            ),
            models.CheckConstraint(
                condition=Q(legal_status__in=_choice_values(LegalStatus.choices)),
                name="org_legal_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(legal_status="filed") | ~Q(credit_code=""),
                name="org_legal_person_has_credit_code",
                violation_error_message=_(
                    "A registered legal person has a unified social credit code."
                ),
            ),
            models.CheckConstraint(
                condition=Q(party_form__in=_choice_values(PartyForm.choices)),
                name="org_party_form_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    party_form="none",
                    party_established_on__isnull=True,
                    party_ended_on__isnull=True,
                )
                | (~Q(party_form="none") & Q(party_established_on__isnull=False)),
                name="org_party_dates",
                violation_error_message=_(
                    "Party building has a start date; with none there are no dates."
                ),
            ),
            models.CheckConstraint(
                condition=Q(party_ended_on__isnull=True)
                | Q(party_ended_on__gte=F("party_established_on")),
                name="org_party_end_after_start",
                violation_error_message=_("Party building ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(is_brand=False, brand_year__isnull=True)
                | Q(
                    is_brand=True,
                    brand_year__isnull=False,
                    brand_year__gte=2000,
                    brand_year__lte=2100,
                ),
                name="org_brand_year",
                violation_error_message=_(
                    "A brand organization has the year it was recognised (2000–2100); "
                    "others have none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(state__in=_choice_values(OrganizationState.choices)),
                name="org_state_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_legal_personality(self) -> bool:
        return self.legal_status != self.LegalStatus.FILED

    def party_organization_on(self, on) -> bool:
        """Whether a party organization (own or joint branch) is in place on date `on`."""
        return (
            self.party_form in self.PARTY_ORGANIZATION_FORMS
            and self.party_established_on is not None
            and self.party_established_on <= on
            and (self.party_ended_on is None or self.party_ended_on >= on)
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            errors["community"] = _("An organization belongs to a community or village.")
        prefix = self.CREDIT_CODE_PREFIX.get(self.legal_status)
        if prefix and not self.credit_code:
            errors["credit_code"] = _("A registered legal person has a unified social credit code.")
        elif prefix and self.credit_code and not self.credit_code.startswith(prefix):
            errors["credit_code"] = _("A %(status)s's credit code starts with %(prefix)s.") % {
                "status": self.LegalStatus(self.legal_status).label,
                "prefix": prefix,
            }
        elif self.credit_code and Federation.objects.filter(credit_code=self.credit_code).exists():
            errors["credit_code"] = _("A federation already has this credit code.")
        if self.party_form == self.PartyForm.NONE:
            if self.party_established_on or self.party_ended_on:
                errors["party_established_on"] = _("No party building: leave the dates empty.")
        elif not self.party_established_on:
            errors["party_established_on"] = _("Give the date party building started.")
        elif self.party_ended_on and self.party_ended_on < self.party_established_on:
            errors["party_ended_on"] = _("Party building ends after it starts.")
        if self.is_brand and not self.brand_year:
            errors["brand_year"] = _("Give the year the brand was recognised.")
        elif not self.is_brand and self.brand_year:
            errors["brand_year"] = _("Only a brand organization has a recognition year.")
        elif self.brand_year and not 2000 <= self.brand_year <= 2100:
            errors["brand_year"] = _("A year between 2000 and 2100.")
        bounds = date_bound_errors(
            self, past=("founded_on", "party_established_on", "party_ended_on")
        )
        for field, reason in bounds.items():
            errors.setdefault(field, reason)
        if errors:
            raise ValidationError(errors)


class OrganizationCategory(AuditedModel):
    """One category of an organization: a row each, so adding or removing one is audited and
    `categories__category=...` filters on any database."""

    audit_region_lookup = "organization__community"

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="categories",
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)

    class Meta:
        verbose_name = _("organization category")
        verbose_name_plural = _("organization categories")
        ordering = ["organization_id", "category"]
        indexes = [models.Index(fields=["category"], name="orgcategory_category")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "category"], name="orgcategory_once_per_org"
            ),
            models.CheckConstraint(
                condition=Q(category__in=_choice_values(Category.choices)),
                name="orgcategory_valid",
            ),
        ]

    def __str__(self):
        return self.get_category_display()


class Federation(AuditedModel):
    """A township's federation of community social organizations (联合会 or 服务中心)."""

    audit_region_lookup = "township"

    Kind = FederationKind

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=FederationKind.choices, default=FederationKind.FEDERATION
    )
    township = models.ForeignKey(
        Region,
        verbose_name=_("township served"),
        on_delete=models.PROTECT,
        related_name="federations",
        limit_choices_to={"level": Region.Level.TOWNSHIP},
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        default="",
        validators=[validate_credit_code],
        help_text=_("A federation is a registered social-group legal person."),
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    head_name = models.CharField(_("head"), max_length=100, default="")
    head_is_township_official = models.BooleanField(
        _("head is a township official"),
        default=False,
        help_text=_("A township official may serve as head with approval."),
    )
    head_approval_reference = models.CharField(
        _("approval reference for the head"), max_length=100, blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("federation")
        verbose_name_plural = _("federations")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "kind"], name="federation_active_kind")]
        constraints = [
            models.UniqueConstraint(
                fields=["township"],
                condition=Q(is_active=True),
                name="federation_one_active_per_township",
                violation_error_message=_("The township already has an active federation."),
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="federation_credit_code_unique",
                violation_error_message=_(
                    "Another federation has this unified social credit code."
                ),
            ),
            models.CheckConstraint(
                condition=CREDIT_CODE_FORMAT,
                name="federation_credit_code_format",
                violation_error_message=_("A credit code has 18 characters of its alphabet."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=_choice_values(FederationKind.choices)),
                name="federation_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(head_is_township_official=False) | ~Q(head_approval_reference=""),
                name="federation_official_head_approved",
                violation_error_message=_(
                    "A township official serves as head only with an approval reference."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.township_id and self.township.level != Region.Level.TOWNSHIP:
            errors["township"] = _("A federation serves a township or street.")
        allowed = (SOCIAL_GROUP_PREFIX,)
        if self.kind == self.Kind.SERVICE_CENTRE:
            allowed = (SOCIAL_GROUP_PREFIX, PRIVATE_NON_ENTERPRISE_PREFIX)
        if self.credit_code and not self.credit_code.startswith(allowed):
            errors["credit_code"] = _(
                "A federation is registered with civil affairs as a social organization: its "
                "credit code starts with %(prefixes)s."
            ) % {"prefixes": " / ".join(allowed)}
        elif (
            self.credit_code and Organization.objects.filter(credit_code=self.credit_code).exists()
        ):
            errors["credit_code"] = _("An organization already has this credit code.")
        if self.head_is_township_official and not self.head_approval_reference:
            errors["head_approval_reference"] = _(
                "A township official serves as head only with an approval reference."
            )
        errors.update(date_bound_errors(self, past=("registered_on",)))
        if errors:
            raise ValidationError(errors)


def active_on_q(on, *, start: str, end: str, prefix: str = "") -> Q:
    """Rows whose [start, end) period holds date `on` (end empty: still running)."""
    return Q(**{f"{prefix}{start}__lte": on}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gt": on})
    )


class FederationStaff(AuditedModel):
    """Someone working for a federation; the policy asks for one or two social workers."""

    audit_region_lookup = "federation__township"

    federation = models.ForeignKey(
        Federation, verbose_name=_("federation"), on_delete=models.PROTECT, related_name="staff"
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(
        _("phone"), max_length=32, blank=True, default="", validators=[phone_validator]
    )
    user = models.ForeignKey(
        "access.User",
        verbose_name=_("login"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_social_worker = models.BooleanField(_("social worker"), default=False)
    is_full_time = models.BooleanField(_("full time"), default=False)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("federation staff member")
        verbose_name_plural = _("federation staff")
        ordering = ["federation_id", "name", "id"]
        indexes = [
            models.Index(fields=["federation", "ended_on"], name="fedstaff_fed_ended"),
            models.Index(fields=["is_social_worker"], name="fedstaff_social_worker"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="fedstaff_end_after_start",
                violation_error_message=_("The end date is not before the start date."),
            ),
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def active_q(on, prefix: str = "") -> Q:
        return active_on_q(on, start="started_on", end="ended_on", prefix=prefix)

    def clean(self):
        super().clean()
        errors = date_bound_errors(self, period=("started_on", "ended_on"))
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            errors.setdefault("ended_on", _("The end date is not before the start date."))
        if errors:
            raise ValidationError(errors)


class Membership(AuditedModel):
    """An organization's membership of a federation from `joined_on` until `left_on`
    (the first day it is no longer a member; empty while it is)."""

    audit_region_lookup = "federation__township"

    federation = models.ForeignKey(
        Federation,
        verbose_name=_("federation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["federation_id", "organization_id", "joined_on", "id"]
        indexes = [
            models.Index(fields=["organization", "federation"], name="membership_org_fed"),
            models.Index(fields=["federation", "left_on"], name="membership_fed_left"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="membership_leave_after_join",
                violation_error_message=_("An organization leaves on or after the day it joins."),
            ),
            models.UniqueConstraint(
                fields=["federation", "organization"],
                condition=Q(left_on__isnull=True),
                name="membership_one_open_per_org",
                violation_error_message=_("The organization is already a member."),
            ),
            # PostgreSQL also refuses overlapping periods (migration 0003, an exclusion
            # constraint over daterange(joined_on, left_on)).
        ]

    def __str__(self):
        return f"{self.organization} · {self.federation}"

    @staticmethod
    def active_q(on, prefix: str = "") -> Q:
        return active_on_q(on, start="joined_on", end="left_on", prefix=prefix)

    def is_active_on(self, on) -> bool:
        return self.joined_on <= on and (self.left_on is None or self.left_on > on)

    def clean(self):
        super().clean()
        errors = {}
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = _("An organization leaves on or after the day it joins.")
        if self.federation_id and self.organization_id and self.joined_on:
            township_path = self.federation.township.path
            if not self.organization.community.path.startswith(township_path):
                errors["organization"] = _(
                    "The organization is not in the township the federation serves."
                )
            overlapping = Membership.objects.filter(
                federation_id=self.federation_id, organization_id=self.organization_id
            ).exclude(pk=self.pk)
            overlapping = overlapping.filter(
                Q(left_on__isnull=True) | Q(left_on__gt=self.joined_on)
            )
            if self.left_on:
                overlapping = overlapping.filter(joined_on__lt=self.left_on)
            if overlapping.exists():
                errors.setdefault(
                    "joined_on",
                    _("The organization is already a member of this federation in that period."),
                )
        for field, reason in date_bound_errors(self, period=("joined_on", "left_on")).items():
            errors.setdefault(field, reason)
        if errors:
            raise ValidationError(errors)
