package testpeer

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// ndrString is a conformant varying wchar_t string with its NUL, padded to 4 (MS-RPCE 14.3.4).
func ndrString(s string) []byte {
	u := utf16.Encode([]rune(s + "\x00"))
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(u)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(u)))
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// canonicalize is the Conficker probe of CHECKS.md §4a: ServerName "a", OutbufLen 2, Prefix
// `\`, PathType 1, Flags 1.
func canonicalize(path string) []byte {
	return cat(u32(0x00020000), ndrString("a"), ndrString(path), u32(2), ndrString(`\`), u32(1), u32(1))
}

// compare is nmap's MS08-067 probe (CHECKS.md §3c): never sent to a real host by our tests.
func compare(p1, p2 string) []byte {
	return cat(u32(0x00020000), ndrString("127.0.0.1"), ndrString(p1), ndrString(p2), u32(1), u32(0))
}

// TestImpacketSrvsvcEncoding checks the script's srvsvc replies byte by byte: the replies are
// the fixtures the differential test rests on, so they are pinned to the spec here, not to
// what scan445 happens to parse.
func TestImpacketSrvsvcEncoding(t *testing.T) {
	Need(t, "python3-impacket ("+Python+")", exec.Command(Python, "-c", "import impacket.smbserver").Run() == nil)
	script := filepath.Join(t.TempDir(), "impacket_smbserver.py")
	if err := os.WriteFile(script, impacketServerPy, 0o644); err != nil {
		t.Fatal(err)
	}
	nmapPath1 := `\` + strings.Repeat("A", 39) + `\..\n`
	getInfo101 := cat(u32(0x00020000), ndrString(`\\127.0.0.1`), u32(101))
	tests := []struct {
		name  string
		mode  ImpacketMode
		opnum int
		stub  []byte
		want  string // "response <hex>" or "fault <status>"
	}{
		// 16 bytes: MaxCount 2, Outbuf (2) + 2 NDR pad, PathType, WERROR.
		{"unpatched/dotdot", ImpacketXPUnpatched, 31, canonicalize(`\..\`), "response 02000000 00000000 01000000 7b000000"},
		{"unpatched/root", ImpacketXPUnpatched, 31, canonicalize(`\`), "response 02000000 5c000000 01000000 00000000"},
		{"patched/dotdot", ImpacketXPPatched, 31, canonicalize(`\..\`), "response 02000000 00000000 01000000 7b000000"},
		{"patched/root", ImpacketXPPatched, 31, canonicalize(`\`), "response 02000000 5c000000 01000000 00000000"},
		{"clean-bts/root", ImpacketXPCleanBTS, 31, canonicalize(`\`), "response 02000000 00000000 01000000 4b080000"},
		{"clean-bts/dotdot", ImpacketXPCleanBTS, 31, canonicalize(`\..\`), "response 02000000 00000000 01000000 7b000000"},
		{"conficker/dotdot", ImpacketConfickerABC, 31, canonicalize(`\..\`), "response 02000000 00000000 01000000 57000000"},
		{"conficker/root", ImpacketConfickerABC, 31, canonicalize(`\`), "response 02000000 5c000000 01000000 00000000"},
		{"unpatched/compare", ImpacketXPUnpatched, 32, compare(nmapPath1, `\n`), "response 00000000"},
		{"patched/compare", ImpacketXPPatched, 32, compare(nmapPath1, `\n`), "response 7b000000"},
		{"clean-bts/compare", ImpacketXPCleanBTS, 32, compare(nmapPath1, `\n`), "response 7b000000"},
		{"conficker/compare", ImpacketConfickerABC, 32, compare(nmapPath1, `\n`), "response 57000000"},
		{"patched/compare-equal", ImpacketXPPatched, 32, compare(`\a\b`, `\A\B`), "response 00000000"},
		// level, referent, platform 500, name referent, 5, 1, type 0x00051003, comment referent,
		// "IMPXP" (6 chars with NUL), "" (1 char + 2 pad), WERROR 0.
		{"getinfo/101", ImpacketXPPatched, 21, getInfo101, "response 65000000 00000200 f4010000 04000200 05000000 01000000 03100500 08000200" +
			" 06000000 00000000 06000000 49004d00 50005800 50000000" +
			" 01000000 00000000 01000000 00000000 00000000"},
		{"getinfo/102", ImpacketXPPatched, 21, cat(u32(0x00020000), ndrString(`\\127.0.0.1`), u32(102)), "response 66000000 00000000 7c000000"},
		{"unknown-opnum", ImpacketXPPatched, 28, cat(u32(0)), "fault 1c010002"},
		{"truncated-stub", ImpacketXPPatched, 31, canonicalize(`\`)[:20], "fault 000006f7"},
		{"faults/getinfo", ImpacketFaults, 21, getInfo101, "fault 000006f7"},
		{"faults/canonicalize", ImpacketFaults, 31, canonicalize(`\..\`), "fault 000006f7"},
	}
	// One interpreter per mode (they take ~0.3 s each to start): every stub of the mode in turn.
	byMode := map[ImpacketMode][]int{}
	for i, tc := range tests {
		byMode[tc.mode] = append(byMode[tc.mode], i)
	}
	for mode, idx := range byMode {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := []string{script, "--mode", string(mode)}
			for _, i := range idx {
				args = append(args, "--encode", strconv.Itoa(tests[i].opnum)+":"+hex.EncodeToString(tests[i].stub))
			}
			out, err := exec.CommandContext(ctx, Python, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(idx) {
				t.Fatalf("%d replies for %d stubs:\n%s", len(lines), len(idx), out)
			}
			for j, i := range idx {
				kind, want, _ := strings.Cut(tests[i].want, " ")
				want = kind + " " + strings.ReplaceAll(want, " ", "")
				if got := strings.TrimSpace(lines[j]); got != want {
					t.Errorf("%s:\n got  %s\n want %s", tests[i].name, got, want)
				}
			}
		})
	}
}

func TestListeningLine(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want string
		ok   bool
	}{
		{"INFO x\nLISTENING 127.0.0.1:4445\n", "127.0.0.1:4445", true},
		{"INFO Config file parsed\n", "", false},
		{"LISTENING nonsense\n", "", false},
	} {
		ap, ok := listeningLine([]byte(tc.out))
		if ok != tc.ok || (ok && ap != netip.MustParseAddrPort(tc.want)) {
			t.Errorf("%q: %v %v, want %s %v", tc.out, ap, ok, tc.want, tc.ok)
		}
	}
}
