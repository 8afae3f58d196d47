// Package docs publishes the files of docs/ that the code reads as well, so
// that what the documentation shows is what the console enforces: the JSON
// Schema of the source document format (see source-document.md).
package docs

import _ "embed"

// SourceDocumentSchema is source-document.schema.json, the JSON Schema
// (draft 2020-12) every exported source document follows and every uploaded
// one is checked against.
//
//go:embed source-document.schema.json
var SourceDocumentSchema []byte
