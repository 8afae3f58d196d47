package activity

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect names the SQL flavour of a database handle.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"   // modernc.org/sqlite, the embedded file store
	Postgres Dialect = "postgres" // pgx v5 through database/sql (pgx/v5/stdlib)
)

// SQL is a Store in a SQL table (sd_activity). The columns that filters use are
// real columns with indexes; the rest of the entry is kept as JSON.
type SQL struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
}

// NewSQL creates the table if needed and returns a Store over db. The caller owns
// db (it is usually the session store's handle) and closes it.
func NewSQL(ctx context.Context, db *sql.DB, dialect Dialect) (*SQL, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("activity: unknown SQL dialect %q", dialect)
	}
	s := &SQL{db: db, dialect: dialect, now: time.Now}
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS sd_activity (
			id TEXT PRIMARY KEY,
			at BIGINT NOT NULL,
			user_id TEXT NOT NULL,
			user_name TEXT NOT NULL,
			source_id TEXT NOT NULL,
			action TEXT NOT NULL,
			tenant TEXT NOT NULL DEFAULT '',
			task_id TEXT NOT NULL,
			task_status TEXT NOT NULL,
			body TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS sd_activity_at ON sd_activity (at)`,
		`CREATE INDEX IF NOT EXISTS sd_activity_source ON sd_activity (source_id, id)`,
		`CREATE INDEX IF NOT EXISTS sd_activity_task ON sd_activity (task_id)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("activity: create table: %w", err)
		}
	}
	if err := s.addTenantColumn(ctx); err != nil {
		return nil, fmt.Errorf("activity: add the tenant column: %w", err)
	}
	return s, nil
}

// addTenantColumn adds the tenant column to a table made before the console
// knew several tenants (its entries keep tenant ”).
func (s *SQL) addTenantColumn(ctx context.Context) error {
	if s.dialect == Postgres {
		_, err := s.db.ExecContext(ctx, `ALTER TABLE sd_activity ADD COLUMN IF NOT EXISTS tenant TEXT NOT NULL DEFAULT ''`)
		return err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('sd_activity') WHERE name = 'tenant'`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `ALTER TABLE sd_activity ADD COLUMN tenant TEXT NOT NULL DEFAULT ''`)
	return err
}

// rebind turns ? placeholders into Postgres's $1, $2, ….
func (s *SQL) rebind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Append records e.
func (s *SQL) Append(ctx context.Context, e Entry) error {
	prepare(&e, s.now)
	status := e.TaskStatus
	e.TaskStatus = ""
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`INSERT INTO sd_activity
		(id, at, user_id, user_name, source_id, action, tenant, task_id, task_status, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.At.UnixNano(), e.UserID, e.UserName, e.SourceID, e.Action, e.Tenant, e.TaskID, status, string(body))
	if err != nil {
		return fmt.Errorf("activity: append: %w", err)
	}
	return nil
}

// Query returns the entries f selects, newest first.
func (s *SQL) Query(ctx context.Context, f Filter) ([]Entry, int, error) {
	offset, limit := f.limits()
	var where []string
	var args []any
	if len(f.Tenants) > 0 {
		where = append(where, "tenant IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Tenants)), ", ")+")")
		for _, t := range f.Tenants {
			args = append(args, t)
		}
	}
	if f.User != "" {
		where = append(where, "(user_id = ? OR user_name = ?)")
		args = append(args, f.User, f.User)
	}
	if f.SourceID != "" {
		where = append(where, "source_id = ?")
		args = append(args, f.SourceID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// Action names are [a-z.-]; a prefix match needs no LIKE escaping beyond that,
			// but escape anyway so a stray % or _ cannot widen the filter.
			where = append(where, `action LIKE ? ESCAPE '\'`)
			args = append(args, likeEscape(f.Action)+"%")
		} else {
			where = append(where, "action = ?")
			args = append(args, f.Action)
		}
	}
	if !f.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, f.To.UnixNano())
	}
	if f.WithTask {
		where = append(where, "task_id <> ''")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRowContext(ctx, s.rebind("SELECT COUNT(*) FROM sd_activity"+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("activity: count: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT body, task_status FROM sd_activity"+cond+" ORDER BY id DESC LIMIT ? OFFSET ?"),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("activity: query: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var body, status string
		if err := rows.Scan(&body, &status); err != nil {
			return nil, 0, err
		}
		var e Entry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, 0, fmt.Errorf("activity: decode entry: %w", err)
		}
		e.TaskStatus = status
		out = append(out, e)
	}
	return out, total, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetTaskStatus records a task's final status.
func (s *SQL) SetTaskStatus(ctx context.Context, taskID, status string) error {
	_, err := s.db.ExecContext(ctx, s.rebind("UPDATE sd_activity SET task_status = ? WHERE task_id = ?"), status, taskID)
	return err
}

// Prune deletes entries older than before.
func (s *SQL) Prune(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM sd_activity WHERE at < ?"), before.UnixNano())
	return err
}
