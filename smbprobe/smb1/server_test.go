package smb1

import (
	"fmt"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// The server direction of the codec: request decoders and response encoders. scan445 only
// sends requests and reads responses, and the lab parses and builds its messages with its own
// code on purpose (an independent oracle of these encoders), so nothing outside the tests
// needs this half. It lives here for the round-trip tests, which decode real client requests
// (Windows XP, Windows 7, nmap, impacket) and require the encoders to reproduce their bytes,
// and which push every response through encode → decode.

// DecodeTreeConnectRequest decodes the request.
func DecodeTreeConnectRequest(m Message) (TreeConnectRequest, error) {
	if err := m.expect(CmdTreeConnectAndX, "tree connect request", 4); err != nil {
		return TreeConnectRequest{}, err
	}
	if _, err := m.AndX(); err != nil {
		return TreeConnectRequest{}, err
	}
	r := TreeConnectRequest{Flags: le.Uint16(m.Words[4:6])}
	d := newBytesReader(m)
	pw, err := d.take(int(le.Uint16(m.Words[6:8])), "tree connect Password")
	if err != nil {
		return TreeConnectRequest{}, err
	}
	r.Password = orNil(pw)
	r.Path = d.str(m.Header.Unicode(), true)
	r.Service = d.str(false, false)
	return r, nil
}

// DecodeTransactionRequest decodes a TRANSACTION or TRANSACTION2 request (the lab server's
// side). Parameters and Data are views into the message, validated against it.
func DecodeTransactionRequest(m Message) (TransactionRequest, error) {
	cmd := m.Header.Command
	if cmd != CmdTransaction && cmd != CmdTransaction2 {
		return TransactionRequest{}, fmt.Errorf("%w: transaction request: command %#02x", ErrMalformed, cmd)
	}
	setup, err := m.setupWords(transReqFixed, 26, "transaction request")
	if err != nil {
		return TransactionRequest{}, err
	}
	w := m.Words
	r := TransactionRequest{
		TotalParameterCount: le.Uint16(w[0:2]),
		TotalDataCount:      le.Uint16(w[2:4]),
		MaxParameterCount:   le.Uint16(w[4:6]),
		MaxDataCount:        le.Uint16(w[6:8]),
		MaxSetupCount:       w[8],
		Flags:               le.Uint16(w[10:12]),
		Timeout:             le.Uint32(w[12:16]),
		Setup:               setup,
	}
	if r.Parameters, err = m.block(int(le.Uint16(w[20:22])), int(le.Uint16(w[18:20])), "transaction Parameters"); err != nil {
		return TransactionRequest{}, err
	}
	if r.Data, err = m.block(int(le.Uint16(w[24:26])), int(le.Uint16(w[22:24])), "transaction Data"); err != nil {
		return TransactionRequest{}, err
	}
	if cmd == CmdTransaction {
		r.Name = newBytesReader(m).str(m.Header.Unicode(), true)
	}
	return r, nil
}

// DecodeCloseRequest decodes the request.
func DecodeCloseRequest(m Message) (CloseRequest, error) {
	if err := m.expect(CmdClose, "close request", 3); err != nil {
		return CloseRequest{}, err
	}
	return CloseRequest{FID: le.Uint16(m.Words[0:2]), LastTimeModified: le.Uint32(m.Words[2:6])}, nil
}

// DecodeTreeDisconnectRequest checks the request shape.
func DecodeTreeDisconnectRequest(m Message) (TreeDisconnectRequest, error) {
	return TreeDisconnectRequest{}, m.expect(CmdTreeDisconnect, "tree disconnect request", 0)
}

// DecodeLogoffRequest checks the request shape and its AndX block.
func DecodeLogoffRequest(m Message) (LogoffRequest, error) {
	if err := m.expect(CmdLogoffAndX, "logoff request", 2); err != nil {
		return LogoffRequest{}, err
	}
	_, err := m.AndX()
	return LogoffRequest{}, err
}

// DecodeEchoRequest decodes the request.
func DecodeEchoRequest(m Message) (EchoRequest, error) {
	if err := m.expect(CmdEcho, "echo request", 1); err != nil {
		return EchoRequest{}, err
	}
	return EchoRequest{EchoCount: le.Uint16(m.Words), Data: orNil(m.Bytes)}, nil
}

// DecodeSessionSetupRequest decodes either form, chosen by WordCount.
func DecodeSessionSetupRequest(m Message) (SessionSetupRequest, error) {
	if err := m.expect(CmdSessionSetupAnd, "session setup request", sessionSetupExtWC, sessionSetupBasicWC); err != nil {
		return SessionSetupRequest{}, err
	}
	if _, err := m.AndX(); err != nil {
		return SessionSetupRequest{}, err
	}
	w, u := m.Words, m.Header.Unicode()
	r := SessionSetupRequest{
		MaxBufferSize: le.Uint16(w[4:6]),
		MaxMpxCount:   le.Uint16(w[6:8]),
		VcNumber:      le.Uint16(w[8:10]),
		SessionKey:    le.Uint32(w[10:14]),
	}
	d := newBytesReader(m)
	var err error
	if m.WordCount == sessionSetupExtWC {
		r.Extended = true
		r.Capabilities = le.Uint32(w[20:24])
		if r.SecurityBlob, err = d.take(int(le.Uint16(w[14:16])), "session setup SecurityBlob"); err != nil {
			return SessionSetupRequest{}, err
		}
		r.SecurityBlob = orNil(r.SecurityBlob)
	} else {
		r.Capabilities = le.Uint32(w[22:26])
		if r.OEMPassword, err = d.take(int(le.Uint16(w[14:16])), "session setup OEMPassword"); err != nil {
			return SessionSetupRequest{}, err
		}
		if r.UnicodePassword, err = d.take(int(le.Uint16(w[16:18])), "session setup UnicodePassword"); err != nil {
			return SessionSetupRequest{}, err
		}
		r.OEMPassword, r.UnicodePassword = orNil(r.OEMPassword), orNil(r.UnicodePassword)
		r.AccountName = d.str(u, true)
		r.PrimaryDomain = d.str(u, true)
	}
	r.NativeOS = d.str(u, true)
	r.NativeLanMan = d.str(u, true)
	return r, nil
}

// DecodeWriteRequest decodes either form; the data is located by DataOffset and checked
// against the message. DataLengthHigh is honoured (CAP_LARGE_WRITEX).
func DecodeWriteRequest(m Message) (WriteRequest, error) {
	if err := m.expect(CmdWriteAndX, "write request", writeAndXWC12, writeAndXWC14); err != nil {
		return WriteRequest{}, err
	}
	if _, err := m.AndX(); err != nil {
		return WriteRequest{}, err
	}
	w := m.Words
	r := WriteRequest{
		FID:       le.Uint16(w[4:6]),
		Offset:    uint64(le.Uint32(w[6:10])),
		Timeout:   le.Uint32(w[10:14]),
		WriteMode: le.Uint16(w[14:16]),
		Remaining: le.Uint16(w[16:18]),
	}
	if m.WordCount == writeAndXWC14 {
		r.Offset |= uint64(le.Uint32(w[24:28])) << 32
	}
	n := int(le.Uint16(w[18:20]))<<16 | int(le.Uint16(w[20:22]))
	var err error
	if r.Data, err = m.block(int(le.Uint16(w[22:24])), n, "write Data"); err != nil {
		return WriteRequest{}, err
	}
	return r, nil
}

// DecodeReadRequest decodes either form.
func DecodeReadRequest(m Message) (ReadRequest, error) {
	if err := m.expect(CmdReadAndX, "read request", readAndXWC10, readAndXWC12); err != nil {
		return ReadRequest{}, err
	}
	if _, err := m.AndX(); err != nil {
		return ReadRequest{}, err
	}
	w := m.Words
	r := ReadRequest{
		FID:       le.Uint16(w[4:6]),
		Offset:    uint64(le.Uint32(w[6:10])),
		MaxCount:  le.Uint16(w[10:12]),
		MinCount:  le.Uint16(w[12:14]),
		Timeout:   le.Uint32(w[14:18]),
		Remaining: le.Uint16(w[18:20]),
	}
	if m.WordCount == readAndXWC12 {
		r.Offset |= uint64(le.Uint32(w[20:24])) << 32
	}
	return r, nil
}

// DecodeNTCreateRequest decodes the request. The name is cut at NameLength or its first NUL,
// whichever comes first: Windows and nmap leave the NUL out of NameLength, some clients count it.
func DecodeNTCreateRequest(m Message) (NTCreateRequest, error) {
	if err := m.expect(CmdNTCreateAndX, "nt create request", ntCreateReqWC); err != nil {
		return NTCreateRequest{}, err
	}
	if _, err := m.AndX(); err != nil {
		return NTCreateRequest{}, err
	}
	w := m.Words
	r := NTCreateRequest{
		Flags:              le.Uint32(w[7:11]),
		RootDirectoryFID:   le.Uint32(w[11:15]),
		DesiredAccess:      le.Uint32(w[15:19]),
		AllocationSize:     le.Uint64(w[19:27]),
		ExtFileAttributes:  le.Uint32(w[27:31]),
		ShareAccess:        le.Uint32(w[31:35]),
		CreateDisposition:  le.Uint32(w[35:39]),
		CreateOptions:      le.Uint32(w[39:43]),
		ImpersonationLevel: le.Uint32(w[43:47]),
		SecurityFlags:      w[47],
	}
	d := newBytesReader(m)
	u := m.Header.Unicode()
	if u && d.pos()%2 == 1 && d.left() > 0 {
		d.off++ // Pad
	}
	name, err := d.take(int(le.Uint16(w[5:7])), "nt create FileName")
	if err != nil {
		return NTCreateRequest{}, err
	}
	r.FileName = (&reader{b: name}).str(u, false)
	return r, nil
}

// DecodeNegotiateRequest decodes the dialect list.
func DecodeNegotiateRequest(m Message) (NegotiateRequest, error) {
	if err := m.expect(CmdNegotiate, "negotiate request", 0); err != nil {
		return NegotiateRequest{}, err
	}
	var r NegotiateRequest
	b := m.Bytes
	for len(b) > 0 {
		if b[0] != dialectBufferFormat {
			return NegotiateRequest{}, fmt.Errorf("%w: negotiate request: BufferFormat %#02x", ErrMalformed, b[0])
		}
		end := -1
		for i := 1; i < len(b); i++ {
			if b[i] == 0 {
				end = i
				break
			}
		}
		if end < 0 {
			return NegotiateRequest{}, fmt.Errorf("%w: negotiate request: dialect without NUL", ErrTruncated)
		}
		r.Dialects = append(r.Dialects, oemString(b[1:end]))
		b = b[end+1:]
	}
	return r, nil
}

// Encode returns the response with h (Command is set here).
func (r TreeConnectResponse) Encode(h Header) []byte {
	var w []byte
	if r.Extended {
		w = make([]byte, 14)
		le.PutUint32(w[6:10], r.MaximalShareAccessRights)       // MaximalShareAccessRights
		le.PutUint32(w[10:14], r.GuestMaximalShareAccessRights) // GuestMaximalShareAccessRights
	} else {
		w = make([]byte, 6)
	}
	le.PutUint16(w[4:6], r.OptionalSupport) // OptionalSupport
	d := newBuilder(len(w))
	d.str(r.Service, false, false)               // Service
	d.str(r.NativeFileSystem, h.Unicode(), true) // Pad + NativeFileSystem
	return encodeAndX(h, CmdTreeConnectAndX, w, d.b)
}

// Encode returns a TRANSACTION response with h (Command is set here).
func (r TransactionResponse) Encode(h Header) []byte { return r.encode(h, CmdTransaction) }

// EncodeTrans2 returns a TRANSACTION2 response with h.
func (r TransactionResponse) EncodeTrans2(h Header) []byte { return r.encode(h, CmdTransaction2) }

// Encode returns the response with h (Command is set here).
func (CloseResponse) Encode(h Header) []byte { return encodePlain(h, CmdClose, nil, nil) }

// Encode returns the response with h (Command is set here).
func (TreeDisconnectResponse) Encode(h Header) []byte {
	return encodePlain(h, CmdTreeDisconnect, nil, nil)
}

// Encode returns the response with h (Command is set here).
func (LogoffResponse) Encode(h Header) []byte {
	return encodeAndX(h, CmdLogoffAndX, make([]byte, 4), nil)
}

// Encode returns the response with h (Command is set here).
func (r EchoResponse) Encode(h Header) []byte {
	w := make([]byte, 2)
	le.PutUint16(w, r.SequenceNumber) // SequenceNumber
	return encodePlain(h, CmdEcho, w, r.Data)
}

// Encode returns the response with h (Command is set here), laid out as Windows XP and 7 send
// it: an empty PrimaryDomain is left out, and with Unicode the last string ends in a single
// zero byte instead of a 2-byte NUL (ByteCount one short, a Windows habit that nmap, impacket
// and Windows clients all accept; decoders here accept both).
func (r SessionSetupResponse) Encode(h Header) []byte {
	u := h.Unicode()
	var w []byte
	if r.Extended {
		w = make([]byte, 8)
		le.PutUint16(w[6:8], uint16(len(r.SecurityBlob))) // SecurityBlobLength
	} else {
		w = make([]byte, 6)
	}
	le.PutUint16(w[4:6], r.Action) // Action
	d := newBuilder(len(w))
	d.raw(r.SecurityBlob)          // SecurityBlob (absent in the basic form)
	d.str(r.NativeOS, u, true)     // Pad + NativeOS
	d.str(r.NativeLanMan, u, true) // NativeLanMan
	if r.PrimaryDomain != "" {
		d.str(r.PrimaryDomain, u, true) // PrimaryDomain
	}
	if u {
		d.b = d.b[:len(d.b)-1] // one byte of the last NUL, as Windows
	}
	return encodeAndX(h, CmdSessionSetupAnd, w, d.b)
}

// Encode returns the response with h (Command is set here).
func (r WriteResponse) Encode(h Header) []byte {
	w := make([]byte, 2*writeAndXRespWC)
	le.PutUint16(w[4:6], uint16(r.Count))      // Count
	le.PutUint16(w[6:8], r.Available)          // Available
	le.PutUint16(w[8:10], uint16(r.Count>>16)) // CountHigh
	le.PutUint16(w[10:12], 0)                  // Reserved
	return encodeAndX(h, CmdWriteAndX, w, nil)
}

// Encode returns the response with h (Command is set here). As Windows XP sends it, the data
// follows a pad byte at offset 60 and AndXOffset is 0.
func (r ReadResponse) Encode(h Header) []byte {
	w := make([]byte, 2*readAndXRespWC)
	d := newBuilder(len(w))
	d.pad(2)                                        // Pad
	dataOff := d.pos()                              //
	d.raw(r.Data)                                   // Data
	le.PutUint16(w[4:6], r.Available)               // Available
	le.PutUint16(w[6:8], r.DataCompactionMode)      // DataCompactionMode
	le.PutUint16(w[8:10], 0)                        // Reserved1
	le.PutUint16(w[10:12], uint16(len(r.Data)))     // DataLength
	le.PutUint16(w[12:14], uint16(dataOff))         // DataOffset
	le.PutUint16(w[14:16], uint16(len(r.Data)>>16)) // DataLengthHigh
	// w[16:24]: Reserved2, zero
	w[0] = CmdNone // AndXCommand; AndXReserved and AndXOffset stay 0
	return encodePlain(h, CmdReadAndX, w, d.b)
}

// Encode returns the response with h (Command is set here).
func (r NTCreateResponse) Encode(h Header) []byte {
	n := ntCreateRespLen
	if r.Extended {
		n = ntCreateRespExtLen
	}
	w := make([]byte, n)
	w[4] = r.OplockLevel                        // OplockLevel
	le.PutUint16(w[5:7], r.FID)                 // FID
	le.PutUint32(w[7:11], r.CreateAction)       // CreateDisposition
	le.PutUint64(w[11:19], r.CreateTime)        // CreateTime
	le.PutUint64(w[19:27], r.LastAccessTime)    // LastAccessTime
	le.PutUint64(w[27:35], r.LastWriteTime)     // LastWriteTime
	le.PutUint64(w[35:43], r.LastChangeTime)    // LastChangeTime
	le.PutUint32(w[43:47], r.ExtFileAttributes) // ExtFileAttributes
	le.PutUint64(w[47:55], r.AllocationSize)    // AllocationSize
	le.PutUint64(w[55:63], r.EndOfFile)         // EndOfFile
	le.PutUint16(w[63:65], r.ResourceType)      // ResourceType
	le.PutUint16(w[65:67], r.NMPipeStatus)      // NMPipeStatus
	w[67] = r.Directory                         // Directory
	if r.Extended {
		copy(w[68:84], r.VolumeGUID[:])                     // VolumeGUID
		le.PutUint64(w[84:92], r.FileID)                    // FileId
		le.PutUint32(w[92:96], r.MaximalAccessRights)       // MaximalAccessRights
		le.PutUint32(w[96:100], r.GuestMaximalAccessRights) // GuestMaximalAccessRights
	}
	h.Command = CmdNTCreateAndX
	m := NewMessage(h, w, nil)
	if r.Extended {
		m.WordCount = ntCreateRespExtWC // WordCount: 42, not 50, as Windows sends it
	}
	putAndX(w, m.Len())
	return m.Encode()
}

// Encode returns the response with h (Command is set here).
func (r NegotiateResponse) Encode(h Header) []byte {
	if r.DialectIndex == NoDialect {
		w := make([]byte, 2)
		le.PutUint16(w[0:2], NoDialect) // DialectIndex
		return encodePlain(h, CmdNegotiate, w, nil)
	}
	w := make([]byte, negotiateRespWords)
	le.PutUint16(w[0:2], r.DialectIndex)             // DialectIndex
	w[2] = r.SecurityMode                            // SecurityMode
	le.PutUint16(w[3:5], r.MaxMpxCount)              // MaxMpxCount
	le.PutUint16(w[5:7], r.MaxNumberVcs)             // MaxNumberVcs
	le.PutUint32(w[7:11], r.MaxBufferSize)           // MaxBufferSize
	le.PutUint32(w[11:15], r.MaxRawSize)             // MaxRawSize
	le.PutUint32(w[15:19], r.SessionKey)             // SessionKey
	le.PutUint32(w[19:23], r.Capabilities)           // Capabilities
	le.PutUint64(w[23:31], r.SystemTime)             // SystemTime
	le.PutUint16(w[31:33], uint16(r.ServerTimeZone)) // ServerTimeZone
	d := newBuilder(len(w))
	if r.ExtendedSecurity() {
		w[33] = 0              // ChallengeLength
		d.raw(r.ServerGUID[:]) // ServerGUID
		d.raw(r.SecurityBlob)  // SecurityBlob
	} else {
		w[33] = uint8(len(r.Challenge)) // ChallengeLength
		d.raw(r.Challenge)              // Challenge
		u := negotiateUnicode(h, r.Capabilities)
		d.str(r.DomainName, u, false) // DomainName
		d.str(r.ServerName, u, false) // ServerName
	}
	return encodePlain(h, CmdNegotiate, w, d.b)
}

func (r TransactionResponse) encode(h Header, cmd byte) []byte {
	w := make([]byte, transRespFixed+2*len(r.Setup))
	d := newBuilder(len(w))
	d.pad(4)                                                               // Pad1
	paramOff := d.pos()                                                    //
	d.raw(r.Parameters)                                                    // Trans_Parameters
	d.pad(4)                                                               // Pad2
	dataOff := d.pos()                                                     //
	d.raw(r.Data)                                                          // Trans_Data
	le.PutUint16(w[0:2], maxU16(r.TotalParameterCount, len(r.Parameters))) // TotalParameterCount
	le.PutUint16(w[2:4], maxU16(r.TotalDataCount, len(r.Data)))            // TotalDataCount
	le.PutUint16(w[4:6], 0)                                                // Reserved1
	le.PutUint16(w[6:8], uint16(len(r.Parameters)))                        // ParameterCount
	le.PutUint16(w[8:10], uint16(paramOff))                                // ParameterOffset
	le.PutUint16(w[10:12], r.ParameterDisplacement)                        // ParameterDisplacement
	le.PutUint16(w[12:14], uint16(len(r.Data)))                            // DataCount
	le.PutUint16(w[14:16], uint16(dataOff))                                // DataOffset
	le.PutUint16(w[16:18], r.DataDisplacement)                             // DataDisplacement
	w[18] = uint8(len(r.Setup))                                            // SetupCount
	w[19] = 0                                                              // Reserved2
	for i, s := range r.Setup {
		le.PutUint16(w[transRespFixed+2*i:], s) // Setup
	}
	return encodePlain(h, cmd, w, d.b)
}

// Reply returns a response header for h: same IDs and signature field cleared, reply bit set.
// Tests playing the server use it so that TID/UID/PID/MID echo the request as Windows does.
func (h Header) Reply(status ntstatus.Status) Header {
	r := h
	r.Status = status
	r.Flags |= FlagsReply
	r.Signature = [8]byte{}
	return r
}

// ErrorResponse encodes a failure reply to req: its header with the reply bit and status set,
// WordCount 0 and ByteCount 0 (MS-CIFS 2.2.3.1 / 3.3.4.1.2).
func ErrorResponse(req Header, status ntstatus.Status) []byte {
	return NewMessage(req.Reply(status), nil, nil).Encode()
}

const negotiateRespWords = 34
