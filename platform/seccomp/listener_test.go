package seccomp

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
)

func TestPendingUnblocked(t *testing.T) {
	for _, c := range []struct {
		name, status string
		want         bool
	}{
		{"nothing pending", "SigQ:\t0/1\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n", false},
		{"thread signal", "SigPnd:\t0000000000000200\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n", true},
		{"process signal", "SigPnd:\t0000000000000000\nShdPnd:\t0000000000004000\nSigBlk:\t0000000000000000\n", true},
		{"blocked", "SigPnd:\t0000000000000200\nShdPnd:\t0000000000004000\nSigBlk:\t0000000000004200\n", false},
		{"one of two blocked", "SigPnd:\t0000000000000201\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000200\n", true},
		{"realtime", "SigPnd:\t8000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n", true},
		{"garbage", "SigPnd:\tzz\nShdPnd\nSigBlk:\t\n", false},
		{"empty", "", false},
	} {
		if got := pendingUnblocked([]byte(c.status)); got != c.want {
			t.Errorf("%s: pendingUnblocked = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSignalPendingThread reads this very thread's status with a signal
// queued that the thread blocks: SignalPending must not count it, and the
// signal must be seen in SigPnd (shown by the same text without its mask).
func TestSignalPendingThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	task := &Task{call: platform.Call{Tid: tid}}
	if task.SignalPending() {
		t.Fatal("a thread with nothing pending reports a pending signal")
	}
	var set, old unix.Sigset_t
	set.Val[0] = 1 << (unix.SIGUSR2 - 1)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		t.Fatal(err)
	}
	signal.Ignore(unix.SIGUSR2)
	defer signal.Reset(unix.SIGUSR2)
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if err := unix.Tgkill(os.Getpid(), tid, unix.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if task.SignalPending() {
		t.Errorf("a blocked signal counts as pending:\n%s", b)
	}
	if !pendingUnblocked(append(b, "SigBlk:\t0000000000000000\n"...)) {
		t.Errorf("the blocked SIGUSR2 is not in SigPnd:\n%s", b)
	}
}
