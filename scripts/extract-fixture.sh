#!/bin/sh
# extract-fixture.sh CAPTURE FRAME [--smb]
#
# Prints one frame's TCP payload of a capture under testdata/pcaps as a fixture file in the
# annotated-hex form the tests read (internal/testpeer.DecodeHex): a header line naming the
# capture and frame, then the bytes. --smb drops the 4-byte NetBIOS session header.
# internal/repocheck holds every fixture to the frame its header names.
#
#   scripts/extract-fixture.sh xp-server_smb1_ntlmssp_srvsvc-NetShareEnumAll__zeek.pcap 17 \
#       > smbprobe/smb1/testdata/xp_negotiate_resp.hex
set -eu
[ $# -ge 2 ] || { echo "usage: $0 CAPTURE FRAME [--smb]" >&2; exit 2; }
dir=$(cd "$(dirname "$0")/.." && pwd)/testdata/pcaps
cap=$1 frame=$2 strip=${3:-}
[ -f "$dir/$cap" ] || { echo "$0: no capture $dir/$cap" >&2; exit 2; }
hex=$(tshark -r "$dir/$cap" -Y "frame.number == $frame" -T fields -e tcp.payload | tr -d ':,\n')
[ -n "$hex" ] || { echo "$0: frame $frame of $cap has no TCP payload" >&2; exit 1; }
if [ "$strip" = "--smb" ]; then
	echo "# $cap frame $frame (TCP payload without the NetBIOS header)"
	echo "$hex" | cut -c9-
else
	echo "# $cap frame $frame (TCP payload: NetBIOS header + SMB)"
	echo "$hex"
fi
