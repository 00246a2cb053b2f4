"""Every write of the approval engine.

Requests: `request_submit` (called by the app that owns the object), `request_approve`,
`request_reject`, `request_return` (by the approvers), `request_withdraw` (by the
submitter). Policies: `policy_create`, `policy_update` (administrators). Delegations:
`delegation_grant`, `delegation_revoke`.

Each call is one transaction. A decision locks its request row first (SELECT ... FOR
UPDATE), checks every rule on what it read, then writes; when the request reaches its
final state the owning app's handler runs inside the same transaction, so concurrent
final approvals run the effect once: the second waits for the first, then finds the
request decided (409). The database refuses the same things again (one decision per
person and request, a reason to reject or return, no change to a decided request).
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role, RoleAssignment, User
from access.permissions import require_role
from access.selectors import has_role, scope_signature, sees_everything
from core.audited import set_reason
from core.compiled import Compiled, save_fields, save_together
from core.context import acting_as, current_actor
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.history_guard import batched as history_batched
from core.money import CENT, MAX_AMOUNT, yuan
from core.notifications import notify
from federations.models import Federation, Organization, Region
from federations.selectors import regions_visible_to

from .models import (
    LEVEL_ORDER,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalRequirement,
    ApprovalTier,
    Delegation,
    Level,
    RequestState,
    Verdict,
)
from .registry import get_step
from .selectors import (
    delegations_in_force,
    delegations_visible_to,
    officer_regions,
    policy_for,
    requests_visible_to,
    required_levels,
    requirements_for_decision,
    seats_of,
    staff_federations,
)

POLICY_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)
MAX_DELEGATION_DAYS = 366


# --------------------------------------------------------------------------- checks


@contextmanager
def _acting(actor):
    """History rows name the actor, also when a task or another app's service calls."""
    if current_actor() is not None:
        yield
        return
    with acting_as(user=actor):
        yield


def _require_user(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        raise NotPermitted(_("Log in first."), code="not_authenticated")


def _money(amount, field: str = "amount", *, allow_zero: bool = False) -> Decimal:
    fields = {field: [_("An amount in yuan with at most two decimals.")]}
    if isinstance(amount, bool) or amount is None:
        raise InvalidInput(_("The amount is not a number."), fields=fields)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(_("The amount is not a number."), fields=fields) from None
    if not value.is_finite():
        raise InvalidInput(_("The amount is not a number."), fields=fields)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(
            _("The amount must be greater than zero."),
            fields={field: [_("The amount must be greater than zero.")]},
        )
    if value > MAX_AMOUNT:
        limit = {"limit": yuan(MAX_AMOUNT)}
        raise InvalidInput(
            _("The amount is too large: at most %(limit)s.") % limit,
            fields={field: [_("At most %(limit)s.") % limit]},
        )
    if value != value.quantize(CENT):
        raise InvalidInput(
            _("The amount has more than two decimals."),
            fields={field: [_("At most two decimals.")]},
        )
    return value.quantize(CENT)


def _positive_id(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(
            _("%(field)s: a positive whole number.") % {"field": field},
            fields={field: [_("A positive whole number.")]},
        )
    return value


def _reason(reason, *, required: bool) -> str:
    text = (reason or "").strip() if isinstance(reason, str) or reason is None else None
    if text is None:
        raise InvalidInput(_("The reason is text."), fields={"reason": [_("Give text.")]})
    if len(text) > 2000:
        raise InvalidInput(
            _("The reason is too long."), fields={"reason": [_("At most 2000 characters.")]}
        )
    if required and not text:
        raise InvalidInput(
            _("A rejection or a return needs a reason."),
            code="reason_required",
            fields={"reason": [_("Say why: it is recorded with the decision.")]},
        )
    return text


def _instance(model, value, field: str):
    if value is None:
        return None
    if isinstance(value, model):
        if value.pk is None:
            raise InvalidInput(fields={field: [_("Not saved.")]})
        return value
    pk = _positive_id(value, field)
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise _no_such(field)
    return obj


def _no_such(field: str) -> InvalidInput:
    """Also what an object out of the actor's scope answers: existence is not revealed."""
    return InvalidInput(
        _("%(field)s: no such object.") % {"field": field},
        fields={field: [_("No such object.")]},
    )


def _ancestors(region: Region) -> list[Region]:
    """`region` and every region above it (one query)."""
    codes = [c for c in region.path.split("/") if c]
    return list(Region.objects.filter(code__in=codes))


# --------------------------------------------------------------------------- requests


def request_submit(
    *,
    actor,
    kind: str,
    owner_type: str,
    owner_id: int,
    amount,
    region=None,
    federation=None,
    organization=None,
    reason: str = "",
    created_by=None,
) -> ApprovalRequest:
    """Ask for approval of one object's step; called by the owning app's service.

    The request keeps the rule of the most specific active policy for `kind` at its scope
    (township over county over city). With no policy the step is refused (`no_policy`),
    never approved by default. `created_by` (who made the object) may not decide it, just
    like the submitter. A tier at the federation-staff level waits for the staff of the
    federation the step's registration names for the object (`federation_of`), else of the
    request's federation scope.
    """
    _require_user(actor)
    step = get_step(kind) if isinstance(kind, str) else None
    if step is None:
        raise InvalidInput(
            _("Unknown approval step: %(kind)s.") % {"kind": kind},
            code="unknown_kind",
            fields={"kind": [_("No app registered this step.")]},
        )
    if not isinstance(owner_type, str) or not owner_type.strip() or len(owner_type) > 100:
        raise InvalidInput(
            _("Name the object's type."), fields={"owner_type": [_("app_label.model")]}
        )
    owner_id = _positive_id(owner_id, "owner_id")
    amount = _money(amount)
    reason = _reason(reason, required=False)
    region = _instance(Region, region, "region")
    federation = _instance(Federation, federation, "federation")
    organization = _instance(Organization, organization, "organization")
    given = [x for x in (region, federation, organization) if x is not None]
    if len(given) != 1:
        raise InvalidInput(
            _("Give exactly one scope: a region, a federation or an organization."),
            code="scope_required",
            fields={"region": [_("Exactly one of region, federation, organization.")]},
        )
    if region is not None:
        scope_region = region
    elif federation is not None:
        scope_region = federation.township
    else:
        scope_region = organization.community
    created_by = _instance(User, created_by, "created_by")

    with _acting(actor), transaction.atomic():
        ancestors = _ancestors(scope_region)
        policy = policy_for(kind, ancestors)
        if policy is None:
            raise InvalidInput(
                _("No approval policy covers %(kind)s in %(region)s: ask an administrator.")
                % {"kind": step.label, "region": scope_region.name},
                code="no_policy",
                fields={"kind": [_("No approval policy for this step here.")]},
            )
        tiers = list(policy.tiers.all())
        needed = required_levels(tiers, amount)
        by_level = {r.level: r for r in ancestors}
        staff_of = None
        if Level.FEDERATION in needed:
            staff_of = _federation_of(step, owner_id, federation)
            if staff_of is not None:
                by_level[Level.FEDERATION] = staff_of.township
        missing = [level for level in needed if level not in by_level]
        if not needed or missing:
            raise InvalidInput(
                _("The policy needs %(levels)s officers, which this scope has none of.")
                % {"levels": ", ".join(missing) or "-"},
                code="no_approver_level",
                fields={"region": [_("No region of the level the policy needs above it.")]},
            )
        now = timezone.now()
        rule = {
            "policy": policy.pk,
            "policy_region": {"id": policy.region_id, "name": policy.region.name},
            "kind": kind,
            "amount": str(amount),
            "overdue_after_hours": policy.overdue_after_hours,
            "tiers": [
                {"above_amount": str(t.above_amount), "level": t.level, "count": t.count}
                for t in sorted(tiers, key=lambda t: (t.above_amount, t.level))
            ],
            "required": [
                {
                    "level": level,
                    "count": count,
                    "region": {"id": by_level[level].pk, "name": by_level[level].name},
                    **(
                        {"federation": {"id": staff_of.pk, "name": staff_of.name}}
                        if level == Level.FEDERATION
                        else {}
                    ),
                }
                for level, count in needed.items()
            ],
        }
        request = ApprovalRequest(
            kind=kind,
            owner_type=owner_type.strip(),
            owner_id=owner_id,
            amount=amount,
            region=region,
            federation=federation,
            organization=organization,
            scope_region=scope_region,
            submitter=actor,
            created_by=created_by,
            reason=reason,
            policy=policy,
            rule=rule,
            submitted_at=now,
            due_at=now + datetime.timedelta(hours=policy.overdue_after_hours),
        )
        set_reason(request, reason or _("submitted for approval"))
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError as exc:
            if "approvalrequest_one_pending_per_object" in str(exc):
                raise Conflict(
                    _("This object already waits for this approval."), code="already_pending"
                ) from None
            raise
        for level, count in needed.items():
            requirement = ApprovalRequirement(
                request=request,
                level=level,
                region=by_level[level],
                federation=staff_of if level == Level.FEDERATION else None,
                needed=count,
                kind=request.kind,
                amount=request.amount,
                submitted_at=request.submitted_at,
                due_at=request.due_at,
                submitter=request.submitter,
                created_by=request.created_by,
                scope_path=scope_region.path,
            )
            set_reason(requirement, _("submitted for approval")).save()
    return request


def _federation_of(step, owner_id: int, scope_federation) -> Federation | None:
    """The federation whose staff approve the object: the owning app's registration names
    it; without one, the request's federation scope."""
    if step.federation_of is not None:
        found = step.federation_of(owner_id)
        if found is None:
            return None
        if isinstance(found, Federation):
            return found
        return Federation.objects.select_related("township").filter(pk=found).first()
    return scope_federation


# Compiled once per actor's scope (core/compiled.py): the signature names everything
# requests_visible_to reads from the actor, so a changed assignment compiles anew.
_VISIBLE_LOCKED = Compiled(
    lambda pk, actor, _signature: (
        requests_visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("submitter")  # the outcome's notice goes to them
        .filter(pk=pk)
        .order_by("pk")[:1]
    )
)


def _lock_visible(actor, request_id) -> ApprovalRequest:
    """The request, locked; 404 when missing or outside the actor's scope."""
    if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id <= 0:
        raise NotFound(_("No such approval request."))
    # One statement: only a visible request is found (and locked); the others answer 404.
    request = _VISIBLE_LOCKED.first(request_id, actor, scope_signature(actor))
    if request is None:
        raise NotFound(_("No such approval request."))
    return request


def _already_decided() -> Conflict:
    return Conflict(_("This request is already decided."), code="already_decided")


def _choose_requirement(actor, request: ApprovalRequest, requirements):
    """The open requirement the actor's decision counts toward, and the id of the delegation
    the actor acts under there (if any). One person counts once: at most one requirement
    (a finance officer who is also the federation's staff counts at the most specific).
    `requirements` come annotated by `requirements_for_decision`."""
    held = seats_of(actor)
    if not held:
        raise NotPermitted(
            _("Only finance officers and federation staff decide approval requests."),
            code="role_required",
        )
    # Delegations in force at a requirement's seat (its region, or its federation at the
    # staff level): given away (they stop the actor deciding there) or received (the
    # decision records it), read with the requirements.
    matching = [r for r in requirements if r.seat in held]
    open_here = [r for r in matching if r.is_open and not r.actor_away]
    if not open_here:
        if any(r.is_open and r.actor_away for r in matching):
            raise NotPermitted(
                _("You delegated your approvals here; revoke the delegation to decide."),
                code="delegated",
            )
        if matching:
            raise NotPermitted(
                _("The approvals your level gives are already complete."), code="wrong_level"
            )
        levels = ", ".join(
            f"{r.get_level_display()} ({(r.federation or r.region).name})" for r in requirements
        )
        raise NotPermitted(
            _("This request waits for: %(levels)s.") % {"levels": levels}, code="wrong_level"
        )
    rank = {level.value: i for i, level in enumerate(LEVEL_ORDER)}
    chosen = min(open_here, key=lambda r: (rank[r.level], r.pk))
    return chosen, chosen.actor_delegation_id


def _finalize(request: ApprovalRequest, state: str, *, actor, reason: str, requirements) -> None:
    step = get_step(request.kind)
    now = timezone.now()
    for r in requirements:
        if r.is_open:
            r.is_open = False
            save_fields(set_reason(r, reason or state), ["is_open"])
    request.state = state
    request.decided_at = now
    # the history row has every field
    save_fields(set_reason(request, reason or state), ["state", "decided_at"])
    handler = step.handler_for(state)
    if handler is not None:
        handler(request, actor=actor, reason=reason)
    if request.submitter_id != actor.pk:
        notify(
            user=request.submitter,
            key=f"approvals.decided:{request.pk}",
            kind="approval_decided",
            message=_("%(kind)s #%(id)d (¥%(amount)s): %(state)s. %(reason)s")
            % {
                "kind": step.label,
                "id": request.owner_id,
                "amount": request.amount,
                "state": request.get_state_display(),
                "reason": reason,
            },
            link=request_link(request),
            obj=request,
        )


def request_link(request: ApprovalRequest) -> str:
    return f"/api/v1/approvals/{request.pk}/"


def _decide(*, actor, request_id, verdict: str, reason) -> ApprovalRequest:
    _require_user(actor)
    reason = _reason(reason, required=verdict != Verdict.APPROVE)
    # The history rows of the decision and its effects go in together (one round trip).
    with _acting(actor), transaction.atomic(), history_batched():
        request = _lock_visible(actor, request_id)
        if not request.is_pending:
            raise _already_decided()
        if actor.pk in (request.submitter_id, request.created_by_id):
            raise NotPermitted(
                _("Nobody decides what they submitted or created (maker–checker)."),
                code="self_approval",
            )
        requirements = requirements_for_decision(request.pk, actor.pk)
        if any(r.actor_decided for r in requirements):
            raise _already_decided()
        if get_step(request.kind) is None:
            raise Conflict(
                _("No app handles %(kind)s any more.") % {"kind": request.kind},
                code="unknown_kind",
            )
        requirement, delegation_id = _choose_requirement(actor, request, requirements)
        staff_level = requirement.level == Level.FEDERATION
        decision = ApprovalDecision(
            request=request,
            user=actor,
            user_name=(actor.get_full_name() or actor.username)[:150],
            role=Role.FEDERATION_STAFF if staff_level else Role.FINANCE_OFFICER,
            level=requirement.level,
            region_id=requirement.region_id,
            federation_id=requirement.federation_id,
            requirement=requirement,
            delegation_id=delegation_id,
            verdict=verdict,
            reason=reason,
            decided_at=timezone.now(),
        )
        # No savepoint: the request is locked and the decision checked above, and should
        # the unique key still refuse it, the Conflict rolls this whole transaction back.
        if verdict == Verdict.APPROVE:
            requirement.given += 1
            if requirement.given >= requirement.needed:
                requirement.is_open = False
            set_reason(requirement, reason or _("approved by %(u)s") % {"u": decision.user_name})
        try:  # the decision and what it gives: one statement
            save_together(
                inserts=[[decision]],
                updates=[(requirement, ["given", "is_open"])] if verdict == Verdict.APPROVE else [],
            )
        except IntegrityError:
            raise _already_decided() from None
        if verdict == Verdict.APPROVE:
            if not any(r.is_open for r in requirements):
                _finalize(
                    request,
                    RequestState.APPROVED,
                    actor=actor,
                    reason=reason,
                    requirements=requirements,
                )
        else:
            state = RequestState.REJECTED if verdict == Verdict.REJECT else RequestState.RETURNED
            _finalize(request, state, actor=actor, reason=reason, requirements=requirements)
    return request


def request_approve(*, actor, request_id: int, reason: str = "") -> ApprovalRequest:
    return _decide(actor=actor, request_id=request_id, verdict=Verdict.APPROVE, reason=reason)


def request_reject(*, actor, request_id: int, reason: str) -> ApprovalRequest:
    return _decide(actor=actor, request_id=request_id, verdict=Verdict.REJECT, reason=reason)


def request_return(*, actor, request_id: int, reason: str) -> ApprovalRequest:
    """Send back for changes: final for this request (the owner may submit anew)."""
    return _decide(actor=actor, request_id=request_id, verdict=Verdict.RETURN, reason=reason)


def request_withdraw(*, actor, request_id: int, reason: str = "") -> ApprovalRequest:
    """The submitter takes a pending request back."""
    _require_user(actor)
    reason = _reason(reason, required=False)
    with _acting(actor), transaction.atomic():
        request = _lock_visible(actor, request_id)
        if request.submitter_id != actor.pk:
            raise NotPermitted(_("Only its submitter withdraws a request."), code="not_submitter")
        if not request.is_pending:
            raise _already_decided()
        requirements = list(request.requirements.order_by("id"))
        _finalize(
            request,
            RequestState.WITHDRAWN,
            actor=actor,
            reason=reason or _("withdrawn"),
            requirements=requirements,
        )
    return request


# --------------------------------------------------------------------------- policies


def clean_tiers(tiers) -> list[dict]:
    """Validate tier rows: [{"above_amount", "level", "count"}, ...]."""
    if not isinstance(tiers, list | tuple) or not tiers:
        raise InvalidInput(
            _("A policy has at least one tier."), fields={"tiers": [_("Give at least one tier.")]}
        )
    if len(tiers) > 20:
        raise InvalidInput(_("At most 20 tiers."), fields={"tiers": [_("At most 20 tiers.")]})
    clean, seen = [], set()
    for i, tier in enumerate(tiers):
        if not isinstance(tier, dict):
            raise InvalidInput(fields={"tiers": [_("Tier %(n)d is not an object.") % {"n": i}]})
        above = _money(tier.get("above_amount", 0), "tiers", allow_zero=True)
        level = tier.get("level")
        if level not in Level.values:
            raise InvalidInput(
                _("Unknown level: %(level)s.") % {"level": level},
                fields={"tiers": [_("Level: federation, township, county or city.")]},
            )
        count = tier.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 9:
            raise InvalidInput(
                _("From 1 to 9 approvals per tier."),
                fields={"tiers": [_("count: from 1 to 9.")]},
            )
        if (above, level) in seen:
            raise InvalidInput(
                _("Two tiers with the same threshold and level."),
                fields={"tiers": [_("One tier per threshold and level.")]},
            )
        seen.add((above, level))
        clean.append({"above_amount": above, "level": level, "count": count})
    if not any(t["above_amount"] == 0 for t in clean):
        raise InvalidInput(
            _("A policy needs a tier above 0, so that every amount needs an approval."),
            code="no_base_tier",
            fields={"tiers": [_("Add a tier with threshold 0.")]},
        )
    return clean


def _overdue_hours(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 365:
        raise InvalidInput(
            _("Overdue after 1 hour to 365 days."),
            fields={"overdue_after_hours": [_("A whole number of hours from 1 to 8760.")]},
        )
    return value


def _save_policy(policy: ApprovalPolicy, reason: str) -> None:
    set_reason(policy, reason)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        if "approvalpolicy_one_active_per_kind_region" in str(exc):
            raise Conflict(
                _("This region already has an active policy for this step."),
                code="policy_exists",
                fields={"region": [_("An active policy exists here.")]},
            ) from None
        raise


def _replace_tiers(policy: ApprovalPolicy, tiers: list[dict], reason: str) -> None:
    for old in list(policy.tiers.all()):
        set_reason(old, reason).delete()
    for tier in tiers:
        row = ApprovalTier(policy=policy, **tier)
        set_reason(row, reason).save()


def policy_create(
    *,
    actor,
    kind: str,
    region,
    tiers: list[dict],
    overdue_after_hours: int = 72,
    reason: str = "",
) -> ApprovalPolicy:
    """A policy for one step kind at a city, county or township (administrators)."""
    require_role(actor, Role.ADMINISTRATOR)
    if not isinstance(kind, str) or get_step(kind) is None:
        raise InvalidInput(
            _("Unknown approval step: %(kind)s.") % {"kind": kind},
            code="unknown_kind",
            fields={"kind": [_("No app registered this step.")]},
        )
    region = _instance(Region, region, "region")
    if region is None or region.level not in POLICY_LEVELS:
        raise InvalidInput(
            _("A policy applies to a city, a county or a township."),
            fields={"region": [_("A city, a county or a township.")]},
        )
    tiers = clean_tiers(tiers)
    hours = _overdue_hours(overdue_after_hours)
    reason = _reason(reason, required=False) or _("policy created")
    with _acting(actor), transaction.atomic():
        policy = ApprovalPolicy(kind=kind, region=region, overdue_after_hours=hours)
        _save_policy(policy, reason)
        _replace_tiers(policy, tiers, reason)
    return policy


def policy_update(
    *,
    actor,
    policy_id: int,
    tiers: list[dict] | None = None,
    overdue_after_hours: int | None = None,
    is_active: bool | None = None,
    reason: str = "",
) -> ApprovalPolicy:
    """Change a policy's tiers, overdue limit or activity. Requests already submitted keep
    the rule they were submitted under."""
    require_role(actor, Role.ADMINISTRATOR)
    if tiers is not None:
        tiers = clean_tiers(tiers)
    hours = _overdue_hours(overdue_after_hours) if overdue_after_hours is not None else None
    if is_active is not None and not isinstance(is_active, bool):
        raise InvalidInput(fields={"is_active": [_("true or false.")]})
    reason = _reason(reason, required=False) or _("policy changed")
    if isinstance(policy_id, bool) or not isinstance(policy_id, int):
        raise NotFound(_("No such approval policy."))
    with _acting(actor), transaction.atomic():
        policy = ApprovalPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFound(_("No such approval policy."))
        if hours is not None:
            policy.overdue_after_hours = hours
        if is_active is not None:
            policy.is_active = is_active
        _save_policy(policy, reason)
        if tiers is not None:
            _replace_tiers(policy, tiers, reason)
    return policy


# --------------------------------------------------------------------------- delegations


def _holds(user, region_id: int) -> bool:
    return region_id in officer_regions(user)


def _delegation_seat(actor, region, federation):
    """Where the actor delegates: a region they hold as a finance officer, or a federation
    they are staff of. Answers (region, federation or None, level)."""
    if federation is not None:
        if region is not None:
            raise InvalidInput(
                _("Name a region or a federation, not both."),
                fields={"federation": [_("Either a region or a federation.")]},
            )
        federation = _instance(Federation, federation, "federation")
        if federation.pk not in staff_federations(actor):
            raise InvalidInput(
                _("You delegate only approvals of a federation you are staff of."),
                code="not_your_federation",
                fields={"federation": [_("Not a federation you are staff of.")]},
            )
        return federation.township, federation, Level.FEDERATION
    if not has_role(actor, Role.FINANCE_OFFICER):
        raise NotPermitted(
            _("Only finance officers and federation staff delegate approvals."),
            code="role_required",
        )
    region = _instance(Region, region, "region")
    if region is not None and not regions_visible_to(actor).filter(pk=region.pk).exists():
        raise _no_such("region")
    if region is None or not _holds(actor, region.pk):
        raise InvalidInput(
            _("You delegate only approvals of a region you hold as a finance officer."),
            code="not_your_region",
            fields={"region": [_("Not a region you hold as a finance officer.")]},
        )
    return region, None, region.level


def delegation_grant(
    *,
    actor,
    to_user,
    region=None,
    federation=None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str = "",
) -> Delegation:
    """The actor (a finance officer holding `region`) hands their approvals there to
    `to_user`, a finance officer holding the same region, from `starts_on` to `ends_on`;
    or (federation staff, `federation` instead of `region`) to another staff member of the
    same federation."""
    _require_user(actor)
    region, federation, level = _delegation_seat(actor, region, federation)
    to_user = _instance(User, to_user, "to_user")
    if to_user is None or to_user.pk == actor.pk:
        raise InvalidInput(
            _("Delegate to another officer."), fields={"to_user": [_("Someone else.")]}
        )
    peer = (
        federation.pk in staff_federations(to_user)
        if federation is not None
        else _holds(to_user, region.pk)
    )
    if not to_user.is_active or not peer:
        if federation is not None:
            raise InvalidInput(
                _("The delegate must be staff of the same federation."),
                code="delegate_not_peer",
                fields={"to_user": [_("Not staff of this federation.")]},
            )
        raise InvalidInput(
            _("The delegate must be a finance officer of the same level and region."),
            code="delegate_not_peer",
            fields={"to_user": [_("Not a finance officer of this region.")]},
        )
    if not isinstance(starts_on, datetime.date) or not isinstance(ends_on, datetime.date):
        raise InvalidInput(fields={"starts_on": [_("A date.")], "ends_on": [_("A date.")]})
    if ends_on < starts_on:
        raise InvalidInput(
            _("The end is on or after the start."), fields={"ends_on": [_("Before the start.")]}
        )
    if ends_on < timezone.localdate():
        raise InvalidInput(
            _("A delegation that has already ended changes nothing."),
            fields={"ends_on": [_("In the past.")]},
        )
    if (ends_on - starts_on).days >= MAX_DELEGATION_DAYS:
        raise InvalidInput(
            _("A delegation lasts at most a year."), fields={"ends_on": [_("At most a year.")]}
        )
    reason = _reason(reason, required=False)
    with _acting(actor), transaction.atomic():
        # Serialize grants touching these two people (their user rows, in id order).
        list(
            User.objects.select_for_update()
            .filter(pk__in=[actor.pk, to_user.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        live = Delegation.objects.filter(
            revoked_at__isnull=True,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        if federation is not None:
            live = live.filter(federation=federation)
        else:
            live = live.filter(region=region, federation__isnull=True)
        if live.filter(from_user=actor).exists():
            raise Conflict(
                _("You already delegated your approvals here for part of these dates."),
                code="delegation_overlaps",
            )
        if live.filter(from_user=to_user).exists():
            raise Conflict(
                _("The delegate has delegated their own approvals here for these dates."),
                code="delegate_away",
            )
        delegation = Delegation(
            from_user=actor,
            to_user=to_user,
            region=region,
            federation=federation,
            level=level,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
        )
        try:
            delegation.full_clean()
        except ValidationError as exc:
            raise InvalidInput("; ".join(exc.messages), fields=exc.message_dict) from None
        set_reason(delegation, reason or _("delegation granted")).save()
    return delegation


def delegation_revoke(*, actor, delegation_id: int, reason: str = "") -> Delegation:
    """The delegator (or an administrator) ends a delegation now."""
    _require_user(actor)
    reason = _reason(reason, required=False)
    with _acting(actor), transaction.atomic():
        if isinstance(delegation_id, bool) or not isinstance(delegation_id, int):
            raise NotFound(_("No such delegation."))
        delegation = Delegation.objects.select_for_update().filter(pk=delegation_id).first()
        if (
            delegation is None
            or not delegations_visible_to(actor).filter(pk=delegation.pk).exists()
        ):
            raise NotFound(_("No such delegation."))
        if delegation.from_user_id != actor.pk and not sees_everything(actor):
            raise NotPermitted(
                _("Only the officer who delegated (or an administrator) revokes it."),
                code="not_delegator",
            )
        if delegation.revoked_at is not None:
            raise Conflict(_("This delegation is already revoked."), code="already_revoked")
        delegation.revoked_at = timezone.now()
        delegation.revoked_by = actor
        set_reason(delegation, reason or _("delegation revoked")).save()
    return delegation


# --------------------------------------------------------------------------- overdue


def remind_overdue(*, now: datetime.datetime | None = None, batch: int = 500) -> dict:
    """Flag pending requests past their limit, and remind everyone who may decide them:
    one notice per request, person and day (the key holds the date), so running it again
    the same day sends nothing new. Officers who delegated their approvals are reminded
    through their delegate, who holds the same region."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    flagged = sent = 0
    last_id = 0
    while True:
        page = list(
            ApprovalRequest.objects.filter(
                state=RequestState.PENDING, due_at__lte=now, pk__gt=last_id
            )
            .select_related("submitter")
            .order_by("pk")[:batch]
        )
        if not page:
            break
        last_id = page[-1].pk
        ids = [r.pk for r in page]
        open_by_request: dict[int, set[tuple[str, int]]] = {}
        for request_id, region_id, federation_id in ApprovalRequirement.objects.filter(
            request_id__in=ids, is_open=True
        ).values_list("request_id", "region_id", "federation_id"):
            seat = ("federation", federation_id) if federation_id else ("region", region_id)
            open_by_request.setdefault(request_id, set()).add(seat)
        seats = set().union(*open_by_request.values()) if open_by_request else set()
        regions = {pk for level, pk in seats if level == "region"}
        federations = {pk for level, pk in seats if level == "federation"}
        officers: dict[tuple[str, int], set] = {}
        users = {}
        for a in RoleAssignment.objects.filter(
            Q(role=Role.FINANCE_OFFICER, region_id__in=regions)
            | Q(role=Role.FEDERATION_STAFF, federation_id__in=federations),
            is_active=True,
            user__is_active=True,
        ).select_related("user"):
            seat = (
                ("federation", a.federation_id)
                if a.role == Role.FEDERATION_STAFF
                else ("region", a.region_id)
            )
            officers.setdefault(seat, set()).add(a.user_id)
            users[a.user_id] = a.user
        away = {
            (d.from_user_id, d.seat)
            for d in delegations_in_force(on=today).filter(
                Q(region_id__in=regions, federation__isnull=True) | Q(federation_id__in=federations)
            )
        }
        decided = set(
            ApprovalDecision.objects.filter(request_id__in=ids).values_list("request_id", "user_id")
        )
        for request in page:
            with transaction.atomic():
                if request.overdue_since is None:
                    locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
                    if locked.is_pending and locked.overdue_since is None:
                        locked.overdue_since = now
                        set_reason(locked, _("overdue")).save()
                        flagged += 1
                makers = {request.submitter_id, request.created_by_id}
                for seat in sorted(open_by_request.get(request.pk, ())):
                    for user_id in sorted(officers.get(seat, ())):
                        if user_id in makers or (request.pk, user_id) in decided:
                            continue
                        if (user_id, seat) in away:
                            continue
                        _note, new = notify(
                            user=users[user_id],
                            key=f"approvals.overdue:{request.pk}:{today.isoformat()}",
                            kind="approval_overdue",
                            message=_(
                                "Waiting for your approval since %(since)s: %(kind)s "
                                "#%(id)d, ¥%(amount)s."
                            )
                            % {
                                "since": timezone.localtime(request.submitted_at).strftime(
                                    "%Y-%m-%d %H:%M"
                                ),
                                "kind": get_step(request.kind).label
                                if get_step(request.kind)
                                else request.kind,
                                "id": request.owner_id,
                                "amount": request.amount,
                            },
                            link=request_link(request),
                            obj=request,
                        )
                        sent += int(new)
    return {"flagged": flagged, "notified": sent}
