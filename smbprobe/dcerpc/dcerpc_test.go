package dcerpc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

func srvsvcSyntax() SyntaxID {
	return SyntaxID{UUID: MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Version: 3}
}

func TestUUID(t *testing.T) {
	tests := []struct {
		s    string
		wire string
	}{
		{"4b324fc8-1670-01d3-1278-5a47bf6ee188", "c84f324b 7016 d301 1278 5a47bf6ee188"},
		{"8a885d04-1ceb-11c9-9fe8-08002b104860", "045d888a eb1c c911 9fe8 08002b104860"},
		{"71710533-beba-4937-8319-b5dbef9ccc36", "33057171 babe 3749 8319 b5dbef9ccc36"},
		{"00000000-0000-0000-0000-000000000000", "00000000 0000 0000 0000 000000000000"},
	}
	for _, tt := range tests {
		u, err := ParseUUID(tt.s)
		if err != nil {
			t.Fatalf("ParseUUID(%q): %v", tt.s, err)
		}
		if u.String() != tt.s {
			t.Errorf("String() = %q, want %q", u.String(), tt.s)
		}
		var b [16]byte
		u.Encode(b[:])
		if want := testpeer.Unhex(t, tt.wire); !bytes.Equal(b[:], want) {
			t.Errorf("%s: wire %x, want %x", tt.s, b, want)
		}
		back, err := DecodeUUID(b[:])
		if err != nil || back != u {
			t.Errorf("DecodeUUID round trip: %v, %v", back, err)
		}
	}
	if NDR20().UUID.String() != "8a885d04-1ceb-11c9-9fe8-08002b104860" || NDR64().UUID.String() != "71710533-beba-4937-8319-b5dbef9ccc36" {
		t.Error("well-known syntax UUIDs wrong")
	}
	for _, bad := range []string{"", "4b324fc8167001d312785a47bf6ee188", "4b324fc8-1670-01d3-1278-5a47bf6ee18g", "4b324fc8-1670-01d3-1278_5a47bf6ee188", "4b324fc8-1670-01d3-1278-5a47bf6ee1888"} {
		if _, err := ParseUUID(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseUUID(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := DecodeUUID(make([]byte, 15)); !errors.Is(err, ErrTruncated) {
		t.Errorf("DecodeUUID short: %v", err)
	}
}

// The srvsvc bind, byte for byte what impacket 0.10 and the XP SP3 client send.
const goldenBind = `
05 00 0b 03 10 00 00 00   // rpc_vers 5, minor 0, PTYPE bind (11), pfc_flags FIRST|LAST, drep LE/ASCII/IEEE
48 00 00 00 01 00 00 00   // frag_length 72, auth_length 0, call_id 1
b8 10 b8 10               // max_xmit_frag 4280, max_recv_frag 4280
00 00 00 00               // assoc_group_id 0
01 00 00 00               // n_context_elem 1, reserved, reserved2
00 00 01 00               // p_cont_id 0, n_transfer_syn 1, reserved
c8 4f 32 4b 70 16 d3 01 12 78 5a 47 bf 6e e1 88  // abstract_syntax if_uuid 4b324fc8-1670-01d3-1278-5a47bf6ee188
03 00 00 00               // if_version 3.0
04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  // transfer_syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 (NDR)
02 00 00 00               // version 2
`

func TestBindGolden(t *testing.T) {
	got, err := NewBind(1, srvsvcSyntax()).Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := testpeer.Unhex(t, goldenBind)
	if !bytes.Equal(got, want) {
		t.Fatalf("bind\n got %x\nwant %x", got, want)
	}
	for _, real := range []string{"impacket-client-bind.hex", "xp-client-bind.hex"} {
		if b := testpeer.Fixture(t, real); !bytes.Equal(got, b) {
			t.Errorf("bind differs from real %s:\n got %x\nreal %x", real, got, b)
		}
	}
	d, err := DecodeBind(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, NewBind(1, srvsvcSyntax())) {
		t.Errorf("decode(bind) = %+v", d)
	}
}

func TestDecodeBindMultiContext(t *testing.T) {
	b := testpeer.Fixture(t, "win10-client-bind-3ctx.hex")
	p, err := DecodeBind(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Contexts) != 3 || p.MaxXmitFrag != 4280 || p.CallID != 2 {
		t.Fatalf("decoded %+v", p)
	}
	if p.Contexts[0].Transfer[0] != NDR20() || p.Contexts[1].Transfer[0] != NDR64() || p.Contexts[1].ID != 1 {
		t.Errorf("contexts %+v", p.Contexts)
	}
	if p.Contexts[2].Transfer[0].UUID.String() != "6cb71c2c-9812-4540-0300-000000000000" {
		t.Errorf("bind time feature negotiation syntax = %s", p.Contexts[2].Transfer[0].UUID)
	}
	again, err := p.Encode()
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("re-encode differs: %x (%v)", again, err)
	}
	alter := p
	alter.AlterContext = true
	ab, _ := alter.Encode()
	if ab[2] != byte(PTypeAlterContext) {
		t.Errorf("alter_context ptype %d", ab[2])
	}
	if back, err := DecodeBind(ab); err != nil || !back.AlterContext {
		t.Errorf("alter_context decode: %+v %v", back, err)
	}
}

func TestDecodeBindAckReal(t *testing.T) {
	tests := []struct {
		file    string
		addr    string
		assoc   uint32
		results []Result
	}{
		{"xp-server-bind-ack.hex", `\PIPE\srvsvc`, 0x671a, []Result{{Result: ResultAcceptance, Transfer: NDR20()}}},
		{"samba-server-bind-ack.hex", `\pipe\srvsvc`, 0x4f9b, []Result{{Result: ResultAcceptance, Transfer: NDR20()}}},
		{"win10-server-bind-ack-3results.hex", `\PIPE\srvsvc`, 0x7e27, []Result{
			{Result: ResultProviderRejection, Reason: ReasonTransferSyntaxesNotSupported},
			{Result: ResultAcceptance, Transfer: NDR64()},
			{Result: ResultNegotiateAck, Reason: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := testpeer.Fixture(t, tt.file)
			p, err := DecodeBindAck(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.SecondaryAddr != tt.addr || p.AssocGroup != tt.assoc || p.MaxXmitFrag != 4280 || p.MaxRecvFrag != 4280 {
				t.Errorf("decoded %+v", p)
			}
			if !reflect.DeepEqual(p.Results, tt.results) {
				t.Errorf("results %+v, want %+v", p.Results, tt.results)
			}
			if i, ok := p.Accepted(); !ok || tt.results[i].Result != ResultAcceptance {
				t.Errorf("Accepted() = %d, %v", i, ok)
			}
			again, err := p.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("re-encode differs:\n got %x\nwant %x (%v)", again, b, err)
			}
		})
	}
}

// An alter_context_resp as Windows sends it: empty secondary address (length 0, no NUL), so
// the result list starts at offset 28.
const goldenAlterContextResp = `
05 00 0f 03 10 00 00 00   // rpc_vers 5.0, PTYPE alter_context_resp (15), FIRST|LAST, drep
38 00 00 00 02 00 00 00   // frag_length 56, auth_length 0, call_id 2
b8 10 b8 10 1a 67 00 00   // max_xmit_frag, max_recv_frag 4280, assoc_group_id 0x671a
00 00 00 00               // sec_addr.length 0, pad to 4
01 00 00 00               // n_results 1
02 00 01 00               // result provider_rejection, reason abstract_syntax_not_supported
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 // transfer_syntax: nil
`

func TestBindAckEncode(t *testing.T) {
	p := BindAck{CallID: 2, Flags: FlagsSingle, AlterContextResp: true, MaxXmitFrag: 4280, MaxRecvFrag: 4280, AssocGroup: 0x671a,
		Results: []Result{{Result: ResultProviderRejection, Reason: ReasonAbstractSyntaxNotSupported}}}
	got, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := testpeer.Unhex(t, goldenAlterContextResp); !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	if _, ok := p.Accepted(); ok {
		t.Error("rejection reported as accepted")
	}
	back, err := DecodeBindAck(got)
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Errorf("round trip %+v %v", back, err)
	}
	// Address lengths 1..4 exercise every padding case.
	for _, addr := range []string{"a", "ab", "abc", "abcd", `\PIPE\browser`} {
		p.SecondaryAddr = addr
		b, _ := p.Encode()
		back, err := DecodeBindAck(b)
		if err != nil || back.SecondaryAddr != addr || len(back.Results) != 1 {
			t.Errorf("addr %q: %+v %v", addr, back, err)
		}
		if (HeaderSize+10+len(addr)+1+3)&^3+28 != len(b) {
			t.Errorf("addr %q: length %d", addr, len(b))
		}
	}
}

const goldenBindNak = `
05 00 0d 03 10 00 00 00   // rpc_vers 5.0, PTYPE bind_nak (13), FIRST|LAST, drep
18 00 00 00 01 00 00 00   // frag_length 24, auth_length 0, call_id 1
04 00                     // provider_reject_reason protocol_version_not_supported
01 05 00                  // n_protocols 1: version 5.0
00 00 00                  // pad to 4
`

func TestBindNak(t *testing.T) {
	p := BindNak{CallID: 1, Flags: FlagsSingle, Reason: RejectProtocolVersionNotSupported, Versions: []Version{{5, 0}}}
	got, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := testpeer.Unhex(t, goldenBindNak); !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	back, err := DecodeBindNak(got)
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Errorf("round trip %+v %v", back, err)
	}
	// Reason only (frag_length 18) still decodes.
	short := testpeer.Unhex(t, "05000d03 10000000 1200 0000 01000000 0000")
	if n, err := DecodeBindNak(short); err != nil || n.Reason != 0 || n.Versions != nil {
		t.Errorf("reason-only nak: %+v %v", n, err)
	}
	// A version count that overruns the body.
	over := testpeer.Unhex(t, "05000d03 10000000 1400 0000 01000000 0000 05 05")
	if _, err := DecodeBindNak(over); !errors.Is(err, ErrTruncated) {
		t.Errorf("overrunning versions: %v", err)
	}
	if _, err := DecodeBindAck(got); !errors.Is(err, ErrUnexpectedType) {
		t.Errorf("bind_nak decoded as bind_ack: %v", err)
	}
}

const goldenRequest = `
05 00 00 03 10 00 00 00   // rpc_vers 5.0, PTYPE request (0), FIRST|LAST, drep
20 00 00 00 07 00 00 00   // frag_length 32, auth_length 0, call_id 7
08 00 00 00               // alloc_hint 8
00 00 15 00               // p_cont_id 0, opnum 21
00 00 00 00 65 00 00 00   // stub
`

const goldenResponse = `
05 00 02 03 10 00 00 00   // rpc_vers 5.0, PTYPE response (2), FIRST|LAST, drep
1c 00 00 00 07 00 00 00   // frag_length 28, auth_length 0, call_id 7
04 00 00 00               // alloc_hint 4
00 00 00 00               // p_cont_id 0, cancel_count 0, reserved
7b 00 00 00               // stub
`

const goldenFault = `
05 00 03 23 10 00 00 00   // rpc_vers 5.0, PTYPE fault (3), FIRST|LAST|DID_NOT_EXECUTE, drep
20 00 00 00 07 00 00 00   // frag_length 32, auth_length 0, call_id 7
00 00 00 00               // alloc_hint 0
00 00 00 00               // p_cont_id 0, cancel_count 0, reserved
02 00 01 1c               // status nca_op_rng_error
00 00 00 00               // reserved
`

func TestCallGolden(t *testing.T) {
	req := NewRequest(7, 0, 21, []byte{0, 0, 0, 0, 0x65, 0, 0, 0})
	resp := NewResponse(7, 0, []byte{0x7b, 0, 0, 0})
	fault := NewFault(7, 0, StatusOpRangeError)
	for _, tt := range []struct {
		name   string
		enc    interface{ Encode() ([]byte, error) }
		golden string
		decode func([]byte) (any, error)
	}{
		{"request", req, goldenRequest, func(b []byte) (any, error) { return DecodeRequest(b) }},
		{"response", resp, goldenResponse, func(b []byte) (any, error) { return DecodeResponse(b) }},
		{"fault", fault, goldenFault, func(b []byte) (any, error) { return DecodeFault(b) }},
	} {
		got, err := tt.enc.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want := testpeer.Unhex(t, tt.golden); !bytes.Equal(got, want) {
			t.Errorf("%s\n got %x\nwant %x", tt.name, got, want)
		}
		back, err := tt.decode(got)
		if err != nil || !reflect.DeepEqual(back, tt.enc) {
			t.Errorf("%s round trip: %+v %v", tt.name, back, err)
		}
	}
	// Object UUID requests carry 16 more header bytes and the flag.
	obj := MustParseUUID("01234567-89ab-cdef-0123-456789abcdef")
	req.Object = &obj
	b, _ := req.Encode()
	if b[3]&FlagObjectUUID == 0 || len(b) != 24+16+8 {
		t.Fatalf("object request %x", b)
	}
	back, err := DecodeRequest(b)
	if err != nil || back.Object == nil || *back.Object != obj || !bytes.Equal(back.Stub, req.Stub) {
		t.Errorf("object request round trip: %+v %v", back, err)
	}
}

func TestDecodeFaultReal(t *testing.T) {
	callIDs := []uint32{2, 3, 7}
	for i, file := range []string{"samba-server-fault-opnum30.hex", "samba-server-fault-opnum31.hex", "samba-server-fault-opnum32.hex"} {
		b := testpeer.Fixture(t, file)
		f, err := DecodeFault(b)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status != StatusOpRangeError || f.CallID != callIDs[i] || f.AllocHint != 0x18 {
			t.Errorf("%s: %+v", file, f)
		}
		// Samba does not set PFC_DID_NOT_EXECUTE on its range faults.
		if f.DidNotExecute() {
			t.Errorf("%s: did-not-execute set", file)
		}
		err = f.Err()
		var fe *FaultError
		if !errors.Is(err, ErrFault) || !errors.As(err, &fe) || fe.Status.Name() != "nca_op_rng_error" {
			t.Errorf("%s: Err() = %v", file, err)
		}
		if again, _ := f.Encode(); !bytes.Equal(again, b) {
			t.Errorf("%s: re-encode %x", file, again)
		}
		if _, err := Reassemble(f.CallID, b); !errors.Is(err, ErrFault) {
			t.Errorf("%s: Reassemble err %v", file, err)
		}
	}
	// impacket's server answers unknown opnums with a 28-byte fault (no trailing reserved).
	short := testpeer.Unhex(t, `05 00 03 03 10 00 00 00  1c 00 00 00 05 00 00 00  00 00 00 00  00 00 00 00  e4 06 00 00`)
	f, err := DecodeFault(short)
	if err != nil || f.Status != StatusRPCCannotSupport || f.CallID != 5 {
		t.Errorf("28-byte fault: %+v %v", f, err)
	}
	if got := StatusFaultNDR.String(); got != "0x000006f7 (nca_s_fault_ndr)" {
		t.Errorf("String = %q", got)
	}
	if got := FaultStatus(0xdeadbeef).String(); got != "0xdeadbeef" {
		t.Errorf("String = %q", got)
	}
	if StatusUnknownInterface.Name() != "nca_unk_if" {
		t.Error("nca_unk_if name")
	}
}

func TestHeaderRobustness(t *testing.T) {
	valid := testpeer.Unhex(t, goldenResponse)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), valid...)) }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"15 bytes", valid[:15], ErrTruncated},
		{"rpc_vers 4", mut(func(b []byte) []byte { b[0] = 4; return b }), ErrMalformed},
		{"rpc_vers_minor 2", mut(func(b []byte) []byte { b[1] = 2; return b }), ErrMalformed},
		{"big-endian drep", mut(func(b []byte) []byte { b[4] = 0x00; return b }), ErrUnsupported},
		{"frag_length 15", mut(func(b []byte) []byte { b[8] = 15; return b }), ErrMalformed},
		{"frag_length 0", mut(func(b []byte) []byte { b[8] = 0; return b }), ErrMalformed},
		{"frag_length beyond buffer", mut(func(b []byte) []byte { b[8] = 29; return b }), ErrTruncated},
		{"auth_length beyond fragment", mut(func(b []byte) []byte { b[10] = 5; return b }), ErrMalformed},
		{"auth_length 0xffff", mut(func(b []byte) []byte { b[10], b[11] = 0xff, 0xff; return b }), ErrMalformed},
		{"body too short", mut(func(b []byte) []byte { b[8] = 20; return b[:20] }), ErrTruncated},
		{"wrong type", testpeer.Unhex(t, goldenFault), ErrUnexpectedType},
	}
	for _, tt := range tests {
		if _, err := DecodeResponse(tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// A PDU with an auth verifier: the stub stops before the auth padding and sec_trailer.
	withAuth := testpeer.Unhex(t, `
		05 00 02 03 10 00 00 00  2a 00 04 00 07 00 00 00   // frag_length 42, auth_length 4
		04 00 00 00 00 00 00 00                            // alloc_hint, p_cont_id, cancel_count
		7b 00 00 00 ee ee                                  // stub, 2 bytes auth padding
		0a 02 02 00 01 00 00 00                            // sec_trailer: NTLMSSP, level 2, pad 2, context 1
		aa bb cc dd                                        // auth_value
	`)
	r, err := DecodeResponse(withAuth)
	if err != nil || !bytes.Equal(r.Stub, []byte{0x7b, 0, 0, 0}) {
		t.Errorf("auth response: %+v %v", r, err)
	}
	f, _ := DecodeFrame(withAuth)
	if !bytes.Equal(f.AuthVerifier, withAuth[30:]) {
		t.Errorf("auth verifier %x", f.AuthVerifier)
	}
	withAuth[32] = 0xff // auth_pad_length larger than the body
	if _, err := DecodeResponse(withAuth); !errors.Is(err, ErrMalformed) {
		t.Errorf("huge auth pad: %v", err)
	}
	// SplitPDU frames a stream.
	two := append(append([]byte(nil), valid...), valid[:20]...)
	p, rest, err := SplitPDU(two)
	if err != nil || !bytes.Equal(p, valid) || len(rest) != 20 {
		t.Fatalf("SplitPDU: %v", err)
	}
	if _, _, err := SplitPDU(rest); !errors.Is(err, ErrTruncated) {
		t.Errorf("partial PDU: %v", err)
	}
	if _, err := newPDU(PTypeResponse, 3, 1, 0x10000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized PDU: %v", err)
	}
}

func xpFragments(t *testing.T) [][]byte {
	return [][]byte{testpeer.Fixture(t, "xp-server-response-frag1.hex"), testpeer.Fixture(t, "xp-server-response-frag2.hex"), testpeer.Fixture(t, "xp-server-response-frag3.hex")}
}

func TestReassembleRealXP(t *testing.T) {
	frags := xpFragments(t)
	resp, err := Reassemble(3, bytes.Join(frags, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Stub) != 10052 || resp.AllocHint != 10052 || resp.Flags&FlagsSingle != FlagsSingle {
		t.Fatalf("reassembled %d bytes, flags %#x", len(resp.Stub), resp.Flags)
	}
	var want []byte
	for _, f := range frags {
		want = append(want, f[24:]...)
	}
	if !bytes.Equal(resp.Stub, want) {
		t.Error("stub is not the concatenation of the fragment stubs")
	}
	// The server side splits it back exactly as Windows XP did (4280-byte fragments, alloc_hint
	// counting down 10052, 5796, 1540).
	out, err := NewResponse(3, 0, resp.Stub).Fragments(DefaultMaxFrag)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("%d fragments", len(out))
	}
	for i := range out {
		if !bytes.Equal(out[i], frags[i]) {
			t.Errorf("fragment %d differs from XP's", i+1)
		}
	}
}

func TestReassemblerErrors(t *testing.T) {
	frags := xpFragments(t)
	fault := testpeer.Unhex(t, goldenFault) // call_id 7
	fault[12] = 3
	dne := append([]byte(nil), frags[2]...)
	dne[3] |= FlagDidNotExecute
	req := testpeer.Unhex(t, goldenRequest)
	req[12] = 3
	tests := []struct {
		name string
		pdus [][]byte
		max  int
		want error
	}{
		{"in order", frags, 0, nil},
		{"wrong call id", frags, 0, ErrCallIDMismatch},
		{"missing first", frags[1:], 0, ErrFragmentOrder},
		{"first twice", [][]byte{frags[0], frags[0]}, 0, ErrFragmentOrder},
		{"after last", [][]byte{frags[0], frags[2], frags[2]}, 0, ErrFragmentOrder},
		{"too large", frags, 8000, ErrTooLarge},
		{"fault mid-call", [][]byte{frags[0], fault}, 0, ErrFault},
		{"did not execute", [][]byte{frags[0], frags[1], dne}, 0, ErrDidNotExecute},
		{"request inside response", [][]byte{frags[0], req}, 0, ErrUnexpectedType},
		{"bind_ack inside call", [][]byte{frags[0], testpeer.Fixture(t, "xp-server-bind-ack.hex")}, 0, ErrCallIDMismatch},
	}
	for _, tt := range tests {
		callID := uint32(3)
		if tt.name == "wrong call id" {
			callID = 4
		}
		r := NewReassembler(callID, tt.max)
		var err error
		done := false
		for _, p := range tt.pdus {
			if done, err = r.Add(p); err != nil {
				break
			}
		}
		if !errors.Is(err, tt.want) || (tt.want == nil && !done) {
			t.Errorf("%s: done=%v err=%v, want %v", tt.name, done, err, tt.want)
		}
	}
	// Trailing garbage after the last fragment.
	if _, err := Reassemble(3, append(bytes.Join(frags, nil), 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := Reassemble(3, bytes.Join(frags[:2], nil)); !errors.Is(err, ErrTruncated) {
		t.Errorf("missing last fragment: %v", err)
	}
}

func TestRequestFragmentsRoundTrip(t *testing.T) {
	stub := make([]byte, 9000)
	for i := range stub {
		stub[i] = byte(i * 7)
	}
	for _, max := range []int{40, 100, 1024, DefaultMaxFrag, 0x10000} {
		req := NewRequest(9, 1, 31, stub)
		pdus, err := req.Fragments(max)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pdus {
			if len(p) > max {
				t.Fatalf("max %d: fragment %d is %d bytes", max, i, len(p))
			}
			if i < len(pdus)-1 && (len(p)-24)%8 != 0 {
				t.Errorf("max %d: fragment %d stub not 8-aligned", max, i)
			}
		}
		got, err := reassembleRequest(pdus)
		if err != nil || !bytes.Equal(got.Stub, stub) || got.Opnum != 31 || got.ContextID != 1 {
			t.Errorf("max %d: reassembled request differs (%v)", max, err)
		}
	}
	if _, err := NewRequest(1, 0, 0, nil).Fragments(31); !errors.Is(err, ErrMalformed) {
		t.Errorf("tiny max frag: %v", err)
	}
	one, err := NewResponse(1, 0, nil).Fragments(DefaultMaxFrag)
	if err != nil || len(one) != 1 || one[0][3] != FlagsSingle {
		t.Errorf("empty stub: %x %v", one, err)
	}
	// Fragments of a request with a changing opnum are refused.
	pdus, _ := NewRequest(9, 0, 31, stub).Fragments(1024)
	pdus[1][22] = 32
	if _, err := reassembleRequest(pdus); !errors.Is(err, ErrMalformed) {
		t.Errorf("opnum change: %v", err)
	}
}
