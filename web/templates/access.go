package templates

import "context"

// Access is what the signed-in user's level lets them do, as far as the pages
// need to know to show only the controls that user can use. It only hides
// controls: ISC decides, and its refusal still reaches the user in words.
type Access struct {
	Level string // the user level, e.g. SOURCE_SUBADMIN ("" when unknown)
	// Write: change sources (every user level but HELPDESK).
	Write bool
	// Create: create sources (ORG_ADMIN and SOURCE_ADMIN).
	Create bool
	// ConnectorFile: upload connector files (ORG_ADMIN only).
	ConnectorFile bool
}

type accessKey struct{}

// WithAccess returns ctx carrying a; render puts it there for every page.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// AccessOf is the Access in ctx; with none (pages rendered outside a request,
// tests of single components) everything is allowed.
func AccessOf(ctx context.Context) Access {
	if a, ok := ctx.Value(accessKey{}).(Access); ok {
		return a
	}
	return Access{Write: true, Create: true, ConnectorFile: true}
}

// CanWrite reports whether the page may show controls that change a source.
func CanWrite(ctx context.Context) bool { return AccessOf(ctx).Write }

// ReadOnlyNote is what a tab says in place of the forms a user cannot submit.
func ReadOnlyNote(ctx context.Context) string {
	lvl := AccessOf(ctx).Level
	if lvl == "" {
		lvl = "your user level"
	}
	return "Read only: " + lvl + " can look at this, not change it."
}
