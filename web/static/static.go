// Package static holds the console's browser assets, embedded in the binary.
//
// vendor/ is filled by `make assets` from npm packages pinned in package-lock.json
// (htmx, Pico CSS); css/ and js/ are our own. Every asset is served under a URL that
// carries a hash of its content (Path), so responses can be cached as immutable and a
// new build never serves a stale file.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

//go:embed css js img vendor
var files embed.FS

// FS returns the embedded assets, rooted at this folder (css/app.css, vendor/htmx.min.js, …).
func FS() fs.FS { return files }

var (
	hashesOnce sync.Once
	hashes     map[string]string // file name → first 12 hex digits of its SHA-256
)

// Path returns the URL of the named asset, e.g. Path("css/app.css") =
// "/static/3f2a9c01b2d4/css/app.css". Unknown names get a URL that will 404, so a
// typo shows up in the browser's console and in tests rather than at start-up.
func Path(name string) string {
	hashesOnce.Do(computeHashes)
	h, ok := hashes[name]
	if !ok {
		h = "missing"
	}
	return "/static/" + h + "/" + name
}

// Hash reports the content hash used in the URL of the named asset.
func Hash(name string) (string, bool) {
	hashesOnce.Do(computeHashes)
	h, ok := hashes[name]
	return h, ok
}

func computeHashes() {
	hashes = map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
}
