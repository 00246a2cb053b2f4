"""The step kinds the engine knows, and what each one does when its request is decided.

The engine imports no domain app. The app that owns a step registers it from its
`AppConfig.ready()`; the handlers run inside the database transaction that records the
final decision, so an effect (reserve money, release it) and the decision commit together
or not at all. A handler that raises rolls the decision back.

    register_step(
        "allocation",
        label=_("Allocation"),
        on_approved=allocation_approved,        # (request, *, actor, reason) -> None
        on_rejected=allocation_rejected,        # rejected; also returned/withdrawn by default
        on_returned=None,                       # returned for changes (default: on_rejected)
        on_withdrawn=None,                      # withdrawn by its submitter (default: on_rejected)
        describe=allocation_summaries,          # (owner_ids: list[int]) -> {owner_id: str}
        federation_of=None,                     # (owner_id: int) -> federation id or None
    )

`describe` is asked once per kind for a whole page of the inbox (one query, however many
rows), and answers a one-line summary of each object.

`federation_of` names the federation whose staff approve the object when a policy tier
asks for the federation-staff level (an expense claim: its custodial account's federation).
Without it, the request's own federation scope is used; with neither, a policy needing
federation staff refuses the step (`no_approver_level`).

This module imports nothing of the project at import time, so an app's `apps.py` may
import it at its top.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

Handler = Callable[..., None]
Describe = Callable[[list[int]], dict[int, str]]
FederationOf = Callable[[int], int | None]


@dataclass(frozen=True)
class Step:
    kind: str
    label: str
    on_approved: Handler
    on_rejected: Handler
    on_returned: Handler | None = None
    on_withdrawn: Handler | None = None
    describe: Describe | None = None
    federation_of: FederationOf | None = None

    def handler_for(self, state: str) -> Handler | None:
        """The handler for a final state (returned and withdrawn fall back to on_rejected:
        whatever approval would have committed is released)."""
        if state == "approved":
            return self.on_approved
        if state == "rejected":
            return self.on_rejected
        if state == "returned":
            return self.on_returned or self.on_rejected
        if state == "withdrawn":
            return self.on_withdrawn or self.on_rejected
        return None

    def summaries(self, owner_ids: list[int]) -> dict[int, str]:
        if self.describe is None or not owner_ids:
            return {}
        return dict(self.describe(list(owner_ids)) or {})


_STEPS: dict[str, Step] = {}


def register_step(
    kind: str,
    *,
    label,
    on_approved: Handler,
    on_rejected: Handler,
    on_returned: Handler | None = None,
    on_withdrawn: Handler | None = None,
    describe: Describe | None = None,
    federation_of: FederationOf | None = None,
) -> Step:
    """Register a step kind (from the owning app's AppConfig.ready()).

    Registering the same kind again with the same handlers is a no-op (ready() may run
    twice in tests); with different handlers it is a configuration error.
    """
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind):
        raise ImproperlyConfigured(
            f"approval step kind {kind!r}: lower-case letters, digits and _, at most 64"
        )
    for name, fn in (("on_approved", on_approved), ("on_rejected", on_rejected)):
        if not callable(fn):
            raise ImproperlyConfigured(f"approval step {kind!r}: {name} must be callable")
    for name, fn in (
        ("on_returned", on_returned),
        ("on_withdrawn", on_withdrawn),
        ("describe", describe),
        ("federation_of", federation_of),
    ):
        if fn is not None and not callable(fn):
            raise ImproperlyConfigured(f"approval step {kind!r}: {name} must be callable or None")
    step = Step(
        kind, label, on_approved, on_rejected, on_returned, on_withdrawn, describe, federation_of
    )
    existing = _STEPS.get(kind)
    if existing is not None and existing != step:
        raise ImproperlyConfigured(f"approval step {kind!r} is already registered differently")
    _STEPS[kind] = step
    return step


def unregister_step(kind: str) -> None:
    """For tests that register a kind of their own."""
    _STEPS.pop(kind, None)


def get_step(kind: str) -> Step | None:
    return _STEPS.get(kind)


def steps() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda s: s.kind)


def kind_label(kind: str) -> str:
    step = _STEPS.get(kind)
    return str(step.label) if step else kind


def step_choices() -> list[tuple[str, str]]:
    """The registered step kinds as choices (a callable: filled from the apps' ready())."""
    return [(s.kind, s.label) for s in steps()]
