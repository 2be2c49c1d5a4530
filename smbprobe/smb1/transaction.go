package smb1

import "fmt"

// Named pipe subcommands carried in Setup[0] of SMB_COM_TRANSACTION (MS-CIFS 2.2.5).
const (
	TransSetNmpipeState  uint16 = 0x0001
	TransRawReadNmpipe   uint16 = 0x0011
	TransQueryNmpipeInfo uint16 = 0x0022
	TransPeekNmpipe      uint16 = 0x0023
	TransTransactNmpipe  uint16 = 0x0026
	TransWaitNmpipe      uint16 = 0x0053
	TransCallNmpipe      uint16 = 0x0054
)

// PipeName is the transaction Name for named pipe subcommands.
const PipeName = `\PIPE\`

const (
	transReqFixed  = 28 // words before Setup in a request
	transRespFixed = 20 // words before Setup in a response
)

// TransactionRequest is SMB_COM_TRANSACTION (MS-CIFS 2.2.4.33.1), also used for
// SMB_COM_TRANSACTION2 (2.2.4.46.1) whose layout differs only in having no Name.
//
// Encode writes TotalParameterCount and TotalDataCount as the larger of the field and the
// length actually sent; secondary requests are never sent, so leaving them 0 is right.
type TransactionRequest struct {
	TotalParameterCount uint16
	TotalDataCount      uint16
	MaxParameterCount   uint16
	MaxDataCount        uint16
	MaxSetupCount       uint8
	Flags               uint16
	Timeout             uint32
	Setup               []uint16
	Name                string // TRANSACTION only
	Parameters          []byte
	Data                []byte
}

// PeekNamedPipeRequest is the MS17-010 probe of docs/checks.md §5: PeekNamedPipe on FID 0,
// all counts 0, MaxParameterCount and MaxDataCount 0xFFFF, Name `\PIPE\`.
func PeekNamedPipeRequest(fid uint16) TransactionRequest {
	return TransactionRequest{
		MaxParameterCount: 0xFFFF,
		MaxDataCount:      0xFFFF,
		Setup:             []uint16{TransPeekNmpipe, fid},
		Name:              PipeName,
	}
}

// TransactNmPipeRequest writes data to a message-mode pipe and reads the reply in one
// exchange (MS-CIFS 2.2.5.6); maxData bounds the reply.
func TransactNmPipeRequest(fid uint16, data []byte, maxData uint16) TransactionRequest {
	return TransactionRequest{
		MaxDataCount: maxData,
		Setup:        []uint16{TransTransactNmpipe, fid},
		Name:         PipeName,
		Data:         data,
	}
}

func maxU16(field uint16, n int) uint16 {
	if int(field) > n {
		return field
	}
	return uint16(n)
}

// Encode returns a TRANSACTION request with h (Command is set here).
func (r TransactionRequest) Encode(h Header) []byte { return r.encode(h, CmdTransaction) }

// EncodeTrans2 returns a TRANSACTION2 request (no Name) with h.
func (r TransactionRequest) EncodeTrans2(h Header) []byte { return r.encode(h, CmdTransaction2) }

func (r TransactionRequest) encode(h Header, cmd byte) []byte {
	w := make([]byte, transReqFixed+2*len(r.Setup))
	d := newBuilder(len(w))
	if cmd == CmdTransaction {
		d.str(r.Name, h.Unicode(), true) // Pad + Name
	} else {
		d.str("", h.Unicode(), true) // Name: unused in TRANSACTION2, an empty string (MS-CIFS 2.2.4.46.1)
	}
	// Windows aligns parameters and data to 4 bytes from the header start.
	d.pad(4)                                                               // Pad1
	paramOff := d.pos()                                                    //
	d.raw(r.Parameters)                                                    // Trans_Parameters
	d.pad(4)                                                               // Pad2
	dataOff := d.pos()                                                     //
	d.raw(r.Data)                                                          // Trans_Data
	le.PutUint16(w[0:2], maxU16(r.TotalParameterCount, len(r.Parameters))) // TotalParameterCount
	le.PutUint16(w[2:4], maxU16(r.TotalDataCount, len(r.Data)))            // TotalDataCount
	le.PutUint16(w[4:6], r.MaxParameterCount)                              // MaxParameterCount
	le.PutUint16(w[6:8], r.MaxDataCount)                                   // MaxDataCount
	w[8] = r.MaxSetupCount                                                 // MaxSetupCount
	w[9] = 0                                                               // Reserved1
	le.PutUint16(w[10:12], r.Flags)                                        // Flags
	le.PutUint32(w[12:16], r.Timeout)                                      // Timeout
	le.PutUint16(w[16:18], 0)                                              // Reserved2
	le.PutUint16(w[18:20], uint16(len(r.Parameters)))                      // ParameterCount
	le.PutUint16(w[20:22], uint16(paramOff))                               // ParameterOffset
	le.PutUint16(w[22:24], uint16(len(r.Data)))                            // DataCount
	le.PutUint16(w[24:26], uint16(dataOff))                                // DataOffset
	w[26] = uint8(len(r.Setup))                                            // SetupCount
	w[27] = 0                                                              // Reserved3
	for i, s := range r.Setup {
		le.PutUint16(w[transReqFixed+2*i:], s) // Setup
	}
	return encodePlain(h, cmd, w, d.b)
}

// block returns count bytes at offset from the header start, after checking that they lie
// in the message's data area (from the start of Bytes to the end of the received message).
// An empty block is valid whatever its offset: Windows sends arbitrary offsets with count 0.
func (m Message) block(offset, count int, what string) ([]byte, error) {
	if count == 0 {
		return nil, nil
	}
	end := m.Len()
	if m.Raw != nil {
		end = len(m.Raw)
	}
	start := m.BytesOffset()
	if offset < start || offset > end || count > end-offset {
		return nil, fmt.Errorf("%w: %s: offset %d count %d outside data area [%d,%d)", ErrMalformed, what, offset, count, start, end)
	}
	if m.Raw != nil {
		return m.Raw[offset : offset+count], nil
	}
	return m.Bytes[offset-start : offset-start+count], nil
}

// setupWords checks that WordCount is fixed+SetupCount and reads Setup.
func (m Message) setupWords(fixedBytes, countAt int, what string) ([]uint16, error) {
	if len(m.Words) < fixedBytes {
		return nil, fmt.Errorf("%w: %s: WordCount %d", ErrMalformed, what, m.WordCount)
	}
	n := int(m.Words[countAt])
	if int(m.WordCount) != fixedBytes/2+n || len(m.Words) != fixedBytes+2*n {
		return nil, fmt.Errorf("%w: %s: WordCount %d with SetupCount %d", ErrMalformed, what, m.WordCount, n)
	}
	var s []uint16
	for i := 0; i < n; i++ {
		s = append(s, le.Uint16(m.Words[fixedBytes+2*i:]))
	}
	return s, nil
}

// TransactionResponse is the TRANSACTION / TRANSACTION2 response (MS-CIFS 2.2.4.33.2).
// Encode writes the Total counts as the larger of the field and the length sent, so a reply
// cut short with STATUS_BUFFER_OVERFLOW can announce the full size.
type TransactionResponse struct {
	TotalParameterCount   uint16
	TotalDataCount        uint16
	ParameterDisplacement uint16
	DataDisplacement      uint16
	Setup                 []uint16
	Parameters            []byte
	Data                  []byte
}

// DecodeTransactionResponse decodes a TRANSACTION or TRANSACTION2 response, validating the
// parameter and data offsets against the message.
func DecodeTransactionResponse(m Message) (TransactionResponse, error) {
	cmd := m.Header.Command
	if cmd != CmdTransaction && cmd != CmdTransaction2 {
		return TransactionResponse{}, fmt.Errorf("%w: transaction response: command %#02x", ErrMalformed, cmd)
	}
	setup, err := m.setupWords(transRespFixed, 18, "transaction response")
	if err != nil {
		return TransactionResponse{}, err
	}
	w := m.Words
	r := TransactionResponse{
		TotalParameterCount:   le.Uint16(w[0:2]),
		TotalDataCount:        le.Uint16(w[2:4]),
		ParameterDisplacement: le.Uint16(w[10:12]),
		DataDisplacement:      le.Uint16(w[16:18]),
		Setup:                 setup,
	}
	if r.Parameters, err = m.block(int(le.Uint16(w[8:10])), int(le.Uint16(w[6:8])), "transaction response Parameters"); err != nil {
		return TransactionResponse{}, err
	}
	if r.Data, err = m.block(int(le.Uint16(w[14:16])), int(le.Uint16(w[12:14])), "transaction response Data"); err != nil {
		return TransactionResponse{}, err
	}
	return r, nil
}
