package smblab

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/samr"
)

// A personality with a SAM serves the \samr pipe (read-only calls, package samr) to logged-on
// users and authenticates every account of the SAM, counting failed logons per host the way
// Windows does: an account that reaches the lockout threshold within the observation window
// locks, and while locked refuses even its right password with STATUS_ACCOUNT_LOCKED_OUT.
// Each lockout is recorded (Lab.Lockouts), so a test can prove an audit never caused one.

// SAMConfig is a personality's local SAM: accounts with their passwords and the lockout
// policy. The personality's Account (the administrator) is part of it with RID 500.
type SAMConfig struct {
	Domain   string       // account domain name; empty: the personality's Computer
	Accounts []SAMAccount // besides the administrator
	// Lockout policy (DomainLockoutInformation): Threshold 0 never locks; Duration 0 locks
	// until the lab ends.
	Threshold        int
	Window, Duration time.Duration
	// PolicyDenied makes SamrQueryInformationDomain answer STATUS_ACCESS_DENIED: the policy
	// cannot be read.
	PolicyDenied bool
	// PageSize makes SamrEnumerateUsersInDomain answer that many accounts per call with
	// STATUS_MORE_ENTRIES; 0: all at once.
	PageSize int
}

// SAMAccount is one local account of a SAMConfig. The password is not a secret: this is a lab.
type SAMAccount struct {
	User     string `json:"user"`
	Password string `json:"password"`
	RID      uint32 `json:"rid"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Lockout records one account locking in the lab.
type Lockout struct {
	Time time.Time  `json:"time"`
	Addr netip.Addr `json:"addr"`
	User string     `json:"user"`
}

// samState is one host's SAM: the accounts and their failed-logon counters, shared by every
// connection (and by the host's NetBIOS listener).
type samState struct {
	lab  *Lab
	addr netip.Addr
	cfg  SAMConfig

	mu       sync.Mutex
	accounts []SAMAccount
	counters map[string]*badLogons // by lower-case user
}

type badLogons struct {
	count    int
	last     time.Time
	locked   bool
	lockedAt time.Time
	peak     int
}

func newSAMState(l *Lab, addr netip.Addr, p *Personality) *samState {
	st := &samState{lab: l, addr: addr, cfg: *p.SAM, counters: map[string]*badLogons{}}
	if st.cfg.Domain == "" {
		st.cfg.Domain = p.Computer
	}
	if p.Account != nil {
		st.accounts = append(st.accounts, SAMAccount{User: p.Account.User, Password: p.Account.Password, RID: 500})
	}
	st.accounts = append(st.accounts, p.SAM.Accounts...)
	sort.Slice(st.accounts, func(i, j int) bool { return st.accounts[i].RID < st.accounts[j].RID })
	return st
}

func (st *samState) find(user string) (SAMAccount, bool) {
	for _, a := range st.accounts {
		if strings.EqualFold(a.User, user) {
			return a, true
		}
	}
	return SAMAccount{}, false
}

// logon applies the lockout rules to one authentication of user whose password was right
// (ok) or wrong, at now.
func (st *samState) logon(now time.Time, a SAMAccount, ok bool) ntstatus.Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	key := strings.ToLower(a.User)
	c := st.counters[key]
	if c == nil {
		c = &badLogons{}
		st.counters[key] = c
	}
	if c.locked {
		if st.cfg.Duration <= 0 || now.Sub(c.lockedAt) < st.cfg.Duration {
			return ntstatus.AccountLockedOut
		}
		*c = badLogons{peak: c.peak} // the lockout expired: the counter starts again
	}
	if !ok {
		// The counter resets once the window has passed since the last failure.
		if !c.last.IsZero() && st.cfg.Window > 0 && now.Sub(c.last) >= st.cfg.Window {
			c.count = 0
		}
		c.count++
		c.last = now
		c.peak = max(c.peak, c.count)
		if st.cfg.Threshold > 0 && c.count >= st.cfg.Threshold {
			c.locked, c.lockedAt = true, now
			st.lab.recordLockout(Lockout{Time: now, Addr: st.addr, User: a.User})
		}
		return ntstatus.LogonFailure
	}
	if a.Disabled {
		return ntstatus.AccountDisabled
	}
	c.count = 0 // a successful logon resets badPwdCount
	return ntstatus.Success
}

func (st *samState) byRID(rid uint32) (SAMAccount, bool) {
	for _, a := range st.accounts {
		if a.RID == rid {
			return a, true
		}
	}
	return SAMAccount{}, false
}

// counter is a's badPwdCount as the SAM stores it (reset lazily, at the next logon after the
// window, as Windows does) and whether a is locked out at now.
func (st *samState) counter(now time.Time, a SAMAccount) (int, bool) {
	locked := st.locked(now, a)
	st.mu.Lock()
	defer st.mu.Unlock()
	if c := st.counters[strings.ToLower(a.User)]; c != nil {
		return c.count, locked
	}
	return 0, locked
}

// locked reports whether a is locked out at now, without counting anything.
func (st *samState) locked(now time.Time, a SAMAccount) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.counters[strings.ToLower(a.User)]
	return c != nil && c.locked && (st.cfg.Duration <= 0 || now.Sub(c.lockedAt) < st.cfg.Duration)
}

// peaks returns each account's highest failed-logon count within one window so far.
func (st *samState) peaks() map[string]int {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]int{}
	for k, c := range st.counters {
		out[k] = c.peak
	}
	return out
}

func (l *Lab) recordLockout(lo Lockout) {
	l.mu.Lock()
	l.lockouts = append(l.lockouts, lo)
	l.mu.Unlock()
}

// Lockouts returns every account lockout so far, oldest first.
func (l *Lab) Lockouts() []Lockout {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Lockout(nil), l.lockouts...)
}

// BadLogonPeaks returns, for the host at addr, each account's highest count of failed logons
// within one observation window (lower-case user names); nil when the host has no SAM.
func (l *Lab) BadLogonPeaks(addr netip.Addr) map[string]int {
	for _, h := range l.hosts {
		if h.addr == addr && h.sam != nil {
			return h.sam.peaks()
		}
	}
	return nil
}

// samLogon authenticates a named NTLMv2 logon against the SAM.
func (s *session) samLogon(u *user, auth *ntlmssp.Authenticate, done []byte) ([]byte, ntstatus.Status, *user) {
	a, ok := s.sam.find(auth.UserName)
	if !ok {
		return nil, ntstatus.LogonFailure, nil
	}
	acct := ntlmssp.Account{User: a.User, Domain: s.p.Computer, Hash: ntlmssp.NTHash(a.Password)}
	res, err := ntlmssp.VerifyNTLMv2(auth, s.chal, acct)
	if err != nil && !errors.Is(err, ntlmssp.ErrLogonFailure) {
		// A response the lab cannot check (NTLMv1, LM) says nothing about the password:
		// refused, but not counted, except that a locked account stays locked.
		if s.sam.locked(s.now(), a) {
			return nil, ntstatus.AccountLockedOut, nil
		}
		return nil, ntstatus.LogonFailure, nil
	}
	if st := s.sam.logon(s.now(), a, err == nil); st != ntstatus.Success {
		return nil, st, nil
	}
	u.done = true
	u.key = append([]byte(nil), res.ExportedSessionKey[:]...)
	return done, ntstatus.Success, nil
}

// samr handle kinds.
const (
	samServerHandle = 1
	samDomainHandle = 2
	samUserHandle   = 3
	maxSAMHandles   = 64
)

// samHandle is one open \samr handle: its kind, and for a user handle the account's RID.
type samHandle struct {
	kind int
	rid  uint32
}

var uuidSamr = []byte{0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac}

// domainSID is the host's machine SID, stable per personality and address.
func (s *session) domainSID() samr.SID {
	sum := sha256.Sum256([]byte("smblab-sid:" + s.p.Name + ":" + s.addr.String()))
	return samr.SID{Revision: 1, Authority: [6]byte{0, 0, 0, 0, 0, 5}, SubAuthorities: []uint32{21,
		binary.LittleEndian.Uint32(sum[0:]), binary.LittleEndian.Uint32(sum[4:]), binary.LittleEndian.Uint32(sum[8:])}}
}

func builtinSID() samr.SID {
	return samr.SID{Revision: 1, Authority: [6]byte{0, 0, 0, 0, 0, 5}, SubAuthorities: []uint32{32}}
}

// statusNoSuchDomain is STATUS_NO_SUCH_DOMAIN.
const statusNoSuchDomain ntstatus.Status = 0xC00000DF

func (s *session) newSAMHandle(kind int, rid uint32) (samr.Handle, bool) {
	if len(s.samHandles) >= maxSAMHandles {
		return samr.Handle{}, false
	}
	var h samr.Handle
	le.PutUint32(h[4:], s.newID())
	copy(h[8:], s.guid[:12])
	s.samHandles[h] = samHandle{kind: kind, rid: rid}
	return h, true
}

// samr answers one \samr request. Only the read-only calls of package samr exist; any other
// opnum is nca_op_rng_error, as Windows answers an opnum it does not implement.
func (s *session) samr(opnum uint16, stub []byte) rpcResult {
	if s.samHandles == nil {
		s.samHandles = map[samr.Handle]samHandle{}
	}
	req, err := samr.DecodeRequest(opnum, stub)
	if err != nil {
		if !knownSAMROpnum(opnum) {
			return rpcResult{fault: faultOpRngError}
		}
		return rpcResult{fault: faultBadStub}
	}
	handle := func(h samr.Handle, want int) bool { return s.samHandles[h].kind == want }
	connect := func() rpcResult {
		h, ok := s.newSAMHandle(samServerHandle, 0)
		if !ok {
			return marshal(samr.HandleResponse{Status: ntstatus.InsufficientResources})
		}
		return marshal(samr.HandleResponse{Handle: h})
	}
	switch r := req.(type) {
	case samr.ConnectRequest, samr.Connect2Request:
		return connect()
	case samr.Connect5Request:
		res := connect()
		hr, _ := samr.DecodeHandleResponse(res.stub)
		return marshal(samr.Connect5Response{Revision: 3, Handle: hr.Handle, Status: hr.Status})
	case samr.CloseHandleRequest:
		if _, ok := s.samHandles[r.Handle]; !ok {
			return marshal(samr.HandleResponse{Handle: r.Handle, Status: ntstatus.InvalidHandle})
		}
		delete(s.samHandles, r.Handle)
		return marshal(samr.HandleResponse{})
	case samr.EnumerateDomainsRequest:
		if !handle(r.Handle, samServerHandle) {
			return marshal(samr.EnumerationResponse{Status: ntstatus.InvalidHandle})
		}
		return marshal(samr.EnumerationResponse{Entries: []samr.Entry{{RID: 0, Name: s.sam.cfg.Domain}, {RID: 1, Name: "Builtin"}}, Count: 2})
	case samr.LookupDomainRequest:
		if !handle(r.Handle, samServerHandle) {
			return marshal(samr.LookupDomainResponse{Status: ntstatus.InvalidHandle})
		}
		var sid samr.SID
		switch {
		case strings.EqualFold(r.Name, s.sam.cfg.Domain):
			sid = s.domainSID()
		case strings.EqualFold(r.Name, "Builtin"):
			sid = builtinSID()
		default:
			return marshal(samr.LookupDomainResponse{Status: statusNoSuchDomain})
		}
		return marshal(samr.LookupDomainResponse{SID: &sid})
	case samr.OpenDomainRequest:
		if !handle(r.Handle, samServerHandle) {
			return marshal(samr.HandleResponse{Status: ntstatus.InvalidHandle})
		}
		if r.SID.String() != s.domainSID().String() && r.SID.String() != builtinSID().String() {
			return marshal(samr.HandleResponse{Status: statusNoSuchDomain})
		}
		h, ok := s.newSAMHandle(samDomainHandle, 0)
		if !ok {
			return marshal(samr.HandleResponse{Status: ntstatus.InsufficientResources})
		}
		return marshal(samr.HandleResponse{Handle: h})
	case samr.QueryInformationDomainRequest:
		if !handle(r.Handle, samDomainHandle) {
			return marshal(samr.QueryInformationDomainResponse{Status: ntstatus.InvalidHandle})
		}
		c := s.sam.cfg
		switch {
		case c.PolicyDenied:
			return marshal(samr.QueryInformationDomainResponse{Status: ntstatus.AccessDenied})
		case r.Class == samr.DomainLockoutInformation:
			return marshal(samr.QueryInformationDomainResponse{Class: r.Class, Lockout: &samr.LockoutInfo{
				Duration: samr.RelativeTime(c.Duration), Window: samr.RelativeTime(c.Window), Threshold: uint16(c.Threshold)}})
		case r.Class == samr.DomainPasswordInformation:
			return marshal(samr.QueryInformationDomainResponse{Class: r.Class, Password: &samr.PasswordInfo{MaxAge: samr.RelativeTime(42 * 24 * time.Hour)}})
		}
		return marshal(samr.QueryInformationDomainResponse{Status: ntstatus.InvalidInfoClass})
	case samr.EnumerateUsersRequest:
		if !handle(r.Handle, samDomainHandle) {
			return marshal(samr.EnumerationResponse{Status: ntstatus.InvalidHandle})
		}
		all := s.sam.accounts
		start := min(int(r.Context), len(all))
		end := len(all)
		if ps := s.sam.cfg.PageSize; ps > 0 {
			end = min(end, start+ps)
		}
		resp := samr.EnumerationResponse{Context: uint32(end), Entries: []samr.Entry{}}
		for _, a := range all[start:end] {
			resp.Entries = append(resp.Entries, samr.Entry{RID: a.RID, Name: a.User})
		}
		resp.Count = uint32(len(resp.Entries))
		if end < len(all) {
			resp.Status = samr.StatusMoreEntries
		}
		return marshal(resp)
	case samr.OpenUserRequest:
		if !handle(r.Handle, samDomainHandle) {
			return marshal(samr.HandleResponse{Status: ntstatus.InvalidHandle})
		}
		if _, ok := s.sam.byRID(r.RID); !ok {
			return marshal(samr.HandleResponse{Status: ntstatus.NoSuchUser})
		}
		h, ok := s.newSAMHandle(samUserHandle, r.RID)
		if !ok {
			return marshal(samr.HandleResponse{Status: ntstatus.InsufficientResources})
		}
		return marshal(samr.HandleResponse{Handle: h})
	case samr.QueryInformationUserRequest:
		if !handle(r.Handle, samUserHandle) {
			return marshal(samr.QueryInformationUserResponse{Status: ntstatus.InvalidHandle})
		}
		if r.Class != samr.UserAccountInformation {
			return marshal(samr.QueryInformationUserResponse{Status: ntstatus.InvalidInfoClass})
		}
		a, _ := s.sam.byRID(s.samHandles[r.Handle].rid)
		bad, locked := s.sam.counter(s.now(), a)
		uac := samr.UserNormalAccount
		if a.Disabled {
			uac |= samr.UserAccountDisabled
		}
		if locked {
			uac |= samr.UserAccountAutoLocked
		}
		return marshal(samr.QueryInformationUserResponse{Class: r.Class, Account: &samr.UserAccountInfo{
			UserName: a.User, UserID: a.RID, PrimaryGroupID: 513, UnitsPerWeek: 168, LogonHours: bytes.Repeat([]byte{0xff}, 21),
			BadPasswordCount: uint16(bad), UserAccountControl: uac}})
	}
	return rpcResult{fault: faultOpRngError}
}

func knownSAMROpnum(op uint16) bool {
	for _, k := range samr.ReadOnlyOpnums() {
		if k == op {
			return true
		}
	}
	return false
}

// WeakPasswordSAM is the SAM of the password-audit lab: a Conficker-list password, a password
// only an admin's own list holds, a strong one, a disabled account with a list password, and
// the first Conficker entry. threshold, window and duration are the lockout policy.
func WeakPasswordSAM(threshold int, window, duration time.Duration) *SAMConfig {
	return &SAMConfig{
		Threshold: threshold, Window: window, Duration: duration,
		Accounts: []SAMAccount{
			{User: "alice", Password: "qweasdzxc", RID: 1000},
			{User: "bob", Password: "Corr3ct-Horse-Battery!", RID: 1001},
			{User: "carol", Password: "Winter-Lab-2026", RID: 1002},
			{User: "olduser", Password: "password", RID: 1003, Disabled: true},
			{User: "dave", Password: "12", RID: 1004},
		},
	}
}

// WithSAM returns p (a personality with an administrator Account) serving sam, renamed.
func WithSAM(p Personality, name string, sam *SAMConfig) Personality {
	p.Name = name
	p.Description += ", with local accounts and a lockout policy (\\samr)"
	p.SAM = sam
	return p
}

// withAuditTruth gives every personality its weak-password truth: none of the default rack
// has a SAM, so an audit can only say unknown (the check is not enabled, or \samr does not
// exist); a hostile host may also end in error.
func withAuditTruth(ps []Personality) []Personality {
	for i := range ps {
		if _, ok := ps[i].Truth[CheckWeakPassword]; ok {
			continue
		}
		v := unk
		if ps[i].Hostile != HostileNone {
			v = errv
		}
		ps[i].Truth[CheckWeakPassword] = v
	}
	return ps
}
