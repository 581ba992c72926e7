/*
 * batch.c — columnar batches; see batch.h.
 */
#include "batch.h"
#include "../base/alloc.h"
#include "../base/error.h"
#include "decimal.h"
#include "nested.h"

#include <inttypes.h>
#include <string.h>

const char *wr_change_kind_short(wr_change_kind kind)
{
    static const char *names[] = {"+I", "-U", "+U", "-D"};
    return kind <= WR_KIND_DELETE ? names[kind] : "?";
}

int wr_batch_check_inserts(const wr_batch *batch, const char *who, wr_error *err)
{
    if (batch->kinds == NULL) return 0;
    for (int i = 0, n = wr_batch_rows(batch); i < n; i++) {
        wr_change_kind kind = wr_batch_kind(batch, wr_batch_row(batch, i));
        if (kind == WR_KIND_UPDATE_BEFORE || kind == WR_KIND_DELETE)
            return wr_error_set(err, WR_ERR_RUNTIME, "%s takes insert-only input, got a %s row",
                                who, wr_change_kind_short(kind));
    }
    return 0;
}

static size_t validity_words(int capacity)
{
    return ((size_t)capacity + 63) / 64;
}

wr_batch *wr_batch_new(const wr_type *types, int ncols, int capacity)
{
    wr_batch *batch = wr_calloc(1, sizeof(*batch));
    batch->ncols = ncols;
    batch->capacity = capacity;
    batch->cols = wr_calloc((size_t)(ncols ? ncols : 1), sizeof(wr_vector));
    for (int i = 0; i < ncols; i++) {
        wr_vector *v = &batch->cols[i];
        v->type = types[i];
        /* Not zeroed: only the slots of present values are ever read. */
        v->own_data = wr_malloc((size_t)capacity * wr_type_width(types[i].id));
        v->data = v->own_data;
    }
    wr_arena_init(&batch->arena, 16384);
    atomic_init(&batch->refs, 1);
    return batch;
}

static void batch_destroy(wr_batch *batch)
{
    for (int i = 0; i < batch->ncols; i++) {
        wr_free(batch->cols[i].own_data);
        wr_free(batch->cols[i].own_validity);
    }
    wr_free(batch->cols);
    wr_free(batch->own_kinds);
    wr_free(batch->own_rowtimes);
    wr_free(batch->own_sel);
    wr_arena_fini(&batch->arena);
    wr_free(batch);
}

/* Drops one reference to batch alone (not its deps). */
static void unref(wr_batch *batch)
{
    if (atomic_fetch_sub_explicit(&batch->refs, 1, memory_order_acq_rel) == 1) batch_destroy(batch);
}

void wr_batch_hold(wr_batch *batch)
{
    atomic_fetch_add_explicit(&batch->refs, 1, memory_order_relaxed);
    for (int i = 0; i < batch->ndeps; i++) wr_batch_hold(batch->deps[i]);
}

void wr_batch_release(wr_batch *batch)
{
    /* The deps first: batch (and its deps array) may go with its last reference. */
    for (int i = 0; i < batch->ndeps; i++) wr_batch_release(batch->deps[i]);
    unref(batch);
}

bool wr_batch_held(const wr_batch *batch)
{
    return atomic_load_explicit(&batch->refs, memory_order_acquire) > 1;
}

static void drop_lent(wr_batch *batch)
{
    if (batch->lent_from == NULL) return;
    wr_batch_release(batch->lent_from);
    batch->lent_from = NULL;
}

void wr_batch_free(wr_batch *batch)
{
    if (batch == NULL) return;
    drop_lent(batch);
    unref(batch);
}

void wr_batch_ring_init(wr_batch_ring *ring, wr_batch *first)
{
    memset(ring, 0, sizeof(*ring));
    ring->cur = first;
}

wr_batch *wr_batch_ring_take(wr_batch_ring *ring)
{
    wr_batch *b = ring->cur;
    if (wr_batch_held(b)) {
        if (ring->nheld == ring->cap) {
            ring->cap = ring->cap ? ring->cap * 2 : 8;
            ring->held = wr_realloc(ring->held, (size_t)ring->cap * sizeof(wr_batch *));
        }
        ring->held[ring->nheld++] = b;
        b = NULL;
        for (int i = 0; i < ring->nheld - 1 && b == NULL; i++) {
            if (wr_batch_held(ring->held[i])) continue;
            b = ring->held[i];
            ring->held[i] = ring->held[--ring->nheld];
        }
        if (b == NULL) {
            const wr_batch *like = ring->held[ring->nheld - 1];
            wr_type types[like->ncols > 0 ? like->ncols : 1];
            for (int c = 0; c < like->ncols; c++) types[c] = like->cols[c].type;
            b = wr_batch_new(types, like->ncols, like->capacity);
        }
        ring->cur = b;
    }
    wr_batch_reset(b);
    return b;
}

void wr_batch_ring_fini(wr_batch_ring *ring)
{
    wr_batch_free(ring->cur);
    for (int i = 0; i < ring->nheld; i++) wr_batch_free(ring->held[i]);
    wr_free(ring->held);
    memset(ring, 0, sizeof(*ring));
}

void wr_batch_reset(wr_batch *batch)
{
    assert(!wr_batch_held(batch));
    drop_lent(batch);
    batch->lendable = false;
    batch->ndeps = 0;
    batch->count = 0;
    batch->sel = NULL;
    batch->nsel = 0;
    batch->kinds = NULL;
    batch->rowtimes = NULL;
    batch->stable = false;
    for (int i = 0; i < batch->ncols; i++) {
        batch->cols[i].data = batch->cols[i].own_data;
        batch->cols[i].validity = NULL;
    }
    wr_arena_reset(&batch->arena);
}

uint64_t *wr_batch_validity(wr_batch *batch, int col)
{
    wr_vector *v = &batch->cols[col];
    size_t words = validity_words(batch->capacity);
    if (v->own_validity == NULL) v->own_validity = wr_malloc(words * sizeof(uint64_t));
    if (v->validity != v->own_validity) {
        if (v->validity)
            memcpy(v->own_validity, v->validity, words * sizeof(uint64_t));
        else
            memset(v->own_validity, 0xff, words * sizeof(uint64_t));
        v->validity = v->own_validity;
    }
    return v->validity;
}

void wr_batch_set_null(wr_batch *batch, int col, int row)
{
    wr_validity_set(wr_batch_validity(batch, col), row, false);
}

uint8_t *wr_batch_kinds(wr_batch *batch)
{
    if (batch->own_kinds == NULL) batch->own_kinds = wr_malloc((size_t)batch->capacity);
    if (batch->kinds != batch->own_kinds) {
        if (batch->kinds)
            memcpy(batch->own_kinds, batch->kinds, (size_t)batch->capacity);
        else
            memset(batch->own_kinds, WR_KIND_INSERT, (size_t)batch->capacity);
        batch->kinds = batch->own_kinds;
    }
    return batch->kinds;
}

int64_t *wr_batch_rowtimes(wr_batch *batch)
{
    size_t size = (size_t)batch->capacity * sizeof(int64_t);
    if (batch->own_rowtimes == NULL) batch->own_rowtimes = wr_malloc(size);
    if (batch->rowtimes != batch->own_rowtimes) {
        if (batch->rowtimes)
            memcpy(batch->own_rowtimes, batch->rowtimes, size);
        else
            for (int i = 0; i < batch->capacity; i++) batch->own_rowtimes[i] = WR_NO_TIMESTAMP;
        batch->rowtimes = batch->own_rowtimes;
    }
    return batch->rowtimes;
}

uint32_t *wr_batch_sel_buffer(wr_batch *batch)
{
    if (batch->own_sel == NULL)
        batch->own_sel = wr_malloc((size_t)batch->capacity * sizeof(uint32_t));
    return batch->own_sel;
}

wr_str wr_batch_str(wr_batch *batch, const char *s, size_t len)
{
    wr_str out = {"", (uint32_t)len};
    if (len) {
        char *p = wr_arena_alloc(&batch->arena, len);
        memcpy(p, s, len);
        out.ptr = p;
    }
    return out;
}

typedef struct slot16 {
    uint64_t lo, hi;
} slot16;

void wr_slots_gather(void *dst, const void *src, size_t width, const uint32_t *idx, int n)
{
    switch (width) {
#define GATHER(T)                                                                                  \
    {                                                                                              \
        const T *s = src;                                                                          \
        T *d = dst;                                                                                \
        for (int i = 0; i < n; i++) d[i] = s[idx[i]];                                              \
    }                                                                                              \
    break;
    case 1:
        GATHER(uint8_t)
    case 2:
        GATHER(uint16_t)
    case 4:
        GATHER(uint32_t)
    case 8:
        GATHER(uint64_t)
    default:
        assert(width == 16);
        GATHER(slot16)
#undef GATHER
    }
}

void wr_batch_append_rows(wr_batch *dst, const wr_batch *src, const uint32_t *rows, int n)
{
    assert(dst->sel == NULL && dst->ncols == src->ncols && dst->count + n <= dst->capacity);
    int base = dst->count;
    for (int c = 0; c < src->ncols; c++) {
        const wr_vector *sv = &src->cols[c];
        wr_vector *dv = &dst->cols[c];
        assert(dv->data == dv->own_data);
        size_t w = wr_type_is_view(sv->type.id) ? sizeof(wr_str) : wr_type_width(sv->type.id);
        wr_slots_gather((char *)dv->data + (size_t)base * w, sv->data, w, rows, n);
        if (wr_type_is_view(sv->type.id)) {
            /* Deep copy: the source may be freed or reset after this call. The
             * slots of NULL values hold anything; they become empty strings. */
            wr_str *d = (wr_str *)dv->data + base;
            size_t total = 0;
            for (int i = 0; i < n; i++) {
                if (wr_vector_is_null(sv, (int)rows[i])) d[i] = (wr_str){"", 0};
                total += d[i].len;
            }
            if (total) {
                char *p = wr_arena_alloc(&dst->arena, total);
                for (int i = 0; i < n; i++) {
                    if (d[i].len) {
                        memcpy(p, d[i].ptr, d[i].len);
                        d[i].ptr = p;
                        p += d[i].len;
                    }
                }
            }
        }
        if (sv->validity) {
            uint64_t *dvalid = wr_batch_validity(dst, c);
            for (int i = 0; i < n; i++)
                wr_validity_set(dvalid, base + i, !wr_vector_is_null(sv, (int)rows[i]));
        } else if (dv->validity) {
            for (int i = 0; i < n; i++) wr_validity_set(dv->validity, base + i, true);
        }
    }
    if (src->kinds) {
        uint8_t *k = wr_batch_kinds(dst);
        for (int i = 0; i < n; i++) k[base + i] = src->kinds[rows[i]];
    } else if (dst->kinds) {
        memset(dst->kinds + base, WR_KIND_INSERT, (size_t)n);
    }
    if (src->rowtimes) {
        int64_t *t = wr_batch_rowtimes(dst);
        for (int i = 0; i < n; i++) t[base + i] = src->rowtimes[rows[i]];
    } else if (dst->rowtimes) {
        for (int i = 0; i < n; i++) dst->rowtimes[base + i] = WR_NO_TIMESTAMP;
    }
    dst->count += n;
}

void wr_batch_append_active(wr_batch *dst, const wr_batch *src)
{
    if (src->sel) {
        wr_batch_append_rows(dst, src, src->sel, src->nsel);
        return;
    }
    uint32_t rows[WR_BATCH_CAPACITY];
    for (int start = 0; start < src->count; start += WR_BATCH_CAPACITY) {
        int n = WR_MIN(WR_BATCH_CAPACITY, src->count - start);
        for (int i = 0; i < n; i++) rows[i] = (uint32_t)(start + i);
        wr_batch_append_rows(dst, src, rows, n);
    }
}

/* One element or field of a nested value, formatted as a one-row vector. */
static void format_element(wr_type t, const void *slot, bool present, int style, wr_buf *out)
{
    uint64_t valid = present;
    wr_vector v = {.type = t, .data = (void *)slot, .validity = &valid};
    wr_vector_format(&v, 0, (wr_format_style)style, out);
}

void wr_vector_format(const wr_vector *v, int row, wr_format_style style, wr_buf *out)
{
    if (wr_vector_is_null(v, row)) {
        wr_buf_puts(out, style == WR_FORMAT_PRINT ? "null" : "NULL");
        return;
    }
    switch ((wr_type_id)v->type.id) {
    case WR_TYPE_BOOLEAN:
        if (style == WR_FORMAT_PRINT)
            wr_buf_puts(out, ((uint8_t *)v->data)[row] ? "true" : "false");
        else
            wr_buf_puts(out, ((uint8_t *)v->data)[row] ? "TRUE" : "FALSE");
        break;
    case WR_TYPE_TINYINT:
        wr_buf_printf(out, "%d", ((int8_t *)v->data)[row]);
        break;
    case WR_TYPE_SMALLINT:
        wr_buf_printf(out, "%d", ((int16_t *)v->data)[row]);
        break;
    case WR_TYPE_INT:
        wr_buf_printf(out, "%" PRId32, ((int32_t *)v->data)[row]);
        break;
    case WR_TYPE_BIGINT:
        wr_buf_printf(out, "%" PRId64, ((int64_t *)v->data)[row]);
        break;
    case WR_TYPE_FLOAT:
        wr_double_format_java(((float *)v->data)[row], true, out);
        break;
    case WR_TYPE_DOUBLE:
        wr_double_format_java(((double *)v->data)[row], false, out);
        break;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR: {
        wr_str s = ((wr_str *)v->data)[row];
        wr_buf_append(out, s.ptr, s.len);
        break;
    }
    case WR_TYPE_TIMESTAMP:
        if (style == WR_FORMAT_PRINT)
            wr_timestamp_format_iso(((int64_t *)v->data)[row], out);
        else
            wr_timestamp_format_sql(((int64_t *)v->data)[row], v->type.length, out);
        break;
    case WR_TYPE_DECIMAL: {
        wr_int128 x = ((const wr_int128 *)v->data)[row];
        if (style == WR_FORMAT_PRINT)
            wr_decimal_format_java(x, v->type.scale, out);
        else
            wr_decimal_format(x, v->type.scale, out);
        break;
    }
    case WR_TYPE_DATE:
        wr_date_format(((const int32_t *)v->data)[row], out);
        break;
    case WR_TYPE_TIME:
        if (style == WR_FORMAT_PRINT)
            wr_time_format_java(((const int32_t *)v->data)[row], out);
        else
            wr_time_format_sql(((const int32_t *)v->data)[row], v->type.length, out);
        break;
    case WR_TYPE_TIMESTAMP_LTZ:
        /* The session time zone is UTC (docs/sql.md). */
        if (style == WR_FORMAT_PRINT)
            wr_timestamp_format_instant(((const int64_t *)v->data)[row], out);
        else
            wr_timestamp_format_sql(((const int64_t *)v->data)[row], v->type.length, out);
        break;
    case WR_TYPE_INTERVAL_YM:
        if (style == WR_FORMAT_PRINT)
            wr_interval_ym_format_java(((const int32_t *)v->data)[row], out);
        else
            wr_interval_ym_format(((const int32_t *)v->data)[row], out);
        break;
    case WR_TYPE_INTERVAL_DT:
        if (style == WR_FORMAT_PRINT)
            wr_interval_dt_format_java(((const int64_t *)v->data)[row], out);
        else
            wr_interval_dt_format(((const int64_t *)v->data)[row], out);
        break;
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY: {
        wr_str s = ((const wr_str *)v->data)[row];
        if (style == WR_FORMAT_PRINT)
            wr_bytes_format_java(s.ptr, s.len, out);
        else
            wr_bytes_format_sql(s.ptr, s.len, out);
        break;
    }
    case WR_TYPE_ARRAY:
    case WR_TYPE_MAP:
    case WR_TYPE_MULTISET:
    case WR_TYPE_ROW:
        wr_nested_format(v->type, ((const wr_str *)v->data)[row], style, format_element, out);
        break;
    case WR_TYPE_NULL:
    case WR_TYPE_COUNT_:
        wr_buf_puts(out, "NULL");
        break;
    }
}

void wr_batch_format_row(const wr_batch *batch, int row, wr_buf *out)
{
    wr_buf_puts(out, wr_change_kind_short(wr_batch_kind(batch, row)));
    wr_buf_putc(out, '[');
    for (int c = 0; c < batch->ncols; c++) {
        if (c) wr_buf_puts(out, ", ");
        wr_vector_format(&batch->cols[c], row, WR_FORMAT_PRINT, out);
    }
    wr_buf_putc(out, ']');
}
