package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
	"sourcedesk/internal/sandbox"
)

// The picker lists against the sandbox, each request checked against
// SailPoint's spec by the tenant's spec check.
func TestPickerLists(t *testing.T) {
	tn := newTenant(t, sandbox.Config{})
	ctx := context.Background()

	t.Run("identities by first name, sorted, with a total", func(t *testing.T) {
		page, err := tn.c.GetPublicIdentities(ctx, api.PublicIdentitiesParams{ListParams: api.ListParams{
			Filters: filter.Or(filter.Sw("firstname", "o"), filter.Sw("lastname", "o")), Sorters: []string{"name"}, Count: true, Limit: 2}})
		require.NoError(t, err)
		require.True(t, page.HasTotal)
		assert.Equal(t, 2, page.Total) // Olivia Owner, Oskar Olsen (Østergaard starts with Ø)
		require.Len(t, page.Items, 2)
		assert.Equal(t, "Olivia Owner", page.Items[0].Name)
	})

	t.Run("an inactive identity says so", func(t *testing.T) {
		page, err := tn.c.GetPublicIdentities(ctx, api.PublicIdentitiesParams{ListParams: api.ListParams{Filters: filter.Eq("id", sandbox.SeedInactiveIdentityID)}})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.True(t, page.Items[0].Inactive())
		assert.Equal(t, "Terminated", page.Items[0].Status)
	})

	t.Run("clusters are read page by page", func(t *testing.T) {
		var names []string
		for cl, err := range tn.c.AllManagedClusters(ctx, api.ListParams{Limit: 1}) {
			require.NoError(t, err)
			names = append(names, cl.Name)
		}
		assert.Equal(t, []string{"Corporate Cluster", "EMEA Cluster", "Lab Cluster", "SaaS Connectivity"}, names)
	})

	t.Run("governance groups of one identity", func(t *testing.T) {
		page, err := tn.c.ListWorkgroups(ctx, api.ListParams{Filters: filter.Eq("memberships.identityId", "2c9180857a1b4c2d017a1b4c2d0e0003")})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, "Demo Source Stewards", page.Items[0].Name)
		assert.Equal(t, "Olivia Owner", page.Items[0].Owner.DisplayName)
		assert.Positive(t, page.Items[0].ConnectionCount)
	})

	t.Run("password policies need the experimental header, which the client sends", func(t *testing.T) {
		var got []api.PasswordPolicy
		for p, err := range tn.c.AllPasswordPolicies(ctx) {
			require.NoError(t, err)
			got = append(got, p)
		}
		require.Len(t, got, 3)
		assert.True(t, got[0].DefaultPolicy)
		assert.Nil(t, got[0].LastUpdated, "null lastUpdated decodes as nil")
		assert.NotEmpty(t, got[1].SourceIDs, "the AD sources use the corporate policy")
	})

	t.Run("connectors by type, with a locale", func(t *testing.T) {
		page, err := tn.c.GetConnectorList(ctx, api.ConnectorListParams{Locale: "de", ListParams: api.ListParams{Filters: filter.Co("type", "directory")}})
		require.NoError(t, err)
		var scripts []string
		for _, c := range page.Items {
			scripts = append(scripts, c.ScriptName)
		}
		assert.ElementsMatch(t, []string{"active-directory", "azure-active-directory"}, scripts)
	})

	t.Run("a sorter the client cannot send is refused before the call", func(t *testing.T) {
		_, err := tn.c.ListWorkgroups(ctx, api.ListParams{Sorters: []string{"name desc"}})
		assert.ErrorContains(t, err, "invalid sorter")
	})
}

// The connector form of every seeded source parses into sections of labelled
// fields; across the connectors every kind of field appears.
func TestSourceFormsOfTheSandbox(t *testing.T) {
	tn := newTenant(t, sandbox.Config{})
	ctx := context.Background()
	kinds := map[api.FieldKind]bool{}
	seen := map[string]bool{}
	for src, err := range tn.c.AllSources(ctx, api.ListSourcesParams{IncludeIDNSource: true}) {
		require.NoError(t, err)
		if seen[src.Connector] {
			continue
		}
		seen[src.Connector] = true
		d, err := tn.c.GetSourceConfig(ctx, src.ID, "")
		require.NoError(t, err)
		form, err := d.Form("en")
		require.NoError(t, err, src.Connector)
		require.NotEmpty(t, form.Menus, src.Connector)
		for _, b := range form.Base {
			kinds[b.Kind] = true
		}
		for _, m := range form.Menus {
			assert.NotContains(t, m.Label, "menuLabel_", "%s: an untranslated label", src.Connector)
			for _, s := range m.Sections {
				assert.NotEmpty(t, s.Label, src.Connector)
				assert.NotContains(t, s.Info, "<", "%s: section help is plain text", src.Connector)
				for _, f := range s.Fields {
					kinds[f.Kind] = true
					assert.NotEmpty(t, f.Attribute, src.Connector)
					assert.NotContains(t, f.Attribute, ".", "%s: the connectorAttributes prefix is dropped", src.Connector)
					assert.NotEmpty(t, f.Label, src.Connector)
					if f.Kind == api.FieldSelect {
						assert.NotEmpty(t, f.Options, "%s.%s", src.Connector, f.Attribute)
					}
				}
			}
		}
	}
	assert.Len(t, seen, 12, "one source of each connector")
	for _, k := range []api.FieldKind{api.FieldText, api.FieldURL, api.FieldSecret, api.FieldSelect, api.FieldCheckbox,
		api.FieldNumber, api.FieldFile, api.FieldList, api.FieldTextarea} {
		assert.True(t, kinds[k], "no %s field in any form", k)
	}

	d, err := tn.c.GetSourceConfig(ctx, sandbox.SeedUnhealthySourceID, "de")
	require.NoError(t, err)
	form, err := d.Form("de")
	require.NoError(t, err)
	assert.Equal(t, "Verbindungseinstellungen", form.Menus[0].Label)
	var labels []string
	for _, f := range form.Fields() {
		labels = append(labels, f.Label)
	}
	assert.Contains(t, labels, "Kennwort")
	assert.Contains(t, labels, "Domain controller", "a key the locale lacks falls back to English")
}

func TestParseSourceForm(t *testing.T) {
	t.Run("the spec's example", func(t *testing.T) {
		f, err := api.ParseSourceForm(`<?xml version="1.0" encoding="UTF-8" standalone="no"?><!-- Copyright (C) 2023 SailPoint Technologies, Inc.  All rights reserved. --><Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" connectorName="custom Atlassian Suite - Cloud" directConnect="true" fileUpload="true" name="Custom Atlassian Suite - Cloud" status="released" type="SourceConfig">
    <BaseConfig>
        <Field maxFiles="10" maxSize="300" name="fileUpload" supportedExtensions="jar" type="fileupload" validateJSON="false"/>
    </BaseConfig>
</Form>`, nil)
		require.NoError(t, err)
		assert.Equal(t, "custom Atlassian Suite - Cloud", f.ConnectorName)
		assert.True(t, f.DirectConnect)
		assert.True(t, f.FileUpload)
		require.Len(t, f.Base, 1)
		assert.Equal(t, api.FieldFile, f.Base[0].Kind)
		assert.Equal(t, []string{"jar"}, f.Base[0].Extensions)
		assert.Equal(t, 300, f.Base[0].MaxSizeMB)
		assert.Empty(t, f.Menus)
	})

	t.Run("sections, options, translations and hostile content", func(t *testing.T) {
		tr, err := api.ParseTranslations("# comment\nsectionLabel_Auth=Anmeldung\nsectionInfo_Auth=Gr\\u00fc\\u00dfe<br><br>Geben Sie den <strong>Token</strong> ein.\nTok=API-Token\n")
		require.NoError(t, err)
		f, err := api.ParseSourceForm(`<Form><MenuItem label="menuLabel_ConnectionSettings">
  <Section label="sectionLabel_Auth" sectionInfo="sectionInfo_Auth" docLink="javascript:alert(1)">
    <Field name="connectorAttributes.token" type="secret" label="Tok" required="true"/>
    <Field name="mode" type="radio"><Option label="Fast" value="f"/><Option value="s"/></Field>
    <Field name="connectorAttributes.weird" type="hologram" maxlength="12"/>
    <Field name="connectorAttributes.size" type="int" min="1" max="9" defaultValue="3"/>
  </Section></MenuItem></Form>`, tr)
		require.NoError(t, err)
		require.Len(t, f.Menus, 1)
		assert.Equal(t, "Connection Settings", f.Menus[0].Label, "an untranslated key becomes words")
		s := f.Menus[0].Sections[0]
		assert.Equal(t, "Anmeldung", s.Label)
		assert.Equal(t, "Grüße\n\nGeben Sie den Token ein.", s.Info)
		assert.Empty(t, s.DocLink, "only http(s) links are kept")
		require.Len(t, s.Fields, 4)
		assert.Equal(t, api.FormField{Name: "connectorAttributes.token", Attribute: "token", Kind: api.FieldSecret, Type: "secret", Label: "API-Token", Required: true}, s.Fields[0])
		assert.Equal(t, []api.FormOption{{Label: "Fast", Value: "f"}, {Label: "s", Value: "s"}}, s.Fields[1].Options)
		assert.Equal(t, api.FieldSelect, s.Fields[1].Kind)
		assert.Equal(t, api.FieldText, s.Fields[2].Kind, "an unknown type is edited as text")
		assert.Equal(t, 12, s.Fields[2].MaxLength)
		assert.Equal(t, "Weird", s.Fields[2].Label, "a field without a label is named after its attribute")
		assert.Equal(t, int64(1), *s.Fields[3].Min)
		assert.Equal(t, "3", s.Fields[3].Default)
	})

	t.Run("what is not a form", func(t *testing.T) {
		for _, text := range []string{"", "not xml at all <", `<Application name="x"/>`, `{"json": true}`} {
			_, err := api.ParseSourceForm(text, nil)
			assert.True(t, errors.Is(err, api.ErrNotAForm), "%q: %v", text, err)
		}
	})

	t.Run("translations come from the locale, then English", func(t *testing.T) {
		props := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
		d := api.ConnectorDetail{
			SourceConfigXML: `<Form><Section label="sectionLabel_A"><Field name="x" type="text" label="X"/><Field name="y" type="text" label="Y"/></Section></Form>`,
			TranslationProperties: map[string]json.RawMessage{
				"en": props("sectionLabel_A=Access\nX=Ex\nY=Why"),
				"fr": props("X=Iks"),
			},
		}
		f, err := d.Form("fr")
		require.NoError(t, err)
		var got []string
		for _, fd := range f.Fields() {
			got = append(got, fd.Label)
		}
		assert.Equal(t, []string{"Iks", "Why"}, got)
		assert.Equal(t, "Access", f.Menus[0].Sections[0].Label)
		assert.False(t, strings.Contains(f.Menus[0].Sections[0].Label, "_"))
	})
}
