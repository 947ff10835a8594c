#!/usr/bin/env bash
# Instructions per request, counted by callgrind in windows of one long-lived server: the
# server starts with instrumentation off (start-up under full instrumentation takes many
# minutes on a loaded 2-core machine), gets WARMUP sequential keep-alive requests, then for
# each of WINDOWS windows: counters zeroed, instrumentation on, N requests, instrumentation
# off, counters dumped. Each window's Ir / N is one reading; the spread of the readings shows
# how repeatable they are (a late JIT tier-up or a major GC lands in one window only), and
# the median is reported. Same servers as bench/instructions.sh (bench/servers/variants.ts).
# Usage: bench/instructions-windows.sh ROUTE VARIANT [VARIANT...]
#   env: WARMUP (1500), N (500), WINDOWS (5), PORT_BASE (39300), STARTUP_S (900), SERVER_NODE_FLAGS,
#        KEEP_DUMPS (a directory to keep each window's callgrind dump in, for callgrind_annotate)
# Time-driven work (timers, V8's background compilation still going on after the warm-up)
# lands in whichever window it falls in: read the windows, not only the median, and split a
# window's dump by function (callgrind_annotate) to set the compilers' share apart.
# GC: under valgrind's slowdown V8 may read a low allocation throughput and shrink the young
# generation (to 1 MiB; it sits at 16 MiB at full speed), after which scavenges, each with a
# fixed ~0.5 M instructions of root visiting, come 10-50 times as often: one arm had 14-18 per
# window of 2,000 GET /hello, another 1-2. Compare GC shares only between windows with the same
# scavenge count (callgrind_annotate --tree=caller, calls of Heap::PerformGarbageCollection),
# or measure GC natively (--trace-gc-nvp). SERVER_NODE_FLAGS passes flags to the server's
# node; pinning with --min-semi-space-size=16 is no cure: on Node 24 it added ~35 k
# instructions per request to every arm (object literals defined through the runtime).
set -euo pipefail
cd "$(dirname "$0")/.."
route=${1:?route: hello or json}; shift
WARMUP=${WARMUP:-1500}; N=${N:-500}; WINDOWS=${WINDOWS:-5}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

port=${PORT_BASE:-39300}
for variant in "$@"; do
  VARIANT=$variant PORT=$port valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/cg.$variant" \
    node ${SERVER_NODE_FLAGS:-} --conditions=source --import tsx bench/servers/variants.ts >/dev/null 2>"$tmp/err.$variant" &
  pid=$!
  pids+=("$pid")
  up=
  for _ in $(seq 1 "${STARTUP_S:-900}"); do
    sleep 1
    if curl -sf -o /dev/null "http://127.0.0.1:$port/$route"; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
  done
  if [ -z "$up" ]; then echo "instructions: $variant did not start:" >&2; cat "$tmp/err.$variant" >&2; exit 1; fi
  node bench/lib/sequential-client.mjs "$port" "$WARMUP" "$route"
  readings=()
  for w in $(seq 1 "$WINDOWS"); do
    callgrind_control -z "$pid" >/dev/null 2>&1
    callgrind_control -i on "$pid" >/dev/null 2>&1
    node bench/lib/sequential-client.mjs "$port" "$N" "$route"
    callgrind_control -i off "$pid" >/dev/null 2>&1
    callgrind_control -d "window$w" "$pid" >/dev/null 2>&1
    file=$(ls -t "$tmp"/cg."$variant".* | head -1)
    ir=$(grep -E '^totals:' "$file" | head -1 | awk '{print $2}')
    echo "  $variant window $w: $((ir / N)) instructions per request" >&2
    readings+=($((ir / N)))
    [ -n "${KEEP_DUMPS:-}" ] && cp -p "$file" "$KEEP_DUMPS/"
  done
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  sorted=$(printf '%s\n' "${readings[@]}" | sort -n | tr '\n' ' ')
  median=$(printf '%s\n' "${readings[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
  echo "$route $variant: median $median instructions per request over $WINDOWS windows of $N (sorted: $sorted)"
  port=$((port + 1))
done
