#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: trust auth, 127.0.0.1 only, a free port, a
# temporary data directory that `stop` deletes.
#
# Usage:
#   Scripts/postgres.sh start   # initdb + start + create database zestor_test; prints the URL
#   Scripts/postgres.sh url     # prints the URL of the running cluster
#   Scripts/postgres.sh restart # restarts it (same port), as a failover would
#   Scripts/postgres.sh crash   # kills it (pg_ctl stop -m immediate: no checkpoint, crash recovery
#                               # at the next start), waits $ZESTOR_PG_CRASH_PAUSE seconds (default 1),
#                               # starts it again on the same port
#   Scripts/postgres.sh stop    # stops the cluster and removes its directory
#
# The cluster is recorded in a state file ($ZESTOR_PG_STATE, default .build-postgres/state in the
# repository) holding its directory and port, so `stop` and `url` find it. `start` when the
# recorded cluster still runs just prints its URL; `stop` without a cluster does nothing.
# Tuned for tests: max_connections=500 (parallel tests open many backends), fsync=off (a throwaway
# cluster need not survive a power loss). ZESTOR_PG_FSYNC=on keeps PostgreSQL's durable defaults
# (fsync on, synchronous_commit on), for benchmarks that should pay what production pays.
# The server runs as user `postgres` (via runuser) when this script runs as root, since PostgreSQL
# refuses to run as root; otherwise it runs as the calling user.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib.sh

PG_BIN="${ZESTOR_PG_BIN:-/usr/lib/postgresql/15/bin}"
STATE_FILE="${ZESTOR_PG_STATE:-$PWD/.build-postgres/state}"
DATABASE="zestor_test"

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

# Runs a command as the server's user.
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_server_binaries() {
    if [ ! -x "$PG_BIN/initdb" ]; then
        ensure_packages postgresql-15
    fi
    [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb is missing even after installing postgresql-15"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (installing postgresql-15 creates it)"
    fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        local port
        if port="$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null)" && [ -n "$port" ]; then
            echo "$port"
            return
        fi
    fi
    # Fallback: probe random high ports with bash's /dev/tcp (a refused connection means free).
    local attempt candidate
    for attempt in $(seq 1 200); do
        candidate=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    die "no free port found"
}

# Reads the state file into DIR and PORT; returns 1 when there is none.
read_state() {
    [ -f "$STATE_FILE" ] || return 1
    DIR="$(sed -n 's/^dir=//p' "$STATE_FILE")"
    PORT="$(sed -n 's/^port=//p' "$STATE_FILE")"
    FSYNC="$(sed -n 's/^fsync=//p' "$STATE_FILE")"
    FSYNC="${FSYNC:-off}"
    [ -n "$DIR" ] && [ -n "$PORT" ] || die "state file $STATE_FILE is malformed"
}

url() {
    echo "postgres://postgres@127.0.0.1:$PORT/$DATABASE"
}

is_running() {
    [ -d "$DIR/data" ] && as_server_user "$PG_BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

start() {
    ensure_server_binaries
    if read_state; then
        if is_running; then
            echo "postgres.sh: cluster already running in $DIR" >&2
            url
            return
        fi
        echo "postgres.sh: removing stale state for $DIR" >&2
        rm -rf "$DIR"
        rm -f "$STATE_FILE"
    fi

    DIR="$(mktemp -d /tmp/zestor-pg-XXXXXX)"
    chmod 700 "$DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DIR"; fi
    mkdir -p "$(dirname "$STATE_FILE")"

    if ! as_server_user "$PG_BIN/initdb" -D "$DIR/data" --auth=trust -U postgres --encoding=UTF8 \
        --locale=C.UTF-8 --no-instructions >"$DIR/initdb.log" 2>&1; then
        cat "$DIR/initdb.log" >&2
        rm -rf "$DIR"
        die "initdb failed"
    fi

    # Another process may grab the port between probing and listening: retry with a new one.
    FSYNC="${ZESTOR_PG_FSYNC:-off}"
    local attempt started=0
    for attempt in 1 2 3 4 5; do
        PORT="$(free_port)"
        if start_server; then
            started=1
            break
        fi
        echo "postgres.sh: start on port $PORT failed (attempt $attempt); server log:" >&2
        tail -n 20 "$DIR/server.log" >&2 || true
    done
    if [ "$started" -ne 1 ]; then
        rm -rf "$DIR"
        die "PostgreSQL did not start"
    fi
    printf 'dir=%s\nport=%s\nfsync=%s\n' "$DIR" "$PORT" "$FSYNC" >"$STATE_FILE"

    if ! as_server_user "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DATABASE"; then
        stop
        die "createdb $DATABASE failed"
    fi
    echo "postgres.sh: PostgreSQL running in $DIR on 127.0.0.1:$PORT" >&2
    url
}

# Starts the server of DIR on PORT with fsync FSYNC (all three recorded in the state file, so a
# start after a crash uses the same ones).
start_server() {
    as_server_user "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=500 -c fsync=$FSYNC" \
        start >/dev/null
}

stop() {
    if ! read_state; then
        echo "postgres.sh: no cluster recorded in $STATE_FILE; nothing to stop" >&2
        return
    fi
    if is_running; then
        as_server_user "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null \
            || die "pg_ctl stop failed for $DIR (log: $DIR/server.log)"
    fi
    case "$DIR" in
        /tmp/zestor-pg-*) rm -rf "$DIR" ;;
        *) die "refusing to remove unexpected directory '$DIR' from $STATE_FILE" ;;
    esac
    rm -f "$STATE_FILE"
    echo "postgres.sh: stopped and removed $DIR" >&2
}

# Restarts the running cluster (same port and options), as a server failover would; used by the
# reconnect tests.
restart() {
    read_state || die "no cluster recorded in $STATE_FILE (run: Scripts/postgres.sh start)"
    as_server_user "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -m fast -w -t 60 restart >/dev/null \
        || die "pg_ctl restart failed for $DIR (log: $DIR/server.log)"
    echo "postgres.sh: restarted $DIR" >&2
}

# Crashes the running cluster the way a killed server or a power cut would (every process killed,
# no shutdown checkpoint), then starts it again on the same port: the crash tests' failure.
crash() {
    read_state || die "no cluster recorded in $STATE_FILE (run: Scripts/postgres.sh start)"
    as_server_user "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 60 stop >/dev/null \
        || die "pg_ctl stop -m immediate failed for $DIR (log: $DIR/server.log)"
    sleep "${ZESTOR_PG_CRASH_PAUSE:-1}"
    start_server || die "PostgreSQL did not start again after the crash (log: $DIR/server.log)"
    echo "postgres.sh: crashed and restarted $DIR" >&2
}

case "${1:-}" in
    start) start ;;
    crash) crash ;;
    stop) stop ;;
    restart) restart ;;
    url)
        read_state || die "no cluster recorded in $STATE_FILE (run: Scripts/postgres.sh start)"
        is_running || die "the cluster recorded in $STATE_FILE is not running"
        url
        ;;
    *)
        echo "usage: $0 start|stop|restart|crash|url" >&2
        exit 2
        ;;
esac
