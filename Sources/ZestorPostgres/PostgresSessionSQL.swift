/// The SQL of the `zestor_kv` and `zestor_outbox` tables, compatible with the Go zestor postgres
/// store.
///
/// Every statement that carries data is parameterized (`$1` is always the namespace id); the
/// schema script is fixed text without any input.
enum PostgresSessionSQL {
    // MARK: Schema

    /// Advisory lock keys (two-`int4` form, its own key space). Creating the schema takes
    /// ``schemaLockClass``/0 so that concurrent openers serialize; every write transaction takes
    /// ``namespaceLockClass``/`hash(ns)`, so that outbox ids of one namespace are allocated in
    /// commit order (a reader that drained up to id N never sees an id below N appear later).
    static let schemaLockClass: Int32 = 0x5A45_5354  // "ZEST"
    static let namespaceLockClass: Int32 = 0x5A45_5355

    /// `true` when everything ``createSchema`` makes exists already (skips the DDL and its locks).
    /// A `zestor_outbox_notify` trigger that fires per row (`pg_trigger.tgtype` bit 0,
    /// `TRIGGER_TYPE_ROW`: made by earlier versions) does not count, so that opening upgrades it.
    static let schemaExists = """
        SELECT to_regclass('zestor_kv') IS NOT NULL AND to_regclass('zestor_outbox') IS NOT NULL \
        AND to_regclass('zestor_outbox_cursors') IS NOT NULL AND to_regclass('zestor_outbox_pruned') IS NOT NULL \
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('zestor_outbox') \
        AND attname = 'origin' AND NOT attisdropped) \
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('zestor_outbox') \
        AND attname = 'expires_at' AND NOT attisdropped) \
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('zestor_kv') \
        AND attname = 'expires_at' AND NOT attisdropped) \
        AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'zestor_outbox_notify' \
        AND tgrelid = to_regclass('zestor_outbox') AND (tgtype & 1) = 0)
        """

    /// Parameters: lock class, lock id. Held until the transaction ends.
    static let advisoryLock = "SELECT pg_advisory_xact_lock($1::int4, $2::int4)"

    /// Run inside a transaction after the schema lock. Adds the columns this package needs when an
    /// older zestor (or an earlier version of this package) created the tables without them —
    /// `expires_at` (`NULL`: never) keeps every existing row as it was —, and replaces a per-row
    /// `zestor_outbox_notify` trigger of an earlier version by the per-statement one.
    ///
    /// The trigger fires once per `INSERT` statement on the outbox and sends one notification per
    /// namespace it inserted into, carrying the largest id inserted (readers drain by id, so one
    /// wake-up per statement suffices; the per-row trigger ran plpgsql and `pg_notify` for every
    /// outbox row, 3–6 µs each on the test machine). Its function has its own name:
    /// `zestor_notify()` may be redefined by other zestor versions.
    static let createSchema = """
        CREATE TABLE IF NOT EXISTS zestor_kv (
            ns_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value BYTEA,
            version BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            expires_at TIMESTAMPTZ,
            PRIMARY KEY (ns_id, kind, key)
        );
        ALTER TABLE zestor_kv ADD COLUMN IF NOT EXISTS expires_at TIMESTAMPTZ;
        CREATE TABLE IF NOT EXISTS zestor_outbox (
            id BIGSERIAL PRIMARY KEY,
            ns_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            etype TEXT NOT NULL,
            value BYTEA,
            version BIGINT NOT NULL DEFAULT 0,
            origin TEXT NOT NULL DEFAULT '',
            at TIMESTAMPTZ NOT NULL DEFAULT now(),
            expires_at TIMESTAMPTZ
        );
        ALTER TABLE zestor_outbox ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE zestor_outbox ADD COLUMN IF NOT EXISTS origin TEXT NOT NULL DEFAULT '';
        ALTER TABLE zestor_outbox ADD COLUMN IF NOT EXISTS expires_at TIMESTAMPTZ;
        CREATE TABLE IF NOT EXISTS zestor_outbox_cursors (
            ns_id BIGINT NOT NULL,
            origin TEXT NOT NULL,
            last_id BIGINT NOT NULL,
            seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (ns_id, origin)
        );
        CREATE TABLE IF NOT EXISTS zestor_outbox_pruned (
            ns_id BIGINT PRIMARY KEY,
            through BIGINT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS zestor_outbox_ns_id_idx ON zestor_outbox (ns_id, id);
        CREATE INDEX IF NOT EXISTS zestor_outbox_ns_at_idx ON zestor_outbox (ns_id, at);
        CREATE OR REPLACE FUNCTION zestor_notify_statement() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            PERFORM pg_notify('zestor_events', n.ns_id::text || ':' || max(n.id)::text)
            FROM zestor_outbox_inserted AS n GROUP BY n.ns_id;
            RETURN NULL;
        END
        $fn$;
        DO $do$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'zestor_outbox_notify'
                       AND tgrelid = 'zestor_outbox'::regclass AND (tgtype & 1) <> 0) THEN
                DROP TRIGGER zestor_outbox_notify ON zestor_outbox;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'zestor_outbox_notify'
                           AND tgrelid = 'zestor_outbox'::regclass) THEN
                CREATE TRIGGER zestor_outbox_notify AFTER INSERT ON zestor_outbox
                    REFERENCING NEW TABLE AS zestor_outbox_inserted
                    FOR EACH STATEMENT EXECUTE FUNCTION zestor_notify_statement();
            END IF;
        END
        $do$;
        """

    /// The channel the trigger notifies; payload `"<ns_id>:<largest outbox id of the statement>"`.
    static let channel = "zestor_events"
    static let listen = "LISTEN zestor_events"

    // MARK: Session

    /// Parameters: setting name, value. Session-wide (`is_local` false).
    static let setConfig = "SELECT set_config($1, $2, false)"

    static let begin = "BEGIN"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"

    // MARK: Rows

    /// `expires_at` is a `timestamptz`; statements exchange it as milliseconds since 1970
    /// (``PersistedRow/expiresAt``), exactly: 0 in a parameter array stands for `NULL` (never),
    /// as arrays carry no `NULL`s here.
    static func instant(fromMilliseconds expression: String) -> String {
        "CASE WHEN \(expression) = 0 THEN NULL ELSE 'epoch'::timestamptz + \(expression) * interval '1 millisecond' END"
    }

    /// The milliseconds since 1970 of the `timestamptz` `expression` (`NULL` stays `NULL`).
    static func milliseconds(of expression: String) -> String {
        "floor(extract(epoch FROM \(expression)) * 1000)::int8"
    }

    /// The namespace's position in its commit order, as one scalar subquery over `$1` (the
    /// namespace): the largest outbox id, or the largest id pruned from the outbox if that is
    /// greater (every row may have been pruned). Read in the same statement as rows, it names
    /// the last commit those rows reflect: outbox ids grow in commit order (``advisoryLock``).
    private static let commitPosition = """
        GREATEST((SELECT COALESCE(MAX(id), 0) FROM zestor_outbox WHERE ns_id = $1), \
        (SELECT COALESCE(MAX(through), 0) FROM zestor_outbox_pruned WHERE ns_id = $1))::int8
        """

    /// Parameters: ns. Columns: position (``commitPosition``), kind, key, value, version,
    /// expires_at (milliseconds) — every row of the namespace and the position they reflect, in
    /// one snapshot. With no row, one row of position and `NULL`s.
    static let selectAll = """
        SELECT p.position, k.kind, k.key, k.value, k.version, \(milliseconds(of: "k.expires_at")) \
        FROM (SELECT \(commitPosition) AS position) AS p LEFT JOIN zestor_kv AS k ON k.ns_id = $1
        """

    /// Parameters: ns, kinds, keys (`text[]`). Columns as ``selectAll``, for the stored rows of
    /// the given keys (absent keys have none).
    static let selectKeys = """
        SELECT p.position, k.kind, k.key, k.value, k.version, \(milliseconds(of: "k.expires_at")) \
        FROM (SELECT \(commitPosition) AS position) AS p LEFT JOIN (zestor_kv AS k \
        JOIN unnest($2::text[], $3::text[]) AS w(kind, key) ON k.kind = w.kind AND k.key = w.key) \
        ON k.ns_id = $1
        """

    /// The forward-only upsert shared by ``upsertRun`` and ``applyRun``: a common table expression
    /// named `upserted` over a CTE `upserts(kind, key, value, version, expires, …)` of the run
    /// (`expires` in milliseconds, 0: never), writing a row only when the stored version is older,
    /// and returning kind, key, version, expires_at of each row it wrote. `$1` is the namespace.
    private static let upsertedCTE = """
        upserted AS (
                    INSERT INTO zestor_kv AS t (ns_id, kind, key, value, version, updated_at, expires_at)
                    SELECT $1, u.kind, u.key, u.value, u.version, now(), \(instant(fromMilliseconds: "u.expires"))
                    FROM upserts AS u
                    ON CONFLICT (ns_id, kind, key) DO UPDATE
                        SET value = EXCLUDED.value, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
                            expires_at = EXCLUDED.expires_at
                        WHERE t.version < EXCLUDED.version
                    RETURNING t.kind, t.key, t.version, t.expires_at
                )
        """

    /// ``applyRun`` for a run of upserts only (the usual write). PostgreSQL settles on a cached
    /// generic plan for it after five executions, and that plan fits any table size: it reads no
    /// table but through the primary-key probes of `ON CONFLICT`. (``applyRun``, whose generic
    /// plan looks costlier than a custom plan of a small batch, is planned anew for each small
    /// commit: about 0.2 ms, more than running it takes.)
    ///
    /// Parameters: ns, origin, kinds, keys (`text[]`), values (`bytea[]`), versions, expiry
    /// instants in milliseconds, 0 for never (`int8[]`). Columns of the result: kind, key, etype,
    /// id of each outbox row written, as for ``applyRun``.
    static let upsertRun = """
        WITH upserts AS MATERIALIZED (
            SELECT u.* FROM unnest($3::text[], $4::text[], $5::bytea[], $6::int8[], $7::int8[])
                WITH ORDINALITY AS u(kind, key, value, version, expires, n)
        ), \(upsertedCTE)
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin, expires_at)
        SELECT $1, w.kind, w.key, 'upsert', u.value, w.version, $2, w.expires_at
        FROM upserted AS w JOIN upserts AS u ON u.kind = w.kind AND u.key = w.key
        ORDER BY u.n
        RETURNING kind, key, etype, id
        """

    /// One multi-row statement for a run of mutations whose keys are distinct: deletes and
    /// upserts `zestor_kv`, changes expiry instants, and appends an outbox row — in input order —
    /// for every mutation that changed a row (an applied upsert, a delete that removed one, an
    /// expiry change of the row's version, recorded as an upsert of that version with its value).
    ///
    /// Parameters: ns, origin; the deletes: kinds, keys (`text[]`), versions — a row newer than
    /// its version survives; 0: any row goes —, positions (`int8[]`); the upserts: kinds, keys
    /// (`text[]`), values (`bytea[]`), versions, expiry instants (0: never), positions (`int8[]`);
    /// the expiry changes: kinds, keys (`text[]`), versions, instants (0: never), positions
    /// (`int8[]`). A position is the mutation's index in the run; the outbox rows are inserted in
    /// its order. Columns of the result: kind, key, etype, id of each outbox row written.
    ///
    /// Linear in the run whatever the planner estimates (unnest of a parameter is estimated at
    /// 10 rows in a generic plan, a namespace missing from the statistics at 1 row):
    /// - deletes, upserts and expiry changes arrive as separate arrays, so no `etype` filter
    ///   shrinks estimates;
    /// - the namespace reaches the `DELETE` and the `UPDATE` only through their materialized CTEs,
    ///   so they probe the primary key per key, or hash the table once when the planner deems that
    ///   cheaper (an `ns_id = $1` restriction let the planner loop over every row of the
    ///   namespace for each key: quadratic);
    /// - deleted and changed rows keep their position through `RETURNING d.n`, and applied
    ///   upserts find theirs by a join of two equally sized inputs (a hash join) on their
    ///   distinct keys.
    static let applyRun = """
        WITH deletes AS MATERIALIZED (
            SELECT $1::int8 AS ns, d.* FROM unnest($3::text[], $4::text[], $5::int8[], $6::int8[])
                AS d(kind, key, version, n)
        ), upserts AS MATERIALIZED (
            SELECT u.* FROM unnest($7::text[], $8::text[], $9::bytea[], $10::int8[], $11::int8[], $12::int8[])
                AS u(kind, key, value, version, expires, n)
        ), retimes AS MATERIALIZED (
            SELECT $1::int8 AS ns, r.* FROM unnest($13::text[], $14::text[], $15::int8[], $16::int8[], $17::int8[])
                AS r(kind, key, version, expires, n)
        ), deleted AS (
            DELETE FROM zestor_kv AS t USING deletes AS d
            WHERE t.ns_id = d.ns AND t.kind = d.kind AND t.key = d.key AND (d.version = 0 OR t.version <= d.version)
            RETURNING d.n, t.kind, t.key, t.version
        ), retimed AS (
            UPDATE zestor_kv AS t SET expires_at = \(instant(fromMilliseconds: "r.expires"))
            FROM retimes AS r
            WHERE t.ns_id = r.ns AND t.kind = r.kind AND t.key = r.key AND t.version = r.version
            RETURNING r.n, t.kind, t.key, t.value, t.version, t.expires_at
        ), \(upsertedCTE), written AS (
            SELECT d.n, d.kind, d.key, 'delete' AS etype, NULL::bytea AS value, d.version,
                NULL::timestamptz AS expires_at FROM deleted AS d
            UNION ALL
            SELECT u.n, w.kind, w.key, 'upsert', u.value, w.version, w.expires_at
            FROM upserted AS w JOIN upserts AS u ON u.kind = w.kind AND u.key = w.key
            UNION ALL
            SELECT r.n, r.kind, r.key, 'upsert', r.value, r.version, r.expires_at FROM retimed AS r
        )
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin, expires_at)
        SELECT $1, w.kind, w.key, w.etype, w.value, w.version, $2, w.expires_at FROM written AS w ORDER BY w.n
        RETURNING kind, key, etype, id
        """

    // Compare-and-set: one statement per mutation (a run of its own), writing the row only at the
    // expected version and its outbox row only when it did. Their result columns are those of
    // `applyRun`: kind, key, etype, id of the outbox row written (none: the row was not at the
    // expected version). Exact under concurrency: every commit of the namespace holds its
    // advisory lock (``advisoryLock``).

    /// The outbox row of the row a compare-and-set wrote (a CTE `written(kind, key, version,
    /// expires_at)`; `$1` the namespace, `$2` the origin, `$5` the value), and the result columns.
    private static let outboxOfWritten = """
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin, expires_at)
        SELECT $1, w.kind, w.key, 'upsert', $5, w.version, $2, w.expires_at FROM written AS w
        RETURNING kind, key, etype, id
        """

    /// Parameters: ns, origin, kind, key, value, version, expiry instant (milliseconds, 0: never).
    /// Inserts the row only when the key has none.
    static let insertIfAbsent = """
        WITH written AS (
            INSERT INTO zestor_kv AS t (ns_id, kind, key, value, version, updated_at, expires_at)
            VALUES ($1, $3, $4, $5, $6, now(), \(instant(fromMilliseconds: "$7::int8")))
            ON CONFLICT (ns_id, kind, key) DO NOTHING
            RETURNING t.kind, t.key, t.version, t.expires_at
        )
        \(outboxOfWritten)
        """

    /// Parameters: ns, origin, kind, key, value, version, expiry instant (milliseconds, 0: never),
    /// expected version. Replaces the row only when it has the expected version.
    static let replaceIfVersion = """
        WITH written AS (
            UPDATE zestor_kv AS t SET value = $5, version = $6, updated_at = now(),
                expires_at = \(instant(fromMilliseconds: "$7::int8"))
            WHERE t.ns_id = $1 AND t.kind = $3 AND t.key = $4 AND t.version = $8
            RETURNING t.kind, t.key, t.version, t.expires_at
        )
        \(outboxOfWritten)
        """

    /// Parameters: ns, origin, kind, key, version. Deletes the row only when it has that version.
    static let deleteIfVersion = """
        WITH deleted AS (
            DELETE FROM zestor_kv AS t WHERE t.ns_id = $1 AND t.kind = $3 AND t.key = $4 AND t.version = $5
            RETURNING t.kind, t.key, t.version
        )
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin)
        SELECT $1, d.kind, d.key, 'delete', NULL, d.version, $2 FROM deleted AS d
        RETURNING kind, key, etype, id
        """

    // Per-row statements: the reference for `applyRun` (tests compare both strategies).

    /// Parameters: ns, kind, key, value, version, expiry instant (milliseconds, 0: never).
    /// Returns the row when it was written.
    static let upsertRow = """
        INSERT INTO zestor_kv AS t (ns_id, kind, key, value, version, updated_at, expires_at) \
        VALUES ($1, $2, $3, $4, $5, now(), \(instant(fromMilliseconds: "$6::int8"))) \
        ON CONFLICT (ns_id, kind, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, \
        updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at WHERE t.version < EXCLUDED.version \
        RETURNING t.version
        """

    /// Parameters: ns, kind, key, version (0: any). Returns the deleted row's version.
    static let deleteRow = """
        DELETE FROM zestor_kv WHERE ns_id = $1 AND kind = $2 AND key = $3 AND ($4::int8 = 0 OR version <= $4::int8) \
        RETURNING version
        """

    /// Parameters: ns, kind, key, version, expiry instant (milliseconds, 0: never). Returns the
    /// changed row's value when it had that version.
    static let retimeRow = """
        UPDATE zestor_kv SET expires_at = \(instant(fromMilliseconds: "$5::int8")) \
        WHERE ns_id = $1 AND kind = $2 AND key = $3 AND version = $4 RETURNING value
        """

    /// Parameters: ns, kind, key, etype, value (NULL for deletes is sent as omitted), version, origin,
    /// expiry instant (milliseconds, 0: never). Both return the outbox row's id.
    static let appendOutbox = """
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin, expires_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, \(instant(fromMilliseconds: "$8::int8"))) RETURNING id
        """
    static let appendOutboxDelete = """
        INSERT INTO zestor_outbox (ns_id, kind, key, etype, value, version, origin) \
        VALUES ($1, $2, $3, $4, NULL, $5, $6) RETURNING id
        """

    // MARK: Outbox

    /// Parameters: ns, after id, limit. Columns: id, kind, key, etype, value, version, origin,
    /// expires_at (milliseconds).
    static let selectOutbox = """
        SELECT id, kind, key, etype, value, version, origin, \(milliseconds(of: "expires_at")) FROM zestor_outbox \
        WHERE ns_id = $1 AND id > $2 ORDER BY id LIMIT $3
        """

    /// ``selectOutbox`` with, in the same snapshot, how far the namespace's outbox was pruned.
    /// Parameters: ns, after id, limit. Columns: pruned through, then those of ``selectOutbox``
    /// (`NULL` in the one row returned when there is no outbox row after the id).
    static let selectOutboxPage = """
        SELECT p.through, o.id, o.kind, o.key, o.etype, o.value, o.version, o.origin, o.expires \
        FROM (SELECT COALESCE(MAX(through), 0)::int8 AS through FROM zestor_outbox_pruned WHERE ns_id = $1) AS p \
        LEFT JOIN LATERAL (SELECT id, kind, key, etype, value, version, origin, \
        \(milliseconds(of: "expires_at")) AS expires FROM zestor_outbox \
        WHERE ns_id = $1 AND id > $2 ORDER BY id LIMIT $3) AS o ON true ORDER BY o.id
        """

    /// Parameters: ns, origin, after id, limit. Columns: id, kind, key, etype, version of the
    /// namespace's outbox rows written by `origin` with an id above `after`, in id order: what a
    /// commit whose outcome is unknown wrote (see ``PostgresSession/resolveInDoubtCommit(_:after:)``).
    static let selectOwnOutbox = """
        SELECT id, kind, key, etype, version FROM zestor_outbox \
        WHERE ns_id = $1 AND origin = $2 AND id > $3 ORDER BY id LIMIT $4
        """

    /// Parameters: ns. Column: the namespace's position (``commitPosition``): its largest outbox
    /// id, or the largest pruned one, 0 when it has none.
    static let outboxHighWaterMark = "SELECT \(commitPosition)"

    /// Parameters: ns, retention in seconds, cursor liveness in seconds (`int8`). Removes the
    /// namespace's outbox rows older than the retention that every live reader has drained
    /// (readers whose cursor was not refreshed within the liveness count as gone).
    /// Records in `zestor_outbox_pruned` the largest id it removed, in the same statement, so a
    /// reader whose position is below it knows it missed rows. Column: how many rows it removed.
    static let pruneOutbox = """
        WITH removed AS (DELETE FROM zestor_outbox WHERE ns_id = $1 \
        AND at < now() - make_interval(secs => $2::int8::float8) \
        AND id <= COALESCE((SELECT MIN(last_id) FROM zestor_outbox_cursors WHERE ns_id = $1 \
        AND seen_at > now() - make_interval(secs => $3::int8::float8)), 9223372036854775807) RETURNING id), \
        marked AS (INSERT INTO zestor_outbox_pruned AS p (ns_id, through) \
        SELECT $1, MAX(id) FROM removed HAVING COUNT(*) > 0 \
        ON CONFLICT (ns_id) DO UPDATE SET through = GREATEST(p.through, EXCLUDED.through) RETURNING 1) \
        SELECT COUNT(*)::int8 FROM removed
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
