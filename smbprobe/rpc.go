package smbprobe

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smbclient"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// pipeIO is a named pipe on IPC$ as the null session, over SMB1 or SMB2.
type pipeIO interface {
	openPipe(ctx context.Context, name string) (ntstatus.Status, int, error)
	transact(ctx context.Context, pdu []byte) ([]byte, error) // one message in, the whole reply message out
	readPipe(ctx context.Context) ([]byte, error)             // the next message
	usable(ctx context.Context) bool                          // the connection can carry another request
	proto() string
}

// callKind names every srvsvc request this package can send. There is no other way to build
// one: the chokepoint (rpcClient.invoke) takes a kind, looks it up in the static plan and
// refuses anything the plan or the options do not allow.
type callKind int

const (
	callServerInfo  callKind = iota + 1 // NetrServerGetInfo level 101
	callHookDotDot                      // Conficker hook probe `\..\` (docs/checks.md §4a)
	callHookRoot                        // Conficker hook probe `\` (docs/checks.md §4a)
	callHoneypot                        // NetprPathCompare of two different safe paths
	callMS08Compare                     // the intrusive MS08-067 probe (docs/checks.md §3c)
)

// plannedCall is one entry of the srvsvc plan.
type plannedCall struct {
	kind  callKind
	step  string
	class Class
	what  string
	build func(target string) srvsvc.Request
}

// ms08ComparePath1 is the §3c path: a one-level collapse after a long component, which the
// unpatched routine reads past its buffer on. It is the only such path in this package.
func ms08ComparePath1() string { return `\` + strings.Repeat("A", 39) + `\..\n` }

// srvsvcPlan is the complete, static list of srvsvc requests. target is the host's address as
// text, the only input that varies.
func srvsvcPlan() []plannedCall {
	return []plannedCall{
		{callServerInfo, "srvsvc.NetrServerGetInfo", ClassSafe, "NetrServerGetInfo level 101",
			func(t string) srvsvc.Request {
				return srvsvc.ServerGetInfoRequest{ServerName: srvsvc.StringPtr(`\\` + t), Level: 101}
			}},
		{callHookDotDot, "srvsvc.NetprPathCanonicalize", ClassSafe, `Conficker hook probe: ServerName "a", PathName "\..\", OutbufLen 2, Prefix "\", PathType 1, Flags 1`,
			func(string) srvsvc.Request {
				return srvsvc.PathCanonicalizeRequest{ServerName: srvsvc.StringPtr("a"), PathName: `\..\`, OutbufLen: 2, Prefix: `\`, PathType: 1, Flags: 1}
			}},
		{callHookRoot, "srvsvc.NetprPathCanonicalize", ClassSafe, `Conficker hook probe: ServerName "a", PathName "\", OutbufLen 2, Prefix "\", PathType 1, Flags 1`,
			func(string) srvsvc.Request {
				return srvsvc.PathCanonicalizeRequest{ServerName: srvsvc.StringPtr("a"), PathName: `\`, OutbufLen: 2, Prefix: `\`, PathType: 1, Flags: 1}
			}},
		{callHoneypot, "srvsvc.NetprPathCompare", ClassSafe, `honeypot tell-tale: NetprPathCompare "\A" vs "\B" (differ; a real server does not answer 0)`,
			func(t string) srvsvc.Request {
				return srvsvc.PathCompareRequest{ServerName: srvsvc.StringPtr(t), PathName1: `\A`, PathName2: `\B`, PathType: 1, Flags: 0}
			}},
		{callMS08Compare, "srvsvc.NetprPathCompare", ClassIntrusive, `INTRUSIVE MS08-067 probe: NetprPathCompare Path1 "\AAA…A\..\n", Path2 "\n", PathType 1, Flags 0`,
			func(t string) srvsvc.Request {
				return srvsvc.PathCompareRequest{ServerName: srvsvc.StringPtr(t), PathName1: ms08ComparePath1(), PathName2: `\n`, PathType: 1, Flags: 0}
			}},
	}
}

// requestStrings lists every string of a request a server might canonicalise: the request's
// own Paths and its ServerName.
func requestStrings(req srvsvc.Request) []string {
	var out []string
	if p, ok := req.(interface{ Paths() []string }); ok {
		out = append(out, p.Paths()...)
	}
	switch q := req.(type) {
	case srvsvc.ServerGetInfoRequest:
		if q.ServerName != nil {
			out = append(out, *q.ServerName)
		}
	case srvsvc.PathCanonicalizeRequest:
		if q.ServerName != nil {
			out = append(out, *q.ServerName)
		}
	case srvsvc.PathCompareRequest:
		if q.ServerName != nil {
			out = append(out, *q.ServerName)
		}
	}
	return out
}

// authorize is the safety gate: it returns the request for kind, or ErrRefused when the kind is
// not in the plan, when it is intrusive and intrusive is false, or when a non-intrusive request
// carries any string that reaches the MS08-067 out-of-bounds read.
func authorize(kind callKind, intrusive bool, target string) (plannedCall, srvsvc.Request, error) {
	for _, pc := range srvsvcPlan() {
		if pc.kind != kind {
			continue
		}
		if pc.class == ClassIntrusive && !intrusive {
			return pc, nil, fmt.Errorf("%w: %s is intrusive and --intrusive was not given", ErrRefused, pc.step)
		}
		if pc.class != ClassSafe && pc.class != ClassIntrusive {
			return pc, nil, fmt.Errorf("%w: %s has class %s", ErrRefused, pc.step, pc.class)
		}
		req := pc.build(target)
		if pc.class != ClassIntrusive {
			for _, s := range requestStrings(req) {
				if srvsvc.PathReachesOverflow(s) {
					return pc, nil, fmt.Errorf("%w: %s would carry an overflow-reaching path %q", ErrRefused, pc.step, s)
				}
			}
		}
		return pc, req, nil
	}
	return plannedCall{}, nil, fmt.Errorf("%w: srvsvc call kind %d is not in the plan", ErrRefused, kind)
}

// rpcClient is srvsvc bound on one pipe.
type rpcClient struct {
	r       *run
	io      pipeIO
	callID  uint32
	maxXmit int
}

// bind binds srvsvc v3.0 / NDR 2.0.
func (c *rpcClient) bind(ctx context.Context) bool {
	r := c.r
	c.callID++
	b := dcerpc.NewBind(c.callID, srvsvc.Interface())
	pdu, err := b.Encode()
	if err != nil {
		r.stop("rpc.bind", err)
		return false
	}
	x := r.begin("rpc.bind", ClassSafe, fmt.Sprintf("DCE/RPC bind srvsvc %s v3.0, NDR 2.0, max frag %d, on %s over %s", srvsvc.Interface().UUID, b.MaxRecvFrag, r.res.Fingerprint.Pipe, c.io.proto()))
	reply, err := c.io.transact(ctx, pdu)
	if err != nil {
		if st, ok := isStatus(err); ok {
			i := x.done(statusText(st), "bind not answered")
			r.f.bound.set(triNo, "srvsvc bind failed ("+statusText(st)+")", i)
			return false
		}
		i := x.fail(err)
		r.f.bound.set(triUnknown, "srvsvc bind: "+err.Error(), i)
		r.stop("rpc.bind", err)
		return false
	}
	fr, err := dcerpc.DecodeFrame(reply)
	if err != nil {
		i := x.done("malformed reply", err.Error())
		r.f.bound.set(triUnknown, "srvsvc bind: malformed reply", i)
		return false
	}
	switch fr.Type {
	case dcerpc.PTypeBindAck:
		ack, err := dcerpc.DecodeBindAck(reply)
		if err != nil {
			i := x.done("malformed bind_ack", err.Error())
			r.f.bound.set(triUnknown, "srvsvc bind: malformed bind_ack", i)
			return false
		}
		if ack.CallID != c.callID {
			i := x.done("bind_ack", "call_id mismatch")
			r.f.bound.set(triUnknown, "srvsvc bind: call_id mismatch", i)
			return false
		}
		if _, ok := ack.Accepted(); !ok {
			i := x.done("bind_ack", "srvsvc context not accepted")
			r.f.bound.set(triNo, "srvsvc bind: context rejected", i)
			return false
		}
		c.maxXmit = int(ack.MaxRecvFrag)
		if c.maxXmit < 1024 || c.maxXmit > dcerpc.DefaultMaxFrag {
			c.maxXmit = dcerpc.DefaultMaxFrag
		}
		i := x.done("bind_ack", fmt.Sprintf("srvsvc accepted, secondary address %q, max frags %d/%d", clean(ack.SecondaryAddr), ack.MaxXmitFrag, ack.MaxRecvFrag))
		r.f.bound.set(triYes, "srvsvc bound anonymously on "+r.res.Fingerprint.Pipe, i)
		return true
	case dcerpc.PTypeBindNak:
		nak, _ := dcerpc.DecodeBindNak(reply)
		i := x.done("bind_nak", fmt.Sprintf("reason %d", nak.Reason))
		r.f.bound.set(triNo, "srvsvc bind rejected (bind_nak)", i)
		return false
	}
	i := x.done(fr.Type.String(), "unexpected PDU type")
	r.f.bound.set(triUnknown, "srvsvc bind: unexpected "+fr.Type.String(), i)
	return false
}

// invoke is the single chokepoint for srvsvc requests.
func (c *rpcClient) invoke(ctx context.Context, kind callKind) (rpcAnswer, []byte) {
	r := c.r
	a := rpcAnswer{idx: -1}
	pc, req, err := authorize(kind, r.opts.Intrusive, r.addr.Addr().Unmap().String())
	if err != nil {
		a.notRun, a.err = err.Error(), err
		return a, nil
	}
	stub, err := req.Encode()
	if err != nil {
		a.notRun, a.err = err.Error(), err
		return a, nil
	}
	c.callID++
	pdu, err := dcerpc.NewRequest(c.callID, 0, req.Opnum(), stub).Encode()
	if err == nil && len(pdu) > c.maxXmit {
		err = fmt.Errorf("request of %d bytes exceeds the server's fragment size %d", len(pdu), c.maxXmit)
	}
	if err != nil {
		a.notRun, a.err = err.Error(), err
		return a, nil
	}
	x := r.begin(pc.step, pc.class, fmt.Sprintf("opnum %d: %s, over %s %s", req.Opnum(), pc.what, c.io.proto(), r.res.Fingerprint.Pipe))
	r.res.Exchanges[x.i].SentHex = hex.EncodeToString(stub)
	a.idx = x.i
	resp, err := c.exchange(ctx, pdu)
	if errors.Is(err, ErrNotSent) {
		a.notRun, a.err = "the request could not be written: "+err.Error(), err
		x.done("not sent", err.Error())
		return a, nil
	}
	a.sent = true
	var fe *dcerpc.FaultError
	switch {
	case errors.As(err, &fe):
		a.faulted, a.fault = true, fe.Status
		x.done("fault "+fe.Status.String(), faultWords(fe.Status))
		return a, nil
	case errors.Is(err, dcerpc.ErrDidNotExecute):
		a.err = err
		x.done("did-not-execute", "response flagged PFC_DID_NOT_EXECUTE")
		return a, nil
	case err != nil:
		a.err = err
		a.dropped = errors.Is(err, ErrDropped)
		a.timedOut = errors.Is(err, ErrTimeout)
		if st, ok := isStatus(err); ok {
			x.done(statusText(st), "pipe transaction failed")
		} else {
			x.fail(err)
		}
		return a, nil
	}
	return a, resp
}

// exchange sends one request PDU and reassembles the reply's fragments.
func (c *rpcClient) exchange(ctx context.Context, pdu []byte) ([]byte, error) {
	msg, err := c.io.transact(ctx, pdu)
	if err != nil {
		return nil, err
	}
	return smbclient.Reassemble(ctx, c.callID, msg, c.io.readPipe)
}

func faultWords(s dcerpc.FaultStatus) string {
	switch s {
	case dcerpc.StatusOpRangeError:
		return "opnum not supported by this srvsvc (nca_op_rng_error): not Windows, or the call is not implemented"
	case dcerpc.StatusFaultNDR:
		return "stub rejected (bad stub data / range check)"
	case dcerpc.StatusAccessDenied:
		return "access denied"
	}
	return "DCE/RPC fault"
}

// srvsvcPhase opens a pipe, binds srvsvc and makes the safe calls the selected checks need.
// It returns the bound client (for the intrusive probe) or nil.
func (r *run) srvsvcPhase(ctx context.Context, io pipeIO) *rpcClient {
	var notes []string
	var ev []int
	opened := ""
	for _, name := range []string{"browser", "srvsvc"} {
		st, i, err := io.openPipe(ctx, name)
		ev = append(ev, i)
		if err != nil {
			r.f.pipe.set(triUnknown, `\`+name+": "+err.Error(), ev...)
			r.stop(io.proto()+".create", err)
			return nil
		}
		if st == ntstatus.Success {
			opened = name
			break
		}
		notes = append(notes, `\`+name+" "+statusName(st))
		if name == "srvsvc" && r.res.Fingerprint.NTLMVersion != nil && st == ntstatus.AccessDenied {
			r.f.spHint = "anonymous \\srvsvc refused (XP SP2+ / 2003 behaviour)"
		}
	}
	if opened == "" {
		r.f.pipe.set(triNo, "no pipe for srvsvc: "+strings.Join(notes, ", "), ev...)
		r.f.pipeWhy = strings.Join(notes, ", ")
		return nil
	}
	if opened == "srvsvc" && len(notes) == 0 {
		r.f.spHint = "anonymous \\srvsvc allowed"
	}
	r.res.Fingerprint.Pipe = `\` + opened
	r.f.pipe.set(triYes, `\`+opened+" opened anonymously", ev...)
	c := &rpcClient{r: r, io: io, maxXmit: dcerpc.DefaultMaxFrag}
	if !c.bind(ctx) {
		return nil
	}
	if r.sel.wants(stepServerInfo) {
		r.serverInfo(ctx, c)
	}
	if r.sel.wants(stepHook) && io.usable(ctx) {
		r.f.hookDot = r.hook(ctx, c, callHookDotDot)
		if io.usable(ctx) {
			r.f.hookRoot = r.hook(ctx, c, callHookRoot)
		}
	}
	if r.sel.wants(stepHoneypot) && io.usable(ctx) {
		a, stub := c.invoke(ctx, callHoneypot)
		r.readWerr(&a, stub, func(b []byte) (srvsvc.WERROR, string, error) {
			resp, err := srvsvc.DecodePathCompareResponse(b)
			return resp.Status, "return " + resp.Status.String(), err
		})
		r.f.honeypot = a
	}
	return c
}

func (r *run) serverInfo(ctx context.Context, c *rpcClient) {
	a, stub := c.invoke(ctx, callServerInfo)
	r.readWerr(&a, stub, func(b []byte) (srvsvc.WERROR, string, error) {
		resp, err := srvsvc.DecodeServerGetInfoResponse(b)
		if err != nil {
			return 0, "", err
		}
		if resp.Info101 == nil {
			return resp.Status, "no info", nil
		}
		i := resp.Info101
		r.res.Fingerprint.ServerInfo = &ServerInfo101{PlatformID: i.PlatformID, Name: clean(i.Name), Major: i.VersionMajor, Minor: i.VersionMinor, Type: i.Type, Comment: clean(i.Comment)}
		return resp.Status, fmt.Sprintf("platform %d, name %q, version %d.%d, type 0x%08x, comment %q", i.PlatformID, clean(i.Name), i.VersionMajor, i.VersionMinor, i.Type, clean(i.Comment)), nil
	})
	r.f.serverInfo = a
	if a.hasWerr && a.werr == 0 {
		r.f.osEv = append(r.f.osEv, a.idx)
	}
}

func (r *run) hook(ctx context.Context, c *rpcClient, kind callKind) rpcAnswer {
	a, stub := c.invoke(ctx, kind)
	if stub == nil {
		return a
	}
	if w, err := srvsvc.DecodePathCanonicalizeWords(stub); err == nil {
		a.words, a.hasWords = w, true
		a.werr, a.hasWerr = w.Status, true
		r.res.Exchanges[a.idx].Status = "WERROR " + w.Status.String()
		r.res.Exchanges[a.idx].Response = fmt.Sprintf("MaxCount %d, can_path 0x%08x, PathType %d, WERROR 0x%08x", w.MaxCount, w.CanPath, w.PathType, uint32(w.Status))
		return a
	}
	r.readWerr(&a, stub, func(b []byte) (srvsvc.WERROR, string, error) {
		resp, err := srvsvc.DecodePathCanonicalizeResponse(b)
		return resp.Status, fmt.Sprintf("%d-byte stub, Outbuf % x", len(b), resp.Outbuf), err
	})
	return a
}

// readWerr decodes a response stub and fills the answer's WERROR and the exchange's text.
func (r *run) readWerr(a *rpcAnswer, stub []byte, decode func([]byte) (srvsvc.WERROR, string, error)) {
	if stub == nil || a.idx < 0 {
		return
	}
	e := &r.res.Exchanges[a.idx]
	w, desc, err := decode(stub)
	if err != nil {
		a.err = fmt.Errorf("%w: %v", ErrProtocol, err)
		e.Status = "malformed response"
		e.Response = clean(err.Error())
		return
	}
	a.werr, a.hasWerr = w, true
	e.Status = "WERROR " + w.String()
	e.Response = clean(desc)
}

// intrusivePhase runs the §3c probe, only with --intrusive, only on a connection that still
// works, only where the fingerprint does not already clear the host, and only when the
// credentialed check (run first, when credentials were given) did not decide.
func (r *run) intrusivePhase(ctx context.Context, c *rpcClient) {
	if !r.opts.Intrusive || !r.sel.wants(stepIntrusive) {
		return
	}
	r.identify()
	if v, _, _, _ := ms08Exposure(r.f.os); v == NotAffected {
		r.f.intrusive.notRun = "the fingerprint shows an OS outside the affected set"
		return
	}
	r.credentialed(ctx)
	if r.f.cred != nil && r.f.cred.Decided() {
		r.f.intrusive.notRun = "the credentialed netapi32.dll check decided"
		return
	}
	if c == nil {
		r.f.intrusive.notRun = "srvsvc was not bound: " + r.sessionBlocker()
		return
	}
	if !c.io.usable(ctx) {
		r.f.intrusive.notRun = "the connection no longer carries requests (" + firstNonEmpty(r.f.failed, "an earlier step broke it, or the host budget ran out") + ")"
		return
	}
	a, stub := c.invoke(ctx, callMS08Compare)
	r.readWerr(&a, stub, func(b []byte) (srvsvc.WERROR, string, error) {
		resp, err := srvsvc.DecodePathCompareResponse(b)
		return resp.Status, "return " + resp.Status.String(), err
	})
	r.f.intrusive = a
}

func statusName(s ntstatus.Status) string {
	if n, ok := s.Name(); ok {
		return n
	}
	return fmt.Sprintf("0x%08X", uint32(s))
}
