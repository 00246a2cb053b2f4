"""Completeness backstop: row changes captured by the database with no history row.

Every audited table has the `audit_capture` trigger (audit/db.py), which records each
INSERT, UPDATE and DELETE in audit_changecapture, whoever made it. A change made through
Django has a simple-history row for the same object and kind of change that was written
in the same transaction (same xid), or, for saves outside a transaction, one with the
same column values within a few minutes. A capture with neither is a change that went
around the history (raw SQL, a QuerySet.update on an unaudited manager...): reported.
"""

from __future__ import annotations

from django.db import connection

from . import registry

OPERATION_TO_HISTORY_TYPE = {"I": "+", "U": "~", "D": "-"}
CONTENT_WINDOW = "5 minutes"
MAX_REPORTED = 200


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _array(values) -> str:
    if not values:
        return "ARRAY[]::text[]"
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def unmatched_changes(*, since_id: int = 0, limit: int = MAX_REPORTED) -> dict:
    """{"count": n, "changes": [...]} of captured changes without a history row."""
    if connection.vendor != "postgresql":
        return {"count": 0, "changes": [], "checked": 0}
    tables = set(connection.introspection.table_names())
    changes: list[dict] = []
    count = 0
    checked = 0
    with connection.cursor() as cursor:
        for hist in registry.timeline_models():
            model = hist.instance_type
            base, table = model._meta.db_table, hist._meta.db_table
            if base not in tables or table not in tables:
                continue
            obj_field = hist._meta.get_field(model._meta.pk.name)
            base_cols = {f.column for f in model._meta.concrete_fields}
            hist_cols = {f.column for f in hist._meta.concrete_fields}
            ignored = set(registry.backstop_ignored_columns(model))
            shared = (base_cols & hist_cols) - ignored
            cast = obj_field.db_type(connection)
            sql = f"""
                SELECT c.id, c.operation, c.row_pk, c.captured_at, c.db_user, c.txid
                FROM audit_changecapture c
                WHERE c.table_name = %s AND c.id > %s
                  AND NOT EXISTS (
                    SELECT 1 FROM {_q(table)} h
                    WHERE h.{_q(obj_field.column)} = (c.row_pk)::{cast}
                      AND h.history_type = (CASE c.operation WHEN 'I' THEN '+'
                                            WHEN 'U' THEN '~' ELSE '-' END)
                      AND ((h.xmin::text)::bigint = (c.txid %% 4294967296)
                           OR (h.history_date BETWEEN c.captured_at - interval '{CONTENT_WINDOW}'
                                                 AND c.captured_at + interval '{CONTENT_WINDOW}'
                               AND (c.row_data - {_array(sorted(base_cols - shared))})
                                   = (to_jsonb(h) - {_array(sorted(hist_cols - shared))})))
                  )
                ORDER BY c.id
            """
            cursor.execute(sql, [base, since_id])
            for capture_id, op, row_pk, at, db_user, txid in cursor.fetchall():
                count += 1
                if len(changes) < limit:
                    changes.append(
                        {
                            "capture_id": capture_id,
                            "model": model._meta.label,
                            "table": base,
                            "operation": op,
                            "object_id": row_pk,
                            "captured_at": at.isoformat(),
                            "db_user": db_user,
                            "txid": txid,
                        }
                    )
            cursor.execute(
                "SELECT count(*) FROM audit_changecapture WHERE table_name = %s AND id > %s",
                [base, since_id],
            )
            checked += cursor.fetchone()[0]
    changes.sort(key=lambda c: c["capture_id"])
    return {"count": count, "changes": changes, "checked": checked}
