package smb2

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
)

func TestDecodeRealNegotiateResponses(t *testing.T) {
	tests := []struct {
		file     string
		frame    int
		dialect  Dialect
		secMode  uint16
		guid     string
		caps     uint32
		maxRead  uint32
		sysTime  string
		bootTime string // "" = zero FILETIME
		blobLen  int
		contexts int
		salt     string
		cipher   uint16
	}{
		// Windows 10 answering an SMB1 NEGOTIATE that offered "SMB 2.???".
		{"win10.frames", 2, DialectWildcard, 3, "2c51a2ae-f415-40a8-bfca-65f826139a13", 0x07, 8388608,
			"2020-07-24T10:07:39.4615369Z", "2020-07-24T10:00:24.5518242Z", 120, 0, "", 0},
		{"win10.frames", 4, Dialect311, 3, "2c51a2ae-f415-40a8-bfca-65f826139a13", 0x2f, 8388608,
			"2020-07-24T10:07:39.4615369Z", "2020-07-24T10:00:24.5518242Z", 120, 2,
			"22e04a8e87aa763d451eca37e450c92fe4f2e53e71e2235f3e58b28ee79d3891", CipherAES128GCM},
		{"win81.frames", 42, Dialect311, 1, "a3af6e96-7f35-4004-a5f9-643e1bfa8c56", 0x2f, 8388608,
			"2016-10-16T08:13:10.0366171Z", "2016-10-16T08:08:51.2721825Z", 320, 2,
			"a41976d74846d9da87a83d46dbf31b58815acdb6d0fe8c1a262ae530eeb5af02", CipherAES128GCM},
		// Samba: SMB1-offered wildcard, then 3.0 for impacket; no boot time; GUID is the
		// NetBIOS name in ASCII.
		{"samba417.frames", 74, DialectWildcard, 1, "72656570-616c-6e62-7431-000000000000", 0x07, 8388608,
			"2026-11-27T14:35:29.60869Z", "", 74, 0, "", 0},
		{"samba417.frames", 77, Dialect300, 1, "72656570-616c-6e62-7431-000000000000", 0x47, 8388608,
			"2026-11-27T14:35:29.614804Z", "", 74, 0, "", 0},
	}
	for _, tt := range tests {
		fr := mustFrame(t, tt.file, tt.frame)
		pdus, err := DecodeMessage(fr.Msg)
		if err != nil {
			t.Fatalf("%s/%d: %v", tt.file, tt.frame, err)
		}
		r, err := DecodeNegotiateResponse(pdus[0].Body)
		if err != nil {
			t.Fatalf("%s/%d: %v", tt.file, tt.frame, err)
		}
		check := func(what string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("%s/%d %s: got %v, want %v", tt.file, tt.frame, what, got, want)
			}
		}
		check("dialect", r.DialectRevision, tt.dialect)
		check("security mode", r.SecurityMode, tt.secMode)
		check("GUID", r.ServerGUID.String(), tt.guid)
		check("capabilities", r.Capabilities, tt.caps)
		check("MaxReadSize", r.MaxReadSize, tt.maxRead)
		check("SystemTime", r.SystemTime.Time().Format(time.RFC3339Nano), tt.sysTime)
		boot := ""
		if !r.ServerStartTime.Time().IsZero() {
			boot = r.ServerStartTime.Time().Format(time.RFC3339Nano)
		}
		check("ServerStartTime", boot, tt.bootTime)
		check("SecurityBuffer length", len(r.SecurityBuffer), tt.blobLen)
		check("contexts", len(r.Contexts), tt.contexts)
		for _, c := range r.Contexts {
			switch c.Type {
			case ContextPreauthIntegrity:
				p, err := DecodePreauthContext(c.Data)
				if err != nil {
					t.Fatal(err)
				}
				check("hash", p.HashAlgorithms[0], HashSHA512)
				check("salt", hex.EncodeToString(p.Salt), tt.salt)
			case ContextEncryption:
				e, err := DecodeEncryptionContext(c.Data)
				if err != nil {
					t.Fatal(err)
				}
				check("cipher", e.Ciphers[0], tt.cipher)
			}
		}
		if len(r.SecurityBuffer) > 0 && r.SecurityBuffer[0] != 0x60 {
			t.Errorf("%s/%d: SecurityBuffer does not start with a GSS token", tt.file, tt.frame)
		}
	}
}

func TestDecodeRealNegotiateRequest(t *testing.T) {
	r, err := DecodeNegotiateRequest(mustFrame(t, "win10.frames", 3).Msg[HeaderSize:])
	if err != nil {
		t.Fatal(err)
	}
	if want := []Dialect{Dialect202, Dialect210, Dialect300, Dialect302, Dialect311}; !equalDialects(r.Dialects, want) {
		t.Errorf("dialects %v", r.Dialects)
	}
	if r.ClientGUID.String() != "b049f495-cd94-11ea-a709-0050560cd549" || r.Capabilities != 0x7f || len(r.Contexts) != 2 {
		t.Errorf("got %v caps %#x %d contexts", r.ClientGUID, r.Capabilities, len(r.Contexts))
	}
	e, err := DecodeEncryptionContext(r.Contexts[1].Data)
	if err != nil || len(e.Ciphers) != 2 || e.Ciphers[0] != CipherAES128GCM || e.Ciphers[1] != CipherAES128CCM {
		t.Errorf("encryption context %+v %v", e, err)
	}
}

func equalDialects(a, b []Dialect) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Golden bytes of the scanner's NEGOTIATE (MessageId 0, one credit asked).
func TestProbeNegotiateGolden(t *testing.T) {
	guid := GUID{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}
	var salt [32]byte
	for i := range salt {
		salt[i] = byte(0xa0 + i)
	}
	got := Build(Header{Command: CmdNegotiate, CreditCharge: 0, Credits: 1, ProcessID: 0xfeff}, ProbeNegotiate(guid, salt))
	want := testpeer.Unhex(t, `
		fe534d42                         // ProtocolId
		4000                             // StructureSize 64
		0000                             // CreditCharge
		00000000                         // Status
		0000                             // Command NEGOTIATE
		0100                             // CreditRequest 1
		00000000                         // Flags
		00000000                         // NextCommand
		0000000000000000                 // MessageId
		fffe0000                         // Reserved (ProcessId)
		00000000                         // TreeId
		0000000000000000                 // SessionId
		00000000000000000000000000000000 // Signature
		2400                             // StructureSize 36
		0500                             // DialectCount
		0100                             // SecurityMode: signing enabled
		0000                             // Reserved
		47000000                         // Capabilities DFS|LEASING|LARGE_MTU|ENCRYPTION
		0102030405060708090a0b0c0d0e0f10 // ClientGuid
		70000000                         // NegotiateContextOffset 0x70
		0200                             // NegotiateContextCount
		0000                             // Reserved2
		0202 1002 0003 0203 1103         // Dialects
		0000                             // Padding to 8
		0100                             // ContextType PREAUTH_INTEGRITY
		2600                             // DataLength 38
		00000000                         // Reserved
		0100                             // HashAlgorithmCount
		2000                             // SaltLength 32
		0100                             // SHA-512
		a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf // Salt
		0000                             // Padding to 8
		0200                             // ContextType ENCRYPTION
		0600                             // DataLength 6
		00000000                         // Reserved
		0200                             // CipherCount
		0200 0100                        // AES-128-GCM, AES-128-CCM
	`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	// And it round-trips through the decoder.
	r, err := DecodeNegotiateRequest(got[HeaderSize:])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Build(Header{Command: CmdNegotiate, Credits: 1, ProcessID: 0xfeff}, r), want) {
		t.Error("decode/encode changed the request")
	}
}

// Golden bytes of the scanner's SESSION_SETUP carrying a raw NTLMSSP NEGOTIATE.
func TestProbeSessionSetupGolden(t *testing.T) {
	token := testpeer.Unhex(t, "4e544c4d5353500001000000978208e2000000000000000000000000000000000a0063450000000f")
	got := Build(Header{Command: CmdSessionSetup, Credits: 1, MessageID: 1, ProcessID: 0xfeff}, ProbeSessionSetup(token))
	want := testpeer.Unhex(t, `
		fe534d42 4000 0000 00000000      // ProtocolId, StructureSize, CreditCharge, Status
		0100 0100                        // Command SESSION_SETUP, CreditRequest 1
		00000000 00000000                // Flags, NextCommand
		0100000000000000                 // MessageId 1
		fffe0000 00000000                // ProcessId, TreeId
		0000000000000000                 // SessionId
		00000000000000000000000000000000 // Signature
		1900                             // StructureSize 25
		00                               // Flags
		01                               // SecurityMode: signing enabled
		00000000                         // Capabilities
		00000000                         // Channel
		5800                             // SecurityBufferOffset 0x58
		2800                             // SecurityBufferLength 40
		0000000000000000                 // PreviousSessionId
		4e544c4d53535000 01000000 978208e2 0000000000000000 0000000000000000 0a0063450000000f // NTLMSSP NEGOTIATE
	`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

func TestNegotiateDecodeErrors(t *testing.T) {
	good := mustFrame(t, "win10.frames", 4).Msg[HeaderSize:]
	req := mustFrame(t, "win10.frames", 3).Msg[HeaderSize:]
	mut := func(b []byte, f func([]byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	tests := []struct {
		name    string
		resp    bool
		body    []byte
		wantErr error
	}{
		{"response too short", true, good[:63], ErrTruncated},
		{"response bad StructureSize", true, mut(good, func(b []byte) { b[0] = 64 }), ErrMalformed},
		{"response blob beyond body", true, mut(good, func(b []byte) { le.PutUint16(b[58:], 0xffff) }), ErrTruncated},
		{"response blob offset in header", true, mut(good, func(b []byte) { le.PutUint16(b[56:], 8) }), ErrMalformed},
		{"response context offset beyond", true, mut(good, func(b []byte) { le.PutUint32(b[60:], 0xfffffff0) }), ErrMalformed},
		{"response too many contexts", true, mut(good, func(b []byte) { le.PutUint16(b[6:], 1000) }), ErrMalformed},
		{"response context cut", true, good[:len(good)-3], ErrTruncated},
		{"request no dialects", false, mut(req, func(b []byte) { le.PutUint16(b[2:], 0) }), ErrMalformed},
		{"request dialects cut", false, req[:40], ErrTruncated},
		{"request context count too high", false, mut(req, func(b []byte) { le.PutUint16(b[32:], 3) }), ErrTruncated},
	}
	for _, tt := range tests {
		var err error
		if tt.resp {
			_, err = DecodeNegotiateResponse(tt.body)
		} else {
			_, err = DecodeNegotiateRequest(tt.body)
		}
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}
