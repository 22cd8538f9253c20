#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the sqlstore tests and prints the DSN export.
#
#   eval "$(.ci/postgres.sh start)"   # installs postgresql if missing, starts it, exports LOYALTY_PG_DSN and LOYALTY_PG_DIR
#   .ci/postgres.sh stop "$LOYALTY_PG_DIR"
#
# The cluster lives in a temporary directory, listens on a loopback port only, runs as the
# unprivileged 'postgres' user when started by root, and trades durability for speed
# (fsync=off): it is for tests, never for data.
set -euo pipefail

find_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bindir
  bindir=$(find_bindir)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "installing postgresql (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bindir=$(find_bindir)
  fi
  local dir port
  dir=$(mktemp -d /tmp/loyaltykit-pg.XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  for port in $(shuf -i 40000-59999 -n 20); do
    if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null 2>&1; then
      echo "export LOYALTY_PG_DIR='$dir'"
      echo "export LOYALTY_PG_DSN='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
      echo "export LOYALTY_PG_BIN='$bindir'"
      echo "export LOYALTY_PG_PORT='$port'"
      return 0
    fi
  done
  cat "$dir/server.log" >&2
  echo "could not start PostgreSQL" >&2
  exit 1
}

stop() {
  local dir=$1 bindir
  bindir=$(find_bindir)
  [ -d "$dir/data" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?usage: postgres.sh stop DIR}" ;;
  *) echo "usage: postgres.sh start | stop DIR" >&2; exit 2 ;;
esac
