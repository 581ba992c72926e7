/*
 * session.c — the public API (weir.h): statements in, jobs run, rows out.
 *
 * A session owns the catalog and the configuration that SET changes. Each
 * statement is parsed, bound and planned in turn; INSERT and SELECT build a
 * job graph and run it to completion (or cancellation) before the next
 * statement starts, as Flink's SQL client does with 'table.dml-sync'. An
 * INSERT into a table Weir stores writes into a transaction that is
 * committed only after its job succeeded.
 */
#include "../base/alloc.h"
#include "../base/arena.h"
#include "../base/clock.h"
#include "../base/vec.h"
#include "../checkpoint/coordinator.h"
#include "../connectors/connector.h"
#include "../connectors/memtable.h"
#include "../expr/functions.h"
#include "../ops/aggregate.h"
#include "../runtime/job.h"
#include "../sql/lexer.h"
#include "../sql/parser.h"
#include "../sql/plan.h"
#include "../sql/userfunc.h"
#include "result.h"
#include "session_int.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct weir_session {
    wr_catalog catalog;
    wr_config config;
    atomic_bool cancel;
    atomic_bool stop;     /* stop with a savepoint */
    bool resume;          /* jobs start from their latest checkpoint */
    char *savepoint;      /* the last savepoint a stop wrote */
    char *error;          /* rendered last error */
    weir_rows_fn on_rows; /* live rows of queries, or NULL */
    void *on_rows_arg;
    weir_note_fn on_note; /* notes on ended jobs (skipped and late rows), or NULL */
    void *on_note_arg;
    /* The last ended job's metrics (weir_session_last_job_metrics), names in last_names. */
    wr_vertex_metrics *last;
    int nlast;
    wr_arena last_names;
};

weir_session *weir_session_new(void)
{
    weir_session *s = wr_calloc(1, sizeof(*s));
    wr_catalog_init(&s->catalog);
    wr_config_init(&s->config);
    atomic_init(&s->cancel, false);
    atomic_init(&s->stop, false);
    s->error = wr_strdup("");
    wr_arena_init(&s->last_names, 0);
    return s;
}

void weir_session_on_rows(weir_session *s, weir_rows_fn fn, void *arg)
{
    s->on_rows = fn;
    s->on_rows_arg = arg;
}

void weir_session_on_note(weir_session *s, weir_note_fn fn, void *arg)
{
    s->on_note = fn;
    s->on_note_arg = arg;
}

void weir_session_free(weir_session *s)
{
    if (s == NULL) return;
    wr_catalog_fini(&s->catalog);
    wr_config_fini(&s->config);
    wr_free(s->error);
    wr_free(s->savepoint);
    wr_free(s->last);
    wr_arena_fini(&s->last_names);
    wr_free(s);
}

const char *weir_session_error(const weir_session *s)
{
    return s->error;
}

void weir_session_cancel(weir_session *s)
{
    atomic_store(&s->cancel, true);
}

void weir_session_stop(weir_session *s)
{
    atomic_store(&s->stop, true);
}

const char *weir_session_savepoint(const weir_session *s)
{
    return s->savepoint;
}

int weir_session_set(weir_session *s, const char *key, const char *value)
{
    wr_config_set(&s->config, key, value, -1, -1);
    return 0;
}

const char *weir_session_get(const weir_session *s, const char *key)
{
    return wr_config_get(&s->config, key, NULL);
}

/* ---- statements ------------------------------------------------------------ */

static const char *last_part(const char **parts, int n)
{
    return parts[n - 1];
}

static int not_found(wr_error *err, int pos, const char *what, const char *name)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                           "%s '%s' not found in default_catalog.default_database", what, name);
}

/* Validates the options of a table with a 'connector' where the user wrote them. */
static int check_connector(weir_session *s, wr_table *t, const wr_ast_stmt *st, wr_error *err)
{
    wr_config_entry *ce = wr_config_find(&t->options, "connector");
    const wr_connector *conn = ce ? wr_connector_find(ce->value) : NULL;
    if (ce == NULL)
        return wr_error_set_at(
            err, WR_ERR_VALIDATION,
            st->kind == WR_STMT_CREATE_TABLE ? st->create_table.options[0].key_pos : st->pos,
            "option 'connector' is required when WITH options are given "
            "(without WITH, Weir stores the table's rows itself); available "
            "connectors: %s",
            wr_connector_names());
    if (conn == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, ce->value_pos,
                               "unknown connector '%s'; available connectors: %s", ce->value,
                               wr_connector_names());
    /*
     * A table is valid when it can be read or written (a filesystem directory that
     * does not exist yet can still be written). When neither works, the source's
     * complaint is reported, else the sink's.
     */
    wr_operator_spec spec = {0};
    int rc = conn->make_source
                 ? conn->make_source(t->schema, &t->options, &s->config, NULL, &spec, err)
                 : WR_ERR_VALIDATION;
    if (rc == 0) wr_operator_spec_fini(&spec);
    if (rc && conn->make_sink) {
        wr_error sink_err;
        wr_error_init(&sink_err);
        for (int i = 0; i < t->options.n; i++) t->options.entries[i].used = false;
        int src = rc;
        rc = conn->make_sink(t->schema, &t->options, &s->config, &spec, &sink_err);
        if (rc == 0) {
            wr_operator_spec_fini(&spec);
            wr_error_init(err);
        } else if (conn->make_source == NULL) {
            wr_error_copy(err, &sink_err);
        } else {
            rc = src;
        }
    }
    return rc;
}

/*
 * CREATE TABLE. With a 'connector' option the connector validates the options
 * now; without a WITH clause Weir stores the rows itself (Flink always needs a
 * connector).
 */
/* Adds a computed column after the table's columns so far. */
static void add_computed(wr_table *t, const char *name, const char *text, size_t len)
{
    t->computed = wr_realloc(t->computed, (size_t)(t->ncomputed + 1) * sizeof(wr_computed_column));
    wr_computed_column *c = &t->computed[t->ncomputed];
    c->name = wr_strdup(name);
    c->position = t->schema->ncols + t->ncomputed + t->nmetadata;
    c->expr = wr_strndup(text, len);
    c->type = wr_type_make(WR_TYPE_NULL, true);
    t->ncomputed++;
}

/*
 * Adds a metadata column after the table's columns so far; key NULL reads the key named as
 * the column. Its read type is the declared type until check_metadata looks the key up.
 */
static void add_metadata(wr_table *t, const char *name, wr_type type, const char *key,
                         bool is_virtual)
{
    t->metadata = wr_realloc(t->metadata, (size_t)(t->nmetadata + 1) * sizeof(wr_metadata_column));
    wr_metadata_column *m = &t->metadata[t->nmetadata];
    m->name = wr_strdup(name);
    m->position = t->schema->ncols + t->ncomputed + t->nmetadata;
    m->key = wr_strdup(key ? key : name);
    m->from = key != NULL;
    m->is_virtual = is_virtual;
    m->type = type;
    m->read_type = type;
    t->nmetadata++;
}

/* Whether t has a column (physical, computed or metadata) named name. */
static bool has_column(const wr_table *t, const char *name)
{
    bool found = wr_schema_find(t->schema, name) >= 0;
    for (int k = 0; k < t->ncomputed; k++) found |= strcmp(t->computed[k].name, name) == 0;
    for (int k = 0; k < t->nmetadata; k++) found |= strcmp(t->metadata[k].name, name) == 0;
    return found;
}

/*
 * How CREATE TABLE ... LIKE treats one feature: the last written option that
 * names it or ALL, else Flink's default (INCLUDING ALL OVERWRITING OPTIONS).
 */
static wr_ast_like_mode like_mode(const wr_ast_stmt *st, wr_ast_like_feature f)
{
    wr_ast_like_mode mode = f == WR_LIKE_OPTIONS ? WR_LIKE_OVERWRITING : WR_LIKE_INCLUDING;
    for (int i = 0; i < st->create_table.nlike_options; i++) {
        const wr_ast_like_option *o = &st->create_table.like_options[i];
        if (o->feature == f || o->feature == WR_LIKE_ALL) mode = o->mode;
    }
    return mode;
}

/*
 * The place of from's column at position in a table LIKE it: the columns before it that
 * LIKE leaves out (computed unless generated, metadata unless metadata) close up.
 */
static int like_position(const wr_table *from, int position, bool generated, bool metadata)
{
    int gone = 0;
    for (int k = 0; k < from->ncomputed && !generated; k++)
        gone += from->computed[k].position < position;
    for (int k = 0; k < from->nmetadata && !metadata; k++)
        gone += from->metadata[k].position < position;
    return position - gone;
}

/*
 * CREATE TABLE t (...) LIKE src: t starts with src's columns, its primary key
 * (unless EXCLUDING CONSTRAINTS) and its options (unless EXCLUDING OPTIONS;
 * they are marked with key_pos -2 so the statement's own options can
 * overwrite them). Counts the options taken in *noptions.
 */
static int like_table(weir_session *s, const wr_ast_stmt *st, wr_table *t, int *noptions,
                      wr_error *err)
{
    const char *src = last_part(st->create_table.like_parts, st->create_table.nlike_parts);
    const wr_table *from = wr_catalog_find(&s->catalog, src);
    if (from == NULL) return not_found(err, st->create_table.like_pos, "table", src);
    for (int c = 0; c < from->schema->ncols; c++)
        wr_schema_add(t->schema, from->schema->names[c], from->schema->types[c]);
    bool generated = like_mode(st, WR_LIKE_GENERATED) != WR_LIKE_EXCLUDING;
    bool metadata = like_mode(st, WR_LIKE_METADATA) != WR_LIKE_EXCLUDING;
    for (int k = 0; k < from->ncomputed && generated; k++) {
        add_computed(t, from->computed[k].name, from->computed[k].expr,
                     strlen(from->computed[k].expr));
        t->computed[t->ncomputed - 1].position =
            like_position(from, from->computed[k].position, generated, metadata);
    }
    for (int k = 0; k < from->nmetadata && metadata; k++) {
        const wr_metadata_column *m = &from->metadata[k];
        add_metadata(t, m->name, m->type, m->from ? m->key : NULL, m->is_virtual);
        t->metadata[t->nmetadata - 1].position =
            like_position(from, m->position, generated, metadata);
    }
    if (like_mode(st, WR_LIKE_CONSTRAINTS) != WR_LIKE_EXCLUDING && from->nprimary_key) {
        t->primary_key = wr_malloc((size_t)from->nprimary_key * sizeof(int));
        memcpy(t->primary_key, from->primary_key, (size_t)from->nprimary_key * sizeof(int));
        t->nprimary_key = from->nprimary_key;
    }
    if (like_mode(st, WR_LIKE_PARTITIONS) != WR_LIKE_EXCLUDING && from->npartition_keys) {
        if (st->create_table.npartitioned_by)
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.partitioned_by_pos,
                                   "the LIKE source is partitioned already; use EXCLUDING "
                                   "PARTITIONS to define other partition columns");
        t->partition_keys = wr_malloc((size_t)from->npartition_keys * sizeof(int));
        memcpy(t->partition_keys, from->partition_keys,
               (size_t)from->npartition_keys * sizeof(int));
        t->npartition_keys = from->npartition_keys;
    }
    if (like_mode(st, WR_LIKE_WATERMARKS) != WR_LIKE_EXCLUDING && from->watermark_column) {
        if (st->create_table.watermark_column &&
            like_mode(st, WR_LIKE_WATERMARKS) != WR_LIKE_OVERWRITING)
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.watermark_pos,
                                   "the LIKE source has a WATERMARK already; use EXCLUDING "
                                   "WATERMARKS or OVERWRITING WATERMARKS to define another");
        t->watermark_column = wr_strdup(from->watermark_column);
        t->watermark_expr = wr_strdup(from->watermark_expr);
    }
    if (like_mode(st, WR_LIKE_OPTIONS) != WR_LIKE_EXCLUDING)
        for (int i = 0; i < from->options.n; i++) {
            const wr_config_entry *e = &from->options.entries[i];
            wr_config_set(&t->options, e->key, e->value, -2, -1);
            (*noptions)++;
        }
    return 0;
}

/*
 * Every column of t as a scan of it produces them: physical, computed and metadata, as
 * declared.
 */
static wr_schema *table_row_schema(const wr_table *t)
{
    wr_schema *row = wr_schema_new();
    int total = t->schema->ncols + t->ncomputed + t->nmetadata;
    for (int i = 0, phys = 0, k = 0, m = 0; i < total; i++) {
        if (k < t->ncomputed && t->computed[k].position == i) {
            wr_schema_add(row, t->computed[k].name, t->computed[k].type);
            k++;
        } else if (m < t->nmetadata && t->metadata[m].position == i) {
            wr_schema_add(row, t->metadata[m].name, t->metadata[m].type);
            m++;
        } else {
            wr_schema_add(row, t->schema->names[phys], t->schema->types[phys]);
            phys++;
        }
    }
    return row;
}

/* Flink's rowtime types: TIMESTAMP(p) or TIMESTAMP_LTZ(p) with p from 0 to 3. */
static bool is_rowtime_type(wr_type t)
{
    return (t.id == WR_TYPE_TIMESTAMP || t.id == WR_TYPE_TIMESTAMP_LTZ) && t.length <= 3;
}

/*
 * WATERMARK FOR column AS expr: the column is one of the table's, of a rowtime type, and the
 * expression binds over the table's columns to a rowtime type too. column_pos and expr_pos
 * are where they were written.
 */
static int check_watermark(weir_session *s, const wr_table *t, int column_pos, int expr_pos,
                           wr_error *err)
{
    wr_schema *row = table_row_schema(t);
    int col = wr_schema_find(row, t->watermark_column);
    char tn[WR_TYPE_NAME_MAX];
    int rc = 0;
    if (col < 0) {
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, column_pos,
                             "the rowtime column '%s' of the WATERMARK is not a column of '%s'",
                             t->watermark_column, t->name);
    } else if (!is_rowtime_type(row->types[col])) {
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, column_pos,
                             "the rowtime column '%s' must be TIMESTAMP(p) or TIMESTAMP_LTZ(p) "
                             "with p from 0 to 3, but it is %s",
                             t->watermark_column, wr_type_name(row->types[col], tn, sizeof(tn)));
    } else {
        wr_expr *e = wr_bind_watermark(&s->catalog, t, row, t->watermark_expr, err);
        if (e == NULL) {
            rc = err->code;
            if (err->offset >= 0) err->offset += expr_pos;
        } else if (!is_rowtime_type(e->type)) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, expr_pos,
                                 "the WATERMARK expression must be TIMESTAMP(p) or "
                                 "TIMESTAMP_LTZ(p) with p from 0 to 3, but it is %s",
                                 wr_type_name(e->type, tn, sizeof(tn)));
        }
        wr_expr_free(e);
    }
    wr_schema_free(row);
    return rc;
}

/*
 * PARTITIONED BY is refused rather than ignored where rows would not land in partition
 * directories: only the filesystem connector lays files out by partition. An unknown
 * connector is left to check_connector, which names the available ones.
 */
static int check_partitioned(const wr_table *t, const wr_ast_stmt *st, bool has_options,
                             wr_error *err)
{
    int pos = st->create_table.npartitioned_by ? st->create_table.partitioned_by_pos
                                               : st->create_table.like_pos;
    if (!has_options)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "PARTITIONED BY needs 'connector' = 'filesystem': a table Weir "
                               "stores itself has no partition directories");
    const wr_config_entry *ce = wr_config_find(&t->options, "connector");
    const wr_connector *conn = ce ? wr_connector_find(ce->value) : NULL;
    if (conn && strcmp(conn->name, "filesystem") != 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "connector '%s' does not support PARTITIONED BY: only "
                               "'filesystem' writes and reads partition directories",
                               conn->name);
    return 0;
}

/* Where column name was defined in the statement, else at (for a column of the LIKE source). */
static int column_pos(const wr_ast_stmt *st, const char *name, int at)
{
    for (int i = 0; i < st->create_table.ncolumns; i++)
        if (strcmp(st->create_table.columns[i].name, name) == 0)
            return st->create_table.columns[i].pos;
    return at;
}

/*
 * Metadata columns (Flink's SupportsReadingMetadata and SupportsWritingMetadata): each names a
 * key the table's connector reads or writes, with a declared type the key's type casts to;
 * a persisted (not VIRTUAL) column of a writable key must also cast back to the key's type,
 * as INSERT writes it. A persisted column of a read-only key is accepted here (the table may
 * still be read) and refused at INSERT, as Flink does. Sets the read types (the key's type).
 * A table without a connector has no metadata; an unknown connector is left to
 * check_connector.
 */
static int check_metadata(const wr_table *t, const wr_ast_stmt *st, bool has_options, wr_error *err)
{
    if (t->nmetadata == 0) return 0;
    const wr_config_entry *ce = has_options ? wr_config_find(&t->options, "connector") : NULL;
    const wr_connector *conn = ce ? wr_connector_find(ce->value) : NULL;
    const wr_metadata_column *first = &t->metadata[0];
    int pos = column_pos(st, first->name, st->create_table.like_pos);
    if (!has_options || t->source)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "metadata column '%s' needs a connector that reads metadata: a "
                               "table without a 'connector' option has none",
                               first->name);
    if (conn == NULL) return 0;
    if (conn->nreadable_metadata == 0 && conn->nwritable_metadata == 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "connector '%s' does not support metadata columns (column '%s')",
                               conn->name, first->name);
    for (int k = 0; k < t->nmetadata; k++) {
        wr_metadata_column *m = &t->metadata[k];
        pos = column_pos(st, m->name, st->create_table.like_pos);
        const wr_connector_metadata *meta = wr_connector_metadata_find(conn, m->key, false);
        const wr_connector_metadata *wmeta = wr_connector_metadata_find(conn, m->key, true);
        if (meta == NULL) meta = wmeta;
        if (meta == NULL) {
            wr_buf keys;
            wr_buf_init(&keys);
            for (int i = 0; i < conn->nreadable_metadata; i++)
                wr_buf_printf(&keys, "%s'%s'", i ? ", " : "", conn->readable_metadata[i].key);
            for (int i = 0; i < conn->nwritable_metadata; i++)
                if (!wr_connector_metadata_find(conn, conn->writable_metadata[i].key, false))
                    wr_buf_printf(&keys, "%s'%s'", keys.len ? ", " : "",
                                  conn->writable_metadata[i].key);
            int rc = wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                     "unknown metadata key '%s' of column '%s' for connector "
                                     "'%s'; available keys: %s",
                                     m->key, m->name, conn->name, keys.data);
            wr_buf_fini(&keys);
            return rc;
        }
        /* As Flink: the declared type must be castable from the key's; a Calc casts it. */
        if (!wr_expr_can_cast(meta->type, m->type) ||
            (wmeta && !m->is_virtual && !wr_expr_can_cast(m->type, wmeta->type))) {
            char x[WR_TYPE_NAME_MAX], y[WR_TYPE_NAME_MAX];
            wr_type_names(m->type, meta->type, x, y);
            return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                   "metadata column '%s' cannot be declared as %s: metadata key "
                                   "'%s' of connector '%s' is %s, which does not cast %s",
                                   m->name, x, m->key, conn->name, y,
                                   wr_expr_can_cast(meta->type, m->type)
                                       ? "from it (the column is written)"
                                       : "to it");
        }
        m->read_type = meta->type;
    }
    return 0;
}

static int exec_create_table(weir_session *s, const char *sql, const wr_ast_stmt *st,
                             const wr_table_source *source, wr_error *err)
{
    const char *name = last_part(st->create_table.name_parts, st->create_table.nname_parts);
    if (wr_catalog_find(&s->catalog, name) || wr_catalog_find_view(&s->catalog, name)) {
        if (st->create_table.if_not_exists) return 0;
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.name_pos,
                               "%s '%s' already exists",
                               wr_catalog_find(&s->catalog, name) ? "table" : "a view named", name);
    }
    wr_table *t = wr_calloc(1, sizeof(*t));
    t->name = wr_strdup(name);
    t->schema = wr_schema_new();
    t->temporary = st->create_table.temporary;
    wr_config_init(&t->options);
    int nfrom_like = 0; /* options that came from the LIKE source */
    int rc = st->create_table.like_parts ? like_table(s, st, t, &nfrom_like, err) : 0;
    for (int i = 0; i < st->create_table.ncolumns && rc == 0; i++) {
        const wr_ast_column_def *c = &st->create_table.columns[i];
        wr_type type;
        bool dup = has_column(t, c->name);
        if (dup)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos, "duplicate column '%s'", c->name);
        else if (c->computed)
            add_computed(t, c->name, sql + c->computed->pos,
                         (size_t)(c->computed->end - c->computed->pos));
        else if (wr_schema_find(t->schema, c->name) >= 0)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos, "duplicate column '%s'", c->name);
        else if (!wr_bind_type(&c->type, &type, err))
            rc = err->code;
        else if (c->metadata)
            add_metadata(t, c->name, type, c->metadata_key, c->is_virtual);
        else
            wr_schema_add(t->schema, c->name, type);
    }
    if (rc == 0 && st->create_table.nprimary_key && t->nprimary_key)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.primary_key_pos,
                             "the LIKE source has a primary key already; use EXCLUDING "
                             "CONSTRAINTS to define another");
    for (int i = 0; i < st->create_table.nprimary_key && rc == 0; i++) {
        const char *col = st->create_table.primary_key[i];
        int idx = wr_schema_find(t->schema, col);
        if (idx < 0) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.primary_key_pos,
                                 "primary key column '%s' is not a column of '%s'", col, name);
            break;
        }
        t->primary_key = wr_realloc(t->primary_key, (size_t)(i + 1) * sizeof(int));
        t->primary_key[t->nprimary_key++] = idx;
        /* Primary key columns are NOT NULL, as in Flink. */
        t->schema->types[idx].nullable = false;
    }
    /* The schema carries the key to the connectors (an upserting sink needs it). */
    if (rc == 0) wr_schema_set_primary_key(t->schema, t->primary_key, t->nprimary_key);
    for (int i = 0; i < st->create_table.npartitioned_by && rc == 0; i++) {
        const char *col = st->create_table.partitioned_by[i];
        int idx = wr_schema_find(t->schema, col);
        bool dup = false;
        for (int k = 0; k < t->npartition_keys; k++) dup |= t->partition_keys[k] == idx;
        if (idx < 0 || dup) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.partitioned_by_pos,
                                 idx < 0 ? "partition column '%s' is not a physical column of "
                                           "'%s'"
                                         : "partition column '%s' is listed twice",
                                 col, name);
            break;
        }
        t->partition_keys = wr_realloc(t->partition_keys, (size_t)(i + 1) * sizeof(int));
        t->partition_keys[t->npartition_keys++] = idx;
    }
    /* Likewise the partition columns: the filesystem connector lays files out by them. */
    if (rc == 0) wr_schema_set_partition_keys(t->schema, t->partition_keys, t->npartition_keys);
    for (int i = 0; i < st->create_table.noptions && rc == 0; i++) {
        const wr_ast_option *o = &st->create_table.options[i];
        wr_config_entry *e = wr_config_find(&t->options, o->key);
        bool inherited = e && e->key_pos == -2; /* marked by like_table */
        if (e && !inherited)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, o->key_pos, "option '%s' is given twice",
                                 o->key);
        else if (inherited && like_mode(st, WR_LIKE_OPTIONS) != WR_LIKE_OVERWRITING)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, o->key_pos,
                                 "option '%s' is set by the LIKE source too; use OVERWRITING "
                                 "OPTIONS to replace it",
                                 o->key);
        else
            wr_config_set(&t->options, o->key, o->value, o->key_pos, o->value_pos);
    }
    bool has_options = st->create_table.noptions > 0 || nfrom_like > 0;
    if (rc == 0) rc = check_metadata(t, st, has_options, err);
    /* Computed columns read physical and metadata columns; check them now, where they were
     * written. */
    for (int k = 0, i = 0; k < t->ncomputed && rc == 0; k++) {
        wr_expr *e = wr_bind_computed(&s->catalog, t, t->computed[k].expr, err);
        if (e) {
            t->computed[k].type = e->type;
            wr_expr_free(e);
            continue;
        }
        rc = err->code;
        /* Its text's offsets to the statement's: find the column's definition. */
        for (i = 0; i < st->create_table.ncolumns; i++) {
            const wr_ast_column_def *c = &st->create_table.columns[i];
            if (c->computed && strcmp(c->name, t->computed[k].name) == 0 && err->offset >= 0)
                err->offset += c->computed->pos;
        }
    }
    if (rc == 0 && st->create_table.watermark_column) {
        const wr_ast_expr *x = st->create_table.watermark_expr;
        wr_free(t->watermark_column);
        wr_free(t->watermark_expr);
        t->watermark_column = wr_strdup(st->create_table.watermark_column);
        t->watermark_expr = wr_strndup(sql + x->pos, (size_t)(x->end - x->pos));
        rc = check_watermark(s, t, st->create_table.watermark_pos, x->pos, err);
    }
    if (rc == 0 && t->npartition_keys) rc = check_partitioned(t, st, has_options, err);
    if (rc == 0 && has_options) rc = check_connector(s, t, st, err);
    if (rc) {
        wr_table_free(t);
        return rc;
    }
    /* The options were checked against this text; later statements come from others. */
    for (int i = 0; i < t->options.n; i++) t->options.entries[i].key_pos = -1;
    for (int i = 0; i < t->options.n; i++) t->options.entries[i].value_pos = -1;
    if (source)
        t->source = source; /* the caller made sure there are no options */
    else if (!has_options)
        t->mem = wr_memtable_new(t->schema);
    wr_catalog_add(&s->catalog, t);
    return 0;
}

/* The offset just past the AS of CREATE VIEW name AS query (names cannot hide an AS). */
static int view_query_start(const char *sql, const wr_ast_stmt *st)
{
    wr_lexer lex;
    wr_lex_init(&lex, sql, st->end, st->create_view.name_pos);
    wr_lex_token tok;
    wr_error err;
    wr_error_init(&err);
    while (wr_lex_next(&lex, &tok, &err) == 0 && tok.kind != WR_TOK_EOF)
        if (tok.kind == WR_TOK_WORD && tok.kw == WR_KW_AS) return tok.pos + tok.len;
    return -1;
}

/*
 * CREATE VIEW: the query must bind now (its columns are the view's); the
 * view keeps the query's text and a syntax tree parsed from that text.
 */
static int exec_create_view(weir_session *s, const char *sql, const wr_ast_stmt *st, wr_error *err)
{
    const char *name = last_part(st->create_view.name_parts, st->create_view.nname_parts);
    if (wr_catalog_find(&s->catalog, name) || wr_catalog_find_view(&s->catalog, name)) {
        if (st->create_view.if_not_exists) return 0;
        return wr_error_set_at(
            err, WR_ERR_VALIDATION, st->create_view.name_pos, "%s '%s' already exists",
            wr_catalog_find_view(&s->catalog, name) ? "view" : "a table named", name);
    }
    wr_plan *plan = wr_bind_query(st->create_view.query, &s->catalog, err);
    if (plan == NULL) return err->code;
    int start = view_query_start(sql, st);
    if (WR_NEVER(start < 0)) {
        wr_plan_free(plan);
        return wr_error_set_at(err, WR_ERR_INTERNAL, st->pos, "cannot find the view's query");
    }
    while (sql[start] == ' ' || sql[start] == '\t' || sql[start] == '\n' || sql[start] == '\r')
        start++;
    wr_view *view = wr_calloc(1, sizeof(*view));
    view->name = wr_strdup(name);
    view->text = wr_strndup(sql + start, (size_t)(st->end - start));
    view->schema = wr_schema_copy(plan->schema);
    view->temporary = st->create_view.temporary;
    wr_plan_free(plan);
    wr_arena *arena = wr_malloc(sizeof(*arena));
    wr_arena_init(arena, 4096);
    view->arena = arena;
    wr_ast_stmt *q = NULL;
    int offset = 0;
    wr_error perr;
    wr_error_init(&perr);
    /* The text parsed once already, as part of this statement. */
    if (WR_NEVER(wr_sql_parse_next(view->text, &offset, arena, &q, &perr) != 1 ||
                 q->kind != WR_STMT_QUERY)) {
        wr_view_free(view);
        return wr_error_set_at(err, WR_ERR_INTERNAL, st->pos, "the view's query does not parse: %s",
                               perr.msg);
    }
    view->query = q->query.query;
    wr_catalog_add_view(&s->catalog, view);
    return 0;
}

/* "temporary system function", "function", ... as a function was created. */
static const char *function_kind(bool temporary, bool system)
{
    return temporary ? (system ? "temporary system function" : "temporary function") : "function";
}

/* DROP [TEMPORARY [SYSTEM]] FUNCTION: the words must say what the function is, as in Flink. */
static int exec_drop_function(weir_session *s, const wr_ast_stmt *st, wr_error *err)
{
    const char *name = last_part(st->drop.name_parts, st->drop.nname_parts);
    const wr_userfunc *fn = wr_catalog_find_function(&s->catalog, name);
    if (fn == NULL) {
        if (st->drop.if_exists) return 0;
        if (wr_userfunc_is_builtin(name))
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->drop.name_pos,
                                   "'%s' is a built-in function, which cannot be dropped", name);
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->drop.name_pos,
                               "function '%s' does not exist", name);
    }
    if (st->drop.temporary != fn->temporary || st->drop.system != fn->system) {
        const char *kind = function_kind(fn->temporary, fn->system);
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->drop.name_pos,
                               "'%s' is a %s: use DROP %s%sFUNCTION", fn->name, kind,
                               fn->temporary ? "TEMPORARY " : "", fn->system ? "SYSTEM " : "");
    }
    /* Nothing bound to it is left: each statement's plans and jobs end with the statement. */
    wr_catalog_drop_function(&s->catalog, name);
    return 0;
}

static int exec_drop(weir_session *s, const wr_ast_stmt *st, wr_error *err)
{
    if (strcmp(st->drop.what, "FUNCTION") == 0) return exec_drop_function(s, st, err);
    const char *name = last_part(st->drop.name_parts, st->drop.nname_parts);
    bool is_view = strcmp(st->drop.what, "VIEW") == 0;
    if (!is_view && strcmp(st->drop.what, "TABLE") != 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos, "DROP %s is not supported yet",
                               st->drop.what);
    const wr_table *t = wr_catalog_find(&s->catalog, name);
    const wr_view *v = wr_catalog_find_view(&s->catalog, name);
    bool temporary = t ? t->temporary : v ? v->temporary : false;
    if (is_view ? v == NULL : t == NULL) {
        if (st->drop.if_exists) return 0;
        if (t || v)
            return wr_error_set_at(
                err, WR_ERR_VALIDATION, st->drop.name_pos, "'%s' is a %s, not a %s: use DROP %s",
                name, t ? "table" : "view", is_view ? "view" : "table", t ? "TABLE" : "VIEW");
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->drop.name_pos, "%s '%s' does not exist",
                               is_view ? "view" : "table", name);
    }
    if (st->drop.temporary && !temporary)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->drop.name_pos,
                               "%s '%s' is not temporary: use DROP %s", is_view ? "view" : "table",
                               name, is_view ? "VIEW" : "TABLE");
    if (is_view)
        wr_catalog_drop_view(&s->catalog, name);
    else
        wr_catalog_drop(&s->catalog, name);
    return 0;
}

/* A name a user function may take: not empty, not a built-in's (whether it is taken is apart). */
static int check_function_name(const char *name, int pos, wr_error *err)
{
    if (name == NULL || name[0] == '\0')
        return wr_error_set_at(err, WR_ERR_ARGUMENT, pos, "a function needs a name");
    if (wr_userfunc_is_builtin(name))
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "'%s' is a built-in function: a user function may not shadow it, "
                               "choose another name",
                               name);
    return 0;
}

static int function_exists(weir_session *s, const char *name, int pos, wr_error *err)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, pos, "function '%s' already exists",
                           wr_catalog_find_function(&s->catalog, name)->name);
}

/*
 * CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS] f AS 'symbol'
 * [LANGUAGE C] [USING JAR 'lib.so']: the descriptor exported under symbol
 * by the library (without USING JAR, by the running program).
 */
static int exec_create_function(weir_session *s, const wr_ast_stmt *st, wr_error *err)
{
    const char *name = last_part(st->create_function.name_parts, st->create_function.nname_parts);
    const char *lang = st->create_function.language;
    int rc = check_function_name(name, st->create_function.name_pos, err);
    if (rc) return rc;
    if (wr_catalog_find_function(&s->catalog, name))
        return st->create_function.if_not_exists
                   ? 0
                   : function_exists(s, name, st->create_function.name_pos, err);
    if (lang && strcmp(lang, "C") != 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_function.language_pos,
                               "Weir runs functions written in C (LANGUAGE C), not %s", lang);
    if (st->create_function.njars > 1)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_function.jar_pos[1],
                               "a function in C comes from one shared library: give one USING "
                               "JAR '/path/lib.so'");
    const char *path = st->create_function.njars ? st->create_function.jars[0] : NULL;
    int path_pos = path ? st->create_function.jar_pos[0] : st->create_function.identifier_pos;
    void *lib;
    const weir_udf *udf;
    if ((rc = wr_userfunc_load(path, path_pos, st->create_function.identifier,
                               st->create_function.identifier_pos, &lib, &udf, err)))
        return rc;
    wr_userfunc *fn = wr_userfunc_new(name, udf, lib, st->create_function.identifier_pos, err);
    if (fn == NULL) return err->code;
    fn->symbol = wr_strdup(st->create_function.identifier);
    fn->path = path ? wr_strdup(path) : NULL;
    fn->temporary = st->create_function.temporary;
    fn->system = st->create_function.system;
    wr_catalog_add_function(&s->catalog, fn);
    return 0;
}

/*
 * Keeps the final metrics of a job that ended, with their names copied (they belong to the
 * job graph, which goes with the job), for weir_session_last_job_metrics and the notes.
 */
static void keep_metrics(weir_session *s, const wr_job *job)
{
    int n = wr_job_metrics(job, NULL, 0);
    wr_free(s->last);
    wr_arena_reset(&s->last_names);
    s->last = wr_calloc((size_t)(n > 0 ? n : 1), sizeof(*s->last));
    s->nlast = n;
    wr_job_metrics(job, s->last, n);
    for (int v = 0; v < n; v++)
        s->last[v].name =
            wr_arena_strndup(&s->last_names, s->last[v].name, strlen(s->last[v].name));
}

int weir_session_last_job_metrics(const weir_session *s, weir_vertex_metrics *out, int cap)
{
    for (int i = 0; i < s->nlast && i < cap; i++) {
        const wr_vertex_metrics *m = &s->last[i];
        out[i] = (weir_vertex_metrics){.name = m->name,
                                       .parallelism = m->parallelism,
                                       .records_in = m->records_in,
                                       .records_out = m->records_out,
                                       .records_in_errors = m->records_in_errors,
                                       .late_records_dropped = m->late_records_dropped,
                                       .state_bytes = m->state_bytes,
                                       .state_bytes_peak = m->state_bytes_peak};
    }
    return s->nlast;
}

/*
 * The job's summary: a note for each operator that skipped malformed records or dropped
 * late rows, so that data lost on purpose is not lost silently (the job still succeeds).
 * Reads the metrics keep_metrics kept.
 */
static void job_notes(weir_session *s)
{
    if (s->on_note == NULL) return;
    int n = s->nlast;
    const wr_vertex_metrics *vm = s->last;
    wr_buf note;
    wr_buf_init(&note);
    for (int v = 0; v < n; v++) {
        const wr_vertex_metrics *m = &vm[v];
        if (m->records_in_errors > 0) {
            wr_buf_reset(&note);
            wr_buf_printf(&note, "%s'%s' skipped %lld malformed record%s (ignore-parse-errors)",
                          m->source ? "source " : "", m->name, (long long)m->records_in_errors,
                          m->records_in_errors == 1 ? "" : "s");
            s->on_note(s->on_note_arg, note.data);
        }
        if (m->late_records_dropped > 0) {
            wr_buf_reset(&note);
            wr_buf_printf(&note, "'%s' dropped %lld late row%s", m->name,
                          (long long)m->late_records_dropped,
                          m->late_records_dropped == 1 ? "" : "s");
            s->on_note(s->on_note_arg, note.data);
        }
    }
    wr_buf_fini(&note);
}

/* Polls for cancellation while the job runs; returns the job's outcome. */
static int run_job(weir_session *s, wr_jobgraph *graph, wr_error *err)
{
    wr_coordinator *coord;
    int rc = wr_coordinator_new(&s->config, graph->name, &coord, err);
    if (rc) {
        wr_jobgraph_free(graph);
        return rc;
    }
    wr_checkpoint *from;
    if ((rc =
             wr_coordinator_restore_point(coord, &s->config, graph->name, s->resume, &from, err))) {
        wr_coordinator_free(coord);
        wr_jobgraph_free(graph);
        return rc;
    }
    wr_job *job = wr_job_start_from(graph, &s->config, from, err);
    if (job == NULL) {
        wr_coordinator_free(coord);
        return err->code ? err->code : WR_ERR_RUNTIME;
    }
    rc = wr_coordinator_wait(coord, job, -1, &s->cancel, &s->stop, err);
    keep_metrics(s, job);
    job_notes(s);
    const char *sp = wr_coordinator_savepoint(coord);
    if (sp) {
        wr_free(s->savepoint);
        s->savepoint = wr_strdup(sp);
    }
    wr_job_free(job);
    wr_coordinator_free(coord);
    return rc;
}

static const char *job_name(weir_session *s, const char *def)
{
    return wr_config_get(&s->config, "pipeline.name", def);
}

/* The transactions of the stored tables one job writes: committed together, or aborted. */
typedef WR_VEC(wr_memtable_txn *) txn_list;

static void txns_end(txn_list *txns, bool commit)
{
    for (int i = 0; i < txns->n; i++) {
        if (commit)
            wr_memtable_commit(txns->v[i]);
        else
            wr_memtable_abort(txns->v[i]);
    }
    WR_VEC_FREE(txns);
}

/*
 * Applies the planner's rules to a bound plan. With explain, writes the plan
 * before ("Abstract Syntax Tree", as Flink names it) and after the rules,
 * under an optional sink line.
 */
static wr_plan *optimize(const wr_config *job, wr_plan *plan, const char *sink, wr_buf *explain,
                         wr_error *err)
{
    if (explain) {
        wr_buf_puts(explain, "== Abstract Syntax Tree ==\n");
        if (sink) wr_buf_printf(explain, "%s\n", sink);
        wr_plan_explain(plan, explain);
    }
    plan = wr_plan_optimize(plan);
    /* Batch or streaming, and what each node emits: the physical plan shows it. */
    if (wr_plan_annotate(plan, job, err)) {
        wr_plan_free(plan);
        return NULL;
    }
    if (explain) {
        wr_buf_puts(explain, "\n== Optimized Physical Plan ==\n");
        if (sink) wr_buf_printf(explain, "%s\n", sink);
        wr_plan_explain(plan, explain);
    }
    return plan;
}

/*
 * Binds an INSERT and adds its operators and sink to graph. A stored table's
 * sink writes into a new transaction added to txns. *sink_out (may be NULL)
 * receives the sink table. The plan's logical form is appended to explain
 * when it is not NULL. job is the configuration it is planned under: the
 * session's, or that of the DataStream job it joins (table.c).
 */
static int plan_insert(weir_session *s, const wr_config *job, const wr_ast_stmt *st,
                       wr_jobgraph *graph, txn_list *txns, const wr_table **sink_out,
                       wr_buf *explain, wr_error *err)
{
    const char *name = last_part(st->insert.table_parts, st->insert.ntable_parts);
    const wr_table *sink = wr_catalog_find(&s->catalog, name);
    if (sink == NULL && wr_catalog_find_view(&s->catalog, name))
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->insert.table_pos,
                               "'%s' is a view: INSERT needs a table", name);
    if (sink == NULL) return not_found(err, st->insert.table_pos, "table", name);
    if (sink->source)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->insert.table_pos,
                               "table '%s' reads a DataStream and cannot be written", name);
    if (sink_out) *sink_out = sink;
    /* Flink allows OVERWRITE in batch mode; a stored table is replaced atomically in any mode. */
    if (st->insert.overwrite && sink->mem == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos,
                               "INSERT OVERWRITE is supported for tables Weir stores only, and "
                               "'%s' has connector '%s'",
                               name, wr_config_get(&sink->options, "connector", ""));
    wr_plan *plan = wr_bind_query(st->insert.query, &s->catalog, err);
    if (plan == NULL) return err->code;
    plan = wr_bind_insert(plan, &s->catalog, sink, st->insert.query,
                          (const char *const *)st->insert.columns, st->insert.ncolumns,
                          st->insert.table_pos, err);
    if (plan == NULL) return err->code;
    char sinkline[300];
    snprintf(sinkline, sizeof(sinkline), "Sink(table=[%s]%s)", sink->name,
             st->insert.overwrite ? ", overwrite=[true]" : "");
    plan = optimize(job, plan, sinkline, explain, err);
    if (plan == NULL) return err->code;
    if (wr_plan_check_sink(plan, sink, err)) {
        wr_plan_free(plan);
        return err->code;
    }
    int par;
    int v = wr_plan_translate(plan, graph, job, &par, err);
    wr_plan_free(plan);
    if (v < 0) return v;
    if (sink->mem) {
        wr_memtable_txn *txn = wr_memtable_begin(sink->mem, st->insert.overwrite);
        WR_VEC_PUSH(txns, txn);
        v = wr_plan_add_memtable_sink(graph, v, par, sink, txn, err);
    } else {
        v = wr_plan_add_sink(graph, v, par, sink, job, err);
    }
    return v < 0 ? v : 0;
}

/* Runs the INSERTs of inserts[0..n) as one job (a statement set when n > 1). */
static int exec_inserts(weir_session *s, wr_ast_stmt *const *inserts, int n, wr_error *err)
{
    wr_buf def;
    wr_buf_init(&def);
    wr_buf_puts(&def, "insert-into_");
    for (int i = 0; i < n; i++)
        wr_buf_printf(&def, "%sdefault_catalog.default_database.%s", i ? "," : "",
                      last_part(inserts[i]->insert.table_parts, inserts[i]->insert.ntable_parts));
    wr_jobgraph *graph = wr_jobgraph_new(job_name(s, def.data));
    wr_buf_fini(&def);
    txn_list txns = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = plan_insert(s, &s->config, inserts[i], graph, &txns, NULL, NULL, err);
    if (rc)
        wr_jobgraph_free(graph);
    else
        rc = run_job(s, graph, err);
    /* The rows become visible only when the whole job succeeded. */
    txns_end(&txns, rc == 0);
    return rc;
}

static int exec_query(weir_session *s, const wr_ast_query *q, weir_result **out, wr_error *err)
{
    wr_plan *plan = wr_bind_query(q, &s->catalog, err);
    if (plan == NULL) return err->code;
    plan = optimize(&s->config, plan, NULL, NULL, err);
    if (plan == NULL) return err->code;
    weir_result *result = wr_result_new(plan->schema);
    result->live = s->on_rows;
    result->live_arg = s->on_rows_arg;
    wr_jobgraph *graph = wr_jobgraph_new(job_name(s, "collect"));
    int par;
    int v = wr_plan_translate(plan, graph, &s->config, &par, err);
    int rc = v < 0 ? v : 0;
    if (rc == 0) {
        wr_operator_spec spec = wr_collect_spec(result);
        int sink = wr_jobgraph_add(graph, "Sink: collect", &spec, plan->schema->types,
                                   plan->schema->ncols);
        wr_jobgraph_connect(graph, v, sink, par == 1 ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL,
                            0);
    }
    wr_plan_free(plan);
    if (rc == 0)
        rc = run_job(s, graph, err);
    else
        wr_jobgraph_free(graph);
    if (rc) {
        weir_result_free(result);
        return rc;
    }
    *out = result;
    return 0;
}

static weir_result *text_result(const char *const *names, int n)
{
    wr_schema *schema = wr_schema_new();
    for (int i = 0; i < n; i++)
        wr_schema_add(schema, names[i], wr_type_make(WR_TYPE_VARCHAR, true));
    weir_result *r = wr_result_new(schema);
    wr_schema_free(schema);
    return r;
}

/* A result of one column and one row. */
static weir_result *one_text(const char *column, const char *value)
{
    const char *names[] = {column};
    weir_result *r = text_result(names, 1);
    const char *row[] = {value};
    wr_result_add_text_row(r, row);
    return r;
}

static int exec_explain(weir_session *s, const wr_ast_stmt *st, weir_result **out, wr_error *err)
{
    const wr_ast_stmt *inner = st->explain.stmt;
    wr_buf text;
    wr_buf_init(&text);
    wr_jobgraph *graph = wr_jobgraph_new("explain");
    txn_list txns = {0};
    int rc = 0;
    if (inner->kind == WR_STMT_QUERY) {
        wr_plan *plan = wr_bind_query(inner->query.query, &s->catalog, err);
        if (plan == NULL) {
            rc = err->code;
        } else {
            plan = optimize(&s->config, plan, NULL, &text, err);
            int par;
            int v = plan ? wr_plan_translate(plan, graph, &s->config, &par, err) : err->code;
            if (v < 0) rc = v;
            wr_plan_free(plan);
        }
    } else if (inner->kind == WR_STMT_INSERT) {
        rc = plan_insert(s, &s->config, inner, graph, &txns, NULL, &text, err);
    } else if (inner->kind == WR_STMT_STATEMENT_SET) {
        for (int i = 0; i < inner->statement_set.nstmts && rc == 0; i++)
            rc = plan_insert(s, &s->config, inner->statement_set.stmts[i], graph, &txns, NULL,
                             &text, err);
    } else {
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, inner->pos,
                             "EXPLAIN supports queries, INSERT statements and statement sets");
    }
    if (rc == 0) {
        wr_buf_puts(&text, "\n== Job Graph ==\n");
        wr_jobgraph_describe(graph, &s->config, &text);
        *out = one_text("plan", text.data);
    }
    txns_end(&txns, false); /* nothing ran */
    wr_jobgraph_free(graph);
    wr_buf_fini(&text);
    return rc;
}

/* ---- catalog statements ------------------------------------------------------ */

/* `name` with backquotes doubled, as Flink quotes identifiers. */
static void put_ident(wr_buf *b, const char *name)
{
    wr_buf_putc(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`') wr_buf_putc(b, '`');
        wr_buf_putc(b, *p);
    }
    wr_buf_putc(b, '`');
}

static void put_string(wr_buf *b, const char *value)
{
    wr_buf_putc(b, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '\'') wr_buf_putc(b, '\'');
        wr_buf_putc(b, *p);
    }
    wr_buf_putc(b, '\'');
}

static void put_qualified(wr_buf *b, const char *name)
{
    wr_buf_puts(b, "`default_catalog`.`default_database`.");
    put_ident(b, name);
}

/* SHOW CREATE TABLE: DDL that creates the table again. */
static char *create_table_text(const wr_table *t)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "CREATE %sTABLE ", t->temporary ? "TEMPORARY " : "");
    put_qualified(&b, t->name);
    wr_buf_puts(&b, " (\n");
    int total = t->schema->ncols + t->ncomputed + t->nmetadata;
    for (int i = 0, phys = 0, k = 0, m = 0; i < total; i++) {
        wr_buf_puts(&b, "  ");
        if (k < t->ncomputed && t->computed[k].position == i) {
            put_ident(&b, t->computed[k].name);
            wr_buf_printf(&b, " AS %s", t->computed[k++].expr);
        } else if (m < t->nmetadata && t->metadata[m].position == i) {
            const wr_metadata_column *mc = &t->metadata[m++];
            put_ident(&b, mc->name);
            wr_buf_putc(&b, ' ');
            wr_type_format(mc->type, &b);
            wr_buf_puts(&b, " METADATA");
            if (mc->from) {
                wr_buf_puts(&b, " FROM ");
                put_string(&b, mc->key);
            }
            if (mc->is_virtual) wr_buf_puts(&b, " VIRTUAL");
        } else {
            put_ident(&b, t->schema->names[phys]);
            wr_buf_putc(&b, ' ');
            wr_type_format(t->schema->types[phys++], &b); /* nested type names have no limit */
        }
        wr_buf_puts(&b, i + 1 < total || t->nprimary_key || t->watermark_column ? ",\n" : "\n");
    }
    if (t->watermark_column) {
        wr_buf_puts(&b, "  WATERMARK FOR ");
        put_ident(&b, t->watermark_column);
        wr_buf_printf(&b, " AS %s%s\n", t->watermark_expr, t->nprimary_key ? "," : "");
    }
    if (t->nprimary_key) {
        wr_buf_puts(&b, "  PRIMARY KEY (");
        for (int k = 0; k < t->nprimary_key; k++) {
            if (k) wr_buf_puts(&b, ", ");
            put_ident(&b, t->schema->names[t->primary_key[k]]);
        }
        wr_buf_puts(&b, ") NOT ENFORCED\n");
    }
    wr_buf_puts(&b, ")");
    if (t->npartition_keys) {
        wr_buf_puts(&b, " PARTITIONED BY (");
        for (int k = 0; k < t->npartition_keys; k++) {
            if (k) wr_buf_puts(&b, ", ");
            put_ident(&b, t->schema->names[t->partition_keys[k]]);
        }
        wr_buf_putc(&b, ')');
    }
    if (t->options.n) {
        wr_buf_puts(&b, " WITH (\n");
        for (int i = 0; i < t->options.n; i++) {
            wr_buf_puts(&b, "  ");
            put_string(&b, t->options.entries[i].key);
            wr_buf_puts(&b, " = ");
            put_string(&b, t->options.entries[i].value);
            wr_buf_puts(&b, i + 1 < t->options.n ? ",\n" : "\n");
        }
        wr_buf_puts(&b, ")");
    }
    wr_buf_putc(&b, '\n');
    return wr_buf_detach(&b);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SQL's LIKE on a name: % any run of characters, _ one byte; case-sensitive, as Flink's SHOW. */
static bool like(const char *s, const char *p)
{
    for (; *p; p++, s++) {
        if (*p == '%') {
            while (p[1] == '%') p++;
            for (const char *t = s;; t++) {
                if (like(t, p + 1)) return true;
                if (*t == '\0') return false;
            }
        }
        if (*s == '\0' || (*p != '_' && *p != *s)) return false;
    }
    return *s == '\0';
}

/* One column of names, sorted, duplicates dropped, filtered by the SHOW's [NOT] LIKE. */
static weir_result *names_result(const wr_ast_stmt *st, const char **names, int n,
                                 const char *column)
{
    qsort(names, (size_t)n, sizeof(*names), compare_names);
    const char *cols[] = {column};
    weir_result *r = text_result(cols, 1);
    for (int i = 0; i < n; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0) continue;
        if (st->show.like && like(names[i], st->show.like) == st->show.not_like) continue;
        const char *row[] = {names[i]};
        wr_result_add_text_row(r, row);
    }
    return r;
}

/* SHOW TABLES lists tables and views, SHOW VIEWS views only, sorted as Flink does. */
static weir_result *list_names(const wr_catalog *cat, const wr_ast_stmt *st, bool tables,
                               const char *column)
{
    int n = 0;
    const char **names = wr_malloc((size_t)(cat->ntables + cat->nviews + 1) * sizeof(const char *));
    for (int i = 0; tables && i < cat->ntables; i++) names[n++] = cat->tables[i]->name;
    for (int i = 0; i < cat->nviews; i++) names[n++] = cat->views[i]->name;
    weir_result *r = names_result(st, names, n, column);
    wr_free(names);
    return r;
}

typedef WR_VEC(char *) name_list;

static void add_builtin(const wr_func_def *def, void *arg)
{
    name_list *names = arg;
    char *lower = wr_strdup(def->name);
    for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
    WR_VEC_PUSH(names, lower);
}

/*
 * SHOW FUNCTIONS: built-in functions (in lower case, as Flink lists them) and
 * user functions (as created); SHOW USER FUNCTIONS only the latter.
 */
static weir_result *list_functions(const wr_catalog *cat, const wr_ast_stmt *st, bool builtins)
{
    name_list names = {0};
    if (builtins) {
        wr_func_each(add_builtin, &names);
        for (int k = 0; k < WR_AGG_KIND_COUNT_; k++) {
            const char *agg = wr_agg_name((wr_agg_kind)k);
            if (agg[0] == '$') continue; /* planner-internal */
            wr_func_def def = {.name = agg};
            add_builtin(&def, &names);
        }
    }
    for (int i = 0; i < cat->nfunctions; i++)
        WR_VEC_PUSH(&names, wr_strdup(cat->functions[i]->name));
    weir_result *r = names_result(st, (const char **)names.v, names.n, "function name");
    for (int i = 0; i < names.n; i++) wr_free(names.v[i]);
    WR_VEC_FREE(&names);
    return r;
}

/* DESCRIBE / SHOW COLUMNS: Flink's columns name, type, null, key, extras, watermark. */
static int describe(weir_session *s, const char *name, int pos, weir_result **out, wr_error *err)
{
    const wr_table *t = wr_catalog_find(&s->catalog, name);
    const wr_view *v = t ? NULL : wr_catalog_find_view(&s->catalog, name);
    if (t == NULL && v == NULL) return not_found(err, pos, "table or view", name);
    const wr_schema *schema = t ? t->schema : v->schema;
    static const char *names[] = {"name", "type", "null", "key", "extras", "watermark"};
    *out = text_result(names, 6);
    char key[512] = "";
    if (t && t->nprimary_key) {
        wr_buf b;
        wr_buf_init(&b);
        wr_buf_puts(&b, "PRI(");
        for (int k = 0; k < t->nprimary_key; k++)
            wr_buf_printf(&b, "%s%s", k ? ", " : "", schema->names[t->primary_key[k]]);
        wr_buf_puts(&b, ")");
        snprintf(key, sizeof(key), "%s", b.data);
        wr_buf_fini(&b);
    }
    int total = schema->ncols + (t ? t->ncomputed + t->nmetadata : 0);
    for (int i = 0, phys = 0, k = 0, m = 0; i < total; i++) {
        const wr_computed_column *cc =
            t && k < t->ncomputed && t->computed[k].position == i ? &t->computed[k++] : NULL;
        const wr_metadata_column *mc =
            !cc && t && m < t->nmetadata && t->metadata[m].position == i ? &t->metadata[m++] : NULL;
        bool is_phys = !cc && !mc;
        wr_type type = cc ? cc->type : mc ? mc->type : schema->types[phys];
        const char *col = cc ? cc->name : mc ? mc->name : schema->names[phys];
        bool in_key = false;
        for (int pk = 0; is_phys && t && pk < t->nprimary_key; pk++)
            in_key |= t->primary_key[pk] == phys;
        if (is_phys) phys++;
        bool nullable = type.nullable;
        type.nullable = true; /* the null column says it */
        char extras[600] = "";
        wr_buf tn; /* nested type names have no limit */
        wr_buf_init(&tn);
        wr_type_format(type, &tn);
        bool rowtime = t && t->watermark_column && strcmp(t->watermark_column, col) == 0;
        if (rowtime || type.attr == WR_ATTR_PROCTIME)
            wr_buf_puts(&tn, rowtime ? " *ROWTIME*" : " *PROCTIME*");
        if (cc) snprintf(extras, sizeof(extras), "AS %s", cc->expr);
        if (mc) /* Flink's form: FROM only when the key was written */
            snprintf(extras, sizeof(extras), "METADATA%s%s%s%s", mc->from ? " FROM '" : "",
                     mc->from ? mc->key : "", mc->from ? "'" : "",
                     mc->is_virtual ? " VIRTUAL" : "");
        const char *row[] = {col,
                             tn.data,
                             nullable ? "TRUE" : "FALSE",
                             in_key ? key : NULL,
                             cc || mc ? extras : NULL,
                             rowtime ? t->watermark_expr : NULL};
        wr_result_add_text_row(*out, row);
        wr_buf_fini(&tn);
    }
    return 0;
}

static int exec_show(weir_session *s, const wr_ast_stmt *st, weir_result **out, wr_error *err)
{
    const char *what = st->show.what;
    if (strcmp(what, "TABLES") == 0) {
        *out = list_names(&s->catalog, st, true, "table name");
    } else if (strcmp(what, "VIEWS") == 0) {
        *out = list_names(&s->catalog, st, false, "view name");
    } else if (strcmp(what, "FUNCTIONS") == 0 || strcmp(what, "USER FUNCTIONS") == 0) {
        *out = list_functions(&s->catalog, st, strcmp(what, "FUNCTIONS") == 0);
    } else if (strcmp(what, "CATALOGS") == 0) {
        *out = one_text("catalog name", "default_catalog");
    } else if (strcmp(what, "DATABASES") == 0) {
        *out = one_text("database name", "default_database");
    } else if (strcmp(what, "CURRENT CATALOG") == 0) {
        *out = one_text("current catalog name", "default_catalog");
    } else if (strcmp(what, "CURRENT DATABASE") == 0) {
        *out = one_text("current database name", "default_database");
    } else if (strcmp(what, "COLUMNS") == 0) {
        return describe(s, last_part(st->show.name_parts, st->show.nname_parts), st->pos, out, err);
    } else if (strcmp(what, "CREATE TABLE") == 0 || strcmp(what, "CREATE VIEW") == 0) {
        bool want_view = strcmp(what, "CREATE VIEW") == 0;
        const char *name = last_part(st->show.name_parts, st->show.nname_parts);
        const wr_table *t = wr_catalog_find(&s->catalog, name);
        const wr_view *v = wr_catalog_find_view(&s->catalog, name);
        if (t == NULL && v == NULL)
            return not_found(err, st->pos, want_view ? "view" : "table", name);
        if (want_view != (v != NULL))
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos,
                                   "'%s' is a %s: use SHOW CREATE %s", name, v ? "view" : "table",
                                   v ? "VIEW" : "TABLE");
        char *text;
        if (t) {
            text = create_table_text(t);
        } else {
            wr_buf b;
            wr_buf_init(&b);
            wr_buf_printf(&b, "CREATE %sVIEW ", v->temporary ? "TEMPORARY " : "");
            put_qualified(&b, v->name);
            wr_buf_printf(&b, " AS\n%s\n", v->text);
            text = wr_buf_detach(&b);
        }
        *out = one_text("result", text);
        wr_free(text);
    } else {
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos, "SHOW %s is not supported yet",
                               what);
    }
    return 0;
}

/* Options the session itself reads; checked where SET wrote them. */
static int check_session_config(const wr_config *config, wr_error *err)
{
    static const char *const result_modes[] = {"tableau", "table", "changelog", NULL};
    int mode;
    return wr_config_get_enum(config, "sql-client.execution.result-mode", result_modes, 0, &mode,
                              err);
}

static int exec_set(weir_session *s, const wr_ast_stmt *st, weir_result **out, wr_error *err)
{
    if (st->set.key == NULL) {
        static const char *names[] = {"key", "value"};
        *out = text_result(names, 2);
        for (int i = 0; i < s->config.n; i++) {
            const char *row[] = {s->config.entries[i].key, s->config.entries[i].value};
            wr_result_add_text_row(*out, row);
        }
        return 0;
    }
    /* Check the value where it was written; keep it without positions, since
     * later statements may come from another text. */
    wr_config check;
    wr_config_init(&check);
    wr_config_copy(&check, &s->config);
    wr_config_set(&check, st->set.key, st->set.value, st->set.key_pos, st->set.value_pos);
    int rc = wr_job_check_config(&check, err);
    if (rc == 0) rc = wr_coordinator_check_config(&check, err);
    if (rc == 0) rc = check_session_config(&check, err);
    wr_config_fini(&check);
    if (rc) return rc;
    wr_config_set(&s->config, st->set.key, st->set.value, -1, -1);
    return 0;
}

/*
 * ALTER TABLE: SET / RESET options (the table must still validate with its
 * connector, checked on a copy first) or RENAME TO.
 */
static int exec_alter_table(weir_session *s, const wr_ast_stmt *st, wr_error *err)
{
    const char *name = last_part(st->alter_table.name_parts, st->alter_table.nname_parts);
    wr_table *t = wr_catalog_find(&s->catalog, name);
    if (t == NULL) {
        if (st->alter_table.if_exists) return 0;
        return not_found(err, st->alter_table.name_pos, "table", name);
    }
    if (st->alter_table.action == WR_ALTER_RENAME) {
        const char *to = last_part(st->alter_table.new_name_parts, st->alter_table.nnew_name_parts);
        if (wr_catalog_find(&s->catalog, to) || wr_catalog_find_view(&s->catalog, to))
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->alter_table.new_name_pos,
                                   "a table or view named '%s' already exists", to);
        wr_free(t->name);
        t->name = wr_strdup(to);
        return 0;
    }
    if (t->mem)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->alter_table.name_pos,
                               "table '%s' is stored by Weir and has no options to change", name);
    wr_config next;
    wr_config_init(&next);
    for (int i = 0; i < t->options.n; i++)
        wr_config_set(&next, t->options.entries[i].key, t->options.entries[i].value, -1, -1);
    for (int i = 0; i < st->alter_table.noptions; i++) {
        const wr_ast_option *o = &st->alter_table.options[i];
        if (st->alter_table.action == WR_ALTER_SET)
            wr_config_set(&next, o->key, o->value, o->key_pos, o->value_pos);
        else
            wr_config_unset(&next, o->key);
    }
    /* Validate the new options against the table's schema, as CREATE TABLE does. */
    wr_config old = t->options;
    t->options = next;
    int rc = check_connector(s, t, st, err);
    if (rc) {
        t->options = old;
        wr_config_fini(&next);
        return rc;
    }
    wr_config_fini(&old);
    for (int i = 0; i < t->options.n; i++) t->options.entries[i].key_pos = -1;
    for (int i = 0; i < t->options.n; i++) t->options.entries[i].value_pos = -1;
    return 0;
}

/* USE: Weir has one catalog and database, default_catalog.default_database. */
static int exec_use(const wr_ast_stmt *st, wr_error *err)
{
    const char *want[2] = {"default_catalog", "default_database"};
    int n = st->use.nname_parts;
    for (int i = 0; i < n; i++) {
        const char *expect = st->use.catalog ? want[0] : want[2 - n + i];
        if (strcmp(st->use.name_parts[i], expect) != 0)
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->use.name_pos,
                                   "%s '%s' does not exist: Weir has default_catalog and its "
                                   "default_database only",
                                   st->use.catalog || (n == 2 && i == 0) ? "catalog" : "database",
                                   st->use.name_parts[i]);
    }
    return 0;
}

static int exec_stmt(weir_session *s, const char *sql, const wr_ast_stmt *st, weir_result **out,
                     wr_error *err)
{
    *out = NULL;
    switch (st->kind) {
    case WR_STMT_CREATE_TABLE:
        return exec_create_table(s, sql, st, NULL, err);
    case WR_STMT_CREATE_VIEW:
        return exec_create_view(s, sql, st, err);
    case WR_STMT_DROP:
        return exec_drop(s, st, err);
    case WR_STMT_SET:
        return exec_set(s, st, out, err);
    case WR_STMT_RESET:
        if (st->set.key)
            wr_config_unset(&s->config, st->set.key);
        else {
            wr_config_fini(&s->config);
            wr_config_init(&s->config);
        }
        return 0;
    case WR_STMT_INSERT: {
        wr_ast_stmt *const one[] = {(wr_ast_stmt *)st};
        return exec_inserts(s, one, 1, err);
    }
    case WR_STMT_STATEMENT_SET:
        return exec_inserts(s, st->statement_set.stmts, st->statement_set.nstmts, err);
    case WR_STMT_QUERY:
        return exec_query(s, st->query.query, out, err);
    case WR_STMT_EXPLAIN:
        return exec_explain(s, st, out, err);
    case WR_STMT_SHOW:
        return exec_show(s, st, out, err);
    case WR_STMT_DESCRIBE:
        return describe(s, last_part(st->describe.name_parts, st->describe.nname_parts),
                        st->describe.name_pos, out, err);
    case WR_STMT_ALTER_TABLE:
        return exec_alter_table(s, st, err);
    case WR_STMT_USE:
        return exec_use(st, err);
    case WR_STMT_NOOP:
        /* SQLite's index statements: Weir plans without indexes. */
        return 0;
    case WR_STMT_CREATE_FUNCTION:
        return exec_create_function(s, st, err);
    }
    return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos, "this statement is not supported yet");
}

static void set_error(weir_session *s, const wr_error *err, const char *text, const char *name)
{
    char rendered[8192];
    wr_error_render(err, text, rendered, sizeof(rendered));
    wr_buf b;
    wr_buf_init(&b);
    if (name && err->offset >= 0) wr_buf_printf(&b, "%s: ", name);
    wr_buf_puts(&b, rendered);
    wr_free(s->error);
    s->error = wr_buf_detach(&b);
}

/* Clears what the previous call left: flags, savepoint, error. */
static void start_call(weir_session *s)
{
    atomic_store(&s->cancel, false);
    atomic_store(&s->stop, false);
    wr_free(s->savepoint);
    s->savepoint = NULL;
    wr_free(s->error);
    s->error = wr_strdup("");
}

/*
 * After a syntax error at or after from: the offset just past the next ';'
 * (the lexer skips those in strings and comments), or the end of sql. A byte
 * that starts no token is stepped over; an unterminated string, identifier
 * or comment runs to the end.
 */
static int skip_statement(const char *sql, int from)
{
    int len = (int)strlen(sql);
    wr_lexer lex;
    wr_lex_init(&lex, sql, len, from);
    wr_lex_token tok;
    wr_error err;
    wr_error_init(&err);
    for (;;) {
        if (wr_lex_next(&lex, &tok, &err) != 0) {
            char c = sql[tok.pos], next = sql[tok.pos + 1];
            if (c == '`' && next == '`') { /* `` names nothing, but ends nothing either */
                wr_lex_init(&lex, sql, len, tok.pos + 2);
                continue;
            }
            if (c == '\'' || c == '`' || (c == '/' && next == '*')) return len;
            wr_lex_init(&lex, sql, len, tok.pos + 1);
            continue;
        }
        if (tok.kind == WR_TOK_EOF) return len;
        if (tok.kind == WR_TOK_SEMI) return tok.pos + 1;
    }
}

/*
 * Parses and runs the statement at *offset. Returns 1 when one ran (its rows,
 * if any, in *result), 0 at the end of sql, or an error with err filled; *offset
 * then lies past the failed statement.
 */
static int run_next(weir_session *s, const char *sql, int *offset, weir_result **result,
                    wr_error *err)
{
    wr_arena arena;
    wr_arena_init(&arena, 8192);
    wr_ast_stmt *st = NULL;
    *result = NULL;
    int got = wr_sql_parse_next(sql, offset, &arena, &st, err);
    if (got < 0) {
        *offset = skip_statement(sql, WR_MAX(*offset, err->offset));
    } else if (got > 0) {
        int rc = exec_stmt(s, sql, st, result, err);
        if (rc) got = rc;
    }
    wr_arena_fini(&arena);
    return got;
}

/*
 * Runs every statement of sql in order, handing each result to take (which
 * takes ownership of it). Stops at the first error and renders it.
 */
static int run_script(weir_session *s, const char *sql, const char *name,
                      void (*take)(void *arg, weir_result *result), void *arg)
{
    wr_error err;
    wr_error_init(&err);
    start_call(s);
    int offset = 0, rc;
    for (;;) {
        weir_result *result = NULL;
        rc = run_next(s, sql, &offset, &result, &err);
        if (result) take(arg, result);
        if (rc <= 0) break;
    }
    if (rc) set_error(s, &err, sql, name);
    return rc;
}

int weir_exec_next(weir_session *s, const char *sql, const char *name, int *offset,
                   weir_result **result)
{
    wr_error err;
    wr_error_init(&err);
    start_call(s);
    weir_result *r = NULL;
    int rc = run_next(s, sql, offset, &r, &err);
    if (rc < 0) set_error(s, &err, sql, name);
    if (result)
        *result = r;
    else
        weir_result_free(r);
    return rc;
}

typedef struct each_ctx {
    weir_result_fn fn;
    void *arg;
} each_ctx;

static void take_each(void *arg, weir_result *result)
{
    each_ctx *ctx = arg;
    if (ctx->fn) ctx->fn(ctx->arg, result);
    weir_result_free(result);
}

int weir_exec_each(weir_session *s, const char *sql, const char *name, weir_result_fn fn, void *arg)
{
    each_ctx ctx = {fn, arg};
    return run_script(s, sql, name, take_each, &ctx);
}

static void take_last(void *arg, weir_result *result)
{
    weir_result **last = arg;
    weir_result_free(*last);
    *last = result;
}

int weir_exec(weir_session *s, const char *sql, const char *name, weir_result **result)
{
    weir_result *last = NULL;
    int rc = run_script(s, sql, name, take_last, &last);
    if (rc || result == NULL) {
        weir_result_free(last);
        last = NULL;
    }
    if (result) *result = last;
    return rc;
}

int weir_session_create_function(weir_session *s, const char *name, const weir_udf *udf)
{
    wr_error err;
    wr_error_init(&err);
    start_call(s);
    int rc = check_function_name(name, -1, &err);
    if (rc == 0 && wr_catalog_find_function(&s->catalog, name))
        rc = function_exists(s, name, -1, &err);
    if (rc == 0) {
        wr_userfunc *fn = wr_userfunc_new(name, udf, NULL, -1, &err);
        if (fn)
            wr_catalog_add_function(&s->catalog, fn);
        else
            rc = err.code;
    }
    if (rc) set_error(s, &err, NULL, NULL);
    return rc;
}

int weir_session_drop_function(weir_session *s, const char *name)
{
    wr_error err;
    wr_error_init(&err);
    start_call(s);
    if (name && wr_catalog_drop_function(&s->catalog, name)) return 0;
    wr_error_set(&err, WR_ERR_VALIDATION, "function '%s' does not exist", name ? name : "(null)");
    set_error(s, &err, NULL, NULL);
    return err.code;
}

void weir_session_set_resume(weir_session *session, bool resume)
{
    session->resume = resume;
}

/* ---- for the Table API (session_int.h) ---------------------------------------- */

wr_catalog *wr_session_catalog(weir_session *s)
{
    return &s->catalog;
}

const wr_config *wr_session_config(const weir_session *s)
{
    return &s->config;
}

int wr_session_create_source_table(weir_session *s, const char *ddl, const wr_table_source *source,
                                   wr_error *err)
{
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_ast_stmt *st = NULL, *more = NULL;
    int offset = 0;
    int rc = wr_sql_parse_next(ddl, &offset, &arena, &st, err);
    if (rc == 1) {
        int end = offset;
        if (st->kind != WR_STMT_CREATE_TABLE || st->create_table.noptions ||
            st->create_table.like_parts)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, st->pos,
                                 "expected columns, a WATERMARK or a PRIMARY KEY only");
        else if (wr_sql_parse_next(ddl, &offset, &arena, &more, err) != 0)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, end,
                                 "expected columns, a WATERMARK or a PRIMARY KEY only");
        else
            rc = exec_create_table(s, ddl, st, source, err);
    } else if (rc == 0) {
        rc = wr_error_set(err, WR_ERR_INTERNAL, "no CREATE TABLE statement");
    }
    wr_arena_fini(&arena);
    return rc;
}

int wr_session_plan_insert(weir_session *s, const wr_ast_stmt *st, wr_jobgraph *graph,
                           const wr_config *job, wr_error *err)
{
    wr_ast_stmt *const one[] = {(wr_ast_stmt *)st};
    wr_ast_stmt *const *inserts = one;
    int n = 1;
    if (st->kind == WR_STMT_STATEMENT_SET) {
        inserts = st->statement_set.stmts;
        n = st->statement_set.nstmts;
    }
    txn_list txns = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const wr_ast_stmt *ins = inserts[i];
        const char *name = last_part(ins->insert.table_parts, ins->insert.ntable_parts);
        const wr_table *t = wr_catalog_find(&s->catalog, name);
        /* Its rows would become visible only in this session, after a job it does not run. */
        if (t && t->mem)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, ins->insert.table_pos,
                                 "table '%s' is stored by Weir, and an INSERT that joins a "
                                 "DataStream job writes to tables with a connector only",
                                 name);
        else
            rc = plan_insert(s, job, ins, graph, &txns, NULL, NULL, err);
    }
    assert(txns.n == 0);
    txns_end(&txns, false);
    return rc;
}
