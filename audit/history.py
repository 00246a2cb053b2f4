"""Reading the change history of every audited model, as one timeline.

A query (`HistoryQuery`) runs over every historical table at once (or one, with a model
filter): one SQL statement, a UNION ALL of one indexed, LIMITed branch per table, ordered
by (time, model, history id) descending, continued with a keyset cursor. Then, per model
on the page, one query fetches the rows with their previous version's id and one the
previous versions, to compute the field-by-field differences. Pages and exports stream
the same way, so memory stays bounded whatever the size of the history.

Scope: an auditor sees the rows whose model maps to a region path
(`registry.region_path_lookups`: a lookup to a Region's path, or a column holding a path,
followed from the historical row, i.e. where the object was at that version) inside one
of its auditor regions. Rows of models without a region lookup (users, for example) are
seen by administrators and by auditors of a root region (the whole city) only.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, F, OuterRef, Q, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from access.models import Role
from access.selectors import active_assignments, scope_q, sees_everything
from core import display, timeline
from core.errors import InvalidInput

from . import registry

ACTIONS = {"create": "+", "change": "~", "delete": "-"}
ACTION_NAMES = {v: k for k, v in ACTIONS.items()}
ACTION_NAMES["T"] = "transfer"


@dataclass
class HistoryQuery:
    model: type | None = None
    object_id: str | None = None
    user_id: int | None = None
    region: object | None = None  # a federations.Region
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actions: list[str] = field(default_factory=list)  # "+", "~", "-"

    def as_dict(self) -> dict:
        return {
            "model": model_key(self.model) if self.model else None,
            "object_id": self.object_id,
            "user": self.user_id,
            "region": getattr(self.region, "pk", None),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "action": [ACTION_NAMES[a] for a in self.actions],
        }


@dataclass(frozen=True)
class Key:
    """Position in the timeline: (time, model key, history id), newest first."""

    at: dt.datetime
    model: str
    history_id: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.model, self.history_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Key:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at, model, history_id = json.loads(raw)
            parsed = parse_datetime(at)
            if parsed is None:
                raise ValueError(at)
            return cls(parsed, str(model), int(history_id))
        except Exception as exc:  # noqa: BLE001
            raise InvalidInput(
                _("Invalid cursor."), fields={"cursor": [_("Invalid cursor.")]}
            ) from exc


_TABLES: dict = {}
TABLES_TTL = 300.0


def existing_tables() -> set[str]:
    """Table names, cached for a few minutes (a model whose migration is not written yet
    has no table: its branch is left out rather than failing the query)."""
    import time

    alias = connection.alias
    found = _TABLES.get(alias)
    if found is None or time.monotonic() - found[0] > TABLES_TTL:
        found = (time.monotonic(), set(connection.introspection.table_names()))
        _TABLES[alias] = found
    return found[1]


def forget_tables() -> None:
    _TABLES.clear()


def model_key(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _is_auditor_of_root(user) -> bool:
    return any(
        a.role == Role.AUDITOR and a.region_id and a.region.parent_id is None
        for a in active_assignments(user)
    )


def _obj_field(hist):
    return hist._meta.get_field(hist.instance_type._meta.pk.name)


def _branch(hist, query: HistoryQuery, user, after: Key | None):
    """One historical table's part of the timeline, or None when the user sees none of it."""
    model = hist.instance_type
    key = registry.model_key(model)
    qs = hist._default_manager.all()
    lookups = registry.region_path_lookups(model)
    if not sees_everything(user):
        if lookups:
            q = None
            for lookup in lookups:
                part = scope_q(user, region_path=lookup, roles=(Role.AUDITOR,))
                if part is not None:
                    q = part if q is None else q | part
            if q is None:
                return None
            qs = qs.filter(q)
        elif not _is_auditor_of_root(user):
            return None
    if query.region is not None:
        if not lookups:
            return None
        q = Q()
        for lookup in lookups:
            q |= Q(**{f"{lookup}__startswith": query.region.path})
        qs = qs.filter(q)
    obj_field = _obj_field(hist)
    if query.object_id is not None:
        try:
            value = obj_field.to_python(query.object_id)
        except Exception as exc:  # noqa: BLE001
            raise InvalidInput(
                _("Invalid object id."), fields={"object_id": [_("Invalid object id.")]}
            ) from exc
        qs = qs.filter(**{obj_field.attname: value})
    if query.user_id is not None:
        qs = qs.filter(history_user_id=query.user_id)
    if query.since is not None:
        qs = qs.filter(history_date__gte=query.since)
    if query.until is not None:
        qs = qs.filter(history_date__lt=query.until)
    if query.actions:
        qs = qs.filter(history_type__in=query.actions)
    pk = hist._meta.pk.attname
    if after is not None:
        # Rows after the cursor in (time, model, id) descending order; the plain
        # history_date__lte bound lets the index start at the cursor.
        qs = qs.filter(history_date__lte=after.at)
        if key < after.model:
            pass
        elif key == after.model:
            qs = qs.filter(Q(history_date__lt=after.at) | Q(**{f"{pk}__lt": after.history_id}))
        else:
            qs = qs.filter(history_date__lt=after.at)
    actor = F("history_actor") if registry._has_field(hist, "history_actor") else Value("")
    qs = (
        qs.annotate(
            _c0=Value(key, output_field=CharField()),
            _c1=F(pk),
            _c2=F("history_date"),
            _c3=F("history_type"),
            _c4=F("history_user_id"),
            _c5=Cast(actor, output_field=TextField()),
            _c6=Cast(F("history_change_reason"), output_field=TextField()),
            _c7=Cast(F(obj_field.attname), output_field=TextField()),
        )
        .values_list("_c0", "_c1", "_c2", "_c3", "_c4", "_c5", "_c6", "_c7")
        .order_by("-history_date", f"-{pk}")
    )
    return qs


@dataclass
class Row:
    model_key: str
    history_id: int
    at: dt.datetime
    history_type: str
    user_id: int | None
    actor: str
    reason: str
    object_id: str

    @property
    def key(self) -> Key:
        return Key(self.at, self.model_key, self.history_id)


def timeline_page(
    query: HistoryQuery, user, *, after: Key | None = None, limit: int = 100
) -> list[Row]:
    """Up to `limit` rows after `after`, newest first, in the user's scope."""
    hists = registry.timeline_models()
    if query.model is not None:
        hists = [h for h in hists if h.instance_type is query.model]
    tables = existing_tables()
    parts, params = [], []
    builders = [
        (hist, _branch, model_key(hist.instance_type))
        for hist in hists
        if hist._meta.db_table in tables
    ]
    for source in extra_sources():
        if query.model is None or query.model is source.model:
            builders.append((source.model, _source_builder(source), source.key))
    for target, builder, key in builders:
        compiled = _compiled_branch(target, builder, key, query, user, after, limit)
        if compiled is None:
            continue
        sql, branch_params = compiled
        parts.append(f"SELECT * FROM ({sql}) AS b{len(parts)}")
        params.extend(branch_params)
    if not parts:
        return []
    sql = (
        "SELECT * FROM (" + " UNION ALL ".join(parts) + ") AS timeline "
        "ORDER BY 3 DESC, 1 DESC, 2 DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [Row(*r) for r in cursor.fetchall()]


def _source_builder(source):
    def build(_model, query, user, after):
        return source.branch(query, user, after)

    build.source = source
    return build


# Compiling ~30 ORM branches costs more than running them. A branch's SQL depends only on
# the query's shape (which filters, the cursor's position relative to the branch, the
# limit) and on the user's scopes; the values are parameters. So each shape is compiled
# once with sentinel values, and later queries substitute their own values for them.

_S_OBJ_INT = -7_000_000_001
_S_USER = -7_000_000_002
_S_AFTER_PK = -7_000_000_003
_S_STR = "\x01audit-sentinel-%s\x01"
_S_SINCE = dt.datetime(1001, 1, 1, 0, 0, 1, 1, tzinfo=dt.UTC)
_S_UNTIL = dt.datetime(1001, 1, 1, 0, 0, 2, 2, tzinfo=dt.UTC)
_S_AFTER_AT = dt.datetime(1001, 1, 1, 0, 0, 3, 3, tzinfo=dt.UTC)
_S_UUID = uuid.UUID("00000000-0000-4000-8000-00000000a0d1")
_COMPILED: dict = {}
_COMPILED_MAX = 2000


def _scope_key(user) -> tuple:
    return (
        sees_everything(user),
        tuple(
            sorted(
                (a.role, a.region_id, a.federation_id, a.organization_id, a.scope_path or "")
                for a in active_assignments(user)
            )
        ),
        _is_auditor_of_root(user),
    )


def _obj_sentinel(target):
    from django.db import models as m

    field = (
        target._meta.get_field(target.instance_type._meta.pk.name)
        if hasattr(target, "instance_type") and registry._has_field(target, "history_date")
        else target._meta.pk
    )
    if isinstance(field, m.UUIDField):
        return _S_UUID
    if isinstance(field, (m.IntegerField, m.AutoField)):
        return _S_OBJ_INT
    return _S_STR % "obj"


def _compiled_branch(target, builder, key, query, user, after, limit):
    """(sql, params) of one branch, from the shape cache when possible."""
    position = None
    if after is not None:
        position = "lt" if key < after.model else "eq" if key == after.model else "gt"
    shape = (
        target,
        builder.__name__,
        _scope_key(user),
        query.model is not None,
        query.object_id is not None,
        query.user_id is not None,
        query.region is not None,
        query.since is not None,
        query.until is not None,
        len(query.actions),
        position,
        limit,
        connection.alias,
    )
    cached = _COMPILED.get(shape)
    if cached is None:
        from types import SimpleNamespace

        obj_sentinel = _obj_sentinel(target)
        sentinel_query = HistoryQuery(
            model=query.model,
            object_id=str(obj_sentinel) if query.object_id is not None else None,
            user_id=_S_USER if query.user_id is not None else None,
            region=SimpleNamespace(pk=None, path=_S_STR % "region")
            if query.region is not None
            else None,
            since=_S_SINCE if query.since is not None else None,
            until=_S_UNTIL if query.until is not None else None,
            actions=[_S_STR % f"a{i}" for i in range(len(query.actions))],
        )
        sentinel_after = None
        if after is not None:
            sentinel_after = Key(
                _S_AFTER_AT,
                # the same side of this branch's key as the real cursor
                after.model,
                _S_AFTER_PK,
            )
        try:
            qs = builder(target, sentinel_query, user, sentinel_after)
        except InvalidInput:
            qs = False  # the sentinel does not fit this model's key: no cache
        if qs is None:
            cached = ("none",)
        elif qs is False:
            cached = ("direct",)
        else:
            sql, params = qs[:limit].query.sql_with_params()
            cached = ("sql", sql, list(params), obj_sentinel)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[shape] = cached
    if cached[0] == "none":
        return None
    if cached[0] == "direct":
        qs = builder(target, query, user, after)
        return None if qs is None else qs[:limit].query.sql_with_params()
    _kind, sql, params, obj_sentinel = cached
    values = _substitutions(target, query, after, obj_sentinel)
    if values is None:
        qs = builder(target, query, user, after)
        return None if qs is None else qs[:limit].query.sql_with_params()
    out = []
    for param in params:
        if isinstance(param, str) and "\x01audit-sentinel-" in param:
            for sentinel, value in values["strings"].items():
                param = param.replace(sentinel, value)
            out.append(param)
        else:
            key = _hashable(param)
            if key in values["exact"]:
                value = values["exact"][key]
                if isinstance(param, int) and not isinstance(param, bool):
                    value = type(param)(value)
                param = value
            out.append(param)
    return sql, out


def _hashable(value):
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))  # psycopg wraps ints (Int8...)
    if isinstance(value, dt.datetime):
        return ("datetime", value)
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value).__name__, value)


def _substitutions(target, query, after, obj_sentinel) -> dict | None:
    exact, strings = {}, {}
    if query.object_id is not None:
        field = (
            _obj_field(target) if registry._has_field(target, "history_date") else target._meta.pk
        )
        try:
            value = field.to_python(query.object_id)
        except Exception as exc:  # noqa: BLE001
            raise InvalidInput(
                _("Invalid object id."), fields={"object_id": [_("Invalid object id.")]}
            ) from exc
        if isinstance(obj_sentinel, str):
            strings[obj_sentinel] = str(value)
        else:
            exact[_hashable(obj_sentinel)] = value
    if query.user_id is not None:
        exact[_hashable(_S_USER)] = query.user_id
    # Dates are looked up in the form the compiled query carries them: the backend's own
    # (on SQLite a UTC string, on PostgreSQL the datetime itself).
    adapt = connection.ops.adapt_datetimefield_value
    if query.since is not None:
        exact[_hashable(adapt(_S_SINCE))] = adapt(query.since)
    if query.until is not None:
        exact[_hashable(adapt(_S_UNTIL))] = adapt(query.until)
    if after is not None:
        exact[_hashable(adapt(_S_AFTER_AT))] = adapt(after.at)
        exact[_hashable(_S_AFTER_PK)] = after.history_id
    for i, action in enumerate(query.actions):
        strings[_S_STR % f"a{i}"] = action
    if query.region is not None:
        strings[_S_STR % "region"] = connection.ops.prep_for_like_query(query.region.path)
    return {"exact": exact, "strings": strings}


def iterate(query: HistoryQuery, user, *, chunk: int = 5000):
    """Every row of the query, newest first, in chunks (bounded memory)."""
    after = None
    while True:
        rows = timeline_page(query, user, after=after, limit=chunk)
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        after = rows[-1].key


# ---------------------------------------------------------------- differences


def plain(value):
    """A JSON-friendly value for a field's content."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, dict)):
        return value
    if hasattr(value, "name") and hasattr(value, "url"):  # FieldFile
        return value.name or None
    return str(value)


def tracked_fields(hist) -> list:
    fields = getattr(hist, "tracked_fields", None)
    if fields is None:
        names = {f.name for f in hist.instance_type._meta.concrete_fields}
        fields = [f for f in hist._meta.concrete_fields if f.name in names]
    return list(fields)


_FIELDS_CACHE: dict = {}


def _fields(hist, language: str | None = None) -> list[tuple[str, str, str]]:
    """(attname, name, translated label) of the tracked fields, cached per language."""
    key = (hist, language or translation.get_language())
    found = _FIELDS_CACHE.get(key)
    if found is None:
        found = [(f.attname, f.name, str(f.verbose_name)) for f in tracked_fields(hist)]
        _FIELDS_CACHE[key] = found
    return found


def _get(record, attname):
    if record is None:
        return None
    if isinstance(record, dict):
        return record.get(attname)
    return getattr(record, attname, None)


def diff(hist, new, old, *, language: str | None = None) -> list[dict]:
    """Field-by-field difference from `old` (None: nothing before) to `new`; each a
    historical row or a dict of its column values by attname."""
    changes = []
    for attname, name, label in _fields(hist, language):
        before = _get(old, attname)
        after = _get(new, attname)
        if old is not None and new is not None and before == after:
            continue
        if old is None and after in (None, ""):
            continue
        if new is None and before in (None, ""):
            continue
        changes.append({"field": name, "label": label, "old": plain(before), "new": plain(after)})
    return display.label_model_changes(hist.instance_type, changes)


def diff_values(fields, new: dict, old: dict | None) -> list[dict]:
    """diff() for rows read as dicts (the fast path of pages and exports)."""
    changes = []
    if old is None:
        for attname, name, label in fields:
            after = new[attname]
            if after is not None and after != "":
                changes.append({"field": name, "label": label, "old": None, "new": plain(after)})
        return changes
    for attname, name, label in fields:
        before, after = old[attname], new[attname]
        if before != after:
            changes.append(
                {"field": name, "label": label, "old": plain(before), "new": plain(after)}
            )
    return changes


def _ids_in(pk: str, ids: list[int]) -> dict:
    """pk IN (ids) as one array parameter (= ANY), not thousands of placeholders."""
    if connection.vendor != "postgresql":
        return {f"{pk}__in": list(ids)}
    return {f"{pk}__in": RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))}


def _user_info(user) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name() or user.username,
    }


def _user_from_values(record: dict) -> dict | None:
    if record.get("history_user_id") is None:
        return None
    full = f"{record['_u_first'] or ''} {record['_u_last'] or ''}".strip()
    return {
        "id": record["history_user_id"],
        "username": record["_u_name"],
        "name": full or record["_u_name"],
    }


def entries(rows: list[Row]) -> list[dict]:
    """The page's rows with who, when, why and the difference from the version before.

    Per model on the page: one query for the rows (with their previous version's id and
    their user), one for the previous versions; values, not model instances."""
    hist_by_key = {registry.model_key(h.instance_type): h for h in registry.timeline_models()}
    sources = {s.key: s for s in extra_sources()}
    language = translation.get_language()
    grouped: dict[str, list[int]] = {}
    for row in rows:
        grouped.setdefault(row.model_key, []).append(row.history_id)
    ready: dict[tuple[str, int], dict] = {}
    for key, ids in grouped.items():
        if key in sources:
            for pk, data in sources[key].entries(ids).items():
                ready[(key, pk)] = data
            continue
        hist = hist_by_key[key]
        obj_attname = _obj_field(hist).attname
        pk = hist._meta.pk.attname
        manager = hist._default_manager
        previous = (
            manager.filter(**{obj_attname: OuterRef(obj_attname), f"{pk}__lt": OuterRef(pk)})
            .order_by(f"-{pk}")
            .values(pk)[:1]
        )
        attnames = [a for a, _n, _l in _fields(hist)]
        meta = [pk, "history_date", "history_type", "history_change_reason", "history_user_id"]
        if registry._has_field(hist, "history_actor"):
            meta.append("history_actor")
        columns = list(dict.fromkeys([*attnames, obj_attname, *meta]))
        records = list(
            manager.filter(**_ids_in(pk, ids))
            .annotate(
                _previous=Subquery(previous),
                _u_name=F("history_user__username"),
                _u_first=F("history_user__first_name"),
                _u_last=F("history_user__last_name"),
            )
            .values(*columns, "_previous", "_u_name", "_u_first", "_u_last")
        )
        # A version list holds most of its own previous versions: fetch only the others.
        prevs = {r[pk]: r for r in records}
        prev_ids = [r["_previous"] for r in records if r["_previous"] is not None]
        missing = [i for i in prev_ids if i not in prevs]
        if missing:
            prevs.update(
                {
                    r[pk]: r
                    for r in manager.filter(**_ids_in(pk, missing)).values(
                        *dict.fromkeys([*attnames, pk])
                    )
                }
            )
        for record in records:
            prev = prevs.get(record["_previous"])
            ready[(key, record[pk])] = entry(hist, record, prev, language)
    out = [ready[(row.model_key, row.history_id)] for row in rows]
    return display.label_changes(out, model_by_key)


def entry(hist, record: dict, prev: dict | None, language: str | None = None) -> dict:
    model = hist.instance_type
    kind = record["history_type"]
    pk = hist._meta.pk.attname
    return {
        "kind": "history",
        "model": model_key(model),
        "model_name": _model_name(model, language),
        "object_id": str(record[_obj_field(hist).attname]),
        "object_repr": _repr(record, hist),
        "history_id": record[pk],
        "previous_history_id": prev[pk] if prev is not None else None,
        "action": ACTION_NAMES.get(kind, kind),
        "at": record["history_date"],
        "user": _user_from_values(record),
        "actor": record.get("history_actor") or "",
        "reason": record["history_change_reason"] or "",
        "changes": [] if kind == "-" else diff_values(_fields(hist, language), record, prev),
    }


_NAMES_CACHE: dict = {}


def _model_name(model, language: str | None = None) -> str:
    key = (model, language or translation.get_language())
    if key not in _NAMES_CACHE:
        _NAMES_CACHE[key] = str(model._meta.verbose_name)
    return _NAMES_CACHE[key]


def _repr(record: dict, hist) -> str:
    for name in ("name", "title", "username", "code"):
        value = record.get(name)
        if isinstance(value, str) and value:
            return value[:200]
    return f"#{record.get(_obj_field(hist).attname)}"


def versions_between(hist, object_id, from_id: int, to_id: int, user) -> tuple:
    """Two versions of one object, both visible to `user` (else None)."""
    query = HistoryQuery(model=hist.instance_type, object_id=object_id)
    qs = _branch(hist, query, user, None)
    if qs is None:
        return None, None
    visible = {r[1] for r in qs.filter(**{f"{hist._meta.pk.attname}__in": [from_id, to_id]})}
    if {from_id, to_id} - visible:
        return None, None
    found = hist._default_manager.select_related("history_user").in_bulk([from_id, to_id])
    return found.get(from_id), found.get(to_id)


# ---------------------------------------------------------------- other timelines


class RecordSource:
    """An insert-only record registered through core.timeline (the ledger's transfers):
    its rows are their own history. Scope: the owner's own `visible_to`; a region filter
    uses the owner's `region_q`."""

    def __init__(self, spec: timeline.RecordTimeline):
        self.spec = spec
        self.key = spec.key
        self.model = spec.model

    def branch(self, query: HistoryQuery, user, after: Key | None):
        if query.actions:
            return None  # create/change/delete filter the history of objects only
        spec = self.spec
        at, user_id = spec.at, f"{spec.user}_id"
        qs = spec.visible_to(user)
        if query.region is not None:
            qs = qs.filter(spec.region_q(query.region.path))
        if query.object_id is not None:
            try:
                qs = qs.filter(pk=int(query.object_id))
            except ValueError as exc:
                raise InvalidInput(
                    _("Invalid object id."), fields={"object_id": [_("Invalid object id.")]}
                ) from exc
        if query.user_id is not None:
            qs = qs.filter(**{user_id: query.user_id})
        if query.since is not None:
            qs = qs.filter(**{f"{at}__gte": query.since})
        if query.until is not None:
            qs = qs.filter(**{f"{at}__lt": query.until})
        if after is not None:
            qs = qs.filter(**{f"{at}__lte": after.at})
            if self.key == after.model:
                qs = qs.filter(Q(**{f"{at}__lt": after.at}) | Q(pk__lt=after.history_id))
            elif self.key > after.model:
                qs = qs.filter(**{f"{at}__lt": after.at})
        return (
            qs.annotate(
                _c0=Value(self.key, output_field=CharField()),
                _c1=F("pk"),
                _c2=F(at),
                _c3=Value("T", output_field=CharField()),
                _c4=F(user_id),
                _c5=Value("", output_field=TextField()),
                _c6=Cast(F(spec.reason), output_field=TextField()),
                _c7=Cast(F("pk"), output_field=TextField()),
            )
            .values_list("_c0", "_c1", "_c2", "_c3", "_c4", "_c5", "_c6", "_c7")
            .order_by(f"-{at}", "-pk")
        )

    def entries(self, ids) -> dict[int, dict]:
        spec = self.spec
        records = self.model._base_manager.filter(pk__in=ids).select_related(
            spec.user, *spec.related
        )
        out = {}
        for record in records:
            changes = []
            for name in spec.fields:
                field = self.model._meta.get_field(name)
                value = getattr(record, name)
                if field.is_relation and value is not None:
                    value = str(value)
                if value in (None, ""):
                    continue
                changes.append(
                    {
                        "field": name,
                        "label": str(field.verbose_name),
                        "old": None,
                        "new": plain(value),
                    }
                )
            out[record.pk] = {
                "kind": spec.action,
                "model": self.key,
                "model_name": str(self.model._meta.verbose_name),
                "object_id": str(record.pk),
                "object_repr": str(record),
                "history_id": record.pk,
                "previous_history_id": None,
                "action": spec.action,
                "at": getattr(record, spec.at),
                "user": _user_info(getattr(record, spec.user)),
                "actor": "",
                "reason": getattr(record, spec.reason) or "",
                "changes": changes,
            }
        return out


def model_by_key(key: str):
    """An audited model, or the model of another timeline source (ledger.transfer)."""
    model = registry.audited_model_by_key(key)
    if model is None:
        extra = {s.key: s.model for s in extra_sources()}
        model = extra.get((key or "").strip().lower())
    return model


def extra_sources() -> list[RecordSource]:
    """Timelines other apps registered (core.timeline): the ledger's transfers."""
    return [RecordSource(spec) for spec in timeline.record_timelines()]
