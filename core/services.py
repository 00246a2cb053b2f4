"""What every app's use-case services share.

A write service takes explicit values, never an instance its caller already changed:

    organization_update(*, actor, organization_id, name=UNSET, ..., reason)

In one transaction it checks the actor's role and scope (an object out of scope is
`NotFound`, as if it did not exist), locks the row it changes (`locked()`), checks its rules
on what it read under the lock, writes and records the reason. Arguments left `UNSET` do
not change (`given()`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from .errors import InvalidInput, NotFound


class _Unset:
    """An argument not given: the field keeps its value."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "UNSET"

    def __bool__(self):
        return False


UNSET = _Unset()


def given(**values) -> dict:
    """The arguments that were given (not UNSET), in their order."""
    return {name: value for name, value in values.items() if value is not UNSET}


def locked(visible: QuerySet, pk, *, related: tuple[str, ...] = ()) -> Model:
    """The row `pk` of `visible`'s model, locked FOR UPDATE until the transaction ends.

    `visible` is what the actor may see: a row outside it is `NotFound`, exactly as a row
    that does not exist. Only the row itself is locked (`of=("self",)`), not the rows
    `related` joins in. Call inside `transaction.atomic()`.
    """
    if not isinstance(pk, int) or isinstance(pk, bool) or not visible.filter(pk=pk).exists():
        raise NotFound()
    model = visible.model
    return (
        model._default_manager.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    )


def validate(instance, **kwargs) -> None:
    """`full_clean()`, its errors turned into an InvalidInput (400) naming each field."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        raise InvalidInput(
            "；".join(
                f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in fields.items()
            )
            or "；".join(exc.messages),
            fields=fields or {"non_field_errors": exc.messages},
        ) from exc
