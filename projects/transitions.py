"""The project lifecycle, declared in one place: every allowed (from, to), who takes it and
which service does. The services, the admin, the API and the docs read this table; `move()`
refuses anything not in it and records who and why (a `ProjectTransition` row and the
project's history reason).

    draft → submitted → approved → contracted → in_progress → delivered → accepted → closed
    draft / submitted / approved → cancelled;  contracted / in_progress / delivered → terminated
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audited import set_reason
from core.errors import Conflict

from .models import ProjectState as S
from .models import ProjectTransition


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    who: str
    service: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.SUBMITTED, gettext_lazy("proposer"), "project_submit"),
    Transition(S.SUBMITTED, S.APPROVED, gettext_lazy("approval engine"), "project_approved"),
    Transition(S.SUBMITTED, S.DRAFT, gettext_lazy("approval engine"), "project_returned"),
    Transition(S.APPROVED, S.CONTRACTED, gettext_lazy("finance officer"), "contract_sign"),
    Transition(
        S.CONTRACTED, S.IN_PROGRESS, gettext_lazy("finance officer or undertaker"), "project_start"
    ),  # fmt: skip
    Transition(
        S.IN_PROGRESS,
        S.DELIVERED,
        gettext_lazy("undertaker or federation staff"),
        "project_deliver",
    ),  # fmt: skip
    Transition(S.DELIVERED, S.ACCEPTED, gettext_lazy("finance officer"), "project_accept"),
    Transition(S.ACCEPTED, S.CLOSED, gettext_lazy("finance officer"), "project_close"),
    Transition(
        S.DRAFT, S.CANCELLED, gettext_lazy("proposer or finance officer"), "project_cancel"
    ),  # fmt: skip
    Transition(S.SUBMITTED, S.CANCELLED, gettext_lazy("finance officer"), "project_cancel"),
    Transition(S.APPROVED, S.CANCELLED, gettext_lazy("finance officer"), "project_cancel"),
    Transition(S.CONTRACTED, S.TERMINATED, gettext_lazy("finance officer"), "project_terminate"),
    Transition(
        S.IN_PROGRESS, S.TERMINATED, gettext_lazy("finance officer"), "project_terminate"
    ),  # fmt: skip
    Transition(S.DELIVERED, S.TERMINATED, gettext_lazy("finance officer"), "project_terminate"),
)
ALLOWED = {(t.source, t.target) for t in TRANSITIONS}


def targets_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == state]


def move(project, target: str, *, actor, reason: str) -> ProjectTransition:
    """Change a locked project's state along a declared transition, recording who and why."""
    source = project.state
    if (source, target) not in ALLOWED:
        raise Conflict(
            _("A project cannot go from %(from)s to %(to)s.")
            % {"from": S(source).label, "to": S(target).label},
            code="transition_not_allowed",
            fields={"state": [S(source).label]},
        )
    project.state = target
    set_reason(project, reason or f"{source} → {target}").save()
    record = ProjectTransition(
        project=project, from_state=source, to_state=target, actor=actor, reason=reason[:2000]
    )
    set_reason(record, reason or f"{source} → {target}").save()
    return record
