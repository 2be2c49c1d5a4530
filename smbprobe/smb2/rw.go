package smb2

// ReadRequest is SMB2 READ Request (StructureSize 49).
type ReadRequest struct {
	Padding         uint8 // requested offset of the data in the response, e.g. 0x50
	Flags           uint8
	Length          uint32
	Offset          uint64
	FileID          FileID
	MinimumCount    uint32
	Channel         uint32
	RemainingBytes  uint32
	ReadChannelInfo []byte
}

const readReqFixed = 48

// EncodeBody implements Body.
func (r *ReadRequest) EncodeBody() []byte {
	b := make([]byte, readReqFixed, readReqFixed+1+len(r.ReadChannelInfo))
	le.PutUint16(b[0:2], 49)                 // StructureSize
	b[2] = r.Padding                         // Padding
	b[3] = r.Flags                           // Flags
	le.PutUint32(b[4:8], r.Length)           // Length
	le.PutUint64(b[8:16], r.Offset)          // Offset
	r.FileID.put(b[16:32])                   // FileId
	le.PutUint32(b[32:36], r.MinimumCount)   // MinimumCount
	le.PutUint32(b[36:40], r.Channel)        // Channel
	le.PutUint32(b[40:44], r.RemainingBytes) // RemainingBytes
	if len(r.ReadChannelInfo) > 0 {
		le.PutUint16(b[44:46], HeaderSize+readReqFixed)        // ReadChannelInfoOffset
		le.PutUint16(b[46:48], uint16(len(r.ReadChannelInfo))) // ReadChannelInfoLength
		return append(b, r.ReadChannelInfo...)
	}
	return append(b, 0) // Buffer: at least one byte even when empty
}

// ReadResponse is SMB2 READ Response (StructureSize 17).
type ReadResponse struct {
	Reserved      uint8
	DataRemaining uint32
	Flags         uint32 // Reserved2 before 3.1.1
	Data          []byte
}

const readRespFixed = 16

// DecodeReadResponse reads a READ response body (status SUCCESS or BUFFER_OVERFLOW, the
// latter on a short message-mode pipe read).
func DecodeReadResponse(body []byte) (*ReadResponse, error) {
	if err := checkFixed(body, readRespFixed, 17, "READ response"); err != nil {
		return nil, err
	}
	r := &ReadResponse{
		Reserved:      body[3],
		DataRemaining: le.Uint32(body[8:12]),
		Flags:         le.Uint32(body[12:16]),
	}
	d, err := bodyField(body, uint32(body[2]), le.Uint32(body[4:8]), "READ Data")
	if err != nil {
		return nil, err
	}
	r.Data = d
	return r, nil
}

// WriteRequest is SMB2 WRITE Request (StructureSize 49).
type WriteRequest struct {
	Offset           uint64
	FileID           FileID
	Channel          uint32
	RemainingBytes   uint32
	Flags            uint32
	Data             []byte
	WriteChannelInfo []byte
}

const writeReqFixed = 48

// EncodeBody implements Body. Data follows the fixed part (DataOffset 0x70), channel
// info (RDMA only) after it.
func (r *WriteRequest) EncodeBody() []byte {
	b := make([]byte, writeReqFixed+len(r.Data)+len(r.WriteChannelInfo))
	le.PutUint16(b[0:2], 49)                       // StructureSize
	le.PutUint16(b[2:4], HeaderSize+writeReqFixed) // DataOffset
	le.PutUint32(b[4:8], uint32(len(r.Data)))      // Length
	le.PutUint64(b[8:16], r.Offset)                // Offset
	r.FileID.put(b[16:32])                         // FileId
	le.PutUint32(b[32:36], r.Channel)              // Channel
	le.PutUint32(b[36:40], r.RemainingBytes)       // RemainingBytes
	if len(r.WriteChannelInfo) > 0 {
		le.PutUint16(b[40:42], uint16(HeaderSize+writeReqFixed+len(r.Data))) // WriteChannelInfoOffset
		le.PutUint16(b[42:44], uint16(len(r.WriteChannelInfo)))              // WriteChannelInfoLength
	}
	le.PutUint32(b[44:48], r.Flags) // Flags
	copy(b[48:], r.Data)
	copy(b[48+len(r.Data):], r.WriteChannelInfo)
	return b
}

// WriteResponse is SMB2 WRITE Response (StructureSize 17).
type WriteResponse struct {
	Reserved  uint16
	Count     uint32
	Remaining uint32
}

// DecodeWriteResponse reads a WRITE response body.
func DecodeWriteResponse(body []byte) (*WriteResponse, error) {
	if err := checkFixed(body, 16, 17, "WRITE response"); err != nil {
		return nil, err
	}
	return &WriteResponse{Reserved: le.Uint16(body[2:4]), Count: le.Uint32(body[4:8]), Remaining: le.Uint32(body[8:12])}, nil
}
