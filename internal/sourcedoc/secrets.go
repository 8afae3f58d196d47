package sourcedoc

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Which connector attributes hold a secret. ISC sends secrets back only as
// cipher text ("Any passwords will only show the encrypted cipher-text", the
// spec's updateSource answer), which means nothing in another tenant and must
// never travel in a document. An attribute is a secret when any of these says so:
//
//  1. the connector's form (getSourceConfig) gives its field a secret type:
//     secret, password or encrypted (api.FieldSecret); the form is read
//     when the user may (ORG_ADMIN), else rules 2 and 3 stand alone;
//  2. its name says so, at any depth: it contains password, passwd, secret,
//     privatekey, passphrase, apikey or credential, or ends in token
//     (apiToken, securityToken), case-insensitively;
//  3. its value looks like ISC's cipher text, "<digit>:<scheme>:…" (e.g.
//     "2:ENC:…"), whatever its name.
//
// A secret is left out of the document and its path listed in
// Definition.Secrets. Provisioning policy fields of type secret keep their
// transform (a generator) unless it is a static value, which is left out too.

// secretWords are name fragments that mark a secret (lower case).
var secretWords = []string{"password", "passwd", "secret", "privatekey", "passphrase", "apikey", "credential"}

// cipherText is ISC's encrypted value: a version digit, a scheme, the payload.
var cipherText = regexp.MustCompile(`^[0-9]+:[A-Za-z]{2,8}:`)

// secretName reports whether an attribute name marks a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "token")
}

// redact returns a copy of attrs without its secrets, and the secrets'
// paths, sorted. formSecrets are the top-level attributes the connector's form
// declares secret.
func redact(attrs map[string]any, formSecrets []string) (map[string]any, []string) {
	var paths []string
	var walk func(v any, path string, top bool) (any, bool)
	walk = func(v any, path string, top bool) (any, bool) {
		switch x := v.(type) {
		case string:
			if cipherText.MatchString(x) {
				return nil, false
			}
			return x, true
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if secretName(k) || (top && slices.Contains(formSecrets, k)) {
					paths = append(paths, p)
					continue
				}
				kept, ok := walk(e, p, false)
				if !ok {
					paths = append(paths, p)
					continue
				}
				out[k] = kept
			}
			return out, true
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				p := fmt.Sprintf("%s[%d]", path, i)
				kept, ok := walk(e, p, false)
				if !ok {
					paths = append(paths, p)
					kept = nil
				}
				out[i] = kept
			}
			return out, true
		}
		return v, true
	}
	out, _ := walk(attrs, "", true)
	slices.Sort(paths)
	m, _ := out.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	if paths == nil {
		paths = []string{}
	}
	return m, paths
}

// redactField leaves out the static value of a secret provisioning field.
func redactField(f *Field) {
	if f.Type != "secret" {
		return
	}
	if t, _ := f.Transform["type"].(string); t == "static" {
		f.Transform = map[string]any{"type": "static"}
	}
}
