package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is the module that `image build` and `image lambda` compile.
const modulePath = "github.com/classifly/classifly"

// checkSource makes sure dir holds the classifly module before go build
// runs there, so that a run outside the checkout gets advice rather than
// go build's own error about a missing go.mod or package.
func checkSource(dir string) error {
	hint := fmt.Sprintf("run this from a classifly checkout, or pass --source DIR (a checkout of %s) or --binary FILE (a prebuilt static linux binary)", modulePath)
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s holds no go.mod, so there is nothing to build: %s", absOr(dir), hint)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if mod = strings.Trim(strings.TrimSpace(mod), `"`); mod != modulePath {
				return fmt.Errorf("%s is the module %s, not %s: %s", absOr(dir), mod, modulePath, hint)
			}
			return nil
		}
	}
	return fmt.Errorf("%s/go.mod names no module: %s", absOr(dir), hint)
}

func absOr(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
