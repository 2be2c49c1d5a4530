package smb1

// WriteMode bits of WRITE_ANDX (MS-CIFS 2.2.4.43.1, MS-SMB 2.2.4.3.1).
const (
	WriteThrough    uint16 = 0x0001
	WriteReadBytes  uint16 = 0x0002
	WriteRawNamed   uint16 = 0x0004
	WriteMsgStart   uint16 = 0x0008
	writeAndXWC12          = 12
	writeAndXWC14          = 14
	readAndXWC10           = 10
	readAndXWC12           = 12
	readAndXRespWC         = 12
	writeAndXRespWC        = 6
)

// WriteRequest is SMB_COM_WRITE_ANDX. Encode always sends the WordCount 14 form, as Windows
// does; Decode accepts 12 and 14.
type WriteRequest struct {
	FID       uint16
	Offset    uint64
	Timeout   uint32
	WriteMode uint16
	Remaining uint16
	Data      []byte
}

// Encode returns the request with h (Command is set here). Data starts on an even offset
// after a pad byte, like Windows clients send it.
func (r WriteRequest) Encode(h Header) []byte {
	w := make([]byte, 2*writeAndXWC14)
	d := newBuilder(len(w))
	d.pad(2)                                        // Pad
	dataOff := d.pos()                              //
	d.raw(r.Data)                                   // Data
	le.PutUint16(w[4:6], r.FID)                     // FID
	le.PutUint32(w[6:10], uint32(r.Offset))         // Offset
	le.PutUint32(w[10:14], r.Timeout)               // Timeout
	le.PutUint16(w[14:16], r.WriteMode)             // WriteMode
	le.PutUint16(w[16:18], r.Remaining)             // Remaining
	le.PutUint16(w[18:20], uint16(len(r.Data)>>16)) // DataLengthHigh
	le.PutUint16(w[20:22], uint16(len(r.Data)))     // DataLength
	le.PutUint16(w[22:24], uint16(dataOff))         // DataOffset
	le.PutUint32(w[24:28], uint32(r.Offset>>32))    // OffsetHigh
	return encodeAndX(h, CmdWriteAndX, w, d.b)
}

// WriteResponse is the WRITE_ANDX response (WordCount 6).
type WriteResponse struct {
	Count     uint32 // Count | CountHigh<<16
	Available uint16
}

// DecodeWriteResponse decodes the response.
func DecodeWriteResponse(m Message) (WriteResponse, error) {
	if err := m.expect(CmdWriteAndX, "write response", writeAndXRespWC); err != nil {
		return WriteResponse{}, err
	}
	if _, err := m.AndX(); err != nil {
		return WriteResponse{}, err
	}
	w := m.Words
	return WriteResponse{
		Count:     uint32(le.Uint16(w[4:6])) | uint32(le.Uint16(w[8:10]))<<16,
		Available: le.Uint16(w[6:8]),
	}, nil
}

// ReadRequest is SMB_COM_READ_ANDX. Encode always sends the WordCount 12 form; Decode
// accepts 10 and 12.
type ReadRequest struct {
	FID       uint16
	Offset    uint64
	MaxCount  uint16 // MaxCountOfBytesToReturn
	MinCount  uint16 // MinCountOfBytesToReturn
	Timeout   uint32 // Timeout, or MaxCountHigh with CAP_LARGE_READX
	Remaining uint16
}

// Encode returns the request with h (Command is set here).
func (r ReadRequest) Encode(h Header) []byte {
	w := make([]byte, 2*readAndXWC12)
	le.PutUint16(w[4:6], r.FID)                  // FID
	le.PutUint32(w[6:10], uint32(r.Offset))      // Offset
	le.PutUint16(w[10:12], r.MaxCount)           // MaxCountOfBytesToReturn
	le.PutUint16(w[12:14], r.MinCount)           // MinCountOfBytesToReturn
	le.PutUint32(w[14:18], r.Timeout)            // Timeout
	le.PutUint16(w[18:20], r.Remaining)          // Remaining
	le.PutUint32(w[20:24], uint32(r.Offset>>32)) // OffsetHigh
	return encodeAndX(h, CmdReadAndX, w, nil)
}

// ReadResponse is the READ_ANDX response (WordCount 12). With STATUS_BUFFER_OVERFLOW on a
// message-mode pipe it carries the first part of the message.
type ReadResponse struct {
	Available          uint16
	DataCompactionMode uint16
	Data               []byte
}

// DecodeReadResponse decodes the response, checking DataOffset/DataLength against the
// message.
func DecodeReadResponse(m Message) (ReadResponse, error) {
	if err := m.expect(CmdReadAndX, "read response", readAndXRespWC); err != nil {
		return ReadResponse{}, err
	}
	if _, err := m.AndX(); err != nil {
		return ReadResponse{}, err
	}
	w := m.Words
	r := ReadResponse{
		Available:          le.Uint16(w[4:6]),
		DataCompactionMode: le.Uint16(w[6:8]),
	}
	n := int(le.Uint16(w[14:16]))<<16 | int(le.Uint16(w[10:12]))
	var err error
	if r.Data, err = m.block(int(le.Uint16(w[12:14])), n, "read Data"); err != nil {
		return ReadResponse{}, err
	}
	return r, nil
}
