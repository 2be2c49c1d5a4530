package smb2

import "fmt"

// ErrorResponse is SMB2 ERROR Response (StructureSize 9), sent with any failing status.
type ErrorResponse struct {
	ErrorContextCount uint8 // 3.1.1 only
	Reserved          uint8
	// ErrorData is usually empty; on the wire an empty ErrorData is still one zero byte
	// (MS-SMB2 2.2.2), which EncodeBody adds and DecodeErrorResponse drops.
	ErrorData []byte
}

const errorRespFixed = 8

// DecodeErrorResponse reads an ERROR response body. Windows omits the zero ErrorData byte
// in some replies, so a bare 8-byte body is accepted.
func DecodeErrorResponse(body []byte) (*ErrorResponse, error) {
	if err := checkFixed(body, errorRespFixed, 9, "ERROR response"); err != nil {
		return nil, err
	}
	r := &ErrorResponse{ErrorContextCount: body[2], Reserved: body[3]}
	n := le.Uint32(body[4:8])
	if uint64(n) > uint64(len(body)-errorRespFixed) {
		return nil, fmt.Errorf("%w: ERROR ByteCount %d with %d bytes", ErrTruncated, n, len(body)-errorRespFixed)
	}
	if n > 0 {
		r.ErrorData = body[errorRespFixed : errorRespFixed+int(n)]
	}
	return r, nil
}
