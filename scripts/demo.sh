#!/usr/bin/env bash
# make demo: start the built-in lab of emulated Windows hosts on loopback, scan it with the
# default safe checks, write demo/report.json and demo/report.html, print what was found, and
# prove it: every personality judged as its truth table says, and zero CRASH lines in the lab's
# log. Needs only Go; no root (high port, 127.0.0.x addresses).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/scan445}
FIRST=${DEMO_FIRST:-127.0.0.101}
PORT=${DEMO_PORT:-4445}
OUT=demo
mkdir -p "$OUT"
rm -f "$OUT"/report.* "$OUT"/lab-map.json "$OUT"/crash.log "$OUT"/lab.out

"$BIN" lab --listen "$FIRST" --port "$PORT" --map-json "$OUT/lab-map.json" \
  --crash-log "$OUT/crash.log" >"$OUT/lab.out" 2>&1 &
lab=$!
trap 'kill "$lab" 2>/dev/null || true; wait "$lab" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q 'hosts up' "$OUT/lab.out" 2>/dev/null && break
  kill -0 "$lab" 2>/dev/null || { cat "$OUT/lab.out"; echo "demo: the lab did not start" >&2; exit 1; }
  sleep 0.1
done
echo "== the lab (address → personality → what a correct scanner must conclude)"
sed -n '1,/hosts up/p' "$OUT/lab.out" | cut -c1-160
hosts=$(grep -c '"addr"' "$OUT/lab-map.json")
last=$(python3 -c "import ipaddress,sys;print(ipaddress.ip_address('$FIRST')+$hosts-1)" 2>/dev/null || echo "")
[ -n "$last" ] || last="${FIRST%.*}.$(( ${FIRST##*.} + hosts - 1 ))"

echo
echo "== scan445 scan $FIRST-${last##*.} --port $PORT (default safe checks)"
set +e
"$BIN" scan "$FIRST-${last##*.}" --port "$PORT" --no-shuffle --host-timeout 8s --timeout 2s \
  --json "$OUT/report.json" --html "$OUT/report.html" --csv "$OUT/report.csv" --fail-on exposed
scan_rc=$?
set -e
echo "(scan exit code $scan_rc: 1 means findings at or above --fail-on exposed, as expected here)"
[ "$scan_rc" -le 1 ] || { echo "demo: the scan failed" >&2; exit 1; }

kill "$lab"; wait "$lab" 2>/dev/null || true
trap - EXIT
echo
echo "== does the report match the lab's truth tables? (and did anything crash?)"
"$BIN" lab-check --map "$OUT/lab-map.json" --crash-log "$OUT/crash.log" "$OUT/report.json" |
  awk '/MISMATCH/ || /^lab-check:/ || /^lab logged:/ || NR==1'
"$BIN" lab-check --map "$OUT/lab-map.json" --crash-log "$OUT/crash.log" "$OUT/report.json" >/dev/null

# The sensor: scan445 watch on four unused loopback addresses (declared dark), while the lab's
# simulator plays three Conficker-infected hosts (random addresses, then the MS08-067 exploit
# path to whatever answers — only loopback) and two ordinary clients of one server.
WNET=${DEMO_WATCH_NET:-127.0.9}
WPORT=${DEMO_WATCH_PORT:-4446}
sensor="$WNET.1:$WPORT,$WNET.2:$WPORT,$WNET.3:$WPORT,$WNET.4:$WPORT"
rm -f "$OUT"/watch.* "$OUT"/watch-events.ndjson "$OUT"/sim-crash.log
echo
echo "== scan445 watch --listen $sensor (a sensor), with 3 simulated Conficker hosts and 2 ordinary clients"
"$BIN" watch --listen "$sensor" --dark "$WNET.0/26" --duration 14s --events "$OUT/watch-events.ndjson" \
  --json "$OUT/watch.json" --html "$OUT/watch.html" >"$OUT/watch.out" 2>&1 &
watch=$!
trap 'kill "$watch" 2>/dev/null || true' EXIT
sleep 1
"$BIN" lab --listen "$WNET.101" --port "$WPORT" --crash-log "$OUT/sim-crash.log" \
  --scanners 3 --clients 2 --scan-range "$WNET.0/24" --scan-port "$WPORT" \
  --scan-first "$WNET.1,$WNET.2,$WNET.3,$WNET.4" --servers "$WNET.1:$WPORT" --sources "$WNET.210" \
  --scan-rate 20 --duration 10s 2>&1 | grep '^sim: [0-9]' || true
wait "$watch" || { cat "$OUT/watch.out"; echo "demo: the sensor failed" >&2; exit 1; }
trap - EXIT
grep -v '^time=' "$OUT/watch.out"
infected=$(grep -c '^infected ' "$OUT/watch.out" || true)
others=$(grep -cE '^(suspect|unknown) ' "$OUT/watch.out" || true)
if [ "$infected" -ne 3 ] || [ "$others" -ne 0 ]; then
  echo "demo: the sensor reported $infected infected and $others other sources, want 3 and 0" >&2
  exit 1
fi
echo "(the simulated worm also attacked the emulated lab hosts: the unpatched ones logged CRASH in"
echo " $OUT/sim-crash.log, as the real exploit would crash them — scan445 scan never does)"

echo
echo "demo: reports in $OUT/report.json, $OUT/report.html, $OUT/report.csv — all verdicts match, zero CRASH lines."
echo "demo: the sensor found the 3 infected sources and no ordinary client: $OUT/watch.json, $OUT/watch.html (chart)."
