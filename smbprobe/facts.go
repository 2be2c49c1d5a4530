package smbprobe

import (
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/p2p"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// tri is a fact that may be unknown.
type tri int8

const (
	triUnknown tri = iota
	triYes
	triNo
)

// fact is one thing the exchanges established, with the exchanges that showed it. why says how
// it was learned, or why it stayed unknown.
type fact struct {
	val tri
	ev  []int
	why string
}

func (f *fact) set(v tri, why string, ev ...int) {
	f.val, f.why = v, why
	f.ev = append(f.ev, ev...)
}

// rpcAnswer is the outcome of one srvsvc call.
type rpcAnswer struct {
	sent     bool // the request was written to the connection (it may still have failed)
	idx      int  // its Exchange, -1 when never recorded
	faulted  bool
	fault    dcerpc.FaultStatus
	werr     srvsvc.WERROR
	hasWerr  bool
	words    srvsvc.PathCanonicalizeWords
	hasWords bool
	err      error  // transport or decoding failure
	dropped  bool   // the connection dropped (EOF, RST) after the request was written
	timedOut bool   // no reply in time after the request was written
	notRun   string // why it was not sent
}

// peekAnswer is the MS17-010 PeekNamedPipe outcome.
type peekAnswer struct {
	sent   bool
	idx    int
	status ntstatus.Status
	err    error
}

// facts is everything the verdict rules read. The rules are pure functions of it, so they are
// tested without a network.
type facts struct {
	failed  string // the probe stopped early: "step: error"
	failErr error

	smb1     fact // the host accepts NT LM 0.12
	smb2     fact // the host speaks SMB2
	sign1Req fact // SMB1 SecurityMode says signing required
	sign2Req fact // SMB2 SecurityMode says signing required
	null     fact // an anonymous session was accepted
	ipc      fact // the anonymous TREE_CONNECT IPC$ was accepted
	pipe     fact // a pipe carrying srvsvc opened anonymously
	bound    fact // srvsvc bind accepted
	pipeWhy  string
	spHint   string // XP service-pack hint from the anonymous \\srvsvc open
	osEv     []int  // exchanges the OS reading came from

	serverInfo rpcAnswer
	hookDot    rpcAnswer // NetprPathCanonicalize `\..\`
	hookRoot   rpcAnswer // NetprPathCanonicalize `\`
	honeypot   rpcAnswer // NetprPathCompare of two different safe paths
	intrusive  rpcAnswer // the §3c probe
	peek       peekAnswer

	p2p    *p2p.Result
	p2pIdx int

	cred    *credcheck.Outcome // the credentialed netapi32.dll read, when credentials were given
	credIdx int
	audit   *auditFacts // the weak-password audit (weakpw.go), when it ran

	reg *regFacts // the credentialed registry read (registry.go), nil when it did not run

	os osInfo
}

func (f *facts) init() {
	for _, a := range []*rpcAnswer{&f.serverInfo, &f.hookDot, &f.hookRoot, &f.honeypot, &f.intrusive} {
		a.idx = -1
	}
	f.peek.idx = -1
	f.p2pIdx = -1
}
