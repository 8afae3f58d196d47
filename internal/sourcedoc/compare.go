package sourcedoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ChangeKind says how a value differs between two documents.
type ChangeKind string

// The kinds of change.
const (
	Added     ChangeKind = "added"     // only the second document has it
	Removed   ChangeKind = "removed"   // only the first document has it
	Changed   ChangeKind = "changed"   // both have it, with other values
	Reordered ChangeKind = "reordered" // both have the same items, in another order
)

// Change is one difference. Path names the value inside its section, by the
// names of keyed items rather than their positions ("attributes › level ›
// isMulti"); From and To are the values as compact JSON ("" for none).
type Change struct {
	Path string
	Kind ChangeKind
	From string
	To   string
}

// SectionDiff is the difference in one section of the documents.
type SectionDiff struct {
	Key     string
	Title   string
	Changes []Change
	// Unread says why the section could not be compared: one of the
	// documents could not read it.
	Unread string
}

// Same reports whether the section is the same in both documents.
func (s SectionDiff) Same() bool { return len(s.Changes) == 0 && s.Unread == "" }

// Diff is the difference between two documents, section by section, in the
// order of Sections.
type Diff struct {
	Sections []SectionDiff
}

// Identical reports whether every section is the same in both documents.
func (d *Diff) Identical() bool {
	for _, s := range d.Sections {
		if !s.Same() {
			return false
		}
	}
	return true
}

// Count is the number of changes over every section.
func (d *Diff) Count() int {
	n := 0
	for _, s := range d.Sections {
		n += len(s.Changes)
	}
	return n
}

// Section returns the diff of one section (a zero SectionDiff for an unknown key).
func (d *Diff) Section(key string) SectionDiff {
	for _, s := range d.Sections {
		if s.Key == key {
			return s
		}
	}
	return SectionDiff{Key: key}
}

// Compare returns what differs from a to b, section by section: Added is in b
// only, Removed in a only. Where they come from (Origin) is not compared. A
// nil document is a source that does not exist: everything in the other is
// added (or removed).
func Compare(a, b *Document) *Diff {
	av, bv := sectionsOf(a), sectionsOf(b)
	d := &Diff{}
	for _, s := range Sections {
		sd := SectionDiff{Key: s.Key, Title: s.Title}
		switch {
		case a != nil && a.Unread[s.Key] != "":
			sd.Unread = "first document: " + a.Unread[s.Key]
		case b != nil && b.Unread[s.Key] != "":
			sd.Unread = "second document: " + b.Unread[s.Key]
		default:
			diffValue(nil, av[s.Key], bv[s.Key], &sd.Changes)
		}
		d.Sections = append(d.Sections, sd)
	}
	return d
}

// sectionsOf decodes each section of d into plain JSON values (nil for a
// nil document).
func sectionsOf(d *Document) map[string]any {
	out := map[string]any{}
	if d == nil {
		return out
	}
	b, err := json.Marshal(d)
	if err != nil {
		return out
	}
	_ = json.Unmarshal(b, &out)
	return out
}

// diffValue appends the changes from a to b under path.
func diffValue(path []string, a, b any, out *[]Change) {
	switch {
	case a == nil && b == nil:
		return
	case a == nil:
		*out = append(*out, Change{Path: join(path), Kind: Added, To: compact(b)})
		return
	case b == nil:
		*out = append(*out, Change{Path: join(path), Kind: Removed, From: compact(a)})
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := sortedKeys(am)
		for _, k := range sortedKeys(bm) {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, ain := am[k]
			bv, bin := bm[k]
			p := append(slices.Clip(path), k)
			switch {
			case !ain:
				*out = append(*out, Change{Path: join(p), Kind: Added, To: compact(bv)})
			case !bin:
				*out = append(*out, Change{Path: join(p), Kind: Removed, From: compact(av)})
			default:
				diffValue(p, av, bv, out)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		diffList(path, al, bl, out)
		return
	}
	if compact(a) != compact(b) {
		*out = append(*out, Change{Path: join(path), Kind: Changed, From: compact(a), To: compact(b)})
	}
}

// keyFields are the members that name the items of a list, tried in order:
// a list whose items all have distinct values of one of them is compared by
// that key (policies by usage type, attributes and fields by name, schedules
// by type), so a change reads "attributes › level" rather than "attributes › 7".
var keyFields = []string{"usageType", "name", "type", "property"}

// diffList compares two lists: by key when their items have one, as sets of
// values when they hold plain values, else position by position.
func diffList(path []string, a, b []any, out *[]Change) {
	if key := listKey(a, b); key != "" {
		am, aorder := keyed(a, key)
		bm, border := keyed(b, key)
		for _, k := range border {
			p := append(slices.Clip(path), k)
			if av, ok := am[k]; ok {
				diffValue(p, av, bm[k], out)
			} else {
				*out = append(*out, Change{Path: join(p), Kind: Added, To: compact(bm[k])})
			}
		}
		for _, k := range aorder {
			if _, ok := bm[k]; !ok {
				*out = append(*out, Change{Path: join(append(slices.Clip(path), k)), Kind: Removed, From: compact(am[k])})
			}
		}
		reordered(path, common(aorder, bm), common(border, am), out)
		return
	}
	if plain(a) && plain(b) {
		as, bs := compacts(a), compacts(b)
		for _, v := range bs {
			if !slices.Contains(as, v) {
				*out = append(*out, Change{Path: join(path), Kind: Added, To: v})
			}
		}
		for _, v := range as {
			if !slices.Contains(bs, v) {
				*out = append(*out, Change{Path: join(path), Kind: Removed, From: v})
			}
		}
		reordered(path, common(as, toSet(bs)), common(bs, toSet(as)), out)
		return
	}
	if len(a) != len(b) {
		*out = append(*out, Change{Path: join(path), Kind: Changed, From: compact(a), To: compact(b)})
		return
	}
	for i := range a {
		diffValue(append(slices.Clip(path), fmt.Sprintf("#%d", i+1)), a[i], b[i], out)
	}
}

// reordered reports the same items in another order.
func reordered(path []string, a, b []string, out *[]Change) {
	if len(a) > 1 && !slices.Equal(a, b) {
		*out = append(*out, Change{Path: join(path), Kind: Reordered, From: strings.Join(a, ", "), To: strings.Join(b, ", ")})
	}
}

// listKey finds the member that keys both lists ("" for none).
func listKey(a, b []any) string {
	if len(a)+len(b) == 0 {
		return ""
	}
next:
	for _, k := range keyFields {
		for _, l := range [][]any{a, b} {
			seen := map[string]bool{}
			for _, it := range l {
				m, ok := it.(map[string]any)
				if !ok {
					return ""
				}
				v, ok := m[k].(string)
				if !ok || seen[v] {
					continue next
				}
				seen[v] = true
			}
		}
		return k
	}
	return ""
}

// keyed indexes a list by key, keeping the order of the keys.
func keyed(l []any, key string) (map[string]any, []string) {
	m := make(map[string]any, len(l))
	order := make([]string, 0, len(l))
	for _, it := range l {
		k := it.(map[string]any)[key].(string)
		m[k] = it
		order = append(order, k)
	}
	return m, order
}

// common keeps the keys of order that set has.
func common[V any](order []string, set map[string]V) []string {
	var out []string
	for _, k := range order {
		if _, ok := set[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// plain reports whether a list holds no objects or lists.
func plain(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func compacts(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = compact(v)
	}
	return out
}

// compact is a value as one line of JSON, with < and & kept as they are.
func compact(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// join writes a path for people: "connectorAttributes › pageSize".
func join(path []string) string {
	if len(path) == 0 {
		return "(whole section)"
	}
	return strings.Join(path, " › ")
}
