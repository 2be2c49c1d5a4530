package pwaudit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/samr"
)

// Caller makes one DCE/RPC call on a \samr pipe already bound to samr.Interface(): it sends
// the request stub for opnum and returns the response stub (a fault is an error).
type Caller interface {
	Call(ctx context.Context, opnum uint16, stub []byte) ([]byte, error)
}

// Step is one SAMR exchange, as evidence: what was sent (the exact stub) and what came back.
type Step struct {
	Name     string `json:"name"`               // e.g. "samr.SamrQueryInformationDomain"
	Request  string `json:"request"`            // in words
	SentHex  string `json:"sent_hex,omitempty"` // the request stub
	Status   string `json:"status"`             // NTSTATUS, or the error
	Response string `json:"response,omitempty"` // decoded, in words
}

// Account is one enumerated account.
type Account struct {
	Name string `json:"name"`
	RID  uint32 `json:"rid"`
	// BadPasswordCount is the account's failed logons the SAM has counted (badPwdCount), or
	// -1 when it could not be read. The SAM resets it lazily, at the next logon after the
	// window: a count from an older window still counts here, which only errs on the safe side.
	BadPasswordCount int `json:"bad_password_count"`
	// Disabled and Locked come from UserAccountControl; a locked or disabled account is not
	// tried.
	Disabled bool `json:"disabled,omitempty"`
	Locked   bool `json:"locked,omitempty"`
}

// SAM is what the read-only SAMR pass learned.
type SAM struct {
	Domain    string    `json:"domain"`
	DomainSID string    `json:"domain_sid"`
	Policy    Policy    `json:"policy"`
	Accounts  []Account `json:"accounts"`
	Steps     []Step    `json:"steps"`
}

// maxEnumerationRounds bounds SamrEnumerateUsersInDomain paging against a server that keeps
// answering STATUS_MORE_ENTRIES; maxAccounts bounds what one host can make us hold.
const (
	maxEnumerationRounds = 64
	maxAccounts          = 10000
)

// builtinDomain is the alias domain every SAM has besides its account domain.
const builtinDomain = "Builtin"

// ReadSAM connects to the SAM, picks the account domain (the local SAM's on a member or
// standalone host, the domain's on a domain controller), reads its lockout policy first and
// then lists its normal user accounts, closing every handle it opened. An error with a
// non-empty SAM.Steps says how far it got. A policy that cannot be read is not an error:
// Policy.Known is false and the audit then makes no attempts.
func ReadSAM(ctx context.Context, c Caller) (SAM, error) {
	var sam SAM
	call := func(req samr.Request, words string) ([]byte, *Step, error) {
		stub, err := req.Encode()
		if err != nil {
			return nil, nil, err
		}
		sam.Steps = append(sam.Steps, Step{Name: "samr." + opName(req.Opnum()), Request: words, SentHex: hex.EncodeToString(stub)})
		st := &sam.Steps[len(sam.Steps)-1]
		resp, err := c.Call(ctx, req.Opnum(), stub)
		if err != nil {
			st.Status = err.Error()
		}
		return resp, st, err
	}
	status := func(st *Step, s ntstatus.Status, words string) error {
		st.Status, st.Response = s.String(), words
		if s != ntstatus.Success && s != samr.StatusMoreEntries {
			return s
		}
		return nil
	}

	resp, st, err := call(samr.Connect2Request{Access: samr.ServerReadAccess}, "connect to the SAM (read rights only)")
	if err != nil {
		return sam, err
	}
	conn, err := samr.DecodeHandleResponse(resp)
	if err != nil {
		return sam, failStep(st, err)
	}
	if err := status(st, conn.Status, "server handle"); err != nil {
		return sam, err
	}
	defer closeHandle(ctx, c, conn.Handle)

	resp, st, err = call(samr.EnumerateDomainsRequest{Handle: conn.Handle, MaxLength: 0xffff}, "list the SAM's domains")
	if err != nil {
		return sam, err
	}
	doms, err := samr.DecodeEnumerationResponse(resp)
	if err != nil {
		return sam, failStep(st, err)
	}
	var names []string
	for _, d := range doms.Entries {
		names = append(names, d.Name)
		if !strings.EqualFold(d.Name, builtinDomain) && sam.Domain == "" {
			sam.Domain = d.Name
		}
	}
	if err := status(st, doms.Status, strings.Join(names, ", ")); err != nil {
		return sam, err
	}
	if sam.Domain == "" {
		st.Status += "; no account domain"
		return sam, errors.New("pwaudit: the SAM lists no account domain")
	}

	resp, st, err = call(samr.LookupDomainRequest{Handle: conn.Handle, Name: sam.Domain}, "look up domain "+sam.Domain)
	if err != nil {
		return sam, err
	}
	lk, err := samr.DecodeLookupDomainResponse(resp)
	if err != nil {
		return sam, failStep(st, err)
	}
	if lk.SID == nil && lk.Status == ntstatus.Success {
		return sam, failStep(st, fmt.Errorf("%w: success without a SID", samr.ErrMalformed))
	}
	words := ""
	if lk.SID != nil {
		words = lk.SID.String()
		sam.DomainSID = words
	}
	if err := status(st, lk.Status, words); err != nil {
		return sam, err
	}

	resp, st, err = call(samr.OpenDomainRequest{Handle: conn.Handle, Access: samr.DomainReadAccess, SID: *lk.SID},
		"open "+sam.Domain+" to read its password parameters and list its accounts")
	if err != nil {
		return sam, err
	}
	dom, err := samr.DecodeHandleResponse(resp)
	if err != nil {
		return sam, failStep(st, err)
	}
	if err := status(st, dom.Status, "domain handle"); err != nil {
		return sam, err
	}
	defer closeHandle(ctx, c, dom.Handle)

	// The policy first: without it, no attempt is made, so an account list is of no use.
	sam.Policy = Policy{Reason: "not read"}
	resp, st, err = call(samr.QueryInformationDomainRequest{Handle: dom.Handle, Class: samr.DomainLockoutInformation},
		"read the lockout policy (DomainLockoutInformation)")
	switch {
	case err != nil:
		sam.Policy.Reason = "SamrQueryInformationDomain: " + err.Error()
		return sam, err
	default:
		q, derr := samr.DecodeQueryInformationDomainResponse(resp)
		switch {
		case derr != nil:
			failStep(st, derr)
			sam.Policy.Reason = "SamrQueryInformationDomain: " + derr.Error()
		case q.Status != ntstatus.Success || q.Lockout == nil:
			st.Status = q.Status.String()
			sam.Policy.Reason = "SamrQueryInformationDomain: " + q.Status.String()
		default:
			l := q.Lockout
			// Samba stores minutes as 60·10⁷·m + 1: round to the second for the report.
			sam.Policy = Policy{Known: true, Threshold: int(l.Threshold), Window: l.WindowTime().Round(time.Second), Duration: l.DurationTime().Round(time.Second)}
			st.Status, st.Response = q.Status.String(), sam.Policy.String()
		}
	}

	ctxNo := uint32(0)
	for round := 0; ; round++ {
		if round == maxEnumerationRounds || len(sam.Accounts) >= maxAccounts {
			return sam, fmt.Errorf("pwaudit: account enumeration did not end after %d rounds, %d accounts", round, len(sam.Accounts))
		}
		resp, st, err = call(samr.EnumerateUsersRequest{Handle: dom.Handle, Context: ctxNo, UserAccountControl: samr.UserNormalAccount, MaxLength: 0xffff},
			"list normal user accounts")
		if err != nil {
			return sam, err
		}
		users, err := samr.DecodeEnumerationResponse(resp)
		if err != nil {
			return sam, failStep(st, err)
		}
		for _, u := range users.Entries {
			sam.Accounts = append(sam.Accounts, Account{Name: u.Name, RID: u.RID, BadPasswordCount: -1})
		}
		if err := status(st, users.Status, fmt.Sprintf("%d accounts", len(users.Entries))); err != nil {
			return sam, err
		}
		if users.Status != samr.StatusMoreEntries {
			break
		}
		if users.Context == ctxNo && len(users.Entries) == 0 {
			return sam, fmt.Errorf("pwaudit: account enumeration does not advance")
		}
		ctxNo = users.Context
	}
	// Each account's counter, so that its budget leaves room for the failures it already has.
	// A refusal (Samba refuses a non-administrator) leaves the count unknown: the budget then
	// falls back to threshold − 2.
	for i := range sam.Accounts {
		if err := readAccount(ctx, c, call, dom.Handle, &sam.Accounts[i]); err != nil {
			return sam, err
		}
	}
	return sam, nil
}

// readAccount reads one account's UserAccountInformation into a; a refused call leaves a's
// count unknown and is not an error, a failed exchange is.
func readAccount(ctx context.Context, c Caller, call func(samr.Request, string) ([]byte, *Step, error), dom samr.Handle, a *Account) error {
	resp, st, err := call(samr.OpenUserRequest{Handle: dom, Access: samr.UserReadAccess, RID: a.RID}, fmt.Sprintf("open account %d to read its bad-password count", a.RID))
	if err != nil {
		return err
	}
	u, err := samr.DecodeHandleResponse(resp)
	if err != nil {
		failStep(st, err)
		return nil
	}
	st.Status = u.Status.String()
	if u.Status != ntstatus.Success {
		return nil
	}
	defer closeHandle(ctx, c, u.Handle)
	resp, st, err = call(samr.QueryInformationUserRequest{Handle: u.Handle, Class: samr.UserAccountInformation}, fmt.Sprintf("read account %d (UserAccountInformation)", a.RID))
	if err != nil {
		return err
	}
	q, err := samr.DecodeQueryInformationUserResponse(resp)
	switch {
	case err != nil:
		failStep(st, err)
	case q.Status != ntstatus.Success || q.Account == nil:
		st.Status = q.Status.String()
	default:
		a.BadPasswordCount = int(q.Account.BadPasswordCount)
		a.Disabled = q.Account.UserAccountControl&samr.UserAccountDisabled != 0
		a.Locked = q.Account.UserAccountControl&samr.UserAccountAutoLocked != 0
		st.Status = q.Status.String()
		st.Response = fmt.Sprintf("BadPasswordCount %d, UserAccountControl 0x%08x", a.BadPasswordCount, q.Account.UserAccountControl)
	}
	return nil
}

func failStep(st *Step, err error) error {
	st.Status = err.Error()
	return err
}

// closeHandle releases a handle; its answer does not matter (the pipe closes next anyway).
func closeHandle(ctx context.Context, c Caller, h samr.Handle) {
	if stub, err := (samr.CloseHandleRequest{Handle: h}).Encode(); err == nil {
		c.Call(ctx, samr.OpSamrCloseHandle, stub)
	}
}

func opName(op uint16) string {
	switch op {
	case samr.OpSamrConnect2:
		return "SamrConnect2"
	case samr.OpSamrEnumerateDomainsInSamServer:
		return "SamrEnumerateDomainsInSamServer"
	case samr.OpSamrLookupDomainInSamServer:
		return "SamrLookupDomainInSamServer"
	case samr.OpSamrOpenDomain:
		return "SamrOpenDomain"
	case samr.OpSamrQueryInformationDomain:
		return "SamrQueryInformationDomain"
	case samr.OpSamrEnumerateUsersInDomain:
		return "SamrEnumerateUsersInDomain"
	case samr.OpSamrCloseHandle:
		return "SamrCloseHandle"
	case samr.OpSamrOpenUser:
		return "SamrOpenUser"
	case samr.OpSamrQueryInformationUser:
		return "SamrQueryInformationUser"
	}
	return fmt.Sprintf("opnum%d", op)
}
