#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable whatever else the
# machine is doing, unlike req/s on a shared 2-core box. For each variant of
# bench/servers/variants.ts it runs the server twice under callgrind (N1 and N2 sequential
# requests over one keep-alive connection, each after the same WARMUP requests) and reports
# (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and most JIT compilation (which goes on for the
# first thousand-odd requests and would otherwise be charged to them) cancel out.
# Needs valgrind (Debian: apt-get install valgrind). Takes several minutes per variant.
# Usage: bench/instructions.sh ROUTE VARIANT [VARIANT...]   e.g. bench/instructions.sh json bare als full
set -euo pipefail
cd "$(dirname "$0")/.."
route=${1:?route: hello or json}; shift
WARMUP=${WARMUP:-1500}; N1=${N1:-0}; N2=${N2:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() { # variant n port -> total Ir
  local variant=$1 n=$2 port=$3
  VARIANT=$variant PORT=$port timeout 2400 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$variant.$n" \
    node --conditions=source --import tsx bench/servers/variants.ts >/dev/null 2>"$tmp/err.$variant.$n" &
  local pid=$!
  # Start-up under callgrind (tsx, OpenTelemetry's modules) takes minutes on a loaded machine.
  local up=
  for _ in $(seq 1 "${STARTUP_S:-900}"); do
    sleep 1
    if curl -sf -o /dev/null "http://127.0.0.1:$port/$route"; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
  done
  if [ -z "$up" ]; then
    echo "instructions: $variant (n=$n) did not start on port $port:" >&2; cat "$tmp/err.$variant.$n" >&2
    kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    return 1
  fi
  node bench/lib/sequential-client.mjs "$port" $((WARMUP + n)) "$route"
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  grep -E '^summary:' "$tmp/cg.$variant.$n" | awk '{print $2}'
}

port=${PORT_BASE:-39300}
for variant in "$@"; do

  a=$(count "$variant" "$N1" $((port++)))
  b=$(count "$variant" "$N2" $((port++)))
  echo "$route $variant: $(( (b - a) / (N2 - N1) )) instructions per request (Ir $a at +$N1, $b at +$N2)"
done
