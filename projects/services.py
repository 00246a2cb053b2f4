"""Every write of projects, and the effects its approvals have in the ledger.

The money path (DESIGN.md 3; the contract funds.reports reads):

- an allocation approved (step `allocation`): its own commitment account is opened (owner
  "projects.allocation", kind commitment) and the amount reserved from its budget line
  (`ledger.reserve`, pending); the ledger's guard refuses a line over its money, also when
  two approvals race for the last yuan (the decision then rolls back);
- the contract signed: every reserved allocation is posted (`commit_pending`); a
  cancelled project, a rejected or expired allocation: `void_pending`;
- a milestone payment approved (step `milestone_payment`): split across the project's
  committed allocations pro rata to their amounts, the remainder fen to the largest, one
  transfer per allocation (each with its source tag), all in the deciding transaction; to
  the undertaker's outside account (`post_transfer`), or, for a federation's custody
  member, a pending transfer (`reserve`: receivable) into the member's custodial account,
  which escrow posts when the federation confirms arrival;
- close-out (or termination): what is left on each commitment goes back to its line,
  by transfers naming the project.

Every service checks role and scope first (out of scope: 404; an id in a body out of scope:
400 naming the field), runs in one transaction, records who and why.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role, RoleAssignment
from access.selectors import active_assignments, has_role, sees_everything
from approvals.services import request_submit
from core.audited import set_reason
from core.compiled import Compiled, save_together
from core.context import acting_as, current_actor
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.money import CENT
from core.notifications import notify
from core.uploads import checked_upload
from federations.models import Federation, Membership, Organization, Region
from funds.models import ApprovalState, FiscalYear, PurchaseCategory
from funds.selectors import in_officer_scope, lines_visible_to
from funds.services import money
from ledger import selectors as ledger_selectors
from ledger import services as ledger
from ledger.errors import Overdraft
from ledger.models import AccountKind, TransferKind
from ledger.services import AccountScope

from . import compliance
from .compliance import Facts, RuleResult
from .models import (
    Allocation,
    AllocationState,
    Contract,
    ContractState,
    Demand,
    DemandState,
    Evaluation,
    EvaluatorKind,
    Evidence,
    Milestone,
    MilestonePayment,
    MilestonePaymentPart,
    MilestoneReminder,
    MilestoneState,
    NegativeItem,
    Offer,
    OfferState,
    PayeeKind,
    PaymentState,
    Priority,
    Project,
    ProjectState,
    ReminderKind,
    SupervisionVisit,
)
from .selectors import (
    allocations_visible_to,
    contracts_visible_to,
    demands_visible_to,
    milestones_visible_to,
    offers_visible_to,
    payments_visible_to,
    projects_visible_to,
    regions_visible_to,
)
from .transitions import move

ZERO = Decimal("0.00")

# Approval step kinds (registered in projects.steps).
STEP_PROJECT = "project"
STEP_ALLOCATION = "allocation"
STEP_CONTRACT = "contract"
STEP_PAYMENT = "milestone_payment"

ALLOCATION_OWNER = "projects.allocation"
ORGANIZATION_OWNER = "federations.organization"
PAYABLE_STATES = (ProjectState.CONTRACTED, ProjectState.IN_PROGRESS, ProjectState.DELIVERED,
                  ProjectState.ACCEPTED)  # fmt: skip


@contextmanager
def _acting(actor):
    """One transaction; history rows name the actor (also when a task calls)."""
    if current_actor() is not None:
        with transaction.atomic():
            yield
        return
    with acting_as(user=actor), transaction.atomic():
        yield


# --------------------------------------------------------------------------- checks


def _user(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotPermitted(_("Log in first."), code="not_authenticated")


def _unknown(field: str, message=None) -> InvalidInput:
    message = message or _("No such object in your scope.")
    return InvalidInput(message, code="unknown_object", fields={field: [str(message)]})


def _id(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(fields={field: [_("An id (a positive integer).")]})
    return value


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
        raise InvalidInput(fields={field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def _choice(value, field: str, choices, *, blank: bool = False) -> str:
    if blank and value in (None, ""):
        return ""
    if not isinstance(value, str) or value not in choices.values:
        raise InvalidInput(fields={field: [_("One of: %(v)s.") % {"v": ", ".join(choices.values)}]})
    return value


def _date(value, field: str, *, required: bool = True) -> datetime.date | None:
    if value in (None, "") and not required:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.date):
        raise InvalidInput(fields={field: [_("A date (YYYY-MM-DD).")]})
    return value


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(fields={field: [_("true or false.")]})
    return value


def _int(value, field: str, *, minimum: int = 0, maximum: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidInput(
            fields={field: [_("A whole number from %(a)d to %(b)d.") % {"a": minimum,
                                                                         "b": maximum}]}
        )  # fmt: skip
    return value


def _reason(value, *, required: bool = False) -> str:
    return _text(value, "reason", max_length=2000, required=required)


def _is_officer_for(actor, region: Region) -> bool:
    return (
        has_role(actor, Role.FINANCE_OFFICER)
        and in_officer_scope(actor, region)
        or (sees_everything(actor))
    )


def _require_officer(actor, project: Project) -> None:
    """A finance officer of the purchaser's region (administrators too); 403 otherwise
    (the project itself is visible: the caller found it through the scoped selector)."""
    if not _is_officer_for(actor, project.purchaser):
        raise NotPermitted(
            _("Only the purchaser's finance officers do this."), code="role_required"
        )


def _staff_federations(actor) -> set[int]:
    return {
        a.federation_id
        for a in active_assignments(actor)
        if a.role == Role.FEDERATION_STAFF and a.federation_id
    }


def _rep_organizations(actor) -> set[int]:
    return {
        a.organization_id
        for a in active_assignments(actor)
        if a.role == Role.ORGANIZATION_REP and a.organization_id
    }


def _is_federation_staff_for(actor, project: Project) -> bool:
    feds = _staff_federations(actor)
    if not feds:
        return False
    if project.custody_federation_id in feds:
        return True
    return Membership.objects.filter(
        federation_id__in=feds, organization_id=project.party_organization_id
    ).exists()


def _is_undertaker_side(actor, project: Project) -> bool:
    return project.party_organization_id in _rep_organizations(actor) or _is_federation_staff_for(
        actor, project
    )


def _lock_project(actor, project_id) -> Project:
    _id(project_id, "id")
    visible = projects_visible_to(actor)
    if not visible.filter(pk=project_id).exists():
        raise NotFound(_("No such project."))
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related(
            "purchaser",
            "undertaker",
            "custody_federation",
            "member",
            "party_organization",
            "fiscal_year",
        )  # fmt: skip
        .get(pk=project_id)
    )


def _lock(model, visible, pk, *, related=()):
    _id(pk, "id")
    if not visible.filter(pk=pk).exists():
        raise NotFound()
    return model.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)


def _expect(obj, *states, code="wrong_state") -> None:
    if obj.state not in states:
        labels = dict(type(obj)._meta.get_field("state").flatchoices)
        raise Conflict(
            _("This is %(state)s: the step needs %(needed)s.")
            % {
                "state": obj.get_state_display(),
                "needed": " / ".join(str(labels.get(s, s)) for s in states),
            },
            code=code,
            fields={"state": [obj.state]},
        )


# --------------------------------------------------------------------------- needs and offers


def _region_in_scope(actor, value, field: str, *, level: str | None = None) -> Region:
    _id(value, field)
    region = regions_visible_to(actor).filter(pk=value).first()
    if region is None:
        raise _unknown(field, _("No such region in your scope."))
    if level and region.level != level:
        raise InvalidInput(fields={field: [_("A region of level %(l)s.") % {"l": level}]})
    return region


def demand_create(
    *, actor, community, title, category, description="", beneficiaries="",
    beneficiary_count=0, priority=Priority.NORMAL, reason="",
) -> Demand:  # fmt: skip
    """Record a community need (finance officers, federation staff, administrators)."""
    _user(actor)
    if not (sees_everything(actor) or has_role(actor, Role.FINANCE_OFFICER, Role.FEDERATION_STAFF)):
        raise NotPermitted(_("Finance officers and federation staff record needs."),
                           code="role_required")  # fmt: skip
    community = _region_in_scope(actor, community, "community", level=Region.Level.COMMUNITY)
    demand = Demand(
        community=community,
        title=_text(title, "title", max_length=200),
        category=_choice(category, "category", PurchaseCategory),
        description=_text(description, "description", max_length=4000, required=False),
        beneficiaries=_text(beneficiaries, "beneficiaries", max_length=300, required=False),
        beneficiary_count=_int(beneficiary_count, "beneficiary_count"),
        priority=_choice(priority, "priority", Priority),
        created_by=actor,
    )
    with _acting(actor):
        set_reason(demand, _reason(reason) or _("need recorded")).save()
    return demand


def demand_close(*, actor, demand_id, reason="") -> Demand:
    _user(actor)
    with _acting(actor):
        demand = _lock(Demand, demands_visible_to(actor), demand_id)
        if not (sees_everything(actor) or has_role(actor, Role.FINANCE_OFFICER,
                                                   Role.FEDERATION_STAFF)):  # fmt: skip
            raise NotPermitted(code="role_required")
        demand.state = DemandState.CLOSED
        set_reason(demand, _reason(reason) or _("need closed")).save()
    return demand


def _require_undertaker_role(actor) -> None:
    _user(actor)
    if not (
        sees_everything(actor) or has_role(actor, Role.ORGANIZATION_REP, Role.FEDERATION_STAFF)
    ):
        raise NotPermitted(
            _("Organizations' representatives and federation staff record offers."),
            code="role_required",
        )


def require_proposer(actor) -> None:
    """Finance officers, federation staff and organizations' representatives propose."""
    _user(actor)
    if not (
        sees_everything(actor)
        or has_role(actor, Role.FINANCE_OFFICER, Role.FEDERATION_STAFF, Role.ORGANIZATION_REP)
    ):
        raise NotPermitted(_("Auditors change nothing."), code="role_required")  # fmt: skip


def require_officer_role(actor) -> None:
    """A finance officer (or administrator), before any object named in a body is read."""
    _user(actor)
    if not (sees_everything(actor) or has_role(actor, Role.FINANCE_OFFICER)):
        raise NotPermitted(_("Only finance officers do this."), code="role_required")


def require_evaluator_role(actor) -> None:
    _user(actor)
    if not (sees_everything(actor) or has_role(actor, Role.FINANCE_OFFICER, Role.FEDERATION_STAFF)):
        raise NotPermitted(_("Finance officers and federation staff evaluate."),
                           code="role_required")  # fmt: skip


def _organization_for_offer(actor, value) -> Organization:
    _id(value, "organization")
    organization = Organization.objects.filter(pk=value).select_related("community").first()
    allowed = organization is not None and (
        sees_everything(actor)
        or organization.pk in _rep_organizations(actor)
        or Membership.objects.filter(
            federation_id__in=_staff_federations(actor), organization=organization
        ).exists()
    )
    if not allowed:
        raise _unknown("organization", _("No such organization of yours."))
    return organization


def offer_create(
    *, actor, organization, title, category, area, price_min, price_max, capacity=0,
    description="", reason="",
) -> Offer:  # fmt: skip
    """An organization's service offer (its representative, its federation's staff)."""
    _require_undertaker_role(actor)
    organization = _organization_for_offer(actor, organization)
    _id(area, "area")
    area_region = Region.objects.filter(pk=area).first()
    if area_region is None:
        raise _unknown("area")
    low = money(price_min, "price_min")
    high = money(price_max, "price_max")
    if high < low:
        raise InvalidInput(fields={"price_max": [_("Not below the lower price.")]})
    offer = Offer(
        organization=organization,
        title=_text(title, "title", max_length=200),
        category=_choice(category, "category", PurchaseCategory),
        area=area_region,
        description=_text(description, "description", max_length=4000, required=False),
        capacity=_int(capacity, "capacity"),
        price_min=low,
        price_max=high,
        created_by=actor,
    )
    with _acting(actor):
        set_reason(offer, _reason(reason) or _("offer recorded")).save()
    return offer


def offer_withdraw(*, actor, offer_id, reason="") -> Offer:
    _require_undertaker_role(actor)
    with _acting(actor):
        offer = _lock(Offer, offers_visible_to(actor), offer_id)
        _organization_for_offer(actor, offer.organization_id)
        offer.state = OfferState.WITHDRAWN
        set_reason(offer, _reason(reason) or _("offer withdrawn")).save()
    return offer


# --------------------------------------------------------------------------- projects


def _fiscal_year(value) -> FiscalYear:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(fields={"fiscal_year": [_("A year, such as 2026.")]})
    year = FiscalYear.objects.filter(year=value).first()
    if year is None:
        raise InvalidInput(
            code="fiscal_year_unknown", fields={"fiscal_year": [_("No such fiscal year.")]}
        )
    if not year.is_open:
        raise Conflict(
            _("Fiscal year %(y)s is closed.") % {"y": year.year},
            code="fiscal_year_closed",
            fields={"fiscal_year": [_("The year is closed.")]},
        )
    return year


def _may_propose(actor, purchaser: Region, party_organization: Organization, federation) -> bool:
    if sees_everything(actor) or _is_officer_for(actor, purchaser):
        return True
    if party_organization.pk in _rep_organizations(actor):
        return True
    feds = _staff_federations(actor)
    return bool(feds) and (
        (federation is not None and federation.pk in feds)
        or Membership.objects.filter(
            federation_id__in=feds, organization=party_organization
        ).exists()
    )


def project_create(
    *, actor, title, purchaser, category, catalogue_code, fiscal_year, budget_amount,
    undertaker=None, custody_federation=None, member=None,
    transfers_government_function=False, negative_item="", description="",
    demand=None, offer=None, reason="",
) -> Project:  # fmt: skip
    """Propose a project (a draft). Purchaser's finance officers, the undertaker's
    representative, or its federation's staff. A negative-list item is refused at once."""
    require_proposer(actor)
    _id(purchaser, "purchaser")
    purchaser_region = Region.objects.filter(pk=purchaser).first()
    if purchaser_region is None:
        raise _unknown("purchaser")
    if purchaser_region.level not in (Region.Level.COUNTY, Region.Level.TOWNSHIP):
        raise InvalidInput(fields={"purchaser": [_("A township or a county purchases.")]})
    federation = None
    if custody_federation is not None or member is not None:
        if undertaker is not None:
            raise InvalidInput(
                _("Either a registered organization undertakes, or a federation for a member."),
                fields={"undertaker": [_("Leave empty when a federation undertakes.")]},
            )
        _id(custody_federation, "custody_federation")
        _id(member, "member")
        federation = (
            Federation.objects.select_related("township").filter(pk=custody_federation).first()
        )
        if federation is None:
            raise _unknown("custody_federation")
        member_org = Organization.objects.filter(pk=member).first()
        if member_org is None:
            raise _unknown("member")
        party_organization = member_org
        undertaker_org = None
    else:
        _id(undertaker, "undertaker")
        undertaker_org = Organization.objects.filter(pk=undertaker).first()
        if undertaker_org is None:
            raise _unknown("undertaker")
        party_organization = undertaker_org
        member_org = None
    if not _may_propose(actor, purchaser_region, party_organization, federation):
        # Out of the actor's scope: the ids answer as missing ones.
        if not (sees_everything(actor) or has_role(actor, Role.FINANCE_OFFICER)):
            raise _unknown("member" if federation else "undertaker")
        raise _unknown("purchaser", _("No such region in your scope."))
    demand_obj = offer_obj = None
    if demand is not None:
        _id(demand, "demand")
        demand_obj = demands_visible_to(actor).filter(pk=demand).first()
        if demand_obj is None:
            raise _unknown("demand")
    if offer is not None:
        _id(offer, "offer")
        offer_obj = offers_visible_to(actor).filter(pk=offer).first()
        if offer_obj is None:
            raise _unknown("offer")
    project = Project(
        title=_text(title, "title", max_length=200),
        description=_text(description, "description", max_length=4000, required=False),
        purchaser=purchaser_region,
        category=_choice(category, "category", PurchaseCategory),
        catalogue_code=_text(catalogue_code, "catalogue_code", max_length=40, required=False),
        negative_item=_choice(negative_item, "negative_item", NegativeItem, blank=True),
        transfers_government_function=_bool(
            transfers_government_function, "transfers_government_function"
        ),
        undertaker=undertaker_org,
        custody_federation=federation,
        member=member_org,
        party_organization=party_organization,
        fiscal_year=_fiscal_year(fiscal_year),
        budget_amount=money(budget_amount, "budget_amount"),
        demand=demand_obj,
        offer=offer_obj,
        created_by=actor,
    )
    facts = Facts(project)
    compliance.gate(facts, ("negative_list", "catalogue"))
    with _acting(actor):
        set_reason(project, _reason(reason) or _("project proposed")).save()
        if demand_obj is not None and demand_obj.state == DemandState.OPEN:
            demand_obj = Demand.objects.select_for_update().get(pk=demand_obj.pk)
            demand_obj.state = DemandState.MATCHED
            set_reason(demand_obj, _("matched into project #%(id)s") % {"id": project.pk}).save()
    return project


def project_propose_from_match(
    *,
    actor,
    demand_id,
    offer_id,
    purchaser,
    catalogue_code,
    fiscal_year,
    budget_amount,
    title=None,
    reason="",
) -> Project:
    """A project proposal from a matched pair: the need's category and description, the
    offer's organization (directly if it is a legal person, otherwise through the
    federation it is a member of, in custody)."""
    require_proposer(actor)
    _id(demand_id, "demand")
    _id(offer_id, "offer")
    demand = demands_visible_to(actor).filter(pk=demand_id).first()
    if demand is None:
        raise _unknown("demand")
    offer = offers_visible_to(actor).filter(pk=offer_id).select_related("organization").first()
    if offer is None:
        raise _unknown("offer")
    organization = offer.organization
    undertaker = federation = member = None
    if organization.has_legal_personality:
        undertaker = organization.pk
    else:
        membership = (
            Membership.objects.filter(
                Membership.active_q(timezone.localdate()), organization=organization
            )  # fmt: skip
            .order_by("id")
            .first()
        )
        if membership is None:
            raise compliance.refuse(
                RuleResult(
                    "undertaker",
                    "fail",
                    "custody_not_eligible",
                    _("The organization has no legal personality and no federation to "
                      "undertake for it."),
                )
            )  # fmt: skip
        federation, member = membership.federation_id, organization.pk
    return project_create(
        actor=actor,
        title=title or f"{demand.title}（{organization.name}）"[:200],
        purchaser=purchaser,
        category=demand.category,
        catalogue_code=catalogue_code,
        fiscal_year=fiscal_year,
        budget_amount=budget_amount,
        undertaker=undertaker,
        custody_federation=federation,
        member=member,
        description=demand.description,
        demand=demand.pk,
        offer=offer.pk,
        reason=reason or _("proposed from a matched need and offer"),
    )


def project_submit(*, actor, project_id, reason="") -> Project:
    """Send a draft for approval (step `project`); the proposal gate first."""
    _user(actor)
    reason = _reason(reason)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        if not (_is_officer_for(actor, project.purchaser) or _is_undertaker_side(actor, project)):
            raise NotPermitted(code="role_required")
        _expect(project, ProjectState.DRAFT)
        compliance.gate(Facts(project), ("negative_list", "catalogue", "undertaker"))
        move(project, ProjectState.SUBMITTED, actor=actor, reason=reason or _("submitted"))
        request_submit(
            actor=actor, kind=STEP_PROJECT, owner_type="projects.project", owner_id=project.pk,
            amount=project.budget_amount, region=project.purchaser, reason=reason,
            created_by=project.created_by,
        )  # fmt: skip
    return project


def _locked_project(pk) -> Project:
    return Project.objects.select_for_update(of=("self",)).select_related("purchaser").get(pk=pk)


def project_approved(request, *, actor, reason="") -> None:
    project = _locked_project(request.owner_id)
    _expect(project, ProjectState.SUBMITTED, code="not_submitted")
    move(project, ProjectState.APPROVED, actor=actor, reason=reason or _("approved"))


def project_returned(request, *, actor, reason="") -> None:
    project = _locked_project(request.owner_id)
    if project.state == ProjectState.SUBMITTED:
        move(project, ProjectState.DRAFT, actor=actor, reason=reason or _("returned"))


def project_start(*, actor, project_id, reason="") -> Project:
    _user(actor)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        if not (_is_officer_for(actor, project.purchaser) or _is_undertaker_side(actor, project)):
            raise NotPermitted(code="role_required")
        move(project, ProjectState.IN_PROGRESS, actor=actor, reason=_reason(reason) or _("started"))
    return project


def project_deliver(*, actor, project_id, reason="") -> Project:
    _user(actor)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        if not (_is_officer_for(actor, project.purchaser) or _is_undertaker_side(actor, project)):
            raise NotPermitted(code="role_required")
        move(project, ProjectState.DELIVERED, actor=actor,
             reason=_reason(reason) or _("delivered"))  # fmt: skip
    return project


def project_accept(*, actor, project_id, reason="") -> Project:
    """The purchaser accepts the whole project: every milestone accepted with evidence."""
    _user(actor)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        _require_officer(actor, project)
        facts = Facts.load(project)
        for milestone in facts.milestones:
            refused = compliance.milestone_refusal(
                milestone, facts.evidence_counts.get(milestone.pk, 0)
            )
            if refused:
                raise compliance.refuse(refused)
        move(project, ProjectState.ACCEPTED, actor=actor, reason=_reason(reason) or _("accepted"))
    return project


def _release_reserved(actor, project: Project, reason: str) -> None:
    """Void every reservation not yet posted; a submitted allocation is refused later."""
    for allocation in (
        Allocation.objects.select_for_update()
        .filter(project=project, state=AllocationState.RESERVED)
        .order_by("id")
    ):
        ledger.void_pending(
            actor=actor, transfer=allocation.reservation_id,
            idempotency_key=f"projects:allocation:{allocation.pk}:void",
        )  # fmt: skip
        allocation.state = AllocationState.RELEASED
        allocation.decided_at = timezone.now()
        set_reason(allocation, reason).save()


def _return_unspent(actor, project: Project, reason: str) -> Decimal:
    """Every committed allocation's available money back to its line, naming the project."""
    total = ZERO
    allocations = (
        Allocation.objects.select_for_update(of=("self",))
        .filter(project=project, state=AllocationState.COMMITTED)
        .select_related("line__source", "line__account")
        .order_by("id")
    )
    for allocation in allocations:
        left = ledger_selectors.balance(allocation.account_id).available
        if left > 0:
            ledger.post_transfer(
                actor=actor,
                from_account=allocation.account_id,
                to_account=allocation.line.account_id,
                amount=left,
                source_account=allocation.line.source.money_tag_id,
                kind=TransferKind.REFUND,
                memo=_("Project #%(id)s %(title)s: unspent commitment returned")
                % {"id": project.pk, "title": project.title[:100]},
                idempotency_key=f"projects:allocation:{allocation.pk}:return",
            )
        allocation.returned = left
        allocation.state = AllocationState.CLOSED
        set_reason(allocation, reason).save()
        total += left
    return total


def project_cancel(*, actor, project_id, reason) -> Project:
    """Cancel before a contract: reservations are voided."""
    _user(actor)
    reason = _reason(reason, required=True)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        if not (
            _is_officer_for(actor, project.purchaser)
            or (project.state == ProjectState.DRAFT and _is_undertaker_side(actor, project))
        ):
            raise NotPermitted(code="role_required")
        move(project, ProjectState.CANCELLED, actor=actor, reason=reason)
        _release_reserved(actor, project, reason)
    return project


def project_terminate(*, actor, project_id, reason) -> Project:
    """End a contracted project early: the contract is terminated, what is left on the
    commitments goes back to the lines (payments already made stay made)."""
    _user(actor)
    reason = _reason(reason, required=True)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        _require_officer(actor, project)
        if MilestonePayment.objects.filter(project=project, state=PaymentState.SUBMITTED).exists():
            raise Conflict(_("A payment waits for approval: decide it first."),
                           code="payment_pending")  # fmt: skip
        move(project, ProjectState.TERMINATED, actor=actor, reason=reason)
        contract = Contract.objects.select_for_update().filter(project=project).first()
        if contract is not None and contract.state == ContractState.SIGNED:
            contract.state = ContractState.TERMINATED
            set_reason(contract, reason).save()
        _release_reserved(actor, project, reason)
        _return_unspent(actor, project, reason)
    return project


def project_close(*, actor, project_id, reason="") -> Project:
    """Close an accepted, evaluated project: unspent commitment returns to its lines."""
    _user(actor)
    reason = _reason(reason)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        _require_officer(actor, project)
        _expect(project, ProjectState.ACCEPTED)
        if not Evaluation.objects.filter(project=project).exists():
            raise compliance.refuse(
                RuleResult("evaluation", "fail", "no_evaluation",
                           _("The project has no performance evaluation."))
            )  # fmt: skip
        if MilestonePayment.objects.filter(project=project, state=PaymentState.SUBMITTED).exists():
            raise Conflict(_("A payment waits for approval: decide it first."),
                           code="payment_pending")  # fmt: skip
        _release_reserved(actor, project, reason or _("closed"))
        _return_unspent(actor, project, reason or _("closed out"))
        project.closed_at = timezone.now()
        move(project, ProjectState.CLOSED, actor=actor, reason=reason or _("closed"))
    return project


# --------------------------------------------------------------------------- allocations


def allocation_create(*, actor, project_id, line, amount, expires_on=None, reason="") -> Allocation:
    """Money of one budget line for a project (a draft to submit). The line is of the
    project's fiscal year, approved, in the purchaser's region or above it, and its source
    allows the project's category."""
    _user(actor)
    amount = money(amount)
    expires = _date(expires_on, "expires_on", required=False)
    with _acting(actor):
        project = _lock_project(actor, project_id)
        _require_officer(actor, project)
        _expect(project, ProjectState.DRAFT, ProjectState.SUBMITTED, ProjectState.APPROVED,
                ProjectState.CONTRACTED, ProjectState.IN_PROGRESS)  # fmt: skip
        _id(line, "line")
        line_obj = lines_visible_to(actor).filter(pk=line).first()
        if line_obj is None or not project.purchaser.path.startswith(line_obj.budget.region.path):
            raise _unknown("line", _("No such budget line for this purchaser."))
        if line_obj.budget.state != ApprovalState.APPROVED or line_obj.account_id is None:
            raise Conflict(_("The line's budget is not approved."), code="line_not_approved",
                           fields={"line": [_("Not approved.")]})  # fmt: skip
        if line_obj.budget.fiscal_year_id != project.fiscal_year_id:
            raise compliance.refuse(
                RuleResult("budget_first", "fail", "budget_wrong_fiscal_year",
                           _("The line belongs to another fiscal year's budget."))
            )  # fmt: skip
        refused = compliance.source_refusal(project, line_obj.source)
        if refused:
            raise compliance.refuse(refused)
        allocation = Allocation(
            project=project, line=line_obj, amount=amount, expires_on=expires, created_by=actor
        )
        set_reason(allocation, _reason(reason) or _("allocation drafted")).save()
    return allocation


def allocation_submit(*, actor, allocation_id, reason="") -> Allocation:
    _user(actor)
    reason = _reason(reason)
    with _acting(actor):
        allocation = _lock(Allocation, allocations_visible_to(actor), allocation_id,
                           related=("project__purchaser",))  # fmt: skip
        _require_officer(actor, allocation.project)
        _expect(allocation, AllocationState.DRAFT)
        allocation.state = AllocationState.SUBMITTED
        set_reason(allocation, reason or _("submitted")).save()
        request_submit(
            actor=actor, kind=STEP_ALLOCATION, owner_type="projects.allocation",
            owner_id=allocation.pk, amount=allocation.amount,
            region=allocation.project.purchaser, reason=reason,
            created_by=allocation.created_by,
        )  # fmt: skip
    return allocation


def _commitment_scope(project: Project) -> AccountScope:
    return AccountScope(
        region_path=project.purchaser.path,
        federation_id=project.custody_federation_id,
        organization_id=project.party_organization_id,
    )


def allocation_approved(request, *, actor, reason="") -> None:
    """Final approval: the allocation's commitment account, and the amount reserved from the
    line (pending). Over the line's money: refused, nothing of the decision is kept."""
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("project__purchaser", "line__source", "line__budget__fiscal_year")
        .get(pk=request.owner_id)
    )
    _expect(allocation, AllocationState.SUBMITTED, code="not_submitted")
    project = Project.objects.select_for_update().get(pk=allocation.project_id)
    if project.state in (ProjectState.CANCELLED, ProjectState.TERMINATED, ProjectState.CLOSED):
        raise Conflict(_("The project is %(s)s.") % {"s": project.get_state_display()},
                       code="project_ended")  # fmt: skip
    if not allocation.line.budget.fiscal_year.is_open:
        raise Conflict(_("The fiscal year is closed."), code="fiscal_year_closed")
    line = allocation.line
    account = ledger.open_account(
        actor=actor,
        kind=AccountKind.COMMITMENT,
        name=f"{project.title[:120]}·{line.get_category_display()}·{line.source.name}"[:200],
        owner_type=ALLOCATION_OWNER,
        owner_id=allocation.pk,
        scope=_commitment_scope(project),
        reason=_("allocation approved"),
    )
    try:
        transfer = ledger.reserve(
            actor=actor,
            from_account=line.account_id,
            to_account=account,
            amount=allocation.amount,
            source_account=line.source.money_tag_id,
            kind=TransferKind.ALLOCATION,
            memo=_("Project #%(id)s %(title)s") % {"id": project.pk, "title": project.title[:100]},
            idempotency_key=f"projects:allocation:{allocation.pk}:reserve",
        )
    except Overdraft as exc:
        raise Conflict(
            _("The budget line has ¥%(short)s too little left for this allocation.")
            % {"short": f"{exc.shortfall:.2f}"},
            code="budget_insufficient",
            fields={"amount": [_("More than the line has left.")]},
        ) from exc
    allocation.account = account
    allocation.reservation_id = transfer.pk
    allocation.state = AllocationState.RESERVED
    allocation.decided_at = timezone.now()
    if project.state in (ProjectState.CONTRACTED, ProjectState.IN_PROGRESS):
        # Money added to a signed contract is committed at once.
        ledger.commit_pending(
            actor=actor,
            transfer=transfer,
            idempotency_key=f"projects:allocation:{allocation.pk}:commit",
        )
        allocation.state = AllocationState.COMMITTED  # fmt: skip
    set_reason(allocation, reason or _("approved: reserved")).save()


def allocation_rejected(request, *, actor, reason="") -> None:
    allocation = Allocation.objects.select_for_update().get(pk=request.owner_id)
    if allocation.state == AllocationState.SUBMITTED:
        allocation.state = AllocationState.REJECTED
        allocation.decided_at = timezone.now()
        set_reason(allocation, reason or _("rejected")).save()


def allocation_returned(request, *, actor, reason="") -> None:
    allocation = Allocation.objects.select_for_update().get(pk=request.owner_id)
    if allocation.state == AllocationState.SUBMITTED:
        allocation.state = AllocationState.DRAFT
        set_reason(allocation, reason or _("returned")).save()


def allocation_release(*, actor, allocation_id, reason) -> Allocation:
    """Release a reservation before the contract (cancellation of this allocation)."""
    _user(actor)
    reason = _reason(reason, required=True)
    with _acting(actor):
        allocation = _lock(Allocation, allocations_visible_to(actor), allocation_id,
                           related=("project__purchaser",))  # fmt: skip
        _require_officer(actor, allocation.project)
        _expect(allocation, AllocationState.RESERVED)
        ledger.void_pending(
            actor=actor,
            transfer=allocation.reservation_id,
            idempotency_key=f"projects:allocation:{allocation.pk}:void",
        )
        allocation.state = AllocationState.RELEASED  # fmt: skip
        allocation.decided_at = timezone.now()
        set_reason(allocation, reason).save()
    return allocation


def release_expired(*, actor, today: datetime.date | None = None) -> int:
    """Release reservations past their expiry date without a signed contract (a task)."""
    today = today or timezone.localdate()
    count = 0
    ids = list(
        Allocation.objects.filter(state=AllocationState.RESERVED, expires_on__lt=today)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    for pk in ids:
        with _acting(actor):
            allocation = (
                Allocation.objects.select_for_update()
                .filter(pk=pk, state=AllocationState.RESERVED)
                .first()
            )
            if allocation is None:
                continue
            ledger.void_pending(
                actor=actor,
                transfer=allocation.reservation_id,
                idempotency_key=f"projects:allocation:{allocation.pk}:void",
            )
            allocation.state = AllocationState.RELEASED  # fmt: skip
            allocation.decided_at = timezone.now()
            set_reason(allocation, _("reservation expired")).save()
            count += 1
    return count


# --------------------------------------------------------------------------- contracts

CONTRACT_TEXT = ("quantity_requirements", "quality_requirements", "settlement_terms",
                 "liabilities")  # fmt: skip


def _contract_values(*, content, term_start, term_end, price, stable_service, funding_secured,
                     texts: dict) -> dict:  # fmt: skip
    values = {
        "content": _text(content, "content", max_length=8000),
        "term_start": _date(term_start, "term_start"),
        "term_end": _date(term_end, "term_end"),
        "price": money(price, "price"),
        "stable_service": _bool(stable_service, "stable_service"),
        "funding_secured": _bool(funding_secured, "funding_secured"),
    }
    if values["term_end"] < values["term_start"]:
        raise InvalidInput(fields={"term_end": [_("The term ends on or after it starts.")]})
    for name, value in texts.items():
        values[name] = _text(value, name, max_length=4000, required=False)
    return values


def contract_create(
    *, actor, project_id, content, term_start, term_end, price, stable_service=False,
    funding_secured=False, quantity_requirements="", quality_requirements="",
    settlement_terms="", liabilities="", reason="",
) -> Contract:  # fmt: skip
    """Draft the contract of an approved project (purchaser's finance officers)."""
    _user(actor)
    values = _contract_values(
        content=content, term_start=term_start, term_end=term_end, price=price,
        stable_service=stable_service, funding_secured=funding_secured,
        texts={"quantity_requirements": quantity_requirements,
               "quality_requirements": quality_requirements,
               "settlement_terms": settlement_terms, "liabilities": liabilities},
    )  # fmt: skip
    with _acting(actor):
        project = _lock_project(actor, project_id)
        _require_officer(actor, project)
        _expect(project, ProjectState.APPROVED)
        refused = compliance.term_refusal(
            term_start=values["term_start"], term_end=values["term_end"],
            stable_service=values["stable_service"], funding_secured=values["funding_secured"],
        )  # fmt: skip
        if refused:
            raise compliance.refuse(refused)
        existing = Contract.objects.select_for_update().filter(project=project).first()
        if existing is not None and existing.state not in (ContractState.REJECTED,):
            raise Conflict(_("The project already has a contract."), code="contract_exists")
        contract = existing or Contract(project=project, created_by=actor)
        for name, value in values.items():
            setattr(contract, name, value)
        contract.state = ContractState.DRAFT
        set_reason(contract, _reason(reason) or _("contract drafted")).save()
    return contract


def contract_submit(*, actor, contract_id, reason="") -> Contract:
    """Submit the contract for approval: the gate (budget first, term, negative list,
    undertaker, sources, milestone shares) must pass."""
    _user(actor)
    reason = _reason(reason)
    with _acting(actor):
        contract = _lock(Contract, contracts_visible_to(actor), contract_id)
        project = _lock_project(actor, contract.project_id)
        _require_officer(actor, project)
        _expect(contract, ContractState.DRAFT)
        facts = Facts.load(project)
        facts.contract = contract
        compliance.gate(facts, ("negative_list", "catalogue", "undertaker", "sources",
                                "budget_first", "term", "milestone_shares"))  # fmt: skip
        contract.state = ContractState.SUBMITTED
        set_reason(contract, reason or _("submitted")).save()
        request_submit(
            actor=actor, kind=STEP_CONTRACT, owner_type="projects.contract",
            owner_id=contract.pk, amount=contract.price, region=project.purchaser,
            reason=reason, created_by=contract.created_by,
        )  # fmt: skip
    return contract


def contract_approved(request, *, actor, reason="") -> None:
    contract = Contract.objects.select_for_update().get(pk=request.owner_id)
    _expect(contract, ContractState.SUBMITTED, code="not_submitted")
    contract.state = ContractState.APPROVED
    set_reason(contract, reason or _("approved")).save()


def contract_rejected(request, *, actor, reason="") -> None:
    contract = Contract.objects.select_for_update().get(pk=request.owner_id)
    if contract.state == ContractState.SUBMITTED:
        contract.state = ContractState.REJECTED
        set_reason(contract, reason or _("rejected")).save()


def contract_returned(request, *, actor, reason="") -> None:
    contract = Contract.objects.select_for_update().get(pk=request.owner_id)
    if contract.state == ContractState.SUBMITTED:
        contract.state = ContractState.DRAFT
        set_reason(contract, reason or _("returned")).save()


def contract_sign(*, actor, contract_id, signed_on, scan, reason="") -> Contract:
    """Record the signing with its signed scan: the gate once more (the money must still be
    reserved in the year), every reserved allocation posted, the project contracted."""
    _user(actor)
    signed = _date(signed_on, "signed_on")
    upload = checked_upload(scan, field="scan")
    reason = _reason(reason)
    with _acting(actor):
        contract = _lock(Contract, contracts_visible_to(actor), contract_id)
        project = _lock_project(actor, contract.project_id)
        _require_officer(actor, project)
        _expect(contract, ContractState.APPROVED)
        facts = Facts.load(project)
        facts.contract = contract
        compliance.gate(facts, ("negative_list", "undertaker", "sources", "budget_first",
                                "term", "milestone_shares"))  # fmt: skip
        if not project.fiscal_year.is_open:
            raise Conflict(_("The fiscal year is closed."), code="fiscal_year_closed")
        for allocation in (
            Allocation.objects.select_for_update()
            .filter(project=project, state=AllocationState.RESERVED)
            .order_by("id")
        ):
            ledger.commit_pending(
                actor=actor,
                transfer=allocation.reservation_id,
                idempotency_key=f"projects:allocation:{allocation.pk}:commit",
            )
            allocation.state = AllocationState.COMMITTED  # fmt: skip
            set_reason(allocation, _("contract signed: committed")).save()
        contract.scan.save(upload.file.name, upload.file, save=False)
        contract.scan_content_type = upload.content_type
        contract.scan_sha256 = upload.sha256
        contract.signed_on = signed
        contract.state = ContractState.SIGNED
        set_reason(contract, reason or _("signed")).save()
        move(project, ProjectState.CONTRACTED, actor=actor, reason=reason or _("contract signed"))
    return contract


# --------------------------------------------------------------------------- milestones


def milestone_add(*, actor, project_id, number, title, due_on, amount, deliverables="",
                  reason="") -> Milestone:  # fmt: skip
    """A milestone of a project before its contract is signed (purchaser's officers)."""
    _user(actor)
    values = {
        "number": _int(number, "number", minimum=1, maximum=999),
        "title": _text(title, "title", max_length=200),
        "due_on": _date(due_on, "due_on"),
        "amount": money(amount),
        "deliverables": _text(deliverables, "deliverables", max_length=4000, required=False),
    }
    with _acting(actor):
        project = _lock_project(actor, project_id)
        _require_officer(actor, project)
        _expect(project, ProjectState.DRAFT, ProjectState.SUBMITTED, ProjectState.APPROVED)
        if Milestone.objects.filter(project=project, number=values["number"]).exists():
            raise InvalidInput(fields={"number": [_("The project already has this number.")]})
        milestone = Milestone(project=project, **values)
        set_reason(milestone, _reason(reason) or _("milestone planned")).save()
    return milestone


def milestone_progress(*, actor, milestone_id, note, delivered=False) -> Milestone:
    """The undertaker (or its federation's staff) reports progress, or delivery."""
    _user(actor)
    note = _text(note, "note", max_length=4000)
    delivered = _bool(delivered, "delivered")
    with _acting(actor):
        milestone = _lock(Milestone, milestones_visible_to(actor), milestone_id)
        project = Project.objects.select_related("purchaser").get(pk=milestone.project_id)
        if not (_is_undertaker_side(actor, project) or _is_officer_for(actor, project.purchaser)):
            raise NotPermitted(code="role_required")
        if project.state not in (ProjectState.CONTRACTED, ProjectState.IN_PROGRESS):
            raise Conflict(_("The project is not under way."), code="wrong_state")
        milestone.progress_note = note
        if delivered:
            _expect(milestone, MilestoneState.PLANNED, MilestoneState.DELIVERED)
            milestone.state = MilestoneState.DELIVERED
        set_reason(milestone, note[:200]).save()
    return milestone


def evidence_upload(*, actor, milestone_id, file) -> Evidence:
    """A document for a milestone's delivery or acceptance (PDF/JPEG/PNG, checked by its
    content, size-limited, stored privately)."""
    _user(actor)
    upload = checked_upload(file, field="file")
    with _acting(actor):
        milestone = _lock(Milestone, milestones_visible_to(actor), milestone_id)
        project = Project.objects.select_related("purchaser").get(pk=milestone.project_id)
        if not (_is_undertaker_side(actor, project) or _is_officer_for(actor, project.purchaser)):
            raise NotPermitted(code="role_required")
        if milestone.state in (MilestoneState.PAYMENT_SUBMITTED, MilestoneState.PAID):
            raise Conflict(_("The milestone is already being paid."), code="wrong_state")
        evidence = Evidence(
            milestone=milestone,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            original_name=upload.original_name,
            uploaded_by=actor,
        )
        evidence.file.save(upload.file.name, upload.file, save=False)
        set_reason(evidence, _("evidence uploaded")).save()
    return evidence


def milestone_accept(*, actor, milestone_id, accepted_on, note) -> Milestone:
    """验收 by the purchaser: after the contract is signed, with evidence uploaded."""
    _user(actor)
    accepted = _date(accepted_on, "accepted_on")
    note = _text(note, "note", max_length=4000)
    with _acting(actor):
        milestone = _lock(Milestone, milestones_visible_to(actor), milestone_id)
        project = Project.objects.select_related("purchaser").get(pk=milestone.project_id)
        _require_officer(actor, project)
        if not Contract.objects.filter(project=project, state=ContractState.SIGNED).exists():
            raise compliance.refuse(compliance.rule_signed_contract(Facts(project)))
        if project.state not in (ProjectState.CONTRACTED, ProjectState.IN_PROGRESS,
                                 ProjectState.DELIVERED):  # fmt: skip
            raise Conflict(_("The project is not under way."), code="wrong_state")
        _expect(milestone, MilestoneState.PLANNED, MilestoneState.DELIVERED)
        count = Evidence.objects.filter(milestone=milestone).count()
        if not count:
            raise compliance.refuse(
                RuleResult("acceptance", "fail", "acceptance_without_evidence",
                           _("Upload the acceptance evidence first."))
            )  # fmt: skip
        milestone.state = MilestoneState.ACCEPTED
        milestone.accepted_on = accepted
        milestone.accepted_by = actor
        milestone.acceptance_note = note
        set_reason(milestone, note[:200] or _("accepted")).save()
    return milestone


def visit_record(*, actor, project_id, visited_on, progress, issues="") -> SupervisionVisit:
    """Federation staff record a supervision visit to a custody member's project."""
    _user(actor)
    values = {
        "visited_on": _date(visited_on, "visited_on"),
        "progress": _text(progress, "progress", max_length=4000),
        "issues": _text(issues, "issues", max_length=4000, required=False),
    }
    with _acting(actor):
        project = _lock_project(actor, project_id)
        if not _is_federation_staff_for(actor, project) and not sees_everything(actor):
            raise NotPermitted(_("Federation staff supervise their members' projects."),
                               code="role_required")  # fmt: skip
        visit = SupervisionVisit(project=project, recorded_by=actor, **values)
        set_reason(visit, _("supervision visit recorded")).save()
    return visit


# --------------------------------------------------------------------------- payments


def payment_request(*, actor, milestone_id, idempotency_key, reason="") -> MilestonePayment:
    """Ask for payment of an accepted milestone (step `milestone_payment`). The same key
    answers the first payment request (and moves nothing); a key used for another
    milestone is refused (409)."""
    _user(actor)
    key = _text(idempotency_key, "idempotency_key", max_length=100)
    reason = _reason(reason)
    existing = MilestonePayment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replayed(actor, existing, milestone_id)
    try:
        with _acting(actor):
            milestone = _lock(Milestone, milestones_visible_to(actor), milestone_id)
            # A retry sent while the first request held the lock finds the first payment
            # now (read after the lock), not the milestone's new state: it answers it.
            existing = MilestonePayment.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return _replayed(actor, existing, milestone_id)
            project = _lock_project(actor, milestone.project_id)
            _require_officer(actor, project)
            _payment_gate(project, milestone)
            _payee(actor, project)  # refused early if no custodial account
            payment = MilestonePayment(
                milestone=milestone, project=project, amount=milestone.amount,
                idempotency_key=key, created_by=actor,
            )  # fmt: skip
            set_reason(payment, reason or _("payment requested")).save()
            milestone.state = MilestoneState.PAYMENT_SUBMITTED
            set_reason(milestone, _("payment requested")).save()
            request_submit(
                actor=actor, kind=STEP_PAYMENT, owner_type="projects.milestonepayment",
                owner_id=payment.pk, amount=payment.amount, region=project.purchaser,
                reason=reason, created_by=actor,
            )  # fmt: skip
    except IntegrityError:
        existing = MilestonePayment.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise Conflict(_("This milestone is already paid or being paid."),
                           code="already_paid") from None  # fmt: skip
        return _replayed(actor, existing, milestone_id)
    return payment


def _replayed(actor, existing: MilestonePayment, milestone_id) -> MilestonePayment:
    if not payments_visible_to(actor).filter(pk=existing.pk).exists():
        raise Conflict(code="idempotency_conflict", fields={"idempotency_key": ["used"]})
    if existing.milestone_id != milestone_id:
        raise Conflict(
            _("This idempotency key was used for another payment."),
            code="idempotency_conflict",
            fields={"idempotency_key": [_("Already used for another request.")]},
        )
    existing.replayed = True
    return existing


def _payment_gate(project: Project, milestone: Milestone) -> None:
    contract = Contract.objects.filter(project=project).first()
    facts = Facts(project, contract=contract)
    result = compliance.rule_signed_contract(facts)
    if result.status != compliance.PASS:
        raise compliance.refuse(result)
    if project.state not in PAYABLE_STATES:
        raise Conflict(_("The project is %(s)s: nothing is paid.") % {
            "s": project.get_state_display()}, code="project_not_payable")  # fmt: skip
    if milestone.state in (MilestoneState.PAYMENT_SUBMITTED, MilestoneState.PAID):
        raise Conflict(_("This milestone is already paid or being paid."), code="already_paid")
    refused = compliance.milestone_refusal(
        milestone, Evidence.objects.filter(milestone=milestone).count()
    )
    if refused:
        raise compliance.refuse(refused)


def _payee(actor, project: Project):
    """(payee kind, account): the undertaker's outside account, or the custody member's
    custodial account (opened by escrow; missing or closed: refused)."""
    if project.custody_federation_id:
        account = ledger_selectors.account_for_owner(
            ORGANIZATION_OWNER, project.member_id, AccountKind.CUSTODIAL
        )
        if account is None:
            raise compliance.refuse(
                RuleResult("signed_contract", "fail", "no_custodial_account",
                           _("The member has no custodial account with its federation yet."))
            )  # fmt: skip
        if not account.is_active:
            raise compliance.refuse(
                RuleResult("signed_contract", "fail", "custodial_account_closed",
                           _("The member's custodial account is closed."))
            )  # fmt: skip
        return PayeeKind.CUSTODIAL, account
    organization = project.undertaker
    account = ledger_selectors.account_for_owner(
        ORGANIZATION_OWNER, organization.pk, AccountKind.EXTERNAL
    )
    if account is not None:
        return PayeeKind.EXTERNAL, account
    account = ledger.open_account(
        actor=actor,
        kind=AccountKind.EXTERNAL,
        name=f"{organization.name}（收款账户）"[:200],
        owner_type=ORGANIZATION_OWNER,
        owner_id=organization.pk,
        scope=AccountScope(organization_id=organization.pk),
        reason=_("undertaker's outside account"),
    )
    return PayeeKind.EXTERNAL, account


def split(
    amount: Decimal, weights: list[tuple[int, Decimal]], room: dict | None = None
) -> list[tuple[int, Decimal]]:
    """`amount` split pro rata to `weights` [(key, weight)]: each part rounded down to the
    fen, the remainder fen to the largest weight (the first of equal ones). The parts add up
    to `amount` exactly; zero parts are left out.

    `room` ({key: what that allocation has left}) caps each part: rounding remainders given
    to the largest over several payments could otherwise ask it for a fen more than it
    holds; the excess then goes to the others with room, largest first."""
    total = sum((w for _k, w in weights), ZERO)
    if total <= 0:
        raise Conflict(_("No committed money to pay from."), code="budget_not_reserved")
    parts = {k: (amount * w / total).quantize(CENT, rounding=ROUND_DOWN) for k, w in weights}
    largest = max(weights, key=lambda kw: kw[1])[0]
    parts[largest] += amount - sum(parts.values(), ZERO)
    if room is not None:
        excess = ZERO
        for k, _w in weights:
            cap = max(room.get(k, ZERO), ZERO)
            if parts[k] > cap:
                excess += parts[k] - cap
                parts[k] = cap
        for k, _w in sorted(weights, key=lambda kw: -kw[1]):
            if excess <= 0:
                break
            give = min(excess, max(room.get(k, ZERO), ZERO) - parts[k])
            if give > 0:
                parts[k] += give
                excess -= give
        if excess > 0:
            raise Conflict(
                _("The commitments have ¥%(short)s too little left for this payment.")
                % {"short": f"{excess:.2f}"},
                code="commitment_insufficient",
            )
    return [(k, parts[k]) for k, _w in weights if parts[k] > 0]


# The payment's hot reads, compiled once (core/compiled.py).
_PAYMENT_LOCKED = Compiled(
    lambda pk: (
        MilestonePayment.objects.select_for_update(of=("self",))
        .select_related("project__undertaker", "milestone")
        .filter(pk=pk)
    )
)
_COMMITTED_ALLOCATIONS = Compiled(
    lambda project_id: (
        Allocation.objects.filter(project_id=project_id, state=AllocationState.COMMITTED)
        .select_related("account__balance", "line__source__money_tag")
        .order_by("id")
    )
)


def payment_approved(request, *, actor, reason="") -> None:
    """Final approval of a payment: split across the committed allocations, one transfer
    each, all in this transaction; a retried decision pays once (keys per part).

    The hot path of every payment: the rows it needs are read in three statements (the
    payment with its project and milestone; the allocations with their accounts, cached
    balances and source tags; the payee's account), the ledger gets Account instances (no
    lookups of its own) and posts every part in one call, and the parts are written in one
    statement."""
    payment = _PAYMENT_LOCKED.first(request.owner_id)
    if payment is None:
        raise MilestonePayment.DoesNotExist(request.owner_id)
    if payment.state == PaymentState.PAID:
        return
    _expect(payment, PaymentState.SUBMITTED, code="not_submitted")
    project = payment.project
    if project.state not in PAYABLE_STATES:
        raise Conflict(_("The project is %(s)s: nothing is paid.") % {
            "s": project.get_state_display()}, code="project_not_payable")  # fmt: skip
    allocations = _COMMITTED_ALLOCATIONS.all(project.pk)
    payee_kind, payee = _payee(actor, project)
    by_id = {a.pk: a for a in allocations}
    parts = split(
        payment.amount,
        [(a.pk, a.amount) for a in allocations],
        {a.pk: a.account.balance.available for a in allocations},
    )
    # The postings in one fixed order (by the allocation's account, then the allocation):
    # ledger_write locks a multi-posting call's balance rows in account-id order before it
    # writes, and concurrent payments that share accounts then also ask for them in the
    # same order whatever the split gave (no deadlock between them either way).
    parts.sort(key=lambda part: (by_id[part[0]].account_id, part[0]))
    pending = payee_kind == PayeeKind.CUSTODIAL  # receivable in custody: a reservation
    memo = _("Project #%(id)s milestone payment #%(p)s") % {"id": project.pk, "p": payment.pk}
    postings = [
        ledger.Posting(
            from_account=by_id[allocation_id].account,
            to_account=payee,
            amount=amount,
            source_account=by_id[allocation_id].line.source.money_tag,
            kind=TransferKind.PAYMENT,
            memo=memo,
            idempotency_key=f"projects:payment:{payment.pk}:{allocation_id}",
            reserve=pending,
        )
        for allocation_id, amount in parts
    ]
    try:  # every part in one call of the ledger's writer, all or none
        transfers = ledger.post_transfers(actor=actor, postings=postings)
    except Overdraft as exc:
        short = next((a for a in allocations if a.account_id == exc.account.pk), allocations[0])
        raise Conflict(
            _("Allocation #%(a)s has ¥%(short)s too little left for this payment.")
            % {"a": short.pk, "short": f"{exc.shortfall:.2f}"},
            code="commitment_insufficient",
        ) from exc
    rows = [
        MilestonePaymentPart(
            payment=payment,
            allocation=by_id[allocation_id],
            amount=amount,
            transfer_id=transfer.pk,
            pending=pending,
        )  # fmt: skip
        for (allocation_id, amount), transfer in zip(parts, transfers, strict=True)
    ]
    payment.state = PaymentState.PAID
    payment.payee_kind = payee_kind
    payment.payee_account = payee
    payment.paid_at = timezone.now()
    set_reason(payment, reason or _("approved: paid"))
    milestone = payment.milestone  # its payment's lock serializes every change to it
    milestone.state = MilestoneState.PAID
    set_reason(milestone, reason or _("paid"))
    save_together(  # the parts, the payment and its milestone: one statement
        inserts=[rows],
        updates=[(payment, ["state", "payee_kind", "payee_account", "paid_at"]),
                 (milestone, ["state"])],
    )  # fmt: skip


def payment_rejected(request, *, actor, reason="") -> None:
    payment = MilestonePayment.objects.select_for_update().get(pk=request.owner_id)
    if payment.state != PaymentState.SUBMITTED:
        return
    payment.state = PaymentState.REJECTED
    set_reason(payment, reason or _("rejected")).save()
    milestone = Milestone.objects.select_for_update().get(pk=payment.milestone_id)
    if milestone.state == MilestoneState.PAYMENT_SUBMITTED:
        milestone.state = MilestoneState.ACCEPTED
        set_reason(milestone, reason or _("payment rejected")).save()


# --------------------------------------------------------------------------- evaluation


def _criteria(value) -> tuple[list[dict], Decimal]:
    if not isinstance(value, list) or not value or len(value) > 30:
        raise InvalidInput(fields={"criteria": [_("1 to 30 criteria: {name, weight, score}.")]})
    cleaned, weights, total = [], ZERO, ZERO
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidInput(fields={"criteria": [_("Item %(i)d: {name, weight, score}.") %
                                                    {"i": i + 1}]})  # fmt: skip
        name = _text(item.get("name"), "criteria", max_length=200)
        try:
            weight = Decimal(str(item.get("weight")))
            score = Decimal(str(item.get("score")))
        except Exception:  # noqa: BLE001 - any malformed number is the same 400
            raise InvalidInput(
                fields={"criteria": [_("Weights and scores are numbers.")]}
            ) from None
        if (
            isinstance(item.get("weight"), bool)
            or isinstance(item.get("score"), bool)
            or not (
                weight.is_finite() and score.is_finite() and 0 < weight <= 100 and 0 <= score <= 100
            )
        ):
            raise InvalidInput(fields={"criteria": [_("Weights above 0 up to 100; scores 0–100.")]})
        weights += weight
        total += weight * score
        cleaned.append({"name": name, "weight": str(weight), "score": str(score)})
    if weights != 100:
        raise InvalidInput(
            _("The criteria's weights add to %(w)s, not 100.") % {"w": weights},
            code="weights_not_100",
            fields={"criteria": [_("Weights add up to 100.")]},
        )
    return cleaned, (total / 100).quantize(CENT)


def evaluation_record(*, actor, project_id, evaluator_kind, evaluator_name, criteria,
                      evaluated_on, summary="") -> Evaluation:  # fmt: skip
    """绩效评价 of a delivered, accepted or closed project: by the purchaser (its officers),
    a third party (recorded by the officers) or the federation (its staff)."""
    _user(actor)
    kind = _choice(evaluator_kind, "evaluator_kind", EvaluatorKind)
    name = _text(evaluator_name, "evaluator_name", max_length=200)
    cleaned, score = _criteria(criteria)
    on = _date(evaluated_on, "evaluated_on")
    with _acting(actor):
        project = _lock_project(actor, project_id)
        if kind == EvaluatorKind.FEDERATION:
            if not (_is_federation_staff_for(actor, project) or sees_everything(actor)):
                raise NotPermitted(code="role_required")
        else:
            _require_officer(actor, project)
        _expect(project, ProjectState.DELIVERED, ProjectState.ACCEPTED, ProjectState.CLOSED,
                ProjectState.TERMINATED)  # fmt: skip
        evaluation = Evaluation(
            project=project, organization_id=project.party_organization_id, evaluator_kind=kind,
            evaluator_name=name, criteria=cleaned, score=score, evaluated_on=on,
            summary=_text(summary, "summary", max_length=4000, required=False), created_by=actor,
        )  # fmt: skip
        set_reason(evaluation, _("performance evaluated")).save()
    return evaluation


# --------------------------------------------------------------------------- reminders


def remind_milestones(*, today: datetime.date | None = None, batch: int = 500) -> dict:
    """Notices for milestones due within 7 days and overdue ones: to the purchaser's
    finance officers and the undertaker's side. One notice per milestone and kind, also when
    run twice or on two workers (a unique row per (milestone, kind), and notify's key)."""
    today = today or timezone.localdate()
    open_states = (MilestoneState.PLANNED, MilestoneState.DELIVERED)
    live = (ProjectState.CONTRACTED, ProjectState.IN_PROGRESS, ProjectState.DELIVERED)
    sent = {"due_soon": 0, "overdue": 0}
    for kind, condition in (
        (ReminderKind.OVERDUE, {"due_on__lt": today}),
        (ReminderKind.DUE_SOON, {"due_on__gte": today,
                                 "due_on__lte": today + datetime.timedelta(days=7)}),
    ):  # fmt: skip
        milestones = (
            Milestone.objects.filter(state__in=open_states, project__state__in=live, **condition)
            .exclude(pk__in=MilestoneReminder.objects.filter(kind=kind).values("milestone_id"))
            .select_related("project__purchaser")
            .order_by("id")[:batch]
        )
        for milestone in milestones:
            with transaction.atomic():
                reminder = MilestoneReminder(milestone=milestone, kind=kind)
                try:
                    with transaction.atomic():
                        set_reason(reminder, _("reminder sent")).save()
                except IntegrityError:
                    continue  # another worker sent it
                project = milestone.project
                paths = [p for p in _paths_above(project.purchaser.path)]
                users = {
                    a.user
                    for a in RoleAssignment.objects.filter(
                        is_active=True, role=Role.FINANCE_OFFICER, region__path__in=paths
                    ).select_related("user")
                }
                users |= {
                    a.user
                    for a in RoleAssignment.objects.filter(
                        is_active=True, role=Role.ORGANIZATION_REP,
                        organization_id=project.party_organization_id,
                    ).select_related("user")
                }  # fmt: skip
                if project.custody_federation_id:
                    users |= {
                        a.user
                        for a in RoleAssignment.objects.filter(
                            is_active=True, role=Role.FEDERATION_STAFF,
                            federation_id=project.custody_federation_id,
                        ).select_related("user")
                    }  # fmt: skip
                message = (
                    _("Milestone %(n)s of project %(p)s is overdue (due %(d)s).")
                    if kind == ReminderKind.OVERDUE
                    else _("Milestone %(n)s of project %(p)s is due on %(d)s.")
                ) % {"n": milestone.number, "p": project.title, "d": milestone.due_on.isoformat()}
                for user in sorted(users, key=lambda u: u.pk):
                    if not user.is_active:
                        continue
                    notify(
                        user=user,
                        key=f"projects.milestone.{kind}:{milestone.pk}",
                        kind=f"milestone_{kind}",
                        message=message,
                        link=f"/api/v1/milestones/{milestone.pk}/",
                        obj=milestone,
                    )
                sent[kind] += 1
    return sent


def _paths_above(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]
