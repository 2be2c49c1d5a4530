package smb2

import (
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
