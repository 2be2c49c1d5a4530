package smb2

import (
	"fmt"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// CarriesErrorBody reports whether a response with this header carries an ERROR body
// rather than the command's own: error statuses do, except SESSION_SETUP's
// MORE_PROCESSING_REQUIRED; an interim STATUS_PENDING does too. Warnings such as
// BUFFER_OVERFLOW keep the command's body (a short pipe READ or IOCTL).
func CarriesErrorBody(h *Header) bool {
	if !h.IsResponse() {
		return false
	}
	if h.Status == ntstatus.Pending && h.IsAsync() {
		return true
	}
	if !h.Status.IsError() {
		return false
	}
	return !(h.Command == CmdSessionSetup && h.Status == ntstatus.MoreProcessingRequired)
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
