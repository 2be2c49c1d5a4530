package smblab

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// testClient is a deliberately small SMB1 client written from MS-CIFS for the lab's own tests;
// the independent clients are nmap and impacket (peers_test.go).
type testClient struct {
	c   net.Conn
	uid uint16
	tid uint16
	fid uint16
	mid uint16
	// transcript collects request/response messages for testdata (see -update).
	transcript [][2][]byte
	call       uint32
}

var errStatus = errors.New("non-success status")

type smbStatus uint32

func (s smbStatus) Error() string   { return fmt.Sprintf("NTSTATUS 0x%08X", uint32(s)) }
func (s smbStatus) Is(t error) bool { return t == errStatus }

func dialTest(t testing.TB, addr string) *testClient {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &testClient{c: c}
}

func (tc *testClient) Close() { tc.c.Close() }

// rt sends one SMB1 request and returns status, words, data and the raw response.
func (tc *testClient) rt(cmd byte, flags2 uint16, words, data []byte) (uint32, []byte, []byte, []byte, error) {
	tc.mid++
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = cmd
	h[9] = 0x18                  // Flags: CASE_INSENSITIVE | CANONICALIZED_PATHS
	le.PutUint16(h[10:], flags2) // Flags2
	le.PutUint16(h[24:], tc.tid) // TID
	le.PutUint16(h[26:], 0xFEFF) // PIDLow
	le.PutUint16(h[28:], tc.uid) // UID
	le.PutUint16(h[30:], tc.mid) // MID
	msg := append(h, byte(len(words)/2))
	msg = append(msg, words...)
	msg = le.AppendUint16(msg, uint16(len(data)))
	msg = append(msg, data...)
	if err := netbios.WriteFrame(tc.c, msg); err != nil {
		return 0, nil, nil, nil, err
	}
	_, resp, err := netbios.ReadFrame(tc.c, 1<<20)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	tc.transcript = append(tc.transcript, [2][]byte{msg, resp})
	r, err := parseSMB1(resp)
	if err != nil {
		return 0, nil, nil, resp, err
	}
	return le.Uint32(resp[5:]), r.words, r.data, resp, nil
}

const testFlags2 = 0xC803 // UNICODE | NT_STATUS | EXTENDED_SECURITY | EAS | LONG_NAMES

func (tc *testClient) negotiate() ([]byte, []byte, error) {
	st, w, d, _, err := tc.rt(smbNegotiate, testFlags2, nil, []byte("\x02NT LM 0.12\x00"))
	if err == nil && st != 0 {
		err = smbStatus(st)
	}
	return w, d, err
}

func sessionWords(blobLen int) []byte {
	w := andxNone()
	w = le.AppendUint16(w, 4356)            // MaxBufferSize
	w = le.AppendUint16(w, 10)              // MaxMpxCount
	w = le.AppendUint16(w, 0)               // VcNumber
	w = le.AppendUint32(w, 0)               // SessionKey
	w = le.AppendUint16(w, uint16(blobLen)) // SecurityBlobLength
	w = le.AppendUint32(w, 0)               // Reserved
	return le.AppendUint32(w, 0x800000d4)   // Capabilities: EXTENDED_SECURITY | NT_STATUS | UNICODE | LARGE_FILES
}

// nullSession logs on anonymously with raw NTLMSSP, as XP-era clients do.
func (tc *testClient) nullSession() (nativeOS string, err error) {
	neg := ntlmssp.NewNegotiate(ntlmssp.DefaultClientFlags).Encode()
	st, w, d, resp, err := tc.rt(smbSessionSetup, testFlags2, sessionWords(len(neg)), append(neg, 0, 0, 0, 0, 0))
	if err != nil {
		return "", err
	}
	if st != 0xC0000016 {
		return "", smbStatus(st)
	}
	tc.uid = le.Uint16(resp[28:])
	if len(w) < 8 {
		return "", ErrTruncated
	}
	blob, ok := span(d, 0, int(le.Uint16(w[6:])))
	if !ok {
		return "", ErrTruncated
	}
	chal, err := ntlmssp.DecodeChallenge(blob)
	if err != nil {
		return "", err
	}
	auth := ntlmssp.NewAnonymousAuthenticate(chal, false).Encode()
	st, w, d, _, err = tc.rt(smbSessionSetup, testFlags2, sessionWords(len(auth)), append(auth, 0, 0, 0, 0, 0))
	if err != nil {
		return "", err
	}
	if st != 0 {
		return "", smbStatus(st)
	}
	blobLen := int(le.Uint16(w[6:]))
	off := 35 + len(w) + blobLen
	if off%2 == 1 {
		blobLen++
	}
	if blobLen > len(d) {
		return "", ErrTruncated
	}
	os, _ := utf16le.DecodeZ(d[blobLen:])
	return os, nil
}

func (tc *testClient) treeConnect(path string) error {
	w := andxNone()
	w = le.AppendUint16(w, 0) // Flags
	w = le.AppendUint16(w, 1) // PasswordLength
	data := append([]byte{0}, utf16le.EncodeZ(path)...)
	data = append(data, "?????\x00"...)
	st, _, _, resp, err := tc.rt(smbTreeConnect, testFlags2, w, data)
	if err != nil {
		return err
	}
	if st != 0 {
		return smbStatus(st)
	}
	tc.tid = le.Uint16(resp[24:])
	return nil
}

func (tc *testClient) open(name string) error {
	n := utf16le.EncodeZ(name)
	w := andxNone()
	w = append(w, 0)                       // Reserved
	w = le.AppendUint16(w, uint16(len(n))) // NameLength
	w = le.AppendUint32(w, 0)              // Flags
	w = le.AppendUint32(w, 0)              // RootDirectoryFID
	w = le.AppendUint32(w, 0x0002019f)     // DesiredAccess
	w = le.AppendUint64(w, 0)              // AllocationSize
	w = le.AppendUint32(w, 0)              // ExtFileAttributes
	w = le.AppendUint32(w, 3)              // ShareAccess
	w = le.AppendUint32(w, 1)              // CreateDisposition: FILE_OPEN
	w = le.AppendUint32(w, 0)              // CreateOptions
	w = le.AppendUint32(w, 2)              // ImpersonationLevel
	w = append(w, 0)                       // SecurityFlags
	st, rw, _, _, err := tc.rt(smbNTCreateAndX, testFlags2, w, append([]byte{0}, n...))
	if err != nil {
		return err
	}
	if st != 0 {
		return smbStatus(st)
	}
	tc.fid = le.Uint16(rw[5:])
	return nil
}

// transact sends a named pipe transaction (setup fn + fid) and returns the response data.
func (tc *testClient) transact(fn, fid uint16, data []byte) (uint32, []byte, error) {
	const dataOff = 84                        // header 32 + WC 1 + 16 words + BC 2 = 67, pad 1, `\PIPE\` 14, pad 2
	w := le.AppendUint16(nil, 0)              // TotalParameterCount
	w = le.AppendUint16(w, uint16(len(data))) // TotalDataCount
	w = le.AppendUint16(w, 0)                 // MaxParameterCount
	w = le.AppendUint16(w, 4280)              // MaxDataCount
	w = append(w, 0, 0)                       // MaxSetupCount, Reserved1
	w = le.AppendUint16(w, 0)                 // Flags
	w = le.AppendUint32(w, 0)                 // Timeout
	w = le.AppendUint16(w, 0)                 // Reserved2
	w = le.AppendUint16(w, 0)                 // ParameterCount
	w = le.AppendUint16(w, dataOff)           // ParameterOffset
	w = le.AppendUint16(w, uint16(len(data))) // DataCount
	w = le.AppendUint16(w, dataOff)           // DataOffset
	w = append(w, 2, 0)                       // SetupCount, Reserved3
	w = le.AppendUint16(w, fn)
	w = le.AppendUint16(w, fid)
	b := append([]byte{0}, utf16le.EncodeZ(`\PIPE\`)...)
	b = append(b, 0, 0)
	b = append(b, data...)
	st, rw, _, resp, err := tc.rt(smbTransaction, testFlags2, w, b)
	if err != nil || st != 0 && st != 0x80000005 {
		return st, nil, err
	}
	if len(rw) < 20 {
		return st, nil, ErrTruncated
	}
	out, ok := span(resp, int(le.Uint16(rw[14:])), int(le.Uint16(rw[12:])))
	if !ok {
		return st, nil, ErrTruncated
	}
	return st, out, nil
}

func rpcPDU(ptype byte, callID uint32, body []byte) []byte {
	return append(rpcHeader(ptype, pfcFirstFrag|pfcLastFrag, uint32(rpcHeaderLen+len(body)), callID), body...)
}

func srvsvcBindPDU(callID uint32) []byte {
	b := le.AppendUint16(nil, 4280) // max_xmit_frag
	b = le.AppendUint16(b, 4280)    // max_recv_frag
	b = le.AppendUint32(b, 0)       // assoc_group_id
	b = append(b, 1, 0, 0, 0)       // n_context_elem, reserved
	b = le.AppendUint16(b, 0)       // p_cont_id
	b = append(b, 1, 0)             // n_transfer_syn, reserved
	b = append(b, uuidSrvsvc...)
	b = le.AppendUint32(b, 3) // srvsvc v3.0
	b = append(b, uuidNDR...)
	b = le.AppendUint32(b, 2) // NDR v2
	return rpcPDU(ptypeBind, callID, b)
}

func requestPDU(callID uint32, opnum uint16, stub []byte) []byte {
	b := le.AppendUint32(nil, uint32(len(stub))) // alloc_hint
	b = le.AppendUint16(b, 0)                    // p_cont_id
	b = le.AppendUint16(b, opnum)                // opnum
	return rpcPDU(ptypeRequest, callID, append(b, stub...))
}

// bind binds srvsvc on the open pipe.
func (tc *testClient) bind() error {
	tc.call++
	st, out, err := tc.transact(transTransactNmPipe, tc.fid, srvsvcBindPDU(tc.call))
	if err != nil {
		return err
	}
	if st != 0 || len(out) < 4 || out[2] != ptypeBindAck {
		return fmt.Errorf("bind: status 0x%x, reply %x", st, out)
	}
	return nil
}

// rpc calls a srvsvc method and returns the response stub, or the fault status as an error.
func (tc *testClient) rpc(req srvsvc.Request) ([]byte, error) {
	stub, err := req.Encode()
	if err != nil {
		return nil, err
	}
	tc.call++
	st, out, err := tc.transact(transTransactNmPipe, tc.fid, requestPDU(tc.call, req.Opnum(), stub))
	if err != nil {
		return nil, err
	}
	if st != 0 {
		return nil, smbStatus(st)
	}
	if len(out) >= 28 && out[2] == ptypeFault {
		return nil, fmt.Errorf("fault 0x%08x", le.Uint32(out[24:]))
	}
	if len(out) < 24 || out[2] != ptypeResponse {
		return nil, fmt.Errorf("not a response: %x", out)
	}
	return out[24:], nil
}

// srvsvcSession opens a null session, IPC$, the pipe and binds srvsvc.
func srvsvcSession(t testing.TB, addr, pipe string) *testClient {
	t.Helper()
	tc := dialTest(t, addr)
	if _, _, err := tc.negotiate(); err != nil {
		t.Fatalf("negotiate: %v", err)
	}
	if _, err := tc.nullSession(); err != nil {
		t.Fatalf("null session: %v", err)
	}
	if err := tc.treeConnect(`\\` + strings.Split(addr, ":")[0] + `\IPC$`); err != nil {
		t.Fatalf("tree connect: %v", err)
	}
	if err := tc.open(pipe); err != nil {
		t.Fatalf("open %s: %v", pipe, err)
	}
	if err := tc.bind(); err != nil {
		t.Fatalf("bind: %v", err)
	}
	return tc
}

// writeTranscript stores a session's messages as "> hex" (client) and "< hex" (lab) lines.
func writeTranscript(path, comment string, tr [][2][]byte) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n# '>' client request, '<' lab response; one SMB message (no NetBIOS header) per line\n", comment)
	for _, m := range tr {
		fmt.Fprintf(&b, "> %s\n< %s\n", hex.EncodeToString(m[0]), hex.EncodeToString(m[1]))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// readTranscript returns the client messages (dir '>') or the lab's ('<') of a transcript.
func readTranscript(path string, dir byte) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 2 || line[0] != dir {
			continue
		}
		b, err := hex.DecodeString(strings.TrimSpace(line[1:]))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, sc.Err()
}
