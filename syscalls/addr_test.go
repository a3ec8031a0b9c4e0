package syscalls

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzFamilyAddr: the sockaddr decoders of the families netbox serves
// beside inet (struct sockaddr_nl, struct sockaddr_vm) take any bytes a
// program passes: they never panic, refuse with EINVAL only, and what
// they accept is what the bytes say.
func FuzzFamilyAddr(f *testing.F) {
	vm := make([]byte, 16)
	binary.LittleEndian.PutUint16(vm, unix.AF_VSOCK)
	binary.LittleEndian.PutUint32(vm[4:], 1234)
	binary.LittleEndian.PutUint32(vm[8:], unix.VMADDR_CID_ANY)
	nl := make([]byte, 12)
	binary.LittleEndian.PutUint16(nl, unix.AF_NETLINK)
	f.Add(vm, uint8(0))
	f.Add(vm[:15], uint8(1))
	f.Add(append(vm[:12:12], 2, 0, 0, 0), uint8(0))
	f.Add(nl, uint8(2))
	f.Add([]byte{0, 0}, uint8(1))
	f.Add([]byte{}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, opSel uint8) {
		op := addrUse(opSel % 3)
		if a, err := vsockAddr(b, op); err != nil {
			if err != unix.EINVAL {
				t.Fatalf("vsockAddr(%x) = %v, want EINVAL", b, err)
			}
		} else if a.Family != unix.AF_VSOCK {
			t.Fatalf("vsockAddr(%x) family %d", b, a.Family)
		} else if op != forSend {
			if len(b) < 16 || binary.LittleEndian.Uint16(b) != unix.AF_VSOCK || b[12] > unix.VMADDR_FLAG_TO_HOST {
				t.Fatalf("vsockAddr accepted %x", b)
			}
			if a.VM.Port != binary.LittleEndian.Uint32(b[4:]) || a.VM.CID != binary.LittleEndian.Uint32(b[8:]) {
				t.Fatalf("vsockAddr(%x) = %+v", b, a.VM)
			}
		}
		if a, err := netlinkAddr(b, op); err != nil {
			if err != unix.EINVAL {
				t.Fatalf("netlinkAddr(%x) = %v, want EINVAL", b, err)
			}
		} else if a.Family != unix.AF_NETLINK && a.Family != unix.AF_UNSPEC {
			t.Fatalf("netlinkAddr(%x) family %d", b, a.Family)
		}
	})
}
