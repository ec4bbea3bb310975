package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// pictureExts are the names a folder walk picks up; files named on the
// command line are tried whatever their name, since formats are sniffed.
func pictureExts() []string { return []string{".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp"} }

func isPictureName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range pictureExts() {
		if ext == e {
			return true
		}
	}
	return false
}

// expand turns the arguments into a list of files. A folder is walked
// recursively for files named like pictures, sorted; a symbolic link to a
// file is followed, one to a folder is not (it could loop). Files named
// otherwise are skipped and counted in one line per folder. A path that
// cannot be used is reported and flags the run as failed; what is not a
// regular file is left for the reader to refuse, so it is reported in turn.
func expand(env *Env, paths []string) (files []string, failed bool) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errorf(env, "%v", pathMessage(p, err))
			failed = true
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		found, skipped, bad := walkPictures(env, p)
		failed = failed || bad
		if skipped > 0 {
			errorf(env, "%s: skipped %s not named like a picture (%s)", p, plural(skipped, "file"), strings.Join(pictureExts(), " "))
		}
		if len(found) == 0 {
			errorf(env, "%s: no picture files", p)
			failed = true
		}
		files = append(files, found...)
	}
	return files, failed
}

// walkPictures lists the picture files under dir.
func walkPictures(env *Env, dir string) (found []string, skipped int, failed bool) {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			errorf(env, "%v", pathMessage(path, err))
			failed = true
		case d.IsDir():
		case !isPictureName(path):
			skipped++
		case d.Type()&fs.ModeSymlink != 0:
			st, err := os.Stat(path)
			switch {
			case err != nil:
				errorf(env, "%v", pathMessage(path, err))
				failed = true
			case st.IsDir():
				errorf(env, "%s: skipped, a link to a folder (not followed)", path)
			default:
				found = append(found, path)
			}
		default:
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		errorf(env, "%v", pathMessage(dir, err))
		failed = true
	}
	sort.Strings(found)
	return found, skipped, failed
}

// pathMessage words an *fs.PathError as "path: cause", without the
// operation ("lstat"), which tells a user nothing.
func pathMessage(path string, err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return path + ": " + pe.Err.Error()
	}
	return err.Error()
}
