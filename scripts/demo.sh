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
echo
echo "demo: reports in $OUT/report.json, $OUT/report.html, $OUT/report.csv — all verdicts match, zero CRASH lines."
