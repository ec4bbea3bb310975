package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestDefaultIsTheRegisteredFile(t *testing.T) {
	model, labels := Default()
	sum := sha256.Sum256(model)
	if got := hex.EncodeToString(sum[:]); got != SHA256 {
		t.Fatalf("embedded model sha256 = %s, want %s", got, SHA256)
	}
	if !bytes.HasPrefix(model[4:], []byte("TFL3")) {
		t.Fatalf("embedded model is not a TFLite flatbuffer (identifier %q)", model[4:8])
	}
	if n := bytes.Count(labels, []byte("\n")); n != 1001 {
		t.Fatalf("embedded labels have %d lines, want 1001", n)
	}
}
