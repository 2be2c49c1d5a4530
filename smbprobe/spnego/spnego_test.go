package spnego

import (
	"bytes"
	"errors"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// Every captured blob decodes and re-encodes byte for byte.
func TestRealTokensRoundTrip(t *testing.T) {
	for name, raw := range testpeer.ReadHexFiles(t, "testdata/*.hex") {
		t.Run(name, func(t *testing.T) {
			tok, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			var enc []byte
			if tok.Init != nil {
				enc, err = tok.Init.Encode()
			} else {
				enc, err = tok.Resp.Encode()
			}
			if err != nil || !bytes.Equal(enc, raw) {
				t.Errorf("re-encoding (%v):\n got % x\nwant % x", err, enc, raw)
			}
		})
	}
}

func TestNegotiateHintsGolden(t *testing.T) {
	samba := testpeer.Unhex(t, `
		60 48                      # [APPLICATION 0] InitialContextToken
		  06 06 2b0601050502       # thisMech 1.3.6.1.5.5.2 (SPNEGO)
		  a0 3e 30 3c              # [0] negTokenInit SEQUENCE
		    a0 0e 30 0c            # [0] mechTypes
		      06 0a 2b06010401823702020a # 1.3.6.1.4.1.311.2.2.10 NTLMSSP
		    a3 2a 30 28            # [3] negHints
		      a0 26 1b 24 6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265
		                           # [0] hintName "not_defined_in_RFC4178@please_ignore"`)
	got, err := NegotiateHints(OIDNTLMSSP)
	if err != nil || !bytes.Equal(got, samba) {
		t.Errorf("NTLM-only hints (%v): % x", err, got)
	}
	if real := testpeer.Fixture(t, "lab_samba_negotiate_response_f6.hex"); !bytes.Equal(real, samba) {
		t.Error("golden differs from Samba's capture")
	}
	win10, err := NegotiateHints(OIDNegoEx, OIDMSKerberos5, OIDKerberos5, OIDKerberosUser, OIDNTLMSSP)
	if err != nil || !bytes.Equal(win10, testpeer.Fixture(t, "attack_win10_negotiate_response_f2.hex")) {
		t.Errorf("Windows 10 hints (%v): % x", err, win10)
	}
	tok, err := Decode(win10)
	if err != nil || tok.Init.NegHints == nil || tok.Init.NegHints.HintName != HintIgnore || len(tok.Init.MechTypes) != 5 {
		t.Errorf("decode: %+v %v", tok, err)
	}
	// Windows 8.1 sends NEGOEX with an optimistic NEGOEX mechToken; there is no NTLM in it.
	w81 := testpeer.Fixture(t, "arkime_win81_smb1_negotiate_response_negoex_f17.hex")
	tok, err = Decode(w81)
	if err != nil || tok.Init.MechTypes[0] != OIDNegoEx || !bytes.HasPrefix(tok.Init.MechToken, []byte("NEGOEXTS")) {
		t.Errorf("win8.1: %+v %v", tok, err)
	}
}

// Client and server wrappers reproduce the captured blobs.
func TestWrapGolden(t *testing.T) {
	tests := []struct {
		file  string
		build func(ntlm []byte) ([]byte, error)
	}{
		{"attack_win10_client_init_negotiate_f5.hex", InitNTLM},
		{"lab_impacket_client_init_negotiate_f8.hex", InitNTLM},
		{"attack_win10_server_resp_challenge_f6.hex", func(b []byte) ([]byte, error) { return RespNTLM(b, NegStateAcceptIncomplete, OIDNTLMSSP) }},
		{"lab_samba_server_resp_challenge_f9.hex", func(b []byte) ([]byte, error) { return RespNTLM(b, NegStateAcceptIncomplete, OIDNTLMSSP) }},
		{"arkime_win81_server_resp_challenge_f19.hex", func(b []byte) ([]byte, error) { return RespNTLM(b, NegStateAcceptIncomplete, OIDNTLMSSP) }},
		{"lab_impacket_client_resp_anonymous_f10.hex", func(b []byte) ([]byte, error) { return RespNTLM(b, NegStateAbsent, "") }},
		{"lab_nmap_client_resp_authenticate_f13.hex", func(b []byte) ([]byte, error) { return RespNTLM(b, NegStateAbsent, "") }},
	}
	for _, tt := range tests {
		raw := testpeer.Fixture(t, tt.file)
		ntlm, err := Unwrap(raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		got, err := tt.build(ntlm)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s (%v):\n got % x\nwant % x", tt.file, err, got, raw)
		}
	}
	// The final server answer: accept-completed with a mechListMIC, no token.
	done := &NegTokenResp{NegState: NegStateAcceptCompleted, MechListMIC: testpeer.Unhex(t, "0100000098dc0fd942ba73e400000000")}
	if got, _ := done.Encode(); !bytes.Equal(got, testpeer.Fixture(t, "attack_win10_server_resp_complete_f8.hex")) {
		t.Errorf("accept-completed: % x", got)
	}
}

func TestUnwrap(t *testing.T) {
	tests := []struct {
		file    string
		msgType byte // NTLMSSP MessageType, 0 for ErrNoNTLM
	}{
		{"attack_win10_client_init_negotiate_f5.hex", 1},
		{"attack_win10_server_resp_challenge_f6.hex", 2},
		{"attack_win10_client_resp_authenticate_f7.hex", 3},
		{"arkime_win10_client_resp_anonymous_f20.hex", 3},
		{"lab_impacket_client_resp_anonymous_f10.hex", 3},
		{"attack_win10_negotiate_response_f2.hex", 0},
		{"attack_win10_server_resp_complete_f8.hex", 0},
		{"krb_w2k_negotiate_response_kerberos_f5.hex", 0},
		{"krb_xpsp2_client_init_kerberos_f7.hex", 0},
		{"krb_w2k_server_resp_kerberos_f8.hex", 0},
	}
	for _, tt := range tests {
		got, err := Unwrap(testpeer.Fixture(t, tt.file))
		if tt.msgType == 0 {
			if !errors.Is(err, ErrNoNTLM) {
				t.Errorf("%s: %v", tt.file, err)
			}
			continue
		}
		if err != nil || len(got) < 12 || !bytes.HasPrefix(got, []byte("NTLMSSP\x00")) || got[8] != tt.msgType {
			t.Errorf("%s: % x %v", tt.file, got, err)
		}
	}
	raw := []byte("NTLMSSP\x00\x02\x00\x00\x00")
	if got, err := Unwrap(raw); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("raw NTLMSSP: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"indefinite length", "a1 80 30 00 0000", ErrMalformed},
		{"five-byte length", "a1 85 0000000005 3003a0010a", ErrMalformed},
		{"non-minimal length", "a1 81 05 3003 a0 01 00", ErrMalformed},
		{"length past end", "a1 82 ffff 30", ErrTruncated},
		{"high tag number", "bf 01 00", ErrMalformed},
		{"trailing bytes", "a1 02 3000 ff", ErrMalformed},
		{"nested GSS framing", "60 0c 06062b0601050502 60 02 a000", ErrMalformed},
		{"other GSS mech", "60 0d 06092a864886f712010202 a000", ErrNoNTLM},
		{"fields out of order", "a1 0c 300a a2 03 04 01 00 a0 03 0a 01 01", ErrMalformed},
		{"negState bad", "a1 07 3005 a0 03 0a 01 07", ErrMalformed},
		{"negState wrong type", "a1 07 3005 a0 03 04 01 01", ErrMalformed},
		{"OID arc runs off", "a1 08 3006 a1 04 06 02 2b 86", ErrTruncated},
		{"OID non-minimal arc", "a1 09 3007 a1 05 06 03 2b 80 01", ErrMalformed},
		{"field with two elements", "a1 0a 3008 a2 06 04 01 00 04 01 00", ErrMalformed},
		{"unknown token", "a2 00", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(testpeer.Unhex(t, tt.in)); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	// Every truncation of every real blob fails cleanly (and never panics).
	for name, raw := range testpeer.ReadHexFiles(t, "testdata/*.hex") {
		for n := range len(raw) {
			if _, err := Decode(raw[:n]); err == nil {
				t.Errorf("%s[:%d] parsed", name, n)
			}
		}
	}
}

func TestOID(t *testing.T) {
	for _, o := range []OID{OIDSPNEGO, OIDNTLMSSP, OIDNegoEx, OIDKerberos5, OIDMSKerberos5, OIDKerberosUser, "2.999.1", "0.0"} {
		c, err := marshalOID(o)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseOID(c)
		if err != nil || back != o {
			t.Errorf("%s -> % x -> %s %v", o, c, back, err)
		}
	}
	if c, _ := marshalOID(OIDNTLMSSP); !bytes.Equal(c, testpeer.Unhex(t, "2b06010401823702020a")) {
		t.Errorf("NTLMSSP OID % x", c)
	}
	for _, bad := range []OID{"1", "3.1", "1.40", "1.x", "1.2.99999999999"} {
		if _, err := marshalOID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range testpeer.ReadHexFiles(f, "testdata/*.hex") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := Decode(b)
		Unwrap(b)
		if err != nil {
			return
		}
		var enc []byte
		if tok.Init != nil {
			enc, err = tok.Init.Encode()
		} else {
			enc, err = tok.Resp.Encode()
		}
		if err != nil {
			t.Fatalf("decoded token does not encode: %v", err)
		}
		tok2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		var enc2 []byte
		if tok2.Init != nil {
			enc2, _ = tok2.Init.Encode()
		} else {
			enc2, _ = tok2.Resp.Encode()
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatal("unstable encoding")
		}
	})
}
