"""The projects admin's create forms (Chinese labels). Each form only collects and narrows
the choices to the user's scope; the admin's `save_model` hands the values to the projects
service (which checks role, scope and every rule again), and a rule the service refuses
shows on the form naming its field (core.admin.ServiceAdmin)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federations.models import Federation, Organization, Region
from funds.models import ApprovalState, FiscalYear, PurchaseCategory
from funds.selectors import lines_visible_to

from .models import (
    Allocation,
    Demand,
    DemandState,
    Evaluation,
    EvaluatorKind,
    Milestone,
    NegativeItem,
    Offer,
    OfferState,
    Priority,
    Project,
    ProjectState,
)
from .selectors import (
    demands_visible_to,
    offers_visible_to,
    organizations_visible_to,
    projects_visible_to,
    regions_visible_to,
)

CATEGORY_CHOICES = [("", "---------"), *PurchaseCategory.choices]  # picked, never defaulted
MONEY = {"max_digits": 18, "decimal_places": 2, "min_value": Decimal("0.01")}


class ServiceForm(forms.ModelForm):
    """Collects values for a service: no model instance is built or validated here (the
    service does that, in its transaction)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.narrow(user)

    def narrow(self, user) -> None:
        """Limit the choices to what `user` may pick."""

    def _post_clean(self):
        pass

    @staticmethod
    def pk(value):
        return value.pk if value is not None else None


def _regions(user, *levels) -> object:
    return regions_visible_to(user).filter(level__in=levels).order_by("path")


class DemandForm(ServiceForm):
    community = forms.ModelChoiceField(Region.objects.none(), label=_("community"))
    title = forms.CharField(label=_("title"), max_length=200)
    category = forms.ChoiceField(label=_("category"), choices=CATEGORY_CHOICES)
    priority = forms.ChoiceField(
        label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    beneficiaries = forms.CharField(label=_("beneficiaries"), max_length=300, required=False)
    beneficiary_count = forms.IntegerField(
        label=_("number of beneficiaries"), min_value=0, initial=0
    )
    description = forms.CharField(
        label=_("description"), max_length=4000, required=False, widget=forms.Textarea
    )

    class Meta:
        model = Demand
        fields = []

    def narrow(self, user):
        self.fields["community"].queryset = _regions(user, Region.Level.COMMUNITY)

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "community": self.pk(d["community"]),
            "title": d["title"],
            "category": d["category"],
            "priority": d["priority"],
            "beneficiaries": d.get("beneficiaries") or "",
            "beneficiary_count": d["beneficiary_count"],
            "description": d.get("description") or "",
        }


class OfferForm(ServiceForm):
    organization = forms.ModelChoiceField(Organization.objects.none(), label=_("organization"))
    title = forms.CharField(label=_("title"), max_length=200)
    category = forms.ChoiceField(label=_("category"), choices=CATEGORY_CHOICES)
    area = forms.ModelChoiceField(
        Region.objects.none(),
        label=_("service area"),
        help_text=_("The community, township or county it serves."),
    )
    price_min = forms.DecimalField(label=_("price from (CNY)"), **MONEY)
    price_max = forms.DecimalField(label=_("price up to (CNY)"), **MONEY)
    capacity = forms.IntegerField(label=_("capacity (people)"), min_value=0, initial=0)
    description = forms.CharField(
        label=_("description"), max_length=4000, required=False, widget=forms.Textarea
    )

    class Meta:
        model = Offer
        fields = []

    def narrow(self, user):
        self.fields["organization"].queryset = organizations_visible_to(user).order_by("name")
        self.fields["area"].queryset = _regions(
            user, Region.Level.COMMUNITY, Region.Level.TOWNSHIP, Region.Level.COUNTY
        )

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "organization": self.pk(d["organization"]),
            "title": d["title"],
            "category": d["category"],
            "area": self.pk(d["area"]),
            "price_min": str(d["price_min"]),
            "price_max": str(d["price_max"]),
            "capacity": d["capacity"],
            "description": d.get("description") or "",
        }


def _open_years():
    return [
        (y, str(y))
        for y in FiscalYear.objects.filter(state="open")
        .order_by("year")
        .values_list("year", flat=True)
    ]


class ProjectForm(ServiceForm):
    """A proposal: from a matched need and offer (the undertaker follows from the offer), or
    directly with its undertaker (a registered organization, or a federation for a member)."""

    demand = forms.ModelChoiceField(
        Demand.objects.none(),
        label=_("need"),
        required=False,
        help_text=_("With an offer: the project is proposed from the matched pair."),
    )
    offer = forms.ModelChoiceField(Offer.objects.none(), label=_("offer"), required=False)
    title = forms.CharField(
        label=_("title"),
        max_length=200,
        required=False,
        help_text=_("From a need and an offer it may be left empty."),
    )
    purchaser = forms.ModelChoiceField(
        Region.objects.none(), label=_("purchaser"), help_text=_("A township or a county.")
    )
    category = forms.ChoiceField(
        label=_("category"),
        choices=CATEGORY_CHOICES,
        required=False,
        help_text=_("From a need it is the need's category."),
    )
    catalogue_code = forms.CharField(label=_("catalogue code"), max_length=40, required=False)
    fiscal_year = forms.TypedChoiceField(label=_("fiscal year"), coerce=int, choices=())
    budget_amount = forms.DecimalField(label=_("planned amount (CNY)"), **MONEY)
    undertaker = forms.ModelChoiceField(
        Organization.objects.none(),
        label=_("undertaker"),
        required=False,
        help_text=_("A registered organization; or leave empty and name a federation and member."),
    )
    custody_federation = forms.ModelChoiceField(
        Federation.objects.none(), label=_("custody federation"), required=False
    )
    member = forms.ModelChoiceField(
        Organization.objects.none(), label=_("member organization"), required=False
    )
    transfers_government_function = forms.BooleanField(
        label=_("undertakes a government-transferred function"), required=False
    )
    negative_item = forms.ChoiceField(
        label=_("negative-list item"), choices=NegativeItem.choices, required=False
    )
    description = forms.CharField(
        label=_("description"), max_length=4000, required=False, widget=forms.Textarea
    )

    class Meta:
        model = Project
        fields = []

    def narrow(self, user):
        self.fields["demand"].queryset = (
            demands_visible_to(user).filter(state=DemandState.OPEN).order_by("-id")
        )
        self.fields["offer"].queryset = (
            offers_visible_to(user).filter(state=OfferState.ACTIVE).order_by("-id")
        )
        self.fields["purchaser"].queryset = _regions(
            user, Region.Level.TOWNSHIP, Region.Level.COUNTY
        )
        self.fields["fiscal_year"].choices = _open_years()
        self.fields["fiscal_year"].initial = timezone.localdate().year
        organizations = organizations_visible_to(user).order_by("name")
        filed = Organization.LegalStatus.FILED  # no legal personality: undertaken in custody
        self.fields["undertaker"].queryset = organizations.exclude(legal_status=filed)
        self.fields["member"].queryset = organizations.filter(legal_status=filed)
        townships = _regions(user, Region.Level.TOWNSHIP, Region.Level.COUNTY)
        self.fields["custody_federation"].queryset = Federation.objects.filter(
            township__in=townships
        ).order_by("name")

    def clean(self):
        d = super().clean()
        from_match = d.get("demand") is not None and d.get("offer") is not None
        if not from_match:
            if not d.get("title"):
                self.add_error("title", _("Give a title (or pick a need and an offer)."))
            if not d.get("category"):
                self.add_error("category", _("Pick a category (or a need and an offer)."))
        self.from_match = from_match
        return d

    def values(self) -> dict:
        d = self.cleaned_data
        common = {
            "purchaser": self.pk(d["purchaser"]),
            "catalogue_code": d.get("catalogue_code") or "",
            "fiscal_year": d["fiscal_year"],
            "budget_amount": str(d["budget_amount"]),
        }
        if self.from_match:
            return {
                **common,
                "demand_id": d["demand"].pk,
                "offer_id": d["offer"].pk,
                "title": d.get("title") or None,
            }
        return {
            **common,
            "title": d["title"],
            "category": d["category"],
            "undertaker": self.pk(d.get("undertaker")),
            "custody_federation": self.pk(d.get("custody_federation")),
            "member": self.pk(d.get("member")),
            "transfers_government_function": bool(d.get("transfers_government_function")),
            "negative_item": d.get("negative_item") or "",
            "description": d.get("description") or "",
            "demand": self.pk(d.get("demand")),
            "offer": self.pk(d.get("offer")),
        }


def _projects(user, *states):
    return projects_visible_to(user).filter(state__in=states).order_by("-id")


class AllocationForm(ServiceForm):
    project = forms.ModelChoiceField(Project.objects.none(), label=_("project"))
    line = forms.ModelChoiceField(
        Region.objects.none(),
        label=_("budget line"),
        help_text=_("An approved line of your region (or above it) in the project's year."),
    )
    amount = forms.DecimalField(label=_("amount (CNY)"), **MONEY)
    expires_on = forms.DateField(
        label=_("reservation expires on"),
        required=False,
        help_text=_("Empty: the reservation does not expire."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Allocation
        fields = []

    def narrow(self, user):
        self.fields["project"].queryset = _projects(
            user,
            ProjectState.DRAFT,
            ProjectState.SUBMITTED,
            ProjectState.APPROVED,
            ProjectState.CONTRACTED,
            ProjectState.IN_PROGRESS,
        )
        self.fields["line"].queryset = (
            lines_visible_to(user)
            .filter(budget__state=ApprovalState.APPROVED, account__isnull=False)
            .order_by("-budget__fiscal_year__year", "budget__region__path", "id")
        )

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "project_id": d["project"].pk,
            "line": d["line"].pk,
            "amount": str(d["amount"]),
            "expires_on": d.get("expires_on"),
        }


class MilestoneForm(ServiceForm):
    project = forms.ModelChoiceField(Project.objects.none(), label=_("project"))
    number = forms.IntegerField(label=_("number"), min_value=1, max_value=999, initial=1)
    title = forms.CharField(label=_("title"), max_length=200)
    due_on = forms.DateField(label=_("due on"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=_("share of the price (CNY)"), **MONEY)
    deliverables = forms.CharField(
        label=_("deliverables"), max_length=4000, required=False, widget=forms.Textarea
    )

    class Meta:
        model = Milestone
        fields = []

    def narrow(self, user):
        self.fields["project"].queryset = _projects(
            user, ProjectState.DRAFT, ProjectState.SUBMITTED, ProjectState.APPROVED
        )

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "project_id": d["project"].pk,
            "number": d["number"],
            "title": d["title"],
            "due_on": d["due_on"],
            "amount": str(d["amount"]),
            "deliverables": d.get("deliverables") or "",
        }


def parse_criteria(text: str) -> list[dict]:
    """One criterion a line: 名称，权重，得分 (commas of either width)."""
    rows = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 3:
            raise forms.ValidationError(
                _("Line %(n)d: name, weight, score (three values)."), params={"n": n}
            )
        name, weight, score = parts
        try:
            rows.append({"name": name, "weight": Decimal(weight), "score": Decimal(score)})
        except InvalidOperation:
            raise forms.ValidationError(
                _("Line %(n)d: the weight and the score are numbers."), params={"n": n}
            ) from None
    return rows


class EvaluationForm(ServiceForm):
    project = forms.ModelChoiceField(Project.objects.none(), label=_("project"))
    evaluator_kind = forms.ChoiceField(label=_("evaluator"), choices=EvaluatorKind.choices)
    evaluator_name = forms.CharField(label=_("evaluator name"), max_length=200)
    evaluated_on = forms.DateField(
        label=_("evaluated on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    criteria = forms.CharField(
        label=_("criteria"),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "服务质量，60，90\n居民满意度，40，85"}
        ),
        help_text=_("One criterion a line: name, weight, score. The weights add up to 100."),
    )
    summary = forms.CharField(
        label=_("summary"), max_length=4000, required=False, widget=forms.Textarea
    )

    class Meta:
        model = Evaluation
        fields = []

    def narrow(self, user):
        self.fields["project"].queryset = _projects(
            user,
            ProjectState.DELIVERED,
            ProjectState.ACCEPTED,
            ProjectState.CLOSED,
            ProjectState.TERMINATED,
        )

    def clean_criteria(self):
        return parse_criteria(self.cleaned_data["criteria"])

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "project_id": d["project"].pk,
            "evaluator_kind": d["evaluator_kind"],
            "evaluator_name": d["evaluator_name"],
            "evaluated_on": d["evaluated_on"],
            "criteria": d["criteria"],
            "summary": d.get("summary") or "",
        }
