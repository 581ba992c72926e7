/*
 * table.c — the Table API of include/weir.h: SQL queries over DataStreams, in one job.
 *
 * A table environment owns a SQL session (its catalog and SET options) and belongs to a
 * DataStream environment. A stream registered as a table is a catalog table with a
 * wr_table_source: when a plan is translated, its scan becomes a conversion vertex fed by
 * the stream's producers. A table is nothing but a query's text; the programmatic calls
 * compose SQL text over their input, so they bind and plan as SQL does. Turned into a
 * stream, a table is an external DataStream node (datastream_int.h) that binds, optimizes
 * and translates the query into the environment's job graph at weir_execute, against the
 * catalog as it is then; every query is also checked (bound and planned into a graph that
 * is thrown away) where the user made it, so errors point at the call that caused them.
 */
#include "../base/alloc.h"
#include "../base/vec.h"
#include "../connectors/connector.h"
#include "../ops/calc.h"
#include "../ops/udf.h"
#include "../ops/values.h"
#include "../sql/parser.h"
#include "../sql/plan.h"
#include "datastream_int.h"
#include "session_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A stream registered as a table: what its catalog entry's source reads. */
typedef struct stream_table {
    weir_table_env *tenv;
    weir_stream *stream;
    char *name;
    wr_table_source source;
} stream_table;

/* A node of the DataStream job: a table's rows (conversion) or INSERT statements. */
typedef struct table_node {
    weir_table_env *tenv;
    const char *what; /* the call that made it, for messages */
    char *sql;        /* a query, or INSERT / statement set text */
    bool insert_only; /* a conversion that must not see updates (weir_table_to_stream) */
} table_node;

struct weir_table_env {
    weir_env *env;
    weir_session *session;
    WR_VEC(weir_table *) tables;
    WR_VEC(stream_table *) streams;
    WR_VEC(table_node *) nodes;
    int unnamed; /* tables made by weir_table_from_stream so far */
    /*
     * While a plan is translated: the graph whose stream scans are real (the job's), or,
     * with standin, the graph of a check or EXPLAIN where a stream is an empty stand-in.
     * Scans of stream tables into any other graph fail (a SELECT run by the session).
     */
    wr_jobgraph *graph;
    bool standin;
    const wr_config *job; /* the configuration the plan is translated under */
};

struct weir_table {
    weir_table_env *tenv;
    char *sql;         /* the query */
    char *group_keys;  /* weir_table_group_by: the keys; sql is then the input's query */
    wr_schema *schema; /* columns as bound */
    char *explain;
};

/* ---- change kinds of DataStream rows ------------------------------------------------- */

weir_change weir_row_kind(const weir_row *row)
{
    return (weir_change)wr_batch_kind(row->batch, row->row);
}

void weir_set_kind(weir_out *out, weir_change kind)
{
    if (out == NULL || kind < WEIR_INSERT || kind > WEIR_DELETE) return;
    wr_batch_kinds(out->batch)[out->batch->count] = (uint8_t)kind;
}

/* ---- composed SQL text ------------------------------------------------------------ */

#define MAX_PARTS 4

/*
 * SQL text under construction, and where the user's texts lie in it (for error positions).
 * A part may also own a span of the text around it (from, to): errors there are shown at the
 * part's start (a DESCRIPTOR's error is the time column's).
 */
typedef struct query_text {
    wr_buf sql;
    struct {
        int start, len;
        const char *text;
        int from, to;
    } parts[MAX_PARTS];
    int nparts;
} query_text;

static void qt_init(query_text *q)
{
    memset(q, 0, sizeof(*q));
    wr_buf_init(&q->sql);
    wr_buf_puts(&q->sql, "");
}

static void qt_puts(query_text *q, const char *s)
{
    wr_buf_puts(&q->sql, s);
}

/* Appends a text the user gave; errors positioned in it are shown against it. */
static void qt_user(query_text *q, const char *text)
{
    if (q->nparts < MAX_PARTS) {
        q->parts[q->nparts].start = (int)q->sql.len;
        q->parts[q->nparts].len = (int)strlen(text);
        q->parts[q->nparts].from = q->parts[q->nparts].to = -1;
        q->parts[q->nparts++].text = text;
    }
    wr_buf_puts(&q->sql, text);
}

/* `name`, backquotes doubled; a name the user gave is one of their texts. */
static void qt_ident(query_text *q, const char *name, bool user)
{
    wr_buf_putc(&q->sql, '`');
    if (user && strchr(name, '`') == NULL) {
        qt_user(q, name);
    } else {
        for (const char *p = name; *p; p++) {
            if (*p == '`') wr_buf_putc(&q->sql, '`');
            wr_buf_putc(&q->sql, *p);
        }
    }
    wr_buf_putc(&q->sql, '`');
}

/* An interval literal of ms milliseconds (not negative). */
static void qt_interval(query_text *q, int64_t ms)
{
    wr_buf_printf(&q->sql, "INTERVAL '%" PRId64 ".%03" PRId64 "' SECOND", ms / 1000, ms % 1000);
}

/* ---- errors --------------------------------------------------------------------- */

static bool failed(weir_table_env *tenv)
{
    return wr_ds_failed(tenv->env);
}

static void fail(weir_table_env *tenv, const char *what, const char *fmt, ...) WR_PRINTF(3, 4);
static void fail(weir_table_env *tenv, const char *what, const char *fmt, ...)
{
    wr_error err;
    wr_error_init(&err);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
    va_end(ap);
    err.code = WR_ERR_ARGUMENT;
    wr_ds_fail(tenv->env, &err, NULL, what);
}

/*
 * An error of composed text q: shown against the user's text it lies in; elsewhere (in
 * what the call composed) without a position, followed by the composed query.
 */
static void fail_in(weir_table_env *tenv, const char *what, const wr_error *err,
                    const query_text *q)
{
    for (int i = 0; i < q->nparts && err->offset >= 0; i++) {
        int start = q->parts[i].start;
        bool in_span = err->offset >= q->parts[i].from && err->offset < q->parts[i].to;
        if ((err->offset >= start && err->offset <= start + q->parts[i].len) || in_span) {
            wr_error e = *err;
            e.offset = in_span ? 0 : e.offset - start;
            wr_ds_fail(tenv->env, &e, q->parts[i].text, what);
            return;
        }
    }
    wr_error e = *err;
    if (e.offset >= 0) {
        size_t len = strlen(e.msg);
        snprintf(e.msg + len, sizeof(e.msg) - len, " (in the query %s)", q->sql.data);
        e.offset = -1;
    }
    wr_ds_fail(tenv->env, &e, NULL, what);
}

/* An error of the session (already rendered). */
static void fail_session(weir_table_env *tenv, const char *what)
{
    wr_error err;
    wr_error_init(&err);
    wr_error_set(&err, WR_ERR_VALIDATION, "%s", weir_session_error(tenv->session));
    wr_ds_fail(tenv->env, &err, NULL, what);
}

/* Turns a positioned error into one rendered against text, for messages without a text. */
static int flatten(wr_error *err, const char *text, const char *what)
{
    char buf[WR_ERROR_MSG_MAX];
    if (err->offset >= 0)
        wr_error_render(err, text, buf, sizeof(buf));
    else
        snprintf(buf, sizeof(buf), "%s", err->msg);
    int code = err->code ? err->code : WR_ERR_INTERNAL;
    wr_error_set(err, code, "%s: %s", what, buf);
    return code;
}

/* ---- the environment ------------------------------------------------------------ */

static void table_free(weir_table *t)
{
    wr_free(t->sql);
    wr_free(t->group_keys);
    wr_schema_free(t->schema);
    wr_free(t->explain);
    wr_free(t);
}

static void tenv_free(void *obj)
{
    weir_table_env *tenv = obj;
    weir_session_free(tenv->session); /* its catalog borrows the stream tables' sources */
    for (int i = 0; i < tenv->tables.n; i++) table_free(tenv->tables.v[i]);
    for (int i = 0; i < tenv->streams.n; i++) {
        wr_free(tenv->streams.v[i]->name);
        wr_free(tenv->streams.v[i]);
    }
    for (int i = 0; i < tenv->nodes.n; i++) {
        wr_free(tenv->nodes.v[i]->sql);
        wr_free(tenv->nodes.v[i]);
    }
    WR_VEC_FREE(&tenv->tables);
    WR_VEC_FREE(&tenv->streams);
    WR_VEC_FREE(&tenv->nodes);
    wr_free(tenv);
}

weir_table_env *weir_table_env_new(weir_env *env)
{
    if (env == NULL || wr_ds_failed(env)) return NULL;
    weir_table_env *tenv = wr_calloc(1, sizeof(*tenv));
    tenv->env = env;
    tenv->session = weir_session_new();
    wr_ds_attach(env, tenv, tenv_free);
    return tenv;
}

/* The planner's configuration: the environment's, overlaid by the table environment's. */
static void job_config(weir_table_env *tenv, const wr_config *env_config, wr_config *out)
{
    wr_config_init(out);
    wr_config_copy(out, env_config);
    wr_config_copy(out, wr_session_config(tenv->session));
}

static int default_parallelism(const wr_config *job)
{
    int64_t p = 1;
    wr_error err;
    wr_error_init(&err);
    if (wr_config_get_int64(job, "parallelism.default", 1, &p, &err) || p < 1) p = 1;
    return (int)p;
}

static bool usable(weir_table_env *tenv)
{
    return tenv != NULL && !failed(tenv);
}

/* A text argument that must be there. */
static bool have_text(weir_table_env *tenv, const char *text, const char *what, const char *arg)
{
    if (text && text[0]) return true;
    fail(tenv, what, "%s is missing", arg);
    return false;
}

int weir_table_env_set(weir_table_env *tenv, const char *key, const char *value)
{
    if (!usable(tenv)) return -1;
    if (!have_text(tenv, key, "weir_table_env_set", "the key") ||
        !have_text(tenv, value, "weir_table_env_set", "the value"))
        return -1;
    /* As SET does it, so the value is checked the same way. */
    wr_buf sql;
    wr_buf_init(&sql);
    wr_buf_puts(&sql, "SET '");
    for (const char *p = key; *p; p++) {
        if (*p == '\'') wr_buf_putc(&sql, '\'');
        wr_buf_putc(&sql, *p);
    }
    wr_buf_puts(&sql, "' = '");
    for (const char *p = value; *p; p++) {
        if (*p == '\'') wr_buf_putc(&sql, '\'');
        wr_buf_putc(&sql, *p);
    }
    wr_buf_puts(&sql, "'");
    int rc = weir_exec(tenv->session, sql.data, NULL, NULL);
    wr_buf_fini(&sql);
    if (rc) fail_session(tenv, "weir_table_env_set");
    return rc ? -1 : 0;
}

/* ---- planning ------------------------------------------------------------------- */

/*
 * Parses sql, which must be one query, and binds and optimizes it; the plan is annotated
 * under job. Errors are positioned in sql.
 */
static wr_plan *plan_query(weir_table_env *tenv, const char *sql, const wr_config *job,
                           wr_buf *explain, wr_error *err)
{
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_ast_stmt *st = NULL, *more = NULL;
    wr_plan *plan = NULL;
    int offset = 0;
    int rc = wr_sql_parse_next(sql, &offset, &arena, &st, err);
    if (rc == 0) {
        wr_error_set_at(err, WR_ERR_PARSE, 0, "expected a query, but the text is empty");
    } else if (rc > 0 && st->kind != WR_STMT_QUERY) {
        wr_error_set_at(err, WR_ERR_VALIDATION, st->pos,
                        "expected a query (SELECT, VALUES, WITH, ...): DDL, SET and INSERT go "
                        "to weir_table_env_exec");
    } else if (rc > 0 && (rc = wr_sql_parse_next(sql, &offset, &arena, &more, err)) != 0) {
        if (rc > 0)
            wr_error_set_at(err, WR_ERR_PARSE, more->pos, "expected one query, but found more");
    } else if (rc == 0) {
        plan = wr_bind_query(st->query.query, wr_session_catalog(tenv->session), err);
        if (plan && explain) {
            wr_buf_puts(explain, "== Abstract Syntax Tree ==\n");
            wr_plan_explain(plan, explain);
        }
        if (plan) plan = wr_plan_optimize(plan);
        if (plan && wr_plan_annotate(plan, job, err)) {
            wr_plan_free(plan);
            plan = NULL;
        }
        if (plan && explain) {
            wr_buf_puts(explain, "\n== Optimized Physical Plan ==\n");
            wr_plan_explain(plan, explain);
        }
    }
    wr_arena_fini(&arena);
    return plan;
}

/* Translates into graph with stream tables as stand-ins (a check, or EXPLAIN). */
static int translate_standin(weir_table_env *tenv, wr_plan *plan, wr_jobgraph *graph,
                             const wr_config *job, wr_error *err)
{
    int par;
    tenv->graph = graph;
    tenv->standin = true;
    tenv->job = job;
    int v = wr_plan_translate(plan, graph, job, &par, err);
    tenv->graph = NULL;
    tenv->standin = false;
    tenv->job = NULL;
    return v < 0 ? v : 0;
}

/* "GroupAggregate (a GROUP BY ...) [user, cnt]": the node of plan that emits updates. */
static char *producer_text(const wr_plan *plan)
{
    const char *what = NULL;
    const wr_plan *p = wr_plan_update_producer(plan, &what);
    if (p == NULL) return NULL;
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "%s, with columns [", what);
    for (int i = 0; i < p->schema->ncols; i++)
        wr_buf_printf(&b, "%s%s", i ? ", " : "", p->schema->names[i]);
    wr_buf_puts(&b, "]");
    return wr_buf_detach(&b);
}

/* What checking a query found. */
typedef struct checked {
    wr_schema *schema;
    uint8_t changes;
    bool bounded;
    char *producer; /* producer_text */
} checked;

static void checked_fini(checked *c)
{
    wr_schema_free(c->schema);
    wr_free(c->producer);
}

/*
 * Binds and optimizes sql against the catalog as it is now and, with translate, plans it
 * into a graph that is thrown away (connector options, operators that cannot run). Fills
 * out, or returns an error positioned in sql.
 */
static int check_query(weir_table_env *tenv, const char *sql, bool translate, checked *out,
                       wr_error *err)
{
    memset(out, 0, sizeof(*out));
    wr_config job;
    job_config(tenv, wr_ds_config(tenv->env), &job);
    wr_plan *plan = plan_query(tenv, sql, &job, NULL, err);
    int rc = plan ? 0 : err->code;
    if (plan) {
        out->schema = wr_schema_copy(plan->schema);
        out->changes = plan->changes;
        out->bounded = plan->bounded;
        out->producer = producer_text(plan);
        wr_jobgraph *graph = wr_jobgraph_new("check");
        if (translate) rc = translate_standin(tenv, plan, graph, &job, err);
        wr_plan_free(plan);
        wr_jobgraph_free(graph);
    }
    wr_config_fini(&job);
    if (rc) checked_fini(out);
    return rc;
}

/*
 * Checks a query where it is made (translate: also planned; a window TVF alone may be
 * something only an aggregation over it can run, so it is planned when converted).
 * Returns the table, owned by the environment, or NULL with the error kept. Takes q's
 * text over.
 */
static weir_table *new_table(weir_table_env *tenv, const char *what, query_text *q,
                             const char *group_keys, bool translate)
{
    wr_error err;
    wr_error_init(&err);
    checked c;
    if (check_query(tenv, q->sql.data, translate, &c, &err)) {
        fail_in(tenv, what, &err, q);
        wr_buf_fini(&q->sql);
        return NULL;
    }
    weir_table *t = wr_calloc(1, sizeof(*t));
    t->tenv = tenv;
    t->schema = c.schema;
    wr_free(c.producer);
    t->sql = wr_buf_detach(&q->sql);
    if (group_keys) t->group_keys = wr_strdup(group_keys);
    WR_VEC_PUSH(&tenv->tables, t);
    return t;
}

/* ---- streams as tables ------------------------------------------------------------ */

/*
 * The scan of a stream table (wr_table_source): a Calc choosing the requested columns,
 * fed by the stream's producers, at their parallelism (so it chains) when they share one.
 */
static int scan_stream(void *arg, wr_jobgraph *graph, const wr_scan_request *req, int *par,
                       wr_error *err)
{
    stream_table *st = arg;
    weir_table_env *tenv = st->tenv;
    if (graph != tenv->graph)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "table '%s' reads a DataStream: query it with weir_table_sql, "
                            "whose rows join the job of its environment",
                            st->name);
    const wr_schema *ss = wr_ds_schema(st->stream);
    int n = req->ncolumns;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) types[i] = ss->types[req->columns[i]];
    int p = wr_ds_parallelism(st->stream);
    if (p == 0) p = default_parallelism(tenv->job);
    wr_buf name;
    wr_buf_init(&name);
    wr_buf_printf(&name, "%s(table=[%s], fields=[",
                  tenv->standin ? "DataStream" : "SourceConversion", st->name);
    for (int i = 0; i < n; i++)
        wr_buf_printf(&name, "%s%s", i ? ", " : "", ss->names[req->columns[i]]);
    wr_buf_puts(&name, "])");
    wr_operator_spec spec;
    if (tenv->standin) {
        spec = wr_values_spec(NULL, 0);
    } else {
        wr_expr **projs = wr_malloc(sizeof(wr_expr *) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) projs[i] = wr_expr_column(req->columns[i], types[i], -1);
        spec = wr_calc_spec(NULL, projs, n);
    }
    spec.parallelism = p;
    int v = wr_jobgraph_add(graph, name.data, &spec, types, n);
    wr_buf_fini(&name);
    wr_free(types);
    int rc = tenv->standin ? 0 : wr_ds_connect(st->stream, graph, v, p, err);
    *par = p;
    return rc ? rc : v;
}

static bool stream_bounded(void *arg)
{
    stream_table *st = arg;
    return wr_ds_bounded(st->stream);
}

/*
 * CREATE TEMPORARY TABLE `name` (<the stream's fields>, <extra>) with the stream as its
 * source. Errors are shown against extra when they lie in it.
 */
static int create_stream_table(weir_table_env *tenv, const char *what, const char *name,
                               weir_stream *stream, const char *extra)
{
    if (!usable(tenv)) return -1;
    if (stream == NULL) {
        fail(tenv, what, "the stream is NULL");
        return -1;
    }
    if (wr_ds_env(stream) != tenv->env) {
        fail(tenv, what, "the stream belongs to another environment");
        return -1;
    }
    stream_table *st = wr_calloc(1, sizeof(*st));
    st->tenv = tenv;
    st->stream = stream;
    st->name = wr_strdup(name);
    st->source.plan_scan = scan_stream;
    st->source.bounded = stream_bounded;
    st->source.arg = st;
    WR_VEC_PUSH(&tenv->streams, st);

    query_text q;
    qt_init(&q);
    qt_puts(&q, "CREATE TEMPORARY TABLE ");
    qt_ident(&q, name, true);
    qt_puts(&q, " (");
    const wr_schema *ss = wr_ds_schema(stream);
    for (int i = 0; i < ss->ncols; i++) {
        if (i) qt_puts(&q, ", ");
        qt_ident(&q, ss->names[i], false);
        qt_puts(&q, " ");
        wr_type_format(ss->types[i], &q.sql);
    }
    if (extra && extra[strspn(extra, " \t\r\n")]) {
        qt_puts(&q, ", ");
        qt_user(&q, extra);
    }
    qt_puts(&q, ")");
    wr_error err;
    wr_error_init(&err);
    int rc = wr_session_create_source_table(tenv->session, q.sql.data, &st->source, &err);
    if (rc) fail_in(tenv, what, &err, &q);
    wr_buf_fini(&q.sql);
    return rc ? -1 : 0;
}

int weir_table_env_create_view(weir_table_env *tenv, const char *name, weir_stream *stream,
                               const char *schema_extra)
{
    if (!usable(tenv) || !have_text(tenv, name, "weir_table_env_create_view", "the name"))
        return -1;
    return create_stream_table(tenv, "weir_table_env_create_view", name, stream, schema_extra);
}

weir_table *weir_table_from_stream(weir_table_env *tenv, weir_stream *stream,
                                   const char *schema_extra)
{
    if (!usable(tenv)) return NULL;
    char name[64];
    snprintf(name, sizeof(name), "UnnamedTable$%d", tenv->unnamed++);
    if (create_stream_table(tenv, "weir_table_from_stream", name, stream, schema_extra))
        return NULL;
    return weir_table_from(tenv, name);
}

/* ---- tables ----------------------------------------------------------------------- */

weir_table *weir_table_sql(weir_table_env *tenv, const char *query)
{
    if (!usable(tenv) || !have_text(tenv, query, "weir_table_sql", "the query")) return NULL;
    query_text q;
    qt_init(&q);
    qt_user(&q, query);
    return new_table(tenv, "weir_table_sql", &q, NULL, true);
}

weir_table *weir_table_from(weir_table_env *tenv, const char *name)
{
    if (!usable(tenv) || !have_text(tenv, name, "weir_table_from", "the name")) return NULL;
    query_text q;
    qt_init(&q);
    qt_puts(&q, "SELECT * FROM ");
    qt_ident(&q, name, true);
    return new_table(tenv, "weir_table_from", &q, NULL, true);
}

/* Whether in can be the input of a call: present, usable, and not grouped (unless allowed). */
static bool input_ok(weir_table *in, const char *what, bool grouped_ok)
{
    if (in == NULL || !usable(in->tenv)) return false;
    if (in->group_keys && !grouped_ok) {
        fail(in->tenv, what,
             "the table is grouped (weir_table_group_by): finish it with weir_table_select or "
             "weir_table_aggregate first");
        return false;
    }
    return true;
}

/* "(<in's query>) AS `alias`": a derived table, named for messages and qualified names. */
static void qt_input(query_text *q, const weir_table *in, const char *alias)
{
    qt_puts(q, "(");
    qt_puts(q, in->sql);
    qt_puts(q, ") AS ");
    qt_ident(q, alias, false);
}

weir_table *weir_table_select(weir_table *in, const char *exprs)
{
    static const char what[] = "weir_table_select";
    if (!input_ok(in, what, true) || !have_text(in->tenv, exprs, what, "the select list"))
        return NULL;
    query_text q;
    qt_init(&q);
    qt_puts(&q, "SELECT ");
    qt_user(&q, exprs);
    qt_puts(&q, " FROM ");
    qt_input(&q, in, "input");
    if (in->group_keys) {
        /* Flink's GroupedTable.select: keys and aggregates per group. */
        qt_puts(&q, " GROUP BY ");
        qt_user(&q, in->group_keys);
    }
    return new_table(in->tenv, what, &q, NULL, true);
}

weir_table *weir_table_filter(weir_table *in, const char *predicate)
{
    static const char what[] = "weir_table_filter";
    if (!input_ok(in, what, false) || !have_text(in->tenv, predicate, what, "the predicate"))
        return NULL;
    query_text q;
    qt_init(&q);
    qt_puts(&q, "SELECT * FROM ");
    qt_input(&q, in, "input");
    qt_puts(&q, " WHERE ");
    qt_user(&q, predicate);
    return new_table(in->tenv, what, &q, NULL, true);
}

/*
 * A grouped table keeps its input's query and the keys; they are checked now, as the
 * query that selects the keys per group.
 */
weir_table *weir_table_group_by(weir_table *in, const char *keys)
{
    static const char what[] = "weir_table_group_by";
    if (!input_ok(in, what, false) || !have_text(in->tenv, keys, what, "the keys")) return NULL;
    query_text q;
    qt_init(&q);
    qt_puts(&q, "SELECT ");
    qt_user(&q, keys);
    qt_puts(&q, " FROM ");
    qt_input(&q, in, "input");
    qt_puts(&q, " GROUP BY ");
    qt_user(&q, keys);
    weir_table *t = new_table(in->tenv, what, &q, keys, true);
    if (t) {
        wr_free(t->sql);
        t->sql = wr_strdup(in->sql);
    }
    return t;
}

weir_table *weir_table_aggregate(weir_table *grouped, const char *aggs)
{
    static const char what[] = "weir_table_aggregate";
    if (!input_ok(grouped, what, true) || !have_text(grouped->tenv, aggs, what, "the aggregates"))
        return NULL;
    if (grouped->group_keys == NULL) {
        fail(grouped->tenv, what, "the table is not grouped: call weir_table_group_by first");
        return NULL;
    }
    query_text q;
    qt_init(&q);
    qt_puts(&q, "SELECT ");
    qt_user(&q, grouped->group_keys);
    qt_puts(&q, ", ");
    qt_user(&q, aggs);
    qt_puts(&q, " FROM ");
    qt_input(&q, grouped, "input");
    qt_puts(&q, " GROUP BY ");
    qt_user(&q, grouped->group_keys);
    return new_table(grouped->tenv, what, &q, NULL, true);
}

static weir_table *join(weir_table *left, weir_table *right, const char *condition,
                        const char *kind, const char *what)
{
    if (!input_ok(left, what, false) || !input_ok(right, what, false) ||
        !have_text(left->tenv, condition, what, "the condition"))
        return NULL;
    if (left->tenv != right->tenv) {
        fail(left->tenv, what, "the tables belong to different table environments");
        return NULL;
    }
    /* The Table API names columns without qualifiers, as Flink's does: they must differ. */
    for (int i = 0; i < left->schema->ncols; i++)
        if (wr_schema_find(right->schema, left->schema->names[i]) >= 0) {
            fail(left->tenv, what,
                 "both tables have a column '%s'; rename one with weir_table_select first",
                 left->schema->names[i]);
            return NULL;
        }
    query_text q;
    qt_init(&q);
    qt_puts(&q, "SELECT * FROM ");
    qt_input(&q, left, "l");
    qt_puts(&q, kind);
    qt_input(&q, right, "r");
    qt_puts(&q, " ON ");
    qt_user(&q, condition);
    return new_table(left->tenv, what, &q, NULL, true);
}

weir_table *weir_table_join(weir_table *left, weir_table *right, const char *condition)
{
    return join(left, right, condition, " JOIN ", "weir_table_join");
}

weir_table *weir_table_left_join(weir_table *left, weir_table *right, const char *condition)
{
    return join(left, right, condition, " LEFT JOIN ", "weir_table_left_join");
}

/* A window's durations: what its kind needs is positive, the rest is zero or positive. */
static bool window_ok(weir_table_env *tenv, const weir_table_window_spec *w, const char *what)
{
    const char *need = NULL;
    int64_t bad = 0;
    switch (w->kind) {
    case WEIR_TABLE_TUMBLE:
        if (w->size_ms <= 0) need = "size_ms", bad = w->size_ms;
        break;
    case WEIR_TABLE_HOP:
    case WEIR_TABLE_CUMULATE:
        if (w->size_ms <= 0) need = "size_ms", bad = w->size_ms;
        if (w->slide_ms <= 0) need = "slide_ms", bad = w->slide_ms;
        break;
    case WEIR_TABLE_SESSION:
        if (w->gap_ms <= 0) need = "gap_ms", bad = w->gap_ms;
        break;
    default:
        fail(tenv, what, "unknown window kind %d", (int)w->kind);
        return false;
    }
    if (need) {
        fail(tenv, what, "%s must be positive, not %" PRId64, need, bad);
        return false;
    }
    if (w->offset_ms < 0) {
        fail(tenv, what, "offset_ms must not be negative, not %" PRId64, w->offset_ms);
        return false;
    }
    return true;
}

/*
 * WITH `weir_window_input` AS (<in>) SELECT * FROM TABLE(TUMBLE(TABLE `weir_window_input`,
 * DESCRIPTOR(`ts`), INTERVAL '10.000' SECOND)): a window TVF reads a named table, and a
 * CTE names the input's query.
 */
weir_table *weir_table_window(weir_table *in, const weir_table_window_spec *w)
{
    static const char what[] = "weir_table_window";
    static const char *const names[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    if (!input_ok(in, what, false)) return NULL;
    if (w == NULL) {
        fail(in->tenv, what, "the window is NULL");
        return NULL;
    }
    if (!have_text(in->tenv, w->time_column, what, "time_column") || !window_ok(in->tenv, w, what))
        return NULL;
    query_text q;
    qt_init(&q);
    qt_puts(&q, "WITH `weir_window_input` AS (");
    qt_puts(&q, in->sql);
    qt_puts(&q, ")");
    wr_buf_printf(&q.sql, " SELECT * FROM TABLE(%s(TABLE `weir_window_input`", names[w->kind]);
    if (w->kind == WEIR_TABLE_SESSION && w->partition_by && w->partition_by[0]) {
        qt_puts(&q, " PARTITION BY (");
        qt_user(&q, w->partition_by);
        qt_puts(&q, ")");
    }
    qt_puts(&q, ", ");
    int from = (int)q.sql.len;
    qt_puts(&q, "DESCRIPTOR(");
    qt_ident(&q, w->time_column, true);
    qt_puts(&q, ")");
    if (q.nparts && q.parts[q.nparts - 1].text == w->time_column) {
        q.parts[q.nparts - 1].from = from;
        q.parts[q.nparts - 1].to = (int)q.sql.len;
    }
    qt_puts(&q, ", ");
    switch (w->kind) {
    case WEIR_TABLE_TUMBLE:
        qt_interval(&q, w->size_ms);
        break;
    case WEIR_TABLE_HOP:
    case WEIR_TABLE_CUMULATE:
        qt_interval(&q, w->slide_ms); /* HOP's slide, CUMULATE's step */
        qt_puts(&q, ", ");
        qt_interval(&q, w->size_ms);
        break;
    case WEIR_TABLE_SESSION:
        qt_interval(&q, w->gap_ms);
        break;
    }
    if (w->offset_ms > 0 && w->kind != WEIR_TABLE_SESSION) {
        qt_puts(&q, ", ");
        qt_interval(&q, w->offset_ms);
    }
    qt_puts(&q, "))");
    return new_table(in->tenv, what, &q, NULL, false);
}

int weir_table_env_register(weir_table_env *tenv, const char *name, weir_table *table)
{
    static const char what[] = "weir_table_env_register";
    if (!usable(tenv) || !have_text(tenv, name, what, "the name") || !input_ok(table, what, false))
        return -1;
    if (table->tenv != tenv) {
        fail(tenv, what, "the table belongs to another table environment");
        return -1;
    }
    query_text q;
    qt_init(&q);
    qt_puts(&q, "CREATE TEMPORARY VIEW ");
    qt_ident(&q, name, true);
    qt_puts(&q, " AS ");
    qt_puts(&q, table->sql);
    int rc = weir_exec(tenv->session, q.sql.data, NULL, NULL);
    if (rc) fail_session(tenv, what);
    wr_buf_fini(&q.sql);
    return rc ? -1 : 0;
}

const char *weir_table_explain(weir_table *table)
{
    static const char what[] = "weir_table_explain";
    if (!input_ok(table, what, false)) return NULL;
    weir_table_env *tenv = table->tenv;
    wr_error err;
    wr_error_init(&err);
    wr_config job;
    job_config(tenv, wr_ds_config(tenv->env), &job);
    wr_buf text;
    wr_buf_init(&text);
    wr_plan *plan = plan_query(tenv, table->sql, &job, &text, &err);
    wr_jobgraph *graph = wr_jobgraph_new("explain");
    int rc = plan ? translate_standin(tenv, plan, graph, &job, &err) : err.code;
    if (rc == 0) {
        wr_buf_puts(&text, "\n== Job Graph ==\n");
        wr_jobgraph_describe(graph, &job, &text);
        wr_free(table->explain);
        table->explain = wr_buf_detach(&text);
    } else {
        wr_ds_fail(tenv->env, &err, table->sql, what);
    }
    wr_plan_free(plan);
    wr_jobgraph_free(graph);
    wr_buf_fini(&text);
    wr_config_fini(&job);
    return rc ? NULL : table->explain;
}

/* ---- tables as streams ---------------------------------------------------------------- */

/*
 * Record timestamps from a table's rowtime column, as Flink's toChangelogStream sets them:
 * the rows pass as they are (their columns aliased) with the timestamp array filled.
 * Watermarks are forwarded by the runtime.
 */
typedef struct stamp_spec {
    wr_type *types;
    int ncols;
    int col; /* a TIMESTAMP(p) or TIMESTAMP_LTZ(p) column: microseconds */
} stamp_spec;

typedef struct stamp_op {
    wr_operator base;
    const stamp_spec *spec;
    wr_batch *out;
} stamp_op;

static wr_operator *stamp_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int stamp_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static void stamp_destroy(wr_operator *op);

static const wr_operator_ops stamp_ops = {
    .kind = "to_datastream",
    .create = stamp_create,
    .process = stamp_process,
    .destroy = stamp_destroy,
};

static void stamp_spec_free(void *p)
{
    stamp_spec *spec = p;
    wr_free(spec->types);
    wr_free(spec);
}

static wr_operator *stamp_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const stamp_spec *spec = vspec;
    stamp_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &stamp_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->out = wr_batch_new(spec->types, spec->ncols, WR_BATCH_CAPACITY);
    return &op->base;
}

static int stamp_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    stamp_op *op = (stamp_op *)base;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    for (int c = 0; c < in->ncols; c++) {
        out->cols[c].data = in->cols[c].data;
        out->cols[c].validity = in->cols[c].validity;
    }
    out->count = in->count;
    out->kinds = in->kinds;
    int n = wr_batch_rows(in);
    if (in->sel) {
        out->sel = wr_batch_sel_buffer(out);
        memcpy(out->sel, in->sel, sizeof(uint32_t) * (size_t)n);
        out->nsel = n;
    }
    int64_t *ts = wr_batch_rowtimes(out);
    const wr_vector *v = &in->cols[op->spec->col];
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(in, i);
        int64_t us = ((const int64_t *)v->data)[r];
        /* Milliseconds, rounded down also before 1970. */
        ts[r] =
            wr_vector_is_null(v, r) ? WR_NO_TIMESTAMP : (us - ((us % 1000 + 1000) % 1000)) / 1000;
    }
    return wr_op_emit(base->ctx, out, err);
}

static void stamp_destroy(wr_operator *base)
{
    stamp_op *op = (stamp_op *)base;
    wr_batch_free(op->out);
    wr_free(op);
}

/* The one rowtime column of schema, or -1 (none, or several). */
static int rowtime_column(const wr_schema *schema)
{
    int col = -1;
    for (int i = 0; i < schema->ncols; i++) {
        if (schema->types[i].attr != WR_ATTR_ROWTIME) continue;
        if (col >= 0) return -1;
        col = i;
    }
    return col;
}

/* Translation of a table's conversion node (wr_ds_translate_fn). */
static int translate_table(void *arg, wr_jobgraph *graph, const wr_config *env_config, int *par,
                           wr_error *err)
{
    table_node *node = arg;
    weir_table_env *tenv = node->tenv;
    wr_config job;
    job_config(tenv, env_config, &job);
    int v = -1;
    wr_plan *plan = plan_query(tenv, node->sql, &job, NULL, err);
    if (plan && node->insert_only) {
        char *producer = producer_text(plan);
        if (producer)
            wr_error_set(err, WR_ERR_VALIDATION,
                         "the table produces updates (in %s): convert it with "
                         "weir_table_to_changelog_stream",
                         producer);
        wr_free(producer);
    }
    if (plan && err->code == 0) {
        tenv->graph = graph;
        tenv->job = &job;
        v = wr_plan_translate(plan, graph, &job, par, err);
        tenv->graph = NULL;
        tenv->job = NULL;
    }
    int col = plan && v >= 0 ? rowtime_column(plan->schema) : -1;
    if (col >= 0) {
        const wr_schema *s = plan->schema;
        stamp_spec *spec = wr_calloc(1, sizeof(*spec));
        spec->types = wr_malloc(sizeof(wr_type) * (size_t)s->ncols);
        memcpy(spec->types, s->types, sizeof(wr_type) * (size_t)s->ncols);
        spec->ncols = s->ncols;
        spec->col = col;
        wr_operator_spec op = {&stamp_ops, spec, stamp_spec_free, *par, false};
        int sv = wr_jobgraph_add(graph, "TableToDataStream", &op, s->types, s->ncols);
        wr_jobgraph_connect(graph, v, sv, WR_PART_FORWARD, NULL, 0);
        v = sv;
    }
    wr_plan_free(plan);
    wr_config_fini(&job);
    if (v < 0) return flatten(err, node->sql, node->what);
    return v;
}

static weir_stream *to_stream(weir_table *table, bool insert_only, const char *what)
{
    if (!input_ok(table, what, false)) return NULL;
    weir_table_env *tenv = table->tenv;
    /* Planned now, against the catalog as it is now: what fails here would fail the job. */
    wr_error err;
    wr_error_init(&err);
    checked c;
    if (check_query(tenv, table->sql, true, &c, &err)) {
        query_text q;
        qt_init(&q);
        qt_puts(&q, table->sql);
        fail_in(tenv, what, &err, &q);
        wr_buf_fini(&q.sql);
        return NULL;
    }
    if (insert_only && c.producer) {
        fail(tenv, what,
             "the table produces updates (in %s): convert it with "
             "weir_table_to_changelog_stream",
             c.producer);
        checked_fini(&c);
        return NULL;
    }
    bool bounded = c.bounded;
    checked_fini(&c);
    table_node *node = wr_calloc(1, sizeof(*node));
    node->tenv = tenv;
    node->what = what;
    node->sql = wr_strdup(table->sql);
    node->insert_only = insert_only;
    WR_VEC_PUSH(&tenv->nodes, node);
    /* The stream's fields are plain values: time attributes stay in SQL. */
    wr_schema *schema = wr_schema_copy(table->schema);
    for (int i = 0; i < schema->ncols; i++) schema->types[i].attr = 0;
    return wr_ds_external(tenv->env, insert_only ? "TableToDataStream" : "TableToChangelogStream",
                          schema, translate_table, node, bounded);
}

weir_stream *weir_table_to_changelog_stream(weir_table *table)
{
    return to_stream(table, false, "weir_table_to_changelog_stream");
}

weir_stream *weir_table_to_stream(weir_table *table)
{
    return to_stream(table, true, "weir_table_to_stream");
}

/* ---- statements ---------------------------------------------------------------------- */

/* Parses node->sql (INSERT statements) and plans them into graph under job. */
static int plan_inserts(weir_table_env *tenv, const char *sql, wr_jobgraph *graph,
                        const wr_config *job, bool standin, wr_error *err)
{
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_ast_stmt *st = NULL;
    int offset = 0;
    int rc = wr_sql_parse_next(sql, &offset, &arena, &st, err);
    if (rc > 0) {
        tenv->graph = graph;
        tenv->standin = standin;
        tenv->job = job;
        rc = wr_session_plan_insert(tenv->session, st, graph, job, err);
        tenv->graph = NULL;
        tenv->standin = false;
        tenv->job = NULL;
    } else if (WR_NEVER(rc == 0)) {
        rc = wr_error_set(err, WR_ERR_INTERNAL, "the INSERT statement is gone");
    }
    wr_arena_fini(&arena);
    return rc;
}

/* Translation of an INSERT node: its sinks read from it (nothing reads the node). */
static int translate_insert(void *arg, wr_jobgraph *graph, const wr_config *env_config, int *par,
                            wr_error *err)
{
    table_node *node = arg;
    wr_config job;
    job_config(node->tenv, env_config, &job);
    int rc = plan_inserts(node->tenv, node->sql, graph, &job, false, err);
    wr_config_fini(&job);
    if (rc) return flatten(err, node->sql, node->what);
    *par = 1;
    return graph->nvertices - 1;
}

/* An INSERT (or statement set) at [start, end) of sql: checked now, planned at execution. */
static int add_insert(weir_table_env *tenv, const char *sql, int start, int end)
{
    static const char what[] = "weir_table_env_exec";
    char *text = wr_strndup(sql + start, (size_t)(end - start));
    wr_error err;
    wr_error_init(&err);
    wr_config job;
    job_config(tenv, wr_ds_config(tenv->env), &job);
    wr_jobgraph *graph = wr_jobgraph_new("check");
    int rc = plan_inserts(tenv, text, graph, &job, true, &err);
    wr_jobgraph_free(graph);
    wr_config_fini(&job);
    if (rc) {
        if (err.offset >= 0) err.offset += start; /* shown in the whole text */
        wr_ds_fail(tenv->env, &err, sql, what);
        wr_free(text);
        return -1;
    }
    table_node *node = wr_calloc(1, sizeof(*node));
    node->tenv = tenv;
    node->what = "INSERT";
    node->sql = text;
    WR_VEC_PUSH(&tenv->nodes, node);
    /* Its sources may be connectors that never end: say so for the 'automatic' mode. */
    wr_ds_external(tenv->env, "Insert", wr_schema_new(), translate_insert, node, false);
    return 0;
}

int weir_table_env_exec(weir_table_env *tenv, const char *sql)
{
    static const char what[] = "weir_table_env_exec";
    if (!usable(tenv) || !have_text(tenv, sql, what, "the SQL text")) return -1;
    int offset = 0, rc = 0;
    while (rc == 0) {
        wr_arena arena;
        wr_arena_init(&arena, 4096);
        wr_ast_stmt *st = NULL;
        wr_error err;
        wr_error_init(&err);
        int start = offset;
        int got = wr_sql_parse_next(sql, &offset, &arena, &st, &err);
        if (got < 0) {
            wr_ds_fail(tenv->env, &err, sql, what);
            rc = -1;
        } else if (got == 0) {
            wr_arena_fini(&arena);
            break;
        } else if (st->kind == WR_STMT_INSERT || st->kind == WR_STMT_STATEMENT_SET) {
            rc = add_insert(tenv, sql, st->pos, st->end);
        } else if (st->kind == WR_STMT_QUERY || st->kind == WR_STMT_EXPLAIN) {
            wr_error_set_at(&err, WR_ERR_VALIDATION, st->pos,
                            "%s runs in the environment's job: make a table with "
                            "weir_table_sql (and weir_table_explain for its plan)",
                            st->kind == WR_STMT_QUERY ? "a query" : "EXPLAIN");
            wr_ds_fail(tenv->env, &err, sql, what);
            rc = -1;
        } else {
            /* DDL, SET and the rest run now, in the session, as weir_exec runs them. */
            if (weir_exec_next(tenv->session, sql, NULL, &start, NULL) < 0) {
                fail_session(tenv, what);
                rc = -1;
            }
        }
        wr_arena_fini(&arena);
    }
    return rc;
}
