package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/internal/kernels"
)

// peak is what one core of a backend can multiply-accumulate per cycle, as
// the instructions its kernels use allow: the ceiling `bench --profile`
// measures layers against. These are assumptions about the CPU, stated in
// the output, not measurements.
type peak struct {
	Int8    int    `json:"int8_macs_per_cycle"`
	Float   int    `json:"float32_macs_per_cycle"`
	Because string `json:"assumes"`
}

// peakOf is the assumed peak of a backend on a CPU of the given vendor and
// family (/proc/cpuinfo's vendor_id and cpu family); zero for a backend it
// does not know.
func peakOf(backend, vendor, family string) peak {
	switch backend {
	case "generic":
		return peak{1, 1, "portable Go: about 1 scalar multiply-add per cycle"}
	case "avx2":
		return peak{32, 16, "int8: VPMADDWD ymm = 16 MACs, 2 per cycle; float: VFMADD ymm = 8, 2 FMA ports"}
	case "avxvnni":
		return peak{64, 16, "int8: VPDPBUSD ymm = 32 u8×s8 MACs, 2 per cycle; float: VFMADD ymm = 8, 2 FMA ports"}
	case "avx512vnni":
		// AMD family 25 with AVX-512 is Zen 4 (Zen 3 has none): its 256-bit
		// units take each zmm operation in two halves.
		if vendor == "AuthenticAMD" && family == "25" {
			return peak{64, 16, "Zen 4: int8: VPDPBUSD zmm = 64 u8×s8 MACs, 1 per cycle (each zmm op runs as two 256-bit halves); float: VFMADD zmm = 16, 1 per cycle"}
		}
		return peak{128, 32, "int8: VPDPBUSD zmm = 64 u8×s8 MACs, 2 per cycle (2 FMA units, Xeon; half on 1-unit cores); float: VFMADD zmm = 16, 2 per cycle"}
	case "neon":
		return peak{32, 8, "int8: SDOT q = 16 MACs, 2 per cycle; float: FMLA q = 4, 2 per cycle"}
	}
	return peak{}
}

// ceiling is what one core runs of a backend's multiply-add instructions
// alone (kernels.MACLoop: no loads, stores or requantization), measured:
// the most any kernel of the backend could reach on this CPU, which the
// assumed peak only suggests (a core may issue fewer of them a cycle than
// its ports would allow, or run zmm operations in halves).
type ceiling struct {
	Int8  float64 `json:"int8_macs_per_cycle"`
	Float float64 `json:"float32_macs_per_cycle"`
}

// measureCeiling times kernels.MACLoop for the backend, int8 and float32,
// against the measured clock: the fastest of many short trials, as
// measureClockMHz. Zero where the backend has no such loop here.
func measureCeiling(backend string, clockMHz float64) ceiling {
	b, err := kernels.ChooseBackend(backend)
	if err != nil || clockMHz <= 0 {
		return ceiling{}
	}
	rate := func(float bool) float64 {
		const n = 50_000 // iterations a trial: about 0.1 ms
		var macs int64
		best := fastest(40, func() { macs = kernels.MACLoop(b, float, n) })
		if macs == 0 {
			return 0
		}
		return float64(macs) / best.Seconds() / (clockMHz * 1e6)
	}
	return ceiling{Int8: rate(false), Float: rate(true)}
}

// profileResult is the output of `classifly bench --profile`.
type profileResult struct {
	Model      string         `json:"model"`
	Format     string         `json:"format"`
	Backend    string         `json:"backend"`
	Threads    int            `json:"threads"`
	Warmup     int            `json:"warmup"`
	Runs       int            `json:"runs"`
	CPU        string         `json:"cpu"`
	ClockMHz   float64        `json:"clock_mhz"`
	ClockFrom  string         `json:"clock_from"`
	CPUInfoMHz float64        `json:"cpuinfo_mhz"`
	Peak       peak           `json:"peak_per_core"`
	Ceiling    ceiling        `json:"ceiling_per_core"`
	MACs       int64          `json:"macs"`     // of the layers: convolutions and fully connected
	TotalMS    float64        `json:"total_ms"` // sum of the operators' medians
	Kinds      []kindTime     `json:"kinds"`
	Layers     []layerProfile `json:"layers"`
}

type kindTime struct {
	Op      string  `json:"op"`
	Count   int     `json:"count"`
	MS      float64 `json:"ms"`
	Percent float64 `json:"percent"`
}

type layerProfile struct {
	Index       int     `json:"index"`
	Op          string  `json:"op"`
	In          []int   `json:"in"`
	Out         []int   `json:"out"`
	Kernel      [2]int  `json:"kernel"`
	Stride      [2]int  `json:"stride"`
	Depthwise   bool    `json:"depthwise"`
	Integer     bool    `json:"integer"`
	MACs        int64   `json:"macs"`
	Bytes       int64   `json:"bytes"`
	Fused       bool    `json:"fused,omitempty"` // computed by the layer before, whose rates count it
	MS          float64 `json:"ms"`              // median over the runs
	MinMS       float64 `json:"min_ms"`
	GMACPerS    float64 `json:"gmac_per_s"`
	PeakPercent float64 `json:"peak_percent"`    // of the backend's MACs per cycle × clock × threads
	CeilPercent float64 `json:"ceiling_percent"` // likewise of the measured ceiling
	GBPerS      float64 `json:"gb_per_s"`
}

// benchProfile is `classifly bench --profile`: each operator's median time
// over runs, by kind and per layer, against the backend's compute ceiling.
func benchProfile(ctx context.Context, env *Env, m *engine.Model, name string, in []byte, warmup, runs int, asJSON bool) int {
	for range warmup {
		if _, err := m.Profile(ctx, in); err != nil {
			return failure(ctx, env, err)
		}
	}
	clock, from := measureClockMHz()
	ceil := measureCeiling(m.Backend(), clock)
	var times [][]time.Duration // by operator, by run
	for range runs {
		ops, err := m.Profile(ctx, in)
		if err != nil {
			return failure(ctx, env, err)
		}
		if times == nil {
			times = make([][]time.Duration, len(ops))
		}
		for i, o := range ops {
			times[i] = append(times[i], o.Time)
		}
	}
	r := profileResult{
		Model: name, Format: m.Format(), Backend: m.Backend(), Threads: m.Threads(), Warmup: warmup, Runs: runs,
		CPU: cpuName(), ClockMHz: clock, ClockFrom: from, CPUInfoMHz: cpuinfoMHz(), Peak: peakOf(m.Backend(), cpuinfo("vendor_id"), cpuinfo("cpu family")), Ceiling: ceil,
	}
	r.profileLayers(m.Layers(), times)
	if asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(r); err != nil {
			return failure(ctx, env, err)
		}
		return ExitOK
	}
	r.print(env.Stdout)
	return ExitOK
}

// profileLayers fills in the per-layer and per-kind tables from each
// operator's times.
func (r *profileResult) profileLayers(layers []engine.Layer, times [][]time.Duration) {
	kinds := map[string]*kindTime{}
	for i, l := range layers {
		ts := slices.Clone(times[i])
		slices.Sort(ts)
		lp := layerProfile{Index: l.Index, Op: l.Op, In: l.In, Out: l.Out, Kernel: l.Kernel, Stride: l.Stride, Depthwise: l.Depthwise,
			Integer: l.Integer, MACs: l.MACs, Bytes: l.Bytes, Fused: l.Fused, MS: ms(ts[len(ts)/2]), MinMS: ms(ts[0])}
		// A layer's rates count the layers fused into it.
		macs, bytes := l.MACs, l.Bytes
		for _, f := range layers[i+1:] {
			if !f.Fused {
				break
			}
			macs, bytes = macs+f.MACs, bytes+f.Bytes
		}
		if sec := lp.MS / 1000; sec > 0 && !l.Fused {
			lp.GMACPerS = float64(macs) / sec / 1e9
			lp.GBPerS = float64(bytes) / sec / 1e9
			perCycle, measured := float64(r.Peak.Float), r.Ceiling.Float
			if l.Integer {
				perCycle, measured = float64(r.Peak.Int8), r.Ceiling.Int8
			}
			// percent of a rate of perCycle MACs per cycle per core.
			percent := func(perCycle float64) float64 {
				if top := perCycle * r.ClockMHz * 1e6 * float64(r.Threads) / 1e9; top > 0 && macs > 0 {
					return 100 * lp.GMACPerS / top
				}
				return 0
			}
			lp.PeakPercent, lp.CeilPercent = percent(perCycle), percent(measured)
		}
		r.Layers = append(r.Layers, lp)
		r.TotalMS += lp.MS
		r.MACs += l.MACs
		k := kinds[l.Op]
		if k == nil {
			k = &kindTime{Op: l.Op}
			kinds[l.Op] = k
		}
		k.Count++
		k.MS += lp.MS
	}
	for _, k := range kinds {
		if r.TotalMS > 0 {
			k.Percent = 100 * k.MS / r.TotalMS
		}
		r.Kinds = append(r.Kinds, *k)
	}
	slices.SortFunc(r.Kinds, func(a, b kindTime) int {
		if a.MS != b.MS {
			return cmpFloat(b.MS, a.MS)
		}
		return strings.Compare(a.Op, b.Op)
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// print writes the profile as two tables.
func (r *profileResult) print(w io.Writer) {
	fmt.Fprintf(w, "model    %s (%s, %.1f MMAC per image)\n", r.Model, r.Format, float64(r.MACs)/1e6)
	fmt.Fprintf(w, "machine  %s, %s, kernels %s\n", r.CPU, plural(r.Threads, "thread"), r.Backend)
	fmt.Fprintf(w, "clock    %.0f MHz, %s (/proc/cpuinfo says %.0f MHz)\n", r.ClockMHz, r.ClockFrom, r.CPUInfoMHz)
	if r.Peak.Int8 > 0 {
		fmt.Fprintf(w, "peak     %d int8 / %d float32 MACs per cycle per core, assumed: %s\n", r.Peak.Int8, r.Peak.Float, r.Peak.Because)
	}
	if c := r.Ceiling; c.Int8 > 0 {
		rates, share := fmt.Sprintf("%.1f int8 / %.1f float32", c.Int8, c.Float), ""
		if c.Float == 0 { // NEON: arm64 runs float layers in portable Go
			rates = fmt.Sprintf("%.1f int8 (no float32 loop)", c.Int8)
		}
		switch {
		case r.Peak.Int8 > 0 && c.Float > 0 && r.Peak.Float > 0:
			share = fmt.Sprintf(", %.0f%% / %.0f%% of the assumed peak", 100*c.Int8/float64(r.Peak.Int8), 100*c.Float/float64(r.Peak.Float))
		case r.Peak.Int8 > 0:
			share = fmt.Sprintf(", %.0f%% of the assumed int8 peak", 100*c.Int8/float64(r.Peak.Int8))
		}
		fmt.Fprintf(w, "ceiling  %s MACs per cycle per core, measured: the backend's multiply-add instructions alone (kernels.MACLoop)%s\n", rates, share)
	}
	fmt.Fprintf(w, "time     %.3f ms: the sum of each operator's median over %d runs (after %d warm-up runs)\n\n", r.TotalMS, r.Runs, r.Warmup)
	fmt.Fprintf(w, "%-20s %5s %9s %6s\n", "operator", "count", "ms", "%")
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "%-20s %5d %9.3f %6.1f\n", k.Op, k.Count, k.MS, k.Percent)
	}
	fmt.Fprintf(w, "\n%4s %-17s %-27s %-12s %8s %8s %8s %7s %7s %8s %7s\n", "#", "op", "shape in -> out", "kernel", "MMAC", "ms", "GMAC/s", "% peak", "% ceil", "MB", "GB/s")
	for _, l := range r.Layers {
		kernel := ""
		if l.Kernel[0] > 0 {
			kernel = fmt.Sprintf("%dx%d", l.Kernel[0], l.Kernel[1])
			if l.Stride[0] > 1 || l.Stride[1] > 1 {
				kernel += fmt.Sprintf(" s%d", max(l.Stride[0], l.Stride[1]))
			}
			if l.Depthwise {
				kernel += " dw"
			}
		}
		macs, rate, pct, cpct := "", "", "", ""
		if l.MACs > 0 {
			macs = fmt.Sprintf("%.2f", float64(l.MACs)/1e6)
			rate = fmt.Sprintf("%.1f", l.GMACPerS)
			if !l.Depthwise && l.PeakPercent > 0 {
				pct = fmt.Sprintf("%.0f%%", l.PeakPercent)
			}
			if !l.Depthwise && l.CeilPercent > 0 {
				cpct = fmt.Sprintf("%.0f%%", l.CeilPercent)
			}
		}
		if l.Fused {
			rate = "fused"
		}
		fmt.Fprintf(w, "%4d %-17s %-27s %-12s %8s %8.3f %8s %7s %7s %8.2f %7.1f\n", l.Index, trimOp(l.Op), hwc(l.In)+" -> "+hwc(l.Out),
			kernel, macs, l.MS, rate, pct, cpct, float64(l.Bytes)/1e6, l.GBPerS)
	}
	fmt.Fprintln(w, "\n% peak: GMAC/s against the assumed MACs per cycle x clock x threads; % ceil: against the measured ceiling likewise. Depthwise layers do few MACs per byte: compare their GB/s (activations, weights and biases, each read or written once) with the memory bandwidth instead. A fused layer runs within the layer above it, whose time and rates include it.")
}

// trimOp keeps long operator names in their column.
func trimOp(op string) string {
	if len(op) > 17 {
		return op[:17]
	}
	return op
}

// hwc writes a shape [N, H, W, C] as HxWxC, others as they are.
func hwc(shape []int) string {
	if len(shape) == 4 && shape[0] == 1 {
		shape = shape[1:]
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "x")
}
