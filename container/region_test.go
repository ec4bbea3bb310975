package container

import "testing"

func TestECRRegion(t *testing.T) {
	for host, want := range map[string]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com":      "eu-west-1",
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com": "us-east-1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn":  "cn-north-1",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com:443":  "eu-west-1",
		"ghcr.io": "", "localhost:5000": "", "dkr.ecr.x.amazonaws.com": "",
	} {
		if got := ECRRegion(host); got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
}
