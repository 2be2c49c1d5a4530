package scanner

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"math/bits"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Sentinel errors; every error from this file wraps one of them.
var (
	ErrBadSpec    = errors.New("invalid target spec")
	ErrNotAllowed = errors.New("address outside the private ranges")
	ErrResolve    = errors.New("cannot resolve host name")
	ErrTooLarge   = errors.New("target space too large")
	ErrNoTargets  = errors.New("no targets")
	ErrBadShard   = errors.New("invalid shard")
)

const (
	// maxV6Span caps one IPv6 spec at 2^24 addresses (a /104): IPv6 is scanned only where the
	// operator names a small range, never swept.
	maxV6Span = 1 << 24
	// minV6Bits is the shortest IPv6 prefix accepted, matching maxV6Span.
	minV6Bits = 128 - 24
	// maxSpecBlocks caps the disjoint runs one octet-range spec may expand to, so that
	// "0-255.0-255.0-255.1" cannot materialise 16M intervals.
	maxSpecBlocks = 1 << 16
	// maxSpecLine bounds one -iL line; a longer one is almost certainly not a target list.
	maxSpecLine = 1 << 20
)

// Resolver turns host names into addresses. *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// TargetOptions tune ParseTargets. The zero value scans the whole space sequentially, private
// ranges only, without network/broadcast addresses; the CLI turns Shuffle on by default.
type TargetOptions struct {
	Excludes             []string // --exclude specs, and the lines of --exclude-file read with ReadSpecs
	AllowPublic          bool     // --allow-public: lift the safety rail
	KeepNetworkBroadcast bool     // keep the first and last address of IPv4 CIDRs shorter than /31
	Shuffle              bool     // permuted order instead of ascending
	Seed                 uint64   // permutation seed, used when SeedSet
	SeedSet              bool     // otherwise the seed is derived from the target set itself
	ShardIndex           int      // 0-based index of this shard
	ShardCount           int      // number of shards; 0 or 1 means the whole space
	Resolver             Resolver // nil means net.DefaultResolver
}

// SpecError names the spec that could not be used.
type SpecError struct {
	Role string // "target" or "exclude"
	Spec string
	Err  error
}

func (e *SpecError) Error() string { return fmt.Sprintf("%s %q: %v", e.Role, e.Spec, e.Err) }
func (e *SpecError) Unwrap() error { return e.Err }

// TargetSet is the parsed, deduplicated, excluded and sharded target space. It holds only sorted
// disjoint intervals, so its size does not depend on how many addresses it covers. It is
// immutable and safe for concurrent use.
//
// Example:
//
//	ts, err := scanner.ParseTargets(ctx, []string{"10.0.0.0/16", "10.1.0.1-40"}, scanner.TargetOptions{
//		Excludes: []string{"10.0.7.0/24"},
//		Shuffle:  true,
//	})
//	if err != nil {
//		return err // names the offending spec; nothing has been sent yet
//	}
//	for addr := range ts.All() {
//		dial(ctx, netip.AddrPortFrom(addr, 445))
//	}
type TargetSet struct {
	blocks   []block  // sorted, disjoint, non-adjacent
	starts   []uint64 // starts[i] = index of blocks[i].lo in the whole space
	total    uint64
	excludes []block // merged exclusion intervals, for Excluded
	perm     Permutation
	shuffle  bool
	seed     uint64
	shardIdx uint64
	shardCnt uint64
}

// ParseTargets parses every spec (IPv4/IPv6 address, CIDR, dash range, nmap octet range, host
// name, name/prefix), merges them, drops network/broadcast addresses and excludes, and applies the
// safety rail. All errors surface here, before any packet is sent.
func ParseTargets(ctx context.Context, specs []string, opt TargetOptions) (*TargetSet, error) {
	shardCnt, shardIdx := opt.ShardCount, opt.ShardIndex
	if shardCnt == 0 {
		shardCnt = 1
	}
	if shardCnt < 0 || shardIdx < 0 || shardIdx >= shardCnt {
		return nil, fmt.Errorf("%w: index %d of %d (index is 0-based and below the count)", ErrBadShard, opt.ShardIndex, opt.ShardCount)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no target specs given", ErrNoTargets)
	}
	res := opt.Resolver
	if res == nil {
		res = net.DefaultResolver
	}

	// Excludes first: an excluded public address is never touched, so it needs no
	// --allow-public (`scan 8.8.8.0/30 --exclude 8.8.8.0/30` is a no-op, not a refusal).
	var excl []block
	for _, s := range opt.Excludes {
		p, err := parseSpec(ctx, s, res)
		if err != nil {
			return nil, &SpecError{Role: "exclude", Spec: s, Err: err}
		}
		excl = append(excl, p.blocks...)
	}
	excl = mergeBlocks(excl)

	var incl, edges, interiors []block
	for _, s := range specs {
		p, err := parseSpec(ctx, s, res)
		if err != nil {
			return nil, &SpecError{Role: "target", Spec: s, Err: err}
		}
		if !opt.AllowPublic {
			kept := subtractBlocks(mergeBlocks(slices.Clone(p.blocks)), excl)
			for _, b := range kept {
				if a, bad := firstDisallowed(b); bad {
					return nil, &SpecError{Role: "target", Spec: s, Err: fmt.Errorf(
						"%w: %s is not in RFC 1918, RFC 6598, loopback, link-local or ULA space; pass --allow-public to scan it",
						ErrNotAllowed, a)}
				}
			}
		}
		incl = append(incl, p.blocks...)
		edges = append(edges, p.edges...)
		interiors = append(interiors, p.interiors...)
	}
	set := mergeBlocks(incl)
	if !opt.KeepNetworkBroadcast {
		// An edge of one CIDR that lies inside another, larger CIDR is a host there (10.0.0.255
		// given both /23 and /24), so only edges no CIDR claims as interior are dropped.
		set = subtractBlocks(set, subtractBlocks(mergeBlocks(edges), mergeBlocks(interiors)))
	}
	set = subtractBlocks(set, excl)

	t := &TargetSet{
		blocks:   set,
		starts:   make([]uint64, len(set)),
		excludes: excl,
		shuffle:  opt.Shuffle,
		shardIdx: uint64(shardIdx),
		shardCnt: uint64(shardCnt),
	}
	for i, b := range set {
		span := b.hi.sub(b.lo)
		if span.hi != 0 || span.lo == ^uint64(0) {
			return nil, fmt.Errorf("%w: one range holds 2^64 or more addresses", ErrTooLarge)
		}
		t.starts[i] = t.total
		var carry uint64
		t.total, carry = bits.Add64(t.total, span.lo+1, 0)
		if carry != 0 {
			return nil, fmt.Errorf("%w: more than 2^64 addresses", ErrTooLarge)
		}
	}
	if t.total == 0 {
		return nil, fmt.Errorf("%w: every address is excluded or a network/broadcast address", ErrNoTargets)
	}
	t.seed = opt.Seed
	if !opt.SeedSet {
		t.seed = canonicalSeed(set)
	}
	t.perm = NewPermutation(t.total, t.seed)
	return t, nil
}

// Total is the number of addresses in the whole space, before sharding.
func (t *TargetSet) Total() uint64 { return t.total }

// Len is the number of addresses this shard yields: the positions p < Total with
// p % ShardCount == ShardIndex.
func (t *TargetSet) Len() uint64 {
	if t.shardIdx >= t.total {
		return 0
	}
	return (t.total-t.shardIdx-1)/t.shardCnt + 1
}

// Seed is the permutation seed in use: the explicit one, or the one derived from the target set.
// Logging it lets a sweep be repeated in the same order.
func (t *TargetSet) Seed() uint64 { return t.seed }

// All yields this shard's addresses, in permuted order when Shuffle is set and ascending order
// otherwise, computing each on demand.
func (t *TargetSet) All() iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for p := t.shardIdx; p < t.total; {
			i := p
			if t.shuffle {
				i = t.perm.At(p)
			}
			if !yield(t.addrAt(i)) {
				return
			}
			if t.total-p <= t.shardCnt { // p+shardCnt would pass the end, or wrap
				return
			}
			p += t.shardCnt
		}
	}
}

// Contains reports whether a is in the target space (any shard). The dialer calls it again right
// before connecting, so that no code path reaches an address the operator did not ask for.
func (t *TargetSet) Contains(a netip.Addr) bool { return blocksContain(t.blocks, a) }

// Excluded reports whether a matches an exclude spec.
func (t *TargetSet) Excluded(a netip.Addr) bool { return blocksContain(t.excludes, a) }

func (t *TargetSet) addrAt(i uint64) netip.Addr {
	// Last block whose start index is <= i.
	lo, hi := 0, len(t.starts)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if t.starts[mid] <= i {
			lo = mid
		} else {
			hi = mid
		}
	}
	b := &t.blocks[lo]
	return b.addr(b.lo.add(i - t.starts[lo]))
}

// IsAllowedRange is the safety rail: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared
// space (100.64/10), loopback (127/8, ::1), link-local (169.254/16, fe80::/10) and IPv6 ULA
// (fc00::/7). Everything else needs --allow-public.
func IsAllowedRange(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	k := keyOf(a)
	_, bad := firstDisallowed(block{fam: k.fam, lo: k.v, hi: k.v})
	return !bad
}

// ReadSpecs reads an -iL style list: one or more specs per line separated by blanks or commas,
// '#' to end of line is a comment. Syntax errors name name:line; a list with no spec is an error.
// Host names are not resolved here.
func ReadSpecs(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSpecLine)
	var specs []string
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF") // Windows editors start files with a BOM
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		for _, f := range strings.FieldsFunc(text, isSpecSeparator) {
			if _, err := parseSpec(context.Background(), f, nil); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, &SpecError{Role: "target", Spec: f, Err: err})
			}
			specs = append(specs, f)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: %w: line longer than %d bytes", name, line+1, ErrBadSpec, maxSpecLine)
		}
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%s: %w: the list holds only blank lines and comments", name, ErrNoTargets)
	}
	return specs, nil
}

// ReadSpecFile is ReadSpecs on the file at path, or on stdin when path is "-".
func ReadSpecFile(path string, stdin io.Reader) ([]string, error) {
	if path == "-" {
		return ReadSpecs(stdin, "<stdin>")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSpecs(f, path)
}

func isSpecSeparator(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// ---- spec parsing ----

// parsedSpec is what one spec contributes.
type parsedSpec struct {
	blocks    []block
	edges     []block // network and broadcast addresses of IPv4 CIDRs shorter than /31
	interiors []block // those CIDRs without their edges
}

// parseSpec parses one spec. With res == nil, host names are checked for syntax only and
// contribute nothing: that is ReadSpecs' pre-flight check.
func parseSpec(ctx context.Context, s string, res Resolver) (parsedSpec, error) {
	var p parsedSpec
	if s == "" {
		return p, fmt.Errorf("%w: empty", ErrBadSpec)
	}
	if strings.TrimSpace(s) != s || strings.ContainsFunc(s, isSpecSeparator) {
		return p, fmt.Errorf("%w: contains blanks or commas (one spec per argument)", ErrBadSpec)
	}
	if host, bitsText, ok := strings.Cut(s, "/"); ok {
		return parsePrefixSpec(ctx, host, bitsText, res)
	}
	// Interface names never hold ':' or '%'; a "zone" that does is the tail of a range.
	if a, err := netip.ParseAddr(s); err == nil && !strings.ContainsAny(a.Zone(), ":%") {
		k := keyOf(a)
		p.blocks = []block{{fam: k.fam, zone: k.zone, lo: k.v, hi: k.v}}
		return p, nil
	}
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, errA := netip.ParseAddr(from)
		b, errB := netip.ParseAddr(to)
		if errA == nil && errB == nil {
			bl, err := rangeBlock(a, b)
			if err != nil {
				return p, err
			}
			p.blocks = []block{bl}
			return p, nil
		}
	}
	if strings.Contains(s, ":") {
		return p, fmt.Errorf("%w: not an IPv6 address, /prefix or full-address range", ErrBadSpec)
	}
	if looksNumeric(s) {
		bl, err := octetBlocks(s)
		if err != nil {
			return p, err
		}
		p.blocks = bl
		return p, nil
	}
	if !validHostName(s) {
		return p, fmt.Errorf("%w: neither an address, range nor host name", ErrBadSpec)
	}
	addrs, err := resolve(ctx, s, res)
	if err != nil {
		return p, err
	}
	for _, a := range addrs {
		k := keyOf(a)
		p.blocks = append(p.blocks, block{fam: k.fam, zone: k.zone, lo: k.v, hi: k.v})
	}
	return p, nil
}

func parsePrefixSpec(ctx context.Context, host, bitsText string, res Resolver) (parsedSpec, error) {
	var p parsedSpec
	n, err := strconv.Atoi(bitsText)
	if err != nil || n < 0 || bitsText == "" || bitsText[0] == '+' || bitsText[0] == '-' ||
		(len(bitsText) > 1 && bitsText[0] == '0') {
		return p, fmt.Errorf("%w: prefix length %q is not a decimal number", ErrBadSpec, bitsText)
	}
	if n > 128 {
		return p, fmt.Errorf("%w: prefix length %d is more than 128", ErrBadSpec, n)
	}
	var addrs []netip.Addr
	byName := false
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return p, fmt.Errorf("%w: a prefix cannot carry an IPv6 zone", ErrBadSpec)
		}
		addrs = []netip.Addr{a}
	} else if strings.Contains(host, ":") || looksNumeric(host) || !validHostName(host) {
		return p, fmt.Errorf("%w: %q is not an address or host name", ErrBadSpec, host)
	} else {
		// nmap's "name/24": the network around every address of the name.
		if addrs, err = resolve(ctx, host, res); err != nil {
			return p, err
		}
		byName = true
	}
	var skipped error
	for _, a := range addrs {
		n := n
		if a.Is4In6() && n >= 96 {
			a, n = a.Unmap(), n-96
		}
		var problem error
		switch {
		case a.Is4() && n > 32:
			problem = fmt.Errorf("%w: prefix length %d is more than 32 for IPv4 %s", ErrBadSpec, n, a)
		case a.Is6() && n < minV6Bits:
			problem = fmt.Errorf("%w: IPv6 prefixes must be /%d or longer (at most %d addresses)", ErrTooLarge, minV6Bits, maxV6Span)
		}
		if problem != nil {
			if byName {
				// A name with both A and AAAA records: "name/24" means its IPv4 networks and
				// "name/120" its IPv6 ones; the other family is left out, not an error.
				skipped = problem
				continue
			}
			return p, problem
		}
		pfx := netip.PrefixFrom(a, n).Masked()
		k := keyOf(pfx.Addr())
		hostBits := uint(a.BitLen() - n)
		last := k.v.or(lowMask(hostBits))
		p.blocks = append(p.blocks, block{fam: k.fam, lo: k.v, hi: last})
		if a.Is4() && n < 31 {
			p.edges = append(p.edges, block{fam: 4, lo: k.v, hi: k.v}, block{fam: 4, lo: last, hi: last})
			p.interiors = append(p.interiors, block{fam: 4, lo: k.v.add(1), hi: last.sub(u128{lo: 1})})
		}
	}
	if len(p.blocks) == 0 && skipped != nil {
		return p, skipped
	}
	return p, nil
}

func rangeBlock(a, b netip.Addr) (block, error) {
	ka, kb := keyOf(a), keyOf(b)
	if ka.fam != kb.fam {
		return block{}, fmt.Errorf("%w: range mixes IPv4 and IPv6", ErrBadSpec)
	}
	if ka.zone != kb.zone {
		return block{}, fmt.Errorf("%w: range ends have different zones", ErrBadSpec)
	}
	if kb.v.cmp(ka.v) < 0 {
		return block{}, fmt.Errorf("%w: range ends before it starts", ErrBadSpec)
	}
	if ka.fam == 6 {
		if span := kb.v.sub(ka.v); span.hi != 0 || span.lo >= maxV6Span {
			return block{}, fmt.Errorf("%w: IPv6 ranges may hold at most %d addresses", ErrTooLarge, maxV6Span)
		}
	}
	return block{fam: ka.fam, zone: ka.zone, lo: ka.v, hi: kb.v}, nil
}

// looksNumeric reports whether s can only be meant as an IPv4 address or octet range (so that
// "10.0.0.300" is a bad address, not a host name to look up).
func looksNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '*' {
			return false
		}
	}
	return true
}

// octetBlocks expands nmap octet ranges such as 10.0.1-3.1-40 or 10.0.*.1 into intervals. The
// octets after the last partial one are full, so each combination of the earlier octets is one
// contiguous run; only those combinations are enumerated, and capped.
func octetBlocks(s string) ([]block, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w: an IPv4 address has 4 octets, not %d", ErrBadSpec, len(parts))
	}
	var lo, hi [4]uint32
	for i, part := range parts {
		var err error
		if lo[i], hi[i], err = parseOctetRange(part); err != nil {
			return nil, err
		}
	}
	last := 0 // the last octet that is not 0-255
	for i := 3; i >= 0; i-- {
		if lo[i] != 0 || hi[i] != 255 {
			last = i
			break
		}
	}
	runs := uint64(1)
	for i := 0; i < last; i++ {
		runs *= uint64(hi[i] - lo[i] + 1)
	}
	if runs > maxSpecBlocks {
		return nil, fmt.Errorf("%w: octet ranges expand to %d separate runs (at most %d)", ErrTooLarge, runs, maxSpecBlocks)
	}
	shift := uint(8 * (3 - last))
	tail := uint32(1)<<shift - 1
	out := make([]block, 0, runs)
	cur := lo
	for {
		var base uint32
		for i := 0; i < last; i++ {
			base |= cur[i] << (8 * (3 - i))
		}
		out = append(out, block{
			fam: 4,
			lo:  u128{lo: uint64(base | lo[last]<<shift)},
			hi:  u128{lo: uint64(base | hi[last]<<shift | tail)},
		})
		// Odometer over octets 0..last-1.
		i := last - 1
		for ; i >= 0; i-- {
			if cur[i] < hi[i] {
				cur[i]++
				break
			}
			cur[i] = lo[i]
		}
		if i < 0 {
			return out, nil
		}
	}
}

func parseOctetRange(s string) (lo, hi uint32, err error) {
	if s == "*" {
		return 0, 255, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = parseOctet(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = parseOctet(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("%w: octet range %q ends before it starts", ErrBadSpec, s)
		}
	}
	return lo, hi, nil
}

func parseOctet(s string) (uint32, error) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: %q is not an octet (0-255, no leading zeros)", ErrBadSpec, s)
	}
	var v uint32
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not an octet", ErrBadSpec, s)
		}
		v = v*10 + uint32(s[i]-'0')
	}
	if v > 255 {
		return 0, fmt.Errorf("%w: octet %d is more than 255", ErrBadSpec, v)
	}
	return v, nil
}

// validHostName checks RFC 1123 syntax (underscores tolerated, as Windows names use them). The
// last label must not be all digits, or "10.0.0.300" would go to DNS.
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return !looksNumeric(labels[len(labels)-1])
}

func resolve(ctx context.Context, name string, res Resolver) ([]netip.Addr, error) {
	if res == nil {
		return nil, nil // syntax check only
	}
	addrs, err := res.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrResolve, err)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a.IsValid() {
			out = append(out, a.Unmap())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no addresses", ErrResolve)
	}
	return out, nil
}

// ---- intervals ----

// u128 is an address as a 128-bit unsigned number; IPv4 uses the low 32 bits.
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a u128) add(n uint64) u128 {
	lo, c := bits.Add64(a.lo, n, 0)
	return u128{a.hi + c, lo}
}

func (a u128) sub(b u128) u128 {
	lo, br := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, br)
	return u128{hi, lo}
}

func (a u128) or(b u128) u128 { return u128{a.hi | b.hi, a.lo | b.lo} }

func (a u128) isMax() bool { return a.hi == ^uint64(0) && a.lo == ^uint64(0) }

// lowMask has the low n bits set, n <= 128.
func lowMask(n uint) u128 {
	switch {
	case n >= 128:
		return u128{^uint64(0), ^uint64(0)}
	case n >= 64:
		return u128{1<<(n-64) - 1, ^uint64(0)}
	default:
		return u128{0, 1<<n - 1}
	}
}

// block is the closed interval [lo, hi] of one family (4 or 6) and, for IPv6, one zone: fe80::1%eth0
// and fe80::1%eth1 are different targets.
type block struct {
	fam    uint8
	zone   string
	lo, hi u128
}

type addrKey struct {
	fam  uint8
	zone string
	v    u128
}

func keyOf(a netip.Addr) addrKey {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return addrKey{fam: 4, v: u128{lo: uint64(binary.BigEndian.Uint32(b[:]))}}
	}
	b := a.As16()
	return addrKey{fam: 6, zone: a.Zone(), v: u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}}
}

func (b *block) addr(v u128) netip.Addr {
	if b.fam == 4 {
		var x [4]byte
		binary.BigEndian.PutUint32(x[:], uint32(v.lo))
		return netip.AddrFrom4(x)
	}
	var x [16]byte
	binary.BigEndian.PutUint64(x[:8], v.hi)
	binary.BigEndian.PutUint64(x[8:], v.lo)
	a := netip.AddrFrom16(x)
	if b.zone != "" {
		a = a.WithZone(b.zone)
	}
	return a
}

// cmpGroup orders by family, then zone: intervals only merge or subtract within one group.
func cmpGroup(a, b *block) int {
	if c := cmp.Compare(a.fam, b.fam); c != 0 {
		return c
	}
	return strings.Compare(a.zone, b.zone)
}

// mergeBlocks returns the union of in as sorted, disjoint, non-adjacent intervals. in is reordered.
func mergeBlocks(in []block) []block {
	slices.SortFunc(in, func(a, b block) int {
		if c := cmpGroup(&a, &b); c != 0 {
			return c
		}
		return a.lo.cmp(b.lo)
	})
	var out []block
	for _, b := range in {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if cmpGroup(last, &b) == 0 && (b.lo.cmp(last.hi) <= 0 || (!last.hi.isMax() && b.lo == last.hi.add(1))) {
				if b.hi.cmp(last.hi) > 0 {
					last.hi = b.hi
				}
				continue
			}
		}
		out = append(out, b)
	}
	return out
}

// subtractBlocks returns a minus b; both must come from mergeBlocks.
func subtractBlocks(a, b []block) []block {
	var out []block
	j := 0
	for _, cur := range a {
		// Skip cuts wholly before cur; they are before every later block too.
		for j < len(b) && (cmpGroup(&b[j], &cur) < 0 || cmpGroup(&b[j], &cur) == 0 && b[j].hi.cmp(cur.lo) < 0) {
			j++
		}
		alive := true
		for k := j; k < len(b) && cmpGroup(&b[k], &cur) == 0 && b[k].lo.cmp(cur.hi) <= 0; k++ {
			if b[k].lo.cmp(cur.lo) > 0 {
				out = append(out, block{fam: cur.fam, zone: cur.zone, lo: cur.lo, hi: b[k].lo.sub(u128{lo: 1})})
			}
			if b[k].hi.cmp(cur.hi) >= 0 {
				alive = false
				break
			}
			cur.lo = b[k].hi.add(1)
		}
		if alive {
			out = append(out, cur)
		}
	}
	return out
}

func blocksContain(bs []block, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	k := keyOf(a)
	probe := block{fam: k.fam, zone: k.zone}
	// First block of a's group whose hi >= a.
	i, _ := slices.BinarySearchFunc(bs, probe, func(b, _ block) int {
		if c := cmpGroup(&b, &probe); c != 0 {
			return c
		}
		if b.hi.cmp(k.v) < 0 {
			return -1
		}
		return 1
	})
	return i < len(bs) && cmpGroup(&bs[i], &probe) == 0 && bs[i].lo.cmp(k.v) <= 0
}

// allowedBlocks returns the safety-rail ranges, sorted by family then address. A function, not a
// variable, so that nothing can widen the rail at run time.
func allowedBlocks() [9]block {
	return [...]block{
		{fam: 4, lo: u128{lo: 0x0a000000}, hi: u128{lo: 0x0affffff}},                         // 10.0.0.0/8, RFC 1918
		{fam: 4, lo: u128{lo: 0x64400000}, hi: u128{lo: 0x647fffff}},                         // 100.64.0.0/10, RFC 6598
		{fam: 4, lo: u128{lo: 0x7f000000}, hi: u128{lo: 0x7fffffff}},                         // 127.0.0.0/8, loopback
		{fam: 4, lo: u128{lo: 0xa9fe0000}, hi: u128{lo: 0xa9feffff}},                         // 169.254.0.0/16, link-local
		{fam: 4, lo: u128{lo: 0xac100000}, hi: u128{lo: 0xac1fffff}},                         // 172.16.0.0/12, RFC 1918
		{fam: 4, lo: u128{lo: 0xc0a80000}, hi: u128{lo: 0xc0a8ffff}},                         // 192.168.0.0/16, RFC 1918
		{fam: 6, lo: u128{lo: 1}, hi: u128{lo: 1}},                                           // ::1, loopback
		{fam: 6, lo: u128{hi: 0xfc00 << 48}, hi: u128{0xfdff<<48 | (1<<48 - 1), ^uint64(0)}}, // fc00::/7, ULA
		{fam: 6, lo: u128{hi: 0xfe80 << 48}, hi: u128{0xfebf<<48 | (1<<48 - 1), ^uint64(0)}}, // fe80::/10, link-local
	}
}

// firstDisallowed returns the lowest address of b outside the safety-rail ranges, if any. The
// ranges are neither adjacent nor overlapping, and none ends at the top of its family.
func firstDisallowed(b block) (netip.Addr, bool) {
	cur := b.lo
	allowed := allowedBlocks()
	for i := range allowed {
		r := &allowed[i]
		if r.fam != b.fam || r.hi.cmp(cur) < 0 {
			continue
		}
		if cur.cmp(r.lo) < 0 {
			break
		}
		if r.hi.cmp(b.hi) >= 0 {
			return netip.Addr{}, false
		}
		cur = r.hi.add(1)
	}
	return b.addr(cur), true
}

// canonicalSeed derives the default seed from the final intervals, so every shard of one sweep
// computes the same permutation with nothing but the same command line.
func canonicalSeed(bs []block) uint64 {
	h := fnv.New64a()
	var buf [1 + 32]byte
	for _, b := range bs {
		buf[0] = b.fam
		binary.BigEndian.PutUint64(buf[1:], b.lo.hi)
		binary.BigEndian.PutUint64(buf[9:], b.lo.lo)
		binary.BigEndian.PutUint64(buf[17:], b.hi.hi)
		binary.BigEndian.PutUint64(buf[25:], b.hi.lo)
		h.Write(buf[:])
		h.Write([]byte(b.zone))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
