package smb1

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// decodeFixture parses and decodes a captured message, failing the test on any error.
func decodeFixture(t *testing.T, name string) (Message, any) {
	t.Helper()
	m := mustParse(t, fixture(t, name))
	v, err := decodeAny(m)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m, v
}

func TestRealNegotiateResponses(t *testing.T) {
	tests := []struct {
		name     string
		flags2   uint16
		dialect  uint16
		secMode  uint8
		maxMpx   uint16
		maxBuf   uint32
		caps     uint32
		ext      bool
		domain   string
		server   string
		blobLen  int
		timeText string
	}{
		// Expected values are tshark's reading of the same frames (and, for XP, the ones
		// pcaps/README.md states: Flags2 0xc801, SecurityMode 3, MaxMpx 10, MaxBuffer 4356,
		// Capabilities 0x8000e3fd).
		{"xp_negotiate_resp", 0xc801, 0, 3, 10, 4356, 0x8000e3fd, true, "", "", 0, "2016-04-06T07:49:15Z"},
		{"xpsp3_negotiate_resp", 0xc853, 5, 3, 10, 4356, 0x8000e3fd, true, "", "", 0, ""},
		{"w2k_negotiate_resp", 0x8001, 5, 7, 50, 33028, 0x8000d3fd, true, "", "", 73, ""},
		{"w7_negotiate_resp", 0xc053, 5, 3, 50, 4356, 0x0001e3fc, false, "WORKGROUP", "JOHN-PC", 0, "2017-04-14T17:30:35Z"},
		{"samba474_negotiate_resp", 0x4003, 0, 3, 50, 16644, 0x0080f3fd, false, "TEST", "JESSIE", 0, ""},
		{"samba417_negotiate_resp", 0x4801, 0, 3, 50, 16644, 0x8080f3fd, true, "", "", 74, ""},
		{"win81_negotiate_resp", 0xc843, 5, 3, 10, 4356, 0x8001e3fc, true, "", "", 320, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v := decodeFixture(t, tt.name)
			r := v.(NegotiateResponse)
			if m.Header.Flags2 != tt.flags2 || r.DialectIndex != tt.dialect || r.SecurityMode != tt.secMode ||
				r.MaxMpxCount != tt.maxMpx || r.MaxBufferSize != tt.maxBuf || r.Capabilities != tt.caps {
				t.Errorf("got flags2 %#x dialect %d secmode %#x mpx %d buf %d caps %#x",
					m.Header.Flags2, r.DialectIndex, r.SecurityMode, r.MaxMpxCount, r.MaxBufferSize, r.Capabilities)
			}
			if r.ExtendedSecurity() != tt.ext || r.DomainName != tt.domain || r.ServerName != tt.server ||
				len(r.SecurityBlob) != tt.blobLen {
				t.Errorf("got ext %v domain %q server %q blob %d", r.ExtendedSecurity(), r.DomainName, r.ServerName, len(r.SecurityBlob))
			}
			if !tt.ext && len(r.Challenge) != 8 {
				t.Errorf("challenge %x", r.Challenge)
			}
			if tt.timeText != "" {
				if got := r.Time().Truncate(time.Second).Format(time.RFC3339); got != tt.timeText {
					t.Errorf("SystemTime %s, want %s", got, tt.timeText)
				}
			}
		})
	}
}

func TestRealSessionSetupResponses(t *testing.T) {
	tests := []struct {
		name                  string
		status                ntstatus.Status
		ext                   bool
		action                uint16
		blobPrefix            string
		nativeOS, lanMan, dom string
	}{
		{"xp_sessionsetup_resp_challenge", ntstatus.MoreProcessingRequired, true, 0, "NTLMSSP\x00\x02\x00\x00\x00",
			"Windows 5.1", "Windows 2000 LAN Manager", ""},
		{"xp_sessionsetup_resp_final", ntstatus.Success, true, ActionGuest, "", "Windows 5.1", "Windows 2000 LAN Manager", ""},
		{"xpsp3_sessionsetup_resp_final", ntstatus.Success, true, 0, "", "Windows 5.1", "Windows 2000 LAN Manager", ""},
		{"w2k_sessionsetup_resp", ntstatus.Success, true, 0, "\xa1\x82", "Windows 5.0", "Windows 2000 LAN Manager", "HOUSING"},
		{"w7_sessionsetup_resp_basic", ntstatus.Success, false, 0, "",
			"Windows 7 Ultimate 7601 Service Pack 1", "Windows 7 Ultimate 6.1", "WORKGROUP"},
		{"win81_sessionsetup_resp_final", ntstatus.Success, true, 0, "\xa1\x1b", "Windows 8.1 9600", "Windows 8.1 6.3", ""},
		{"samba474_sessionsetup_resp_basic", ntstatus.Success, false, ActionGuest, "", "Windows 6.1", "Samba 4.7.4", "TEST"},
		{"samba417_sessionsetup_resp_challenge", ntstatus.MoreProcessingRequired, true, 0, "\xa1\x81",
			"Windows 6.1", "Samba 4.17.12-Debian", "LABGROUP"},
		{"samba417_sessionsetup_resp_final", ntstatus.Success, true, 0, "\xa1\x07", "Windows 6.1", "Samba 4.17.12-Debian", "LABGROUP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v := decodeFixture(t, tt.name)
			r := v.(SessionSetupResponse)
			if m.Header.Status != tt.status || r.Extended != tt.ext || r.Action != tt.action {
				t.Errorf("status %v ext %v action %#x", m.Header.Status, r.Extended, r.Action)
			}
			if !bytes.HasPrefix(r.SecurityBlob, []byte(tt.blobPrefix)) || (tt.blobPrefix == "") != (len(r.SecurityBlob) == 0) {
				t.Errorf("blob % x", r.SecurityBlob)
			}
			if r.NativeOS != tt.nativeOS || r.NativeLanMan != tt.lanMan || r.PrimaryDomain != tt.dom {
				t.Errorf("strings %q / %q / %q", r.NativeOS, r.NativeLanMan, r.PrimaryDomain)
			}
		})
	}
}

func TestRealRequests(t *testing.T) {
	t.Run("xp client negotiate offers SMB2", func(t *testing.T) {
		_, v := decodeFixture(t, "xp_negotiate_req")
		got := v.(NegotiateRequest).Dialects
		if len(got) != 3 || got[0] != DialectNTLM012 || got[1] != DialectSMB2002 || got[2] != DialectSMB2Wild {
			t.Fatalf("%q", got)
		}
	})
	t.Run("anonymous basic session setup", func(t *testing.T) {
		_, v := decodeFixture(t, "w7_sessionsetup_req_basic")
		r := v.(SessionSetupRequest)
		if r.Extended || !bytes.Equal(r.OEMPassword, []byte{0}) || r.UnicodePassword != nil || r.AccountName != "" ||
			r.PrimaryDomain != "" || r.NativeOS != "Windows 2000 2195" || r.NativeLanMan != "Windows 2000 5.0" {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("impacket extended session setup", func(t *testing.T) {
		_, v := decodeFixture(t, "samba417_sessionsetup_req_ntlmnegotiate")
		r := v.(SessionSetupRequest)
		if !r.Extended || len(r.SecurityBlob) != 66 || r.NativeOS != "Unix" || r.NativeLanMan != "Samba" {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("tree connect IPC$", func(t *testing.T) {
		_, v := decodeFixture(t, "w7_treeconnect_req")
		r := v.(TreeConnectRequest)
		if r.Path != `\\10.128.0.243\IPC$` || r.Service != ServiceAny || r.Flags != TreeConnectExtendedResponse {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("nmap opens \\\\BROWSER with OEM name", func(t *testing.T) {
		_, v := decodeFixture(t, "nmap_ntcreate_req_browser")
		if r := v.(NTCreateRequest); r.FileName != `\\BROWSER` || r.ImpersonationLevel != 2 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("XP client opens \\winreg (NameLength without NUL)", func(t *testing.T) {
		_, v := decodeFixture(t, "xpsp3_ntcreate_req_winreg")
		if r := v.(NTCreateRequest); r.FileName != `\winreg` || r.CreateDisposition != DispositionOpen {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("Mac client \\srvsvc (NameLength with NUL)", func(t *testing.T) {
		_, v := decodeFixture(t, "xp_ntcreate_req")
		if r := v.(NTCreateRequest); r.FileName != `\srvsvc` || r.DesiredAccess != 0xc0000000 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("TransactNmPipe carrying a DCE/RPC bind", func(t *testing.T) {
		_, v := decodeFixture(t, "xpsp3_trans_req")
		r := v.(TransactionRequest)
		if r.Name != PipeName || len(r.Setup) != 2 || r.Setup[0] != TransTransactNmpipe || r.Setup[1] != 0xc00c ||
			len(r.Data) != 36 || r.Data[0] != 5 || r.MaxDataCount != 1024 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("WRITE_ANDX data located by DataOffset without pad (impacket)", func(t *testing.T) {
		_, v := decodeFixture(t, "samba417_write_req")
		r := v.(WriteRequest)
		if r.FID != 0x9483 || len(r.Data) != 72 || r.Data[0] != 5 || r.Data[2] != 11 || r.WriteMode != WriteMsgStart {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("READ_ANDX request", func(t *testing.T) {
		_, v := decodeFixture(t, "xpsp3_read_req")
		if r := v.(ReadRequest); r.FID != 0xc00c || r.MaxCount != 1024 || r.Timeout != 0xffffffff {
			t.Fatalf("%+v", r)
		}
	})
}

func TestRealResponses(t *testing.T) {
	t.Run("tree connect WordCount 7", func(t *testing.T) {
		_, v := decodeFixture(t, "w7_treeconnect_resp")
		r := v.(TreeConnectResponse)
		if !r.Extended || r.Service != ServiceIPC || r.NativeFileSystem != "" || r.MaximalShareAccessRights != 0x1fffff {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("tree connect WordCount 3 (Samba)", func(t *testing.T) {
		_, v := decodeFixture(t, "samba417_treeconnect_resp")
		if r := v.(TreeConnectResponse); r.Extended || r.Service != ServiceIPC || r.OptionalSupport != 1 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("NT_CREATE extended (42 announced, 50 sent)", func(t *testing.T) {
		m, v := decodeFixture(t, "xp_ntcreate_resp")
		r := v.(NTCreateResponse)
		if m.WordCount != 42 || len(m.Words) != 100 || len(m.Bytes) != 0 {
			t.Fatalf("WordCount %d words %d bytes %d", m.WordCount, len(m.Words), len(m.Bytes))
		}
		if !r.Extended || r.FID != 0x4000 || r.CreateAction != 1 || r.ResourceType != FileTypeMessageModePipe ||
			r.NMPipeStatus != 0x05ff || r.AllocationSize != 4096 || r.MaximalAccessRights != 0x0012019b ||
			r.GuestMaximalAccessRights != 0x0012019b {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("TRANSACTION response with DCE/RPC bind_ack", func(t *testing.T) {
		_, v := decodeFixture(t, "xp_trans_resp_bindack")
		r := v.(TransactionResponse)
		if r.TotalDataCount != 68 || len(r.Data) != 68 || r.Data[2] != 12 || len(r.Parameters) != 0 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("TRANSACTION BUFFER_OVERFLOW carries the first part", func(t *testing.T) {
		m, v := decodeFixture(t, "xpsp3_trans_resp_overflow")
		r := v.(TransactionResponse)
		if m.Header.Status != ntstatus.BufferOverflow || len(r.Data) != 1024 || r.TotalDataCount != 1024 {
			t.Fatalf("status %v data %d total %d", m.Header.Status, len(r.Data), r.TotalDataCount)
		}
	})
	t.Run("READ_ANDX response", func(t *testing.T) {
		_, v := decodeFixture(t, "xpsp3_read_resp")
		if r := v.(ReadResponse); len(r.Data) != 68 || r.Data[2] != 12 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("WRITE_ANDX response", func(t *testing.T) {
		_, v := decodeFixture(t, "xpsp3_write_resp")
		if r := v.(WriteResponse); r.Count != 72 || r.Available != 0xffff {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("ECHO response", func(t *testing.T) {
		_, v := decodeFixture(t, "xpsp3_echo_resp")
		if r := v.(EchoResponse); r.SequenceNumber != 1 || string(r.Data) != "JlJmIhClBsr\x00" {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("error response: Samba \\BROWSER not found", func(t *testing.T) {
		m := mustParse(t, fixture(t, "samba417_ntcreate_resp_notfound"))
		if !m.IsErrorResponse() || m.Header.Status != ntstatus.ObjectNameNotFound {
			t.Fatalf("%+v", m.Header)
		}
		if _, err := DecodeNTCreateResponse(m); !errors.Is(err, ErrMalformed) {
			t.Fatalf("decoding an error reply as a create response: %v", err)
		}
	})
}

// Windows servers' replies must come out of our encoders byte for byte, so that the lab
// server looks like XP to nmap and impacket. mask lists offsets Windows fills with
// uninitialised pad bytes (we send zero there).
func TestReencodeWindows(t *testing.T) {
	tests := []struct {
		name string
		mask []int
	}{
		{"xp_negotiate_resp", nil},
		{"xpsp3_negotiate_resp", nil},
		{"w2k_negotiate_resp", nil},
		{"w7_negotiate_resp", nil},
		{"win81_negotiate_resp", nil},
		{"xp_sessionsetup_resp_challenge", nil},
		{"xp_sessionsetup_resp_final", nil},
		{"xpsp3_sessionsetup_resp_final", nil},
		{"w7_sessionsetup_resp_basic", nil},
		{"xp_treeconnect_resp", nil},
		{"w7_treeconnect_resp", nil},
		{"win81_treeconnect_resp", nil},
		{"xp_ntcreate_resp", nil},
		{"xpsp3_ntcreate_resp_winreg", nil},
		{"xp_trans_resp_bindack", []int{55}},
		{"xp_trans_resp_netshareenumall", []int{55}},
		{"xpsp3_trans_resp", nil},
		{"xpsp3_trans_resp_overflow", nil},
		{"win81_trans_resp_lanman", nil},
		{"xpsp3_read_resp", nil},
		{"xpsp3_write_resp", nil},
		{"xp_close_resp", nil},
		{"xp_treedisconnect_resp", nil},
		{"xpsp3_echo_resp", nil},
		// Requests from a real XP client; it puts 0xDEDE in AndXOffset (35, 36).
		{"xpsp3_trans_req", nil},
		{"xpsp3_close_req", nil},
		{"xpsp3_write_req", []int{35, 36, 63}},
		{"xpsp3_read_req", []int{35, 36}},
		{"xpsp3_ntcreate_req_winreg", []int{35, 36}},
		{"w7_negotiate_req", nil},
		{"xpsp3_echo_req", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v := decodeFixture(t, tt.name)
			want := bytes.Clone(m.Raw)
			got := encodeAny(v, m.Header)
			for _, i := range tt.mask {
				if i < len(got) {
					want[i] = got[i]
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("re-encoding differs\n got %x\nwant %x", got, want)
			}
		})
	}
}

func TestIsSMB2(t *testing.T) {
	smb2 := fixture(t, "win81_negotiate_resp_smb2")
	if !IsSMB2(smb2) || IsSMB2(fixture(t, "xp_negotiate_resp")) || IsSMB2([]byte{0xfe, 'S', 'M'}) {
		t.Fatal("IsSMB2 wrong")
	}
	if _, err := DecodeMessage(smb2); !errors.Is(err, ErrMalformed) {
		t.Fatalf("DecodeMessage(SMB2) = %v", err)
	}
}

// A crafted request in Zeek's test suite (WordCount 14 with SetupCount 2) must be refused,
// not read past its words.
func TestRealMalformed(t *testing.T) {
	b := fixture(t, "samba474_trans_req")
	m, err := DecodeMessage(b)
	if err == nil {
		_, err = decodeAny(m)
	}
	if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v", err)
	}
}

// Every strict prefix of a captured message's first command block must be refused.
func TestTruncatedPrefixes(t *testing.T) {
	for _, name := range fixtureNames(t) {
		b := fixture(t, name)
		full, err := DecodeMessage(b)
		if err != nil {
			continue
		}
		end := full.Len()
		for n := 0; n < end; n++ {
			m, err := DecodeMessage(b[:n])
			if err == nil {
				_, err = decodeAny(m)
			}
			if err == nil {
				t.Errorf("%s: prefix %d of %d accepted", name, n, end)
				break
			}
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: prefix %d: error %v wraps no sentinel", name, n, err)
				break
			}
		}
	}
}
