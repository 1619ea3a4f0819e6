#!/bin/sh
# What an idle install costs: one `threadline serve` on PostgreSQL with nothing to do, its CPU and that of every
# PostgreSQL process of the machine (run it on a quiet one) over 30 s, 15 s after the start, and the statements it
# runs a second (pg_stat_statements, when loaded). Polls are the cost: every loop that looks for work unwoken.
# Settings: BENCH_PG_URL (postgres://root@127.0.0.1:5432/postgres), BENCH_IDLE_SECONDS (30).
set -eu
cd "$(dirname "$0")/.."
PATH="$(sh scripts/node24.sh --bin-dir):$PATH"
admin=${BENCH_PG_URL:-postgres://root@127.0.0.1:5432/postgres}
seconds=${BENCH_IDLE_SECONDS:-30}
db=threadline_bench_idle_$$
dir=$(mktemp -d)
psql "$admin" -qc "create database $db" >/dev/null
url=$(printf '%s' "$admin" | sed "s#/[^/]*\$#/$db#")
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql "$admin" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
PORT=18555 HOST=127.0.0.1 LOG_LEVEL=warn LOG_PRETTY=false DATA_DIR="$dir" DATABASE_URL="$url" \
  SESSION_SECRET="$(head -c 36 /dev/urandom | base64 | tr -d '/+=\n')" INSTAGRAM_OAUTH_CLIENT_SECRET=bench-idle-secret \
  INSTAGRAM_API_URL=http://127.0.0.1:9 INSTAGRAM_GRAPH_URL=http://127.0.0.1:9 \
  node packages/server/src/main.ts serve >"$dir/log" 2>&1 &
pid=$!
sleep 15
kill -0 "$pid" 2>/dev/null || { echo "threadline did not start:"; tail -20 "$dir/log"; exit 1; }
ticks() {
  t=0
  for p in $pid $(pgrep -x postgres || true) $(pgrep -f '^postgres:' || true); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
calls() { psql "$admin" -Atc "select coalesce(sum(calls), 0) from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = '$db'" 2>/dev/null || echo -1; }
a=$(ticks); c0=$(calls)
sleep "$seconds"
b=$(ticks); c1=$(calls)
hz=$(getconf CLK_TCK)
echo "idle, one serve on PostgreSQL over ${seconds} s: $(( (b - a) * 1000 / hz / seconds )) ms CPU a second (Threadline + PostgreSQL)"
if [ "$c0" -ge 0 ] && [ "$c1" -ge 0 ]; then echo "statements a second: $(( (c1 - c0) / seconds ))"; else echo "statements a second: load pg_stat_statements to see them"; fi
