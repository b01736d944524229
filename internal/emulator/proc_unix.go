//go:build unix

package emulator

import (
	"os"
	"syscall"
)

// sysProcAttr puts moto_server in its own process group, so that Stop also ends anything it
// started, and (on Linux) has the kernel kill it if the test binary dies first.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

// terminate asks moto_server's process group (whose id is its pid) to stop.
func terminate(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGTERM) }

// kill ends moto_server's process group.
func kill(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }

// Running reports whether process pid, or any process of the group it led, still exists:
// after Stop, neither moto_server nor anything it started may be left.
func Running(pid int) bool {
	if pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == nil || syscall.Kill(-pid, 0) == nil
}
