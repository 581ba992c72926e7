/*
 * datastream.c — the DataStream API of include/weir.h: streams become a job graph.
 *
 * Building records a graph of stream nodes in the environment. Some nodes
 * are operators (sources, transformations, sinks); others only say how the
 * next operator reads its input (key_by: hash partitioning by a key; union:
 * several producers into one input; side outputs: another output port).
 * weir_execute translates the operator nodes into job-graph vertices in
 * creation order, resolving those virtual nodes into edges, and runs the job.
 */
#include "../base/alloc.h"
#include "../base/vec.h"
#include "../checkpoint/coordinator.h"
#include "../connectors/connector.h"
#include "../connectors/filesystem.h"
#include "../formats/csv.h"
#include "../ops/stream.h"
#include "../ops/values.h"
#include "../ops/window.h"
#include "../runtime/job.h"
#include "../sql/parser.h"
#include "../sql/plan.h"
#include "datastream_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef enum node_kind {
    NODE_OPERATOR, /* a job-graph vertex */
    NODE_KEY_BY,   /* in[0], partitioned by key */
    NODE_UNION,    /* in[0] and in[1] into one input */
    NODE_SIDE,     /* port `port` of in[0] */
} node_kind;

typedef enum op_build {
    BUILD_SPEC,     /* spec is ready */
    BUILD_STREAM,   /* from stream args at execution (needs the side-output tags) */
    BUILD_WINDOW,   /* from window args at execution */
    BUILD_EXTERNAL, /* by ext_fn at execution: the Table API's plans (datastream_int.h) */
} op_build;

struct weir_stream {
    weir_env *env;
    node_kind kind;
    wr_schema *schema; /* rows of this stream; owned */
    weir_stream *in[2];
    /* NODE_KEY_BY */
    wr_keysel key;
    wr_schema *key_schema;
    weir_key_fn key_fn;
    void *key_arg;
    /* NODE_SIDE */
    int port;
    /* NODE_OPERATOR */
    char *name;
    int parallelism; /* -1: default */
    bool single;     /* runs with parallelism 1 only (the elements source) */
    op_build build;
    wr_operator_spec spec;
    wr_stream_args args;
    wr_window_args wargs;
    wr_ds_translate_fn ext_fn; /* BUILD_EXTERNAL */
    void *ext_arg;
    bool ext_bounded;
    int ninputs;
    int vertex; /* at translation */
};

/* An object that lives as long as the environment, such as a table environment. */
typedef struct attached {
    void *obj;
    void (*free_fn)(void *obj);
} attached;

struct weir_env {
    wr_config config;
    wr_error error;
    char *error_text;
    WR_VEC(weir_stream *) streams;
    WR_VEC(weir_tag *) tags;
    WR_VEC(weir_trigger *) triggers;
    bool executed;
    bool batch;                /* decided when the job is translated (batch_mode) */
    WR_VEC(attached) attached; /* freed with the environment (wr_ds_attach) */
    struct weir_job *job;      /* started by weir_execute_async and not yet freed */
};

/* A running job uses the environment's nodes, tags and triggers: each knows the other. */
struct weir_job {
    wr_job *job;
    wr_coordinator *coord; /* checkpoints, driven while the job is waited for */
    char *error;
    weir_env *env;
};

/* ---- environment and errors -------------------------------------------------- */

weir_env *weir_env_new(void)
{
    weir_env *env = wr_calloc(1, sizeof(*env));
    wr_config_init(&env->config);
    wr_error_init(&env->error);
    return env;
}

static void stream_free(weir_stream *s)
{
    wr_schema_free(s->schema);
    wr_schema_free(s->key_schema);
    wr_keysel_fini(&s->key);
    wr_free(s->name);
    wr_operator_spec_fini(&s->spec);
    wr_free(s);
}

void weir_env_free(weir_env *env)
{
    if (env == NULL) return;
    if (env->job) {
        /* A job still running uses the nodes and tags: stop it; its handle stays valid. */
        wr_error err;
        wr_error_init(&err);
        wr_job_cancel(env->job->job);
        wr_job_wait(env->job->job, -1, &err);
        env->job->env = NULL;
    }
    for (int i = 0; i < env->attached.n; i++) env->attached.v[i].free_fn(env->attached.v[i].obj);
    WR_VEC_FREE(&env->attached);
    for (int i = 0; i < env->streams.n; i++) stream_free(env->streams.v[i]);
    for (int i = 0; i < env->tags.n; i++) {
        wr_free(env->tags.v[i]->name);
        wr_schema_free(env->tags.v[i]->schema);
        wr_free(env->tags.v[i]);
    }
    for (int i = 0; i < env->triggers.n; i++) wr_trigger_free(env->triggers.v[i]);
    WR_VEC_FREE(&env->streams);
    WR_VEC_FREE(&env->tags);
    WR_VEC_FREE(&env->triggers);
    wr_config_fini(&env->config);
    wr_free(env->error_text);
    wr_free(env);
}

/* Keeps the first error (its text rendered against `text` when it has a position). */
static void env_fail_err(weir_env *env, const wr_error *err, const char *text, const char *what)
{
    if (env->error.code) return;
    wr_error_copy(&env->error, err);
    char buf[2048];
    const char *msg = text ? wr_error_render(err, text, buf, sizeof(buf)) : err->msg;
    size_t n = strlen(msg) + (what ? strlen(what) + 2 : 0) + 1;
    env->error_text = wr_malloc(n);
    snprintf(env->error_text, n, "%s%s%s", what ? what : "", what ? ": " : "", msg);
}

static void env_fail(weir_env *env, const char *fmt, ...) WR_PRINTF(2, 3);
static void env_fail(weir_env *env, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wr_error err;
    wr_error_init(&err);
    wr_error_set(&err, WR_ERR_ARGUMENT, "%s", msg);
    env_fail_err(env, &err, NULL, NULL);
}

const char *weir_env_error(const weir_env *env)
{
    return env->error_text ? env->error_text : "";
}

static const char *const runtime_modes[] = {"streaming", "batch", "automatic", NULL};

/* Checks the keys the runtime and this API read; 0 or an error naming the key and value. */
static int check_config(const wr_config *config, wr_error *err)
{
    int mode, rc;
    int64_t interval;
    if ((rc = wr_job_check_config(config, err)) ||
        (rc = wr_coordinator_check_config(config, err)) ||
        (rc = wr_config_get_enum(config, "execution.runtime-mode", runtime_modes, 0, &mode, err)) ||
        (rc = wr_config_get_duration_ms(config, "pipeline.auto-watermark-interval", 200, &interval,
                                        err)))
        return rc;
    return 0;
}

int weir_env_set(weir_env *env, const char *key, const char *value)
{
    wr_config_set(&env->config, key, value, -1, -1);
    wr_error err;
    wr_error_init(&err);
    if (check_config(&env->config, &err)) {
        env_fail_err(env, &err, NULL, NULL);
        return -1;
    }
    return 0;
}

/*
 * Whether reduce and aggregate emit only final results: 'execution.runtime-mode'
 * batch, or automatic with only bounded sources (as Flink's AUTOMATIC).
 */
static bool batch_mode(weir_env *env)
{
    int mode = 0;
    wr_error err;
    wr_error_init(&err);
    wr_config_get_enum(&env->config, "execution.runtime-mode", runtime_modes, 0, &mode, &err);
    if (mode != 2) return mode == 1;
    for (int i = 0; i < env->streams.n; i++) {
        const weir_stream *s = env->streams.v[i];
        if (s->kind != NODE_OPERATOR || s->ninputs > 0) continue;
        if (s->build == BUILD_EXTERNAL ? !s->ext_bounded
                                       : s->build != BUILD_SPEC || !s->spec.bounded)
            return false;
    }
    return true;
}

/* ---- schemas ------------------------------------------------------------------- */

/* Parses "name TYPE, ..." with the SQL parser; errors point into the schema text. */
static wr_schema *parse_schema(weir_env *env, const char *text, const char *what)
{
    if (text == NULL) {
        env_fail(env, "%s: the schema is missing", what);
        return NULL;
    }
    static const char prefix[] = "CREATE TABLE t (";
    size_t n = strlen(text);
    char *sql = wr_malloc(sizeof(prefix) + n + 2);
    memcpy(sql, prefix, sizeof(prefix) - 1);
    memcpy(sql + sizeof(prefix) - 1, text, n);
    memcpy(sql + sizeof(prefix) - 1 + n, ")", 2);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_error err;
    wr_error_init(&err);
    wr_ast_stmt *st = NULL;
    int offset = 0;
    wr_schema *schema = NULL;
    int rc = wr_sql_parse_next(sql, &offset, &arena, &st, &err);
    if (rc == 1 && st->kind == WR_STMT_CREATE_TABLE && st->create_table.noptions == 0 &&
        !st->create_table.watermark_column) {
        schema = wr_schema_new();
        for (int i = 0; i < st->create_table.ncolumns && schema; i++) {
            const wr_ast_column_def *c = &st->create_table.columns[i];
            wr_type type;
            if (c->computed || c->metadata) {
                wr_error_set_at(&err, WR_ERR_ARGUMENT, c->pos, "a schema has plain columns only");
            } else if (wr_schema_find(schema, c->name) >= 0) {
                wr_error_set_at(&err, WR_ERR_ARGUMENT, c->pos, "duplicate field '%s'", c->name);
            } else if (wr_bind_type(&c->type, &type, &err)) {
                wr_schema_add(schema, c->name, type);
                continue;
            }
            wr_schema_free(schema);
            schema = NULL;
        }
    } else if (rc >= 0) {
        wr_error_set(&err, WR_ERR_ARGUMENT, "expected fields like \"name STRING, n BIGINT\"");
    }
    if (schema == NULL) {
        /* Point into the user's text, not the statement around it. */
        if (err.offset >= (int)sizeof(prefix) - 1)
            err.offset -= (int)sizeof(prefix) - 1;
        else
            err.offset = -1;
        if (err.offset > (int)n) err.offset = (int)n;
        char label[128];
        snprintf(label, sizeof(label), "%s: schema \"%s\"", what, text);
        env_fail_err(env, &err, text, label);
    }
    wr_arena_fini(&arena);
    wr_free(sql);
    return schema;
}

/* Column indexes of comma-separated field names. */
static int parse_fields(weir_env *env, const wr_schema *schema, const char *fields, int *cols,
                        int max)
{
    int n = 0;
    const char *p = fields;
    while (p && *p) {
        while (*p == ' ' || *p == ',') p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ') p++;
        if (p == start) break;
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(p - start), start);
        int c = wr_schema_find(schema, name);
        if (c < 0 || n == max) {
            wr_buf names;
            wr_buf_init(&names);
            for (int i = 0; i < schema->ncols; i++)
                wr_buf_printf(&names, "%s%s", i ? ", " : "", schema->names[i]);
            env_fail(env, "weir_key_by: '%s' is not a field of the stream (fields: %s)", name,
                     names.data ? names.data : "none");
            wr_buf_fini(&names);
            return -1;
        }
        cols[n++] = c;
    }
    if (n == 0) env_fail(env, "weir_key_by: no key fields in \"%s\"", fields ? fields : "");
    return n ? n : -1;
}

/* ---- nodes ----------------------------------------------------------------------- */

static weir_stream *node_new(weir_env *env, node_kind kind, wr_schema *schema)
{
    weir_stream *s = wr_calloc(1, sizeof(*s));
    s->env = env;
    s->kind = kind;
    s->schema = schema;
    s->parallelism = -1;
    s->vertex = -1;
    WR_VEC_PUSH(&env->streams, s);
    return s;
}

static weir_stream *operator_node(weir_env *env, const char *name, wr_schema *schema)
{
    weir_stream *s = node_new(env, NODE_OPERATOR, schema);
    s->name = wr_strdup(name);
    return s;
}

/* The environment of a stream argument, failing on NULL (an earlier error). */
static bool usable(weir_stream *s)
{
    return s != NULL && s->env->error.code == 0;
}

/* Fails the environment when a required callback is missing. */
static bool have_fn(weir_env *env, bool present, const char *what)
{
    if (!present) env_fail(env, "%s: the function is NULL", what);
    return present;
}

/* The operator node that a keyed stream comes from, or NULL when not keyed. */
static const weir_stream *key_node(const weir_stream *s)
{
    return s && s->kind == NODE_KEY_BY ? s : NULL;
}

/* ---- sources ------------------------------------------------------------------------ */

static bool options_to_config(weir_env *env, const char *const *options, wr_config *cfg,
                              const char **connector)
{
    wr_config_init(cfg);
    *connector = NULL;
    for (int i = 0; options && options[i]; i += 2) {
        if (options[i + 1] == NULL) {
            env_fail(env, "option '%s' has no value", options[i]);
            return false;
        }
        wr_config_set(cfg, options[i], options[i + 1], -1, -1);
        if (strcmp(options[i], "connector") == 0) *connector = options[i + 1];
    }
    if (*connector == NULL) {
        env_fail(env, "the options have no 'connector'; available connectors: %s",
                 wr_connector_names());
        return false;
    }
    return true;
}

weir_stream *weir_from_connector(weir_env *env, const char *schema_text, const char *const *options)
{
    wr_schema *schema = parse_schema(env, schema_text, "weir_from_connector");
    if (schema == NULL) return NULL;
    wr_config cfg;
    const char *name;
    weir_stream *s = NULL;
    if (options_to_config(env, options, &cfg, &name)) {
        const wr_connector *conn = wr_connector_find(name);
        wr_operator_spec spec = {0};
        wr_error err;
        wr_error_init(&err);
        if (conn == NULL || conn->make_source == NULL)
            env_fail(env, "'%s' is not a source connector; available connectors: %s", name,
                     wr_connector_names());
        else if (conn->make_source(schema, &cfg, &env->config, NULL, &spec, &err))
            env_fail_err(env, &err, NULL, name);
        else {
            char label[128];
            snprintf(label, sizeof(label), "Source: %s", name);
            s = operator_node(env, label, schema);
            s->spec = spec;
            s->parallelism = spec.parallelism;
            schema = NULL;
        }
    }
    wr_config_fini(&cfg);
    wr_schema_free(schema);
    return s;
}

weir_stream *weir_from_elements(weir_env *env, const char *schema_text, const char *const *lines,
                                size_t n)
{
    wr_schema *schema = parse_schema(env, schema_text, "weir_from_elements");
    if (schema == NULL) return NULL;
    wr_csv_options csv;
    wr_csv_options_default(&csv);
    wr_batch **batches = NULL;
    int nbatches = 0;
    for (size_t i = 0; i < n; i++) {
        if (nbatches == 0 || batches[nbatches - 1]->count == WR_BATCH_CAPACITY) {
            batches = wr_realloc(batches, (size_t)(nbatches + 1) * sizeof(wr_batch *));
            batches[nbatches++] = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
        }
        wr_error err;
        wr_error_init(&err);
        if (wr_csv_decode(&csv, schema, lines[i], strlen(lines[i]), batches[nbatches - 1], &err)) {
            char what[64];
            snprintf(what, sizeof(what), "weir_from_elements: element %zu", i);
            env_fail_err(env, &err, NULL, what);
            for (int b = 0; b < nbatches; b++) wr_batch_free(batches[b]);
            wr_free(batches);
            wr_schema_free(schema);
            return NULL;
        }
    }
    weir_stream *s = operator_node(env, "Source: elements", schema);
    s->spec = wr_values_spec(batches, nbatches);
    s->parallelism = 1;
    s->single = true;
    return s;
}

weir_stream *weir_from_callback(weir_env *env, const char *schema_text, weir_source_fn fn,
                                void *arg)
{
    if (!have_fn(env, fn != NULL, "weir_from_callback")) return NULL;
    wr_schema *schema = parse_schema(env, schema_text, "weir_from_callback");
    if (schema == NULL) return NULL;
    weir_stream *s = operator_node(env, "Source: callback", schema);
    s->build = BUILD_STREAM;
    s->args.kind = WR_STREAM_SOURCE;
    s->args.source = fn;
    s->args.arg = arg;
    return s;
}

static weir_stream *file_source(weir_env *env, const char *schema_text, const char *path,
                                const char *format, const char *what)
{
    wr_schema *schema = parse_schema(env, schema_text, what);
    if (schema == NULL) return NULL;
    wr_csv_options csv;
    wr_csv_options_default(&csv);
    wr_operator_spec spec = {0};
    wr_error err;
    wr_error_init(&err);
    if (wr_file_source_spec(path, format, schema, &csv, &spec, &err)) {
        env_fail_err(env, &err, NULL, what);
        wr_schema_free(schema);
        return NULL;
    }
    weir_stream *s = operator_node(env, "Source: file", schema);
    s->spec = spec;
    s->parallelism = spec.parallelism;
    return s;
}

weir_stream *weir_from_text_file(weir_env *env, const char *path)
{
    return file_source(env, "line STRING", path, "raw", "weir_from_text_file");
}

weir_stream *weir_from_csv_file(weir_env *env, const char *schema, const char *path)
{
    return file_source(env, schema, path, "csv", "weir_from_csv_file");
}

/* ---- transformations ----------------------------------------------------------------- */

/* A one-input operator node of stream args, reading `in` (keyed or not). */
static weir_stream *stream_node(weir_stream *in, const char *name, wr_schema *out,
                                wr_stream_kind kind, void *arg)
{
    weir_stream *s = operator_node(in->env, name, out);
    s->build = BUILD_STREAM;
    s->in[0] = in;
    s->ninputs = 1;
    s->args.kind = kind;
    s->args.arg = arg;
    return s;
}

static wr_schema *out_schema(weir_stream *in, const char *text, const char *what)
{
    return parse_schema(in->env, text, what);
}

weir_stream *weir_flat_map(weir_stream *in, const char *schema, weir_flat_map_fn fn, void *arg)
{
    if (!usable(in) || !have_fn(in->env, fn != NULL, "weir_flat_map")) return NULL;
    wr_schema *out = out_schema(in, schema, "weir_flat_map");
    if (out == NULL) return NULL;
    weir_stream *s = stream_node(in, "FlatMap", out, WR_STREAM_FLAT_MAP, arg);
    s->args.flat_map = fn;
    return s;
}

weir_stream *weir_map(weir_stream *in, const char *schema, weir_map_fn fn, void *arg)
{
    if (!usable(in) || !have_fn(in->env, fn != NULL, "weir_map")) return NULL;
    wr_schema *out = out_schema(in, schema, "weir_map");
    if (out == NULL) return NULL;
    weir_stream *s = stream_node(in, "Map", out, WR_STREAM_MAP, arg);
    s->args.map = fn;
    return s;
}

weir_stream *weir_filter(weir_stream *in, weir_filter_fn fn, void *arg)
{
    if (!usable(in) || !have_fn(in->env, fn != NULL, "weir_filter")) return NULL;
    weir_stream *s = stream_node(in, "Filter", wr_schema_copy(in->schema), WR_STREAM_FILTER, arg);
    s->args.filter = fn;
    return s;
}

static bool same_types(const wr_schema *a, const wr_schema *b)
{
    if (a->ncols != b->ncols) return false;
    for (int i = 0; i < a->ncols; i++)
        if (a->types[i].id != b->types[i].id) return false;
    return true;
}

weir_stream *weir_union(weir_stream *a, weir_stream *b)
{
    if (!usable(a) || !usable(b)) return NULL;
    if (a->env != b->env) {
        env_fail(a->env, "weir_union: the streams belong to different environments");
        return NULL;
    }
    if (!same_types(a->schema, b->schema)) {
        env_fail(a->env, "weir_union: the streams have different field types");
        return NULL;
    }
    weir_stream *s = node_new(a->env, NODE_UNION, wr_schema_copy(a->schema));
    s->in[0] = a;
    s->in[1] = b;
    return s;
}

weir_stream *weir_key_by(weir_stream *in, const char *fields)
{
    if (!usable(in)) return NULL;
    int cols[64];
    int n = parse_fields(in->env, in->schema, fields, cols, 64);
    if (n < 0) return NULL;
    weir_stream *s = node_new(in->env, NODE_KEY_BY, wr_schema_copy(in->schema));
    s->in[0] = in;
    wr_keysel_init_cols(&s->key, cols, n);
    s->key_schema = wr_schema_new();
    for (int i = 0; i < n; i++)
        wr_schema_add(s->key_schema, in->schema->names[cols[i]], in->schema->types[cols[i]]);
    return s;
}

/*
 * Key functions run on the threads of the tasks that partition and of the
 * keyed operators. Each thread keeps one context to build key rows in.
 */
typedef struct key_cache {
    const weir_stream *node;
    wr_op_ctx op;
    wr_udf u;
} key_cache;

static pthread_key_t key_cache_key;
static pthread_once_t key_cache_once = PTHREAD_ONCE_INIT;

static void key_cache_free(void *p)
{
    key_cache *c = p;
    if (c->node) wr_udf_fini(&c->u);
    wr_free(c);
}

static void key_cache_setup(void)
{
    pthread_key_create(&key_cache_key, key_cache_free);
}

static int call_key_fn(void *arg, const wr_batch *batch, int row, wr_buf *key, wr_error *err)
{
    const weir_stream *node = arg;
    pthread_once(&key_cache_once, key_cache_setup);
    key_cache *c = pthread_getspecific(key_cache_key);
    if (c == NULL) {
        c = wr_calloc(1, sizeof(*c));
        pthread_setspecific(key_cache_key, c);
    }
    if (c->node != node) {
        if (c->node) wr_udf_fini(&c->u);
        c->node = node;
        c->op.timer_at_ms = INT64_MAX;
        wr_udf_init(&c->u, &c->op, node->key_schema, NULL, 0, NULL, NULL, NULL);
    }
    wr_udf *u = &c->u;
    wr_batch *kb = u->outs[0].batch;
    wr_batch_reset(kb);
    u->outs[0].open = false;
    u->err = err;
    weir_out *out = weir_output(u);
    const weir_row *in = wr_udf_row(u, batch, row, node->in[0]->schema);
    int rc = wr_udf_check(u, node->key_fn(node->key_arg, in, out), "key function", err);
    if (rc == 0) {
        int cols[kb->ncols > 0 ? kb->ncols : 1];
        for (int col = 0; col < kb->ncols; col++) cols[col] = col;
        wr_row_encode(kb, 0, cols, kb->ncols, key);
    }
    return rc;
}

weir_stream *weir_key_by_fn(weir_stream *in, const char *key_schema, weir_key_fn fn, void *arg)
{
    if (!usable(in) || !have_fn(in->env, fn != NULL, "weir_key_by_fn")) return NULL;
    wr_schema *ks = parse_schema(in->env, key_schema, "weir_key_by_fn");
    if (ks == NULL) return NULL;
    weir_stream *s = node_new(in->env, NODE_KEY_BY, wr_schema_copy(in->schema));
    s->in[0] = in;
    s->key_schema = ks;
    s->key_fn = fn;
    s->key_arg = arg;
    wr_keysel_init_fn(&s->key, call_key_fn, s);
    return s;
}

weir_stream *weir_process(weir_stream *in, const char *schema, const weir_process_fn *fn, void *arg)
{
    if (!usable(in)) return NULL;
    if (fn == NULL || fn->process_element == NULL) {
        env_fail(in->env, "weir_process: process_element is required");
        return NULL;
    }
    wr_schema *out = out_schema(in, schema, "weir_process");
    if (out == NULL) return NULL;
    weir_stream *s =
        stream_node(in, key_node(in) ? "KeyedProcess" : "Process", out, WR_STREAM_PROCESS, arg);
    s->args.process = fn;
    return s;
}

weir_stream *weir_co_process(weir_stream *a, weir_stream *b, const char *schema,
                             const weir_co_process_fn *fn, void *arg)
{
    if (!usable(a) || !usable(b)) return NULL;
    if (fn == NULL) {
        env_fail(a->env, "weir_co_process: no functions");
        return NULL;
    }
    if ((key_node(a) == NULL) != (key_node(b) == NULL)) {
        env_fail(a->env, "weir_co_process: either both inputs are keyed or neither");
        return NULL;
    }
    if (key_node(a) && !same_types(key_node(a)->key_schema, key_node(b)->key_schema)) {
        env_fail(a->env, "weir_co_process: the inputs' keys have different types");
        return NULL;
    }
    wr_schema *out = out_schema(a, schema, "weir_co_process");
    if (out == NULL) return NULL;
    weir_stream *s = stream_node(a, key_node(a) ? "KeyedCoProcess" : "CoProcess", out,
                                 WR_STREAM_CO_PROCESS, arg);
    s->in[1] = b;
    s->ninputs = 2;
    s->args.co_process = fn;
    return s;
}

static bool need_keyed(weir_stream *in, const char *what)
{
    if (key_node(in)) return true;
    env_fail(in->env, "%s needs a keyed stream (use weir_key_by first)", what);
    return false;
}

weir_stream *weir_reduce(weir_stream *keyed, weir_reduce_fn fn, void *arg)
{
    if (!usable(keyed) || !need_keyed(keyed, "weir_reduce") ||
        !have_fn(keyed->env, fn != NULL, "weir_reduce"))
        return NULL;
    weir_stream *s =
        stream_node(keyed, "Keyed Reduce", wr_schema_copy(keyed->schema), WR_STREAM_REDUCE, arg);
    s->args.reduce = fn;
    return s;
}

weir_stream *weir_aggregate(weir_stream *keyed, const char *schema, const weir_aggregate_fn *fn,
                            void *arg)
{
    if (!usable(keyed) || !need_keyed(keyed, "weir_aggregate")) return NULL;
    if (fn == NULL || fn->add == NULL || fn->result == NULL) {
        env_fail(keyed->env, "weir_aggregate: add and result are required");
        return NULL;
    }
    wr_schema *out = out_schema(keyed, schema, "weir_aggregate");
    if (out == NULL) return NULL;
    weir_stream *s = stream_node(keyed, "Keyed Aggregate", out, WR_STREAM_AGGREGATE, arg);
    s->args.aggregate = fn;
    return s;
}

weir_stream *weir_assign_timestamps(weir_stream *in, const weir_watermark_strategy *strategy)
{
    if (!usable(in)) return NULL;
    int field = -1;
    if (strategy->timestamp_field) {
        field = wr_schema_find(in->schema, strategy->timestamp_field);
        wr_type_id id = field >= 0 ? in->schema->types[field].id : WR_TYPE_NULL;
        if (field < 0 || !(wr_type_is_integer(id) || id == WR_TYPE_TIMESTAMP)) {
            env_fail(in->env,
                     "weir_assign_timestamps: '%s' is not a BIGINT or TIMESTAMP field of the "
                     "stream",
                     strategy->timestamp_field);
            return NULL;
        }
    } else if (strategy->timestamp == NULL) {
        env_fail(in->env, "weir_assign_timestamps: give timestamp_field or timestamp()");
        return NULL;
    }
    if (strategy->kind == WEIR_WATERMARK_BOUNDED && strategy->max_out_of_orderness_ms < 0) {
        env_fail(in->env, "weir_assign_timestamps: max_out_of_orderness_ms is negative");
        return NULL;
    }
    int64_t interval = 200;
    wr_error err;
    wr_error_init(&err);
    if (wr_config_get_duration_ms(&in->env->config, "pipeline.auto-watermark-interval", 200,
                                  &interval, &err)) {
        env_fail_err(in->env, &err, NULL, NULL);
        return NULL;
    }
    weir_stream *s = stream_node(in, "Timestamps/Watermarks", wr_schema_copy(in->schema),
                                 WR_STREAM_WATERMARKS, strategy->arg);
    s->args.strategy = *strategy;
    s->args.timestamp_field = field;
    s->args.watermark_interval_ms = interval;
    return s;
}

weir_tag *weir_tag_new(weir_env *env, const char *name, const char *schema)
{
    if (env->executed) {
        env_fail(env, "weir_tag_new: the environment has already executed its job");
        return NULL;
    }
    wr_schema *sc = parse_schema(env, schema, "weir_tag_new");
    if (sc == NULL) return NULL;
    weir_tag *tag = wr_calloc(1, sizeof(*tag));
    tag->name = wr_strdup(name ? name : "side");
    tag->schema = sc;
    WR_VEC_PUSH(&env->tags, tag);
    return tag;
}

weir_stream *weir_get_side_output(weir_stream *stream, const weir_tag *tag)
{
    if (!usable(stream) || tag == NULL) return NULL;
    if (stream->kind != NODE_OPERATOR || stream->build == BUILD_SPEC ||
        stream->build == BUILD_EXTERNAL) {
        env_fail(stream->env, "weir_get_side_output: '%s' has no side outputs",
                 stream->name ? stream->name : "this stream");
        return NULL;
    }
    int port = 0;
    for (int i = 0; i < stream->env->tags.n; i++)
        if (stream->env->tags.v[i] == tag) port = (int)i + 1;
    if (port == 0) {
        env_fail(stream->env, "weir_get_side_output: the tag belongs to another environment");
        return NULL;
    }
    weir_stream *s = node_new(stream->env, NODE_SIDE, wr_schema_copy(tag->schema));
    s->in[0] = stream;
    s->port = port;
    return s;
}

/* The operator node whose settings apply to `stream`. */
static weir_stream *settable(weir_stream *stream, const char *what)
{
    if (!usable(stream)) return NULL;
    if (stream->kind != NODE_OPERATOR) {
        env_fail(stream->env,
                 "%s: the stream is not produced by an operator (it is a key_by, "
                 "union or side output)",
                 what);
        return NULL;
    }
    return stream;
}

weir_stream *weir_set_parallelism(weir_stream *stream, int parallelism)
{
    weir_stream *s = settable(stream, "weir_set_parallelism");
    if (s == NULL) return NULL;
    if (parallelism < 1 || parallelism > 1024) {
        env_fail(s->env, "weir_set_parallelism: %d is not within 1..1024", parallelism);
        return NULL;
    }
    if (s->single && parallelism != 1) {
        env_fail(s->env, "weir_set_parallelism: '%s' runs with parallelism 1", s->name);
        return NULL;
    }
    if (s->build == BUILD_EXTERNAL) {
        env_fail(s->env,
                 "weir_set_parallelism: '%s' runs with the parallelism its plan gives it "
                 "(set 'parallelism.default' instead)",
                 s->name);
        return NULL;
    }
    s->parallelism = parallelism;
    s->spec.parallelism = parallelism;
    return stream;
}

weir_stream *weir_set_name(weir_stream *stream, const char *name)
{
    weir_stream *s = settable(stream, "weir_set_name");
    if (s == NULL || name == NULL) return s;
    wr_free(s->name);
    s->name = wr_strdup(name);
    return stream;
}

static int build_spec(weir_env *env, weir_stream *s, wr_operator_spec *out, wr_error *err);

/* ---- windows ----------------------------------------------------------------------------- */

static weir_stream *window_node(weir_stream *keyed, const weir_window_spec *w, const char *name,
                                wr_schema *out, wr_window_fn_kind kind, void *arg)
{
    weir_stream *s = operator_node(keyed->env, name, out);
    s->build = BUILD_WINDOW;
    s->in[0] = keyed;
    s->ninputs = 1;
    s->wargs.window = *w;
    s->wargs.kind = kind;
    s->wargs.arg = arg;
    return s;
}

/* Checks a window node's arguments now, where the user builds it. */
static weir_stream *window_checked(weir_stream *s)
{
    wr_operator_spec spec;
    wr_error err;
    wr_error_init(&err);
    if (build_spec(s->env, s, &spec, &err)) {
        env_fail_err(s->env, &err, NULL, s->name);
        return NULL;
    }
    wr_operator_spec_fini(&spec);
    return s;
}

weir_stream *weir_window_reduce(weir_stream *keyed, const weir_window_spec *window,
                                weir_reduce_fn fn, void *arg)
{
    if (!usable(keyed) || !need_keyed(keyed, "weir_window_reduce") ||
        !have_fn(keyed->env, fn != NULL, "weir_window_reduce"))
        return NULL;
    weir_stream *s = window_node(keyed, window, "Window(Reduce)", wr_schema_copy(keyed->schema),
                                 WR_WINDOW_REDUCE, arg);
    s->wargs.reduce = fn;
    return window_checked(s);
}

weir_stream *weir_window_aggregate(weir_stream *keyed, const weir_window_spec *window,
                                   const char *schema, const weir_aggregate_fn *fn, void *arg)
{
    if (!usable(keyed) || !need_keyed(keyed, "weir_window_aggregate")) return NULL;
    wr_schema *out = out_schema(keyed, schema, "weir_window_aggregate");
    if (out == NULL) return NULL;
    if (fn == NULL || fn->add == NULL || fn->result == NULL) {
        wr_schema_free(out);
        env_fail(keyed->env, "weir_window_aggregate: add and result are required");
        return NULL;
    }
    weir_stream *s = window_node(keyed, window, "Window(Aggregate)", out, WR_WINDOW_AGGREGATE, arg);
    s->wargs.aggregate = fn;
    return window_checked(s);
}

weir_stream *weir_window_process(weir_stream *keyed, const weir_window_spec *window,
                                 const char *schema, weir_window_fn fn, void *arg)
{
    if (!usable(keyed) || !need_keyed(keyed, "weir_window_process") ||
        !have_fn(keyed->env, fn != NULL, "weir_window_process"))
        return NULL;
    wr_schema *out = out_schema(keyed, schema, "weir_window_process");
    if (out == NULL) return NULL;
    weir_stream *s = window_node(keyed, window, "Window(Process)", out, WR_WINDOW_PROCESS, arg);
    s->wargs.process = fn;
    return window_checked(s);
}

static const weir_trigger *keep_trigger(weir_env *env, weir_trigger *t)
{
    WR_VEC_PUSH(&env->triggers, t);
    return t;
}

const weir_trigger *weir_trigger_event_time(weir_env *env)
{
    return &wr_trigger_event_time;
}

const weir_trigger *weir_trigger_processing_time(weir_env *env)
{
    return &wr_trigger_processing_time;
}

const weir_trigger *weir_trigger_count(weir_env *env, int64_t count)
{
    if (count < 1) {
        env_fail(env, "weir_trigger_count: the count must be at least 1, not %lld",
                 (long long)count);
        return NULL;
    }
    return keep_trigger(env, wr_trigger_count_new(count));
}

const weir_trigger *weir_trigger_purging(weir_env *env, const weir_trigger *inner)
{
    if (inner == NULL) return NULL;
    return keep_trigger(env, wr_trigger_purging_new(inner));
}

/* ---- sinks ----------------------------------------------------------------------------------- */

static void sink_node(weir_stream *in, const char *name, wr_operator_spec spec)
{
    weir_stream *s = operator_node(in->env, name, wr_schema_new());
    s->in[0] = in;
    s->ninputs = 1;
    s->spec = spec;
    s->parallelism = spec.parallelism;
}

static void connector_sink(weir_stream *in, const char *const *options, const char *label)
{
    wr_config cfg;
    const char *name;
    if (options_to_config(in->env, options, &cfg, &name)) {
        const wr_connector *conn = wr_connector_find(name);
        wr_operator_spec spec = {0};
        wr_error err;
        wr_error_init(&err);
        if (conn == NULL || conn->make_sink == NULL)
            env_fail(in->env, "'%s' is not a sink connector; available connectors: %s", name,
                     wr_connector_names());
        else if (conn->make_sink(in->schema, &cfg, &in->env->config, &spec, &err))
            env_fail_err(in->env, &err, NULL, name);
        else {
            char buf[128];
            snprintf(buf, sizeof(buf), "Sink: %s", label ? label : name);
            sink_node(in, buf, spec);
        }
    }
    wr_config_fini(&cfg);
}

void weir_print(weir_stream *stream, const char *identifier)
{
    if (!usable(stream)) return;
    const char *opts[] = {"connector", "print", identifier ? "print-identifier" : NULL, identifier,
                          NULL};
    connector_sink(stream, opts, "Print to Std. Out");
}

void weir_to_connector(weir_stream *stream, const char *const *options)
{
    if (usable(stream)) connector_sink(stream, options, NULL);
}

void weir_sink_csv_file(weir_stream *stream, const char *path)
{
    if (!usable(stream)) return;
    sink_node(stream, "Sink: csv file", wr_csv_file_sink_spec(path, stream->schema));
}

void weir_sink_callback(weir_stream *stream, weir_sink_fn fn, void *arg)
{
    if (!usable(stream) || !have_fn(stream->env, fn != NULL, "weir_sink_callback")) return;
    weir_stream *s = stream_node(stream, "Sink: callback", wr_schema_new(), WR_STREAM_SINK, arg);
    s->args.sink = fn;
    s->parallelism = 1;
}

/* ---- translation --------------------------------------------------------------------------------
 */

typedef struct link {
    const weir_stream *from; /* operator node */
    int port;
    const weir_stream *keyed; /* the key_by node, or NULL */
} link;

typedef WR_VEC(link) links;

/* The producers behind a stream, following key_by, union and side-output nodes. */
static void resolve(const weir_stream *s, const weir_stream *keyed, int port, links *out)
{
    switch (s->kind) {
    case NODE_OPERATOR:
        WR_VEC_PUSH(out, ((link){s, port, keyed}));
        return;
    case NODE_KEY_BY:
        /* key_by(key_by(x, a), b) partitions by b: the outermost key decides, as in Flink. */
        resolve(s->in[0], keyed ? keyed : s, port, out);
        return;
    case NODE_UNION:
        resolve(s->in[0], keyed, port, out);
        resolve(s->in[1], keyed, port, out);
        return;
    case NODE_SIDE:
        resolve(s->in[0], keyed, s->port, out);
        return;
    }
}

static int node_parallelism(const weir_stream *s, const wr_config *config)
{
    if (s->parallelism > 0) return s->parallelism;
    int64_t p = 1;
    wr_error err;
    if (wr_config_get_int64(config, "parallelism.default", 1, &p, &err) || p < 1) p = 1;
    return (int)p;
}

/* Builds the spec of an operator node that depends on the environment's tags. */
static int build_spec(weir_env *env, weir_stream *s, wr_operator_spec *out, wr_error *err)
{
    const weir_tag *const *tags = (const weir_tag *const *)env->tags.v;
    int ntags = (int)env->tags.n;
    const weir_stream *k0 = key_node(s->in[0]);
    if (s->build == BUILD_STREAM) {
        wr_stream_args a = s->args;
        a.tags = tags;
        a.ntags = ntags;
        a.out = s->schema->ncols ? s->schema : NULL;
        a.batch_mode = env->batch;
        for (int i = 0; i < s->ninputs; i++) {
            a.in[i] = s->in[i]->schema;
            const weir_stream *k = key_node(s->in[i]);
            a.key[i] = k ? &k->key : NULL;
        }
        a.key_schema = k0 ? k0->key_schema : NULL;
        *out = wr_stream_spec(&a);
    } else {
        wr_window_args a = s->wargs;
        a.tags = tags;
        a.ntags = ntags;
        a.in = s->in[0]->schema;
        a.out = s->schema;
        a.key = &k0->key;
        a.key_schema = k0->key_schema;
        *out = wr_window_spec(&a, err);
        if (out->ops == NULL) return err->code ? err->code : WR_ERR_INTERNAL;
    }
    out->parallelism = s->parallelism;
    return 0;
}

static wr_jobgraph *translate(weir_env *env, const char *name, wr_error *err)
{
    wr_jobgraph *g = wr_jobgraph_new(name ? name : "weir-datastream-job");
    int ntags = (int)env->tags.n;
    env->batch = batch_mode(env); /* before the sources' specs move into the graph */
    for (int i = 0; i < env->streams.n; i++) {
        weir_stream *s = env->streams.v[i];
        if (s->kind != NODE_OPERATOR) continue;
        if (s->build == BUILD_EXTERNAL) {
            /* It adds its own vertices, reading vertices made before it. */
            int par = 0;
            s->vertex = s->ext_fn(s->ext_arg, g, &env->config, &par, err);
            if (s->vertex < 0) {
                wr_jobgraph_free(g);
                return NULL;
            }
            s->parallelism = par;
            continue;
        }
        wr_operator_spec spec = {0};
        if (s->build == BUILD_SPEC) {
            /* An environment executes once: the job graph takes the spec over. */
            spec = s->spec;
            memset(&s->spec, 0, sizeof(s->spec));
            s->spec.bounded = spec.bounded; /* wr_ds_bounded asks later in the translation */
        } else if (build_spec(env, s, &spec, err)) {
            wr_jobgraph_free(g);
            return NULL;
        }
        s->vertex = wr_jobgraph_add(g, s->name, &spec, s->schema->types, s->schema->ncols);
        if (s->build != BUILD_SPEC)
            for (int t = 0; t < ntags; t++)
                wr_jobgraph_add_port(g, s->vertex, env->tags.v[t]->schema->types,
                                     env->tags.v[t]->schema->ncols);
        int par = node_parallelism(s, &env->config);
        for (int input = 0; input < s->ninputs; input++) {
            links ls = {0};
            resolve(s->in[input], NULL, 0, &ls);
            for (int l = 0; l < ls.n; l++) {
                const link *lk = &ls.v[l];
                wr_partition part = lk->keyed ? WR_PART_HASH
                                    : node_parallelism(lk->from, &env->config) == par
                                        ? WR_PART_FORWARD
                                        : WR_PART_REBALANCE;
                wr_jobgraph_connect_port(g, lk->from->vertex, lk->port, s->vertex, input, part,
                                         lk->keyed ? &lk->keyed->key : NULL);
            }
            WR_VEC_FREE(&ls);
        }
    }
    return g;
}

static weir_job *start(weir_env *env, const char *name)
{
    if (env->error.code) return NULL;
    if (env->executed) {
        env_fail(env, "this environment has already executed its job; build a new one");
        return NULL;
    }
    wr_error err;
    wr_error_init(&err);
    env->executed = true;
    wr_coordinator *coord;
    if (wr_coordinator_new(&env->config, name ? name : "weir-datastream-job", &coord, &err)) {
        env_fail_err(env, &err, NULL, NULL);
        return NULL;
    }
    const char *job_name = name ? name : "weir-datastream-job";
    wr_checkpoint *from = NULL;
    if (wr_coordinator_restore_point(coord, &env->config, job_name, false, &from, &err)) {
        env_fail_err(env, &err, NULL, NULL);
        wr_coordinator_free(coord);
        return NULL;
    }
    wr_jobgraph *g = translate(env, name, &err);
    wr_job *job = g ? wr_job_start_from(g, &env->config, from, &err) : NULL;
    if (g == NULL) wr_checkpoint_free(from);
    if (job == NULL) {
        env_fail_err(env, &err, NULL, NULL);
        wr_coordinator_free(coord);
        return NULL;
    }
    weir_job *j = wr_calloc(1, sizeof(*j));
    j->job = job;
    j->coord = coord;
    return j;
}

int weir_execute(weir_env *env, const char *name)
{
    weir_job *job = start(env, name);
    if (job == NULL) return -1;
    int rc = weir_job_wait(job, -1);
    if (rc) env_fail(env, "%s", weir_job_error(job));
    weir_job_free(job);
    return rc ? -1 : 0;
}

weir_job *weir_execute_async(weir_env *env, const char *name)
{
    weir_job *j = start(env, name);
    if (j == NULL) return NULL;
    j->env = env;
    env->job = j;
    return j;
}

int weir_job_wait(weir_job *job, int64_t timeout_ms)
{
    wr_error err;
    wr_error_init(&err);
    int rc = wr_coordinator_wait(job->coord, job->job, timeout_ms, NULL, NULL, &err);
    if (rc == 1) return 1;
    if (rc && job->error == NULL) job->error = wr_strdup(err.msg);
    return rc ? -1 : 0;
}

void weir_job_cancel(weir_job *job)
{
    wr_job_cancel(job->job);
}

const char *weir_job_error(const weir_job *job)
{
    return job->error ? job->error : "";
}

void weir_job_free(weir_job *job)
{
    if (job == NULL) return;
    if (job->env) job->env->job = NULL;
    wr_job_free(job->job);
    wr_coordinator_free(job->coord);
    wr_free(job->error);
    wr_free(job);
}

void weir_job_checkpoint_stats(const weir_job *job, weir_checkpoint_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (job->coord) {
        wr_coordinator_stats cs;
        wr_coordinator_stats_get(job->coord, &cs);
        stats->completed = cs.completed;
        stats->failed = cs.failed;
        stats->restarts = cs.restarts;
        stats->last_id = cs.last_id;
        stats->last_duration_ms = cs.last_duration_ms;
        stats->last_bytes = cs.last_bytes;
    }
    wr_job_stats js;
    wr_job_stats_get(job->job, &js);
    stats->max_pause_ms = js.max_snapshot_ns / 1000000;
}

int weir_job_metrics(const weir_job *job, weir_vertex_metrics *out, int cap)
{
    int n = wr_job_metrics(job->job, NULL, 0);
    wr_vertex_metrics *vm = wr_calloc((size_t)(n > 0 ? n : 1), sizeof(*vm));
    if (n > 0) wr_job_metrics(job->job, vm, n);
    for (int i = 0; i < n && i < cap; i++)
        out[i] = (weir_vertex_metrics){.name = vm[i].name,
                                       .parallelism = vm[i].parallelism,
                                       .records_in = vm[i].records_in,
                                       .records_out = vm[i].records_out,
                                       .records_in_errors = vm[i].records_in_errors,
                                       .late_records_dropped = vm[i].late_records_dropped,
                                       .state_bytes = vm[i].state_bytes,
                                       .state_bytes_peak = vm[i].state_bytes_peak};
    wr_free(vm);
    return n;
}

/* ---- for the Table API (datastream_int.h) ------------------------------------------------ */

weir_stream *wr_ds_external(weir_env *env, const char *name, wr_schema *schema,
                            wr_ds_translate_fn fn, void *arg, bool bounded)
{
    weir_stream *s = operator_node(env, name, schema);
    s->build = BUILD_EXTERNAL;
    s->ext_fn = fn;
    s->ext_arg = arg;
    s->ext_bounded = bounded;
    return s;
}

void wr_ds_attach(weir_env *env, void *obj, void (*free_fn)(void *obj))
{
    WR_VEC_PUSH(&env->attached, ((attached){obj, free_fn}));
}

weir_env *wr_ds_env(const weir_stream *stream)
{
    return stream->env;
}

const wr_schema *wr_ds_schema(const weir_stream *stream)
{
    return stream->schema;
}

const wr_config *wr_ds_config(const weir_env *env)
{
    return &env->config;
}

bool wr_ds_failed(const weir_env *env)
{
    return env->error.code != 0;
}

void wr_ds_fail(weir_env *env, const wr_error *err, const char *text, const char *what)
{
    env_fail_err(env, err, text, what);
}

bool wr_ds_bounded(const weir_stream *s)
{
    if (s->kind != NODE_OPERATOR)
        return wr_ds_bounded(s->in[0]) && (!s->in[1] || wr_ds_bounded(s->in[1]));
    if (s->build == BUILD_EXTERNAL) return s->ext_bounded;
    if (s->ninputs == 0) return s->build == BUILD_SPEC && s->spec.bounded;
    for (int i = 0; i < s->ninputs; i++)
        if (!wr_ds_bounded(s->in[i])) return false;
    return true;
}

int wr_ds_parallelism(const weir_stream *s)
{
    links ls = {0};
    resolve(s, NULL, 0, &ls);
    int par = 0;
    for (int l = 0; l < ls.n; l++) {
        int p = node_parallelism(ls.v[l].from, &s->env->config);
        par = l == 0 || p == par ? p : -1;
    }
    WR_VEC_FREE(&ls);
    return par > 0 ? par : 0;
}

int wr_ds_connect(const weir_stream *s, wr_jobgraph *g, int to, int to_par, wr_error *err)
{
    links ls = {0};
    resolve(s, NULL, 0, &ls);
    int rc = 0;
    for (int l = 0; l < ls.n && rc == 0; l++) {
        const link *lk = &ls.v[l];
        if (lk->from->vertex < 0) {
            /* A table name now stands for a stream made after the node that reads it. */
            rc = wr_error_set(err, WR_ERR_VALIDATION,
                              "the stream of '%s' was created after the table that reads it "
                              "was converted to a stream",
                              lk->from->name);
            break;
        }
        int par = node_parallelism(lk->from, &s->env->config);
        wr_jobgraph_connect_port(g, lk->from->vertex, lk->port, to, 0,
                                 par == to_par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL);
    }
    WR_VEC_FREE(&ls);
    return rc;
}
