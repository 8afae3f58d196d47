package api

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/magiconair/properties"
	"golang.org/x/net/html"
)

// A connector's configuration form, as getSourceConfig returns it in
// ConnectorDetail.sourceConfig: SailPoint's form XML,
//
//	<Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" connectorName=… type="SourceConfig">
//	  <BaseConfig><Field name="fileUpload" type="fileupload" …/></BaseConfig>
//	  <MenuItem label="menuLabel_ConnectionSettings">
//	    <Section label="sectionLabel_AuthenticationSettings" sectionInfo="sectionInfo_AuthenticationSettings">
//	      <Field name="connectorAttributes.host" type="url" label="HostURL" required="true"/>
//	      …
//
// Labels are keys of ConnectorDetail.translationProperties (a Java properties
// text per locale). The spec shows only the BaseConfig part; the menus,
// sections and field attributes beyond name and type are read leniently
// (unknown types become text fields, unknown attributes are ignored).

// FieldKind is how a form field is edited.
type FieldKind string

// Field kinds. The form's own type names map onto them (see fieldKinds).
const (
	FieldText     FieldKind = "text"
	FieldURL      FieldKind = "url"
	FieldTextarea FieldKind = "textarea"
	FieldSecret   FieldKind = "secret"
	FieldCheckbox FieldKind = "checkbox"
	FieldSelect   FieldKind = "select"
	FieldNumber   FieldKind = "number"
	FieldFile     FieldKind = "file"
	// FieldList is a list of strings typed one per line (a JSON array).
	FieldList FieldKind = "list"
)

// fieldKinds maps the form's type names (lower-cased) to kinds.
var fieldKinds = map[string]FieldKind{
	"text": FieldText, "string": FieldText, "hostname": FieldText, "email": FieldText,
	"url":      FieldURL,
	"textarea": FieldTextarea, "multiline": FieldTextarea, "json": FieldTextarea,
	"secret": FieldSecret, "password": FieldSecret, "encrypted": FieldSecret,
	"checkbox": FieldCheckbox, "boolean": FieldCheckbox, "toggle": FieldCheckbox,
	"select": FieldSelect, "radio": FieldSelect, "dropdown": FieldSelect, "combobox": FieldSelect,
	"number": FieldNumber, "int": FieldNumber, "integer": FieldNumber, "long": FieldNumber,
	"fileupload": FieldFile, "file": FieldFile,
	"list": FieldList, "multivalue": FieldList,
}

// SourceForm is a connector's configuration form.
type SourceForm struct {
	Name          string
	ConnectorName string
	DirectConnect bool
	FileUpload    bool
	// Base are the <BaseConfig> fields (e.g. the connector's jar upload).
	Base  []FormField
	Menus []FormMenu
}

// FormMenu is one menu item of the form (e.g. "Connection Settings").
type FormMenu struct {
	Label    string
	Sections []FormSection
}

// FormSection is a group of fields with a title and help text.
type FormSection struct {
	Label string
	// Info is the section's help as plain text (ISC's is HTML).
	Info         string
	DocLink      string
	DocLinkLabel string
	Fields       []FormField
}

// FormField is one field of the form.
type FormField struct {
	// Name is the field's name in the form, e.g. connectorAttributes.host.
	Name string
	// Attribute is the connectorAttributes member the field edits: Name
	// without a "connectorAttributes." prefix.
	Attribute string
	Kind      FieldKind
	// Type is the type name as the form wrote it.
	Type        string
	Label       string
	Help        string
	Placeholder string
	Required    bool
	// Default is the value a new source starts with ("" for none).
	Default string
	// Options are the choices of a select field.
	Options []FormOption
	// Min and Max bound a number field, MaxLength a text field (0 = none).
	Min, Max  *int64
	MaxLength int
	// MaxFiles, MaxSizeMB and Extensions describe a file field.
	MaxFiles   int
	MaxSizeMB  int
	Extensions []string
}

// FormOption is one choice of a select field.
type FormOption struct {
	Label string
	Value string
}

// Fields returns every field of the menus' sections, in form order (not the
// BaseConfig fields).
func (f *SourceForm) Fields() []FormField {
	var out []FormField
	for _, m := range f.Menus {
		for _, s := range m.Sections {
			out = append(out, s.Fields...)
		}
	}
	return out
}

// Form parses the connector's configuration form in the given locale (""
// means "en"): sourceConfig, or sourceConfigXml when that is empty, with
// labels from translationProperties (the locale's, then English).
func (d *ConnectorDetail) Form(locale string) (*SourceForm, error) {
	text := d.SourceConfig
	if strings.TrimSpace(text) == "" {
		text = d.SourceConfigXML
	}
	if locale == "" {
		locale = "en"
	}
	tr := Translations{}
	for _, loc := range []string{"en", locale} { // the locale's own keys win
		raw, ok := d.TranslationProperties[loc]
		if !ok {
			continue
		}
		var props string
		if json.Unmarshal(raw, &props) != nil {
			continue
		}
		t, err := ParseTranslations(props)
		if err != nil {
			return nil, fmt.Errorf("translations %q: %w", loc, err)
		}
		for k, v := range t {
			tr[k] = v
		}
	}
	return ParseSourceForm(text, tr)
}

// Translations maps a form's label keys to text.
type Translations map[string]string

// ParseTranslations reads a Java properties text (ISC's translationProperties
// values: key=value lines, # comments, \uXXXX escapes).
func ParseTranslations(text string) (Translations, error) {
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes([]byte(text))
	if err != nil {
		return nil, err
	}
	return Translations(p.Map()), nil
}

// labelPrefixes are the key prefixes ISC's forms use for the texts of each
// place. A key without a translation falls back to words made from the key
// for labels, and to nothing for help texts.
var labelPrefixes = []string{"menuLabel_", "sectionLabel_", "docLinkLabel_"}
var quietPrefixes = []string{"sectionInfo_", "placeHolder_", "helpKey_", "help_"}

// text resolves a label key.
func (t Translations) text(key string) string {
	key = strings.TrimSpace(key)
	if v, ok := t[key]; ok {
		return v
	}
	for _, p := range quietPrefixes {
		if strings.HasPrefix(key, p) {
			return ""
		}
	}
	for _, p := range labelPrefixes {
		if rest, ok := strings.CutPrefix(key, p); ok {
			return splitWords(rest)
		}
	}
	return key
}

// splitWords turns an identifier such as AuthenticationSettings into
// "Authentication Settings".
func splitWords(s string) string {
	var b strings.Builder
	rs := []rune(strings.ReplaceAll(s, "_", " "))
	for i, r := range rs {
		if i > 0 && r >= 'A' && r <= 'Z' && rs[i-1] >= 'a' && rs[i-1] <= 'z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	out := []rune(strings.Join(strings.Fields(b.String()), " "))
	if len(out) > 0 {
		out[0] = unicode.ToUpper(out[0])
	}
	return string(out)
}

// ErrNotAForm marks a sourceConfig that is not SailPoint form XML.
var ErrNotAForm = errors.New("not a SailPoint form")

// xmlNode is any element, kept generically so the form is read leniently.
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xmlNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *xmlNode) attr(names ...string) string {
	for _, name := range names {
		for _, a := range n.Attrs {
			if strings.EqualFold(a.Name.Local, name) {
				return strings.TrimSpace(a.Value)
			}
		}
	}
	return ""
}

func (n *xmlNode) is(name string) bool { return strings.EqualFold(n.XMLName.Local, name) }

// ParseSourceForm parses SailPoint form XML with the given translations.
func ParseSourceForm(text string, tr Translations) (*SourceForm, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: the connector has no form", ErrNotAForm)
	}
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	var root xmlNode
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrNotAForm, err)
	}
	if !root.is("Form") {
		return nil, fmt.Errorf("%w: the root element is <%s>", ErrNotAForm, root.XMLName.Local)
	}
	if tr == nil {
		tr = Translations{}
	}
	f := &SourceForm{
		Name:          root.attr("name"),
		ConnectorName: root.attr("connectorName"),
		DirectConnect: isTrue(root.attr("directConnect")),
		FileUpload:    isTrue(root.attr("fileUpload")),
	}
	var loose []FormSection // sections outside a menu
	for i := range root.Nodes {
		n := &root.Nodes[i]
		switch {
		case n.is("BaseConfig"):
			for j := range n.Nodes {
				if n.Nodes[j].is("Field") {
					f.Base = append(f.Base, parseField(&n.Nodes[j], tr))
				}
			}
		case n.is("MenuItem") || n.is("Menu"):
			m := FormMenu{Label: tr.text(n.attr("label"))}
			for j := range n.Nodes {
				if n.Nodes[j].is("Section") {
					m.Sections = append(m.Sections, parseSection(&n.Nodes[j], tr))
				}
			}
			f.Menus = append(f.Menus, m)
		case n.is("Section"):
			loose = append(loose, parseSection(n, tr))
		}
	}
	if len(loose) > 0 {
		f.Menus = append(f.Menus, FormMenu{Sections: loose})
	}
	return f, nil
}

func parseSection(n *xmlNode, tr Translations) FormSection {
	s := FormSection{
		Label:        tr.text(n.attr("label", "sectionTitle")),
		Info:         htmlText(tr.text(n.attr("sectionInfo", "sectionHelpMessage"))),
		DocLink:      safeLink(n.attr("docLink")),
		DocLinkLabel: tr.text(n.attr("docLinkLabel")),
	}
	for j := range n.Nodes {
		if n.Nodes[j].is("Field") {
			s.Fields = append(s.Fields, parseField(&n.Nodes[j], tr))
		}
	}
	return s
}

func parseField(n *xmlNode, tr Translations) FormField {
	typ := n.attr("type")
	kind, ok := fieldKinds[strings.ToLower(typ)]
	if !ok {
		kind = FieldText
	}
	name := n.attr("name", "key")
	f := FormField{
		Name:        name,
		Attribute:   strings.TrimPrefix(name, "connectorAttributes."),
		Kind:        kind,
		Type:        typ,
		Label:       tr.text(n.attr("label", "displayName")),
		Help:        htmlText(tr.text(n.attr("helpKey", "helpText", "help", "description"))),
		Placeholder: tr.text(n.attr("placeHolder", "placeholder")),
		Required:    isTrue(n.attr("required")),
		Default:     n.attr("defaultValue", "value"),
		MaxLength:   atoi(n.attr("maxlength", "maxLength")),
		MaxFiles:    atoi(n.attr("maxFiles")),
		MaxSizeMB:   atoi(n.attr("maxSize")),
	}
	if f.Label == "" {
		f.Label = splitWords(f.Attribute)
	}
	f.Min, f.Max = int64p(n.attr("min")), int64p(n.attr("max"))
	if ext := n.attr("supportedExtensions"); ext != "" {
		for _, e := range strings.Split(ext, ",") {
			if e = strings.TrimPrefix(strings.TrimSpace(e), "."); e != "" {
				f.Extensions = append(f.Extensions, e)
			}
		}
	}
	// Options: any descendant element with a value attribute
	// (<AllowedValues><Value label=… value=…/>, <Option …/>).
	var walk func(*xmlNode)
	walk = func(c *xmlNode) {
		for j := range c.Nodes {
			o := &c.Nodes[j]
			if v := o.attr("value"); v != "" || o.is("Option") || o.is("Value") {
				if v == "" {
					v = strings.TrimSpace(o.Text)
				}
				label := tr.text(o.attr("label", "displayName"))
				if label == "" {
					label = v
				}
				f.Options = append(f.Options, FormOption{Label: label, Value: v})
				continue
			}
			walk(o)
		}
	}
	walk(n)
	if kind == FieldList && len(f.Options) > 0 {
		f.Kind = FieldSelect // a list with allowed values is a choice
	}
	return f
}

func isTrue(s string) bool { b, _ := strconv.ParseBool(s); return b }

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func int64p(s string) *int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// safeLink keeps only http(s) links, so a form cannot put a javascript: URL on a page.
func safeLink(s string) string {
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return s
	}
	return ""
}

// htmlText turns ISC's HTML help into plain text: tags dropped, <br> and
// block ends as line breaks, runs of blank lines collapsed.
func htmlText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseLines(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br", "p", "div", "li", "ul", "ol":
				b.WriteByte('\n')
			}
		}
	}
}

func collapseLines(s string) string {
	var out []string
	blank := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			if len(out) > 0 && !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
