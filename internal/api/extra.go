package api

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Extra holds the members of a JSON object that the Go struct does not
// declare. ISC adds fields without notice; a GET → edit → PUT round trip must
// send them back, so the models that are ever written back keep them here.
type Extra map[string]json.RawMessage

// decodeKeeping decodes data into v (a pointer to a struct type without
// JSON methods) and puts the members v does not declare into *extra.
func decodeKeeping(data []byte, v any, extra *Extra) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil || all == nil {
		// null: nothing to keep.
		return nil
	}
	known := jsonNames(reflect.TypeOf(v).Elem())
	*extra = nil
	for k, raw := range all {
		if !known(k) {
			if *extra == nil {
				*extra = make(Extra)
			}
			(*extra)[k] = raw
		}
	}
	return nil
}

// encodeWith encodes v (a struct without JSON methods) and adds the members
// of extra that v does not already set.
func encodeWith(v any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	known := jsonNames(reflect.TypeOf(v))
	for k, raw := range extra {
		if _, set := all[k]; !set && !known(k) {
			all[k] = raw
		}
	}
	return json.Marshal(all)
}

// jsonNames returns a predicate for the member names struct type t decodes.
// encoding/json matches names case-insensitively, so the predicate does too:
// a member it matched is not "unknown" and must not be sent twice.
func jsonNames(t reflect.Type) func(string) bool {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return func(k string) bool {
		for _, n := range names {
			if strings.EqualFold(n, k) {
				return true
			}
		}
		return false
	}
}
