"""What every app's use-case services share.

A write service takes explicit values, never an instance its caller already changed:

    organization_update(*, actor, organization_id, name=UNSET, ..., reason)

In one transaction it checks the actor's role and scope (an object out of scope is
`NotFound`, as if it did not exist), locks the row it changes (`locked()`), checks its rules
on what it read under the lock, writes and records the reason. Arguments left `UNSET` do
not change (`given()`).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.core.exceptions import NON_FIELD_ERRORS, FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, CheckConstraint, Model, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

from .errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)


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


def validate(instance, *, exclude=None) -> None:
    """`full_clean()`, its errors turned into an InvalidInput (400) naming each field.

    The model's CheckConstraints are checked as Django checks them (on the database, so a
    rule is written once, in the constraint), but all in one query instead of one query and
    one savepoint each: a register import validates every row this way.
    """
    exclude = set(exclude or ())
    errors: dict = {}
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        validate_constraints(instance, exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        messages = {
            k: [str(m) for e in v for m in ValidationError(e).messages] for k, v in errors.items()
        }
        raise InvalidInput(
            "；".join(
                f"{k}: {' '.join(v)}" if k != NON_FIELD_ERRORS else " ".join(v)
                for k, v in messages.items()
            ),
            fields=messages,
        )


def validate_constraints(instance, *, exclude: set) -> None:
    """`Model.validate_constraints()`, with every CheckConstraint in one query."""
    using = router.db_for_write(type(instance), instance=instance)
    connection = connections[using]
    errors: dict = {}
    checks = []
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            if (
                isinstance(constraint, CheckConstraint)
                and model_class is type(instance)
                and connection.features.supports_comparing_boolean_expr
            ):
                checks.append(constraint)
                continue
            try:
                constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(exc)
                else:
                    errors = exc.update_error_dict(errors)
    for constraint in _failed_checks(instance, checks, exclude=exclude, using=using):
        error = ValidationError(
            constraint.get_violation_error_message(), code=constraint.violation_error_code
        )
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _failed_checks(instance, checks: list, *, exclude: set, using: str) -> list:
    """The CheckConstraints `instance`'s values break, asked in one SELECT. A constraint on
    an excluded field is skipped, as Django skips it."""
    if not checks:
        return []
    query = Query(None)
    against = instance._get_field_expression_map(meta=instance._meta, exclude=exclude)
    for name, value in against.items():
        if not hasattr(value, "resolve_expression"):
            value = Value(value)
        query.add_annotation(value, name, select=False)
    asked = []
    for i, constraint in enumerate(checks):
        condition = Coalesce(Q(constraint.condition), True, output_field=BooleanField())
        try:
            query.add_annotation(condition, f"_check_{i}")
        except FieldError:
            continue
        asked.append(constraint)
    if not asked:
        return []
    connection = connections[using]
    atomic = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with atomic:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as exc:  # as Django's Q.check(): the database decides at write
        logger.warning("Checking %s's constraints failed: %s", type(instance).__name__, exc)
        return []
    return [constraint for constraint, ok in zip(asked, row, strict=True) if not ok]
