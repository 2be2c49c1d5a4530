package smb1

// Action bits of the SESSION_SETUP_ANDX response.
const (
	ActionGuest         uint16 = 0x0001
	ActionUseLanmanKey  uint16 = 0x0002
	sessionSetupExtWC          = 12
	sessionSetupBasicWC        = 13
)

// SessionSetupRequest is SMB_COM_SESSION_SETUP_ANDX from the client. With Extended set it is
// the MS-SMB 2.2.4.6.1 form (WordCount 12: SecurityBlob, NativeOS, NativeLanMan); otherwise
// the MS-CIFS 2.2.4.53.1 NT LM form (WordCount 13: OEM and Unicode passwords, AccountName,
// PrimaryDomain, NativeOS, NativeLanMan). A null session is the basic form with every field
// empty, or the extended form with an anonymous NTLMSSP exchange.
type SessionSetupRequest struct {
	Extended      bool
	MaxBufferSize uint16
	MaxMpxCount   uint16
	VcNumber      uint16
	SessionKey    uint32
	Capabilities  uint32

	SecurityBlob []byte // extended form only

	OEMPassword     []byte // basic form only
	UnicodePassword []byte // basic form only
	AccountName     string // basic form only
	PrimaryDomain   string // basic form only

	NativeOS     string
	NativeLanMan string
}

// Encode returns the request with h (Command is set here).
func (r SessionSetupRequest) Encode(h Header) []byte {
	u := h.Unicode()
	if r.Extended {
		w := make([]byte, 2*sessionSetupExtWC)
		le.PutUint16(w[4:6], r.MaxBufferSize)               // MaxBufferSize
		le.PutUint16(w[6:8], r.MaxMpxCount)                 // MaxMpxCount
		le.PutUint16(w[8:10], r.VcNumber)                   // VcNumber
		le.PutUint32(w[10:14], r.SessionKey)                // SessionKey
		le.PutUint16(w[14:16], uint16(len(r.SecurityBlob))) // SecurityBlobLength
		le.PutUint32(w[16:20], 0)                           // Reserved
		le.PutUint32(w[20:24], r.Capabilities)              // Capabilities
		d := newBuilder(len(w))
		d.raw(r.SecurityBlob)          // SecurityBlob
		d.str(r.NativeOS, u, true)     // Pad + NativeOS
		d.str(r.NativeLanMan, u, true) // NativeLanMan
		return encodeAndX(h, CmdSessionSetupAnd, w, d.b)
	}
	w := make([]byte, 2*sessionSetupBasicWC)
	le.PutUint16(w[4:6], r.MaxBufferSize)                  // MaxBufferSize
	le.PutUint16(w[6:8], r.MaxMpxCount)                    // MaxMpxCount
	le.PutUint16(w[8:10], r.VcNumber)                      // VcNumber
	le.PutUint32(w[10:14], r.SessionKey)                   // SessionKey
	le.PutUint16(w[14:16], uint16(len(r.OEMPassword)))     // OEMPasswordLen
	le.PutUint16(w[16:18], uint16(len(r.UnicodePassword))) // UnicodePasswordLen
	le.PutUint32(w[18:22], 0)                              // Reserved
	le.PutUint32(w[22:26], r.Capabilities)                 // Capabilities
	d := newBuilder(len(w))
	d.raw(r.OEMPassword)            // OEMPassword
	d.raw(r.UnicodePassword)        // UnicodePassword
	d.str(r.AccountName, u, true)   // Pad + AccountName
	d.str(r.PrimaryDomain, u, true) // PrimaryDomain
	d.str(r.NativeOS, u, true)      // NativeOS
	d.str(r.NativeLanMan, u, true)  // NativeLanMan
	return encodeAndX(h, CmdSessionSetupAnd, w, d.b)
}

// SessionSetupResponse is the SESSION_SETUP_ANDX response: the extended form (WordCount 4,
// MS-SMB 2.2.4.6.2) when Extended is set, else the basic form (WordCount 3, MS-CIFS
// 2.2.4.53.2). Strings a server leaves out decode as "".
type SessionSetupResponse struct {
	Extended      bool
	Action        uint16
	SecurityBlob  []byte // extended form only
	NativeOS      string
	NativeLanMan  string
	PrimaryDomain string
}

// DecodeSessionSetupResponse decodes either form, chosen by WordCount. A STATUS_MORE_
// PROCESSING_REQUIRED reply is a normal extended response carrying the NTLMSSP CHALLENGE.
func DecodeSessionSetupResponse(m Message) (SessionSetupResponse, error) {
	if err := m.expect(CmdSessionSetupAnd, "session setup response", 4, 3); err != nil {
		return SessionSetupResponse{}, err
	}
	if _, err := m.AndX(); err != nil {
		return SessionSetupResponse{}, err
	}
	w, u := m.Words, m.Header.Unicode()
	r := SessionSetupResponse{Action: le.Uint16(w[4:6])}
	d := newBytesReader(m)
	if m.WordCount == 4 {
		r.Extended = true
		blob, err := d.take(int(le.Uint16(w[6:8])), "session setup response SecurityBlob")
		if err != nil {
			return SessionSetupResponse{}, err
		}
		r.SecurityBlob = orNil(blob)
	}
	r.NativeOS = d.str(u, true)
	r.NativeLanMan = d.str(u, true)
	r.PrimaryDomain = d.str(u, true)
	return r, nil
}
