/// The SQL of the `zestor_kv` and `zestor_outbox` tables, compatible with the Go zestor postgres
/// store.
///
/// Every statement that carries data is parameterized (`$1` is always the namespace id); the
/// schema script is fixed text without any input.
enum ZestorPostgresSQL {
    // MARK: Schema

    /// Advisory lock keys (two-`int4` form, its own key space). Creating the schema takes
    /// ``schemaLockClass``/0 so that concurrent openers serialize; every write transaction takes
    /// ``namespaceLockClass``/`hash(ns)`, so that outbox ids of one namespace are allocated in
    /// commit order (a reader that drained up to id N never sees an id below N appear later).
    static let schemaLockClass: Int32 = 0x5A45_5354  // "ZEST"
    static let namespaceLockClass: Int32 = 0x5A45_5355

    /// `true` when everything ``createSchema`` makes exists already (skips the DDL and its locks).
    static let schemaExists = """
        SELECT to_regclass('zestor_kv') IS NOT NULL AND to_regclass('zestor_outbox') IS NOT NULL \
        AND to_regclass('zestor_outbox_cursors') IS NOT NULL \
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('zestor_outbox') \
        AND attname = 'origin' AND NOT attisdropped) \
        AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'zestor_outbox_notify' \
        AND tgrelid = to_regclass('zestor_outbox'))
        """

    /// Parameters: lock class, lock id. Held until the transaction ends.
    static let advisoryLock = "SELECT pg_advisory_xact_lock($1::int4, $2::int4)"

    /// Run inside a transaction after the schema lock. Adds the columns this package needs when an
    /// older zestor created `zestor_outbox` without them.
    static let createSchema = """
        CREATE TABLE IF NOT EXISTS zestor_kv (
            ns_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value BYTEA,
            version BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (ns_id, kind, key)
        );
        CREATE TABLE IF NOT EXISTS zestor_outbox (
            id BIGSERIAL PRIMARY KEY,
            ns_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            etype TEXT NOT NULL,
            value BYTEA,
            version BIGINT NOT NULL DEFAULT 0,
            origin TEXT NOT NULL DEFAULT '',
            at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        ALTER TABLE zestor_outbox ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE zestor_outbox ADD COLUMN IF NOT EXISTS origin TEXT NOT NULL DEFAULT '';
        CREATE TABLE IF NOT EXISTS zestor_outbox_cursors (
            ns_id BIGINT NOT NULL,
            origin TEXT NOT NULL,
            last_id BIGINT NOT NULL,
            seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (ns_id, origin)
        );
        CREATE INDEX IF NOT EXISTS zestor_outbox_ns_id_idx ON zestor_outbox (ns_id, id);
        CREATE INDEX IF NOT EXISTS zestor_outbox_ns_at_idx ON zestor_outbox (ns_id, at);
        CREATE OR REPLACE FUNCTION zestor_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            PERFORM pg_notify('zestor_events', NEW.ns_id::text || ':' || NEW.id::text);
            RETURN NEW;
        END
        $fn$;
        DO $do$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'zestor_outbox_notify'
                           AND tgrelid = 'zestor_outbox'::regclass) THEN
                CREATE TRIGGER zestor_outbox_notify AFTER INSERT ON zestor_outbox
                    FOR EACH ROW EXECUTE FUNCTION zestor_notify();
            END IF;
        END
        $do$;
        """

    /// The channel the trigger notifies; payload `"<ns_id>:<outbox id>"`.
    static let channel = "zestor_events"
    static let listen = "LISTEN zestor_events"

    // MARK: Session

    /// Parameters: setting name, value. Session-wide (`is_local` false).
    static let setConfig = "SELECT set_config($1, $2, false)"

    static let begin = "BEGIN"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"

    // MARK: Rows

    /// Parameters: ns. Columns: kind, key, value, version.
    static let selectAll = "SELECT kind, key, value, version FROM zestor_kv WHERE ns_id = $1"

    /// One multi-row statement for a run of mutations whose keys are distinct: deletes and
    /// upserts `zestor_kv` and appends an outbox row — in input order — for every mutation that
    /// changed a row (an applied upsert, a delete that removed one).
    ///
    /// Parameters: ns, origin, etypes (`text[]`), kinds, keys (`text[]`), values (`bytea[]`,
    /// empty for deletes), versions (`int8[]`, 0 for deletes).
    /// Columns of the result: one row per outbox row written (its id).
    static let applyRun = """
        WITH input AS (
            SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::bytea[], $7::int8[])
                WITH ORDINALITY AS m(etype, kind, key, value, version, n)
        ), deleted AS (
            DELETE FROM zestor_kv AS t USING input AS m
            WHERE m.etype = 'delete' AND t.ns_id = $1 AND t.kind = m.kind AND t.key = m.key
            RETURNING t.kind, t.key, t.version
        ), upserted AS (
            INSERT INTO zestor_kv AS t (ns_id, kind, key, value, version, updated_at)
            SELECT $1, m.kind, m.key, m.value, m.version, now() FROM input AS m WHERE m.etype = 'upsert'
            ON CONFLICT (ns_id, kind, key) DO UPDATE
                SET value = EXCLUDED.value, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
                WHERE t.version < EXCLUDED.version
            RETURNING t.kind, t.key, t.version
        )
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin)
        SELECT $1, m.kind, m.key, m.etype, CASE WHEN m.etype = 'upsert' THEN m.value END,
               COALESCE(u.version, d.version), $2
        FROM input AS m
        LEFT JOIN upserted AS u ON m.etype = 'upsert' AND u.kind = m.kind AND u.key = m.key
        LEFT JOIN deleted AS d ON m.etype = 'delete' AND d.kind = m.kind AND d.key = m.key
        WHERE u.kind IS NOT NULL OR d.kind IS NOT NULL
        ORDER BY m.n
        RETURNING kind, key, etype
        """

    // Per-row statements: the reference for `applyRun` (tests compare both strategies).

    /// Parameters: ns, kind, key, value, version. Returns the row when it was written.
    static let upsertRow = """
        INSERT INTO zestor_kv AS t (ns_id, kind, key, value, version, updated_at) VALUES ($1, $2, $3, $4, $5, now()) \
        ON CONFLICT (ns_id, kind, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, \
        updated_at = EXCLUDED.updated_at WHERE t.version < EXCLUDED.version RETURNING t.version
        """

    /// Parameters: ns, kind, key. Returns the deleted row's version.
    static let deleteRow = "DELETE FROM zestor_kv WHERE ns_id = $1 AND kind = $2 AND key = $3 RETURNING version"

    /// Parameters: ns, kind, key, etype, value (NULL for deletes is sent as omitted), version, origin.
    static let appendOutbox = """
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """
    static let appendOutboxDelete = """
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin) \
        VALUES ($1, $2, $3, $4, NULL, $5, $6)
        """

    // MARK: Outbox

    /// Parameters: ns, after id, limit. Columns: id, kind, key, etype, value, version, origin.
    static let selectOutbox = """
        SELECT id, kind, key, etype, value, version, origin FROM zestor_outbox \
        WHERE ns_id = $1 AND id > $2 ORDER BY id LIMIT $3
        """

    /// Parameters: ns. Column: the largest outbox id of the namespace, 0 when it has none.
    static let outboxHighWaterMark = "SELECT COALESCE(MAX(id), 0)::int8 FROM zestor_outbox WHERE ns_id = $1"

    /// Parameters: ns, retention in seconds, cursor liveness in seconds (`int8`). Removes the
    /// namespace's outbox rows older than the retention that every live reader has drained
    /// (readers whose cursor was not refreshed within the liveness count as gone).
    static let pruneOutbox = """
        DELETE FROM zestor_outbox WHERE ns_id = $1 AND at < now() - make_interval(secs => $2::int8::float8) \
        AND id <= COALESCE((SELECT MIN(last_id) FROM zestor_outbox_cursors WHERE ns_id = $1 \
        AND seen_at > now() - make_interval(secs => $3::int8::float8)), 9223372036854775807)
        """

    /// Parameters: ns, cursor liveness in seconds. Forgets readers that stopped refreshing.
    static let pruneCursors = """
        DELETE FROM zestor_outbox_cursors WHERE ns_id = $1 AND seen_at < now() - make_interval(secs => $2::int8::float8)
        """

    /// Parameters: ns, origin, last drained id. Records (and refreshes) a reader's position.
    static let recordCursor = """
        INSERT INTO zestor_outbox_cursors (ns_id, origin, last_id, seen_at) VALUES ($1, $2, $3, now()) \
        ON CONFLICT (ns_id, origin) DO UPDATE SET last_id = EXCLUDED.last_id, seen_at = now()
        """

    /// Parameters: ns, origin. Removes a reader that stops.
    static let dropCursor = "DELETE FROM zestor_outbox_cursors WHERE ns_id = $1 AND origin = $2"
}
