"""The compliance gate (DESIGN.md 3b; 财政部令第102号, 财预〔2017〕87号).

Each rule looks at a project (and its contract, allocations, milestones) and answers
pass / fail / not yet, with a machine-readable reason code and a Chinese message. The
services call `gate(...)` with the rules a step needs; a failing rule refuses the step with
its reason code (`ComplianceRefused`, 409). `report(project)` lists every rule for
`GET /api/v1/projects/{id}/compliance/`.

Reason codes: negative_list_item, catalogue_code_missing, undertaker_inactive,
undertaker_not_legal_person, party_organization_required, custody_not_eligible,
source_category_not_allowed, source_requires_party_organization, budget_wrong_fiscal_year,
budget_not_reserved, reserved_less_than_price, term_over_one_year, term_over_three_years,
milestone_shares_mismatch, no_signed_contract, milestone_not_accepted,
acceptance_without_evidence, no_evaluation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict
from federations.eligibility import custody_eligibility, transferred_function_eligibility
from funds.models import PurchaseCategory

from .models import (
    Allocation,
    AllocationState,
    Contract,
    ContractState,
    Evaluation,
    Evidence,
    Milestone,
    MilestoneState,
    NegativeItem,
)

PASS, FAIL, NOT_YET = "pass", "fail", "not_yet"
ZERO = Decimal("0.00")
MONEY_STATES = (AllocationState.RESERVED, AllocationState.COMMITTED, AllocationState.CLOSED)
LIVE_ALLOCATION_STATES = (
    AllocationState.DRAFT,
    AllocationState.SUBMITTED,
    AllocationState.RESERVED,
    AllocationState.COMMITTED,
)

RULE_LABELS = {
    "negative_list": gettext_lazy("Not on the negative list"),
    "catalogue": gettext_lazy("Names its catalogue category and code"),
    "undertaker": gettext_lazy("Undertaker eligible"),
    "sources": gettext_lazy("Sources' restrictions allow it"),
    "budget_first": gettext_lazy("Budget first: approved, reserved money in the fiscal year"),
    "term": gettext_lazy("Contract term at most one year (three if stable and funded)"),
    "milestone_shares": gettext_lazy("Milestone shares add up to the price"),
    "signed_contract": gettext_lazy("No payment before a signed contract"),
    "acceptance": gettext_lazy("A milestone is paid only after acceptance with evidence"),
    "evaluation": gettext_lazy("Performance evaluation before close-out"),
}


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: str
    code: str = ""
    message: str = ""

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self.rule])


class ComplianceRefused(Conflict):
    """A rule of the gate refuses; `code` is the first failing rule's reason code."""

    code = "compliance_refused"

    def __init__(self, failures: list[RuleResult]):
        self.failures = failures
        super().__init__(
            "；".join(f.message for f in failures),
            code=failures[0].code,
            fields={
                "reason_codes": [f.code for f in failures],
                "reasons": [f.message for f in failures],
            },
        )


@dataclass
class Facts:
    """What the rules read, loaded once (the caller may pass what it already has)."""

    project: object
    contract: object | None = None
    allocations: list = field(default_factory=list)
    milestones: list = field(default_factory=list)
    evidence_counts: dict = field(default_factory=dict)
    evaluations: int = 0
    on: datetime.date | None = None

    @classmethod
    def load(cls, project) -> Facts:
        contract = Contract.objects.filter(project=project).first()
        allocations = list(
            Allocation.objects.filter(project=project, state__in=LIVE_ALLOCATION_STATES + (
                AllocationState.CLOSED,))
            .select_related("line__source", "line__budget__fiscal_year")
            .order_by("id")
        )  # fmt: skip
        milestones = list(Milestone.objects.filter(project=project).order_by("number"))
        counts: dict = {}
        for milestone_id in Evidence.objects.filter(milestone__project=project).values_list(
            "milestone_id", flat=True
        ):
            counts[milestone_id] = counts.get(milestone_id, 0) + 1
        evaluations = Evaluation.objects.filter(project=project).count()
        return cls(project, contract, allocations, milestones, counts, evaluations)


def _ok(rule):
    return RuleResult(rule, PASS)


def _fail(rule, code, message):
    return RuleResult(rule, FAIL, code, str(message))


def _not_yet(rule, code, message):
    return RuleResult(rule, NOT_YET, code, str(message))


def _today(facts: Facts) -> datetime.date:
    return facts.on or timezone.localdate()


def rule_negative_list(facts: Facts) -> RuleResult:
    item = facts.project.negative_item
    if item:
        return _fail(
            "negative_list",
            "negative_list_item",
            _("%(item)s is on the negative list and cannot be bought as a service.")
            % {"item": NegativeItem(item).label},
        )
    return _ok("negative_list")


def rule_catalogue(facts: Facts) -> RuleResult:
    project = facts.project
    if (
        project.category not in PurchaseCategory.values
        or not (project.catalogue_code or "").strip()
    ):
        return _fail(
            "catalogue",
            "catalogue_code_missing",
            _("Each purchase names its category and code of the guiding catalogue."),
        )
    return _ok("catalogue")


def rule_undertaker(facts: Facts) -> RuleResult:
    project = facts.project
    on = _today(facts)
    if project.custody_federation_id:
        result = custody_eligibility(
            federation=project.custody_federation, organization=project.member, on=on
        )
        if not result:
            return _fail(
                "undertaker",
                "custody_not_eligible",
                _("The federation may not undertake in custody for this member: %(why)s")
                % {"why": "；".join(result.messages)},
            )
        organization = project.member
    else:
        organization = project.undertaker
        if organization.state != organization.State.ACTIVE:
            return _fail(
                "undertaker",
                "undertaker_inactive",
                _("The undertaker is %(state)s.") % {"state": organization.get_state_display()},
            )
        if not organization.has_legal_personality:
            return _fail(
                "undertaker",
                "undertaker_not_legal_person",
                _(
                    "An organization without legal personality undertakes only through its "
                    "federation (custody)."
                ),
            )
    if project.transfers_government_function:
        result = transferred_function_eligibility(organization=organization, on=on)
        if not result:
            return _fail(
                "undertaker",
                "party_organization_required",
                _(
                    "Government-transferred functions go only to organizations whose party "
                    "organization is in place: %(why)s"
                )
                % {"why": "；".join(result.messages)},
            )
    return _ok("undertaker")


def source_refusal(project, source) -> RuleResult | None:
    """Whether `source`'s restrictions refuse paying for `project` (None: they allow it)."""
    if not source.allows_category(project.category):
        return _fail(
            "sources",
            "source_category_not_allowed",
            _("Funding source %(source)s may not pay for %(category)s.")
            % {"source": source.name, "category": PurchaseCategory(project.category).label},
        )
    if source.requires_party_organization:
        organization = project.member if project.custody_federation_id else project.undertaker
        if not transferred_function_eligibility(organization=organization):
            return _fail(
                "sources",
                "source_requires_party_organization",
                _("Funding source %(source)s pays only undertakers whose party organization is in "
                  "place.") % {"source": source.name},
            )  # fmt: skip
    return None


def rule_sources(facts: Facts) -> RuleResult:
    if not facts.allocations:
        return _not_yet("sources", "budget_not_reserved", _("No allocation yet."))
    for allocation in facts.allocations:
        refused = source_refusal(facts.project, allocation.line.source)
        if refused:
            return refused
    return _ok("sources")


def reserved_total(allocations) -> Decimal:
    return sum((a.amount for a in allocations if a.state in MONEY_STATES), ZERO)


def rule_budget_first(facts: Facts) -> RuleResult:
    project = facts.project
    money = [a for a in facts.allocations if a.state in MONEY_STATES]
    for allocation in money:
        if allocation.line.budget.fiscal_year_id != project.fiscal_year_id:
            return _fail(
                "budget_first",
                "budget_wrong_fiscal_year",
                _("Allocation #%(id)s comes from another fiscal year's budget.")
                % {"id": allocation.pk},
            )
    if not money:
        code, message = (
            "budget_not_reserved",
            _("No approved, reserved budget money for this project yet (先有预算、后购买)."),
        )
        contract_pending = facts.contract is None or facts.contract.state != ContractState.SIGNED
        return (
            _not_yet("budget_first", code, message)
            if contract_pending
            else _fail("budget_first", code, message)
        )
    price = facts.contract.price if facts.contract is not None else None
    total = reserved_total(money)
    if price is not None and total < price:
        return _fail(
            "budget_first",
            "reserved_less_than_price",
            _("Reserved budget money ¥%(total)s is less than the price ¥%(price)s.")
            % {"total": f"{total:.2f}", "price": f"{price:.2f}"},
        )
    return _ok("budget_first")


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_refusal(*, term_start, term_end, stable_service: bool, funding_secured: bool):
    """The term rule on values (also used before a contract row exists)."""
    if term_end < add_years(term_start, 1):
        return None
    if stable_service and funding_secured:
        if term_end < add_years(term_start, 3):
            return None
        return _fail(
            "term",
            "term_over_three_years",
            _("A contract's term is at most three years, even for a stable, continuous service."),
        )
    return _fail(
        "term",
        "term_over_one_year",
        _(
            "A contract's term is at most one year; up to three only for a stable, continuous "
            "service with funding secured and budgeted year by year."
        ),
    )


def rule_term(facts: Facts) -> RuleResult:
    contract = facts.contract
    if contract is None:
        return _not_yet("term", "no_contract", _("No contract yet."))
    refused = term_refusal(
        term_start=contract.term_start,
        term_end=contract.term_end,
        stable_service=contract.stable_service,
        funding_secured=contract.funding_secured,
    )
    return refused or _ok("term")


def rule_milestone_shares(facts: Facts) -> RuleResult:
    if facts.contract is None or not facts.milestones:
        return _not_yet(
            "milestone_shares", "milestone_shares_mismatch", _("No contract or milestones yet.")
        )
    total = sum((m.amount for m in facts.milestones), ZERO)
    if total != facts.contract.price:
        return _fail(
            "milestone_shares",
            "milestone_shares_mismatch",
            _("Milestone shares add to ¥%(total)s, not the price ¥%(price)s.")
            % {"total": f"{total:.2f}", "price": f"{facts.contract.price:.2f}"},
        )
    return _ok("milestone_shares")


def rule_signed_contract(facts: Facts) -> RuleResult:
    if facts.contract is None or facts.contract.state != ContractState.SIGNED:
        return _not_yet(
            "signed_contract",
            "no_signed_contract",
            _("No payment before the contract is signed (with its signed scan)."),
        )
    return _ok("signed_contract")


PAID_STATES = (MilestoneState.PAYMENT_SUBMITTED, MilestoneState.PAID)


def milestone_refusal(milestone, evidence_count: int) -> RuleResult | None:
    if milestone.state not in (MilestoneState.ACCEPTED,) + PAID_STATES:
        return _fail(
            "acceptance",
            "milestone_not_accepted",
            _("Milestone %(n)s is not accepted yet: it is paid only after acceptance.")
            % {"n": milestone.number},
        )
    if evidence_count <= 0:
        return _fail(
            "acceptance",
            "acceptance_without_evidence",
            _("Milestone %(n)s's acceptance has no evidence uploaded.") % {"n": milestone.number},
        )
    return None


def rule_acceptance(facts: Facts) -> RuleResult:
    paid = [m for m in facts.milestones if m.state in PAID_STATES]
    for milestone in paid:
        refused = milestone_refusal(milestone, facts.evidence_counts.get(milestone.pk, 0))
        if refused:
            return refused
    if not paid:
        return _not_yet("acceptance", "milestone_not_accepted", _("No milestone paid yet."))
    return _ok("acceptance")


def rule_evaluation(facts: Facts) -> RuleResult:
    if facts.evaluations:
        return _ok("evaluation")
    result = _not_yet if facts.project.state != "closed" else _fail
    return result("evaluation", "no_evaluation", _("The project has no performance evaluation."))


RULES = {
    "negative_list": rule_negative_list,
    "catalogue": rule_catalogue,
    "undertaker": rule_undertaker,
    "sources": rule_sources,
    "budget_first": rule_budget_first,
    "term": rule_term,
    "milestone_shares": rule_milestone_shares,
    "signed_contract": rule_signed_contract,
    "acceptance": rule_acceptance,
    "evaluation": rule_evaluation,
}


def report(project, facts: Facts | None = None) -> list[RuleResult]:
    facts = facts or Facts.load(project)
    return [rule(facts) for rule in RULES.values()]


def gate(facts: Facts, rules: tuple[str, ...], *, strict: bool = True) -> None:
    """Refuse (ComplianceRefused) when one of `rules` fails; with `strict`, "not yet" also
    refuses (the step needs the rule passed)."""
    failures = []
    for name in rules:
        result = RULES[name](facts)
        if result.status == FAIL or (strict and result.status == NOT_YET):
            failures.append(result)
    if failures:
        raise ComplianceRefused(failures)


def refuse(result: RuleResult) -> ComplianceRefused:
    return ComplianceRefused([result])
