# Shared by the live bench drivers (benches/live.sh, ab-live.sh, notify-storm.sh): the release
# build, and a server started on a fresh database, waited for and stopped. Source it; it does
# nothing by itself.
#
#   build            builds apo-dashboard and apo-loadgen (release); sets $bin and $loadgen
#   port_free ADDR   fails when something already answers on ADDR (it would be measured)
#   serve_on URL ADDR BINARY [ENV=VALUE...] -- [serve flags...]
#                    starts BINARY serve --demo on ADDR over the database URL (under the
#                    command in the array $pin, e.g. pin=(taskset -c 0)); sets $server_pid
#   stop_server      stops it
#   fresh_postgres   a new PostgreSQL database next to $APO_BENCH_POSTGRES_URL; prints its URL
#   drop_postgres URL

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apo-dashboard/target}"
# 19,000 sockets need as many descriptors in the server and in the load generator.
ulimit -n "$(ulimit -Hn)"
server_pid=""
pin=()

build() {
  cargo build --release --locked --bin apo-dashboard --bin apo-loadgen >&2
  bin="$CARGO_TARGET_DIR/release/apo-dashboard"
  loadgen="$CARGO_TARGET_DIR/release/apo-loadgen"
  # A build can leave tens of MB of dirty pages (85 MB once), which the kernel writes back
  # some 30 s later, during the first runs, beside the databases' fsyncs. Written now instead.
  # (On 2026-12-05 the first run after a build had p99 292 ms against about 11 ms next.)
  sync
}

port_free() {
  if curl -s -o /dev/null "http://$1/"; then
    echo "something already answers on $1: stop it first" >&2
    exit 1
  fi
}

wait_for() {
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://$1/" && return 0
    sleep 0.1
  done
  echo "server at $1 did not start" >&2
  exit 1
}

serve_on() {
  local url="$1" addr="$2" binary="$3"; shift 3
  local vars=() flags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do vars+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  flags=("$@")
  port_free "$addr"
  # Since access control, reports and sockets need a credential: a Secretariat token, which
  # the load generator reads from APO_TOKEN. (A binary from before has no `token` command and
  # ignores the header; APO_WRITES_PER_SECOND lifts the per-credential write limit.)
  if "$binary" token --help >/dev/null 2>&1; then
    APO_TOKEN="$("$binary" token create --role secretariat --label bench --database-url "$url" | tail -n1 | awk '{print $NF}')"
    export APO_TOKEN
  fi
  # (The dashboard pages are not needed here: no warning that they are not built.)
  "${pin[@]}" env "${vars[@]}" APO_WRITES_PER_SECOND=1000000 RUST_LOG=warn,apo_dashboard::http::site=error "$binary" serve --demo \
    --addr "$addr" --database-url "$url" --max-connections 30000 "${flags[@]}" >/dev/null 2>&1 &
  server_pid=$!
  wait_for "$addr"
}

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

fresh_postgres() {
  local admin="${APO_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  local name="apo_bench_$$_$RANDOM"
  psql -q "$admin" -c "CREATE DATABASE $name" >/dev/null
  echo "${admin%/*}/$name"
}

drop_postgres() {
  local admin="${APO_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  psql -q "$admin" -c "DROP DATABASE ${1##*/} WITH (FORCE)" >/dev/null
}
