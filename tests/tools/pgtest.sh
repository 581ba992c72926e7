#!/usr/bin/env bash
# A throwaway PostgreSQL server for the jdbc connector's tests (tests/unit/test_jdbc.c and
# tests/e2e/jdbc.sh): a fresh cluster in a directory the caller owns, on a loopback port and a
# unix socket in that directory, with prepared transactions enabled (exactly-once), fsync off.
#
#   pgtest.sh start DIR      initdb + start; prints the port. Exit 77: no server binaries.
#   pgtest.sh stop DIR       stops it at once (pg_ctl stop -m immediate), as a crash would
#   pgtest.sh restart DIR    starts a stopped (or crashed) server again on the same port
#
# initdb and postgres refuse to run as root: as root the cluster belongs to the 'postgres'
# system user (DIR is handed to it); otherwise to the current user. The superuser is 'weir',
# trusted without a password, database 'postgres'. WEIR_PG_BIN names the bin directory to use
# instead of the newest /usr/lib/postgresql/*/bin.
set -u

die() {
    echo "pgtest: $*" >&2
    exit 1
}

# The newest installed server's bin directory (Debian keeps them in /usr/lib/postgresql/N/bin).
find_bin() {
    local best="" d
    if [ -n "${WEIR_PG_BIN:-}" ]; then # an explicit choice (a directory without them: skip)
        [ -x "$WEIR_PG_BIN/initdb" ] && [ -x "$WEIR_PG_BIN/pg_ctl" ] && printf '%s' "$WEIR_PG_BIN"
        return
    fi
    # versions in ascending order (sort -V puts 9.6 before 15), the last one wins
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V) /usr/local/pgsql/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best=$d
    done
    if [ -z "$best" ] && command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        best=$(dirname "$(command -v pg_ctl)")
    fi
    printf '%s' "$best"
}

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Starts the server in $dir on port $1; returns pg_ctl's status.
start_on() {
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -s start \
        -o "-p $1 -k $dir -c listen_addresses=127.0.0.1 -c max_prepared_transactions=20 \
            -c fsync=off -c full_page_writes=off \
            -c max_connections=60 -c shared_buffers=16MB" >/dev/null 2>&1
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pgtest.sh start|stop|restart DIR"
BIN=$(find_bin)
if [ -z "$BIN" ]; then
    echo "pgtest: PostgreSQL server binaries (initdb, pg_ctl) not found; install 'postgresql'" >&2
    exit 77
fi

case "$cmd" in
start)
    mkdir -p "$dir" || die "cannot create $dir"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
        chown postgres "$dir" || die "cannot hand $dir to the postgres user"
        runuser -u postgres -- test -x "$dir" ||
            die "the postgres user cannot reach $dir (a parent directory is not searchable)"
    fi
    as_owner "$BIN/initdb" -D "$dir/data" -U weir -A trust -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    # A port nobody listens on; postgres may still lose a race for it, so try a few.
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        if start_on "$port"; then
            echo "$port" >"$dir/port"
            echo "$port"
            exit 0
        fi
    done
    cat "$dir/server.log" >&2 2>/dev/null
    die "the server did not start"
    ;;
stop)
    [ -d "$dir/data" ] || exit 0
    as_owner "$BIN/pg_ctl" -D "$dir/data" -s -m immediate stop >/dev/null 2>&1
    exit 0
    ;;
restart)
    port=$(cat "$dir/port" 2>/dev/null) || die "no server was started in $dir"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        start_on "$port" && exit 0
        sleep 0.2
    done
    cat "$dir/server.log" >&2 2>/dev/null
    die "the server did not start again on port $port"
    ;;
*)
    die "unknown command '$cmd'"
    ;;
esac
