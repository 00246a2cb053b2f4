"""`ledger_write(ops jsonb)`: the one way the application's role writes the ledger (PostgreSQL).

A SECURITY DEFINER function owned by the owner (the role that runs `migrate`), installed with
core's trigger families after every migrate (core/triggers.py) and granted to the
application's role, EXECUTE revoked from PUBLIC (core/roles.py). The tables it writes
(`ledger_transfer`, `ledger_accountbalance`, `ledger_sourcebalance`) declare
`audit_written_through = WRITER`, so the application's role gets SELECT only on them:
a transfer or a balance change written around the service is refused (permission denied),
not merely found later by its missing proof.

`ops` is a JSON array of operations, applied in order in the caller's transaction (several
postings, one round trip; a refusal raises and undoes the whole call). It answers an array
of ids, one per operation:

- `{"op": "create", "from", "to", "amount", "source", "kind", "memo", "two_phase",
  "reverses", "key", "hash", "by", "at", "proof"}`: a transfer, pending (`two_phase`) or
  posted; the id, or NULL when the idempotency key is taken (the caller replays the first
  result). The legs are worked out here from the transfer and the accounts' kinds, never
  taken from the caller: the balances always say what the transfers say;
- `{"op": "resolve", "id", "state" (posted | voided), "at", "by", "key", "proof"}`: post or
  void a pending transfer; the id, or NULL when it is no longer pending;
- `{"op": "open", "account"}`: an account's zero balance row (guarded unless external);
- `{"op": "close", "account"}`: an empty account's balance row closed.

Each account's balance and its share of the funding source change by one guarded statement
(`posted + Δposted >= pending + Δpending` on a guarded row, the account open unless the leg
only releases a reservation); a posted leg adds its amount to the share's flow column (the
kind of the account on the other side, models.flow_fields) and a commitment's share keeps
its lowest feeder (`fed_by`). The two legs of a posting run in account-id order; a call
with several operations first locks every balance row it changes in account-id order, so
concurrent calls never deadlock.

Refusals (SQLSTATE, message; ledger.services turns them into the domain errors):
LG002 `ledger_refused:<op>:<account>:<account|source|source_closed>` (an overdraft or a
closed account), LG001 `ledger_invalid:<op>:<field>` (what the service checks before),
LG003 `ledger_not_empty:<op>:<account>` (closing an account that is not empty).

The proofs (ledger/proof.py) are computed by the service and stored as given: the key is
not in the database. The caller's times are stored as given too (they are in the proof).
"""

from __future__ import annotations

from core import triggers

from .models import FLOWS, WRITER

_FLOW_COLUMNS = ", ".join(FLOWS)
_FLOW_VALUES = ", ".join(f"CASE WHEN l_flow = '{f}' THEN l_amt ELSE 0 END" for f in FLOWS)
_FLOW_UPSERT = ", ".join(f"{f} = b.{f} + excluded.{f}" for f in FLOWS)
_FLOW_UPDATE = ", ".join(
    f"{f} = {f} + CASE WHEN l_flow = '{f}' THEN l_amt ELSE 0 END" for f in FLOWS
)

FUNCTION = (
    r"""
CREATE OR REPLACE FUNCTION ledger_write(ops jsonb) RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    o jsonb;
    i int := 0;
    result bigint[] := '{}';
    ids bigint[];
    t_id bigint;
    v_from bigint; v_to bigint; v_src bigint; v_rev bigint;
    v_amount numeric; v_kind text; v_two boolean; v_state text; v_at timestamptz;
    from_kind text; to_kind text; src_kind text;
    v_active boolean;
    fed bigint;
    -- the two legs: account, deltas of posted, pending (out), receivable (in), flow column
    l_acc bigint[]; l_posted numeric[]; l_pending numeric[]; l_recv numeric[];
    l_flows text[]; l_feds bigint[];
    j int;
    l_flow text; l_amt numeric; l_guarded boolean;
BEGIN
    IF jsonb_typeof(ops) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'ledger_invalid:0:ops' USING ERRCODE = 'LG001';
    END IF;
    IF jsonb_array_length(ops) > 1 THEN
        -- several operations: lock every balance row they change, in account-id order
        SELECT array_agg(DISTINCT a) INTO ids FROM (
            SELECT (e ->> 'from')::bigint AS a FROM jsonb_array_elements(ops) e
             WHERE e ->> 'op' = 'create'
            UNION ALL
            SELECT (e ->> 'to')::bigint FROM jsonb_array_elements(ops) e
             WHERE e ->> 'op' = 'create'
            UNION ALL
            SELECT unnest(ARRAY[t.from_account_id, t.to_account_id]) FROM ledger_transfer t
             WHERE t.id IN (SELECT (e ->> 'id')::bigint FROM jsonb_array_elements(ops) e
                             WHERE e ->> 'op' = 'resolve')
            UNION ALL
            SELECT (e ->> 'account')::bigint FROM jsonb_array_elements(ops) e
             WHERE e ->> 'op' = 'close'
        ) x;
        PERFORM 1 FROM ledger_accountbalance WHERE account_id = ANY (ids)
          ORDER BY account_id FOR UPDATE;
    END IF;

    FOR o IN SELECT value FROM jsonb_array_elements(ops) LOOP
        i := i + 1;
        IF o ->> 'op' = 'create' THEN
            v_from := (o ->> 'from')::bigint;
            v_to := (o ->> 'to')::bigint;
            v_src := (o ->> 'source')::bigint;
            v_amount := (o ->> 'amount')::numeric;
            v_kind := o ->> 'kind';
            v_two := coalesce((o ->> 'two_phase')::boolean, false);
            v_rev := (o ->> 'reverses')::bigint;
            v_at := (o ->> 'at')::timestamptz;
            IF v_amount IS NULL OR v_amount <= 0 OR v_amount <> trunc(v_amount, 2) THEN
                RAISE EXCEPTION 'ledger_invalid:%:amount', i USING ERRCODE = 'LG001';
            END IF;
            IF v_from IS NOT DISTINCT FROM v_to THEN
                RAISE EXCEPTION 'ledger_invalid:%:to_account', i USING ERRCODE = 'LG001';
            END IF;
            SELECT max(a.kind) FILTER (WHERE a.id = v_from), max(a.kind) FILTER (WHERE a.id = v_to),
                   max(a.kind) FILTER (WHERE a.id = v_src)
              INTO from_kind, to_kind, src_kind
              FROM ledger_account a WHERE a.id IN (v_from, v_to, v_src);
            IF from_kind IS NULL THEN
                RAISE EXCEPTION 'ledger_invalid:%:from_account', i USING ERRCODE = 'LG001';
            ELSIF to_kind IS NULL THEN
                RAISE EXCEPTION 'ledger_invalid:%:to_account', i USING ERRCODE = 'LG001';
            ELSIF src_kind IS DISTINCT FROM 'funding_source' THEN
                RAISE EXCEPTION 'ledger_invalid:%:source_account', i USING ERRCODE = 'LG001';
            END IF;
            IF v_rev IS NOT NULL AND (v_two OR v_kind IS DISTINCT FROM 'reversal' OR NOT EXISTS (
                    SELECT 1 FROM ledger_transfer r WHERE r.id = v_rev AND r.state = 'posted'
                       AND r.reverses_id IS NULL AND r.from_account_id = v_to
                       AND r.to_account_id = v_from AND r.amount = v_amount
                       AND r.source_account_id = v_src)) THEN
                RAISE EXCEPTION 'ledger_invalid:%:reverses', i USING ERRCODE = 'LG001';
            END IF;
            INSERT INTO ledger_transfer (from_account_id, to_account_id, amount,
                source_account_id, kind, memo, state, two_phase, reverses_id, idempotency_key,
                request_hash, created_by_id, created_at, resolved_at, resolved_by_id,
                resolution_key, proof)
            VALUES (v_from, v_to, v_amount, v_src, v_kind, coalesce(o ->> 'memo', ''),
                CASE WHEN v_two THEN 'pending' ELSE 'posted' END, v_two, v_rev, o ->> 'key',
                o ->> 'hash', (o ->> 'by')::bigint, v_at,
                CASE WHEN v_two THEN NULL ELSE v_at END, NULL, NULL, o ->> 'proof')
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id INTO t_id;
            result := array_append(result, t_id);
            CONTINUE WHEN t_id IS NULL;  -- the key is taken: nothing moves
            fed := CASE WHEN to_kind = 'commitment'
                         AND from_kind IN ('funding_source', 'budget_line') THEN v_from END;
            v_active := true;
            IF v_two THEN
                l_posted := ARRAY[0, 0]; l_pending := ARRAY[v_amount, 0];
                l_recv := ARRAY[0, v_amount]; l_flows := ARRAY[NULL, NULL];
            ELSE
                l_posted := ARRAY[-v_amount, v_amount]; l_pending := ARRAY[0, 0];
                l_recv := ARRAY[0, 0];
                l_flows := CASE WHEN v_kind = 'carry_forward'
                                THEN ARRAY['out_carried', 'in_carried']
                                ELSE ARRAY['out_' || to_kind, 'in_' || from_kind] END;
            END IF;
            l_feds := ARRAY[NULL, fed];
        ELSIF o ->> 'op' = 'resolve' THEN
            v_state := o ->> 'state';
            IF v_state IS NULL OR v_state NOT IN ('posted', 'voided') THEN
                RAISE EXCEPTION 'ledger_invalid:%:state', i USING ERRCODE = 'LG001';
            END IF;
            UPDATE ledger_transfer SET state = v_state, resolved_at = (o ->> 'at')::timestamptz,
                   resolved_by_id = (o ->> 'by')::bigint, resolution_key = o ->> 'key',
                   resolution_proof = o ->> 'proof'
             WHERE id = (o ->> 'id')::bigint AND state = 'pending'
            RETURNING id, from_account_id, to_account_id, amount, source_account_id, kind
                 INTO t_id, v_from, v_to, v_amount, v_src, v_kind;
            IF NOT FOUND THEN  -- no longer pending: the caller explains or replays
                result := array_append(result, NULL::bigint);
                CONTINUE;
            END IF;
            result := array_append(result, t_id);
            l_feds := ARRAY[NULL, NULL];
            IF v_state = 'posted' THEN
                SELECT max(a.kind) FILTER (WHERE a.id = v_from),
                       max(a.kind) FILTER (WHERE a.id = v_to)
                  INTO from_kind, to_kind FROM ledger_account a WHERE a.id IN (v_from, v_to);
                v_active := true;
                l_posted := ARRAY[-v_amount, v_amount]; l_pending := ARRAY[-v_amount, 0];
                l_recv := ARRAY[0, -v_amount];
                l_flows := CASE WHEN v_kind = 'carry_forward'
                                THEN ARRAY['out_carried', 'in_carried']
                                ELSE ARRAY['out_' || to_kind, 'in_' || from_kind] END;
            ELSE  -- a void only releases: allowed whatever became of the accounts
                v_active := false;
                l_posted := ARRAY[0, 0]; l_pending := ARRAY[-v_amount, 0];
                l_recv := ARRAY[0, -v_amount]; l_flows := ARRAY[NULL, NULL];
            END IF;
        ELSIF o ->> 'op' = 'open' THEN
            INSERT INTO ledger_accountbalance (account_id, is_guarded, is_active, posted,
                pending, receivable)
            SELECT a.id, a.kind <> 'external', a.is_active, 0, 0, 0 FROM ledger_account a
             WHERE a.id = (o ->> 'account')::bigint
            ON CONFLICT (account_id) DO NOTHING
            RETURNING account_id INTO t_id;
            result := array_append(result, t_id);
            CONTINUE;
        ELSIF o ->> 'op' = 'close' THEN
            UPDATE ledger_accountbalance SET is_active = false
             WHERE account_id = (o ->> 'account')::bigint AND pending = 0 AND receivable = 0
               AND (NOT is_guarded OR posted = 0)
            RETURNING account_id INTO t_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'ledger_not_empty:%:%', i, o ->> 'account'
                    USING ERRCODE = 'LG003';
            END IF;
            result := array_append(result, t_id);
            CONTINUE;
        ELSE
            RAISE EXCEPTION 'ledger_invalid:%:op', i USING ERRCODE = 'LG001';
        END IF;

        -- the two legs, the lower account id first
        l_acc := ARRAY[v_from, v_to];
        FOREACH j IN ARRAY CASE WHEN v_from < v_to THEN ARRAY[1, 2] ELSE ARRAY[2, 1] END LOOP
            l_flow := l_flows[j];
            l_amt := v_amount;
            UPDATE ledger_accountbalance
               SET posted = posted + l_posted[j], pending = pending + l_pending[j],
                   receivable = receivable + l_recv[j]
             WHERE account_id = l_acc[j] AND (is_active OR NOT v_active)
               AND (NOT is_guarded OR posted + l_posted[j] >= pending + l_pending[j])
            RETURNING is_guarded INTO l_guarded;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'ledger_refused:%:%:account', i, l_acc[j] USING ERRCODE = 'LG002';
            END IF;
            IF NOT (l_guarded AND l_posted[j] - l_pending[j] < 0)
               AND l_pending[j] >= 0 AND l_recv[j] >= 0 THEN
                -- nothing taken from a guarded share: it may be created by this leg
                INSERT INTO ledger_sourcebalance AS b (account_id, source_account_id,
                    is_guarded, posted, pending, receivable, """
    + _FLOW_COLUMNS
    + r""", fed_by_id)
                VALUES (l_acc[j], v_src, l_guarded, l_posted[j], l_pending[j], l_recv[j], """
    + _FLOW_VALUES
    + r""", l_feds[j])
                ON CONFLICT (account_id, source_account_id) DO UPDATE SET
                    posted = b.posted + excluded.posted, pending = b.pending + excluded.pending,
                    receivable = b.receivable + excluded.receivable, """
    + _FLOW_UPSERT
    + r""",
                    fed_by_id = CASE WHEN excluded.fed_by_id IS NOT NULL
                                      AND (b.fed_by_id IS NULL OR excluded.fed_by_id < b.fed_by_id)
                                     THEN excluded.fed_by_id ELSE b.fed_by_id END;
            ELSE
                -- a guarded account spends only a share it holds, a reservation is released
                -- only where it was made: update, never insert
                UPDATE ledger_sourcebalance
                   SET posted = posted + l_posted[j], pending = pending + l_pending[j],
                       receivable = receivable + l_recv[j], """
    + _FLOW_UPDATE
    + r"""
                 WHERE account_id = l_acc[j] AND source_account_id = v_src
                   AND (NOT is_guarded OR posted + l_posted[j] >= pending + l_pending[j]);
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'ledger_refused:%:%:source', i, l_acc[j]
                        USING ERRCODE = 'LG002';
                END IF;
            END IF;
        END LOOP;
        IF v_active AND v_src <> v_from AND v_src <> v_to THEN
            -- the funding source named (neither account) must be open too
            PERFORM 1 FROM ledger_accountbalance WHERE account_id = v_src AND is_active;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'ledger_refused:%:%:source_closed', i, v_src
                    USING ERRCODE = 'LG002';
            END IF;
        END IF;
    END LOOP;
    RETURN result;
END
$fn$;
"""
)

# Inside a caller's transaction the service calls this one instead: the same write, but an
# error is answered (its SQLSTATE and message), not raised. The block's subtransaction undoes
# whatever the call had written and the caller's transaction stays usable (the service reads
# to explain a refusal), as a savepoint would leave it, without a savepoint's two more round
# trips; the service raises the error it answers. It runs with the caller's rights
# (ledger_write checks them), so it needs no grant of its own.
TRY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_try_write(ops jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
BEGIN
    RETURN jsonb_build_object('ids', to_jsonb(ledger_write(ops)));
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('error', SQLERRM, 'sqlstate', SQLSTATE);
END
$fn$;
"""

# Runs as the owner with a fixed search path (the catalogue first, then this schema, the
# session's temporary schema last: no object of the caller's can stand in for a table), and
# nobody but the roles it is granted to may call it (core/roles.py grants the application's).
HARDEN = f"""
DO $do$ BEGIN
    EXECUTE format('ALTER FUNCTION {WRITER} SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    -- the triggers it fires see the owner as current_user: a caller's audit.bypass (the
    -- superuser path of core_append_only) never holds inside it
    ALTER FUNCTION {WRITER} SET audit.bypass = 'off';
    REVOKE ALL ON FUNCTION {WRITER} FROM PUBLIC;
END $do$;
"""

FAMILY = triggers.Family("ledger_writer", (FUNCTION, HARDEN, TRY_FUNCTION), lambda existing: [])


def register() -> None:
    triggers.register_family(FAMILY)
