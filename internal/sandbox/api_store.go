package sandbox

// This file holds the in-memory model of one source and its sub-resources.
// Everything a client can PUT is kept as decoded JSON (map[string]any), so
// fields the sandbox does not know survive a PUT → GET round trip.

import "sort"

// sourceRec is one source and everything hanging off it. Guarded by s.mu.
type sourceRec struct {
	obj         map[string]any            // the Source object
	schemas     []map[string]any          // Schema objects
	policies    map[string]map[string]any // ProvisioningPolicyDto by usageType
	schedules   map[string]map[string]any // Schedule1 by type
	correlation map[string]any
	attrSync    map[string]any
	entReq      map[string]any
	pwdHolders  []any
	ncd         map[string]any // native change detection config
	connections map[string]any // SourceConnectionsDto
	detail      map[string]any // ConnectorDetail
	accounts    accountSet
	groups      accountSet
	hidden      bool   // the IdentityNow source, listed only with includeIDNSource
	busy        string // id of the running aggregation/removal/deletion task
	deleting    bool
	uploads     int               // connector files uploaded
	correlated  map[string]string // account → identity id, set by correlation files
}

func (r *sourceRec) id() string   { s, _ := r.obj["id"].(string); return s }
func (r *sourceRec) name() string { s, _ := r.obj["name"].(string); return s }

func (r *sourceRec) workgroup() string {
	wg, _ := r.obj["managementWorkgroup"].(map[string]any)
	id, _ := wg["id"].(string)
	return id
}

func (r *sourceRec) isDelimited() bool {
	c, _ := r.obj["connector"].(string)
	return c == "delimited-file"
}

// delimiter is the source's configured delimiter (connectorAttributes.delimiter,
// one character), ',' when none is set.
func (r *sourceRec) delimiter() rune {
	attrs, _ := r.obj["connectorAttributes"].(map[string]any)
	d, _ := attrs["delimiter"].(string)
	if rs := []rune(d); len(rs) == 1 && rs[0] != '"' && rs[0] != '\n' && rs[0] != '\r' {
		return rs[0]
	}
	return ','
}

func (r *sourceRec) healthy() bool { b, _ := r.obj["healthy"].(bool); return b }

func (r *sourceRec) status() string { s, _ := r.obj["status"].(string); return s }

// schemaByName returns the schema with the given name ("account", "group"…).
func (r *sourceRec) schemaByName(name string) map[string]any {
	for _, sc := range r.schemas {
		if sc["name"] == name {
			return sc
		}
	}
	return nil
}

func (r *sourceRec) schemaByID(id string) (int, map[string]any) {
	for i, sc := range r.schemas {
		if sc["id"] == id {
			return i, sc
		}
	}
	return -1, nil
}

// syncSchemaRefs keeps Source.schemas in step with the schema list.
func (r *sourceRec) syncSchemaRefs() {
	refs := make([]any, 0, len(r.schemas))
	for _, sc := range r.schemas {
		refs = append(refs, map[string]any{"type": "CONNECTOR_SCHEMA", "id": sc["id"], "name": sc["name"]})
	}
	r.obj["schemas"] = refs
}

// maxKeptAccounts bounds the per-source identity → row-hash map. Beyond it an
// aggregation only counts rows and keeps a digest, so a 1 GiB upload costs
// constant memory.
const maxKeptAccounts = 100_000

// maxSampleAccounts is how many accounts are kept whole for peek-resource-objects.
const maxSampleAccounts = 50

// accountSet is what the sandbox remembers of a source's accounts (or groups).
type accountSet struct {
	keys     map[string]uint64 // identity → hash of the row; nil when overflowed
	total    int
	digest   uint64 // order-independent digest of all rows
	sample   []map[string]any
	overflow bool
}

// rowHash is FNV-1a over the fields, each followed by a zero byte; written
// out by hand because hash.Hash's Write would allocate per field on the
// hot path of a 1 GiB aggregation.
func rowHash(fields []string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, f := range fields {
		for i := 0; i < len(f); i++ {
			h ^= uint64(f[i])
			h *= prime
		}
		h *= prime // the zero separator: h ^= 0, then multiply
	}
	return h
}

// sortedSample returns the sample ordered by identity.
func (a *accountSet) sortedSample(identityAttr string) []map[string]any {
	out := append([]map[string]any(nil), a.sample...)
	sort.SliceStable(out, func(i, j int) bool {
		return valueString(out[i][identityAttr]) < valueString(out[j][identityAttr])
	})
	return out
}
