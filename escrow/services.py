"""Every write of escrow: custodial accounts, deposits, expense claims and their payouts.

Who may do what (checked first, in each service; what the actor may not see is 404):

- open, close, return the remainder, announce and confirm deposits: federation staff of
  the custodian federation;
- freeze, unfreeze (a reason each time): federation staff of the custodian federation, and
  finance officers whose region holds its township;
- create, edit, submit, withdraw a claim; add vouchers: the organization's representative
  (staff may add vouchers too);
- review a submitted claim (forward to approval, return, reject): federation staff;
- approve (amount thresholds, maker–checker): federation staff of the account's federation
  other than the one who forwarded it, and above a threshold a township finance officer as
  well, through the approval engine (step `expense_claim`, `CLAIM_POLICY_TIERS`);
- pay an approved claim (payout reference, idempotency key): federation staff.

Money moves only through `ledger.services`: an approval reserves each line (a pending
transfer from the custodial account to the payee's outside account, tagged with the line's
funding source, so the ledger refuses spending beyond that source's share); the payout posts
the reservations. A frozen account refuses every outgoing step (approval, payout, return).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role, RoleAssignment
from access.permissions import require_role
from access.selectors import sees_everything
from approvals.services import request_submit
from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.money import CENT, MAX_AMOUNT, yuan
from core.notifications import notify
from core.services import locked
from core.uploads import JPEG, PDF, PNG, checked_upload
from federations.eligibility import check_custody_eligibility
from federations.models import Federation, Organization
from funds.models import DONATION_KINDS, ApprovalState, FundingSource
from ledger import selectors as ledger_selectors
from ledger import services as ledger
from ledger.models import Account, AccountKind, Transfer, TransferKind, TransferState
from ledger.services import AccountScope
from projects.compliance import source_refusal
from projects.models import MilestonePaymentPart, Project

from .models import (
    AccountState,
    ClaimLine,
    ClaimState,
    CustodialAccount,
    Deposit,
    DepositKind,
    DepositState,
    ExpenseCategory,
    ExpenseClaim,
    Voucher,
)
from .selectors import (
    CUSTODIAL,
    OWNER_TYPE,
    accounts_visible_to,
    claims_visible_to,
    deposits_visible_to,
    is_officer_over,
    is_rep_of,
    is_staff_of,
    lines_visible_to,
    mask_account_number,
    overdue_advances,
)

STEP_CLAIM = "expense_claim"
# The expense-claim policy the demo and the tests set up (administrators may change it):
# up to ¥5,000 one federation staff member approves (never the one who forwarded the
# claim: they are its maker); above ¥5,000 the township's finance officer approves as
# well — a federation has one or two social workers (policy 四(三)), so the second
# signature on larger sums comes from the township that funds and supervises the custody.
CLAIM_STAFF_LIMIT = Decimal("5000.00")
CLAIM_POLICY_TIERS = [
    {"above_amount": "0", "level": "federation", "count": 1},
    {"above_amount": str(CLAIM_STAFF_LIMIT), "level": "township", "count": 1},
]
VOUCHER_KINDS = {PDF: "pdf", JPEG: "jpeg", PNG: "png"}
EDITABLE = (ClaimState.DRAFT, ClaimState.RETURNED)


# --------------------------------------------------------------------------- checks


def roles(*names: str):
    """The service refuses (403) an actor holding none of these roles, before anything else
    (administrators hold every role); the scope is checked inside."""

    def wrap(service):
        @functools.wraps(service)
        def checked(*args, actor, **kwargs):
            require_role(actor, *names)
            return service(*args, actor=actor, **kwargs)

        return checked

    return wrap


STAFF = Role.FEDERATION_STAFF
REP = Role.ORGANIZATION_REP


def _id(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(fields={field: [_("An id.")]})
    return value


def _unknown(field: str) -> InvalidInput:
    """An id named in a body that the actor may not see answers as a missing one."""
    message = _("No such object in your scope.")
    return InvalidInput(message, code="unknown_object", fields={field: [message]})


def _reason(reason, *, required: bool) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if required and not reason:
        raise InvalidInput(
            _("Say why: the reason is recorded."), fields={"reason": [_("Required.")]}
        )
    return reason[:500]


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


def money(value, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals, or a 400 naming `field`."""
    try:
        if isinstance(value, bool) or value is None:
            raise InvalidOperation
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(
            fields={field: [_("A positive amount in yuan with at most two decimals.")]}
        ) from None
    if amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise InvalidInput(
            _("%(field)s: a positive amount in yuan, at most %(limit)s, two decimals at most.")
            % {"field": field, "limit": yuan(MAX_AMOUNT)},
            code="invalid_amount",
            fields={field: [_("A positive amount in yuan with at most two decimals.")]},
        )
    return amount.quantize(CENT)


def _key(value, field: str = "idempotency_key") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 80:
        raise InvalidInput(fields={field: [_("1 to 80 characters, unique per request.")]})
    return value.strip()


def _require_staff(actor, account_or_federation_id) -> None:
    federation_id = getattr(account_or_federation_id, "federation_id", account_or_federation_id)
    if not is_staff_of(actor, federation_id):
        raise NotPermitted(
            _("Only staff of the custodian federation do this."), code="federation_staff_only"
        )


def _require_rep(actor, account: CustodialAccount) -> None:
    if not (sees_everything(actor) or is_rep_of(actor, account.organization_id)):
        raise NotPermitted(
            _("Only the organization's representative does this."), code="representative_only"
        )


def _may_freeze(actor, account: CustodialAccount) -> bool:
    return is_staff_of(actor, account.federation_id) or is_officer_over(
        actor, account.federation.township.path
    )


def _not_frozen(account: CustodialAccount) -> None:
    if account.state == AccountState.FROZEN:
        raise Conflict(
            _("The account is frozen (%(reason)s): no money leaves it.")
            % {"reason": account.frozen_reason},
            code="account_frozen",
            fields={"account": [_("Frozen.")]},
        )
    if account.state == AccountState.CLOSED:
        raise Conflict(_("The account is closed."), code="account_closed")


def _lock_account(actor, account_id) -> CustodialAccount:
    return locked(
        accounts_visible_to(actor), account_id, related=("federation__township", "organization")
    )


# --------------------------------------------------------------------------- accounts


@roles(STAFF)
def account_open(*, actor, federation_id: int, organization_id: int, reason: str = ""):
    """Open the custodial account of a member organization without legal personality
    (only when the federations' custody rule allows it today)."""
    federation_id = _id(federation_id, "federation")
    organization_id = _id(organization_id, "organization")
    federation = Federation.objects.select_related("township").filter(pk=federation_id).first()
    if federation is None or not is_staff_of(actor, federation.pk):
        raise _unknown("federation")
    organization = (
        Organization.objects.select_related("community").filter(pk=organization_id).first()
    )
    if organization is None:
        raise _unknown("organization")
    check_custody_eligibility(federation=federation, organization=organization)
    reason = _reason(reason, required=False) or _("custodial account opened")
    with transaction.atomic():
        if CustodialAccount.objects.filter(organization=organization).exists():
            raise Conflict(
                _("This organization already has a custodial account."),
                code="already_open",
                fields={"organization": [_("Already has one.")]},
            )
        ledger_account = ledger.open_account(
            actor=actor,
            kind=CUSTODIAL,
            name=_("%(org)s (custody of %(fed)s)")
            % {"org": organization.name, "fed": federation.name},
            owner_type=OWNER_TYPE,
            owner_id=organization.pk,
            scope=AccountScope(
                region_path=organization.community.path,
                federation_id=federation.pk,
                organization_id=organization.pk,
            ),
            reason=reason,
        )
        account = CustodialAccount(
            federation=federation,
            organization=organization,
            ledger_account=ledger_account,
            opened_by=actor,
            advance_voucher_days=settings.ESCROW_ADVANCE_VOUCHER_DAYS,
        )
        try:
            with transaction.atomic():
                set_reason(account, reason).save()
        except IntegrityError:
            raise Conflict(
                _("This organization already has a custodial account."), code="already_open"
            ) from None
    return account


def _set_frozen(actor, account_id, reason: str, *, frozen: bool) -> CustodialAccount:
    """Freeze (no money leaves until unfrozen) or unfreeze; a reason each time. Federation
    staff of the custodian federation and finance officers whose region holds its township."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        account = _lock_account(actor, account_id)
        if not _may_freeze(actor, account):
            raise NotPermitted(
                _("Federation staff or the region's finance officers freeze and unfreeze."),
                code="freeze_not_permitted",
            )
        expected = AccountState.ACTIVE if frozen else AccountState.FROZEN
        if account.state != expected:
            raise Conflict(
                _("The account is %(state)s.") % {"state": account.get_state_display()},
                code="not_active" if frozen else "not_frozen",
            )
        account.state = AccountState.FROZEN if frozen else AccountState.ACTIVE
        account.frozen_reason = reason if frozen else ""
        account.frozen_by = actor if frozen else None
        account.frozen_at = timezone.now() if frozen else None
        set_reason(account, reason).save()
    return account


@roles(STAFF, Role.FINANCE_OFFICER)
def account_freeze(*, actor, account_id: int, reason: str) -> CustodialAccount:
    """Freeze: no money leaves the account until it is unfrozen. A reason is required."""
    return _set_frozen(actor, account_id, reason, frozen=True)


@roles(STAFF, Role.FINANCE_OFFICER)
def account_unfreeze(*, actor, account_id: int, reason: str) -> CustodialAccount:
    return _set_frozen(actor, account_id, reason, frozen=False)


@roles(STAFF)
def account_update(*, actor, account_id: int, advance_voucher_days: int, reason: str = ""):
    """Set how many days an advance has to bring its vouchers (federation staff)."""
    if isinstance(advance_voucher_days, bool) or not isinstance(advance_voucher_days, int):
        raise InvalidInput(fields={"advance_voucher_days": [_("A number of days.")]})
    if not 1 <= advance_voucher_days <= 365:
        raise InvalidInput(fields={"advance_voucher_days": [_("From 1 to 365 days.")]})
    with transaction.atomic():
        account = _lock_account(actor, account_id)
        _require_staff(actor, account)
        account.advance_voucher_days = advance_voucher_days
        set_reason(account, _reason(reason, required=False) or _("advance days changed")).save()
    return account


@roles(STAFF)
def account_return_remainder(*, actor, account_id: int, reason: str) -> list[Transfer]:
    """Before closing: give each funding source back its money left in the account, one
    transfer per source naming it (kind `refund`, to the source's own ledger account)."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        account = _lock_account(actor, account_id)
        _require_staff(actor, account)
        _not_frozen(account)
        balance = ledger_selectors.balance(account.ledger_account_id)
        if balance.pending or balance.receivable:
            raise Conflict(
                _("Resolve the reserved (¥%(p)s) and receivable (¥%(r)s) money first.")
                % {"p": balance.pending, "r": balance.receivable},
                code="pending_money",
            )
        shares = [s for s in ledger_selectors.balance_by_source(account.ledger_account_id)]
        sources = Account.objects.in_bulk([s.source_account_id for s in shares])
        done = []
        for share in shares:
            if share.posted <= 0:
                continue
            source = sources[share.source_account_id]
            done.append(
                ledger.post_transfer(
                    actor=actor,
                    from_account=account.ledger_account_id,
                    to_account=source,
                    amount=share.posted,
                    source_account=source,
                    kind=TransferKind.REFUND,
                    memo=_("Remainder returned to %(source)s: %(reason)s")
                    % {"source": source.name, "reason": reason},
                    idempotency_key=f"escrow:return:{account.pk}:{source.pk}:{share.posted}"
                    f":{timezone.now():%Y%m%d%H%M%S%f}",
                )
            )
    return done


@roles(STAFF)
def account_close(*, actor, account_id: int, reason: str) -> CustodialAccount:
    """Close an account at zero (return the remainder first); nothing moves in or out after."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        account = _lock_account(actor, account_id)
        _require_staff(actor, account)
        if account.state == AccountState.CLOSED:
            return account
        balance = ledger_selectors.balance(account.ledger_account_id)
        if balance.posted or balance.pending or balance.receivable:
            raise Conflict(
                _(
                    "The account still holds ¥%(posted)s (¥%(pending)s reserved, "
                    "¥%(receivable)s receivable): return the remainder to its sources first."
                )
                % {
                    "posted": balance.posted,
                    "pending": balance.pending,
                    "receivable": balance.receivable,
                },
                code="not_empty",
            )
        open_claims = account.claims.filter(
            state__in=[ClaimState.SUBMITTED, ClaimState.APPROVED]
        ).exists()
        if open_claims:
            raise Conflict(_("Claims are still open on this account."), code="claims_open")
        ledger.close_account(actor=actor, account=account.ledger_account_id, reason=reason)
        account.state = AccountState.CLOSED
        account.closed_at = timezone.now()
        set_reason(account, reason).save()
    return account


# --------------------------------------------------------------------------- deposits


def _outside_party(
    actor, account: CustodialAccount, name: str, prefix: str, *, key: str = ""
) -> Account:
    """An outside party's ledger account (a payer or a payee), one per name (or bank account:
    `key`) and federation, opened on first use. Its name never shows a full account number."""
    digest = hashlib.sha256((key or name).encode()).hexdigest()[:20]
    code = f"escrow:{prefix}:{account.federation_id}:{digest}"
    try:
        with transaction.atomic():
            return ledger.open_account(
                actor=actor,
                kind=AccountKind.EXTERNAL,
                name=name[:200],
                code=code,
                # The township's officers and auditors read it; federation staff see their
                # custodial accounts, not every payer and payee.
                scope=AccountScope(region_path=account.federation.township.path),
                reason=_("outside party of custodial payments"),
            )
    except IntegrityError:
        return Account.objects.get(code=code)


def _source(value, field: str = "funding_source") -> FundingSource:
    source_id = _id(value, field)
    source = FundingSource.objects.select_related("money_tag", "account").filter(pk=source_id)
    source = source.first()
    if source is None or source.state != ApprovalState.APPROVED or source.money_tag_id is None:
        raise _unknown(field)
    return source


@roles(STAFF)
def deposit_announce(
    *,
    actor,
    account_id: int,
    kind: str,
    funding_source_id: int,
    amount,
    payer: str = "",
    memo: str = "",
    idempotency_key: str,
    reason: str = "",
) -> Deposit:
    """Record money announced for the account (campaign money, other income): receivable,
    not spendable, until its arrival is confirmed. Campaign money is reserved from the
    campaign's own source account; other income from the payer's outside account."""
    if kind not in (DepositKind.CAMPAIGN, DepositKind.OTHER):
        raise InvalidInput(
            fields={"kind": [_("campaign or other (milestone payments come from projects).")]}
        )
    amount = money(amount)
    key = _key(idempotency_key)
    payer = _text(payer, "payer", max_length=200, required=kind == DepositKind.OTHER)
    memo = _text(memo, "memo", max_length=500, required=False)
    source = _source(funding_source_id)
    if kind == DepositKind.CAMPAIGN and source.kind not in DONATION_KINDS:
        raise InvalidInput(
            _("Campaign money comes from a crowdfunding or charity-fund source."),
            fields={"funding_source": [_("Not a donation-funded source.")]},
        )
    with transaction.atomic():
        account_id = _id(account_id, "account")
        if not accounts_visible_to(actor).filter(pk=account_id).exists():
            raise _unknown("account")
        account = _lock_account(actor, account_id)
        _require_staff(actor, account)
        if account.state == AccountState.CLOSED:
            raise Conflict(_("The account is closed."), code="account_closed")
        existing = Deposit.objects.filter(transfer__idempotency_key=f"escrow:deposit:{key}")
        if (found := existing.first()) is not None:
            return found
        if kind == DepositKind.CAMPAIGN:
            from_account = source.account
            payer = payer or source.name
        else:
            from_account = _outside_party(actor, account, payer, "payer")
        transfer = ledger.reserve(
            actor=actor,
            from_account=from_account,
            to_account=account.ledger_account_id,
            amount=amount,
            source_account=source.money_tag,
            kind=TransferKind.DEPOSIT,
            memo=(memo or payer)[:500],
            idempotency_key=f"escrow:deposit:{key}",
        )
        deposit = Deposit(
            account=account,
            kind=kind,
            transfer=transfer,
            funding_source=source,
            amount=amount,
            payer=payer,
            memo=memo,
            created_by=actor,
        )
        set_reason(deposit, _reason(reason, required=False) or _("deposit announced")).save()
    return deposit


def _deposit_for_transfer(actor, transfer_id: int) -> tuple[Deposit, CustodialAccount]:
    """The deposit row of a pending transfer into a custodial account the actor sees: the
    one escrow recorded, or a new row for money another app sent (a milestone payment)."""
    transfer_id = _id(transfer_id, "transfer")
    transfer = (
        Transfer.objects.select_related("from_account", "source_account")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise _unknown("transfer")
    account = accounts_visible_to(actor).filter(ledger_account_id=transfer.to_account_id).first()
    if account is None:
        raise _unknown("transfer")
    account = _lock_account(actor, account.pk)
    deposit = Deposit.objects.select_for_update().filter(transfer=transfer).first()
    if deposit is None:
        if transfer.state != TransferState.PENDING:
            raise Conflict(_("This transfer is not waiting for arrival."), code="not_pending")
        from_kind = transfer.from_account.kind
        deposit = Deposit(
            account=account,
            kind=DepositKind.MILESTONE
            if from_kind == AccountKind.COMMITMENT
            else DepositKind.OTHER,
            transfer=transfer,
            funding_source=FundingSource.objects.filter(money_tag=transfer.source_account_id)
            .order_by("id")
            .first(),
            amount=transfer.amount,
            payer=transfer.from_account.name[:200],
            memo=transfer.memo[:500],
            created_by=actor,
        )
    deposit.transfer = transfer
    return deposit, account


@roles(STAFF)
def deposit_confirm(*, actor, transfer_id: int, bank_reference: str, reason: str = "") -> Deposit:
    """Federation staff confirm that money announced for the account arrived: the pending
    transfer is posted (spendable from now) and who, when and the bank reference recorded.
    Confirming again with the same reference answers the deposit; another reference is 409."""
    reference = _text(bank_reference, "bank_reference", max_length=100)
    with transaction.atomic():
        deposit, account = _deposit_for_transfer(actor, transfer_id)
        _require_staff(actor, account)
        if deposit.state == DepositState.CONFIRMED:
            if deposit.bank_reference == reference:
                return deposit
            raise Conflict(
                _("Already confirmed with reference %(ref)s.") % {"ref": deposit.bank_reference},
                code="already_confirmed",
            )
        if deposit.state == DepositState.VOIDED:
            raise Conflict(_("This deposit was cancelled."), code="deposit_voided")
        ledger.commit_pending(
            actor=actor,
            transfer=deposit.transfer,
            idempotency_key=f"escrow:deposit:{deposit.transfer_id}:confirm",
        )
        deposit.state = DepositState.CONFIRMED
        deposit.bank_reference = reference
        deposit.confirmed_by = actor
        deposit.confirmed_at = timezone.now()
        try:
            with transaction.atomic():
                set_reason(
                    deposit, _reason(reason, required=False) or _("arrival confirmed")
                ).save()
        except IntegrityError:
            raise Conflict(
                _("This bank reference is already confirmed on this account."),
                code="reference_used",
                fields={"bank_reference": [_("Already used.")]},
            ) from None
    return deposit


@roles(STAFF)
def deposit_void(*, actor, deposit_id: int, reason: str) -> Deposit:
    """Cancel announced money that will not come (campaign or other income recorded here)."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        deposit = locked(deposits_visible_to(actor), deposit_id)
        account = CustodialAccount.objects.select_related("federation").get(pk=deposit.account_id)
        _require_staff(actor, account)
        if deposit.state != DepositState.RECEIVABLE:
            raise Conflict(_("Only receivable money is cancelled."), code="not_receivable")
        if deposit.kind == DepositKind.MILESTONE:
            raise Conflict(
                _("A milestone payment is cancelled by its project."), code="owned_by_projects"
            )
        ledger.void_pending(
            actor=actor,
            transfer=deposit.transfer_id,
            idempotency_key=f"escrow:deposit:{deposit.transfer_id}:void",
        )
        deposit.state = DepositState.VOIDED
        set_reason(deposit, reason).save()
    return deposit


# --------------------------------------------------------------------------- claims


def _advances_block(account: CustodialAccount) -> None:
    late = overdue_advances().filter(account=account).order_by("vouchers_due_on").first()
    if late is not None:
        raise Conflict(
            _(
                "Claim #%(id)s was paid as an advance and its vouchers were due on %(due)s: "
                "new claims wait until they arrive."
            )
            % {"id": late.pk, "due": late.vouchers_due_on.isoformat()},
            code="advances_overdue",
        )


def _lock_claim(actor, claim_id) -> tuple[ExpenseClaim, CustodialAccount]:
    """The claim and its account, both locked (account first: the order every payout,
    freeze and approval takes)."""
    claim_id = claim_id if isinstance(claim_id, int) and not isinstance(claim_id, bool) else 0
    found = claims_visible_to(actor).filter(pk=claim_id).values_list("account_id", flat=True)
    account_id = found.first()
    if account_id is None:
        raise NotFound()
    account = _lock_account(actor, account_id)
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim_id)
    return claim, account


def _expect(claim: ExpenseClaim, *states) -> None:
    if claim.state not in states:
        raise Conflict(
            _("The claim is %(state)s.") % {"state": claim.get_state_display()},
            code="wrong_state",
            fields={"state": [claim.state]},
        )


def _retotal(claim: ExpenseClaim) -> None:
    claim.total = sum((line.amount for line in claim.lines.all()), Decimal("0.00"))


@roles(REP)
def claim_create(
    *, actor, account_id: int, title: str, is_advance: bool = False, reason: str = ""
) -> ExpenseClaim:
    title = _text(title, "title", max_length=200)
    if not isinstance(is_advance, bool):
        raise InvalidInput(fields={"is_advance": [_("true or false.")]})
    with transaction.atomic():
        account_id = _id(account_id, "account")
        if not accounts_visible_to(actor).filter(pk=account_id).exists():
            raise _unknown("account")
        account = _lock_account(actor, account_id)
        _require_rep(actor, account)
        if account.state == AccountState.CLOSED:
            raise Conflict(_("The account is closed."), code="account_closed")
        _advances_block(account)
        claim = ExpenseClaim(account=account, title=title, is_advance=is_advance, created_by=actor)
        set_reason(claim, _reason(reason, required=False) or _("claim drafted")).save()
    return claim


@roles(REP)
def claim_update(*, actor, claim_id: int, title=None, is_advance=None, reason: str = ""):
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        _require_rep(actor, account)
        _expect(claim, *EDITABLE)
        if title is not None:
            claim.title = _text(title, "title", max_length=200)
        if is_advance is not None:
            if not isinstance(is_advance, bool):
                raise InvalidInput(fields={"is_advance": [_("true or false.")]})
            claim.is_advance = is_advance
        set_reason(claim, _reason(reason, required=False) or _("claim changed")).save()
    return claim


def _line_project(account: CustodialAccount, project_id) -> Project | None:
    """The project a line is charged to: one the member undertakes in this federation's
    custody (another is named as missing)."""
    if project_id is None:
        return None
    project_id = _id(project_id, "project")
    project = Project.objects.filter(
        pk=project_id,
        custody_federation_id=account.federation_id,
        member_id=account.organization_id,
    ).first()
    if project is None:
        raise _unknown("project")
    return project


def projects_of_source(account: CustodialAccount, source: FundingSource) -> set[int]:
    """The projects this source's money in the account is restricted to: those whose
    milestone payments brought it here (empty: the money is not a project's)."""
    return set(
        MilestonePaymentPart.objects.filter(
            transfer__to_account_id=account.ledger_account_id,
            transfer__source_account_id=source.money_tag_id,
        ).values_list("allocation__project_id", flat=True)
    )


def _check_line_source(account: CustodialAccount, source: FundingSource, project=None) -> None:
    """The source has money in this account (the ledger's share is the final guard); money
    allocated to projects is spent only for them; the source's restrictions allow the
    project."""
    restricted_to = projects_of_source(account, source)
    if restricted_to and (project is None or project.pk not in restricted_to):
        raise Conflict(
            _("%(source)s is restricted to its projects; charge one of them.")
            % {"source": source.name}
            if project is None
            else _("%(source)s is not restricted to project %(project)s.")
            % {"source": source.name, "project": project.title},
            code="source_not_for_project",
            fields={"project": [_("The source does not pay for this project.")]},
        )
    if project is not None:
        refused = source_refusal(project, source)
        if refused is not None:
            raise Conflict(
                refused.message, code=refused.code, fields={"funding_source": [refused.message]}
            )
    share = ledger_selectors.source_share(account.ledger_account_id, source.money_tag_id)
    if share.posted <= 0 and share.receivable <= 0:
        raise InvalidInput(
            _("%(source)s has no money in this account.") % {"source": source.name},
            code="source_not_in_account",
            fields={"funding_source": [_("No money of this source here.")]},
        )


@roles(REP)
def line_add(
    *,
    actor,
    claim_id: int,
    category: str,
    amount,
    payee_name: str,
    payee_bank: str,
    payee_account_number: str,
    funding_source_id: int,
    project_id: int | None = None,
    description: str = "",
    reason: str = "",
) -> ClaimLine:
    if category not in ExpenseCategory.values:
        raise InvalidInput(fields={"category": [_("Unknown category.")]})
    amount = money(amount)
    payee_name = _text(payee_name, "payee_name", max_length=200)
    payee_bank = _text(payee_bank, "payee_bank", max_length=200)
    number = _text(payee_account_number, "payee_account_number", max_length=40).replace(" ", "")
    if not number.isdigit() or not 6 <= len(number) <= 32:
        raise InvalidInput(fields={"payee_account_number": [_("6 to 32 digits.")]})
    description = _text(description, "description", max_length=300, required=False)
    source = _source(funding_source_id)
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        _require_rep(actor, account)
        _expect(claim, *EDITABLE)
        project = _line_project(account, project_id)
        _check_line_source(account, source, project)
        line = ClaimLine(
            claim=claim, category=category, amount=amount, payee_name=payee_name,
            payee_bank=payee_bank, payee_account_number=number, funding_source=source,
            project=project, description=description,
        )  # fmt: skip
        set_reason(line, _reason(reason, required=False) or _("line added")).save()
        _retotal(claim)
        set_reason(claim, _("line added")).save()
    return line


@roles(REP)
def line_remove(*, actor, line_id: int, reason: str = "") -> None:
    line_id = line_id if isinstance(line_id, int) and not isinstance(line_id, bool) else 0
    claim_id = lines_visible_to(actor).filter(pk=line_id).values_list("claim_id", flat=True).first()
    if claim_id is None:
        raise NotFound()
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        _require_rep(actor, account)
        _expect(claim, *EDITABLE)
        line = ClaimLine.objects.get(pk=line_id)
        set_reason(line, _reason(reason, required=False) or _("line removed")).delete()
        _retotal(claim)
        set_reason(claim, _("line removed")).save()


@roles(REP, STAFF)
def voucher_add(*, actor, claim_id: int, file, reason: str = "") -> Voucher:
    """Attach a receipt or invoice (PDF, JPEG or PNG, checked from its content). On a claim
    paid as an advance, the first voucher ends the wait for vouchers."""
    upload = checked_upload(file, field="file")
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        if not (
            is_rep_of(actor, account.organization_id) or is_staff_of(actor, account.federation_id)
        ):
            raise NotPermitted(
                _("The representative or federation staff attach vouchers."),
                code="voucher_not_permitted",
            )
        if claim.state in (ClaimState.REJECTED, ClaimState.WITHDRAWN):
            _expect(claim, ClaimState.DRAFT)
        voucher = Voucher(
            claim=claim,
            file=upload.file,
            kind=VOUCHER_KINDS[upload.content_type],
            size=upload.size,
            original_name=upload.original_name,
            sha256=upload.sha256,
            uploaded_by=actor,
        )
        set_reason(voucher, _reason(reason, required=False) or _("voucher attached")).save()
        if claim.state == ClaimState.PAID and claim.vouchers_received_at is None:
            claim.vouchers_received_at = timezone.now()
            set_reason(claim, _("vouchers of the advance received")).save()
    return voucher


@roles(REP)
def claim_submit(*, actor, claim_id: int, reason: str = "") -> ExpenseClaim:
    """The representative submits the claim to the federation's review."""
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        _require_rep(actor, account)
        _expect(claim, *EDITABLE)
        if account.state == AccountState.CLOSED:
            raise Conflict(_("The account is closed."), code="account_closed")
        _advances_block(account)
        lines = list(claim.lines.select_related("funding_source"))
        if not lines:
            raise InvalidInput(_("Add at least one line."), code="no_lines")
        if not claim.is_advance and not claim.vouchers.exists():
            raise InvalidInput(
                _("Attach the vouchers, or mark the claim as an advance."),
                code="vouchers_required",
                fields={"vouchers": [_("Required unless an advance.")]},
            )
        _check_shares(account, lines)
        claim.state = ClaimState.SUBMITTED
        claim.submitted_at = timezone.now()
        claim.approval_request = None
        claim.last_reason = _reason(reason, required=False)
        set_reason(claim, claim.last_reason or _("submitted")).save()
    return claim


def _check_shares(account: CustodialAccount, lines) -> None:
    """Per funding source: the claim asks no more than that source's available share."""
    wanted: dict[int, Decimal] = {}
    names = {}
    for line in lines:
        tag = line.funding_source.money_tag_id
        wanted[tag] = wanted.get(tag, Decimal("0.00")) + line.amount
        names[tag] = line.funding_source.name
    for tag, amount in wanted.items():
        share = ledger_selectors.source_share(account.ledger_account_id, tag)
        if amount > share.available:
            raise Conflict(
                _(
                    "%(source)s has ¥%(available)s available in this account; "
                    "the claim asks ¥%(amount)s."
                )
                % {"source": names[tag], "available": share.available, "amount": amount},
                code="source_share_exceeded",
                fields={"funding_source": [names[tag]]},
            )


@roles(REP)
def claim_withdraw(*, actor, claim_id: int, reason: str = "") -> ExpenseClaim:
    """The representative takes back a claim not yet in the approval engine."""
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        _require_rep(actor, account)
        _expect(claim, ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.RETURNED)
        if claim.approval_request_id and claim.state == ClaimState.SUBMITTED:
            raise Conflict(
                _("The claim is waiting for approval; ask the federation to return it."),
                code="in_approval",
            )
        claim.state = ClaimState.WITHDRAWN
        claim.last_reason = _reason(reason, required=False)
        set_reason(claim, claim.last_reason or _("withdrawn")).save()
    return claim


def _staff_review(actor, claim_id):
    claim, account = _lock_claim(actor, claim_id)
    _require_staff(actor, account)
    _expect(claim, ClaimState.SUBMITTED)
    if claim.approval_request_id:
        raise Conflict(_("The claim is already in the approval engine."), code="in_approval")
    return claim, account


@roles(STAFF)
def claim_forward(*, actor, claim_id: int, reason: str = ""):
    """Federation staff checked the claim and its vouchers: it goes to the approval engine
    (thresholds by amount; nobody decides what they made or forwarded)."""
    with transaction.atomic():
        claim, account = _staff_review(actor, claim_id)
        _not_frozen(account)
        request = request_submit(
            actor=actor,
            kind=STEP_CLAIM,
            owner_type="escrow.expenseclaim",
            owner_id=claim.pk,
            amount=claim.total,
            federation=account.federation,
            reason=_reason(reason, required=False),
            created_by=claim.created_by,
        )
        claim.approval_request = request
        set_reason(claim, _reason(reason, required=False) or _("forwarded for approval")).save()
    return request


@roles(STAFF)
def claim_return(*, actor, claim_id: int, reason: str) -> ExpenseClaim:
    """Federation staff return the claim for more information (the representative edits it
    and submits again)."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        claim, _account = _staff_review(actor, claim_id)
        claim.state = ClaimState.RETURNED
        claim.last_reason = reason
        set_reason(claim, reason).save()
    _tell_representative(claim, reason)
    return claim


@roles(STAFF)
def claim_reject(*, actor, claim_id: int, reason: str) -> ExpenseClaim:
    reason = _reason(reason, required=True)
    with transaction.atomic():
        claim, _account = _staff_review(actor, claim_id)
        claim.state = ClaimState.REJECTED
        claim.decided_at = timezone.now()
        claim.last_reason = reason
        set_reason(claim, reason).save()
    _tell_representative(claim, reason)
    return claim


def _tell_representative(claim: ExpenseClaim, reason: str) -> None:
    notify(
        user=claim.created_by,
        key=f"escrow.claim:{claim.pk}:{claim.state}:{timezone.now():%Y%m%d%H%M%S}",
        kind="escrow_claim_decided",
        message=_("Expense claim #%(id)s (%(title)s): %(state)s. %(reason)s")
        % {
            "id": claim.pk,
            "title": claim.title,
            "state": claim.get_state_display(),
            "reason": reason,
        },  # fmt: skip
        link=f"/api/v1/expense-claims/{claim.pk}/",
        obj=claim,
    )


def _payee(actor, account: CustodialAccount, line: ClaimLine) -> Account:
    number = line.payee_account_number
    return _outside_party(
        actor, account, f"{line.payee_name}（{line.payee_bank} {mask_account_number(number)}）",
        "payee", key=f"{line.payee_name}|{line.payee_bank}|{number}",
    )  # fmt: skip


def claim_approved(request, *, actor, reason: str = "") -> None:
    """The engine's final approval: each line's money is reserved to its payee (the ledger
    refuses a line beyond its source's share; the decision then rolls back)."""
    claim = ExpenseClaim.objects.get(pk=request.owner_id)
    account = (
        CustodialAccount.objects.select_for_update()
        .select_related("federation__township")
        .get(pk=claim.account_id)
    )
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
    _expect(claim, ClaimState.SUBMITTED)
    _not_frozen(account)
    for line in claim.lines.select_related("funding_source").order_by("id"):
        transfer = ledger.reserve(
            actor=actor,
            from_account=account.ledger_account_id,
            to_account=_payee(actor, account, line),
            amount=line.amount,
            source_account=line.funding_source.money_tag_id,
            kind=TransferKind.EXPENSE,
            memo=f"#{claim.pk} {line.description or claim.title}"[:500],
            idempotency_key=f"escrow:claim:{claim.pk}:line:{line.pk}:{request.pk}",
        )
        line.reservation = transfer
        set_reason(line, _("reserved on approval")).save()
    claim.state = ClaimState.APPROVED
    claim.decided_at = timezone.now()
    claim.last_reason = reason or ""
    set_reason(claim, reason or _("approved")).save()


def claim_rejected(request, *, actor, reason: str = "") -> None:
    claim = ExpenseClaim.objects.select_for_update().get(pk=request.owner_id)
    _expect(claim, ClaimState.SUBMITTED)
    claim.state = ClaimState.REJECTED
    claim.decided_at = timezone.now()
    claim.last_reason = reason or ""
    set_reason(claim, reason or _("rejected")).save()


def claim_returned(request, *, actor, reason: str = "") -> None:
    claim = ExpenseClaim.objects.select_for_update().get(pk=request.owner_id)
    _expect(claim, ClaimState.SUBMITTED)
    claim.state = ClaimState.RETURNED
    claim.last_reason = reason or ""
    set_reason(claim, reason or _("returned for more information")).save()


def claim_withdrawn(request, *, actor, reason: str = "") -> None:
    claim = ExpenseClaim.objects.select_for_update().get(pk=request.owner_id)
    _expect(claim, ClaimState.SUBMITTED)
    claim.state = ClaimState.WITHDRAWN
    claim.last_reason = reason or ""
    set_reason(claim, reason or _("withdrawn")).save()


@roles(STAFF)
def claim_pay(
    *, actor, claim_id: int, payout_reference: str, idempotency_key: str, reason: str = ""
) -> ExpenseClaim:
    """Federation staff pay an approved claim: its reservations are posted, once. The same
    key again answers the paid claim and moves nothing; another key on a paid claim, or a
    payout reference used before, is refused (409). A frozen account pays nothing."""
    reference = _text(payout_reference, "payout_reference", max_length=100)
    key = _key(idempotency_key)
    with transaction.atomic():
        claim, account = _lock_claim(actor, claim_id)
        _require_staff(actor, account)
        if claim.state == ClaimState.PAID:
            if claim.payout_key == key and claim.payout_reference == reference:
                claim.replayed = True
                return claim
            raise Conflict(
                _("Claim #%(id)s is already paid (reference %(ref)s).")
                % {"id": claim.pk, "ref": claim.payout_reference},
                code="already_paid",
            )
        _expect(claim, ClaimState.APPROVED)
        _not_frozen(account)
        for line in claim.lines.order_by("id"):
            ledger.commit_pending(
                actor=actor,
                transfer=line.reservation_id,
                idempotency_key=f"escrow:payout:{claim.pk}:{line.pk}",
            )
        now = timezone.now()
        claim.state = ClaimState.PAID
        claim.paid_at = now
        claim.paid_by = actor
        claim.payout_reference = reference
        claim.payout_key = key
        if not claim.vouchers.exists():
            claim.vouchers_due_on = timezone.localdate(now) + datetime.timedelta(
                days=account.advance_voucher_days
            )
        try:
            with transaction.atomic():
                set_reason(claim, _reason(reason, required=False) or _("paid")).save()
        except IntegrityError as exc:
            field = "payout_reference" if "reference" in str(exc) else "idempotency_key"
            raise Conflict(
                _("This payout reference or key was used for another claim."),
                code="payout_reference_used",
                fields={field: [_("Already used.")]},
            ) from None
    return claim


def remind_overdue_advances(*, on: datetime.date | None = None) -> int:
    """One notice a day to the representative and the federation's staff per overdue advance."""
    on = on or timezone.localdate()
    sent = 0
    for claim in overdue_advances(on=on).select_related("account__organization", "created_by"):
        account = claim.account
        users = {claim.created_by}
        for a in RoleAssignment.objects.filter(
            is_active=True, federation_id=account.federation_id, role=Role.FEDERATION_STAFF
        ).select_related("user"):
            users.add(a.user)
        for user in users:
            _note, new = notify(
                user=user,
                key=f"escrow.advance_overdue:{claim.pk}:{on.isoformat()}",
                kind="advance_overdue",
                message=_(
                    "Claim #%(id)s of %(org)s was paid as an advance; its vouchers were due on "
                    "%(due)s. New claims of the account are blocked until they arrive."
                )
                % {
                    "id": claim.pk,
                    "org": account.organization.name,
                    "due": claim.vouchers_due_on.isoformat(),
                },  # fmt: skip
                link=f"/api/v1/expense-claims/{claim.pk}/",
                obj=claim,
            )
            sent += int(new)
    return sent
