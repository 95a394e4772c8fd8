#!/usr/bin/env bash
# Starts or stops a private, throwaway PostgreSQL 15 server.
#
#   scripts/pg-server.sh start DIR [--fast]   prints `export ...` lines for MAPENGINE_PG_*
#   scripts/pg-server.sh stop DIR
#   scripts/pg-server.sh restart DIR [SECONDS]   fast shutdown, SECONDS down (default 0), same port
#
# The server lives entirely in DIR (data, socket, log), listens on 127.0.0.1 at a free port and
# trusts local connections. PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` OS user. --fast turns off durability (fsync, full_page_writes): for tests only.
# MAPENGINE_PG_EXTRA_OPTS adds server settings ("-c ssl=on -c ssl_cert_file=...").
set -euo pipefail

cmd=${1:?usage: pg-server.sh start|stop|restart DIR [--fast|SECONDS]}
dir=${2:?usage: pg-server.sh start|stop|restart DIR [--fast|SECONDS]}
fast=${3:-}

bindir=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
if [ -z "$bindir" ]; then
  echo "pg-server: PostgreSQL 15 is not installed (run scripts/install-deps.sh)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $(( 20000 + RANDOM % 20000 ))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "pg-server: the postgres user cannot reach $dir; make its parent folders traversable (chmod o+x)" >&2
      exit 1
    fi
    user=postgres
  else
    user=$(id -un)
  fi
  as_owner "$bindir/initdb" -D "$dir/data" -U "$user" -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  opts=(-c "port=$port" -c "listen_addresses=127.0.0.1" -c "unix_socket_directories=$dir"
        -c "max_connections=200" -c "shared_buffers=256MB" -c "max_wal_size=4GB"
        -c "log_min_messages=warning"
        -c "wal_level=logical")
  if [ "$fast" = "--fast" ]; then
    opts+=(-c fsync=off -c full_page_writes=off -c synchronous_commit=off)
  fi
  if [ -n "${MAPENGINE_PG_EXTRA_OPTS:-}" ]; then
    opts+=("$MAPENGINE_PG_EXTRA_OPTS")
  fi
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "${opts[*]}" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  printf '%s\n' "${opts[*]}" >"$dir/options"
  echo "export MAPENGINE_PG_DIR='$dir'"
  echo "export MAPENGINE_PG_PORT='$port'"
  echo "export MAPENGINE_PG_USER='$user'"
  echo "export MAPENGINE_PG_ADMIN_URL='host=127.0.0.1 port=$port user=$user dbname=postgres'"
  ;;
restart)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  sleep "${3:-0}"
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "pg-server: unknown command $cmd" >&2
  exit 2
  ;;
esac
