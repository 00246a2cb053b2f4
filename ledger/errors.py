"""The ledger's domain errors, and the database's refusals translated into them."""

from django.db import DatabaseError, IntegrityError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound
from core.money import COLUMN_BOUND, MAX_AMOUNT, yuan


class Overdraft(Conflict):
    """A guarded account (or its share of one funding source) would go below zero."""

    code = "overdraft"
    default_detail = _("Not enough money in the account.")

    def __init__(self, *, account, source, shortfall, level: str = "account"):
        self.account = account
        self.source = source
        self.shortfall = shortfall
        self.level = level
        if level == "source":
            detail = gettext(
                "Overdraft: account %(account)s holds %(shortfall)s too little of funding "
                "source %(source)s."
            )
        else:
            detail = gettext(
                "Overdraft: account %(account)s has %(shortfall)s too little available "
                "(funding source %(source)s)."
            )
        detail = detail % {
            "account": getattr(account, "code", account),
            "source": getattr(source, "code", source),
            "shortfall": yuan(shortfall),
        }
        super().__init__(
            detail,
            fields={
                "account": [str(getattr(account, "code", account))],
                "source_account": [str(getattr(source, "code", source))],
                "shortfall": [f"{shortfall:.2f}"],
            },
        )


class AccountInactive(Conflict):
    """A closed (inactive) account is named as the from, to or source account of a movement."""

    code = "account_inactive"
    default_detail = _("The ledger account is closed.")

    def __init__(self, *, account, field: str):
        self.account = account
        name = str(getattr(account, "code", account))
        super().__init__(
            gettext("Ledger account %(account)s is closed: no money moves from, to or out of it.")
            % {"account": name},
            fields={field: [gettext("Account %(account)s is closed.") % {"account": name}]},
        )


class AccountNotEmpty(Conflict):
    code = "account_not_empty"
    default_detail = _("The account still holds money or reservations.")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_detail = _("This idempotency key was already used for a different request.")


class TransferImmutable(Conflict):
    code = "transfer_immutable"
    default_detail = _(
        "Transfers are never changed or deleted; correct a mistake with a reversing transfer."
    )


class AlreadyResolved(Conflict):
    code = "transfer_already_resolved"
    default_detail = _("This transfer is no longer pending.")


class AlreadyReversed(Conflict):
    code = "transfer_already_reversed"
    default_detail = _("This transfer has already been reversed.")


class LedgerRecordImmutable(Conflict):
    code = "ledger_record_immutable"
    default_detail = _("Ledger records are insert-only.")


class UnknownAccount(NotFound):
    code = "unknown_account"
    default_detail = _("Unknown ledger account.")


class InvalidTransfer(InvalidInput):
    code = "invalid_transfer"


# core's append-only triggers (core/triggers.py) raise restrict_violation naming the table.
APPEND_ONLY_SQLSTATE = "23001"
NUMERIC_OVERFLOW = "22003"  # numeric_value_out_of_range


def balance_out_of_range() -> InvalidTransfer:
    """A balance would pass what its numeric(18, 2) column holds (see core/money.py)."""
    return InvalidTransfer(
        gettext(
            "The resulting balance would exceed what the ledger holds (less than %(column)s); "
            "each amount is at most %(limit)s."
        )
        % {"column": yuan(COLUMN_BOUND), "limit": yuan(MAX_AMOUNT)},
        code="amount_out_of_range",
        fields={"amount": [gettext("At most %(limit)s.") % {"limit": yuan(MAX_AMOUNT)}]},
    )


def translate_db_error(exc: DatabaseError):
    """The domain error a database refusal means, or None if it is not one of the ledger's."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(
        getattr(cause, "diag", None), "sqlstate", None
    )
    message = str(exc)
    if sqlstate == NUMERIC_OVERFLOW:
        return balance_out_of_range()
    if sqlstate == APPEND_ONLY_SQLSTATE and '"ledger_' in message:
        if '"ledger_transfer"' in message:
            return TransferImmutable()
        return LedgerRecordImmutable()
    if isinstance(exc, IntegrityError):
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None) or message
        if "guarded_not_negative" in constraint:
            return InvalidTransfer(_("A guarded account cannot go below zero."), code="overdraft")
        if "amount_positive" in constraint:
            return InvalidTransfer(
                _("A transfer moves a positive amount."), fields={"amount": [_("Must be > 0.")]}
            )
        if "two_accounts" in constraint:
            return InvalidTransfer(_("A transfer moves money between two accounts."))
        if "reverses" in constraint:
            return AlreadyReversed()
        if "foreign key" in message.lower() or "violates foreign key" in message:
            return UnknownAccount()
    return None
