package testkit

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Trickle is a slow client: it posts to addr's /predict a body declared as
// size bytes of contentType and sends it one byte every gap. It returns the
// status it is answered with, 0 if it cannot connect or read the answer,
// and -1 once stop is closed.
func Trickle(addr, contentType string, size int, gap time.Duration, stop <-chan struct{}) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", contentType, size)
	answer := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answer <- 0
			return
		}
		answer <- resp.StatusCode
	}()
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for sent := 0; ; {
		select {
		case s := <-answer:
			return s
		case <-stop:
			return -1
		case <-tick.C:
			if sent < size {
				conn.Write([]byte{0})
				sent++
			}
		}
	}
}
