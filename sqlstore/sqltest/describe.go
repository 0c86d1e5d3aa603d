package sqltest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// userSchema is the condition that the schema named by col is not
// PostgreSQL's.
func userSchema(col string) string {
	return col + ` NOT LIKE 'pg\_%' AND ` + col + ` <> 'information_schema'`
}

// schemaParts describes a database's schema, one line per object.
var schemaParts = []string{
	`SELECT 'n ' || nspname FROM pg_namespace WHERE ` + userSchema("nspname"),
	`SELECT 'r ' || c.oid::regclass || ' ' || c.relkind::text || ' ' || coalesce((
		SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' ' ||
			a.attidentity::text || a.attgenerated::text || ' ' || a.attcollation::regcollation || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
			', ' ORDER BY a.attnum)
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userSchema("n.nspname"),
	`SELECT 'c ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(c.oid)
	FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE ` + userSchema("n.nspname"),
	`SELECT 'i ' || pg_get_indexdef(i.indexrelid)
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE ` + userSchema("n.nspname"),
	`SELECT 'f ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE ` + userSchema("n.nspname"),
	`SELECT 't ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal`,
	`SELECT 'x ' || extname || ' ' || extversion FROM pg_extension`,
}

// catalogSignature sums up the catalogs that DDL changes: the number of
// rows of each and the newest transaction that wrote one; and the number of
// the database's own settings (ALTER DATABASE … SET), which a copy does not
// inherit. A database copied from the template has the template's, until
// its schema or settings change.
const catalogSignature = `SELECT string_agg(c || ' ' || n || ' ' || x, ', ' ORDER BY c) FROM (` +
	`SELECT 'pg_db_role_setting', count(*), 0 FROM pg_db_role_setting
		WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
	UNION ALL SELECT 'pg_namespace', count(*), max(xmin::text::bigint) FROM pg_namespace
	UNION ALL SELECT 'pg_class', count(*), max(xmin::text::bigint) FROM pg_class
	UNION ALL SELECT 'pg_attribute', count(*), max(xmin::text::bigint) FROM pg_attribute
	UNION ALL SELECT 'pg_attrdef', count(*), max(xmin::text::bigint) FROM pg_attrdef
	UNION ALL SELECT 'pg_constraint', count(*), max(xmin::text::bigint) FROM pg_constraint
	UNION ALL SELECT 'pg_index', count(*), max(xmin::text::bigint) FROM pg_index
	UNION ALL SELECT 'pg_type', count(*), max(xmin::text::bigint) FROM pg_type
	UNION ALL SELECT 'pg_proc', count(*), max(xmin::text::bigint) FROM pg_proc
	UNION ALL SELECT 'pg_trigger', count(*), max(xmin::text::bigint) FROM pg_trigger
	UNION ALL SELECT 'pg_rewrite', count(*), max(xmin::text::bigint) FROM pg_rewrite
	UNION ALL SELECT 'pg_sequence', count(*), max(xmin::text::bigint) FROM pg_sequence
	UNION ALL SELECT 'pg_extension', count(*), max(xmin::text::bigint) FROM pg_extension
	UNION ALL SELECT 'pg_description', count(*), max(xmin::text::bigint) FROM pg_description
	) s (c, n, x)`

// describe reads the template: it writes the script that resets a copy
// and the query of a database's fingerprint, and takes the template's
// fingerprint and catalog signature.
func (p *pgPool) describe(ctx context.Context, conn *pgx.Conn) error {
	tables, err := strings0(ctx, conn, `SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND `+userSchema("n.nspname")+` ORDER BY 1`)
	if err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
		WHERE contype = 'f' AND conrelid <> confrelid`)
	if err != nil {
		return err
	}
	parents := map[string][]string{}
	var child, parent string
	if _, err := pgx.ForEachRow(rows, []any{&child, &parent}, func() error {
		parents[child] = append(parents[child], parent)
		return nil
	}); err != nil {
		return err
	}
	order, err := parentsFirst(tables, parents)
	if err != nil {
		return err
	}
	sequences, err := strings0(ctx, conn, `SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'S' AND `+userSchema("n.nspname")+` ORDER BY 1`)
	if err != nil {
		return err
	}

	var reset strings.Builder
	reset.WriteString("BEGIN;\n")
	for _, t := range slices.Backward(order) {
		fmt.Fprintf(&reset, "DELETE FROM %s;\n", t)
	}
	for _, t := range order {
		var insert *string
		err := conn.QueryRow(ctx, `SELECT format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM json_populate_recordset(NULL::%s, %L);',
				$1::regclass, cols, cols, $1::regclass, (SELECT json_agg(x) FROM `+t+` x))
			FROM (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute
				WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '') a
			WHERE EXISTS (SELECT FROM `+t+`)`, t).Scan(&insert)
		if err != nil && err != pgx.ErrNoRows {
			return fmt.Errorf("rows of %s: %w", t, err)
		}
		if insert != nil {
			reset.WriteString(*insert + "\n")
		}
	}
	parts := slices.Clone(schemaParts)
	for _, s := range sequences {
		var last int64
		var called bool
		if err := conn.QueryRow(ctx, `SELECT last_value, is_called FROM `+s).Scan(&last, &called); err != nil {
			return fmt.Errorf("sequence %s: %w", s, err)
		}
		fmt.Fprintf(&reset, "SELECT setval(%s, %d, %t);\n", literal(s), last, called)
		parts = append(parts, fmt.Sprintf(`SELECT 's ' || %s || ' ' || last_value || ' ' || is_called FROM %s`, literal(s), s))
	}
	reset.WriteString("COMMIT;\n")
	for _, t := range tables {
		parts = append(parts, fmt.Sprintf(`SELECT 'd ' || %s || ' ' || count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '') FROM %s x`, literal(t), t))
	}
	p.reset = reset.String()
	p.fingerprint = `SELECT string_agg(d, E'\n' ORDER BY d) FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) f (d)`
	if err := conn.QueryRow(ctx, p.fingerprint).Scan(&p.print); err != nil {
		return fmt.Errorf("fingerprint: %w", err)
	}
	return conn.QueryRow(ctx, catalogSignature).Scan(&p.signature)
}

// parentsFirst orders tables so that each comes after the tables its
// foreign keys reference.
func parentsFirst(tables []string, parents map[string][]string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1: being placed, 2: placed
	var place func(t string) error
	place = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("the foreign keys of %s form a cycle", t)
		case 2:
			return nil
		}
		state[t] = 1
		for _, p := range parents[t] {
			if err := place(p); err != nil {
				return err
			}
		}
		state[t] = 2
		order = append(order, t)
		return nil
	}
	for _, t := range tables {
		if err := place(t); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// strings0 returns the first column of a query's rows.
func strings0(ctx context.Context, conn *pgx.Conn, query string) ([]string, error) {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// literal quotes a string for SQL.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("got %.200q, want %.200q", gl, wl)
		}
	}
	return "no difference"
}
