package smb1

// TREE_CONNECT_ANDX request Flags (MS-CIFS 2.2.4.55.1, MS-SMB 2.2.4.7.1).
const (
	TreeConnectDisconnectTID      uint16 = 0x0001
	TreeConnectExtendedSignatures uint16 = 0x0004
	TreeConnectExtendedResponse   uint16 = 0x0008
)

// Service strings.
const (
	ServiceAny = "?????"
	ServiceIPC = "IPC"
)

// TreeConnectRequest is SMB_COM_TREE_CONNECT_ANDX (MS-CIFS 2.2.4.55.1). Path is a UNC name
// such as `\\192.0.2.1\IPC$`; Service is always OEM.
type TreeConnectRequest struct {
	Flags    uint16
	Password []byte
	Path     string
	Service  string
}

// Encode returns the request with h (Command is set here).
func (r TreeConnectRequest) Encode(h Header) []byte {
	w := make([]byte, 8)
	le.PutUint16(w[4:6], r.Flags)                 // Flags
	le.PutUint16(w[6:8], uint16(len(r.Password))) // PasswordLength
	d := newBuilder(len(w))
	d.raw(r.Password)                // Password
	d.str(r.Path, h.Unicode(), true) // Pad + Path
	d.str(r.Service, false, false)   // Service
	return encodeAndX(h, CmdTreeConnectAndX, w, d.b)
}

// TreeConnectResponse is the TREE_CONNECT_ANDX response: WordCount 3 (MS-CIFS 2.2.4.55.2) or,
// with Extended, WordCount 7 with the maximal access masks (MS-SMB 2.2.4.7.2).
type TreeConnectResponse struct {
	OptionalSupport               uint16
	Extended                      bool
	MaximalShareAccessRights      uint32
	GuestMaximalShareAccessRights uint32
	Service                       string // OEM, e.g. "IPC"
	NativeFileSystem              string
}

// DecodeTreeConnectResponse decodes either form.
func DecodeTreeConnectResponse(m Message) (TreeConnectResponse, error) {
	if err := m.expect(CmdTreeConnectAndX, "tree connect response", 3, 7); err != nil {
		return TreeConnectResponse{}, err
	}
	if _, err := m.AndX(); err != nil {
		return TreeConnectResponse{}, err
	}
	w := m.Words
	r := TreeConnectResponse{OptionalSupport: le.Uint16(w[4:6])}
	if m.WordCount == 7 {
		r.Extended = true
		r.MaximalShareAccessRights = le.Uint32(w[6:10])
		r.GuestMaximalShareAccessRights = le.Uint32(w[10:14])
	}
	d := newBytesReader(m)
	r.Service = d.str(false, false)
	r.NativeFileSystem = d.str(m.Header.Unicode(), true)
	return r, nil
}
