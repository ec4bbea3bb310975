package ratelimit

import (
	"testing"
	"time"
)

func TestClientLimiterStaysBounded(t *testing.T) {
	l, _ := New(Config{PerSecond: 1, Burst: 1, MaxClients: 100})
	now := time.Now()
	for i := range 10000 {
		l.Allow(string(rune(i)), now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(l.clients); n > 100 {
		t.Errorf("%d clients tracked, limit 100", n)
	}
}
