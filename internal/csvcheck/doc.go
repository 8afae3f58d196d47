// Package csvcheck checks a CSV file before an admin uploads it to an ISC
// Delimited File source (load-accounts, or load-entitlements with the
// entitlement schema). Nothing is sent anywhere. The package also holds
// two small helpers for the upload and export paths: SniffText, which
// refuses binary uploads, and EscapeFormula/WriteSafe for spreadsheet-safe
// CSV exports.
//
// Two other files are read with the same reader:
//   - Header reads only the header row, for schema files: ISC's schema CSV is
//     the connector's template, one header row naming the attributes (an
//     upload may be the whole account file; its rows do not matter). The
//     header is read exactly as Check reads it, so the pre-flight and the
//     schema upload see the same column names.
//   - CheckCorrelation checks the manual correlation file of
//     load-uncorrelated-accounts (CorrelationHeader).
//
// # Streaming and memory
//
// Check reads the file once, as a stream, and never holds it in memory.
// Its memory comes from:
//   - the 64 KiB read buffer;
//   - one record, at most Options.MaxRecordBytes (1 MiB). A longer record
//     is reported and skipped; its bytes are parsed but not stored;
//   - the duplicate-id set: 8-byte hashes of the ids in an open-addressing
//     table that grows by splitting segments. TestIDSetMemory measures 11
//     to 17 bytes per id, that is 11 to 17 MiB per million rows. The set
//     stops growing at Options.MaxIDs (1,000,000) ids; later ids are still
//     looked up, and the duplicate-check-limited finding says so;
//   - findings: each kind keeps at most Options.MaxExamples (5) lines and
//     examples, so their size depends on the header, not on the file.
//
// BenchmarkCheck measured a generated 1 GiB file of 7.1 million rows with a
// peak heap growth of about 20 MiB, at 210-235 MB/s against 330-370 MB/s
// for a bare encoding/csv read of the same stream in the same run, about
// 65% (see bench_test.go for the command).
//
// # Reading
//
// The file must be UTF-8; a UTF-8 byte order mark is skipped. Quoting
// follows RFC 4180 as encoding/csv reads it: a quoted field may hold
// delimiters, doubled quotes ("") and line breaks; CR LF and LF both end a
// line. Blank lines are skipped. A line that starts with the comment
// character ('#' by default, as in the connector's "Comment Character"
// setting) is skipped, so a row whose id starts with '#' is lost. The
// header is the first line that is neither blank nor a comment.
//
// The delimiter is Options.Delimiter (the source's setting) or, when that
// is 0, the candidate among , ; TAB and | that occurs most often outside
// quotes in the header.
//
// Line numbers in findings are physical line numbers, as an editor shows
// them (the header is usually line 1). A record that spans several lines
// is numbered by its first line.
//
// # Findings
//
// Each Finding has a stable Code. Errors block the upload; warnings need an
// explicit "send anyway"; info needs nothing.
//
// File and encoding:
//   - not-text (error): the file starts like a PNG, JPEG, GIF, PDF, ZIP or
//     .xlsx, old Office, gzip, bzip2, xz, 7-Zip, Zstandard or ELF file, is
//     UTF-16 or UTF-32, or has a NUL byte in its first 8 KiB. Checking stops.
//   - bom (warning): a UTF-8 byte order mark. Java readers keep it as part
//     of the first column name, which can hide the identity column.
//   - invalid-utf8 (error): lines that are not UTF-8, usually a file saved
//     as Windows-1252. The example shows the bytes around the first bad one.
//   - nul-byte (error): lines after the first 8 KiB with NUL bytes.
//   - cr-line-endings (error): lines end with CR only (old Mac format).
//
// Format:
//   - wrong-delimiter (error): the source's delimiter does not occur in the
//     header but another candidate does.
//   - bare-quote (error): a quote inside an unquoted value, as in ab"c.
//   - text-after-quote (error): text after a closing quote, as in "ab"c.
//   - unterminated-quote (error): a quoted value still open at the end.
//   - multiline-value (warning): a quoted value holds a line break; legal,
//     but usually a missing closing quote.
//   - record-too-long (error): a record over MaxRecordBytes.
//   - blank-lines (info), comment-lines (info; a warning when a comment line
//     comes before the header, which then moves to the next line).
//   - wrong-field-count (error): rows whose number of fields differs from
//     the header's; the examples give the counts.
//   - no-rows (warning): an empty file or a header with no rows. Aggregating
//     zero accounts may remove every account of the source, within the
//     source's delete threshold.
//
// Header against the schema (skipped when Schema is empty):
//   - empty-header (error): no column has a name.
//   - empty-column-name (warning): some columns have no name, usually a
//     trailing delimiter.
//   - duplicate-column (error): a name appears twice.
//   - missing-identity-column (error): no column for IdentityAttribute.
//   - unknown-column (warning): a column that is not a schema attribute.
//   - missing-column (warning): a schema attribute (or DisplayAttribute)
//     without a column.
//
// Names are compared exactly. When a name matches another after trimming
// spaces and ignoring case, the example adds "did you mean …?".
//
// Schema files (Header only):
//   - empty-column-name is an error: every column names an attribute.
//   - attribute-table (warning): the header lists the columns of a table of
//     attribute definitions (name and type with isMulti, isEntitlement or
//     isGroup). As a schema file it would create attributes named "type"
//     and "isMulti" and remove the real ones.
//
// Correlation files (CheckCorrelation): account is the identity column, so
// empty-id and duplicate-id apply to it, and:
//   - missing-required-column (error): a column of CorrelationHeader is
//     missing.
//   - empty-username (error): a row has no userName.
//
// Ids (the identity column):
//   - empty-id (error): a row with an empty id.
//   - duplicate-id (error): an id seen on an earlier row, compared exactly
//     (case-sensitive). With Options.MergeRows, a repeat on the next row is
//     expected (the connector merges consecutive rows of one account) and
//     only repeats further away are reported, since merging needs the file
//     sorted by id.
//   - duplicate-check-limited (info): MaxIDs was reached (see above).
//
// Values, checked against the attribute type; empty values are always
// accepted (the attribute is absent):
//   - invalid-integer (warning): INT and LONG take what Java's
//     Integer.parseInt and Long.parseLong take: an optional sign and ASCII
//     digits, within the 32-bit or 64-bit range. No spaces, decimals or
//     thousands separators.
//   - invalid-boolean (warning): BOOLEAN takes true or false in any case.
//     Java's Boolean.parseBoolean reads anything else (yes, 1, Y) as false.
//   - invalid-date (warning): DATE takes ISO 8601: YYYY-MM-DD, optionally
//     followed by T or a space and hh:mm or hh:mm:ss (with an optional
//     fraction of a second), optionally followed by Z, ±hh:mm or ±hhmm.
//     It also takes epoch milliseconds written as 12 or 13 digits (1973 to
//     2286). Slash and dot formats (05/31/2024, 31.05.2024) are refused:
//     they are ambiguous between countries.
//   - Unknown types are treated as STRING and not checked, since ISC adds
//     enum values over time.
//
// # Multi-valued attributes
//
// Assumption (not checked against a live tenant): a multi-valued value is
// either one plain value, or a bracketed list such as [a,b,c], with the
// items separated by Options.MultiValueSeparator (","); [] is an empty
// list. In a comma-delimited file the list must be quoted, "[a,b,c]",
// otherwise its commas split the row (wrong-field-count shows it). A
// quoted "a,b,c" without brackets is read as one value: a SailPoint
// developer-forum thread on Delimited File sources shows such a value
// arriving as a single string, and entitlement values are often LDAP DNs,
// which contain commas. The other way to give several values is one row
// per value with the same id, which the connector merges when row merging
// is configured (see MergeRows).
//   - unbalanced-brackets (warning): a value opens [ without closing ] or
//     the other way round.
//   - empty-list-item (warning): [a,,b] or [a, ].
//   - list-in-single-valued (warning): a bracketed list containing the
//     separator in a single-valued attribute, which would be one value.
//   - Items of a typed multi-valued attribute are checked against its type.
//
// Not covered: the connector's "number of lines to skip", filter strings,
// regular-expression parsing, and file encodings other than UTF-8.
package csvcheck
