package dcerpc

import "fmt"

// FaultStatus is the status of a fault PDU: an NCA status (C706 appendix E) or, from Windows, a
// Win32 error code.
type FaultStatus uint32

// Fault statuses seen from Windows, Samba and impacket, and those C706 defines.
const (
	StatusAccessDenied       FaultStatus = 0x00000005 // nca_s_fault_access_denied (ERROR_ACCESS_DENIED)
	StatusCantPerform        FaultStatus = 0x000006d8 // nca_s_fault_cant_perform
	StatusRPCCannotSupport   FaultStatus = 0x000006e4 // RPC_S_CANNOT_SUPPORT; impacket's server faults with it
	StatusFaultNDR           FaultStatus = 0x000006f7 // nca_s_fault_ndr (RPC_X_BAD_STUB_DATA)
	StatusIntDivByZero       FaultStatus = 0x1c000001 // nca_s_fault_int_div_by_zero
	StatusAddrError          FaultStatus = 0x1c000002 // nca_s_fault_addr_error
	StatusFPDivZero          FaultStatus = 0x1c000003 // nca_s_fault_fp_div_zero
	StatusFPUnderflow        FaultStatus = 0x1c000004 // nca_s_fault_fp_underflow
	StatusFPOverflow         FaultStatus = 0x1c000005 // nca_s_fault_fp_overflow
	StatusInvalidTag         FaultStatus = 0x1c000006 // nca_s_fault_invalid_tag
	StatusInvalidBound       FaultStatus = 0x1c000007 // nca_s_fault_invalid_bound
	StatusVersionMismatch    FaultStatus = 0x1c000008 // nca_rpc_version_mismatch
	StatusUnspecReject       FaultStatus = 0x1c000009 // nca_unspec_reject
	StatusBadActID           FaultStatus = 0x1c00000a // nca_s_bad_actid
	StatusWhoAreYouFailed    FaultStatus = 0x1c00000b // nca_who_are_you_failed
	StatusManagerNotEntered  FaultStatus = 0x1c00000c // nca_manager_not_entered
	StatusCancel             FaultStatus = 0x1c00000d // nca_s_fault_cancel
	StatusIllInst            FaultStatus = 0x1c00000e // nca_s_fault_ill_inst
	StatusFPError            FaultStatus = 0x1c00000f // nca_s_fault_fp_error
	StatusIntOverflow        FaultStatus = 0x1c000010 // nca_s_fault_int_overflow
	StatusUnspec             FaultStatus = 0x1c000012 // nca_s_fault_unspec
	StatusPipeEmpty          FaultStatus = 0x1c000014 // nca_s_fault_pipe_empty
	StatusPipeClosed         FaultStatus = 0x1c000015 // nca_s_fault_pipe_closed
	StatusPipeOrder          FaultStatus = 0x1c000016 // nca_s_fault_pipe_order
	StatusPipeDiscipline     FaultStatus = 0x1c000017 // nca_s_fault_pipe_discipline
	StatusPipeCommError      FaultStatus = 0x1c000018 // nca_s_fault_pipe_comm_error
	StatusPipeMemory         FaultStatus = 0x1c000019 // nca_s_fault_pipe_memory
	StatusContextMismatch    FaultStatus = 0x1c00001a // nca_s_fault_context_mismatch
	StatusRemoteNoMemory     FaultStatus = 0x1c00001b // nca_s_fault_remote_no_memory
	StatusInvalidPresContext FaultStatus = 0x1c00001c // nca_invalid_pres_context_id
	StatusUnsupportedAuthn   FaultStatus = 0x1c00001d // nca_unsupported_authn_level
	StatusInvalidChecksum    FaultStatus = 0x1c00001f // nca_invalid_checksum
	StatusInvalidCRC         FaultStatus = 0x1c000020 // nca_invalid_crc
	StatusUserDefined        FaultStatus = 0x1c000021 // nca_s_fault_user_defined
	StatusTxOpenFailed       FaultStatus = 0x1c000022 // nca_s_fault_tx_open_failed
	StatusCodesetConvError   FaultStatus = 0x1c000023 // nca_s_fault_codeset_conv_error
	StatusObjectNotFound     FaultStatus = 0x1c000024 // nca_s_fault_object_not_found
	StatusNoClientStub       FaultStatus = 0x1c000025 // nca_s_fault_no_client_stub
	StatusOpRangeError       FaultStatus = 0x1c010002 // nca_op_rng_error: opnum not in the interface
	StatusUnknownInterface   FaultStatus = 0x1c010003 // nca_unk_if
	StatusWrongBootTime      FaultStatus = 0x1c010006 // nca_wrong_boot_time
	StatusYouCrashed         FaultStatus = 0x1c010009 // nca_s_you_crashed
	StatusProtoError         FaultStatus = 0x1c01000b // nca_proto_error
	StatusOutArgsTooBig      FaultStatus = 0x1c010013 // nca_out_args_too_big
	StatusServerTooBusy      FaultStatus = 0x1c010014 // nca_server_too_busy
	StatusUnsupportedType    FaultStatus = 0x1c010017 // nca_unsupported_type
)

// Name returns the status's symbolic name, or "" when it is not in the table.
func (s FaultStatus) Name() string {
	switch s {
	case StatusAccessDenied:
		return "nca_s_fault_access_denied"
	case StatusCantPerform:
		return "nca_s_fault_cant_perform"
	case StatusRPCCannotSupport:
		return "rpc_s_cannot_support"
	case StatusFaultNDR:
		return "nca_s_fault_ndr"
	case StatusIntDivByZero:
		return "nca_s_fault_int_div_by_zero"
	case StatusAddrError:
		return "nca_s_fault_addr_error"
	case StatusFPDivZero:
		return "nca_s_fault_fp_div_zero"
	case StatusFPUnderflow:
		return "nca_s_fault_fp_underflow"
	case StatusFPOverflow:
		return "nca_s_fault_fp_overflow"
	case StatusInvalidTag:
		return "nca_s_fault_invalid_tag"
	case StatusInvalidBound:
		return "nca_s_fault_invalid_bound"
	case StatusVersionMismatch:
		return "nca_rpc_version_mismatch"
	case StatusUnspecReject:
		return "nca_unspec_reject"
	case StatusBadActID:
		return "nca_s_bad_actid"
	case StatusWhoAreYouFailed:
		return "nca_who_are_you_failed"
	case StatusManagerNotEntered:
		return "nca_manager_not_entered"
	case StatusCancel:
		return "nca_s_fault_cancel"
	case StatusIllInst:
		return "nca_s_fault_ill_inst"
	case StatusFPError:
		return "nca_s_fault_fp_error"
	case StatusIntOverflow:
		return "nca_s_fault_int_overflow"
	case StatusUnspec:
		return "nca_s_fault_unspec"
	case StatusPipeEmpty:
		return "nca_s_fault_pipe_empty"
	case StatusPipeClosed:
		return "nca_s_fault_pipe_closed"
	case StatusPipeOrder:
		return "nca_s_fault_pipe_order"
	case StatusPipeDiscipline:
		return "nca_s_fault_pipe_discipline"
	case StatusPipeCommError:
		return "nca_s_fault_pipe_comm_error"
	case StatusPipeMemory:
		return "nca_s_fault_pipe_memory"
	case StatusContextMismatch:
		return "nca_s_fault_context_mismatch"
	case StatusRemoteNoMemory:
		return "nca_s_fault_remote_no_memory"
	case StatusInvalidPresContext:
		return "nca_invalid_pres_context_id"
	case StatusUnsupportedAuthn:
		return "nca_unsupported_authn_level"
	case StatusInvalidChecksum:
		return "nca_invalid_checksum"
	case StatusInvalidCRC:
		return "nca_invalid_crc"
	case StatusUserDefined:
		return "nca_s_fault_user_defined"
	case StatusTxOpenFailed:
		return "nca_s_fault_tx_open_failed"
	case StatusCodesetConvError:
		return "nca_s_fault_codeset_conv_error"
	case StatusObjectNotFound:
		return "nca_s_fault_object_not_found"
	case StatusNoClientStub:
		return "nca_s_fault_no_client_stub"
	case StatusOpRangeError:
		return "nca_op_rng_error"
	case StatusUnknownInterface:
		return "nca_unk_if"
	case StatusWrongBootTime:
		return "nca_wrong_boot_time"
	case StatusYouCrashed:
		return "nca_s_you_crashed"
	case StatusProtoError:
		return "nca_proto_error"
	case StatusOutArgsTooBig:
		return "nca_out_args_too_big"
	case StatusServerTooBusy:
		return "nca_server_too_busy"
	case StatusUnsupportedType:
		return "nca_unsupported_type"
	}
	return ""
}

// String gives "0x1c010002 (nca_op_rng_error)", or just the hex for unknown codes.
func (s FaultStatus) String() string {
	if n := s.Name(); n != "" {
		return fmt.Sprintf("0x%08x (%s)", uint32(s), n)
	}
	return fmt.Sprintf("0x%08x", uint32(s))
}
