/*
 * session.c — the public API (weir.h): statements in, jobs run, rows out.
 *
 * A session owns the catalog and the configuration that SET changes. Each
 * statement is parsed, bound and planned in turn; INSERT and SELECT build a
 * job graph and run it to completion (or cancellation) before the next
 * statement starts, as Flink's SQL client does with 'table.dml-sync'.
 */
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../checkpoint/coordinator.h"
#include "../connectors/connector.h"
#include "../runtime/job.h"
#include "../sql/parser.h"
#include "../sql/plan.h"
#include "result.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct weir_session {
    wr_catalog catalog;
    wr_config config;
    atomic_bool cancel;
    atomic_bool stop; /* stop with a savepoint */
    bool resume;      /* jobs start from their latest checkpoint */
    char *savepoint;  /* the last savepoint a stop wrote */
    char *error;      /* rendered last error */
};

weir_session *weir_session_new(void)
{
    weir_session *s = wr_calloc(1, sizeof(*s));
    wr_catalog_init(&s->catalog);
    wr_config_init(&s->config);
    atomic_init(&s->cancel, false);
    atomic_init(&s->stop, false);
    s->error = wr_strdup("");
    return s;
}

void weir_session_free(weir_session *s)
{
    if (s == NULL) return;
    wr_catalog_fini(&s->catalog);
    wr_config_fini(&s->config);
    wr_free(s->error);
    wr_free(s->savepoint);
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

/* ---- statements ------------------------------------------------------------ */

static const char *last_part(const char **parts, int n)
{
    return parts[n - 1];
}

static int exec_create_table(weir_session *s, const wr_ast_stmt *st, wr_error *err)
{
    const char *name = last_part(st->create_table.name_parts, st->create_table.nname_parts);
    if (wr_catalog_find(&s->catalog, name)) {
        if (st->create_table.if_not_exists) return 0;
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.name_pos,
                               "table '%s' already exists", name);
    }
    if (st->create_table.watermark_column)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.watermark_pos,
                               "WATERMARK is not supported yet");
    wr_table *t = wr_calloc(1, sizeof(*t));
    t->name = wr_strdup(name);
    t->schema = wr_schema_new();
    wr_config_init(&t->options);
    int rc = 0;
    for (int i = 0; i < st->create_table.ncolumns && rc == 0; i++) {
        const wr_ast_column_def *c = &st->create_table.columns[i];
        wr_type type;
        if (c->computed || c->metadata)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos,
                                 "computed and metadata columns are not supported yet");
        else if (wr_schema_find(t->schema, c->name) >= 0)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos, "duplicate column '%s'", c->name);
        else if (!wr_bind_type(&c->type, &type, err))
            rc = err->code;
        else
            wr_schema_add(t->schema, c->name, type);
    }
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
    for (int i = 0; i < st->create_table.noptions && rc == 0; i++) {
        const wr_ast_option *o = &st->create_table.options[i];
        if (wr_config_find(&t->options, o->key))
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, o->key_pos, "option '%s' is given twice",
                                 o->key);
        else
            wr_config_set(&t->options, o->key, o->value, o->key_pos, o->value_pos);
    }
    if (rc == 0) {
        /* Validate the options now, where the user wrote them. */
        wr_config_entry *ce = wr_config_find(&t->options, "connector");
        const wr_connector *conn = ce ? wr_connector_find(ce->value) : NULL;
        if (ce == NULL)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, st->create_table.name_pos,
                                 "table '%s' has no 'connector' option; available connectors: %s",
                                 name, wr_connector_names());
        else if (conn == NULL)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, ce->value_pos,
                                 "unknown connector '%s'; available connectors: %s", ce->value,
                                 wr_connector_names());
        else {
            /*
             * A table is valid when it can be read or written (a filesystem directory that
             * does not exist yet can still be written). When neither works, the source's
             * complaint is reported, else the sink's.
             */
            wr_operator_spec spec = {0};
            rc = conn->make_source
                     ? conn->make_source(t->schema, &t->options, &s->config, &spec, err)
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
        }
    }
    if (rc) {
        wr_table_free(t);
        return rc;
    }
    /* The options were checked against this text; later statements come from others. */
    for (int i = 0; i < t->options.n; i++) t->options.entries[i].key_pos = -1;
    for (int i = 0; i < t->options.n; i++) t->options.entries[i].value_pos = -1;
    wr_catalog_add(&s->catalog, t);
    return 0;
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

static int exec_insert(weir_session *s, const wr_ast_stmt *st, wr_error *err)
{
    const char *name = last_part(st->insert.table_parts, st->insert.ntable_parts);
    const wr_table *sink = wr_catalog_find(&s->catalog, name);
    if (sink == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->insert.table_pos,
                               "table '%s' not found in default_catalog.default_database", name);
    if (st->insert.columns)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->insert.table_pos,
                               "INSERT with a column list is not supported yet");
    if (st->insert.overwrite)
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos,
                               "INSERT OVERWRITE is not supported in streaming mode");
    wr_plan *plan = wr_bind_query(st->insert.query, &s->catalog, err);
    if (plan == NULL) return err->code;
    plan = wr_bind_insert(plan, sink, st->insert.query, err);
    if (plan == NULL) return err->code;
    char def[256];
    snprintf(def, sizeof(def), "insert-into_default_catalog.default_database.%s", name);
    wr_jobgraph *graph = wr_jobgraph_new(job_name(s, def));
    int par, rc = 0;
    int v = wr_plan_translate(plan, graph, &s->config, &par, err);
    if (v < 0) rc = v;
    if (rc == 0 && (v = wr_plan_add_sink(graph, v, par, sink, &s->config, err)) < 0) rc = v;
    wr_plan_free(plan);
    if (rc) {
        wr_jobgraph_free(graph);
        return rc;
    }
    return run_job(s, graph, err);
}

static int exec_query(weir_session *s, const wr_ast_query *q, weir_result **out, wr_error *err)
{
    wr_plan *plan = wr_bind_query(q, &s->catalog, err);
    if (plan == NULL) return err->code;
    weir_result *result = wr_result_new(plan->schema);
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

static int exec_explain(weir_session *s, const wr_ast_stmt *st, weir_result **out, wr_error *err)
{
    const wr_ast_stmt *inner = st->explain.stmt;
    const wr_ast_query *q = NULL;
    const wr_table *sink = NULL;
    if (inner->kind == WR_STMT_QUERY) {
        q = inner->query.query;
    } else if (inner->kind == WR_STMT_INSERT) {
        q = inner->insert.query;
        const char *name = last_part(inner->insert.table_parts, inner->insert.ntable_parts);
        if (!(sink = wr_catalog_find(&s->catalog, name)))
            return wr_error_set_at(err, WR_ERR_VALIDATION, inner->insert.table_pos,
                                   "table '%s' not found in default_catalog.default_database",
                                   name);
    } else {
        return wr_error_set_at(err, WR_ERR_VALIDATION, inner->pos,
                               "EXPLAIN supports queries and INSERT statements");
    }
    wr_plan *plan = wr_bind_query(q, &s->catalog, err);
    if (plan && sink) plan = wr_bind_insert(plan, sink, q, err);
    if (plan == NULL) return err->code;
    wr_buf text;
    wr_buf_init(&text);
    wr_buf_puts(&text, "== Logical Plan ==\n");
    if (sink) wr_buf_printf(&text, "Sink(table=[%s])\n", sink->name);
    wr_plan_explain(plan, &text);
    wr_jobgraph *graph = wr_jobgraph_new("explain");
    int par;
    int v = wr_plan_translate(plan, graph, &s->config, &par, err);
    int rc = v < 0 ? v : 0;
    if (rc == 0 && sink && (v = wr_plan_add_sink(graph, v, par, sink, &s->config, err)) < 0) rc = v;
    if (rc == 0) {
        wr_buf_puts(&text, "\n== Job Graph ==\n");
        wr_jobgraph_describe(graph, &s->config, &text);
        static const char *names[] = {"plan"};
        *out = text_result(names, 1);
        const char *row[] = {text.data};
        wr_result_add_text_row(*out, row);
    }
    wr_jobgraph_free(graph);
    wr_plan_free(plan);
    wr_buf_fini(&text);
    return rc;
}

static int exec_stmt(weir_session *s, const wr_ast_stmt *st, weir_result **out, wr_error *err)
{
    *out = NULL;
    switch (st->kind) {
    case WR_STMT_CREATE_TABLE:
        return exec_create_table(s, st, err);
    case WR_STMT_DROP: {
        const char *name = last_part(st->drop.name_parts, st->drop.nname_parts);
        if (strcmp(st->drop.what, "TABLE") != 0)
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos, "DROP %s is not supported yet",
                                   st->drop.what);
        if (!wr_catalog_drop(&s->catalog, name) && !st->drop.if_exists)
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->drop.name_pos,
                                   "table '%s' does not exist", name);
        return 0;
    }
    case WR_STMT_SET:
        if (st->set.key == NULL) {
            static const char *names[] = {"key", "value"};
            *out = text_result(names, 2);
            for (int i = 0; i < s->config.n; i++) {
                const char *row[] = {s->config.entries[i].key, s->config.entries[i].value};
                wr_result_add_text_row(*out, row);
            }
            return 0;
        }
        {
            /* Check the value where it was written; keep it without positions, since
             * later statements may come from another text. */
            wr_config check;
            wr_config_init(&check);
            wr_config_copy(&check, &s->config);
            wr_config_set(&check, st->set.key, st->set.value, st->set.key_pos, st->set.value_pos);
            int rc = wr_job_check_config(&check, err);
            if (rc == 0) rc = wr_coordinator_check_config(&check, err);
            wr_config_fini(&check);
            if (rc) return rc;
            wr_config_set(&s->config, st->set.key, st->set.value, -1, -1);
            return 0;
        }
    case WR_STMT_RESET:
        if (st->set.key)
            wr_config_unset(&s->config, st->set.key);
        else {
            wr_config_fini(&s->config);
            wr_config_init(&s->config);
        }
        return 0;
    case WR_STMT_INSERT:
        return exec_insert(s, st, err);
    case WR_STMT_QUERY:
        return exec_query(s, st->query.query, out, err);
    case WR_STMT_EXPLAIN:
        return exec_explain(s, st, out, err);
    case WR_STMT_SHOW:
        if (strcmp(st->show.what, "TABLES") == 0) {
            static const char *names[] = {"table name"};
            *out = text_result(names, 1);
            for (int i = 0; i < s->catalog.ntables; i++) {
                const char *row[] = {s->catalog.tables[i]->name};
                wr_result_add_text_row(*out, row);
            }
            return 0;
        }
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos, "SHOW %s is not supported yet",
                               st->show.what);
    case WR_STMT_DESCRIBE: {
        const char *name = last_part(st->describe.name_parts, st->describe.nname_parts);
        const wr_table *t = wr_catalog_find(&s->catalog, name);
        if (t == NULL)
            return wr_error_set_at(err, WR_ERR_VALIDATION, st->describe.name_pos,
                                   "table '%s' not found in default_catalog.default_database",
                                   name);
        static const char *names[] = {"name", "type", "null", "key"};
        *out = text_result(names, 4);
        for (int i = 0; i < t->schema->ncols; i++) {
            wr_type type = t->schema->types[i];
            type.nullable = true; /* the null column says it */
            char tn[64], key[64] = "";
            for (int k = 0; k < t->nprimary_key; k++)
                if (t->primary_key[k] == i)
                    snprintf(key, sizeof(key), "PRI(%s)", t->schema->names[i]);
            wr_type_name(type, tn, sizeof(tn));
            const char *row[] = {t->schema->names[i], tn,
                                 t->schema->types[i].nullable ? "TRUE" : "FALSE",
                                 key[0] ? key : NULL};
            wr_result_add_text_row(*out, row);
        }
        return 0;
    }
    default:
        return wr_error_set_at(err, WR_ERR_VALIDATION, st->pos,
                               "this statement is not supported yet");
    }
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

/*
 * Runs every statement of sql in order, handing each result to take (which
 * takes ownership of it). Stops at the first error and renders it.
 */
static int run_script(weir_session *s, const char *sql, const char *name,
                      void (*take)(void *arg, weir_result *result), void *arg)
{
    wr_error err;
    wr_error_init(&err);
    atomic_store(&s->cancel, false);
    atomic_store(&s->stop, false);
    wr_free(s->savepoint);
    s->savepoint = NULL;
    wr_free(s->error);
    s->error = wr_strdup("");
    int offset = 0, rc = 0;
    for (;;) {
        wr_arena arena;
        wr_arena_init(&arena, 8192);
        wr_ast_stmt *st = NULL;
        int got = wr_sql_parse_next(sql, &offset, &arena, &st, &err);
        if (got <= 0) {
            wr_arena_fini(&arena);
            rc = got;
            break;
        }
        weir_result *result = NULL;
        rc = exec_stmt(s, st, &result, &err);
        wr_arena_fini(&arena);
        if (result) take(arg, result);
        if (rc) break;
    }
    if (rc) set_error(s, &err, sql, name);
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

void weir_session_set_resume(weir_session *session, bool resume)
{
    session->resume = resume;
}
