//go:build unix && !linux

package moto

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
