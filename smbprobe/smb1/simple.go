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

// DecodeCloseRequest decodes the request.
func DecodeCloseRequest(m Message) (CloseRequest, error) {
	if err := m.expect(CmdClose, "close request", 3); err != nil {
		return CloseRequest{}, err
	}
	return CloseRequest{FID: le.Uint16(m.Words[0:2]), LastTimeModified: le.Uint32(m.Words[2:6])}, nil
}

// CloseResponse is the empty SMB_COM_CLOSE response.
type CloseResponse struct{}

// Encode returns the response with h (Command is set here).
func (CloseResponse) Encode(h Header) []byte { return encodePlain(h, CmdClose, nil, nil) }

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

// DecodeTreeDisconnectRequest checks the request shape.
func DecodeTreeDisconnectRequest(m Message) (TreeDisconnectRequest, error) {
	return TreeDisconnectRequest{}, m.expect(CmdTreeDisconnect, "tree disconnect request", 0)
}

// TreeDisconnectResponse is the empty SMB_COM_TREE_DISCONNECT response.
type TreeDisconnectResponse struct{}

// Encode returns the response with h (Command is set here).
func (TreeDisconnectResponse) Encode(h Header) []byte {
	return encodePlain(h, CmdTreeDisconnect, nil, nil)
}

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

// DecodeLogoffRequest checks the request shape and its AndX block.
func DecodeLogoffRequest(m Message) (LogoffRequest, error) {
	if err := m.expect(CmdLogoffAndX, "logoff request", 2); err != nil {
		return LogoffRequest{}, err
	}
	_, err := m.AndX()
	return LogoffRequest{}, err
}

// LogoffResponse is the SMB_COM_LOGOFF_ANDX response.
type LogoffResponse struct{}

// Encode returns the response with h (Command is set here).
func (LogoffResponse) Encode(h Header) []byte {
	return encodeAndX(h, CmdLogoffAndX, make([]byte, 4), nil)
}

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

// DecodeEchoRequest decodes the request.
func DecodeEchoRequest(m Message) (EchoRequest, error) {
	if err := m.expect(CmdEcho, "echo request", 1); err != nil {
		return EchoRequest{}, err
	}
	return EchoRequest{EchoCount: le.Uint16(m.Words), Data: orNil(m.Bytes)}, nil
}

// EchoResponse is one SMB_COM_ECHO reply; a server sends EchoCount of them.
type EchoResponse struct {
	SequenceNumber uint16
	Data           []byte
}

// Encode returns the response with h (Command is set here).
func (r EchoResponse) Encode(h Header) []byte {
	w := make([]byte, 2)
	le.PutUint16(w, r.SequenceNumber) // SequenceNumber
	return encodePlain(h, CmdEcho, w, r.Data)
}

// DecodeEchoResponse decodes one reply.
func DecodeEchoResponse(m Message) (EchoResponse, error) {
	if err := m.expect(CmdEcho, "echo response", 1); err != nil {
		return EchoResponse{}, err
	}
	return EchoResponse{SequenceNumber: le.Uint16(m.Words), Data: orNil(m.Bytes)}, nil
}
