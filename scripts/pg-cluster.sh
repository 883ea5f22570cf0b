#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for the test suite.
#
# Usage: scripts/pg-cluster.sh start|stop|status|url [DIR] [PORT]
#   DIR   default $SURVEYAPP_PG_DIR or /tmp/surveyapp-pg
#   PORT  default $SURVEYAPP_PG_PORT or 54329
#
#   start   init (if needed) and start a cluster listening on 127.0.0.1:PORT only,
#           trust auth, database surveyapp_test owned by role surveyapp. Idempotent:
#           reuses a running cluster; recovers from a crashed previous run.
#   stop    stop the cluster and delete DIR.
#   status  exit 0 if running, 1 otherwise.
#   url     print postgresql+psycopg://surveyapp@127.0.0.1:PORT/surveyapp_test
#
# Tuned for speed, NOT durability (fsync=off etc.): never point it at real data.
# PostgreSQL refuses to run as root, so as root everything runs as the `postgres`
# system user (created if missing) and DIR is owned by it.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DB_NAME=surveyapp_test
DB_ROLE=surveyapp
PG_SUPERUSER=postgres
PG_OS_USER=postgres

log() { printf '[pg-cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { echo "usage: $0 start|stop|status|url [DIR] [PORT]" >&2; exit 2; }

cmd=${1:-}
DIR=${2:-${SURVEYAPP_PG_DIR:-/tmp/surveyapp-pg}}
PORT=${3:-${SURVEYAPP_PG_PORT:-54329}}

[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) || die "bad port: $PORT"
[[ "$DIR" == /* ]] || DIR="$PWD/$DIR"
DIR=$(realpath -m -- "$DIR")
# Guard the `rm -rf` in stop: at least two path components, not a system dir.
[[ "$DIR" =~ ^/[^/]+/[^/]+ ]] || die "refusing to use DIR=$DIR (too close to /)"
case "$DIR" in
    /etc/* | /usr/* | /bin/* | /sbin/* | /lib*/* | /boot/* | /proc/* | /sys/* | /dev/*)
        die "refusing to use DIR=$DIR" ;;
esac

PGDATA="$DIR/data"
SOCKDIR="$DIR/run"
LOGFILE="$DIR/postgres.log"
MARKER="$DIR/.surveyapp-pg-cluster" # "this dir is ours, stop may delete it"
READY="$DIR/.initialized"           # initdb + config completed
LOCKFILE="$DIR.lock"

url() { printf 'postgresql+psycopg://%s@127.0.0.1:%s/%s\n' "$DB_ROLE" "$PORT" "$DB_NAME"; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Serialise concurrent invocations (best effort: lock file may be unopenable,
# e.g. owned by another user in a sticky /tmp).
take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    if { exec 9>>"$LOCKFILE"; } 2>/dev/null; then
        flock -w 300 9 || die "timed out waiting for lock $LOCKFILE"
    else
        log "warning: cannot open lock file $LOCKFILE; continuing without lock"
    fi
}

find_bindir() {
    local d p
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    if p=$(command -v initdb 2>/dev/null); then
        d=$(dirname "$(realpath "$p")")
        if [[ -x "$d/pg_ctl" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    fi
    return 1
}

ensure_bindir() {
    if ! BINDIR=$(find_bindir); then
        log "PostgreSQL server binaries not found; installing"
        CI=true bash "$SCRIPT_DIR/install-system-deps.sh" postgresql >&2 ||
            die "could not install postgresql (need root + apt-get)"
        BINDIR=$(find_bindir) || die "initdb/pg_ctl still not found after install"
    fi
    PSQL="$BINDIR/psql"
    [[ -x "$PSQL" ]] || PSQL=$(command -v psql) || die "psql not found"
}

ensure_os_user() {
    is_root || return 0
    getent passwd "$PG_OS_USER" >/dev/null && return 0
    log "creating system user $PG_OS_USER"
    if command -v useradd >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
            --shell /bin/bash "$PG_OS_USER"
    else
        adduser --system --group --home /var/lib/postgresql --no-create-home \
            --shell /bin/bash "$PG_OS_USER"
    fi
}

# Run a command as the cluster owner (postgres when root, else ourselves),
# from a directory it can read (pg tools insist on a usable cwd).
as_pg() {
    local wd=/
    [[ -d "$DIR" ]] && wd="$DIR"
    # 9>&- : never leak the lock fd into the postmaster (it would hold the lock forever)
    if is_root; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$wd" && runuser -u "$PG_OS_USER" -- env HOME="$wd" "$@") 9>&-
        else
            (cd "$wd" && su -s /bin/bash "$PG_OS_USER" -c "$(printf '%q ' env HOME="$wd" "$@")") 9>&-
        fi
    else
        (cd "$wd" && env HOME="$wd" "$@") 9>&-
    fi
}

own() { is_root && chown "$PG_OS_USER:$PG_OS_USER" "$@" || true; }

# --- process inspection (all postgres processes chdir to the data dir) -------
pgdata_real() { realpath -m -- "$PGDATA"; }

is_cluster_proc() { # pid
    local pid=$1
    [[ -d /proc/$pid ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]] || return 1
    [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$(pgdata_real)" ]]
}

postmaster_pid() {
    [[ -f "$PGDATA/postmaster.pid" ]] || return 1
    local pid
    pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

running_port() { sed -n 4p "$PGDATA/postmaster.pid" 2>/dev/null; }

is_running() {
    local pid
    pid=$(postmaster_pid) && is_cluster_proc "$pid"
}

cluster_pids() {
    local p pid real
    real=$(pgdata_real)
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ "$(cat "$p/comm" 2>/dev/null)" == postgres ]] || continue
        [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$real" ]] && echo "$pid"
    done
    return 0
}

# After a crash: kill orphaned backends (they keep the old shared memory
# attached, which blocks a new postmaster) and remove stale pid/socket locks.
cleanup_stale() {
    local pids i
    pids=$(cluster_pids)
    if [[ -n "$pids" ]]; then
        log "killing leftover processes of a dead cluster: $(echo $pids)"
        kill -9 $pids 2>/dev/null || true
        for i in $(seq 50); do
            [[ -z "$(cluster_pids)" ]] && break
            sleep 0.1
        done
    fi
    if [[ -f "$PGDATA/postmaster.pid" ]]; then
        log "removing stale $PGDATA/postmaster.pid"
        rm -f "$PGDATA/postmaster.pid"
    fi
    rm -f "$SOCKDIR"/.s.PGSQL.* 2>/dev/null || true
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# --- init ---------------------------------------------------------------------
check_dir_is_ours() {
    [[ -e "$DIR" ]] || return 0
    [[ -d "$DIR" ]] || die "$DIR exists and is not a directory"
    [[ -f "$MARKER" ]] && return 0
    [[ -z "$(ls -A "$DIR" 2>/dev/null)" ]] && return 0
    die "$DIR exists, is not empty and was not created by $0; refusing to touch it"
}

wipe_dir() {
    local p
    for p in $(cluster_pids); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf -- "$DIR"
}

init_cluster() {
    local locale=C
    locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=C.UTF-8

    log "initialising cluster in $PGDATA ($("$BINDIR/postgres" --version))"
    wipe_dir
    mkdir -p "$DIR" "$SOCKDIR"
    touch "$MARKER"
    chmod 0755 "$DIR"
    own "$DIR" "$SOCKDIR" "$MARKER"
    if ! as_pg test -w "$DIR" 2>/dev/null; then
        die "user $PG_OS_USER cannot write $DIR (check permissions of its parent directories)"
    fi
    as_pg "$BINDIR/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --auth=trust \
        -E UTF8 --locale="$locale" --no-sync --no-instructions >"$DIR/initdb.log" 2>&1 || {
        tail -n 30 "$DIR/initdb.log" >&2
        die "initdb failed"
    }
    cat >"$PGDATA/pg_hba.conf" <<'EOF'
# throw-away test cluster: trust on the unix socket and 127.0.0.1 only
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
EOF
    echo "include_if_exists = 'surveyapp.conf'" >>"$PGDATA/postgresql.conf"
    own "$PGDATA/pg_hba.conf"
    touch "$READY"
}

write_conf() {
    cat >"$PGDATA/surveyapp.conf" <<EOF
# written by scripts/pg-cluster.sh on every start -- throw-away test settings
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKDIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 30min
jit = off
huge_pages = off
max_parallel_workers_per_gather = 0
timezone = 'UTC'
log_timezone = 'UTC'
EOF
    own "$PGDATA/surveyapp.conf"
}

pg_start() {
    as_pg "$BINDIR/pg_ctl" start -D "$PGDATA" -l "$LOGFILE" -w -t 60 -s >/dev/null
}

pg_stop() {
    is_running || return 0
    as_pg "$BINDIR/pg_ctl" stop -D "$PGDATA" -m fast -w -t 30 -s ||
        as_pg "$BINDIR/pg_ctl" stop -D "$PGDATA" -m immediate -w -t 10 -s ||
        true
}

psql_admin() {
    as_pg "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PORT" \
        -U "$PG_SUPERUSER" -d postgres "$@"
}

ensure_db() {
    psql_admin >/dev/null <<EOF
SELECT format('CREATE ROLE %I LOGIN SUPERUSER', '$DB_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME')
\gexec
EOF
}

wait_ready() {
    local i
    for i in $(seq 100); do
        as_pg "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U "$PG_SUPERUSER" && return 0
        sleep 0.1
    done
    return 1
}

# --- commands -----------------------------------------------------------------
do_start() {
    take_lock
    check_dir_is_ours
    ensure_bindir
    ensure_os_user

    if [[ -f "$READY" ]] && is_running; then
        if [[ "$(running_port)" == "$PORT" ]] && wait_ready; then
            ensure_db
            log "reusing running cluster (pid $(postmaster_pid), port $PORT, dir $DIR)"
            url
            return 0
        fi
        log "running cluster is on port $(running_port) / not ready; restarting"
        pg_stop
    fi
    cleanup_stale

    if port_in_use; then
        die "127.0.0.1:$PORT is already in use by another process; pick another PORT"
    fi

    # Re-init when never completed, or data dir is from another major version.
    local ver
    ver=$(basename "$(dirname "$BINDIR")")
    if [[ ! -f "$READY" || ! -f "$PGDATA/PG_VERSION" ]] ||
        { [[ "$ver" =~ ^[0-9]+$ ]] && [[ "$(cat "$PGDATA/PG_VERSION")" != "$ver" ]]; }; then
        init_cluster
    fi
    write_conf

    if ! pg_start; then
        log "start failed; log tail:"
        tail -n 20 "$LOGFILE" >&2 2>/dev/null || true
        log "re-initialising the throw-away cluster and retrying"
        cleanup_stale
        init_cluster
        write_conf
        pg_start || {
            tail -n 30 "$LOGFILE" >&2 2>/dev/null || true
            die "could not start PostgreSQL (log: $LOGFILE)"
        }
    fi
    wait_ready || die "PostgreSQL started but not accepting connections on 127.0.0.1:$PORT"
    ensure_db
    log "started (pid $(postmaster_pid), 127.0.0.1:$PORT, dir $DIR)"
    url
}

do_stop() {
    take_lock
    if [[ ! -e "$DIR" ]]; then
        log "no cluster at $DIR"
        return 0
    fi
    check_dir_is_ours
    if is_running; then
        BINDIR=$(find_bindir) || BINDIR=
        if [[ -n "$BINDIR" ]]; then pg_stop; fi
    fi
    wipe_dir # also kills anything left behind
    log "stopped and removed $DIR"
}

do_status() {
    if is_running; then
        log "running (pid $(postmaster_pid), port $(running_port), dir $DIR)"
        return 0
    fi
    log "not running (dir $DIR)"
    return 1
}

case "$cmd" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    url) url ;;
    *) usage ;;
esac
