/*
 * udf.c — rows, output builders, state and timers for user callbacks; see udf.h.
 */
#include "udf.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../state/snapshot.h"
#include "../types/row_codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- context ------------------------------------------------------------- */

void wr_udf_init(wr_udf *u, wr_op_ctx *op, const wr_schema *out_schema, const weir_tag *const *tags,
                 int ntags, wr_keyed *keyed, wr_timers *timers, const wr_schema *key_schema)
{
    int nports = 1 + ntags;
    memset(u, 0, sizeof(*u));
    u->op = op;
    u->keyed = keyed;
    u->timers = timers;
    u->key_schema = key_schema;
    u->timestamp = WEIR_NO_TIMESTAMP;
    wr_error_init(&u->deferred);
    u->window_start = u->window_end = WEIR_NO_TIMESTAMP;
    u->nouts = nports;
    u->tags = tags;
    u->outs = wr_calloc((size_t)nports, sizeof(weir_out));
    for (int p = 0; p < nports; p++) {
        weir_out *out = &u->outs[p];
        const wr_schema *schema = p == 0 ? out_schema : tags[p - 1]->schema;
        out->ctx = u;
        out->port = p;
        out->schema = schema;
        if (schema) out->batch = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
    }
    if (key_schema) u->key_batch = wr_batch_new(key_schema->types, key_schema->ncols, 1);
}

void wr_udf_fini(wr_udf *u)
{
    for (int p = 0; p < u->nouts; p++) wr_batch_free(u->outs[p].batch);
    wr_free(u->outs);
    wr_batch_free(u->key_batch);
    wr_free(u->states);
    memset(u, 0, sizeof(*u));
}

static wr_state_kind backend_kind(weir_state_kind kind)
{
    switch (kind) {
    case WEIR_STATE_LIST:
        return WR_STATE_LIST;
    case WEIR_STATE_MAP:
        return WR_STATE_MAP;
    default:
        return WR_STATE_VALUE;
    }
}

int wr_udf_register_states(wr_udf *u, const weir_state_desc *const *descs, wr_error *err)
{
    for (int i = 0; descs && descs[i]; i++) {
        const weir_state_desc *d = descs[i];
        if (u->keyed == NULL)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "state '%s' needs a keyed stream (use weir_key_by first)",
                                d->name ? d->name : "?");
        if (d->name == NULL || d->name[0] == '\0')
            return wr_error_set(err, WR_ERR_VALIDATION, "a state descriptor has no name");
        if ((d->kind == WEIR_STATE_REDUCING && (d->reduce == NULL || d->size == 0)) ||
            (d->kind == WEIR_STATE_AGGREGATING &&
             (d->init == NULL || d->add == NULL || d->size == 0)))
            return wr_error_set(err, WR_ERR_VALIDATION, "state '%s' needs size and %s", d->name,
                                d->kind == WEIR_STATE_REDUCING ? "reduce" : "init and add");
        wr_state_ttl ttl = {d->ttl_ms > 0 ? d->ttl_ms : 0,
                            d->ttl_update == WEIR_TTL_ON_READ_AND_WRITE
                                ? WR_TTL_ON_READ_AND_WRITE
                                : WR_TTL_ON_CREATE_AND_WRITE};
        int id = wr_keyed_register(u->keyed, d->name, backend_kind(d->kind), &ttl);
        if (id < 0)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "state '%s' is declared twice with different kinds", d->name);
        u->states = wr_realloc(u->states, (size_t)(u->nstates + 1) * sizeof(wr_udf_state));
        u->states[u->nstates++] = (wr_udf_state){d, id};
    }
    return 0;
}

int wr_udf_flush(wr_udf *u, wr_error *err)
{
    for (int p = 0; p < u->nouts; p++) {
        wr_batch *b = u->outs[p].batch;
        if (b == NULL || b->count == 0) continue;
        int rc = wr_op_emit_to(u->op, p, b, err);
        wr_batch_reset(b);
        if (rc) return rc;
    }
    return 0;
}

void wr_udf_set_key(wr_udf *u, const void *key, size_t len)
{
    if (u->keyed) wr_keyed_set_key(u->keyed, key, len);
    u->key_decoded = false;
}

const weir_row *wr_udf_row(wr_udf *u, const wr_batch *batch, int row, const wr_schema *schema)
{
    u->row.batch = batch;
    u->row.row = row;
    u->row.schema = schema;
    return &u->row;
}

int wr_udf_check(wr_udf *u, int rc, const char *what, wr_error *err)
{
    u->err = NULL;
    if (rc == 0 && !u->failed) return 0;
    u->failed = false;
    if (err->code == 0 && u->deferred.code) wr_error_copy(err, &u->deferred);
    wr_error_init(&u->deferred);
    if (err->code == 0) wr_error_set(err, WR_ERR_RUNTIME, "%s returned %d", what, rc);
    return err->code;
}

static void misuse(weir_ctx *ctx, const char *fmt, ...) WR_PRINTF(2, 3);
static void misuse(weir_ctx *ctx, const char *fmt, ...)
{
    if (ctx->failed) return;
    ctx->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wr_error_set(ctx->err ? ctx->err : &ctx->deferred, WR_ERR_RUNTIME, "%s", msg);
}

int weir_fail(weir_ctx *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ctx->failed = true;
    wr_error *err = ctx->err ? ctx->err : &ctx->deferred;
    if (err->code == 0) wr_error_set(err, WR_ERR_RUNTIME, "%s", msg);
    return -1;
}

/* ---- rows ------------------------------------------------------------------ */

int weir_row_fields(const weir_row *row)
{
    return row->batch->ncols;
}

static const wr_vector *field(const weir_row *row, int f)
{
    if (f < 0 || f >= row->batch->ncols) return NULL;
    return &row->batch->cols[f];
}

bool weir_row_is_null(const weir_row *row, int f)
{
    const wr_vector *v = field(row, f);
    return v == NULL || wr_vector_is_null(v, row->row);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t weir_row_int(const weir_row *row, int f)
{
    const wr_vector *v = field(row, f);
    if (v == NULL || wr_vector_is_null(v, row->row)) return 0;
    int r = row->row;
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        return ((const bool *)v->data)[r];
    case WR_TYPE_TINYINT:
        return ((const int8_t *)v->data)[r];
    case WR_TYPE_SMALLINT:
        return ((const int16_t *)v->data)[r];
    case WR_TYPE_INT:
        return ((const int32_t *)v->data)[r];
    case WR_TYPE_BIGINT:
        return ((const int64_t *)v->data)[r];
    case WR_TYPE_TIMESTAMP:
        return floor_div(((const int64_t *)v->data)[r], 1000);
    case WR_TYPE_FLOAT:
        return (int64_t)((const float *)v->data)[r];
    case WR_TYPE_DOUBLE:
        return (int64_t)((const double *)v->data)[r];
    default:
        return 0;
    }
}

double weir_row_double(const weir_row *row, int f)
{
    const wr_vector *v = field(row, f);
    if (v == NULL || wr_vector_is_null(v, row->row)) return 0;
    if (v->type.id == WR_TYPE_FLOAT) return ((const float *)v->data)[row->row];
    if (v->type.id == WR_TYPE_DOUBLE) return ((const double *)v->data)[row->row];
    return (double)weir_row_int(row, f);
}

const char *weir_row_str(const weir_row *row, int f, size_t *len)
{
    const wr_vector *v = field(row, f);
    if (v == NULL || !wr_type_is_string(v->type.id) || wr_vector_is_null(v, row->row)) {
        if (len) *len = 0;
        return "";
    }
    wr_str s = ((const wr_str *)v->data)[row->row];
    if (len) *len = s.len;
    return s.len ? s.ptr : "";
}

int64_t weir_row_timestamp(const weir_row *row)
{
    return wr_batch_rowtime(row->batch, row->row);
}

int weir_row_field(const weir_row *row, const char *name)
{
    return row->schema ? wr_schema_find(row->schema, name) : -1;
}

/* ---- output rows ----------------------------------------------------------- */

/* Starts a row at batch->count with every field NULL. */
static void out_open(weir_out *out)
{
    if (out->open) return;
    wr_batch *b = out->batch;
    for (int c = 0; c < b->ncols; c++) wr_batch_set_null(b, c, b->count);
    out->open = true;
    out->timestamp_set = false;
}

weir_out *weir_output(weir_ctx *ctx)
{
    if (ctx->nouts == 0 || ctx->outs[0].batch == NULL) {
        misuse(ctx, "this function has no output");
        return NULL;
    }
    out_open(&ctx->outs[0]);
    return &ctx->outs[0];
}

weir_out *weir_side_output(weir_ctx *ctx, const weir_tag *tag)
{
    int port = 0;
    for (int p = 1; p < ctx->nouts && tag; p++)
        if (ctx->tags[p - 1] == tag) port = p;
    if (port == 0) {
        misuse(ctx, "side output '%s' is not one this operator was given",
               tag ? tag->name : "(null)");
        return NULL;
    }
    out_open(&ctx->outs[port]);
    return &ctx->outs[port];
}

typedef enum value_kind { VALUE_INTEGER, VALUE_NUMBER, VALUE_STRING } value_kind;

/* The column to write, or NULL (with the context failed) when f is bad. */
static wr_vector *out_field(weir_out *out, int f, value_kind kind)
{
    static const char *const what[] = {"an integer", "a number", "a string"};
    if (out == NULL) return NULL;
    if (f < 0 || f >= out->batch->ncols) {
        misuse(out->ctx, "output field %d does not exist (the row has %d fields)", f,
               out->batch->ncols);
        return NULL;
    }
    wr_vector *v = &out->batch->cols[f];
    wr_type_id id = v->type.id;
    bool ok = kind == VALUE_STRING ? wr_type_is_string(id)
              : kind == VALUE_NUMBER
                  ? wr_type_is_numeric(id)
                  : wr_type_is_numeric(id) || id == WR_TYPE_BOOLEAN || id == WR_TYPE_TIMESTAMP;
    if (!ok) {
        char tn[64];
        misuse(out->ctx, "output field %d ('%s') has type %s and cannot take %s", f,
               out->schema->names[f], wr_type_name(v->type, tn, sizeof(tn)), what[kind]);
        return NULL;
    }
    wr_validity_set(wr_batch_validity(out->batch, f), out->batch->count, true);
    return v;
}

void weir_set_int(weir_out *out, int f, int64_t value)
{
    wr_vector *v = out_field(out, f, VALUE_INTEGER);
    if (v == NULL) return;
    int r = out->batch->count;
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        ((bool *)v->data)[r] = value != 0;
        break;
    case WR_TYPE_TINYINT:
        ((int8_t *)v->data)[r] = (int8_t)value;
        break;
    case WR_TYPE_SMALLINT:
        ((int16_t *)v->data)[r] = (int16_t)value;
        break;
    case WR_TYPE_INT:
        ((int32_t *)v->data)[r] = (int32_t)value;
        break;
    case WR_TYPE_TIMESTAMP:
        ((int64_t *)v->data)[r] = value * 1000;
        break;
    case WR_TYPE_FLOAT:
        ((float *)v->data)[r] = (float)value;
        break;
    case WR_TYPE_DOUBLE:
        ((double *)v->data)[r] = (double)value;
        break;
    default:
        ((int64_t *)v->data)[r] = value;
        break;
    }
}

void weir_set_double(weir_out *out, int f, double value)
{
    wr_vector *v = out_field(out, f, VALUE_NUMBER);
    if (v == NULL) return;
    int r = out->batch->count;
    if (v->type.id == WR_TYPE_DOUBLE)
        ((double *)v->data)[r] = value;
    else if (v->type.id == WR_TYPE_FLOAT)
        ((float *)v->data)[r] = (float)value;
    else
        weir_set_int(out, f, (int64_t)value);
}

void weir_set_str(weir_out *out, int f, const char *s, size_t len)
{
    wr_vector *v = out_field(out, f, VALUE_STRING);
    if (v == NULL) return;
    if (len > (size_t)v->type.length) len = (size_t)v->type.length; /* VARCHAR(n) keeps n bytes */
    ((wr_str *)v->data)[out->batch->count] = wr_batch_str(out->batch, s, len);
}

void weir_set_null(weir_out *out, int f)
{
    if (out == NULL) return;
    if (f < 0 || f >= out->batch->ncols) {
        misuse(out->ctx, "output field %d does not exist", f);
        return;
    }
    wr_batch_set_null(out->batch, f, out->batch->count);
}

void weir_set_row(weir_out *out, const weir_row *row)
{
    if (out == NULL) return;
    wr_batch *b = out->batch;
    if (row->batch->ncols != b->ncols) {
        misuse(out->ctx, "weir_set_row: the row has %d fields, the output %d", row->batch->ncols,
               b->ncols);
        return;
    }
    for (int c = 0; c < b->ncols; c++)
        if (!wr_type_equal(row->batch->cols[c].type, b->cols[c].type) &&
            row->batch->cols[c].type.id != b->cols[c].type.id) {
            misuse(out->ctx, "weir_set_row: field %d has another type than the output", c);
            return;
        }
    /* Append the row, then let the open row be it: copying handles strings and NULLs. */
    uint32_t r = (uint32_t)row->row;
    int at = b->count;
    wr_batch_append_rows(b, row->batch, &r, 1);
    b->count = at;
    if (b->rowtimes) b->rowtimes[at] = WR_NO_TIMESTAMP;
}

void weir_set_timestamp(weir_out *out, int64_t timestamp)
{
    if (out == NULL) return;
    out->timestamp = timestamp;
    out->timestamp_set = true;
}

int weir_emit(weir_out *out)
{
    if (out == NULL) return -1;
    weir_ctx *ctx = out->ctx;
    if (ctx->failed) return -1;
    out_open(out); /* emitting without setting anything emits a row of NULLs */
    wr_batch *b = out->batch;
    int64_t ts = out->timestamp_set ? out->timestamp : ctx->timestamp;
    if (ts != WR_NO_TIMESTAMP || b->rowtimes) wr_batch_rowtimes(b)[b->count] = ts;
    b->count++;
    out->open = false;
    if (b->count == b->capacity) {
        wr_error *err = ctx->err ? ctx->err : &ctx->deferred;
        int rc = wr_op_emit_to(ctx->op, out->port, b, err);
        wr_batch_reset(b);
        if (rc) {
            ctx->failed = true;
            return rc;
        }
    }
    return 0;
}

/* ---- context accessors ---------------------------------------------------- */

int64_t weir_ctx_timestamp(const weir_ctx *ctx)
{
    return ctx->timestamp;
}

int64_t weir_ctx_watermark(const weir_ctx *ctx)
{
    return ctx->op->watermark;
}

int64_t weir_ctx_processing_time(const weir_ctx *ctx)
{
    return wr_clock_wall_ms();
}

const weir_row *weir_ctx_key(const weir_ctx *ctx)
{
    weir_ctx *u = (weir_ctx *)ctx;
    if (u->keyed == NULL || u->key_batch == NULL) return NULL;
    if (!u->key_decoded) {
        size_t len;
        const void *key = wr_keyed_key(u->keyed, &len);
        wr_batch_reset(u->key_batch);
        wr_error err;
        wr_error_init(&err);
        if (wr_row_decode_append(u->key_batch, key, len, &err) < 0) return NULL;
        u->key_row = (weir_row){u->key_batch, 0, u->key_schema};
        u->key_decoded = true;
    }
    return &u->key_row;
}

int weir_ctx_subtask(const weir_ctx *ctx)
{
    return ctx->op->subtask;
}

int weir_ctx_parallelism(const weir_ctx *ctx)
{
    return ctx->op->parallelism;
}

int64_t weir_ctx_window_start(const weir_ctx *ctx)
{
    return ctx->window_start;
}

int64_t weir_ctx_window_end(const weir_ctx *ctx)
{
    return ctx->window_end;
}

/* ---- timers ---------------------------------------------------------------- */

static bool timer_ok(weir_ctx *ctx)
{
    if (ctx->timers == NULL) misuse(ctx, "timers need a keyed stream (use weir_key_by first)");
    return ctx->timers != NULL;
}

static void timer_set(weir_ctx *ctx, wr_time_domain dom, int64_t time, bool del)
{
    if (!timer_ok(ctx)) return;
    size_t klen;
    const void *key = wr_keyed_key(ctx->keyed, &klen);
    if (del) {
        wr_timers_delete(ctx->timers, dom, time, key, klen, ctx->ns, ctx->nslen);
        return;
    }
    wr_timers_register(ctx->timers, dom, time, key, klen, ctx->ns, ctx->nslen,
                       wr_keyed_keygroup(ctx->keyed));
    if (dom == WR_PROCESSING_TIME && time < ctx->op->timer_at_ms) ctx->op->timer_at_ms = time;
}

void weir_timer_event(weir_ctx *ctx, int64_t time)
{
    timer_set(ctx, WR_EVENT_TIME, time, false);
}

void weir_timer_processing(weir_ctx *ctx, int64_t time)
{
    timer_set(ctx, WR_PROCESSING_TIME, time, false);
}

void weir_timer_delete_event(weir_ctx *ctx, int64_t time)
{
    timer_set(ctx, WR_EVENT_TIME, time, true);
}

void weir_timer_delete_processing(weir_ctx *ctx, int64_t time)
{
    timer_set(ctx, WR_PROCESSING_TIME, time, true);
}

/* ---- state ----------------------------------------------------------------- */

/* The backend id of a declared state, or -1 (with the context failed). */
static int state_id(weir_ctx *ctx, const weir_state_desc *desc, weir_state_kind want, bool any)
{
    for (int i = 0; i < ctx->nstates; i++) {
        if (ctx->states[i].desc != desc) continue;
        if (!any && desc->kind != want &&
            !(want == WEIR_STATE_VALUE &&
              (desc->kind == WEIR_STATE_REDUCING || desc->kind == WEIR_STATE_AGGREGATING)))
            break;
        return ctx->states[i].id;
    }
    misuse(ctx, "state '%s' is not declared in this function's states, or has another kind",
           desc && desc->name ? desc->name : "?");
    return -1;
}

const void *weir_state_value(weir_ctx *ctx, const weir_state_desc *state, size_t *len)
{
    int id = state_id(ctx, state, WEIR_STATE_VALUE, false);
    size_t scratch;
    if (id < 0) return NULL;
    return wr_keyed_value_get(ctx->keyed, id, ctx->ns, ctx->nslen, len ? len : &scratch);
}

int64_t weir_state_int(weir_ctx *ctx, const weir_state_desc *state, int64_t dflt)
{
    size_t len;
    const void *v = weir_state_value(ctx, state, &len);
    if (v == NULL || len != sizeof(int64_t)) return dflt;
    int64_t out;
    memcpy(&out, v, sizeof(out));
    return out;
}

void weir_state_update(weir_ctx *ctx, const weir_state_desc *state, const void *value, size_t len)
{
    int id = state_id(ctx, state, WEIR_STATE_VALUE, false);
    if (id >= 0) wr_keyed_value_put(ctx->keyed, id, ctx->ns, ctx->nslen, value, len);
}

void weir_state_update_int(weir_ctx *ctx, const weir_state_desc *state, int64_t value)
{
    weir_state_update(ctx, state, &value, sizeof(value));
}

void weir_state_add(weir_ctx *ctx, const weir_state_desc *state, const void *value, size_t len)
{
    int id = state_id(ctx, state, state ? state->kind : WEIR_STATE_LIST, true);
    if (id < 0) return;
    switch (state->kind) {
    case WEIR_STATE_LIST:
        wr_keyed_list_add(ctx->keyed, id, ctx->ns, ctx->nslen, value, len);
        return;
    case WEIR_STATE_REDUCING: {
        if (len != state->size) {
            misuse(ctx, "reducing state '%s' takes values of %zu bytes, not %zu", state->name,
                   state->size, len);
            return;
        }
        size_t have;
        const void *cur = wr_keyed_value_get(ctx->keyed, id, ctx->ns, ctx->nslen, &have);
        if (cur == NULL || have != state->size) {
            wr_keyed_value_put(ctx->keyed, id, ctx->ns, ctx->nslen, value, len);
            return;
        }
        uint64_t acc[(state->size + 7) / 8]; /* aligned for the user's struct */
        memcpy(acc, cur, state->size);
        state->reduce(state->arg, acc, value);
        wr_keyed_value_put(ctx->keyed, id, ctx->ns, ctx->nslen, acc, state->size);
        return;
    }
    case WEIR_STATE_AGGREGATING: {
        size_t have;
        const void *cur = wr_keyed_value_get(ctx->keyed, id, ctx->ns, ctx->nslen, &have);
        uint64_t acc[(state->size + 7) / 8];
        if (cur && have == state->size)
            memcpy(acc, cur, state->size);
        else
            state->init(state->arg, acc);
        state->add(state->arg, acc, value, len);
        wr_keyed_value_put(ctx->keyed, id, ctx->ns, ctx->nslen, acc, state->size);
        return;
    }
    default:
        misuse(ctx, "weir_state_add needs a list, reducing or aggregating state, not '%s'",
               state->name);
    }
}

bool weir_state_next(weir_ctx *ctx, const weir_state_desc *state, size_t *pos, const void **value,
                     size_t *len)
{
    int id = state_id(ctx, state, WEIR_STATE_LIST, false);
    if (id < 0) return false;
    return wr_keyed_list_next(ctx->keyed, id, ctx->ns, ctx->nslen, pos, value, len);
}

const void *weir_map_get(weir_ctx *ctx, const weir_state_desc *state, const void *key, size_t klen,
                         size_t *len)
{
    int id = state_id(ctx, state, WEIR_STATE_MAP, false);
    size_t scratch;
    if (id < 0) return NULL;
    return wr_keyed_map_get(ctx->keyed, id, ctx->ns, ctx->nslen, key, klen, len ? len : &scratch);
}

void weir_map_put(weir_ctx *ctx, const weir_state_desc *state, const void *key, size_t klen,
                  const void *value, size_t len)
{
    int id = state_id(ctx, state, WEIR_STATE_MAP, false);
    if (id >= 0) wr_keyed_map_put(ctx->keyed, id, ctx->ns, ctx->nslen, key, klen, value, len);
}

bool weir_map_remove(weir_ctx *ctx, const weir_state_desc *state, const void *key, size_t klen)
{
    int id = state_id(ctx, state, WEIR_STATE_MAP, false);
    return id >= 0 && wr_keyed_map_remove(ctx->keyed, id, ctx->ns, ctx->nslen, key, klen);
}

bool weir_map_next(weir_ctx *ctx, const weir_state_desc *state, size_t *pos, const void **key,
                   size_t *klen, const void **value, size_t *len)
{
    int id = state_id(ctx, state, WEIR_STATE_MAP, false);
    if (id < 0) return false;
    return wr_keyed_map_next(ctx->keyed, id, ctx->ns, ctx->nslen, pos, key, klen, value, len);
}

void weir_state_clear(weir_ctx *ctx, const weir_state_desc *state)
{
    int id = state_id(ctx, state, WEIR_STATE_VALUE, true);
    if (id >= 0) wr_keyed_clear(ctx->keyed, id, ctx->ns, ctx->nslen);
}

/* ---- checkpoints ------------------------------------------------------------- */

static void count_timer(void *arg, const wr_timer *t)
{
    ++*(int *)arg;
}

void wr_udf_snapshot_keyed(wr_keyed *keyed, wr_timers *timers, wr_snapshot *out)
{
    int maxp, first, last;
    wr_keyed_keygroups(keyed, &maxp, &first, &last);
    for (int kg = first; kg <= last; kg++) {
        int ntimers = 0;
        if (timers) wr_timers_for_each(timers, kg, count_timer, &ntimers);
        if (wr_keyed_group_count(keyed, kg) == 0 && ntimers == 0) continue;
        wr_state_snapshot_kg(keyed, timers, kg, wr_snapshot_add(out, kg));
    }
}

int wr_udf_restore_keyed(wr_keyed *keyed, wr_timers *timers, const wr_restore *restore,
                         wr_error *err)
{
    for (int i = 0; restore && i < restore->nparts; i++) {
        const wr_snapshot_part *part = restore->parts[i];
        if (part->keygroup < 0) continue;
        int rc = wr_state_restore_kg(keyed, timers, part->data.data, part->data.len, err);
        if (rc) {
            wr_error_prefix(err, "restoring key group %d of checkpoint %lld: ", part->keygroup,
                            (long long)restore->checkpoint);
            return rc;
        }
    }
    return 0;
}
