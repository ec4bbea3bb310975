package cli

import "testing"

// The AVX-512 peak halves on Zen 4 alone: other AMD families and Intel keep
// two zmm VPDPBUSD a cycle.
func TestPeakOfZen4(t *testing.T) {
	for _, c := range []struct {
		vendor, family string
		int8           int
	}{
		{"AuthenticAMD", "25", 64},
		{"AuthenticAMD", "26", 128},
		{"GenuineIntel", "6", 128},
		{"", "", 128},
	} {
		if p := peakOf("avx512vnni", c.vendor, c.family); p.Int8 != c.int8 {
			t.Errorf("peakOf(avx512vnni, %q, %q) = %d int8 MACs per cycle, want %d", c.vendor, c.family, p.Int8, c.int8)
		}
	}
	if p := peakOf("avx2", "AuthenticAMD", "25"); p.Int8 != 32 {
		t.Errorf("avx2 on Zen 4: %d int8 MACs per cycle, want 32", p.Int8)
	}
}
