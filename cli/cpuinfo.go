package cli

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// cpuName is the processor's model name, for benchmark reports.
func cpuName() string {
	if v := cpuinfo("model name"); v != "" {
		return v
	}
	return runtime.GOARCH
}

// cpuinfoMHz is the clock /proc/cpuinfo states for the first core (often
// the nominal one), 0 when it says none.
func cpuinfoMHz() float64 {
	mhz, _ := strconv.ParseFloat(cpuinfo("cpu MHz"), 64)
	return mhz
}

// cpuinfo is the first value of a field of /proc/cpuinfo, "" when absent.
func cpuinfo(field string) string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
