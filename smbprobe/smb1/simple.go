package smb1

// CloseRequest is SMB_COM_CLOSE (MS-CIFS 2.2.4.5.1). Its response has no fields (CloseResponse).
type CloseRequest struct {
	FID              uint16
	LastTimeModified uint32 // UTIME; 0 or 0xFFFFFFFF leaves the time alone
}

// Encode returns the request with h (Command is set here).
func (r CloseRequest) Encode(h Header) []byte {
	w := make([]byte, 6)
	le.PutUint16(w[0:2], r.FID)              // FID
	le.PutUint32(w[2:6], r.LastTimeModified) // LastTimeModified
	return encodePlain(h, CmdClose, w, nil)
}

// CloseResponse is the empty SMB_COM_CLOSE response.
type CloseResponse struct{}

// DecodeCloseResponse checks the response shape.
func DecodeCloseResponse(m Message) (CloseResponse, error) {
	return CloseResponse{}, m.expect(CmdClose, "close response", 0)
}

// TreeDisconnectRequest is SMB_COM_TREE_DISCONNECT; the TID is in the header.
type TreeDisconnectRequest struct{}

// Encode returns the request with h (Command is set here).
func (TreeDisconnectRequest) Encode(h Header) []byte {
	return encodePlain(h, CmdTreeDisconnect, nil, nil)
}

// TreeDisconnectResponse is the empty SMB_COM_TREE_DISCONNECT response.
type TreeDisconnectResponse struct{}

// DecodeTreeDisconnectResponse checks the response shape.
func DecodeTreeDisconnectResponse(m Message) (TreeDisconnectResponse, error) {
	return TreeDisconnectResponse{}, m.expect(CmdTreeDisconnect, "tree disconnect response", 0)
}

// LogoffRequest is SMB_COM_LOGOFF_ANDX; the UID is in the header.
type LogoffRequest struct{}

// Encode returns the request with h (Command is set here).
func (LogoffRequest) Encode(h Header) []byte {
	return encodeAndX(h, CmdLogoffAndX, make([]byte, 4), nil)
}

// LogoffResponse is the SMB_COM_LOGOFF_ANDX response.
type LogoffResponse struct{}

// DecodeLogoffResponse checks the response shape and its AndX block.
func DecodeLogoffResponse(m Message) (LogoffResponse, error) {
	if err := m.expect(CmdLogoffAndX, "logoff response", 2); err != nil {
		return LogoffResponse{}, err
	}
	_, err := m.AndX()
	return LogoffResponse{}, err
}

// EchoRequest is SMB_COM_ECHO (MS-CIFS 2.2.4.39.1).
type EchoRequest struct {
	EchoCount uint16
	Data      []byte
}

// Encode returns the request with h (Command is set here).
func (r EchoRequest) Encode(h Header) []byte {
	w := make([]byte, 2)
	le.PutUint16(w, r.EchoCount) // EchoCount
	return encodePlain(h, CmdEcho, w, r.Data)
}

// EchoResponse is one SMB_COM_ECHO reply; a server sends EchoCount of them.
type EchoResponse struct {
	SequenceNumber uint16
	Data           []byte
}

// DecodeEchoResponse decodes one reply.
func DecodeEchoResponse(m Message) (EchoResponse, error) {
	if err := m.expect(CmdEcho, "echo response", 1); err != nil {
		return EchoResponse{}, err
	}
	return EchoResponse{SequenceNumber: le.Uint16(m.Words), Data: orNil(m.Bytes)}, nil
}
