package smb2

import (
	"fmt"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// The server direction of the codec: request decoders (and DecodeBody, their dispatch) and
// response encoders. scan445 only sends requests and reads responses, and the lab builds and
// parses its SMB2 messages with its own code on purpose (an independent oracle of these
// encoders), so nothing outside the tests needs this half. It lives here for the round-trip
// tests (every body through encode → decode → encode) and for decoding the real client
// requests of the captures.

// DecodeCreateRequest reads a CREATE request body.
func DecodeCreateRequest(body []byte) (*CreateRequest, error) {
	if err := checkFixed(body, createReqFixed, 57, "CREATE request"); err != nil {
		return nil, err
	}
	r := &CreateRequest{
		SecurityFlags:        body[2],
		RequestedOplockLevel: body[3],
		ImpersonationLevel:   le.Uint32(body[4:8]),
		SmbCreateFlags:       le.Uint64(body[8:16]),
		Reserved:             le.Uint64(body[16:24]),
		DesiredAccess:        le.Uint32(body[24:28]),
		FileAttributes:       le.Uint32(body[28:32]),
		ShareAccess:          le.Uint32(body[32:36]),
		CreateDisposition:    le.Uint32(body[36:40]),
		CreateOptions:        le.Uint32(body[40:44]),
	}
	name, err := bodyField(body, uint32(le.Uint16(body[44:46])), uint32(le.Uint16(body[46:48])), "CREATE Name")
	if err != nil {
		return nil, err
	}
	if len(name)%2 != 0 {
		return nil, fmt.Errorf("%w: CREATE NameLength %d is odd", ErrMalformed, len(name))
	}
	r.Name = utf16le.DecodeToNUL(name)
	ctxs, err := bodyField(body, le.Uint32(body[48:52]), le.Uint32(body[52:56]), "CREATE CreateContexts")
	if err != nil {
		return nil, err
	}
	r.CreateContexts = ctxs
	return r, nil
}

// EncodeBody implements Body.
func (r *CreateResponse) EncodeBody() []byte {
	b := make([]byte, createRespFixed, createRespFixed+len(r.CreateContexts))
	le.PutUint16(b[0:2], 89)                         // StructureSize
	b[2] = r.OplockLevel                             // OplockLevel
	b[3] = r.Flags                                   // Flags
	le.PutUint32(b[4:8], r.CreateAction)             // CreateAction
	le.PutUint64(b[8:16], uint64(r.CreationTime))    // CreationTime
	le.PutUint64(b[16:24], uint64(r.LastAccessTime)) // LastAccessTime
	le.PutUint64(b[24:32], uint64(r.LastWriteTime))  // LastWriteTime
	le.PutUint64(b[32:40], uint64(r.ChangeTime))     // ChangeTime
	le.PutUint64(b[40:48], r.AllocationSize)         // AllocationSize
	le.PutUint64(b[48:56], r.EndOfFile)              // EndofFile
	le.PutUint32(b[56:60], r.FileAttributes)         // FileAttributes
	le.PutUint32(b[60:64], r.Reserved2)              // Reserved2
	r.FileID.put(b[64:80])                           // FileId
	if len(r.CreateContexts) > 0 {
		le.PutUint32(b[80:84], HeaderSize+createRespFixed)    // CreateContextsOffset
		le.PutUint32(b[84:88], uint32(len(r.CreateContexts))) // CreateContextsLength
		b = append(b, r.CreateContexts...)
	}
	return b
}

// DecodeCloseRequest reads a CLOSE request body.
func DecodeCloseRequest(body []byte) (*CloseRequest, error) {
	if err := checkFixed(body, 24, 24, "CLOSE request"); err != nil {
		return nil, err
	}
	return &CloseRequest{Flags: le.Uint16(body[2:4]), Reserved: le.Uint32(body[4:8]), FileID: getFileID(body[8:24])}, nil
}

// EncodeBody implements Body.
func (r *CloseResponse) EncodeBody() []byte {
	b := make([]byte, 60)
	le.PutUint16(b[0:2], 60)                         // StructureSize
	le.PutUint16(b[2:4], r.Flags)                    // Flags
	le.PutUint32(b[4:8], r.Reserved)                 // Reserved
	le.PutUint64(b[8:16], uint64(r.CreationTime))    // CreationTime
	le.PutUint64(b[16:24], uint64(r.LastAccessTime)) // LastAccessTime
	le.PutUint64(b[24:32], uint64(r.LastWriteTime))  // LastWriteTime
	le.PutUint64(b[32:40], uint64(r.ChangeTime))     // ChangeTime
	le.PutUint64(b[40:48], r.AllocationSize)         // AllocationSize
	le.PutUint64(b[48:56], r.EndOfFile)              // EndofFile
	le.PutUint32(b[56:60], r.FileAttributes)         // FileAttributes
	return b
}

// DecodeBody decodes a PDU's body into the matching request or response type (pointer),
// or an *ErrorResponse where CarriesErrorBody says so.
func DecodeBody(h *Header, body []byte) (Body, error) {
	if CarriesErrorBody(h) {
		return DecodeErrorResponse(body)
	}
	resp := h.IsResponse()
	switch h.Command {
	case CmdNegotiate:
		if resp {
			return DecodeNegotiateResponse(body)
		}
		return DecodeNegotiateRequest(body)
	case CmdSessionSetup:
		if resp {
			return DecodeSessionSetupResponse(body)
		}
		return DecodeSessionSetupRequest(body)
	case CmdLogoff, CmdTreeDisconnect, CmdEcho:
		return DecodeEmpty(body)
	case CmdTreeConnect:
		if resp {
			return DecodeTreeConnectResponse(body)
		}
		return DecodeTreeConnectRequest(body)
	case CmdCreate:
		if resp {
			return DecodeCreateResponse(body)
		}
		return DecodeCreateRequest(body)
	case CmdClose:
		if resp {
			return DecodeCloseResponse(body)
		}
		return DecodeCloseRequest(body)
	case CmdRead:
		if resp {
			return DecodeReadResponse(body)
		}
		return DecodeReadRequest(body)
	case CmdWrite:
		if resp {
			return DecodeWriteResponse(body)
		}
		return DecodeWriteRequest(body)
	case CmdIoctl:
		if resp {
			return DecodeIoctlResponse(body)
		}
		return DecodeIoctlRequest(body)
	case CmdQueryInfo:
		if resp {
			return DecodeQueryInfoResponse(body)
		}
		return DecodeQueryInfoRequest(body)
	}
	return nil, fmt.Errorf("%w: command %v not supported", ErrMalformed, h.Command)
}

// EncodeBody implements Body.
func (r *ErrorResponse) EncodeBody() []byte {
	b := make([]byte, errorRespFixed, errorRespFixed+1+len(r.ErrorData))
	le.PutUint16(b[0:2], 9)                        // StructureSize
	b[2] = r.ErrorContextCount                     // ErrorContextCount
	b[3] = r.Reserved                              // Reserved
	le.PutUint32(b[4:8], uint32(len(r.ErrorData))) // ByteCount
	if len(r.ErrorData) == 0 {
		return append(b, 0)
	}
	return append(b, r.ErrorData...) // ErrorData
}

// DecodeIoctlRequest reads an IOCTL request body.
func DecodeIoctlRequest(body []byte) (*IoctlRequest, error) {
	if err := checkFixed(body, ioctlReqFixed, 57, "IOCTL request"); err != nil {
		return nil, err
	}
	r := &IoctlRequest{
		Reserved:          le.Uint16(body[2:4]),
		CtlCode:           le.Uint32(body[4:8]),
		FileID:            getFileID(body[8:24]),
		MaxInputResponse:  le.Uint32(body[32:36]),
		MaxOutputResponse: le.Uint32(body[44:48]),
		Flags:             le.Uint32(body[48:52]),
		Reserved2:         le.Uint32(body[52:56]),
	}
	var err error
	if r.Input, err = bodyField(body, le.Uint32(body[24:28]), le.Uint32(body[28:32]), "IOCTL Input"); err != nil {
		return nil, err
	}
	if r.Output, err = bodyField(body, le.Uint32(body[36:40]), le.Uint32(body[40:44]), "IOCTL Output"); err != nil {
		return nil, err
	}
	return r, nil
}

// EncodeBody implements Body.
func (r *IoctlResponse) EncodeBody() []byte {
	b := make([]byte, ioctlRespFixed+len(r.Input)+len(r.Output))
	inOff := HeaderSize + ioctlRespFixed
	outOff := inOff
	if len(r.Output) > 0 {
		outOff += len(r.Input)
	}
	le.PutUint16(b[0:2], 49)                      // StructureSize
	le.PutUint16(b[2:4], r.Reserved)              // Reserved
	le.PutUint32(b[4:8], r.CtlCode)               // CtlCode
	r.FileID.put(b[8:24])                         // FileId
	le.PutUint32(b[24:28], uint32(inOff))         // InputOffset
	le.PutUint32(b[28:32], uint32(len(r.Input)))  // InputCount
	le.PutUint32(b[32:36], uint32(outOff))        // OutputOffset
	le.PutUint32(b[36:40], uint32(len(r.Output))) // OutputCount
	le.PutUint32(b[40:44], r.Flags)               // Flags
	le.PutUint32(b[44:48], r.Reserved2)           // Reserved2
	copy(b[48:], r.Input)
	copy(b[48+len(r.Input):], r.Output)
	return b
}

// DecodeValidateNegotiateInfoRequest reads the IOCTL input.
func DecodeValidateNegotiateInfoRequest(b []byte) (*ValidateNegotiateInfoRequest, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: VALIDATE_NEGOTIATE_INFO is %d bytes", ErrTruncated, len(b))
	}
	v := &ValidateNegotiateInfoRequest{Capabilities: le.Uint32(b[0:4]), SecurityMode: le.Uint16(b[20:22])}
	copy(v.GUID[:], b[4:20])
	n := int(le.Uint16(b[22:24]))
	if n > maxDialects {
		return nil, fmt.Errorf("%w: VALIDATE_NEGOTIATE_INFO DialectCount %d", ErrMalformed, n)
	}
	if 24+2*n > len(b) {
		return nil, fmt.Errorf("%w: VALIDATE_NEGOTIATE_INFO %d dialects in %d bytes", ErrTruncated, n, len(b))
	}
	v.Dialects = make([]Dialect, n)
	for i := range v.Dialects {
		v.Dialects[i] = Dialect(le.Uint16(b[24+2*i:]))
	}
	return v, nil
}

// Encode returns the IOCTL output bytes.
func (v *ValidateNegotiateInfoResponse) Encode() []byte {
	b := make([]byte, 24)
	le.PutUint32(b[0:4], v.Capabilities)      // Capabilities
	copy(b[4:20], v.GUID[:])                  // Guid
	le.PutUint16(b[20:22], v.SecurityMode)    // SecurityMode
	le.PutUint16(b[22:24], uint16(v.Dialect)) // Dialect
	return b
}

// DecodeNegotiateRequest reads a NEGOTIATE request body.
func DecodeNegotiateRequest(body []byte) (*NegotiateRequest, error) {
	if err := checkFixed(body, negotiateReqFixed, 36, "NEGOTIATE request"); err != nil {
		return nil, err
	}
	r := &NegotiateRequest{
		SecurityMode: le.Uint16(body[4:6]),
		Reserved:     le.Uint16(body[6:8]),
		Capabilities: le.Uint32(body[8:12]),
	}
	copy(r.ClientGUID[:], body[12:28])
	n := int(le.Uint16(body[2:4]))
	if n == 0 || n > maxDialects {
		return nil, fmt.Errorf("%w: NEGOTIATE DialectCount %d", ErrMalformed, n)
	}
	if negotiateReqFixed+2*n > len(body) {
		return nil, fmt.Errorf("%w: NEGOTIATE %d dialects in %d bytes", ErrTruncated, n, len(body))
	}
	r.Dialects = make([]Dialect, n)
	for i := range r.Dialects {
		r.Dialects[i] = Dialect(le.Uint16(body[negotiateReqFixed+2*i:]))
	}
	if !offers311(r.Dialects) {
		r.ClientStartTime = le.Uint64(body[28:36])
		return r, nil
	}
	off, count := le.Uint32(body[28:32]), int(le.Uint16(body[32:34]))
	if count == 0 {
		return r, nil
	}
	if off < HeaderSize || uint64(off)-HeaderSize > uint64(len(body)) {
		return nil, fmt.Errorf("%w: NegotiateContextOffset %d", ErrMalformed, off)
	}
	ctxs, err := decodeContexts(body[off-HeaderSize:], count)
	if err != nil {
		return nil, err
	}
	r.Contexts = ctxs
	return r, nil
}

// EncodeBody implements Body.
func (r *NegotiateResponse) EncodeBody() []byte {
	b := make([]byte, negotiateRespFixed, negotiateRespFixed+len(r.SecurityBuffer)+96)
	le.PutUint16(b[0:2], 65)                          // StructureSize
	le.PutUint16(b[2:4], r.SecurityMode)              // SecurityMode
	le.PutUint16(b[4:6], uint16(r.DialectRevision))   // DialectRevision
	copy(b[8:24], r.ServerGUID[:])                    // ServerGuid
	le.PutUint32(b[24:28], r.Capabilities)            // Capabilities
	le.PutUint32(b[28:32], r.MaxTransactSize)         // MaxTransactSize
	le.PutUint32(b[32:36], r.MaxReadSize)             // MaxReadSize
	le.PutUint32(b[36:40], r.MaxWriteSize)            // MaxWriteSize
	le.PutUint64(b[40:48], uint64(r.SystemTime))      // SystemTime
	le.PutUint64(b[48:56], uint64(r.ServerStartTime)) // ServerStartTime
	// Windows and Samba both point an empty buffer at 0x80 too.
	le.PutUint16(b[56:58], HeaderSize+negotiateRespFixed) // SecurityBufferOffset
	le.PutUint16(b[58:60], uint16(len(r.SecurityBuffer))) // SecurityBufferLength
	b = append(b, r.SecurityBuffer...)                    // Buffer
	if r.DialectRevision == Dialect311 && len(r.Contexts) > 0 {
		for (HeaderSize+len(b))%8 != 0 {
			b = append(b, 0) // Padding
		}
		le.PutUint16(b[6:8], uint16(len(r.Contexts)))     // NegotiateContextCount
		le.PutUint32(b[60:64], uint32(HeaderSize+len(b))) // NegotiateContextOffset
		b = encodeContexts(b, r.Contexts)
	}
	return b
}

// DecodeQueryInfoRequest reads a QUERY_INFO request body.
func DecodeQueryInfoRequest(body []byte) (*QueryInfoRequest, error) {
	if err := checkFixed(body, queryInfoReqFixed, 41, "QUERY_INFO request"); err != nil {
		return nil, err
	}
	r := &QueryInfoRequest{
		InfoType:              body[2],
		FileInfoClass:         body[3],
		OutputBufferLength:    le.Uint32(body[4:8]),
		Reserved:              le.Uint16(body[10:12]),
		AdditionalInformation: le.Uint32(body[16:20]),
		Flags:                 le.Uint32(body[20:24]),
		FileID:                getFileID(body[24:40]),
	}
	in, err := bodyField(body, uint32(le.Uint16(body[8:10])), le.Uint32(body[12:16]), "QUERY_INFO Input")
	if err != nil {
		return nil, err
	}
	r.Input = in
	return r, nil
}

// EncodeBody implements Body.
func (r *QueryInfoResponse) EncodeBody() []byte {
	b := make([]byte, queryInfoRespFixed, queryInfoRespFixed+len(r.OutputBuffer)+1)
	le.PutUint16(b[0:2], 9)                             // StructureSize
	le.PutUint16(b[2:4], HeaderSize+queryInfoRespFixed) // OutputBufferOffset
	le.PutUint32(b[4:8], uint32(len(r.OutputBuffer)))   // OutputBufferLength
	if len(r.OutputBuffer) == 0 {
		return append(b, 0)
	}
	return append(b, r.OutputBuffer...)
}

// DecodeReadRequest reads a READ request body.
func DecodeReadRequest(body []byte) (*ReadRequest, error) {
	if err := checkFixed(body, readReqFixed, 49, "READ request"); err != nil {
		return nil, err
	}
	r := &ReadRequest{
		Padding:        body[2],
		Flags:          body[3],
		Length:         le.Uint32(body[4:8]),
		Offset:         le.Uint64(body[8:16]),
		FileID:         getFileID(body[16:32]),
		MinimumCount:   le.Uint32(body[32:36]),
		Channel:        le.Uint32(body[36:40]),
		RemainingBytes: le.Uint32(body[40:44]),
	}
	ci, err := bodyField(body, uint32(le.Uint16(body[44:46])), uint32(le.Uint16(body[46:48])), "READ ReadChannelInfo")
	if err != nil {
		return nil, err
	}
	r.ReadChannelInfo = ci
	return r, nil
}

// EncodeBody implements Body. Data always follows the fixed part (DataOffset 0x50).
func (r *ReadResponse) EncodeBody() []byte {
	b := make([]byte, readRespFixed+len(r.Data))
	le.PutUint16(b[0:2], 17)                  // StructureSize
	b[2] = HeaderSize + readRespFixed         // DataOffset
	b[3] = r.Reserved                         // Reserved
	le.PutUint32(b[4:8], uint32(len(r.Data))) // DataLength
	le.PutUint32(b[8:12], r.DataRemaining)    // DataRemaining
	le.PutUint32(b[12:16], r.Flags)           // Reserved2/Flags
	copy(b[16:], r.Data)                      // Buffer
	return b
}

// DecodeWriteRequest reads a WRITE request body.
func DecodeWriteRequest(body []byte) (*WriteRequest, error) {
	if err := checkFixed(body, writeReqFixed, 49, "WRITE request"); err != nil {
		return nil, err
	}
	r := &WriteRequest{
		Offset:         le.Uint64(body[8:16]),
		FileID:         getFileID(body[16:32]),
		Channel:        le.Uint32(body[32:36]),
		RemainingBytes: le.Uint32(body[36:40]),
		Flags:          le.Uint32(body[44:48]),
	}
	d, err := bodyField(body, uint32(le.Uint16(body[2:4])), le.Uint32(body[4:8]), "WRITE Data")
	if err != nil {
		return nil, err
	}
	r.Data = d
	ci, err := bodyField(body, uint32(le.Uint16(body[40:42])), uint32(le.Uint16(body[42:44])), "WRITE WriteChannelInfo")
	if err != nil {
		return nil, err
	}
	r.WriteChannelInfo = ci
	return r, nil
}

// EncodeBody implements Body. The channel-info fields are unused (0).
func (r *WriteResponse) EncodeBody() []byte {
	b := make([]byte, 16)
	le.PutUint16(b[0:2], 17)           // StructureSize
	le.PutUint16(b[2:4], r.Reserved)   // Reserved
	le.PutUint32(b[4:8], r.Count)      // Count
	le.PutUint32(b[8:12], r.Remaining) // Remaining
	return b                           // WriteChannelInfoOffset/Length: 0
}

// DecodeSessionSetupRequest reads a SESSION_SETUP request body.
func DecodeSessionSetupRequest(body []byte) (*SessionSetupRequest, error) {
	if err := checkFixed(body, sessionSetupReqFixed, 25, "SESSION_SETUP request"); err != nil {
		return nil, err
	}
	r := &SessionSetupRequest{
		Flags:             body[2],
		SecurityMode:      body[3],
		Capabilities:      le.Uint32(body[4:8]),
		Channel:           le.Uint32(body[8:12]),
		PreviousSessionID: le.Uint64(body[16:24]),
	}
	sb, err := bodyField(body, uint32(le.Uint16(body[12:14])), uint32(le.Uint16(body[14:16])), "SESSION_SETUP SecurityBuffer")
	if err != nil {
		return nil, err
	}
	r.SecurityBuffer = sb
	return r, nil
}

// EncodeBody implements Body.
func (r *SessionSetupResponse) EncodeBody() []byte {
	b := make([]byte, sessionSetupRespFixed+len(r.SecurityBuffer))
	le.PutUint16(b[0:2], 9)                                // StructureSize
	le.PutUint16(b[2:4], r.SessionFlags)                   // SessionFlags
	le.PutUint16(b[4:6], HeaderSize+sessionSetupRespFixed) // SecurityBufferOffset
	le.PutUint16(b[6:8], uint16(len(r.SecurityBuffer)))    // SecurityBufferLength
	copy(b[8:], r.SecurityBuffer)                          // Buffer
	return b
}

// DecodeTreeConnectRequest reads a TREE_CONNECT request body. A 3.1.1 extension
// (Flags & TreeConnectFlagExtensionPresent) is not interpreted: the path is still found
// by PathOffset.
func DecodeTreeConnectRequest(body []byte) (*TreeConnectRequest, error) {
	if err := checkFixed(body, treeConnectReqFixed, 9, "TREE_CONNECT request"); err != nil {
		return nil, err
	}
	r := &TreeConnectRequest{Flags: le.Uint16(body[2:4])}
	if r.Flags&TreeConnectFlagExtensionPresent != 0 {
		return nil, fmt.Errorf("%w: TREE_CONNECT extension not supported", ErrMalformed)
	}
	p, err := bodyField(body, uint32(le.Uint16(body[4:6])), uint32(le.Uint16(body[6:8])), "TREE_CONNECT Path")
	if err != nil {
		return nil, err
	}
	r.Path = utf16le.DecodeToNUL(p)
	return r, nil
}

// EncodeBody implements Body.
func (r *TreeConnectResponse) EncodeBody() []byte {
	b := make([]byte, 16)
	le.PutUint16(b[0:2], 16)                // StructureSize
	b[2] = r.ShareType                      // ShareType
	b[3] = r.Reserved                       // Reserved
	le.PutUint32(b[4:8], r.ShareFlags)      // ShareFlags
	le.PutUint32(b[8:12], r.Capabilities)   // Capabilities
	le.PutUint32(b[12:16], r.MaximalAccess) // MaximalAccess
	return b
}

// maxDialects bounds DialectCount; five are defined.
const maxDialects = 64
