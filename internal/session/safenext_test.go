package session

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSafeNextKeepsLocalPaths(t *testing.T) {
	for _, p := range []string{
		"/", "/sources", "/sources/123?tab=schema", "/sources/2c91808/schemas#accounts",
		"/sources?filters=name%20co%20%22ad%22&sorters=-modified", "/a/b/c/", "/sources/%2e%2e",
	} {
		t.Run(p, func(t *testing.T) { assert.Equal(t, p, SafeNext(p)) })
	}
}

// offsiteCorpus builds several hundred open-redirect payloads of the kinds
// oauth2-proxy's corpus covers: schemes, protocol-relative forms, backslashes,
// percent-encodings (single and double), control and whitespace characters,
// unicode look-alike slashes, userinfo tricks and our own loop paths.
func offsiteCorpus() []string {
	hosts := []string{"evil.example", "evil.example:443", "user@evil.example", "evil.example%2f", "127.0.0.1", "[::1]", "0x7f.1"}
	starts := []string{
		"//", "///", "////", `/\`, `\\`, `\/`, `/\/`, `\`, "/%2f", "/%2F", "%2f%2f", "%2F%2F", "/%5c", "/%5C", "%5c%5c",
		"/%252f", "/%252F", "%252f%252f", "/%25252f", "/%09/", "/%0a/", "/%0d/", "/%00/", "/\t/", "/\n/", "/\r/",
		" //", "\t//", "\n//", "\x00//", "/\x0b/", "/\x7f/", "/／", "／／", "/∕", "/⁄", "/%EF%BC%8F", "/%E2%88%95",
		"/%C0%AF", "/%c0%af", "https://", "http://", "HTTPS://", "hTtP://", "https:/", "https:", "//https://",
		"ftp://", "/%2f%2f", "/%5c%5c", "%2F", "%5C", "/.%2f", "/%2e/%2f",
	}
	var out []string
	for _, s := range starts {
		for _, h := range hosts {
			out = append(out, s+h, s+h+"/sources", s+h+"?next=/")
		}
	}
	for _, scheme := range []string{"javascript:", "JavaScript:", "java\tscript:", "data:", "vbscript:", "file:", "jav&#x09;ascript:"} {
		for _, body := range []string{"alert(1)", "//%0aalert(1)", "text/html,<script>alert(1)</script>"} {
			out = append(out, scheme+body, " "+scheme+body, "%20"+scheme+body)
		}
	}
	for _, p := range []string{"/login", "/login?next=//evil.example", "/logout", "/LOGOUT", "/auth/callback?code=x", "/auth/callback"} {
		out = append(out, p)
	}
	out = append(out, "", "evil.example", "sources", ".", "..", "./sources", "/"+strings.Repeat("a", 2000),
		"/%", "/%zz", "/%2", "/%%32%66/evil.example")
	return out
}

func TestSafeNextRejectsOffsiteCorpus(t *testing.T) {
	corpus := offsiteCorpus()
	assert.Greater(t, len(corpus), 500, "corpus size")
	for i, p := range corpus {
		if got := SafeNext(p); got != "/" {
			t.Errorf("payload %d %q: SafeNext = %q, want /", i, p, got)
		}
	}
	// Whatever survives must parse as a path on our origin.
	for _, p := range corpus {
		u, err := url.Parse(SafeNext(p))
		if assert.NoError(t, err) {
			assert.Empty(t, u.Host, fmt.Sprintf("%q", p))
		}
	}
}
