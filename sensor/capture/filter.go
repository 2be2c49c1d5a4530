package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// SnapLen is how many bytes of an accepted frame the kernel hands over: Ethernet, one VLAN
// tag, the longest IPv4 header (60) and the fixed TCP header fit in 14+4+60+20 = 98.
const SnapLen = 128

// asm is a tiny assembler for classic BPF with named jump targets, so the filter reads as a
// program and its skip counts are computed, not hand-counted.
type asm struct {
	ins    []bpf.Instruction
	labels map[string]int
	fixups []fixup
}

type fixup struct {
	at          int
	true, false string // "" falls through
}

func (a *asm) emit(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *asm) label(name string) { a.labels[name] = len(a.ins) }

// jump emits a conditional jump to the named labels ("" = next instruction).
func (a *asm) jump(cond bpf.JumpTest, val uint32, onTrue, onFalse string) {
	a.fixups = append(a.fixups, fixup{at: len(a.ins), true: onTrue, false: onFalse})
	a.emit(bpf.JumpIf{Cond: cond, Val: val})
}

func (a *asm) assemble() ([]bpf.Instruction, error) {
	for _, f := range a.fixups {
		j := a.ins[f.at].(bpf.JumpIf)
		skip := func(name string) (uint8, error) {
			if name == "" {
				return 0, nil
			}
			to, ok := a.labels[name]
			if !ok {
				return 0, fmt.Errorf("capture filter: no label %q", name)
			}
			d := to - f.at - 1
			if d < 0 || d > 255 {
				return 0, fmt.Errorf("capture filter: jump to %q out of range (%d)", name, d)
			}
			return uint8(d), nil
		}
		var err error
		if j.SkipTrue, err = skip(f.true); err != nil {
			return nil, err
		}
		if j.SkipFalse, err = skip(f.false); err != nil {
			return nil, err
		}
		a.ins[f.at] = j
	}
	return a.ins, nil
}

// Filter returns the kernel filter for ports (see the package comment for what it keeps).
// The 802.1Q branch repeats the IPv4 block 4 bytes further on: classic BPF has no way to add
// a variable base to an absolute load, and the IPv4 header length already occupies X.
func Filter(ports []uint16) ([]bpf.Instruction, error) {
	if len(ports) == 0 || len(ports) > 16 {
		return nil, fmt.Errorf("capture filter: want 1..16 ports, have %d", len(ports))
	}
	a := &asm{labels: map[string]int{}}
	a.emit(bpf.LoadAbsolute{Off: 12, Size: 2})
	a.jump(bpf.JumpEqual, uint32(EtherTypeVLAN), "vlan", "")
	a.jump(bpf.JumpEqual, uint32(EtherTypeIPv4), "ip0", "")
	a.jump(bpf.JumpEqual, uint32(EtherTypeARP), "arp0", "drop")
	a.label("vlan")
	a.emit(bpf.LoadAbsolute{Off: 16, Size: 2})
	a.jump(bpf.JumpEqual, uint32(EtherTypeIPv4), "ip4", "")
	a.jump(bpf.JumpEqual, uint32(EtherTypeARP), "arp4", "drop")
	for _, base := range []uint32{EthernetLen, EthernetLen + VLANTagLen} {
		sfx := fmt.Sprint(base - EthernetLen)
		a.label("arp" + sfx)
		a.emit(bpf.LoadAbsolute{Off: base + 6, Size: 2}) // ARP operation
		a.jump(bpf.JumpEqual, uint32(ARPReply), "accept", "drop")

		a.label("ip" + sfx)
		a.emit(bpf.LoadAbsolute{Off: base + 9, Size: 1}) // protocol
		a.jump(bpf.JumpEqual, 6, "", "drop")
		a.emit(bpf.LoadAbsolute{Off: base + 6, Size: 2}) // flags + fragment offset
		a.jump(bpf.JumpBitsSet, 0x3FFF, "drop", "")      // MF or an offset: a fragment
		a.emit(bpf.LoadMemShift{Off: base})              // X = IHL × 4
		a.emit(bpf.LoadIndirect{Off: base + 13, Size: 1})
		a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: uint32(TCPFlagSYN | TCPFlagACK)})
		a.jump(bpf.JumpEqual, uint32(TCPFlagSYN), "syn"+sfx, "")
		a.jump(bpf.JumpEqual, uint32(TCPFlagSYN|TCPFlagACK), "synack"+sfx, "drop")

		a.label("syn" + sfx)
		a.emit(bpf.LoadIndirect{Off: base + 2, Size: 2}) // destination port
		portJumps(a, ports)
		a.label("synack" + sfx)
		a.emit(bpf.LoadIndirect{Off: base, Size: 2}) // source port
		portJumps(a, ports)
	}
	a.label("accept")
	a.emit(bpf.RetConstant{Val: SnapLen})
	a.label("drop")
	a.emit(bpf.RetConstant{Val: 0})
	return a.assemble()
}

func portJumps(a *asm, ports []uint16) {
	for i, p := range ports {
		onFalse := ""
		if i == len(ports)-1 {
			onFalse = "drop"
		}
		a.jump(bpf.JumpEqual, uint32(p), "accept", onFalse)
	}
}

// AssembleFilter is Filter in the kernel's form.
func AssembleFilter(ports []uint16) ([]bpf.RawInstruction, error) {
	prog, err := Filter(ports)
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(prog)
}
