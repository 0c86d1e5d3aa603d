//go:build !linux

package main

import (
	"errors"
	"time"
)

var errNoProc = errors.New("a process's CPU time is read from /proc, on Linux only")

// processCPU fails: it reads /proc, which only Linux has.
func processCPU(pid int) (time.Duration, error) { return 0, errNoProc }

// listenerPID fails: it reads /proc, which only Linux has.
func listenerPID(port int) (int, error) { return 0, errNoProc }
