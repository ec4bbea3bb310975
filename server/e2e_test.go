//go:build e2e

// End-to-end tests of the server under hostile load (issue 11), each tens
// of seconds long: go test -tags e2e -run E2E ./server

package server_test

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	goimage "image"
	"image/color"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/server"
)

// e2eDuration is how long the slow-body test keeps its slow uploads
// going: CLASSIFLY_E2E_SECONDS, default 60 (the figure).
func e2eDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("CLASSIFLY_E2E_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 60 * time.Second
}

// TestE2ESlowBodies: 70 clients that declare a 524000-byte body and send
// one byte a second (and reconnect when cut off) against a server with the
// default limits; meanwhile at least 95% of normal /predict requests
// succeed, every slow upload ends with 408, and nothing is a 500.
func TestE2ESlowBodies(t *testing.T) {
	r := start(t, server.Options{Role: server.RoleAll})
	addr := strings.TrimPrefix(r.URL, "http://")
	stop := make(chan struct{})
	var slowEnds sync.Map // status → count
	var wg sync.WaitGroup
	for range 70 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := testkit.Trickle(addr, "image/bmp", 524000, time.Second, stop)
				if s == -1 {
					return
				}
				n, _ := slowEnds.LoadOrStore(s, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		}()
	}
	cat := image(t, "cat.bmp")
	client := &http.Client{Timeout: 30 * time.Second}
	var ok, total int
	for end := time.Now().Add(e2eDuration()); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		total++
		resp, err := client.Post(r.URL+"/predict", "image/bmp", bytes.NewReader(cat))
		if err != nil {
			t.Logf("normal request: %v", err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			ok++
		} else {
			t.Logf("normal request: %d", resp.StatusCode)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("normal requests: %d of %d served (%.1f%%)", ok, total, 100*float64(ok)/float64(total))
	if float64(ok) < 0.95*float64(total) {
		t.Errorf("only %d of %d normal requests served", ok, total)
	}
	ends := map[int]int64{}
	slowEnds.Range(func(k, v any) bool { ends[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("slow uploads ended with %v", ends)
	for s, n := range ends {
		if s != http.StatusRequestTimeout {
			t.Errorf("%d slow uploads ended with %d, want 408", n, s)
		}
	}
	if ends[http.StatusRequestTimeout] == 0 {
		t.Error("no slow upload was cut off")
	}
	if strings.Contains(r.Logs.String(), `"status":500`) {
		t.Error("a 500 was answered")
	}
}

// TestE2EMemoryBudget runs `classifly serve --memory-budget 512MiB` as its
// own process and sends it the pictures of issue 11 — a 16-bit interlaced
// 40 MP PNG, a progressive 40 MP JPEG, a lossless 40 MP WebP header, 24 MP
// photos that do decode — and 64 concurrent ~10 MB JSON bodies. Only
// 200, 413 and 503 may come back, /healthz must answer throughout, and the
// server's peak RSS (VmHWM) must stay under 600 MB.
func TestE2EMemoryBudget(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "classifly")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/classifly").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--memory-budget", "512MiB", "--offline", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	waitReady(t, url)

	pictures := map[string][]byte{
		"png16-interlaced-40mp": interlacedPNG16(t, 8000, 5000),
		"webp-lossless-40mp":    losslessWebPHeader(8000, 5000),
		"jpeg-24mp":             photoJPEG(t, 6000, 4000),
	}
	if p, err := progressiveJPEG(8000, 5000); err == nil {
		pictures["jpeg-progressive-40mp"] = p
	} else {
		t.Logf("no progressive JPEG (cjpeg): %v", err)
	}
	for name, p := range pictures {
		t.Logf("%s: %d bytes", name, len(p))
	}
	// ~9.6 MB of base64 in a JSON body.
	padded := append(photoJPEG(t, 224, 224), make([]byte, 7<<20)...)
	big, _ := json.Marshal(map[string]string{"image_base64": base64.StdEncoding.EncodeToString(padded)})

	stopHealth := make(chan struct{})
	healthFailures := make(chan string, 100)
	go func() {
		client := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stopHealth:
				close(healthFailures)
				return
			case <-time.After(100 * time.Millisecond):
			}
			resp, err := client.Get(url + "/healthz")
			if err != nil {
				healthFailures <- err.Error()
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				healthFailures <- resp.Status
			}
		}
	}()

	var mu sync.Mutex
	statuses := map[string]map[int]int{}
	var wg sync.WaitGroup
	send := func(name, ctype string, body []byte) {
		defer wg.Done()
		client := &http.Client{Timeout: 60 * time.Second}
		resp, err := client.Post(url+"/predict", ctype, bytes.NewReader(body))
		status := 0
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		} else {
			t.Logf("%s: %v", name, err)
		}
		mu.Lock()
		if statuses[name] == nil {
			statuses[name] = map[int]int{}
		}
		statuses[name][status]++
		mu.Unlock()
	}
	for name, p := range pictures {
		for range 6 {
			wg.Add(1)
			go send(name, "application/octet-stream", p)
		}
	}
	for range 64 {
		wg.Add(1)
		go send("json-10mb", "application/json", big)
	}
	wg.Wait()
	// Then big photos alone: they decode, a few at a time, within the budget.
	for range 4 {
		wg.Add(1)
		go send("jpeg-24mp-alone", "image/jpeg", pictures["jpeg-24mp"])
	}
	wg.Wait()
	close(stopHealth)
	for f := range healthFailures {
		t.Errorf("/healthz failed during the load: %s", f)
	}
	t.Logf("answers: %v", statuses)
	for name, byStatus := range statuses {
		for s := range byStatus {
			if s != 200 && s != 413 && s != 503 {
				t.Errorf("%s: answered %d", name, s)
			}
		}
	}
	if statuses["jpeg-24mp-alone"][200] == 0 {
		t.Error("no 24 MP photo was classified once the flood was over")
	}
	hwm := vmHWM(t, cmd.Process.Pid)
	t.Logf("server VmHWM: %d MB", hwm>>20)
	if hwm >= 600<<20 {
		t.Errorf("server peak RSS %d MB, over 600 MB", hwm>>20)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", logs.String())
	}
}

func vmHWM(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// interlacedPNG16 is a w×h 16-bit RGB Adam7 PNG of black pixels: a few
// hundred KB that the standard decoder turns into 8 bytes a pixel, twice.
func interlacedPNG16(t *testing.T, w, h int) []byte {
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for _, p := range [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
		if pw <= 0 || ph <= 0 {
			continue
		}
		for n := ph * (1 + pw*6); n > 0; n -= len(zeros) {
			z.Write(zeros[:min(n, len(zeros))])
		}
	}
	z.Close()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	chunk(&b, "IHDR", append(ihdr, 16, 2, 0, 0, 1))
	chunk(&b, "IDAT", idat.Bytes())
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

func chunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	c := append([]byte(typ), data...)
	b.Write(c)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(c))
}

// losslessWebPHeader is a VP8L header declaring w×h pixels (WebP lossless
// bitstream spec, §3: signature 0x2f, 14-bit width-1 and height-1).
func losslessWebPHeader(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	vp8l := append([]byte{0x2f}, binary.LittleEndian.AppendUint32(nil, bits)...)
	vp8l = append(vp8l, make([]byte, 13)...)
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+len(vp8l)))
	b.WriteString("WEBPVP8L")
	binary.Write(&b, binary.LittleEndian, uint32(len(vp8l)))
	b.Write(vp8l)
	return b.Bytes()
}

// photoJPEG is a w×h baseline JPEG with some structure in it.
func photoJPEG(t *testing.T, w, h int) []byte {
	img := goimage.NewRGBA(goimage.Rect(0, 0, w, h))
	for y := 0; y < h; y += 2 {
		for x := 0; x < w; x += 2 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// progressiveJPEG makes a w×h progressive JPEG with libjpeg's cjpeg from a
// black picture.
func progressiveJPEG(w, h int) ([]byte, error) {
	cmd := exec.Command("cjpeg", "-progressive", "-quality", "50")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		fmt.Fprintf(in, "P6\n%d %d\n255\n", w, h)
		row := make([]byte, w*3)
		for range h {
			in.Write(row)
		}
		in.Close()
	}()
	if err := cmd.Wait(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
