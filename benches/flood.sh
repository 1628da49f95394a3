#!/usr/bin/env bash
# The connection flood of issue 19 against our release server (fresh SQLite database, default
# flags): 20,200 sockets that connect and send nothing, then 20,200 kept-alive HTTP/1.1 clients
# that ask once and then sit idle, each held 20 s once all are open; /healthz asked on a new connection
# every 50 ms throughout (latency p50/p99/max, failures), the server's VmRSS before, at its
# peak and 30 s after the sockets are closed. The sockets are opened by 4 client processes,
# since one process's descriptors (`ulimit -Hn`) would not hold them all. Prints one JSON line
# per phase, then the server's edge counters from /metrics. Takes about two minutes.
#
#   benches/flood.sh [flood_client.py flags...]   e.g. --connections 5000 --phases idle
#   FLOOD_BIN=path benches/flood.sh               measures another build of the server
#   FLOOD_SERVE_FLAGS="--max-http-connections 5000" benches/flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apo-dashboard/target}"
ulimit -n "$(ulimit -Hn)"
if [ -z "${FLOOD_BIN:-}" ]; then
  cargo build --release --locked --bin apo-dashboard >&2
  FLOOD_BIN="$CARGO_TARGET_DIR/release/apo-dashboard"
fi
addr=127.0.0.1:18190
metrics=127.0.0.1:18191
if curl -s -o /dev/null "http://$addr/"; then
  echo "something already answers on $addr: stop it first" >&2
  exit 1
fi
work="$(mktemp -d)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck disable=SC2086
RUST_LOG=warn "$FLOOD_BIN" serve --addr "$addr" --metrics-addr "$metrics" \
  --database-url "sqlite://$work/flood.db" ${FLOOD_SERVE_FLAGS:-} 2>"$work/server.log" >/dev/null &
server_pid=$!
for _ in $(seq 1 300); do
  curl -s -o /dev/null "http://$addr/healthz" && break
  sleep 0.1
done
echo "{\"machine\":\"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB\",\"server_fd_limit\":$(awk '/Max open files/{print $4}' "/proc/$server_pid/limits"),\"client_fd_limit\":$(ulimit -n)}"
python3 benches/flood_client.py --port "${addr##*:}" --pid "$server_pid" "$@"
curl -s "http://$metrics/metrics" | grep -E '^(apo_http_connections|apo_http_requests_timed_out|apo_http_accept_errors|apo_descriptor_limit|process_max_fds)' | tr '\n' ' '
echo
echo "server log: $(grep -c . "$work/server.log") lines; accept errors logged: $(grep -c 'accept' "$work/server.log" || true)"
kill -TERM "$server_pid"
wait "$server_pid" && echo "server stopped on SIGTERM with status 0"
server_pid=""
