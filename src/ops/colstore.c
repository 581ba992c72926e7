/*
 * colstore.c — rows kept by operators in columnar arrays; see colstore.h.
 */
#include "colstore.h"
#include "../base/alloc.h"

#include <string.h>

wr_value_kind wr_value_kind_of(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_BOOLEAN:
    case WR_TYPE_TINYINT:
        return WR_VALUE_I8;
    case WR_TYPE_SMALLINT:
        return WR_VALUE_I16;
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
    case WR_TYPE_INTERVAL_YM:
        return WR_VALUE_I32;
    case WR_TYPE_BIGINT:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
    case WR_TYPE_INTERVAL_DT:
        return WR_VALUE_I64;
    case WR_TYPE_DECIMAL:
        /* The unscaled value: values of one column share its scale, so they compare as
         * integers (a join checks that both sides of a key have the same scale). */
        return WR_VALUE_I128;
    case WR_TYPE_FLOAT:
        return WR_VALUE_F32;
    case WR_TYPE_DOUBLE:
        return WR_VALUE_F64;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
    case WR_TYPE_ARRAY:
    case WR_TYPE_MAP:
    case WR_TYPE_MULTISET:
    case WR_TYPE_ROW:
        return WR_VALUE_STR;
    case WR_TYPE_NULL:
    case WR_TYPE_COUNT_:
        break;
    }
    /* Deliberately no guess by width: a 16-byte slot may be a number or a string view,
     * and a string view copied as a number would dangle once its batch is gone. */
    return WR_VALUE_UNSUPPORTED;
}

size_t wr_value_kind_width(wr_value_kind kind)
{
    switch (kind) {
    case WR_VALUE_I8:
        return 1;
    case WR_VALUE_I16:
        return 2;
    case WR_VALUE_I32:
    case WR_VALUE_F32:
        return 4;
    case WR_VALUE_I64:
    case WR_VALUE_F64:
        return 8;
    case WR_VALUE_I128:
        return 16;
    case WR_VALUE_STR:
        return sizeof(wr_str);
    case WR_VALUE_UNSUPPORTED:
        break;
    }
    return 0;
}

typedef struct slot16 {
    uint64_t a, b;
} slot16;

static size_t words_of(size_t rows)
{
    return (rows + 63) / 64;
}

static inline bool bit_get(const uint64_t *bits, size_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1;
}

void wr_colstore_init(wr_colstore *cs, const wr_type *types, int ncols)
{
    memset(cs, 0, sizeof(*cs));
    cs->ncols = ncols;
    size_t nc = (size_t)(ncols ? ncols : 1);
    cs->types = wr_malloc(nc * sizeof(wr_type));
    if (ncols) memcpy(cs->types, types, (size_t)ncols * sizeof(wr_type));
    cs->kinds = wr_calloc(nc, 1);
    cs->data = wr_calloc(nc, sizeof(void *));
    cs->validity = wr_calloc(nc, sizeof(uint64_t *));
    for (int c = 0; c < ncols; c++) {
        cs->kinds[c] = (uint8_t)wr_value_kind_of(types[c].id);
        assert(cs->kinds[c] != WR_VALUE_UNSUPPORTED);
    }
    wr_arena_init(&cs->strings, 65536);
}

void wr_colstore_fini(wr_colstore *cs)
{
    for (int c = 0; c < cs->ncols; c++) {
        wr_free(cs->data[c]);
        wr_free(cs->validity[c]);
    }
    wr_free(cs->types);
    wr_free(cs->kinds);
    wr_free(cs->data);
    wr_free(cs->validity);
    wr_arena_fini(&cs->strings);
    memset(cs, 0, sizeof(*cs));
}

static inline void bit_put(uint64_t *bits, size_t i, bool v)
{
    if (v)
        bits[i >> 6] |= (uint64_t)1 << (i & 63);
    else
        bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

static void grow(wr_colstore *cs, size_t need)
{
    if (need <= cs->cap) return;
    size_t cap = cs->cap ? cs->cap * 2 : 1024;
    while (cap < need) cap *= 2;
    for (int c = 0; c < cs->ncols; c++) {
        cs->data[c] = wr_realloc(cs->data[c], cap * wr_value_kind_width(cs->kinds[c]));
        if (cs->validity[c])
            cs->validity[c] = wr_realloc(cs->validity[c], words_of(cap) * sizeof(uint64_t));
    }
    cs->cap = cap;
}

/* Column c's bitmap, created with every stored row present when it had none. */
static uint64_t *validity_of(wr_colstore *cs, int c)
{
    if (cs->validity[c] == NULL) {
        size_t words = words_of(cs->cap);
        cs->validity[c] = wr_malloc(words * sizeof(uint64_t));
        memset(cs->validity[c], 0xff, words * sizeof(uint64_t));
    }
    return cs->validity[c];
}

/*
 * Appends rows[0..n) of columns given as slot arrays and bitmaps (a batch's
 * vectors or another store's columns), copying string bytes into cs.
 */
static void append_slots(wr_colstore *cs, void *const *datas, uint64_t *const *valids,
                         const uint32_t *rows, uint32_t n)
{
    grow(cs, (size_t)cs->n + n);
    size_t base = cs->n;
    for (int c = 0; c < cs->ncols; c++) {
        const void *src = datas[c];
        const uint64_t *sv = valids[c];
        size_t w = wr_value_kind_width(cs->kinds[c]);
        wr_slots_gather((char *)cs->data[c] + base * w, src, w, rows, (int)n);
        if (sv) {
            /* Only a column that actually holds a NULL gets a bitmap. */
            bool any_null = cs->validity[c] != NULL;
            for (uint32_t i = 0; i < n && !any_null; i++) any_null = !bit_get(sv, rows[i]);
            if (any_null) {
                uint64_t *dv = validity_of(cs, c);
                for (uint32_t i = 0; i < n; i++) bit_put(dv, base + i, bit_get(sv, rows[i]));
            }
        } else if (cs->validity[c]) {
            uint64_t *dv = cs->validity[c];
            for (uint32_t i = 0; i < n; i++) bit_put(dv, base + i, true);
        }
        if (cs->kinds[c] == WR_VALUE_STR) {
            /* Deep copy in one arena allocation per call; NULL slots become empty strings. */
            wr_str *d = (wr_str *)cs->data[c] + base;
            size_t total = 0;
            for (uint32_t i = 0; i < n; i++) {
                if (sv && !bit_get(sv, rows[i])) d[i] = (wr_str){"", 0};
                total += d[i].len;
            }
            if (total) {
                char *p = wr_arena_alloc(&cs->strings, total);
                for (uint32_t i = 0; i < n; i++) {
                    if (d[i].len) {
                        memcpy(p, d[i].ptr, d[i].len);
                        d[i].ptr = p;
                        p += d[i].len;
                    }
                }
            }
        }
    }
    cs->n += n;
}

int wr_colstore_append(wr_colstore *cs, const wr_batch *batch, const uint32_t *rows, int n,
                       const char *what, wr_error *err)
{
    assert(batch->ncols == cs->ncols);
    if (n <= 0) return 0;
    if ((uint64_t)cs->n + (uint64_t)n > WR_COLSTORE_MAX_ROWS)
        return wr_error_set(err, WR_ERR_RUNTIME, "%s holds more than %lu rows", what,
                            (unsigned long)WR_COLSTORE_MAX_ROWS);
    int nc = cs->ncols ? cs->ncols : 1;
    void *datas[nc];
    uint64_t *valids[nc];
    for (int c = 0; c < cs->ncols; c++) {
        datas[c] = batch->cols[c].data;
        valids[c] = batch->cols[c].validity;
    }
    append_slots(cs, datas, valids, rows, (uint32_t)n);
    return 0;
}

void wr_colstore_take(wr_colstore *dst, const wr_colstore *src, const uint32_t *idx, uint32_t n)
{
    assert(dst->ncols == src->ncols && (uint64_t)dst->n + n <= WR_COLSTORE_MAX_ROWS);
    append_slots(dst, src->data, src->validity, idx, n);
}

void wr_colstore_move(wr_colstore *cs, const uint32_t *first, const uint32_t *then)
{
    uint32_t n = cs->n;
    size_t widest = 1;
    for (int c = 0; c < cs->ncols; c++)
        if (wr_value_kind_width(cs->kinds[c]) > widest) widest = wr_value_kind_width(cs->kinds[c]);
    /* One scratch array for all columns; each column ends up back in its own array. */
    void *scratch = wr_malloc((size_t)(n ? n : 1) * widest);
    for (int c = 0; c < cs->ncols; c++) {
        size_t width = wr_value_kind_width(cs->kinds[c]);
        void *moved = cs->data[c];
        switch (width) {
#define MOVE(T)                                                                                    \
    {                                                                                              \
        const T *s = cs->data[c];                                                                  \
        T *t = scratch, *d = moved;                                                                \
        for (uint32_t i = 0; i < n; i++) t[first[i]] = s[i];                                       \
        for (uint32_t j = 0; j < n; j++) d[then[j]] = t[j];                                        \
    }                                                                                              \
    break;
        case 1:
            MOVE(uint8_t)
        case 2:
            MOVE(uint16_t)
        case 4:
            MOVE(uint32_t)
        case 8:
            MOVE(uint64_t)
        default:
            MOVE(slot16)
#undef MOVE
        }
        if (cs->validity[c]) {
            const uint64_t *sv = cs->validity[c];
            uint64_t *dv = wr_calloc(words_of(cs->cap), sizeof(uint64_t));
            for (uint32_t i = 0; i < n; i++)
                if (bit_get(sv, i)) bit_put(dv, then[first[i]], true);
            wr_free(cs->validity[c]);
            cs->validity[c] = dv;
        }
    }
    wr_free(scratch);
}

void wr_gather_slots(const void *data, const uint64_t *validity, size_t width, const uint32_t *idx,
                     int n, wr_batch *out, int out_col)
{
    wr_vector *v = &out->cols[out_col];
    assert(v->data == v->own_data && n <= out->capacity);
    wr_slots_gather(v->data, data, width, idx, n);
    if (validity) {
        uint64_t *dv = wr_batch_validity(out, out_col);
        for (int i = 0; i < n; i++) bit_put(dv, (size_t)i, bit_get(validity, idx[i]));
    }
}

/* A 16-byte slot (a string view, an i128) copied whole, padding included. */
typedef struct wr_slot16 {
    uint64_t lo, hi;
} wr_slot16;

void wr_gather_slots_at(const void *data, const uint64_t *validity, size_t width,
                        const uint32_t *idx, const uint32_t *at, int n, wr_batch *out, int out_col)
{
    wr_vector *v = &out->cols[out_col];
    assert(v->data == v->own_data);
    switch (width) {
#define SCATTER(T)                                                                                 \
    {                                                                                              \
        const T *s = data;                                                                         \
        T *d = v->data;                                                                            \
        for (int i = 0; i < n; i++) d[at[i]] = s[idx[i]];                                          \
    }                                                                                              \
    break;
    case 1:
        SCATTER(uint8_t)
    case 2:
        SCATTER(uint16_t)
    case 4:
        SCATTER(uint32_t)
    case 8:
        SCATTER(uint64_t)
    default:
        assert(width == 16);
        SCATTER(wr_slot16)
#undef SCATTER
    }
    if (validity) {
        uint64_t *dv = wr_batch_validity(out, out_col);
        for (int i = 0; i < n; i++) bit_put(dv, at[i], bit_get(validity, idx[i]));
    }
}

void wr_colstore_gather(const wr_colstore *cs, int col, const uint32_t *idx, int n, wr_batch *out,
                        int out_col)
{
    wr_gather_slots(cs->data[col], cs->validity[col], wr_value_kind_width(cs->kinds[col]), idx, n,
                    out, out_col);
}

size_t wr_colstore_bytes(const wr_colstore *cs)
{
    size_t bytes = wr_arena_used(&cs->strings);
    for (int c = 0; c < cs->ncols; c++) {
        bytes += cs->cap * wr_value_kind_width(cs->kinds[c]);
        if (cs->validity[c]) bytes += words_of(cs->cap) * sizeof(uint64_t);
    }
    return bytes;
}
