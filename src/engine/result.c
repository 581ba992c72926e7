/*
 * result.c — statement results and the collect sink; see result.h.
 */
#include "result.h"
#include "../base/alloc.h"
#include "../types/decimal.h"

#include <stdlib.h>
#include <string.h>

weir_result *wr_result_new(const wr_schema *schema)
{
    weir_result *r = wr_calloc(1, sizeof(*r));
    r->schema = wr_schema_copy(schema);
    r->type_names = wr_calloc((size_t)(schema->ncols ? schema->ncols : 1), sizeof(char *));
    for (int i = 0; i < schema->ncols; i++) {
        char buf[64];
        r->type_names[i] = wr_strdup(wr_type_name(schema->types[i], buf, sizeof(buf)));
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

/* Frees the text cache, built when the result had nrows rows. */
static void drop_texts(weir_result *r, int64_t nrows)
{
    if (r->texts == NULL) return;
    for (int64_t i = 0; i < nrows * r->schema->ncols; i++) wr_free(r->texts[i]);
    wr_free(r->texts);
    r->texts = NULL;
}

void weir_result_free(weir_result *r)
{
    if (r == NULL) return;
    for (int i = 0; i < r->schema->ncols; i++) wr_free(r->type_names[i]);
    wr_free(r->type_names);
    for (int i = 0; i < r->nbatches; i++) wr_batch_free(r->batches[i]);
    wr_free(r->batches);
    drop_texts(r, r->nrows);
    wr_schema_free(r->schema);
    pthread_mutex_destroy(&r->lock);
    wr_free(r);
}

static wr_batch *tail_with_room(weir_result *r)
{
    if (r->nbatches == 0 || r->batches[r->nbatches - 1]->count == WR_BATCH_CAPACITY) {
        r->batches = wr_realloc(r->batches, (size_t)(r->nbatches + 1) * sizeof(wr_batch *));
        r->batches[r->nbatches++] =
            wr_batch_new(r->schema->types, r->schema->ncols, WR_BATCH_CAPACITY);
    }
    return r->batches[r->nbatches - 1];
}

void wr_result_append(weir_result *r, const wr_batch *batch)
{
    pthread_mutex_lock(&r->lock);
    int n = wr_batch_rows(batch);
    uint32_t rows[WR_BATCH_CAPACITY];
    for (int i = 0; i < n;) {
        wr_batch *tail = tail_with_room(r);
        int k = WR_MIN(n - i, tail->capacity - tail->count);
        for (int j = 0; j < k; j++) rows[j] = (uint32_t)wr_batch_row(batch, i + j);
        wr_batch_append_rows(tail, batch, rows, k);
        i += k;
        r->nrows += k;
    }
    if (r->live && n > 0) {
        /* The text cache is sized by the rows it was built for. */
        drop_texts(r, r->nrows - n);
        r->live(r, r->nrows - n, r->nrows, r->live_arg);
    }
    pthread_mutex_unlock(&r->lock);
}

void wr_result_add_text_row(weir_result *r, const char *const *values)
{
    wr_batch *tail = tail_with_room(r);
    int row = tail->count;
    for (int c = 0; c < r->schema->ncols; c++) {
        if (values[c] == NULL) {
            wr_batch_set_null(tail, c, row);
            continue;
        }
        if (tail->cols[c].validity) wr_validity_set(tail->cols[c].validity, row, true);
        ((wr_str *)tail->cols[c].data)[row] = wr_batch_str(tail, values[c], strlen(values[c]));
    }
    tail->count++;
    r->nrows++;
}

/* ---- accessors ------------------------------------------------------------- */

static const wr_vector *cell(const weir_result *r, int64_t row, int col, int *at)
{
    const wr_batch *b = r->batches[row / WR_BATCH_CAPACITY];
    *at = (int)(row % WR_BATCH_CAPACITY);
    return &b->cols[col];
}

int weir_result_columns(const weir_result *r)
{
    return r->schema->ncols;
}

const char *weir_result_column_name(const weir_result *r, int col)
{
    return r->schema->names[col];
}

const char *weir_result_column_type(const weir_result *r, int col)
{
    return r->type_names[col];
}

weir_kind weir_result_column_kind(const weir_result *r, int col)
{
    wr_type_id id = r->schema->types[col].id;
    if (id == WR_TYPE_BOOLEAN) return WEIR_KIND_BOOLEAN;
    if (wr_type_is_integer(id)) return WEIR_KIND_INTEGER;
    /* DECIMAL is a number: weir_result_double gives its value, weir_result_text its digits. */
    if (id == WR_TYPE_FLOAT || id == WR_TYPE_DOUBLE || id == WR_TYPE_DECIMAL) return WEIR_KIND_REAL;
    if (id == WR_TYPE_TIMESTAMP || id == WR_TYPE_TIMESTAMP_LTZ) return WEIR_KIND_TIMESTAMP;
    /* Text, and the values read as text: dates, times, intervals, byte strings (x'0aff'). */
    if (id != WR_TYPE_NULL) return WEIR_KIND_STRING;
    return WEIR_KIND_NULL;
}

int64_t weir_result_rows(const weir_result *r)
{
    return r->nrows;
}

const char *weir_result_change(const weir_result *r, int64_t row)
{
    const wr_batch *b = r->batches[row / WR_BATCH_CAPACITY];
    return wr_change_kind_short(wr_batch_kind(b, (int)(row % WR_BATCH_CAPACITY)));
}

bool weir_result_is_null(const weir_result *r, int64_t row, int col)
{
    int at;
    const wr_vector *v = cell(r, row, col, &at);
    return wr_vector_is_null(v, at);
}

const char *weir_result_text(const weir_result *r, int64_t row, int col)
{
    weir_result *w = (weir_result *)r; /* texts are a cache */
    int ncols = r->schema->ncols;
    if (w->texts == NULL) w->texts = wr_calloc((size_t)(r->nrows * ncols + 1), sizeof(char *));
    char **slot = &w->texts[row * ncols + col];
    if (*slot == NULL) {
        int at;
        const wr_vector *v = cell(r, row, col, &at);
        wr_buf b;
        wr_buf_init(&b);
        wr_vector_format(v, at, WR_FORMAT_SQL, &b);
        *slot = wr_buf_detach(&b);
    }
    return *slot;
}

int64_t weir_result_int(const weir_result *r, int64_t row, int col)
{
    int at;
    const wr_vector *v = cell(r, row, col, &at);
    if (wr_vector_is_null(v, at)) return 0;
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        return ((const uint8_t *)v->data)[at];
    case WR_TYPE_TINYINT:
        return ((const int8_t *)v->data)[at];
    case WR_TYPE_SMALLINT:
        return ((const int16_t *)v->data)[at];
    case WR_TYPE_INT:
        return ((const int32_t *)v->data)[at];
    case WR_TYPE_BIGINT:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
    case WR_TYPE_INTERVAL_DT:
        return ((const int64_t *)v->data)[at];
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
    case WR_TYPE_INTERVAL_YM:
        return ((const int32_t *)v->data)[at];
    case WR_TYPE_DECIMAL:
        return wr_decimal_to_int64(((const wr_int128 *)v->data)[at], v->type.scale);
    case WR_TYPE_FLOAT:
        return (int64_t)((const float *)v->data)[at];
    case WR_TYPE_DOUBLE:
        return (int64_t)((const double *)v->data)[at];
    default:
        return strtoll(weir_result_text(r, row, col), NULL, 10);
    }
}

double weir_result_double(const weir_result *r, int64_t row, int col)
{
    int at;
    const wr_vector *v = cell(r, row, col, &at);
    if (wr_vector_is_null(v, at)) return 0;
    if (v->type.id == WR_TYPE_FLOAT) return ((const float *)v->data)[at];
    if (v->type.id == WR_TYPE_DOUBLE) return ((const double *)v->data)[at];
    if (v->type.id == WR_TYPE_DECIMAL)
        return wr_decimal_to_double(((const wr_int128 *)v->data)[at], v->type.scale);
    if (wr_type_is_string(v->type.id)) return strtod(weir_result_text(r, row, col), NULL);
    return (double)weir_result_int(r, row, col);
}

/* ---- collect sink ---------------------------------------------------------- */

typedef struct collect_op {
    wr_operator base;
    weir_result *result;
} collect_op;

static wr_operator *collect_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int collect_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    wr_result_append(((collect_op *)base)->result, batch);
    return 0;
}

static void collect_destroy(wr_operator *base)
{
    wr_free(base);
}

static const wr_operator_ops collect_ops = {
    .kind = "collect",
    .create = collect_create,
    .process = collect_process,
    .destroy = collect_destroy,
};

static wr_operator *collect_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    collect_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &collect_ops;
    op->result = (weir_result *)spec;
    return &op->base;
}

wr_operator_spec wr_collect_spec(weir_result *result)
{
    wr_operator_spec spec = {&collect_ops, result, NULL, 1, false};
    return spec;
}
