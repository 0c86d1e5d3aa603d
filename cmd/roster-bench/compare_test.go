package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchComparesWithBare runs --compare-bare against a server in this
// process (found from its port) and the bare server in a child process:
// each round reports both sides and their ratio, and the summary their
// spread.
func TestBenchComparesWithBare(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("--compare-bare reads /proc")
	}
	url := benchServer(t)
	out, err := bench(t, url, nil, "--prefix", "cmp", "--compare-bare", "--rounds", "2", "--duration", "300ms")
	mustCompare(t, out, err, 2)
	if !strings.Contains(out, "(pid "+strconv.Itoa(os.Getpid())+", this process") {
		t.Errorf("report: want the server found in this process, pid %d\n%s", os.Getpid(), out)
	}

	out, err = bench(t, url, nil, "--prefix", "cmp", "--no-seed", "--compare-bare", "--rounds", "3", "--duration", "200ms",
		"--batch", "20", "--server-pid", strconv.Itoa(os.Getpid()))
	mustCompare(t, out, err, 3)
	if !regexp.MustCompile(`server CPU [0-9.]+µs/request \([0-9.]+µs/check\)`).MatchString(out) ||
		!regexp.MustCompile(`roster +[0-9]+ \([0-9]+–[0-9]+\) req/s +server CPU [0-9.]+ \([0-9.]+–[0-9.]+\)µs/request, [0-9.]+ \(`).MatchString(out) {
		t.Errorf("batch report: want the CPU per check, per round and over the rounds\n%s", out)
	}
}

var compareRatio = regexp.MustCompile(`\n  ratio   ([0-9.]+) \(([0-9.]+)–([0-9.]+)\) \(requests/s, roster / bare\)\n`)

// mustCompare checks a clean --compare-bare report of n rounds.
func mustCompare(t *testing.T, out string, err error, n int) {
	t.Helper()
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for i := 1; i <= n; i++ {
		if !regexp.MustCompile(`\n  round ` + strconv.Itoa(i) + ` +roster +[0-9]+ req/s.*\n +bare +[0-9]+ req/s.*\n +ratio +[0-9.]+ `).MatchString(out) {
			t.Errorf("report: round %d does not show both sides and their ratio\n%s", i, out)
		}
	}
	m := compareRatio.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("report: no ratio over the rounds in\n%s", out)
	}
	median, _ := strconv.ParseFloat(m[1], 64)
	low, _ := strconv.ParseFloat(m[2], 64)
	high, _ := strconv.ParseFloat(m[3], 64)
	if !(0 < low && low <= median && median <= high) {
		t.Errorf("ratio: got median %v in %v–%v, want 0 < min <= median <= max", median, low, high)
	}
	for _, want := range []string{"over " + strconv.Itoa(n) + " rounds (median, min–max):", "\n  bare    ", "\n  beyond  ", "\n  errors      0\n", "\n0 disagreements\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("report: missing %q in\n%s", want, out)
		}
	}
}

func TestBareAnswersTheSize(t *testing.T) {
	for _, size := range []int{36, 37, 1800} {
		a := bareAnswer(size)
		if len(a) != size || !strings.HasSuffix(string(a), "}\n") {
			t.Errorf("bareAnswer(%d): got %d bytes %.40q…", size, len(a), a)
		}
	}
	srv := httptest.NewServer(bareHandler(bareAnswer(40)))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/check", "application/json", strings.NewReader(`{"userId":"u"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 40 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %s %q, want 200 application/json and 40 bytes", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestListenerPIDFindsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if pid, err := listenerPID(port); err != nil || pid != os.Getpid() {
		t.Errorf("listenerPID(%d): got %d, %v; want this process, %d", port, pid, err, os.Getpid())
	}
	ln.Close()
	if pid, err := listenerPID(port); err == nil {
		t.Errorf("listenerPID(%d) once closed: got %d, want an error", port, pid)
	}
}

func TestProcessCPUCountsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spend 100 ms of CPU, as getrusage counts it.
	for start := cpuTime(); cpuTime()-start < 100*time.Millisecond; {
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 50*time.Millisecond || d > 10*time.Second {
		t.Errorf("processCPU: grew by %s over 100ms of CPU", d)
	}
	if _, err := processCPU(1 << 30); err == nil {
		t.Error("processCPU of no process: got no error")
	}
}
