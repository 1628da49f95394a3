#!/usr/bin/env bash
# Soak (issue 21, point 6): MINUTES (default 30) of mixed load on the product, with every server
# process sampled each minute; one line a minute, a summary at the end, the samples in a CSV
# file it names. Exits 0 when memory and descriptors stay bounded (the rule below), 2 when not.
#
#   benches/soak.sh                                  the full soak: 30 minutes, 2,000 sockets
#   MINUTES=3 SOCKETS=500 benches/soak.sh            a short try
#
# The layout: PostgreSQL, two `apo-dashboard serve` replicas and nginx in front, as
# scripts/replicas starts them (SOAK_LAYOUT=replicas, the default; it needs nginx), or one server
# (SOAK_LAYOUT=single; SOAK_DB=sqlite for SQLite instead of PostgreSQL). Release builds of
# apo-dashboard and apo-loadgen (SOAK_BIN and SOAK_LOADGEN name other builds).
#
# The load, all at once, through the proxy (apo-loadgen soak, benches/loadgen/soak/):
# - reads: GET /api/v1/dashboard, /members, /key_results, /primers/{iso3} in turn, READS_PER_SECOND
#   (default 20) in all, at scheduled times;
# - writes: POST /api/v1/actuals, one valid report of the demo data each (every key result, every
#   cycle year, values within its range, as benches/ingest/bodies.py), each sent by its member's
#   editor (21 editor tokens, so the per-credential write limit stays the server's default) with
#   an Idempotency-Key, as the browser sends them. WRITES_PER_SECOND (default 4) for the first
#   half, SECOND_HALF_FACTOR (default 10) times that for the second.
#   Why 4 a second: the workshop is the drafting session of DESIGN.md ("Drafting", the 66th WSM):
#   21 delegations, one editor each (their delegation card), filling in primers and key results
#   in the room. A delegate saves a field as they leave it; typing a value or a sentence takes 5 s
#   or more, so 21 editors all typing at once save at most 21 / 5 ≈ 4 changes a second, and most
#   of a session is reading and talking. 4/s is the room at its busiest; 40/s is ten rooms, or a
#   room replaying an import.
# - SOCKETS (default 2000) live WebSocket clients (/api/v1/live) that read every frame and check
#   that each patch starts at the revision they hold; CHURN (default 0.1) of them a minute, spread
#   over the minute, close and come back 1-10 s later resuming from their revision (?since=R:
#   the server replays the patches it holds, else sends a snapshot);
# - at half time one replica (the only server, in the single layout) gets SIGTERM and is started
#   again: its sockets are closed (1001) and reconnect through the proxy with ?since=R, and the
#   samples show it as a new PID.
#
# Every minute, per server process: its PID, VmRSS and VmHWM (/proc/PID/status), open
# descriptors (/proc/PID/fd) and how many are sockets, connections and live sockets held
# (apo_http_connections_open and apo_live_viewers of its own /metrics), CPU used that minute; for
# the load: p50/p99 of the reads and of the acknowledged writes done that minute (from their
# scheduled time, so waiting counts), writes sent again, failures, what the sockets did (churned,
# dropped by the server, back by replay or by snapshot, patches that did not start at the
# client's revision).
#
# The rule (benches/loadgen/soak/verdict.rs), per replica, comparing the last round(M/6) minutes
# with minutes round(M/6)..round(M/3) (for 30 minutes: 26-30 against 5-10):
# - memory is "live sockets + a constant": the highest VmRSS of the last minutes is within
#   RSS_GROWTH_PCT % (default 10) of the highest of the early ones, plus SOCKET_KIB (default 32;
#   an idle socket costs about 7, DESIGN.md "Live") for each live socket it holds beyond what it
#   held then: the sockets of the restarted replica reconnect to the other one and come back
#   only as clients churn;
# - descriptors are "connections + a constant": the descriptors other than accepted connections
#   (fds - apo_http_connections_open: listeners, database connections, files) exceed the early
#   ones by at most FD_SLACK (default 24: the PostgreSQL pool, up to 16, opens more as the load
#   rises tenfold), and the connections other than live sockets (apo_http_connections_open -
#   apo_live_viewers: the proxy's kept-alive ones and requests in flight; nginx keeps up to 32
#   idle) by at most CONN_SLACK (default 64).
# A restarted replica's slot is judged across both processes (in the last minutes the new one is
# as old as the first was in the early ones). Writes that are never acknowledged (within 60 s,
# sent again every 5 s as the phone's outbox does) and reads that fail outside the restart's
# minute(s) fail the soak too.
#
# Other settings: SOAK_CSV (default benches/results/soak-DATE.csv; the lines go to the same name
# with .log), APO_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# MINUTE_SECS (a shorter "minute", to try the script itself out: not a soak), SOAK_SERVE_ARGS
# (more flags for every `serve`, split on spaces), SOAK_PORT (default 18600: the proxy; the
# replicas take the next two ports).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

minutes="${MINUTES:-30}"
sockets="${SOCKETS:-2000}"
csv="${SOAK_CSV:-benches/results/soak-$(date +%F-%H%M).csv}"
txt="${csv%.csv}.log"
layout="${SOAK_LAYOUT:-}"
if [ -z "$layout" ]; then
  if [ -x scripts/replicas ]; then layout=replicas; else layout=single; fi
fi

if [ -n "${SOAK_BIN:-}" ] && [ -n "${SOAK_LOADGEN:-}" ]; then
  bin="$SOAK_BIN"
  loadgen="$SOAK_LOADGEN"
else
  build
fi

work="$(mktemp -d)"
pg_url=""
replicas_pid=""
gen=""
# The servers: name -> address, PID (the file $work/NAME.pid holds the PID the samples read).
declare -A addr_of=() pid_of=()
cleanup() {
  local name pid
  [ -n "$gen" ] && kill "$gen" 2>/dev/null || true
  # A replica the soak restarted is its own child; the others belong to scripts/replicas.
  for name in "${!pid_of[@]}"; do
    pid="${pid_of[$name]}"
    if [ -e "$work/$name.mine" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$replicas_pid" ]; then
    kill -TERM "$replicas_pid" 2>/dev/null || true
    wait "$replicas_pid" 2>/dev/null || true
  fi
  [ -n "$pg_url" ] && drop_postgres "$pg_url" || true
  rm -rf "$work"
}
trap cleanup EXIT

note() { printf '%s\n' "$*" | tee -a "$txt"; }

# 200 from http://ADDR/readyz (the server's readiness: its database answers).
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$1/readyz")" = 200 ]; }
wait_ready() {
  for _ in $(seq 1 600); do ready "$1" && return 0; sleep 0.1; done
  echo "nothing ready at $1 within 60 s" >&2
  exit 1
}

# restart NAME: SIGTERM to the server process, as systemd stops it; once it has exited, the same
# command with the same environment (read from /proc before the stop) is started again, as a
# service manager restarts it. Its new PID goes to $work/NAME.pid.
restart() {
  local name="$1" pid="${pid_of[$1]}" addr="${addr_of[$1]}" argv=() envv=() t0 rc=""
  mapfile -d '' argv <"/proc/$pid/cmdline"
  mapfile -d '' envv <"/proc/$pid/environ"
  t0=$(date +%s.%N)
  kill -TERM "$pid"
  # Its own child is reaped here (and says its status); another's is watched until gone.
  if wait "$pid" 2>/dev/null; then rc=0; else rc=$?; [ "$rc" = 127 ] && rc=""; fi
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  note "# $name (pid $pid) stopped by SIGTERM in $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.2f') s${rc:+, exit status $rc}"
  t0=$(date +%s.%N)
  env -i "${envv[@]}" "${argv[@]}" >>"$work/$name.log" 2>&1 &
  pid_of[$name]=$!
  touch "$work/$name.mine"
  wait_ready "$addr"
  echo "${pid_of[$name]}" >"$work/$name.pid"
  note "# $name started again: pid ${pid_of[$name]}, ready in $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.2f') s"
}

mkdir -p "$(dirname "$csv")"
: >"$txt"
read -r -a serve_args <<<"${SOAK_SERVE_ARGS:-}"
# The proxy on SOAK_PORT, the replicas on the next two ports (the one server: the next one).
port="${SOAK_PORT:-18600}"
case "$layout" in
  replicas)
    # scripts/replicas starts them (and is the layout tests/api/replicas.rs checks); the soak
    # gives it the database, so that it can drop it, and ports of its own.
    pg_url="$(fresh_postgres)"
    db_url="$pg_url"
    for p in 0 1 2; do port_free "127.0.0.1:$((port + p))"; done
    DATABASE_URL="$pg_url" APO_BIN="$bin" APO_PROXY_ADDR="127.0.0.1:$port" \
      APO_REPLICA_PORTS="$((port + 1)),$((port + 2))" scripts/replicas "${serve_args[@]}" \
      >"$work/replicas.out" 2>&1 &
    replicas_pid=$!
    for _ in $(seq 1 1200); do
      grep -qs '^Ctrl-C stops' "$work/replicas.out" && break
      if ! kill -0 "$replicas_pid" 2>/dev/null; then cat "$work/replicas.out" >&2; exit 1; fi
      sleep 0.1
    done
    grep -q '^Ctrl-C stops' "$work/replicas.out" || { cat "$work/replicas.out" >&2; exit 1; }
    for n in 1 2; do
      pid_of[r$n]="$(sed -n "s/^replica $n: .*(pid \([0-9]*\),.*/\1/p" "$work/replicas.out")"
      addr_of[r$n]="127.0.0.1:$((port + n))"
      echo "${pid_of[r$n]}" >"$work/r$n.pid"
    done
    entry="127.0.0.1:$port"
    restart_one=r1
    ;;
  single)
    if [ "${SOAK_DB:-postgres}" = sqlite ]; then
      db_url="sqlite://$work/soak.db"
    else
      pg_url="$(fresh_postgres)"
      db_url="$pg_url"
    fi
    entry="127.0.0.1:$((port + 1))"
    port_free "$entry"
    RUST_LOG=warn "$bin" serve --demo --addr "$entry" --database-url "$db_url" \
      "${serve_args[@]}" >>"$work/app.log" 2>&1 &
    pid_of[app]=$!
    addr_of[app]="$entry"
    touch "$work/app.mine"
    echo "${pid_of[app]}" >"$work/app.pid"
    wait_ready "$entry"
    restart_one=app
    ;;
  *)
    echo "unknown SOAK_LAYOUT $layout (replicas or single)" >&2
    exit 1
    ;;
esac
APO_TOKEN="$("$bin" token create --role secretariat --label soak --database-url "$db_url" 2>"$work/token.err" |
  tail -n1 | awk '{print $NF}')" || { cat "$work/token.err" >&2; exit 1; }
export APO_TOKEN

servers=()
for name in $(printf '%s\n' "${!addr_of[@]}" | sort); do
  servers+=(--server "$name=$work/$name.pid=${addr_of[$name]}")
done

{
  echo "# soak: $minutes minutes, layout $layout on ${db_url%%:*}; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $bin, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (src changed)')"
} | tee -a "$txt"

mkfifo "$work/lines"
"$loadgen" soak --url="http://$entry" --minutes="$minutes" --sockets="$sockets" \
  --churn="${CHURN:-0.1}" --reads-per-second="${READS_PER_SECOND:-20}" \
  --writes-per-second="${WRITES_PER_SECOND:-4}" --second-half-factor="${SECOND_HALF_FACTOR:-10}" \
  --rss-growth-pct="${RSS_GROWTH_PCT:-10}" --socket-kib="${SOCKET_KIB:-32}" \
  --fd-slack="${FD_SLACK:-24}" --conn-slack="${CONN_SLACK:-64}" \
  ${MINUTE_SECS:+--minute-secs="$MINUTE_SECS"} \
  --csv="$csv" "${servers[@]}" >"$work/lines" 2>&1 &
gen=$!
while IFS= read -r line; do
  printf '%s\n' "$line" | tee -a "$txt"
  if [[ "$line" == "# half time"* ]]; then restart "$restart_one"; fi
done <"$work/lines"
rc=0
wait "$gen" || rc=$?
gen=""
if [ "$rc" != 0 ]; then
  # The servers' last words (the replicas' logs are in scripts/replicas' folder).
  for log in "$work"/*.log $( [ -e "$work/replicas.out" ] && sed -n 's/.*, log \([^)]*app[0-9]*\.log\)).*/\1/p' "$work/replicas.out"); do
    [ -s "$log" ] || continue
    echo "--- the end of $log:" >&2
    tail -n 6 "$log" | cut -c1-400 >&2
  done
fi
echo "# samples: $csv; these lines: $txt" >&2
exit "$rc"
