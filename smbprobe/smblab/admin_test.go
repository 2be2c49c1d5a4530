package smblab

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// credentialedPersonalities are the default personalities with an account, plus two test
// variants that require signing, so that the SMB1 and SMB2 signing paths run end to end.
func credentialedPersonalities(t testing.TB) []Personality {
	t.Helper()
	var ps []Personality
	for _, p := range DefaultPersonalities() {
		if p.Account != nil {
			ps = append(ps, p)
		}
	}
	xs := personality(t, "xp-sp3-patched")
	xs.Name, xs.SigningEnabled, xs.SigningRequired = "test-xp-sp3-signing-required", true, true
	vs := personality(t, "vista-sp1")
	vs.Name, vs.SigningEnabled, vs.SigningRequired = "test-vista-sp1-signing-required", true, true
	return append(ps, xs, vs)
}

// TestCredcheckReadsAdminShare runs the project's credentialed MS08-067 check against every
// credentialed personality over SMB1 (our client) and SMB2 (go-smb2): with the account it must
// read the generated netapi32.dll and reach the personality's CredTruth; with a wrong
// password it must stop at the logon.
func TestCredcheckReadsAdminShare(t *testing.T) {
	ps := credentialedPersonalities(t)
	want := map[string]Verdict{
		"xp-sp3-patched": Patched, "xp-no-browser": Vulnerable, "w2003-sp2-patched": Patched,
		"vista-sp1": Vulnerable, "vista-sp1-ldr-patched": Patched, "w2008-sp2": NotAffected,
		"test-xp-sp3-signing-required": Patched, "test-vista-sp1-signing-required": Vulnerable,
	}
	if len(ps) != len(want) {
		t.Fatalf("%d credentialed personalities, want %d", len(ps), len(want))
	}
	lab := startLab(t, Options{Personalities: ps})
	type readFn func(context.Context, net.Conn, string, credcheck.Credentials, time.Duration) (credcheck.Outcome, error)
	runs := map[string]int{}
	for _, h := range lab.Hosts() {
		p, _ := lab.Personality(h.Addr)
		if p.CredTruth != want[p.Name] || h.CredTruth != p.CredTruth {
			t.Errorf("%s: CredTruth %q (host %q), want %q", p.Name, p.CredTruth, h.CredTruth, want[p.Name])
		}
		if j := netapi.Judge(p.Netapi32); string(j.Status) != string(p.CredTruth) {
			t.Errorf("%s: netapi32 %s judges %s, CredTruth says %s", p.Name, p.Netapi32, j.Status, p.CredTruth)
		}
		fns := map[string]readFn{}
		if p.SMB1 {
			fns["SMB1"] = credcheck.ReadNetapiVersionSMB1
		}
		if len(p.SMB2Dialects) > 0 {
			fns["SMB2"] = credcheck.ReadNetapiVersionSMB2
		}
		for proto, fn := range fns {
			for _, tc := range []struct {
				name   string
				pass   string
				reason credcheck.Reason
			}{
				{"right password", p.Account.Password, credcheck.ReasonNone},
				{"wrong password", p.Account.Password + "x", credcheck.ReasonLogonFailure},
			} {
				runs[proto]++
				t.Run(p.Name+"/"+proto+"/"+tc.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					c, err := net.DialTimeout("tcp4", h.AddrPort().String(), 5*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					cred := credcheck.Credentials{User: p.Account.User, Password: tc.pass}
					out, err := fn(ctx, c, h.Addr.String(), cred, 15*time.Second)
					if err != nil || out.Reason != tc.reason {
						t.Fatalf("err %v reason %q detail %q; steps %+v", err, out.Reason, out.Detail, out.Steps)
					}
					if tc.reason != credcheck.ReasonNone {
						if out.Verdict != netapi.Unknown {
							t.Errorf("verdict %q after a refused logon", out.Verdict)
						}
						return
					}
					if string(out.Verdict) != string(p.CredTruth) || out.Judgement == nil || out.Judgement.Version != p.Netapi32 {
						t.Fatalf("verdict %q judgement %+v, want %q %s; steps %+v", out.Verdict, out.Judgement, p.CredTruth, p.Netapi32, out.Steps)
					}
					if size := int64(len(netapi.BuildTestPE(p.Netapi32))); out.FileSize != size || out.BytesRead == 0 || out.BytesRead > size {
						t.Errorf("file size %d, read %d bytes; the file has %d", out.FileSize, out.BytesRead, size)
					}
					if proto == "SMB1" && out.Signed != p.SigningRequired {
						t.Errorf("signed %v, signing required %v", out.Signed, p.SigningRequired)
					}
				})
			}
		}
	}
	// 8 personalities speak SMB1, 4 of them SMB2 too; two passwords each.
	if runs["SMB1"] != 16 || runs["SMB2"] != 8 {
		t.Errorf("runs %v", runs)
	}
	if c := lab.Crashes(); len(c) != 0 {
		t.Errorf("the credentialed check crashed hosts: %+v", c)
	}
}

// TestAdminShareRefusesAnonymous: a null session cannot connect to ADMIN$ (ACCESS_DENIED, as
// Windows answers it), whether or not the personality has an administrator account.
func TestAdminShareRefusesAnonymous(t *testing.T) {
	lab := startLab(t, Options{}, "xp-sp3-patched", "xp-sp2")
	for _, h := range lab.Hosts() {
		tc := dialTest(t, h.AddrPort().String())
		if _, _, err := tc.negotiate(); err != nil {
			t.Fatal(err)
		}
		if _, err := tc.nullSession(); err != nil {
			t.Fatal(err)
		}
		err := tc.treeConnect(`\\` + h.Addr.String() + `\ADMIN$`)
		if statusOf(err) != uint32(ntstatus.AccessDenied) {
			t.Errorf("%s: anonymous TREE_CONNECT ADMIN$: %v, want ACCESS_DENIED", h.Personality, err)
		}
		if err := tc.treeConnect(`\\` + h.Addr.String() + `\IPC$`); err != nil {
			t.Errorf("%s: anonymous IPC$ still works: %v", h.Personality, err)
		}
		tc.Close()
	}
}

// TestHostJSONCarriesCredentials: Host exposes the account, the file version and CredTruth
// for tests and the demo, and only on credentialed personalities.
func TestHostJSONCarriesCredentials(t *testing.T) {
	lab := startLab(t, Options{}, "vista-sp1", "xp-sp2")
	b, err := json.Marshal(lab.Hosts())
	if err != nil {
		t.Fatal(err)
	}
	var hosts []map[string]any
	if err := json.Unmarshal(b, &hosts); err != nil {
		t.Fatal(err)
	}
	acct, _ := hosts[0]["account"].(map[string]any)
	if acct["user"] != "labadmin" || acct["password"] != "Lab-Passw0rd!" || hosts[0]["cred_truth"] != "vulnerable" || hosts[0]["netapi32"] != "6.0.6001.18000" {
		t.Errorf("vista-sp1 host JSON: %s", b)
	}
	for _, k := range []string{"account", "cred_truth", "netapi32"} {
		if _, ok := hosts[1][k]; ok {
			t.Errorf("xp-sp2 has %q: %s", k, b)
		}
	}
}

func TestResolveAdminPath(t *testing.T) {
	for _, tc := range []struct {
		path    string
		hasFile bool
		obj     diskObject
		st      ntstatus.Status
	}{
		{`system32\netapi32.dll`, true, objNetapi, ntstatus.Success},
		{`\system32\netapi32.dll`, true, objNetapi, ntstatus.Success},
		{`SYSTEM32\NetApi32.DLL`, true, objNetapi, ntstatus.Success},
		{`system32/netapi32.dll`, true, objNetapi, ntstatus.Success},
		{"system32\\netapi32.dll\x00", true, objNetapi, ntstatus.Success},
		{``, true, objRoot, ntstatus.Success},
		{`\`, true, objRoot, ntstatus.Success},
		{`system32`, true, objSystem32, ntstatus.Success},
		{`system32\`, true, objSystem32, ntstatus.Success},
		{`system32\netapi32.dll`, false, 0, ntstatus.ObjectNameNotFound},
		{`system32\kernel32.dll`, true, 0, ntstatus.ObjectNameNotFound},
		{`explorer.exe`, true, 0, ntstatus.ObjectNameNotFound},
		{`system\netapi32.dll`, true, 0, ntstatus.ObjectPathNotFound},
		{`system32\drivers\etc\hosts`, true, 0, ntstatus.ObjectPathNotFound},
		{`system32\netapi32.dll\x`, true, 0, ntstatus.ObjectPathNotFound},
		{`system32\..\system32\netapi32.dll`, true, 0, ntstatus.ObjectNameInvalid},
		{`system32\\netapi32.dll`, true, 0, ntstatus.ObjectNameInvalid},
		{`system32\netapi32.dll:$DATA`, true, 0, ntstatus.ObjectNameInvalid},
		{`system32\*.dll`, true, 0, ntstatus.ObjectNameInvalid},
	} {
		obj, st := resolveAdminPath(tc.path, tc.hasFile)
		if obj != tc.obj || st != tc.st {
			t.Errorf("resolveAdminPath(%q, %v) = %d, %v; want %d, %v", tc.path, tc.hasFile, obj, st, tc.obj, tc.st)
		}
	}
}

// TestImpacketGetsNetapi32: impacket 0.10, a client the lab did not write, logs on as the
// account and downloads ADMIN$\system32\netapi32.dll over SMB1 and SMB2 with getFile; the
// bytes must be the generated PE. Anonymous-free refusals are checked too: a missing file is
// STATUS_OBJECT_NAME_NOT_FOUND.
func TestImpacketGetsNetapi32(t *testing.T) {
	lab := startLab(t, Options{}, "xp-sp3-patched", "vista-sp1")
	hosts := lab.Hosts()
	for _, tc := range []struct {
		host   int
		proto  string
		path   string
		getErr string
	}{
		{0, "smb1", `system32\netapi32.dll`, ""},
		{1, "smb1", `system32\netapi32.dll`, ""},
		{1, "smb2", `system32\netapi32.dll`, ""},
		{1, "smb2", `/System32/NETAPI32.dll`, ""},
		{0, "smb1", `system32\kernel32.dll`, "STATUS_OBJECT_NAME_NOT_FOUND"},
		{1, "smb2", `system\netapi32.dll`, "STATUS_OBJECT_PATH_NOT_FOUND"},
	} {
		h := hosts[tc.host]
		t.Run(h.Personality+"/"+tc.proto+"/"+tc.path, func(t *testing.T) {
			var r struct {
				Size     int    `json:"size"`
				Hex      string `json:"hex"`
				GetError string `json:"get_error"`
			}
			impacketJSON(t, &r, "impacket_client.py", h.Addr.String(), fmt.Sprint(h.Port), tc.proto,
				"--get", "ADMIN$", tc.path, h.Account.User, h.Account.Password)
			if tc.getErr != "" {
				if !strings.Contains(r.GetError, tc.getErr) {
					t.Errorf("get error %q, want %s", r.GetError, tc.getErr)
				}
				return
			}
			p, _ := lab.Personality(h.Addr)
			want := netapi.BuildTestPE(p.Netapi32)
			got, err := hex.DecodeString(r.Hex)
			if err != nil || r.GetError != "" || !bytes.Equal(got, want) {
				t.Fatalf("downloaded %d bytes (error %q), want the %d-byte PE of %s", r.Size, r.GetError, len(want), p.Netapi32)
			}
			v, err := netapi.ParseVersion(bytes.NewReader(got), int64(len(got)))
			if err != nil || v != p.Netapi32 {
				t.Errorf("impacket's copy parses as %v, %v", v, err)
			}
		})
	}
}

// Real Windows XP bytes from testdata/pcaps/xpsp3-client_xp-server_smb1_srvsvc-
// NetSrvGetInfo101__suricata-verify.pcap (NetBIOS headers removed): frame 1333, an XP SP3
// client's TREE_CONNECT_ANDX \\192.168.24.100\ADMIN$ (service "?????", extended response),
// and frame 1334, the XP server's answer.
const (
	xpAdminTreeReq  = "ff534d4275000000001807c80000000000000000000000000000fffe000891f304ff006200080001003700005c005c003100390032002e003100360038002e00320034002e003100300030005c00410044004d0049004e00240000003f3f3f3f3f00"
	xpAdminTreeResp = "ff534d4275000000009807c80000000000000000000000000208fffe000891f307ff003e000100ff010000ff0100000d00413a004e005400460053000000"
)

// adminSession is a session already logged on as the account (UID/SessionId 0x0800), the
// state a TREE_CONNECT reaches after SESSION_SETUP, for feeding captured requests directly.
func adminSession(p *Personality) *session {
	s := newSession(p, testBase(), time.Now)
	s.negotiate = true
	s.users[0x0800] = &user{done: true}
	return s
}

// TestAdminTreeConnectMatchesXP: the lab answers the captured XP client request with the
// captured XP server's words and bytes (OptionalSupport, both access masks, "A:", "NTFS").
// Header fields (Flags, TID) and the AndXOffset legitimately differ.
func TestAdminTreeConnectMatchesXP(t *testing.T) {
	p := personality(t, "xp-sp3-patched")
	s := adminSession(&p)
	req, _ := hex.DecodeString(xpAdminTreeReq)
	want, _ := hex.DecodeString(xpAdminTreeResp)
	replies, act := s.handle(req)
	if len(replies) != 1 || act.close {
		t.Fatalf("replies %d, action %+v", len(replies), act)
	}
	got := replies[0]
	if st := le.Uint32(got[5:]); st != 0 {
		t.Fatalf("status 0x%08x", st)
	}
	// From WordCount: skip AndXCommand/Reserved/AndXOffset (4 bytes), compare the rest.
	if g, w := got[smb1HeaderLen:], want[smb1HeaderLen:]; len(g) != len(w) || g[0] != w[0] || !bytes.Equal(g[5:], w[5:]) {
		t.Errorf("TREE_CONNECT_ANDX ADMIN$ reply\n got %x\nwant %x", g, w)
	}
	// An IPC service on ADMIN$ is the wrong device type.
	bad := bytes.Replace(req, []byte("?????\x00"), []byte("IPC\x00\x00\x00"), 1)
	replies, _ = s.handle(bad)
	if st := ntstatus.Status(le.Uint32(replies[0][5:])); st != ntstatus.BadDeviceType {
		t.Errorf("service IPC on ADMIN$: %v", st)
	}
}

// FuzzAdminShare feeds arbitrary requests to a session already logged on as the account and,
// in the seeds, connected to ADMIN$: the disk handlers must never panic and never answer
// beyond a frame.
func FuzzAdminShare(f *testing.F) {
	req, _ := hex.DecodeString(xpAdminTreeReq)
	f.Add(byte(0), frameMessages([][]byte{req}))
	// The tree connect, then an NT_CREATE_ANDX, READ_ANDX and TRANS2 QUERY_FILE_INFORMATION
	// built from the lab's own test client layout; TID 0x0801 is the first the session grants.
	create := smb1TestRequest(smbNTCreateAndX, 0x0801, createWords(`system32\netapi32.dll`), append([]byte{0}, utf16le.EncodeZ(`system32\netapi32.dll`)...))
	read := smb1TestRequest(smbReadAndX, 0x0801, readWords(0x0802, 0, 4000), nil)
	f.Add(byte(0), frameMessages([][]byte{req, create, read}))
	f.Add(byte(1), frameMessages([][]byte{req, create, read}))
	ps := []Personality{personality(f, "xp-sp3-patched"), personality(f, "w2003-sp2-patched")}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		p := ps[int(which)%len(ps)]
		s := adminSession(&p)
		for len(data) >= 2 {
			n := min(int(le.Uint16(data)), len(data)-2)
			msg := data[2 : 2+n]
			data = data[2+n:]
			replies, act := s.handle(msg)
			for _, r := range replies {
				if len(r) < 4 || len(r) > maxFrame*2 {
					t.Fatalf("reply of %d bytes", len(r))
				}
			}
			if act.close || act.crash != "" {
				return
			}
		}
	})
}

// smb1TestRequest builds an SMB1 request from UID 0x0800 on tid.
func smb1TestRequest(cmd byte, tid uint16, words, data []byte) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = cmd
	h[9] = 0x18                      // Flags
	le.PutUint16(h[10:], testFlags2) // Flags2
	le.PutUint16(h[24:], tid)        // TID
	le.PutUint16(h[28:], 0x0800)     // UID
	b := append(h, byte(len(words)/2))
	b = append(b, words...)
	b = le.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func createWords(name string) []byte {
	w := andxNone()
	w = append(w, 0)                            // Reserved
	w = le.AppendUint16(w, uint16(2*len(name))) // NameLength
	w = le.AppendUint32(w, 0)                   // Flags
	w = le.AppendUint32(w, 0)                   // RootDirectoryFID
	w = le.AppendUint32(w, 0x00120089)          // DesiredAccess: FILE_GENERIC_READ
	w = le.AppendUint64(w, 0)                   // AllocationSize
	w = le.AppendUint32(w, 0x80)                // ExtFileAttributes
	w = le.AppendUint32(w, 7)                   // ShareAccess
	w = le.AppendUint32(w, fileOpen)            // CreateDisposition
	w = le.AppendUint32(w, optNonDirectory)     // CreateOptions
	w = le.AppendUint32(w, 2)                   // ImpersonationLevel
	return append(w, 0)                         // SecurityFlags
}

func readWords(fid uint16, off uint32, n uint16) []byte {
	w := andxNone()
	w = le.AppendUint16(w, fid)  // FID
	w = le.AppendUint32(w, off)  // Offset
	w = le.AppendUint16(w, n)    // MaxCountOfBytesToReturn
	w = le.AppendUint16(w, n)    // MinCountOfBytesToReturn
	w = le.AppendUint32(w, 0)    // Timeout
	w = le.AppendUint16(w, 0)    // Remaining
	return le.AppendUint32(w, 0) // OffsetHigh
}
