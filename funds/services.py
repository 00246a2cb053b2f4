"""Every write of funds: fiscal years, funding sources, budgets and lines, adjustments,
carry-forwards; and the effects their approvals have in the ledger.

Each approvable object has one service that submits it to the approval engine
(`source_submit`, `budget_submit`, `adjustment_request`, `carry_forward_request`) and two
effect functions the engine calls in the transaction of the final decision
(`*_approved`, `*_rejected`; registered in `funds.apps`). The effects do the ledger work:

- a source approved: its ledger account is opened and, for money from a treasury, one
  transfer (kind `funding`) from the treasury of its region into it;
- a budget approved: each line's ledger account is opened and its amount moved from the
  source (kind `budget`); the ledger's guard refuses a line over the source's money, also
  when two approvals compete for the same last yuan (the decision then rolls back);
- an adjustment approved: one transfer (kind `adjustment`) from line to line;
- a carry-forward approved: a source of the next year, funded by transfers (kind
  `carry_forward`) out of the closed year's accounts, each naming the year.

Every service checks role and scope itself before the ledger is touched: a finance
officer acts only in its region subtree; what it may not see answers 404.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role
from access.permissions import require_role
from access.selectors import sees_everything
from approvals.services import request_submit
from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.money import CENT, MAX_AMOUNT, yuan
from federations.models import Region
from ledger import services as ledger
from ledger.errors import Overdraft
from ledger.models import Account, AccountKind, TransferKind
from ledger.services import AccountScope

from .campaigns.models import CampaignState, OutcomeRule
from .models import (
    CHARITY_CATEGORIES,
    CHARITY_ONLY_KINDS,
    DONATION_KINDS,
    KIND_LEVELS,
    ApprovalState,
    Budget,
    BudgetAdjustment,
    BudgetLine,
    CarryForward,
    FiscalYear,
    FundingSource,
    PurchaseCategory,
    SourceKind,
)
from .selectors import (
    ancestor_paths,
    budgets_visible_to,
    in_officer_scope,
    line_available,
    lines_visible_to,
    officer_paths,
    regions_visible_to,
    source_available,
    sources_visible_to,
    unallocated_of,
)

BUDGET_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)

# Approval step kinds (registered in funds.apps).
STEP_SOURCE = "funding_source"
STEP_BUDGET = "budget"
STEP_ADJUSTMENT = "budget_adjustment"
STEP_CARRY_FORWARD = "carry_forward"


# --------------------------------------------------------------------------- checks


def money(value, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals, or a 400 naming `field`."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput(
            _("%(field)s: not a number.") % {"field": field},
            code="invalid_amount",
            fields={field: [_("A positive amount in yuan with at most two decimals.")]},
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidInput(
            _("%(field)s: not a number.") % {"field": field},
            code="invalid_amount",
            fields={field: [_("A positive amount in yuan with at most two decimals.")]},
        )
    if amount <= 0:
        raise InvalidInput(
            _("%(field)s: the amount must be greater than zero.") % {"field": field},
            code="amount_not_positive",
            fields={field: [_("The amount must be greater than zero.")]},
        )
    if amount > MAX_AMOUNT:
        raise InvalidInput(
            _("%(field)s: the amount is too large: at most %(limit)s.")
            % {"field": field, "limit": yuan(MAX_AMOUNT)},
            code="amount_out_of_range",
            fields={field: [_("At most %(limit)s.") % {"limit": yuan(MAX_AMOUNT)}]},
        )
    if amount != amount.quantize(CENT):
        raise InvalidInput(
            _("%(field)s: the amount has more than two decimals.") % {"field": field},
            code="too_many_decimals",
            fields={field: [_("At most two decimals (fen).")]},
        )
    return amount.quantize(CENT)


def _text(value, field: str, *, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(fields={field: [_("Give text.")]})
    value = value.strip()
    if required and not value:
        raise InvalidInput(
            _("%(field)s is required.") % {"field": field},
            fields={field: [_("This field is required.")]},
        )
    if len(value) > max_length:
        raise InvalidInput(
            fields={field: [_("At most %(n)d characters.") % {"n": max_length}]},
        )
    return value


def _validate(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        raise InvalidInput(
            "；".join(" ".join(v) for v in fields.values()) or "；".join(exc.messages),
            fields=fields or {"non_field_errors": exc.messages},
        ) from exc


def _require_officer(actor, region: Region) -> None:
    """A finance officer whose subtree holds `region` (administrators too)."""
    require_role(actor, Role.FINANCE_OFFICER)
    if not in_officer_scope(actor, region):
        raise NotFound(_("No such region in your scope."), code="out_of_scope")


def _unknown(field: str, message) -> InvalidInput:
    """An id named in a request body that the actor may not see answers as a missing one:
    400 naming the field (an id in the path answers 404)."""
    return InvalidInput(message, code="unknown_object", fields={field: [message]})


def _region(actor, value) -> Region:
    """The region named in a body: in the actor's finance-officer scope, or a 400."""
    if isinstance(value, Region):
        value = value.pk
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(fields={"region": [_("A region id.")]})
    region = regions_visible_to(actor).filter(pk=value).first()
    if region is None or not in_officer_scope(actor, region):
        raise _unknown("region", _("No such region in your scope."))
    return region


def open_year(value, *, lock: bool = False) -> FiscalYear:
    """The fiscal year `value` (a year or a FiscalYear), which must be open (409 if not)."""
    year_number = value.year if isinstance(value, FiscalYear) else value
    if isinstance(year_number, bool) or not isinstance(year_number, int):
        raise InvalidInput(fields={"fiscal_year": [_("A year, such as 2026.")]})
    queryset = FiscalYear.objects.select_for_update() if lock else FiscalYear.objects
    year = queryset.filter(year=year_number).first()
    if year is None:
        raise InvalidInput(
            _("Fiscal year %(year)s is not open: an administrator opens it first.")
            % {"year": year_number},
            code="fiscal_year_unknown",
            fields={"fiscal_year": [_("No such fiscal year.")]},
        )
    if not year.is_open:
        raise Conflict(
            _("Fiscal year %(year)s is closed: it takes no new budget, adjustment or allocation.")
            % {"year": year.year},
            code="fiscal_year_closed",
            fields={"fiscal_year": [_("The year is closed.")]},
        )
    return year


def _categories(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput(fields={"allowed_categories": [_("A list of categories.")]})
    unknown = [c for c in value if c not in PurchaseCategory.values]
    if unknown:
        raise InvalidInput(
            _("Unknown purchase category: %(c)s.") % {"c": ", ".join(map(str, unknown))},
            fields={"allowed_categories": [_("Unknown category.")]},
        )
    return sorted(set(value))


def _treasury(actor, region: Region) -> Account:
    """The outside account a region's government (or a community's own funds) pays from:
    one per region, opened on first use."""
    name = (
        _("%(region)s own funds")
        if region.level == Region.Level.COMMUNITY
        else _("%(region)s treasury")
    ) % {"region": region.name}
    try:
        with transaction.atomic():
            return ledger.open_account(
                actor=actor,
                kind=AccountKind.EXTERNAL,
                name=name,
                code=f"treasury:{region.code}",
                owner_type="federations.region",
                owner_id=region.pk,
                scope=AccountScope(region_path=region.path),
                reason=_("treasury of %(region)s") % {"region": region.name},
            )
    except IntegrityError:  # opened at the same moment by another approval
        return Account.objects.get(
            owner_type="federations.region", owner_id=region.pk, kind=AccountKind.EXTERNAL
        )


def _lock(model, pk: int):
    return model.objects.select_for_update().get(pk=pk)


def _expect_submitted(obj) -> None:
    if obj.state != ApprovalState.SUBMITTED:
        raise Conflict(
            _("This is %(state)s, not waiting for approval.") % {"state": obj.get_state_display()},
            code="not_submitted",
        )


def _settle(model, request, state: str, default_reason: str, reason: str = "") -> None:
    """The effect of a decision that moves no money, for every step of this app: the
    submitted object is rejected (final; its decision time kept where the model has one)
    or returned for changes or withdrawn (`state` DRAFT: a draft again)."""
    obj = _lock(model, request.owner_id)
    _expect_submitted(obj)
    obj.state = state
    if state == ApprovalState.REJECTED and hasattr(obj, "decided_at"):
        obj.decided_at = timezone.now()
    set_reason(obj, reason or default_reason).save()


# --------------------------------------------------------------------------- fiscal years


def fiscal_year_open(*, actor, year: int, reason: str = "") -> FiscalYear:
    """Open a fiscal year (administrators or city-level finance officers)."""
    _require_city_officer(actor)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(fields={"year": [_("A year between 2000 and 2100.")]})
    with transaction.atomic():
        if FiscalYear.objects.filter(year=year).exists():
            raise Conflict(_("Fiscal year %(y)s already exists.") % {"y": year}, code="exists",
                           fields={"year": [_("Already exists.")]})  # fmt: skip
        fy = FiscalYear(year=year)
        _validate(fy)
        set_reason(fy, reason or _("fiscal year opened")).save()
    return fy


def _require_city_officer(actor) -> None:
    require_role(actor, Role.FINANCE_OFFICER)
    if sees_everything(actor):
        return
    if not any(p.count("/") == 2 for p in officer_paths(actor)):
        raise NotPermitted(
            _("Only a city finance officer or an administrator opens or closes a fiscal year."),
            code="city_officer_required",
        )


def fiscal_year_close(*, actor, year: int, reason: str) -> FiscalYear:
    """Close a year: no new budget, adjustment or allocation in it afterwards. Its
    unallocated money stays where it is until carried forward (with an approval)."""
    _require_city_officer(actor)
    reason = _text(reason, "reason", max_length=500)
    with transaction.atomic():
        fy = open_year(year, lock=True)
        pending = Budget.objects.filter(fiscal_year=fy, state=ApprovalState.SUBMITTED).count()
        pending += BudgetAdjustment.objects.filter(
            budget__fiscal_year=fy, state=ApprovalState.SUBMITTED
        ).count()
        if pending:
            raise Conflict(
                _("%(n)d budgets or adjustments of %(y)s still wait for approval.")
                % {"n": pending, "y": fy.year},
                code="pending_approvals",
            )
        fy.state = FiscalYear.State.CLOSED
        fy.closed_at = timezone.now()
        fy.closed_by = actor
        set_reason(fy, reason).save()
    return fy


# --------------------------------------------------------------------------- sources

SOURCE_FIELDS = (
    "name",
    "issuer",
    "document_number",
    "document_date",
    "appropriated_amount",
    "allowed_categories",
    "requires_party_organization",
    "charity_only",
    "purpose",
)


def _apply_source_fields(source: FundingSource, data: dict) -> None:
    unknown = set(data) - set(SOURCE_FIELDS)
    if unknown:
        raise InvalidInput(fields={k: [_("Unknown field.")] for k in sorted(unknown)})
    if "name" in data:
        source.name = _text(data["name"], "name", max_length=200)
    if "issuer" in data:
        source.issuer = _text(data["issuer"], "issuer", max_length=200, required=False)
    if "document_number" in data:
        source.document_number = _text(
            data["document_number"], "document_number", max_length=100, required=False
        )
    if "document_date" in data:
        value = data["document_date"]
        if value is not None and not isinstance(value, datetime.date):
            raise InvalidInput(fields={"document_date": [_("A date.")]})
        source.document_date = value
    if "appropriated_amount" in data:
        source.appropriated_amount = money(data["appropriated_amount"], "appropriated_amount")
    if "allowed_categories" in data:
        source.allowed_categories = _categories(data["allowed_categories"])
    for flag in ("requires_party_organization", "charity_only"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise InvalidInput(fields={flag: [_("true or false.")]})
            setattr(source, flag, data[flag])
    if "purpose" in data:
        source.purpose = _text(data["purpose"], "purpose", max_length=500, required=False)
    if source.kind in CHARITY_ONLY_KINDS:
        source.charity_only = True
    if source.charity_only and source.allowed_categories:
        outside = [c for c in source.allowed_categories if c not in CHARITY_CATEGORIES]
        if outside:
            raise InvalidInput(
                _("A charity-only source allows charity-type categories only: %(c)s is not.")
                % {"c": ", ".join(outside)},
                code="category_not_charity",
                fields={"allowed_categories": [_("Not a charity-type category.")]},
            )


def _check_document(source: FundingSource) -> None:
    if not source.document_number:
        return
    clash = FundingSource.objects.filter(
        issuer=source.issuer,
        fiscal_year=source.fiscal_year,
        document_number=source.document_number,
    ).exclude(state=ApprovalState.REJECTED)
    if source.pk:
        clash = clash.exclude(pk=source.pk)
    if clash.exists():
        raise Conflict(
            _("Document number %(n)s of %(issuer)s is already recorded for %(y)s.")
            % {"n": source.document_number, "issuer": source.issuer or "-",
               "y": source.fiscal_year.year},
            code="duplicate_document_number",
            fields={"document_number": [_("Already used by this issuer this year.")]},
        )  # fmt: skip


def _save_source(source: FundingSource, reason: str) -> FundingSource:
    _check_document(source)
    _validate(source)
    try:
        with transaction.atomic():
            set_reason(source, reason).save()
    except IntegrityError as exc:
        if "funds_source_unique_document" in str(exc):
            raise Conflict(
                _("Document number %(n)s of %(issuer)s is already recorded for %(y)s.")
                % {"n": source.document_number, "issuer": source.issuer or "-",
                   "y": source.fiscal_year.year},
                code="duplicate_document_number",
                fields={"document_number": [_("Already used by this issuer this year.")]},
            ) from None  # fmt: skip
        raise
    return source


def source_create(
    *, actor, kind: str, fiscal_year: int, region, reason: str = "", **fields
) -> FundingSource:
    """Record a funding source as a draft (then `source_submit` it for approval)."""
    require_role(actor, Role.FINANCE_OFFICER)
    region = _region(actor, region)
    _require_officer(actor, region)
    if kind not in SourceKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown kind of source.")]})
    if region.level not in KIND_LEVELS[kind]:
        raise InvalidInput(
            _("A %(level)s may not own a source of kind %(kind)s (allowed: %(levels)s).")
            % {
                "level": region.get_level_display(),
                "kind": SourceKind(kind).label,
                "levels": ", ".join(str(Region.Level(x).label) for x in KIND_LEVELS[kind]),
            },
            code="kind_not_for_level",
            fields={"kind": [_("A region of this level may not own this kind.")]},
        )
    for required in ("name", "appropriated_amount"):
        if required not in fields:
            raise InvalidInput(fields={required: [_("This field is required.")]})
    with transaction.atomic():
        year = open_year(fiscal_year)
        source = FundingSource(
            kind=kind,
            fiscal_year=year,
            region=region,
            region_level=region.level,
            created_by=actor,
        )
        _apply_source_fields(source, fields)
        if kind not in DONATION_KINDS and not source.document_number:
            raise InvalidInput(
                _("A source from a treasury names the document that appropriated it (文号)."),
                code="document_required",
                fields={"document_number": [_("This field is required.")]},
            )
        return _save_source(source, reason or _("funding source recorded"))


def _source_for_write(actor, source_id) -> FundingSource:
    if isinstance(source_id, bool) or not isinstance(source_id, int):
        raise NotFound(_("No such funding source."))
    found = sources_visible_to(actor).filter(pk=source_id).first()
    if found is None:
        raise NotFound(_("No such funding source."))
    _require_officer(actor, found.region)
    return _lock(FundingSource, found.pk)


def source_update(*, actor, source_id: int, reason: str = "", **fields) -> FundingSource:
    """Change a draft source (a submitted or approved one is never edited)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        source = _source_for_write(actor, source_id)
        if source.state != ApprovalState.DRAFT:
            raise Conflict(
                _("Only a draft source is edited; this one is %(s)s.")
                % {"s": source.get_state_display()},
                code="not_draft",
            )
        _apply_source_fields(source, fields)
        return _save_source(source, reason or _("funding source changed"))


def source_submit(*, actor, source_id: int, reason: str = ""):
    """Submit a draft source to the approval engine."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        source = _source_for_write(actor, source_id)
        if source.state != ApprovalState.DRAFT:
            raise Conflict(_("Only a draft is submitted."), code="not_draft")
        open_year(source.fiscal_year)
        source.state = ApprovalState.SUBMITTED
        set_reason(source, reason or _("submitted for approval")).save()
        return request_submit(
            actor=actor,
            kind=STEP_SOURCE,
            owner_type="funds.fundingsource",
            owner_id=source.pk,
            amount=source.appropriated_amount,
            region=source.region,
            reason=reason,
            created_by=source.created_by,
        )


def _open_source_account(actor, source: FundingSource) -> Account:
    return ledger.open_account(
        actor=actor,
        kind=AccountKind.FUNDING_SOURCE,
        name=f"{source.name}（{source.fiscal_year.year}）"[:200],
        owner_type="funds.fundingsource",
        owner_id=source.pk,
        scope=AccountScope(region_path=source.region.path),
        reason=_("funding source approved"),
    )


def source_approved(request, *, actor, reason: str = "") -> None:
    """Effect of the final approval: the source's account, funded from its treasury."""
    source = _lock(FundingSource, request.owner_id)
    _expect_submitted(source)
    account = _open_source_account(actor, source)
    source.account = account
    source.money_tag = account
    if source.kind not in DONATION_KINDS:
        ledger.post_transfer(
            actor=actor,
            from_account=_treasury(actor, source.region),
            to_account=account,
            amount=source.appropriated_amount,
            source_account=account,
            kind=TransferKind.FUNDING,
            memo=f"{source.issuer} {source.document_number}".strip()[:500],
            idempotency_key=f"funds:source:{source.pk}:funding",
        )
    source.state = ApprovalState.APPROVED
    source.approved_at = timezone.now()
    set_reason(source, reason or _("approved")).save()


def source_rejected(request, *, actor, reason: str = "") -> None:
    _settle(FundingSource, request, ApprovalState.REJECTED, _("rejected"), reason)


def source_returned(request, *, actor, reason: str = "") -> None:
    """Returned for changes (or withdrawn): a draft again."""
    _settle(FundingSource, request, ApprovalState.DRAFT, _("returned for changes"), reason)


# --------------------------------------------------------------------------- budgets


def budget_create(*, actor, region, fiscal_year: int, title: str, reason: str = "") -> Budget:
    """A county's or township's annual budget, as a draft to add lines to."""
    require_role(actor, Role.FINANCE_OFFICER)
    region = _region(actor, region)
    _require_officer(actor, region)
    if region.level not in BUDGET_LEVELS:
        raise InvalidInput(
            _("Annual budgets are kept by counties and townships, not by a %(level)s.")
            % {"level": region.get_level_display()},
            code="budget_level",
            fields={"region": [_("A county or a township.")]},
        )
    title = _text(title, "title", max_length=200)
    with transaction.atomic():
        year = open_year(fiscal_year)
        if (
            Budget.objects.filter(region=region, fiscal_year=year)
            .exclude(state=ApprovalState.REJECTED)
            .exists()
        ):
            raise Conflict(
                _("%(region)s already has a budget for %(year)s; adjust it instead.")
                % {"region": region.name, "year": year.year},
                code="budget_exists",
                fields={"region": [_("Already has a budget this year.")]},
            )
        budget = Budget(region=region, fiscal_year=year, title=title, created_by=actor)
        _validate(budget)
        set_reason(budget, reason or _("budget drafted")).save()
    return budget


def _budget_for_write(actor, budget_id, *, field: str | None = None) -> Budget:
    found = None
    if not isinstance(budget_id, bool) and isinstance(budget_id, int):
        found = budgets_visible_to(actor).filter(pk=budget_id).first()
    if found is None:
        raise _unknown(field, _("No such budget.")) if field else NotFound(_("No such budget."))
    _require_officer(actor, found.region)
    return _lock(Budget, found.pk)


def _expect_draft(budget: Budget) -> None:
    if budget.state != ApprovalState.DRAFT:
        raise Conflict(
            _("The budget is %(s)s: its lines change only by adjustments.")
            % {"s": budget.get_state_display()},
            code="budget_not_draft",
        )


def _check_campaign_settled(source: FundingSource) -> None:
    """An all-or-nothing campaign's money is budgeted only once it has succeeded: until then
    every donation may have to go back to its donor (DESIGN 3b: no money spent that a
    refund needs)."""
    campaign = getattr(source, "campaign", None) if source.kind == SourceKind.CROWDFUNDING else None
    if (
        campaign is not None
        and campaign.outcome_rule == OutcomeRule.ALL_OR_NOTHING
        and campaign.state != CampaignState.SUCCEEDED
    ):
        raise Conflict(
            _(
                "Campaign %(c)s is all-or-nothing and has not succeeded: its money may still "
                "go back to the donors."
            )
            % {"c": campaign.title},  # fmt: skip
            code="campaign_not_succeeded",
            fields={"source": [_("The campaign has not succeeded yet.")]},
        )


def _check_line_source(budget: Budget, source: FundingSource, category: str) -> None:
    if source.state != ApprovalState.APPROVED:
        raise Conflict(
            _("Source %(s)s is not approved.") % {"s": source.name},
            code="source_not_approved",
            fields={"source": [_("Not approved.")]},
        )
    _check_campaign_settled(source)
    if source.fiscal_year_id != budget.fiscal_year_id:
        raise InvalidInput(
            _("Source %(s)s belongs to %(y)s, the budget to %(b)s.")
            % {"s": source.name, "y": source.fiscal_year.year, "b": budget.fiscal_year.year},
            code="source_other_year",
            fields={"source": [_("Another fiscal year.")]},
        )
    path = budget.region.path
    if source.region.path != path and source.region.path not in ancestor_paths(path):
        raise InvalidInput(
            _("A budget draws only on sources of its own region or the regions above it."),
            code="source_out_of_region",
            fields={"source": [_("Not this region's or above.")]},
        )
    if category not in PurchaseCategory.values:
        raise InvalidInput(fields={"category": [_("Unknown purchase category.")]})
    if not source.allows_category(category):
        raise InvalidInput(
            _("Source %(s)s may not pay for %(c)s (its restrictions).")
            % {"s": source.name, "c": PurchaseCategory(category).label},
            code="category_not_allowed",
            fields={"category": [_("Not allowed by the source's restrictions.")]},
        )


def _check_source_money(source: FundingSource, budget: Budget) -> None:
    """The budget's lines on `source` fit in what the source still holds (the ledger's
    figure). Budgets submitted side by side may each fit and together not: the ledger's
    guard at approval decides which gets the money."""
    asked = sum(
        (ln.amount for ln in BudgetLine.objects.filter(budget=budget, source=source)),
        Decimal("0.00"),
    )
    free = source_available(source)
    if asked > free:
        raise Conflict(
            _(
                "The lines on %(s)s ask ¥%(asked)s; the source has ¥%(free)s not yet budgeted "
                "(a line over its source's money)."
            )
            % {"s": source.name, "asked": f"{asked:.2f}", "free": f"{max(free, 0):.2f}"},
            code="over_source",
            fields={"amount": [_("More than the source has left.")]},
        )


def line_add(
    *, actor, budget_id: int, category: str, source_id: int, amount, description: str = "",
    reason: str = "",
) -> BudgetLine:  # fmt: skip
    """A line of a draft budget: a category paid from one source."""
    require_role(actor, Role.FINANCE_OFFICER)
    amount = money(amount)
    description = _text(description, "description", max_length=300, required=False)
    with transaction.atomic():
        budget = _budget_for_write(actor, budget_id, field="budget")
        _expect_draft(budget)
        open_year(budget.fiscal_year)
        source = None
        if not isinstance(source_id, bool) and isinstance(source_id, int):
            source = sources_visible_to(actor).filter(pk=source_id).first()
        if source is None:
            raise _unknown("source", _("No such funding source."))
        _check_line_source(budget, source, category)
        if BudgetLine.objects.filter(budget=budget, category=category, source=source).exists():
            raise Conflict(
                _("The budget already has a line for this category and source."),
                code="line_exists",
                fields={"category": [_("Already a line.")]},
            )
        line = BudgetLine(
            budget=budget, category=category, source=source, amount=amount,
            description=description,
        )  # fmt: skip
        _validate(line)
        set_reason(line, reason or _("line added")).save()
        _check_source_money(source, budget)
    return line


def _line_for_write(actor, line_id, *, field: str | None = None) -> BudgetLine:
    found = None
    if not isinstance(line_id, bool) and isinstance(line_id, int):
        found = lines_visible_to(actor).filter(pk=line_id).first()
    if found is None:
        message = _("No such budget line.")
        raise _unknown(field, message) if field else NotFound(message)
    _require_officer(actor, found.budget.region)
    return found


def line_update(
    *, actor, line_id: int, amount=None, description=None, reason: str = ""
) -> BudgetLine:
    """Change a line of a draft budget (an approved one changes only by adjustments)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        line = _line_for_write(actor, line_id)
        budget = _lock(Budget, line.budget_id)
        _expect_draft(budget)
        line = _lock(BudgetLine, line.pk)
        if amount is not None:
            line.amount = money(amount)
        if description is not None:
            line.description = _text(description, "description", max_length=300, required=False)
        _validate(line)
        set_reason(line, reason or _("line changed")).save()
        _check_source_money(line.source, budget)
    return line


def line_remove(*, actor, line_id: int, reason: str = "") -> None:
    """Take a line out of a draft budget (its history keeps it)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        line = _line_for_write(actor, line_id)
        budget = _lock(Budget, line.budget_id)
        _expect_draft(budget)
        line = _lock(BudgetLine, line.pk)
        set_reason(line, reason or _("line removed")).delete()


def _approval_region(budget: Budget, lines) -> Region:
    """Whose money the budget moves: the highest region among the budget's and its
    sources' (a township budget on the county's special fund is decided at the county)."""
    regions = [budget.region] + [ln.source.region for ln in lines]
    return min(regions, key=lambda r: r.path.count("/"))


def budget_submit(*, actor, budget_id: int, reason: str = ""):
    """Submit a draft budget (with at least one line) for approval."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        budget = _budget_for_write(actor, budget_id)
        _expect_draft(budget)
        open_year(budget.fiscal_year)
        lines = list(budget.lines.select_related("source__region", "source__fiscal_year"))
        if not lines:
            raise InvalidInput(
                _("A budget without lines is not submitted."),
                code="budget_empty",
                fields={"lines": [_("Add at least one line.")]},
            )
        for source in {ln.source for ln in lines}:
            _check_line_source(budget, source, next(ln.category for ln in lines
                                                    if ln.source_id == source.pk))  # fmt: skip
            _check_source_money(source, budget)
        budget.state = ApprovalState.SUBMITTED
        set_reason(budget, reason or _("submitted for approval")).save()
        return request_submit(
            actor=actor,
            kind=STEP_BUDGET,
            owner_type="funds.budget",
            owner_id=budget.pk,
            amount=sum((ln.amount for ln in lines), Decimal("0.00")),
            region=_approval_region(budget, lines),
            reason=reason,
            created_by=budget.created_by,
        )


class LineOverSource(Conflict):
    code = "over_source"


def budget_approved(request, *, actor, reason: str = "") -> None:
    """Effect of the final approval: each line's account, funded from its source. The
    ledger refuses a line over the source's money (then nothing of the budget is done)."""
    budget = _lock(Budget, request.owner_id)
    _expect_submitted(budget)
    open_year(budget.fiscal_year)
    lines = list(
        BudgetLine.objects.select_for_update()
        .filter(budget=budget)
        .select_related("source__fiscal_year")
        .order_by("id")
    )
    for line in lines:
        _check_campaign_settled(line.source)
        line.account = ledger.open_account(
            actor=actor,
            kind=AccountKind.BUDGET_LINE,
            name=f"{budget.region.name}{budget.fiscal_year.year}·{line.get_category_display()}"
            f"·{line.source.name}"[:200],
            owner_type="funds.budgetline",
            owner_id=line.pk,
            scope=AccountScope(region_path=budget.region.path),
            reason=_("budget approved"),
        )
        try:
            ledger.post_transfer(
                actor=actor,
                from_account=line.source.account,
                to_account=line.account,
                amount=line.amount,
                source_account=line.source.money_tag,
                kind=TransferKind.BUDGET,
                memo=f"{budget.title}：{line.get_category_display()}"[:500],
                idempotency_key=f"funds:line:{line.pk}:budget",
            )
        except Overdraft as exc:
            raise LineOverSource(
                _(
                    "Line %(line)s (¥%(amount)s) is over what source %(s)s has left: "
                    "¥%(short)s short."
                )
                % {"line": line.get_category_display(), "amount": f"{line.amount:.2f}",
                   "s": line.source.name, "short": f"{exc.shortfall:.2f}"},
                fields={"lines": [str(line.pk)], "shortfall": [f"{exc.shortfall:.2f}"]},
            ) from exc  # fmt: skip
        set_reason(line, reason or _("budget approved")).save()
    budget.state = ApprovalState.APPROVED
    budget.approved_at = timezone.now()
    set_reason(budget, reason or _("approved")).save()


def budget_rejected(request, *, actor, reason: str = "") -> None:
    _settle(Budget, request, ApprovalState.REJECTED, _("rejected"), reason)


def budget_returned(request, *, actor, reason: str = "") -> None:
    """Returned for changes (or withdrawn): a draft again."""
    _settle(Budget, request, ApprovalState.DRAFT, _("returned for changes"), reason)


# --------------------------------------------------------------------------- adjustments


def sources_compatible(a: FundingSource, b: FundingSource, category_a: str, category_b: str):
    """Whether money of `a` (a line of `category_a`) may move to a line of `b` and
    `category_b`: the same source, or both sources' restrictions allow it."""
    if a.pk == b.pk:
        return True, ""
    if not a.allows_category(category_b):
        return False, _("source %(s)s may not pay for %(c)s") % {
            "s": a.name, "c": PurchaseCategory(category_b).label}  # fmt: skip
    if a.requires_party_organization != b.requires_party_organization:
        return False, _("only one of the sources requires the undertaker's party organization")
    if a.charity_only != b.charity_only:
        return False, _("only one of the sources is for charity-type activities only")
    if not b.allows_category(category_a):
        return False, _("source %(s)s may not pay for %(c)s") % {
            "s": b.name, "c": PurchaseCategory(category_a).label}  # fmt: skip
    return True, ""


def adjustment_request(
    *, actor, from_line_id: int, to_line_id: int, amount, reason: str
) -> BudgetAdjustment:
    """预算调剂: ask to move money from one line to another of the same approved budget."""
    require_role(actor, Role.FINANCE_OFFICER)
    amount = money(amount)
    reason = _text(reason, "reason", max_length=500)
    with transaction.atomic():
        from_line = _line_for_write(actor, from_line_id, field="from_line")
        to_line = _line_for_write(actor, to_line_id, field="to_line")
        if from_line.pk == to_line.pk:
            raise InvalidInput(
                _("An adjustment moves money between two different lines."),
                code="same_line",
                fields={"to_line": [_("Same as the from line.")]},
            )
        if from_line.budget_id != to_line.budget_id:
            raise InvalidInput(
                _("An adjustment moves money between lines of the same budget."),
                code="other_budget",
                fields={"to_line": [_("Another budget's line.")]},
            )
        budget = _lock(Budget, from_line.budget_id)
        open_year(budget.fiscal_year)
        if budget.state != ApprovalState.APPROVED:
            raise Conflict(
                _("Only the lines of an approved budget are adjusted; edit the draft instead."),
                code="budget_not_approved",
            )
        ok, why = sources_compatible(
            from_line.source, to_line.source, from_line.category, to_line.category
        )
        if not ok:
            raise InvalidInput(
                _("These lines' sources are incompatible: %(why)s.") % {"why": why},
                code="incompatible_sources",
                fields={"to_line": [why]},
            )
        available = line_available(from_line)
        waiting = sum(
            (
                a.amount
                for a in BudgetAdjustment.objects.filter(
                    from_line=from_line, state=ApprovalState.SUBMITTED
                )
            ),
            Decimal("0.00"),
        )
        if amount > available - waiting:
            raise Conflict(
                _("The line has ¥%(a)s left to move (after adjustments waiting); ¥%(x)s asked.")
                % {"a": f"{max(available - waiting, 0):.2f}", "x": f"{amount:.2f}"},
                code="over_line",
                fields={"amount": [_("More than the line has left.")]},
            )
        adjustment = BudgetAdjustment(
            budget=budget, from_line=from_line, to_line=to_line, amount=amount, reason=reason,
            created_by=actor,
        )  # fmt: skip
        _validate(adjustment)
        set_reason(adjustment, reason).save()
        request_submit(
            actor=actor,
            kind=STEP_ADJUSTMENT,
            owner_type="funds.budgetadjustment",
            owner_id=adjustment.pk,
            amount=amount,
            region=budget.region,
            reason=reason,
            created_by=actor,
        )
    return adjustment


def adjustment_approved(request, *, actor, reason: str = "") -> None:
    adjustment = _lock(BudgetAdjustment, request.owner_id)
    _expect_submitted(adjustment)
    budget = Budget.objects.select_related("fiscal_year").get(pk=adjustment.budget_id)
    open_year(budget.fiscal_year)
    lines = {
        ln.pk: ln
        for ln in BudgetLine.objects.select_for_update()
        .filter(pk__in=[adjustment.from_line_id, adjustment.to_line_id])
        .select_related("source")
        .order_by("id")
    }
    from_line, to_line = lines[adjustment.from_line_id], lines[adjustment.to_line_id]
    try:
        ledger.post_transfer(
            actor=actor,
            from_account=from_line.account,
            to_account=to_line.account,
            amount=adjustment.amount,
            source_account=from_line.source.money_tag,
            kind=TransferKind.ADJUSTMENT,
            memo=adjustment.reason,
            idempotency_key=f"funds:adjustment:{adjustment.pk}",
        )
    except Overdraft as exc:
        raise Conflict(
            _("The line no longer has ¥%(x)s to move: ¥%(s)s short.")
            % {"x": f"{adjustment.amount:.2f}", "s": f"{exc.shortfall:.2f}"},
            code="over_line",
            fields={"amount": [_("More than the line has left.")]},
        ) from exc
    note = _("adjustment #%(id)d: %(reason)s") % {"id": adjustment.pk, "reason": adjustment.reason}
    from_line.amount -= adjustment.amount
    set_reason(from_line, note).save()
    to_line.amount += adjustment.amount
    set_reason(to_line, note).save()
    adjustment.state = ApprovalState.APPROVED
    adjustment.decided_at = timezone.now()
    set_reason(adjustment, reason or _("approved")).save()


def adjustment_rejected(request, *, actor, reason: str = "") -> None:
    _settle(BudgetAdjustment, request, ApprovalState.REJECTED, _("rejected"), reason)


# --------------------------------------------------------------------------- carry-forward


def carry_forward_request(*, actor, source_id: int, reason: str) -> CarryForward:
    """Ask to carry a closed year's unallocated money of a source into the next year."""
    require_role(actor, Role.FINANCE_OFFICER)
    reason = _text(reason, "reason", max_length=500)
    with transaction.atomic():
        source = _source_for_write(actor, source_id)
        if source.state != ApprovalState.APPROVED:
            raise Conflict(_("Only an approved source's money is carried."), code="not_approved")
        if source.fiscal_year.is_open:
            raise Conflict(
                _("Fiscal year %(y)s is still open: close it before carrying forward.")
                % {"y": source.fiscal_year.year},
                code="fiscal_year_open",
                fields={"fiscal_year": [_("Still open.")]},
            )
        open_year(source.fiscal_year.year + 1)
        if CarryForward.objects.filter(source=source).exclude(state="rejected").exists():
            raise Conflict(
                _("This source's money is already carried forward."), code="already_carried"
            )
        amount = sum((x["amount"] for x in unallocated_of(source)), Decimal("0.00"))
        if amount <= 0:
            raise Conflict(
                _("Source %(s)s has no unallocated money to carry.") % {"s": source.name},
                code="nothing_to_carry",
            )
        carry = CarryForward(source=source, amount=amount, reason=reason, created_by=actor)
        _validate(carry)
        set_reason(carry, reason).save()
        request_submit(
            actor=actor,
            kind=STEP_CARRY_FORWARD,
            owner_type="funds.carryforward",
            owner_id=carry.pk,
            amount=amount,
            region=source.region,
            reason=reason,
            created_by=actor,
        )
    return carry


def carry_forward_approved(request, *, actor, reason: str = "") -> None:
    """A source of the next year, funded by one transfer per account that holds the closed
    year's unallocated money of the source (memo: the year it came from)."""
    carry = _lock(CarryForward, request.owner_id)
    _expect_submitted(carry)
    old = FundingSource.objects.select_related("fiscal_year", "region").get(pk=carry.source_id)
    next_year = open_year(old.fiscal_year.year + 1)
    parts = unallocated_of(old)
    total = sum((p["amount"] for p in parts), Decimal("0.00"))
    if total <= 0:
        raise Conflict(_("Nothing is left to carry."), code="nothing_to_carry")
    new = FundingSource(
        name=(_("%(name)s (carried from %(y)s)") % {"name": old.name, "y": old.fiscal_year.year})[
            :200
        ],
        kind=old.kind,
        fiscal_year=next_year,
        region=old.region,
        region_level=old.region_level,
        issuer=old.issuer,
        appropriated_amount=total,
        allowed_categories=old.allowed_categories,
        requires_party_organization=old.requires_party_organization,
        charity_only=old.charity_only,
        purpose=old.purpose,
        carried_from=old,
        created_by=carry.created_by,
        state=ApprovalState.SUBMITTED,
    )  # fmt: skip
    _validate(new)
    set_reason(new, _("carried forward")).save()
    new.account = _open_source_account(actor, new)
    new.money_tag_id = old.money_tag_id
    memo = _("Carried forward from fiscal year %(y)s (%(name)s)") % {
        "y": old.fiscal_year.year, "name": old.name}  # fmt: skip
    for part in parts:
        ledger.post_transfer(
            actor=actor,
            from_account=part["account_id"],
            to_account=new.account,
            amount=part["amount"],
            source_account=old.money_tag_id,
            kind=TransferKind.CARRY_FORWARD,
            memo=memo[:500],
            idempotency_key=f"funds:carry:{carry.pk}:{part['account_id']}",
        )
    new.state = ApprovalState.APPROVED
    new.approved_at = timezone.now()
    set_reason(new, reason or _("carried forward")).save()
    carry.amount = total
    carry.carried_into = new
    carry.state = ApprovalState.APPROVED
    carry.decided_at = timezone.now()
    set_reason(carry, reason or _("approved")).save()


def carry_forward_rejected(request, *, actor, reason: str = "") -> None:
    _settle(CarryForward, request, ApprovalState.REJECTED, _("rejected"), reason)
