#!/bin/sh
# Regenerates ports_vectors.txt from nmap's p2p-conficker script, run under a fixed clock.
# Needs root (port 445), nmap 7.93, faketime, python3. Touches only 127.0.0.1.
# Usage: sh gen_vectors.sh > ports_vectors.txt
set -eu
LISTEN=127.0.0.1
ADDRS="10.1.2.3 1.2.3.4 192.168.1.65 172.16.5.9 8.8.8.8 127.0.0.1 203.0.113.77 198.51.100.200 0.0.0.0 255.255.255.255"
DATES="2009-04-01T00:00:00Z 2024-02-29T12:00:00Z 2026-11-27T12:00:00Z"

# The script runs only when the target has 445 open: a throw-away listener provides that.
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$LISTEN', 445)); s.listen(64); time.sleep(900)" &
LPID=$!
trap 'kill $LPID' EXIT
sleep 1

nmapver=$(nmap --version | head -1)
echo "# Conficker P2P port vectors computed by nmap's p2p-conficker script (independent of our code)."
echo "# Generator: smbprobe/p2p/testdata/gen_vectors.sh ($nmapver, faketime $(dpkg-query -W -f '${Version}' faketime 2>/dev/null || echo '?'))"
echo "# Per vector, the exact command was:"
echo "#   FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '@<DATE as YYYY-MM-DD hh:mm:ss, UTC>' \\"
echo "#     nmap -Pn -n -sT -p445 -d -vv --script p2p-conficker --script-args realip=<ADDR> $LISTEN"
echo "# (TZ=UTC), with a listener on $LISTEN:445."
echo "# seed is the week the script printed in its debug line; nmap probes its port sets in Lua"
echo "# table order, so tcp and udp are unordered pairs (port0/port2 and port1/port3 in some order)."
echo "# addr date seed tcp=a,b udp=c,d"
for d in $DATES; do
  fd=$(echo "$d" | sed 's/T/ /; s/Z$//')
  for a in $ADDRS; do
    out=$(TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "@$fd" \
      nmap -Pn -n -sT -p445 -d -vv --script p2p-conficker --script-args realip=$a $LISTEN 2>&1)
    seed=$(echo "$out" | sed -n 's/.*Generating ports based on ip (0x[0-9a-f]*) and seed (\([0-9]*\)).*/\1/p' | head -1)
    tcp=$(echo "$out" | sed -n 's/.*Check [0-9]* (port \([0-9]*\)\/tcp).*/\1/p' | paste -sd, -)
    udp=$(echo "$out" | sed -n 's/.*Check [0-9]* (port \([0-9]*\)\/udp).*/\1/p' | paste -sd, -)
    echo "$a $d $seed tcp=$tcp udp=$udp"
  done
done
