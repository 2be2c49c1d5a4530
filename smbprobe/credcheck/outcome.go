package credcheck

import (
	"errors"

	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// Sentinel errors. A non-nil error from a Read function wraps one of them; the Outcome
// returned with it still says what happened.
var (
	// ErrBadCredentials means the credentials given cannot be used (no user, no secret, a
	// malformed hash, an unreadable password file). Never quotes the secret.
	ErrBadCredentials = errors.New("credcheck: unusable credentials")
	// ErrTimeout means the host did not finish the exchange within the time budget.
	ErrTimeout = errors.New("credcheck: timeout")
	// ErrConnection means the connection failed, closed or was reset.
	ErrConnection = errors.New("credcheck: connection failed")
	// ErrProtocol means the host answered something that is not the reply expected.
	ErrProtocol = errors.New("credcheck: protocol error")
)

// Reason says why the check could not decide. Values are stable strings for reports.
type Reason string

// The reasons; ReasonNone when the check decided.
const (
	ReasonNone         Reason = ""
	ReasonLogonFailure Reason = "logon-failure"  // wrong user/password, disabled or restricted account
	ReasonAccessDenied Reason = "access-denied"  // logged on, but ADMIN$ or the file is refused
	ReasonNoAdminShare Reason = "no-admin-share" // ADMIN$ does not exist (AutoShareServer off, Samba)
	ReasonFileMissing  Reason = "file-missing"   // no system32\netapi32.dll under ADMIN$
	ReasonUnreadable   Reason = "file-unreadable"
	ReasonParseError   Reason = "parse-error" // the file has no readable version resource
	ReasonUnsupported  Reason = "unsupported" // the host does not speak the dialect asked for
	ReasonBadInput     Reason = "bad-credentials"
	ReasonTimeout      Reason = "timeout"
	ReasonConnection   Reason = "connection-error"
	ReasonProtocol     Reason = "protocol-error"
)

// AdminFile is the file judged, relative to ADMIN$ (%SystemRoot%).
const AdminFile = `system32\netapi32.dll`

// ServicePackUnavailable is Outcome.ServicePack when it could not be read: CSDVersion lives in
// the registry, reachable only through the remote registry service, which this check does not
// use.
const ServicePackUnavailable = "not available"

// Step is one exchange of the check, for the evidence trail.
type Step struct {
	Name   string `json:"name"`             // e.g. "smb1.session-setup", "smb2.mount"
	Status string `json:"status,omitempty"` // NTSTATUS name and code, when the host sent one
	Detail string `json:"detail,omitempty"`
}

// Outcome is the result of one credentialed check of one host.
type Outcome struct {
	Protocol string `json:"protocol"` // "SMB1" or "SMB2"
	Account  string `json:"account"`  // DOMAIN\user, never the secret
	Path     string `json:"path"`     // \\host\ADMIN$\system32\netapi32.dll

	// Verdict is vulnerable, patched or not-affected when the file was read and judged, and
	// unknown otherwise (Reason says why).
	Verdict   netapi.Status     `json:"verdict"`
	Judgement *netapi.Judgement `json:"judgement,omitempty"`
	// FileVersionString is the StringFileInfo FileVersion (build lab), attacker controlled.
	FileVersionString string `json:"file_version_string,omitempty"`
	ServicePack       string `json:"service_pack"`

	Reason    Reason `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
	RawStatus string `json:"raw_status,omitempty"` // the NTSTATUS that decided Reason

	Signed    bool   `json:"signed,omitempty"` // SMB1 messages were signed
	FileSize  int64  `json:"file_size,omitempty"`
	BytesRead int64  `json:"bytes_read"`
	ReadCalls int    `json:"read_calls"`
	Steps     []Step `json:"steps"`

	guard *smbclient.Guard // the SMB2 path's frame checker, asked why a transport error happened
}

// Decided reports whether the file version was read and judged.
func (o *Outcome) Decided() bool { return o.Judgement != nil && o.Verdict != netapi.Unknown }

func (o *Outcome) step(name, status, detail string) {
	o.Steps = append(o.Steps, Step{Name: name, Status: status, Detail: detail})
}

// fail records an undecided outcome.
func (o *Outcome) fail(r Reason, detail string) {
	o.Verdict, o.Reason, o.Detail = netapi.Unknown, r, detail
}

// refused records an undecided outcome caused by a status the server sent.
func (o *Outcome) refused(r Reason, st ntstatus.Status, detail string) {
	o.fail(r, detail+" ("+statusText(st)+")")
	o.RawStatus = statusText(st)
}

func statusText(st ntstatus.Status) string { return st.String() }

// reasonFor maps a server's refusal at a given stage to a Reason. Statuses that fit no
// category stay close to their stage.
func reasonFor(stage string, st ntstatus.Status) Reason {
	switch st {
	case ntstatus.LogonFailure, ntstatus.WrongPassword, ntstatus.NoSuchUser,
		ntstatus.AccountRestriction, ntstatus.AccountDisabled, ntstatus.PasswordExpired,
		ntstatus.Status(0xC0000070), // STATUS_INVALID_WORKSTATION
		ntstatus.Status(0xC000006F), // STATUS_INVALID_LOGON_HOURS
		ntstatus.Status(0xC0000193), // STATUS_ACCOUNT_EXPIRED
		ntstatus.Status(0xC0000234), // STATUS_ACCOUNT_LOCKED_OUT
		ntstatus.Status(0xC0000224), // STATUS_PASSWORD_MUST_CHANGE
		ntstatus.Status(0xC000015B): // STATUS_LOGON_TYPE_NOT_GRANTED
		return ReasonLogonFailure
	case ntstatus.AccessDenied, ntstatus.NetworkAccessDenied:
		if stage == stageLogon {
			return ReasonLogonFailure
		}
		return ReasonAccessDenied
	case ntstatus.BadNetworkName, ntstatus.BadNetworkPath:
		return ReasonNoAdminShare
	case ntstatus.ObjectNameNotFound, ntstatus.ObjectPathNotFound, ntstatus.NoSuchFile,
		ntstatus.ObjectNameInvalid, ntstatus.FileIsADirectory:
		return ReasonFileMissing
	case ntstatus.SharingViolation, ntstatus.DeletePending:
		return ReasonUnreadable
	case ntstatus.NotSupported, ntstatus.NotImplemented:
		return ReasonUnsupported
	}
	switch stage {
	case stageLogon:
		return ReasonLogonFailure
	case stageTree:
		return ReasonNoAdminShare
	case stageOpen:
		return ReasonFileMissing
	}
	return ReasonUnreadable
}

// Stages of the check, for reasonFor.
const (
	stageLogon = "logon"
	stageTree  = "tree-connect"
	stageOpen  = "open"
	stageRead  = "read"
)

// judge parses the version resource through r and fills the verdict.
func (o *Outcome) judge(r *chunkReader) {
	vi, err := netapiParse(r)
	o.BytesRead, o.ReadCalls = r.fetched, r.calls
	if err != nil {
		if r.readErr != nil {
			o.fail(ReasonUnreadable, "reading "+AdminFile+": "+r.readErr.Error())
			return
		}
		o.fail(ReasonParseError, err.Error())
		return
	}
	j := netapi.Judge(vi.File)
	o.Judgement = &j
	o.Verdict = j.Status
	o.FileVersionString = vi.FileVersionString
	o.Detail = j.Reason
	if j.Status == netapi.Unknown {
		o.Reason = ReasonParseError
	}
}

func netapiParse(r *chunkReader) (netapi.VersionInfo, error) {
	return netapi.ParseVersionInfo(r, r.size)
}
