#!/usr/bin/env bash
# bench_pgbench.sh measures, in one run on the PostgreSQL server of $LOYALTY_PG_DSN, the
# throughput of pgbench's simple-update transaction (pgbench -N -c 8, the floor for a durable
# write) and of BenchmarkPostgresEarn and BenchmarkPostgresEarnUncached (a points earning
# per posting, 8 clients; the second without the balance rows the store remembers), and
# prints them and their ratios (issue 9 asks for earn/pgbench >= 0.5).
#
#   LOYALTY_PG_DSN=postgres://user@127.0.0.1:5432/db?sslmode=disable ./bench_pgbench.sh [seconds]
#
# pgbench runs in a scratch database (loyalty_pgbench_scratch, created and dropped here).
set -euo pipefail
: "${LOYALTY_PG_DSN:?set LOYALTY_PG_DSN to a PostgreSQL URI, e.g. postgres://user@127.0.0.1:5432/db?sslmode=disable}"
secs="${1:-10}"
bin="$(ls -d /usr/lib/postgresql/*/bin | tail -1)"
cd "$(dirname "$0")"

# The same server, another database: replace the URI's path.
scratch="loyalty_pgbench_scratch"
scratch_dsn="$(printf '%s' "$LOYALTY_PG_DSN" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$scratch#")"
case "$scratch_dsn" in
*"/$scratch" | *"/$scratch?"*) ;;
*)
	echo "bench_pgbench.sh: LOYALTY_PG_DSN must be a postgres:// URI (got a form this script cannot point at a scratch database)" >&2
	exit 1
	;;
esac
PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -q "$LOYALTY_PG_DSN" -c "DROP DATABASE IF EXISTS $scratch" -c "CREATE DATABASE $scratch" >/dev/null
trap 'PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -q "$LOYALTY_PG_DSN" -c "DROP DATABASE IF EXISTS $scratch" >/dev/null 2>&1 || true' EXIT

"$bin/pgbench" -i -s 1 -q "$scratch_dsn" >/dev/null 2>&1
# The ratio depends on how busy the machine is (the client competes with the server for the
# same cores, and pgbench's client costs little): print the load around the measurements.
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
pgbench_tps="$("$bin/pgbench" -N -c 8 -j 2 -T "$secs" "$scratch_dsn" 2>/dev/null |
	sed -nE 's/^tps = ([0-9.]+).*/\1/p' | tail -1)"

# Both earn benchmarks: the store as it is (it remembers the balance rows it wrote, so a
# holder's later earnings skip reading the row) and without that memory (every earning
# reads its holder's row first, as when another instance wrote it last).
earn_out="$(go test -run '^$' -bench '^BenchmarkPostgresEarn(Uncached)?$' -benchtime "${secs}s" -count 1 .)"
earn_tps="$(printf '%s\n' "$earn_out" | sed -nE 's/^BenchmarkPostgresEarn-.* ([0-9.]+) earns\/s.*/\1/p' | tail -1)"
uncached_tps="$(printf '%s\n' "$earn_out" | sed -nE 's/^BenchmarkPostgresEarnUncached-.* ([0-9.]+) earns\/s.*/\1/p' | tail -1)"
printf '%s\n' "$earn_out" | grep -E '^Benchmark' || true

if [ -z "$pgbench_tps" ] || [ -z "$earn_tps" ] || [ -z "$uncached_tps" ]; then
	echo "bench_pgbench.sh: could not read the throughputs (pgbench: '$pgbench_tps', earn: '$earn_tps', uncached: '$uncached_tps')" >&2
	exit 1
fi
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
echo "pgbench -N -c 8 -j 2 -T $secs: $pgbench_tps tps"
echo "BenchmarkPostgresEarn (8 clients, ${secs}s): $earn_tps earns/s"
echo "BenchmarkPostgresEarnUncached (8 clients, ${secs}s): $uncached_tps earns/s"
awk -v e="$earn_tps" -v u="$uncached_tps" -v p="$pgbench_tps" 'BEGIN {
	printf "ratio earn/pgbench: %.2f (target >= 0.5); without the remembered rows: %.2f\n", e / p, u / p
}'
