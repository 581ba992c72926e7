/*
 * func_nested.c — ARRAY, MAP, MULTISET and ROW values in expressions: the value constructors
 * (ARRAY[...], MAP[...], ROW(...)), element and field access (x[i], m[k], r.f), CAST between
 * nested types, and Flink's collection functions (CARDINALITY, ELEMENT, ARRAY_*, MAP_*, SPLIT).
 *
 * Values are the canonical byte strings of types/nested.h. A kernel reads a value through an
 * array reader (or a ROW's field slots), collects the elements it keeps in an element list and
 * encodes the result into the evaluation arena. Elements compare by their encoded bytes (equal
 * values of one type encode equally), except floating-point numbers, which compare as numbers
 * (-0.0 equals 0.0, as SQL's = does). Functions over two collections first bring both to their
 * common type, as Flink does, so their elements compare byte for byte.
 */
#include "../base/hash.h"
#include "../types/decimal.h"
#include "../types/nested.h"
#include "func_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The widest slot of any type: DECIMAL's 16 bytes, a view's wr_str. */
typedef union slot {
    wr_int128 i128;
    wr_str s;
    int64_t i64;
    double f64;
    float f32;
    int32_t i32;
    int16_t i16;
    int8_t i8;
    uint8_t u8;
} slot;

static const void *slot_at(const wr_vector *v, int r)
{
    return (const char *)v->data + (size_t)r * wr_type_width(v->type.id);
}

/* Makes row r of a result NULL; *valid becomes a writable copy of base on first use. */
static void set_null(wr_eval *ev, uint64_t **valid, const uint64_t *base, int r)
{
    if (*valid == NULL || *valid == base) *valid = wr_eval_validity_copy(ev, base);
    wr_validity_set(*valid, r, false);
}

/* ---- element lists ---------------------------------------------------------------------- */

/*
 * The elements a kernel builds a value from: slots of the element type and whether each is
 * present. Views point into the values being read, which outlive the kernel call. Kept across
 * the rows of one call (elist_reset) so that a batch allocates once.
 */
typedef struct elist {
    wr_type type;
    size_t width;
    uint8_t *slots;
    bool *present;
    uint32_t n, cap;
} elist;

static void elist_init(elist *l, wr_type t)
{
    memset(l, 0, sizeof(*l));
    l->type = t;
    l->width = wr_type_width((wr_type_id)t.id);
}

static void elist_fini(elist *l)
{
    wr_free(l->slots);
    wr_free(l->present);
}

static void elist_reset(elist *l)
{
    l->n = 0;
}

static void elist_reserve(elist *l, uint32_t more)
{
    if (l->n + more <= l->cap) return;
    uint32_t cap = WR_MAX(l->n + more, WR_MAX(16u, 2 * l->cap));
    l->slots = wr_realloc(l->slots, l->width * cap);
    l->present = wr_realloc(l->present, cap);
    l->cap = cap;
}

static void elist_push(elist *l, const void *value, bool present)
{
    elist_reserve(l, 1);
    uint8_t *s = l->slots + l->width * l->n;
    if (present)
        memcpy(s, value, l->width);
    else
        memset(s, 0, l->width);
    l->present[l->n++] = present;
}

static const void *elist_at(const elist *l, uint32_t i)
{
    return l->slots + l->width * i;
}

/* Appends element i of r. */
static void elist_push_elem(elist *l, const wr_array_reader *r, uint32_t i)
{
    slot s;
    bool present = wr_array_get(r, i, &s);
    elist_push(l, &s, present);
}

/* The list as an ARRAY (or MULTISET) value in the evaluation arena; buf is scratch. */
static wr_str elist_value(wr_eval *ev, const elist *l, wr_buf *buf)
{
    wr_buf_reset(buf);
    wr_array_encode(buf, l->type, l->n, l->slots, l->present);
    return wr_fn_copy(ev, buf->data, buf->len);
}

/* ---- comparing elements ------------------------------------------------------------------- */

static double load_float(wr_type t, const void *p)
{
    if (t.id == WR_TYPE_FLOAT) {
        float f;
        memcpy(&f, p, sizeof f);
        return f;
    }
    double d;
    memcpy(&d, p, sizeof d);
    return d;
}

/* Whether two present elements of type t are equal. */
static bool elem_equal(wr_type t, const void *a, const void *b)
{
    if (t.id == WR_TYPE_FLOAT || t.id == WR_TYPE_DOUBLE)
        return load_float(t, a) == load_float(t, b);
    if (wr_type_is_view((wr_type_id)t.id)) {
        wr_str x, y;
        memcpy(&x, a, sizeof x);
        memcpy(&y, b, sizeof y);
        return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
    }
    return memcmp(a, b, wr_type_width((wr_type_id)t.id)) == 0;
}

static uint64_t elem_hash(wr_type t, const void *a)
{
    if (t.id == WR_TYPE_FLOAT || t.id == WR_TYPE_DOUBLE) {
        double d = load_float(t, a);
        if (d == 0) d = 0; /* -0.0 equals 0.0 */
        return wr_hash_bytes(&d, sizeof d);
    }
    if (wr_type_is_view((wr_type_id)t.id)) {
        wr_str s;
        memcpy(&s, a, sizeof s);
        return wr_hash_bytes(s.ptr, s.len);
    }
    return wr_hash_bytes(a, wr_type_width((wr_type_id)t.id));
}

/* Types whose elements ARRAY_MAX, ARRAY_MIN and ARRAY_SORT can order. */
static bool orderable(wr_type t)
{
    return !wr_type_is_nested((wr_type_id)t.id) && t.id != WR_TYPE_NULL;
}

/* ---- element sets ------------------------------------------------------------------------- */

/*
 * A set of element values over the elements of a list (NULL is a value here too), for the
 * functions that drop duplicates. Open addressing over indexes into the list; reset per row.
 */
typedef struct eset {
    const elist *l;
    uint32_t *slots; /* index + 1 into l; 0 is empty */
    uint32_t cap;    /* a power of two */
    uint32_t n;
    uint32_t null_at; /* index + 1 of the NULL in l, or 0 */
} eset;

static void eset_init(eset *s, const elist *l)
{
    memset(s, 0, sizeof(*s));
    s->l = l;
}

static void eset_fini(eset *s)
{
    wr_free(s->slots);
}

/* Empties the set and makes room for about n values. */
static void eset_reset(eset *s, uint32_t n)
{
    uint32_t want = 16;
    while (want < 2 * n) want *= 2;
    if (want > s->cap) {
        wr_free(s->slots);
        s->slots = wr_malloc(want * sizeof(uint32_t));
        s->cap = want;
    }
    memset(s->slots, 0, s->cap * sizeof(uint32_t));
    s->n = 0;
    s->null_at = 0;
}

/* The slot where value v (present) is, or the empty slot where it would go. */
static uint32_t *eset_probe(const eset *s, const void *v)
{
    uint32_t mask = s->cap - 1;
    uint32_t h = (uint32_t)elem_hash(s->l->type, v) & mask;
    for (;; h = (h + 1) & mask) {
        uint32_t k = s->slots[h];
        if (k == 0 || elem_equal(s->l->type, elist_at(s->l, k - 1), v)) return &s->slots[h];
    }
}

/* The index in the list of the value v (NULL when not present), or -1. */
static int64_t eset_find(const eset *s, const void *v, bool present)
{
    uint32_t k = present ? *eset_probe(s, v) : s->null_at;
    return (int64_t)k - 1;
}

static bool eset_has(const eset *s, const void *v, bool present)
{
    return eset_find(s, v, present) >= 0;
}

/* Adds element i of the list. */
static void eset_add(eset *s, uint32_t i)
{
    if (!s->l->present[i]) {
        if (s->null_at == 0) s->null_at = i + 1;
        return;
    }
    if (2 * (s->n + 1) > s->cap) {
        /* Grow and put every element back. */
        uint32_t *old = s->slots, oldcap = s->cap;
        s->cap *= 2;
        s->slots = wr_calloc(s->cap, sizeof(uint32_t));
        for (uint32_t k = 0; k < oldcap; k++)
            if (old[k]) *eset_probe(s, elist_at(s->l, old[k] - 1)) = old[k];
        wr_free(old);
    }
    uint32_t *p = eset_probe(s, elist_at(s->l, i));
    if (*p == 0) {
        *p = i + 1;
        s->n++;
    }
}

/* Appends v to the list behind s unless s has it; true when it was added. */
static bool elist_push_new(elist *l, eset *s, const void *v, bool present)
{
    if (eset_has(s, v, present)) return false;
    elist_push(l, v, present);
    eset_add(s, l->n - 1);
    return true;
}

/* ---- binding helpers ---------------------------------------------------------------------- */

/* Casts *x to t keeping its own nullability; 0 or the error code (*x freed and NULL). */
static int cast_keep_null(wr_expr **x, wr_type t, wr_error *err)
{
    wr_type want = t;
    want.nullable = (*x)->type.nullable || (*x)->type.id == WR_TYPE_NULL;
    if (wr_type_equal((*x)->type, want)) return 0;
    *x = wr_expr_cast(*x, want, false, (*x)->pos, err);
    return *x ? 0 : err->code;
}

/* The type of an element read out of a collection: its element type, nullable. */
static wr_type elem_result(wr_type elem)
{
    elem.nullable = true;
    return elem;
}

/*
 * c, the common type of a and b, with every CHAR that a and b have in different lengths made
 * VARCHAR, part by part (Flink's LogicalTypeMerging), so that no element gets padded.
 */
static wr_type unpadded(wr_type c, wr_type a, wr_type b)
{
    if (c.id == WR_TYPE_CHAR) {
        bool differ = (a.id == WR_TYPE_CHAR && a.length != c.length) ||
                      (b.id == WR_TYPE_CHAR && b.length != c.length);
        if (differ) c.id = WR_TYPE_VARCHAR;
        return c;
    }
    if (!wr_type_is_nested((wr_type_id)c.id) || a.id != c.id || b.id != c.id) return c;
    const wr_nested *dc = wr_type_nested(c), *da = wr_type_nested(a), *db = wr_type_nested(b);
    wr_type *f = wr_malloc((size_t)dc->nfields * sizeof(wr_type));
    bool changed = false;
    for (int i = 0; i < dc->nfields; i++) {
        f[i] = unpadded(dc->fields[i], da->fields[i], db->fields[i]);
        changed |= !wr_type_equal(f[i], dc->fields[i]);
    }
    if (changed) {
        switch ((wr_type_id)c.id) {
        case WR_TYPE_ARRAY:
            c = wr_type_array(f[0], c.nullable);
            break;
        case WR_TYPE_MULTISET:
            c = wr_type_multiset(f[0], c.nullable);
            break;
        case WR_TYPE_MAP:
            c = wr_type_map(f[0], f[1], c.nullable);
            break;
        default:
            c = wr_type_row(f, dc->names, dc->nfields, c.nullable);
            break;
        }
    }
    wr_free(f);
    return c;
}

/* The common type of two types, unpadded; false when there is none. */
static bool common_unpadded(wr_type a, wr_type b, wr_type *out)
{
    wr_type c;
    if (!wr_type_common(a, b, &c)) return false;
    *out = unpadded(c, a, b);
    return true;
}

/*
 * The common type of args[0..n), each of kind id (ARRAY or MAP), with element (or key and
 * value) nullability where any has it; false when they have none.
 */
static bool common_of(wr_expr *const *args, int n, wr_type *out)
{
    wr_type t = args[0]->type;
    for (int i = 1; i < n; i++)
        if (!common_unpadded(t, args[i]->type, &t)) return false;
    *out = t;
    return true;
}

/* ---- nested CAST ----------------------------------------------------------------------------
 *
 * A CAST from one nested type to another of the same kind converts part by part: the elements of
 * an ARRAY or MULTISET, the keys and values of a MAP, the fields of a ROW. Each part's
 * conversion is a scalar (or nested) CAST bound once over column 0 of a vector of that part's
 * values: the kernel gathers the part values of every row of the batch into one vector, runs
 * the part's CAST over it, and re-encodes each row from the result. Parts whose encoding does
 * not change (INT to INT NOT NULL, ROW field renames) are copied.
 */

/* Whether values of a encode as values of b do: the same types, ignoring nullability and ROW
 * field names, which are not in the bytes. */
static bool same_encoding(wr_type a, wr_type b)
{
    if (a.id != b.id) return false;
    if (!wr_type_is_nested((wr_type_id)a.id)) return a.length == b.length && a.scale == b.scale;
    const wr_nested *x = wr_type_nested(a), *y = wr_type_nested(b);
    if (x->nfields != y->nfields) return false;
    for (int i = 0; i < x->nfields; i++)
        if (!same_encoding(x->fields[i], y->fields[i])) return false;
    return true;
}

typedef struct ncast {
    int nparts;
    wr_type *from, *to; /* each part's types */
    wr_expr **parts;    /* each part's conversion over column 0; NULL: copied (or all NULL) */
} ncast;

static void ncast_free(void *p)
{
    ncast *c = p;
    if (c == NULL) return;
    for (int i = 0; i < c->nparts; i++) wr_expr_free(c->parts[i]);
    wr_free(c->parts);
    wr_free(c->from);
    wr_free(c->to);
    wr_free(c);
}

/* A vector of n values of type t in the arena, with a validity bitmap (all absent). */
static wr_vector part_vector(wr_eval *ev, wr_type t, uint32_t n)
{
    wr_vector v = {0};
    v.type = t;
    size_t words = ((size_t)n + 63) / 64;
    v.data = wr_arena_calloc(ev->arena, (n ? n : 1) * wr_type_width((wr_type_id)t.id));
    v.validity = wr_arena_calloc(ev->arena, (words ? words : 1) * sizeof(uint64_t));
    return v;
}

/*
 * Converts part k of c over the n values in src (its from type) into *out (its to type).
 * try_cast: conversions that fail give NULL parts instead of an error.
 */
static int convert_part(wr_eval *ev, const ncast *c, int k, const wr_vector *src, uint32_t n,
                        wr_vector *out, wr_error *err)
{
    if (c->from[k].id == WR_TYPE_NULL) {
        /* Every value is NULL: nothing to convert, zeroed slots of the new type. */
        *out = part_vector(ev, c->to[k], n);
        return 0;
    }
    if (c->parts[k] == NULL || n == 0) {
        *out = *src;
        out->type = c->to[k];
        return 0;
    }
    wr_batch b;
    memset(&b, 0, sizeof(b));
    b.ncols = 1;
    b.cols = (wr_vector *)src;
    b.count = b.capacity = (int)n;
    wr_eval sub = {ev->arena, (int)n};
    return wr_expr_eval(&sub, c->parts[k], &b, NULL, (int)n, out, err);
}

static bool vec_present(const wr_vector *v, uint32_t i)
{
    return wr_fn_present(v->validity, (int)i);
}

/*
 * What the conversion of part k did to rows [from, from + n) of the part vectors: *lost when a
 * value present before is NULL after (a failed TRY_CAST, a DECIMAL overflow), *not_null when a
 * NULL value is where the target type allows none.
 */
static void part_check(const ncast *c, int k, const wr_vector *before, const wr_vector *after,
                       uint32_t from, uint32_t n, bool *lost, bool *not_null)
{
    for (uint32_t i = from; i < from + n; i++) {
        if (vec_present(after, i)) continue;
        if (!c->to[k].nullable) *not_null = true;
        if (vec_present(before, i)) *lost = true;
    }
}

static int k_cast_same(WR_KERNEL_ARGS)
{
    out->data = args[0].data;
    out->validity = args[0].validity;
    return 0;
}

static int not_null_error(wr_type to, wr_error *err)
{
    char t[256];
    return wr_error_set(err, WR_ERR_RUNTIME, "cannot cast a NULL element or field to %s",
                        wr_type_name(to, t, sizeof(t)));
}

static int k_cast_nested(WR_KERNEL_ARGS)
{
    const ncast *c = e->aux;
    bool try_cast = e->fn == WR_FN_TRY_CAST;
    const wr_vector *in = &args[0];
    wr_type to = e->type;
    const wr_nested *dt = wr_type_nested(to);
    const uint64_t *in_valid = in->validity;
    uint64_t *valid = (uint64_t *)in_valid;
    wr_str *o = out->data;
    const wr_str *x = in->data;
    /* Each active row's first part value and count in the part vectors. */
    uint32_t *start = wr_arena_alloc(ev->arena, (size_t)(n ? n : 1) * sizeof(uint32_t));
    uint32_t *count = wr_arena_alloc(ev->arena, (size_t)(n ? n : 1) * sizeof(uint32_t));
    uint32_t total = 0;
    bool rowwise = dt->names != NULL; /* ROW: one value of each field per row */
    for (int i = 0; i < n; i++) {
        int r = sel ? (int)sel[i] : i;
        start[i] = total;
        count[i] = 0;
        if (!wr_fn_present(in_valid, r)) continue;
        count[i] = rowwise ? 1 : to.id == WR_TYPE_MAP ? wr_map_size(x[r]) : wr_array_size(x[r]);
        total += count[i];
    }
    /* Gather, convert and check every part. */
    wr_vector *src = wr_arena_alloc(ev->arena, (size_t)c->nparts * sizeof(wr_vector));
    wr_vector *res = wr_arena_alloc(ev->arena, (size_t)c->nparts * sizeof(wr_vector));
    for (int k = 0; k < c->nparts; k++) {
        src[k] = part_vector(ev, c->from[k], total);
        size_t w = wr_type_width((wr_type_id)c->from[k].id);
        for (int i = 0; i < n; i++) {
            int r = sel ? (int)sel[i] : i;
            if (count[i] == 0) continue;
            if (rowwise) {
                slot s;
                if (wr_row_value_get(wr_type_nested(in->type), x[r], k, &s)) {
                    memcpy((char *)src[k].data + w * start[i], &s, w);
                    wr_validity_set(src[k].validity, (int)start[i], true);
                }
                continue;
            }
            wr_str value = x[r];
            if (to.id == WR_TYPE_MAP) value = k == 0 ? wr_map_keys(x[r]) : wr_map_values(x[r]);
            wr_array_reader rd;
            wr_array_open(&rd, c->from[k], value);
            for (uint32_t j = 0; j < rd.n; j++) {
                slot s;
                if (!wr_array_get(&rd, j, &s)) continue;
                memcpy((char *)src[k].data + w * (start[i] + j), &s, w);
                wr_validity_set(src[k].validity, (int)(start[i] + j), true);
            }
        }
        int rc = convert_part(ev, c, k, &src[k], total, &res[k], err);
        if (rc) return rc;
    }
    /* A row whose conversion lost a value is NULL (TRY_CAST) or an error. */
    for (int i = 0; i < n; i++) {
        int r = sel ? (int)sel[i] : i;
        if (count[i] == 0) continue;
        bool lost = false, not_null = false;
        for (int k = 0; k < c->nparts; k++)
            part_check(c, k, &src[k], &res[k], start[i], count[i], &lost, &not_null);
        /* Without TRY, only a DECIMAL overflow loses a value (to NULL, as SQL's CAST does). */
        if (!(try_cast ? lost || not_null : not_null)) continue;
        if (!try_cast) return not_null_error(to, err);
        set_null(ev, &valid, in_valid, r);
        count[i] = 0;
    }
    /* Encode each row from the converted parts. */
    wr_buf buf;
    wr_buf_init(&buf);
    bool *present = NULL;
    const void **fslots = NULL;
    if (rowwise) {
        present = wr_malloc((size_t)dt->nfields);
        fslots = wr_malloc((size_t)dt->nfields * sizeof(void *));
    }
    for (int i = 0; i < n; i++) {
        int r = sel ? (int)sel[i] : i;
        if (!wr_fn_present(valid, r)) continue;
        wr_buf_reset(&buf);
        if (rowwise) {
            for (int k = 0; k < dt->nfields; k++) {
                present[k] = vec_present(&res[k], start[i]);
                fslots[k] = slot_at(&res[k], (int)start[i]);
            }
            wr_row_value_encode(&buf, dt, fslots, present);
        } else {
            uint32_t m = count[i];
            bool *p[2] = {NULL, NULL};
            void *s[2] = {NULL, NULL};
            for (int k = 0; k < c->nparts; k++) {
                p[k] = wr_arena_alloc(ev->arena, m ? m : 1);
                for (uint32_t j = 0; j < m; j++) p[k][j] = vec_present(&res[k], start[i] + j);
                s[k] = (void *)slot_at(&res[k], (int)start[i]);
            }
            if (to.id == WR_TYPE_MAP) {
                /* Converting keys can make two of them equal: the later value wins. */
                m = wr_map_dedup(to, m, s[0], p[0], s[1], p[1]);
                wr_map_encode(&buf, to, m, s[0], p[0], s[1], p[1]);
            } else {
                wr_array_encode(&buf, c->to[0], m, s[0], p[0]);
            }
        }
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    }
    wr_buf_fini(&buf);
    wr_free(present);
    wr_free(fslots);
    out->validity = valid;
    return 0;
}

/* Whether a value of type a may hold a NULL where b does not allow one (below the top level:
 * a NULL value itself is the caller's to check). */
static bool tightens(wr_type a, wr_type b)
{
    if (!wr_type_is_nested((wr_type_id)a.id) || a.id != b.id) return false;
    const wr_nested *x = wr_type_nested(a), *y = wr_type_nested(b);
    for (int i = 0; i < x->nfields && i < y->nfields; i++) {
        if (x->fields[i].nullable && !y->fields[i].nullable) return true;
        if (tightens(x->fields[i], y->fields[i])) return true;
    }
    return false;
}

/* Whether a part converts by copying its bytes. */
static bool copies(wr_type from, wr_type to)
{
    return same_encoding(from, to) && !tightens(from, to);
}

static wr_expr **args1(wr_expr *a)
{
    wr_expr **args = wr_malloc(sizeof(wr_expr *));
    args[0] = a;
    return args;
}

wr_expr *wr_nested_cast(wr_expr *arg, wr_type to, bool try_cast, int pos, wr_error *err)
{
    wr_type from = arg->type;
    if (try_cast) to.nullable = true;
    wr_expr **args = args1(arg);
    wr_func fn = try_cast ? WR_FN_TRY_CAST : WR_FN_CAST;
    if (copies(from, to)) {
        wr_expr *e = wr_expr_call_kernel("CAST", k_cast_same, NULL, NULL, args, 1, to, pos);
        e->fn = fn;
        return e;
    }
    const wr_nested *df = wr_type_nested(from), *dt = wr_type_nested(to);
    ncast *c = wr_calloc(1, sizeof(*c));
    c->nparts = dt->nfields;
    c->parts = wr_calloc((size_t)c->nparts, sizeof(wr_expr *));
    c->from = wr_malloc((size_t)c->nparts * sizeof(wr_type));
    c->to = wr_malloc((size_t)c->nparts * sizeof(wr_type));
    for (int k = 0; k < c->nparts; k++) {
        c->from[k] = df->fields[k];
        c->to[k] = dt->fields[k];
        if (c->from[k].id == WR_TYPE_NULL || copies(c->from[k], c->to[k])) continue;
        wr_type want = c->to[k];
        want.nullable = true; /* parts may be NULL; a NOT NULL part is checked per row */
        wr_type have = c->from[k];
        have.nullable = true;
        c->parts[k] = wr_expr_cast(wr_expr_column(0, have, pos), want, try_cast, pos, err);
        if (c->parts[k] == NULL) {
            ncast_free(c);
            wr_fn_drop(args, 1);
            return NULL;
        }
    }
    wr_expr *e = wr_expr_call_kernel("CAST", k_cast_nested, c, ncast_free, args, 1, to, pos);
    e->fn = fn;
    return e;
}

/* ---- ARRAY[...], MAP[...], ROW(...) --------------------------------------------------------- */

static int k_array_value(WR_KERNEL_ARGS)
{
    wr_type elem = wr_type_elem(e->type);
    size_t w = wr_type_width((wr_type_id)elem.id);
    int m = e->nargs;
    uint8_t *slots = wr_malloc(w * (size_t)m);
    bool *present = wr_malloc((size_t)m);
    wr_str *o = out->data;
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        for (int i = 0; i < m; i++) {
            present[i] = wr_fn_present(args[i].validity, r);
            if (present[i]) memcpy(slots + w * i, slot_at(&args[i], r), w);
        }
        wr_buf_reset(&buf);
        wr_array_encode(&buf, elem, (uint32_t)m, slots, present);
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    });
    wr_buf_fini(&buf);
    wr_free(slots);
    wr_free(present);
    out->validity = NULL;
    return 0;
}

static int k_map_value(WR_KERNEL_ARGS)
{
    wr_type kt = wr_type_elem(e->type), vt = wr_type_map_value(e->type);
    size_t kw = wr_type_width((wr_type_id)kt.id), vw = wr_type_width((wr_type_id)vt.id);
    int m = e->nargs / 2;
    uint8_t *keys = wr_malloc(kw * (size_t)m), *vals = wr_malloc(vw * (size_t)m);
    bool *kp = wr_malloc((size_t)m), *vp = wr_malloc((size_t)m);
    wr_str *o = out->data;
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        for (int i = 0; i < m; i++) {
            const wr_vector *k = &args[2 * i], *v = &args[2 * i + 1];
            kp[i] = wr_fn_present(k->validity, r);
            vp[i] = wr_fn_present(v->validity, r);
            if (kp[i]) memcpy(keys + kw * i, slot_at(k, r), kw);
            if (vp[i]) memcpy(vals + vw * i, slot_at(v, r), vw);
        }
        uint32_t n2 = wr_map_dedup(e->type, (uint32_t)m, keys, kp, vals, vp);
        wr_buf_reset(&buf);
        wr_map_encode(&buf, e->type, n2, keys, kp, vals, vp);
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    });
    wr_buf_fini(&buf);
    wr_free(keys);
    wr_free(vals);
    wr_free(kp);
    wr_free(vp);
    out->validity = NULL;
    return 0;
}

static int k_row_value(WR_KERNEL_ARGS)
{
    const wr_nested *d = wr_type_nested(e->type);
    int m = e->nargs;
    const void **slots = wr_malloc((size_t)m * sizeof(void *));
    bool *present = wr_malloc((size_t)m);
    wr_str *o = out->data;
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        for (int i = 0; i < m; i++) {
            present[i] = wr_fn_present(args[i].validity, r);
            slots[i] = slot_at(&args[i], r);
        }
        wr_buf_reset(&buf);
        wr_row_value_encode(&buf, d, slots, present);
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    });
    wr_buf_fini(&buf);
    wr_free(slots);
    wr_free(present);
    out->validity = NULL;
    return 0;
}

/*
 * The common type of items[first], items[first + step], ...: CHARs of different lengths meet as
 * VARCHAR (Flink's LogicalTypeMerging), so that no element is padded. An untyped NULL stays of
 * type NULL when every item is one (ARRAY[NULL] is ARRAY<NULL>, as in Flink). Returns the index
 * of an item that fits no common type, or -1.
 */
static int items_type(wr_expr *const *items, int n, int first, int step, wr_type *out)
{
    wr_type t = wr_type_make(WR_TYPE_NULL, true);
    for (int i = first; i < n; i += step)
        if (!common_unpadded(t, items[i]->type, &t)) return i;
    /* An element is NOT NULL only when every item is. */
    bool nullable = false;
    for (int i = first; i < n; i += step)
        nullable |= items[i]->type.nullable || items[i]->type.id == WR_TYPE_NULL;
    t.nullable = nullable;
    *out = t;
    return -1;
}

static int items_error(const char *what, wr_expr *const *items, int bad, int pos, wr_error *err)
{
    char t[256];
    return wr_error_set_at(err, WR_ERR_VALIDATION, items[bad]->pos >= 0 ? items[bad]->pos : pos,
                           "the %s of %s have no common type: this one is %s", what,
                           strcmp(what, "values") == 0 || strcmp(what, "keys") == 0 ? "MAP"
                                                                                    : "ARRAY",
                           wr_type_name(items[bad]->type, t, sizeof(t)));
}

/* Casts items[first], items[first + step], ... to t (an untyped NULL to a NULL of t). */
static int cast_items(wr_expr **items, int n, int first, int step, wr_type t, wr_error *err)
{
    if (t.id == WR_TYPE_NULL) return 0;
    for (int i = first; i < n; i += step)
        if (cast_keep_null(&items[i], t, err)) return err->code;
    return 0;
}

wr_expr *wr_bind_array_value(wr_expr **items, int n, int pos, wr_error *err)
{
    wr_type elem;
    int bad = items_type(items, n, 0, 1, &elem);
    if (bad >= 0) {
        items_error("elements", items, bad, pos, err);
        return wr_fn_drop(items, n);
    }
    if (cast_items(items, n, 0, 1, elem, err)) return wr_fn_drop(items, n);
    wr_type t = wr_type_array(elem, false);
    return wr_expr_call_kernel("ARRAY", k_array_value, NULL, NULL, items, n, t, pos);
}

wr_expr *wr_bind_map_value(wr_expr **items, int n, int pos, wr_error *err)
{
    wr_type kt, vt;
    int bad = items_type(items, n, 0, 2, &kt);
    if (bad >= 0) {
        items_error("keys", items, bad, pos, err);
        return wr_fn_drop(items, n);
    }
    if ((bad = items_type(items, n, 1, 2, &vt)) >= 0) {
        items_error("values", items, bad, pos, err);
        return wr_fn_drop(items, n);
    }
    if (cast_items(items, n, 0, 2, kt, err) || cast_items(items, n, 1, 2, vt, err))
        return wr_fn_drop(items, n);
    wr_type t = wr_type_map(kt, vt, false);
    return wr_expr_call_kernel("MAP", k_map_value, NULL, NULL, items, n, t, pos);
}

wr_expr *wr_bind_row_value(wr_expr **items, int n, int pos, wr_error *err)
{
    if (n > WR_ROW_MAX_FIELDS) {
        wr_error_set_at(err, WR_ERR_VALIDATION, pos, "a ROW may have at most %d fields, not %d",
                        WR_ROW_MAX_FIELDS, n);
        return wr_fn_drop(items, n);
    }
    /* Fields are named as Calcite names unnamed expressions: EXPR$0, EXPR$1, ... */
    wr_type *types = wr_malloc((size_t)n * sizeof(wr_type));
    char **names = wr_malloc((size_t)n * sizeof(char *));
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "EXPR$%d", i);
        names[i] = wr_strdup(name);
        types[i] = items[i]->type;
    }
    wr_type t = wr_type_row(types, (const char *const *)names, n, false);
    for (int i = 0; i < n; i++) wr_free(names[i]);
    wr_free(names);
    wr_free(types);
    return wr_expr_call_kernel("ROW", k_row_value, NULL, NULL, items, n, t, pos);
}

/* ---- x[i], m[k], r.f ------------------------------------------------------------------------ */

static int k_array_item(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    const int32_t *idx = args[1].data;
    uint64_t *valid = wr_fn_validity_own(ev, args, 2);
    wr_type elem = e->type;
    size_t w = wr_type_width((wr_type_id)elem.id);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        int64_t i = (int64_t)idx[r] - 1; /* SQL counts from 1 */
        slot s;
        if (i < 0 || i >= rd.n || !wr_array_get(&rd, (uint32_t)i, &s))
            wr_validity_set(valid, r, false);
        else
            memcpy((char *)out->data + w * (size_t)r, &s, w);
    });
    out->validity = valid;
    return 0;
}

static int k_map_item(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    uint64_t *valid = wr_fn_validity_own(ev, args, 2);
    wr_type kt = args[1].type, vt = e->type;
    size_t w = wr_type_width((wr_type_id)vt.id);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader keys;
        wr_array_open(&keys, kt, wr_map_keys(x[r]));
        const void *want = slot_at(&args[1], r);
        bool found = false;
        for (uint32_t i = 0; i < keys.n && !found; i++) {
            slot k;
            if (!wr_array_get(&keys, i, &k) || !elem_equal(kt, &k, want)) continue;
            found = true;
            wr_array_reader vals;
            wr_array_open(&vals, vt, wr_map_values(x[r]));
            slot v;
            if (wr_array_get(&vals, i, &v))
                memcpy((char *)out->data + w * (size_t)r, &v, w);
            else
                wr_validity_set(valid, r, false);
        }
        if (!found) wr_validity_set(valid, r, false);
    });
    out->validity = valid;
    return 0;
}

wr_expr *wr_bind_subscript(wr_expr *x, wr_expr *index, int pos, wr_error *err)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = index;
    char t[256], u[256];
    if (x->type.id == WR_TYPE_ARRAY) {
        if (!wr_type_is_integer(index->type.id) && index->type.id != WR_TYPE_NULL) {
            wr_error_set_at(err, WR_ERR_VALIDATION, index->pos >= 0 ? index->pos : pos,
                            "an ARRAY index must be an integer, not %s",
                            wr_type_name(index->type, t, sizeof(t)));
            return wr_fn_drop(args, 2);
        }
        wr_type it = wr_type_make(WR_TYPE_INT, index->type.nullable || index->type.id == 0);
        if (cast_keep_null(&args[1], it, err)) return wr_fn_drop(args, 2);
        wr_type elem = elem_result(wr_type_elem(x->type));
        if (elem.id == WR_TYPE_NULL) {
            wr_fn_drop(args, 2);
            return wr_expr_null(elem, pos);
        }
        return wr_expr_call_kernel("ITEM", k_array_item, NULL, NULL, args, 2, elem, pos);
    }
    if (x->type.id == WR_TYPE_MAP) {
        wr_type kt = wr_type_elem(x->type), vt = elem_result(wr_type_map_value(x->type));
        wr_type common;
        if (!common_unpadded(kt, index->type, &common)) {
            wr_error_set_at(err, WR_ERR_VALIDATION, index->pos >= 0 ? index->pos : pos,
                            "a key of %s cannot be %s", wr_type_name(x->type, t, sizeof(t)),
                            wr_type_name(index->type, u, sizeof(u)));
            return wr_fn_drop(args, 2);
        }
        if (kt.id == WR_TYPE_NULL || vt.id == WR_TYPE_NULL || index->type.id == WR_TYPE_NULL) {
            /* No key can match, or every value is NULL. */
            wr_fn_drop(args, 2);
            return wr_expr_null(vt, pos);
        }
        /* Keys and the looked-for key meet in their common type, so that MAP[1, 'a'][1.5]
         * finds nothing rather than key 1. */
        common.nullable = true;
        if (!same_encoding(kt, common) &&
            cast_keep_null(&args[0], wr_type_map(common, wr_type_map_value(x->type), true), err))
            return wr_fn_drop(args, 2);
        if (cast_keep_null(&args[1], common, err)) return wr_fn_drop(args, 2);
        return wr_expr_call_kernel("ITEM", k_map_item, NULL, NULL, args, 2, vt, pos);
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                    "[...] reads an element of an ARRAY or a value of a MAP, not of %s",
                    wr_type_name(x->type, t, sizeof(t)));
    return wr_fn_drop(args, 2);
}

/* A ROW value's field, copied out of its slot (nested.h: fixed offsets, so no walk). */
static int k_field(WR_KERNEL_ARGS)
{
    const wr_nested *d = wr_type_nested(args[0].type);
    int field = (int)(intptr_t)e->aux;
    const wr_str *x = args[0].data;
    uint64_t *valid = wr_fn_validity_own(ev, args, 1);
    size_t w = wr_type_width((wr_type_id)e->type.id);
    size_t nb = ((size_t)d->nfields + 7) / 8, at = nb + d->offsets[field];
    size_t payload = nb + d->slots_size;
    bool view = wr_type_is_view((wr_type_id)d->fields[field].id);
    int byte = field >> 3, bit = field & 7;
    char *o = out->data;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        const uint8_t *p = (const uint8_t *)x[r].ptr;
        if (!((p[byte] >> bit) & 1)) {
            wr_validity_set(valid, r, false);
            continue;
        }
        if (view) {
            uint32_t off, len;
            memcpy(&off, p + at, 4);
            memcpy(&len, p + at + 4, 4);
            ((wr_str *)o)[r] = (wr_str){(const char *)p + payload + off, len};
        } else {
            wr_slot_copy(o + w * (size_t)r, p + at, w);
        }
    });
    out->validity = valid;
    return 0;
}

wr_expr *wr_bind_field(wr_expr *row, int field, int pos)
{
    const wr_nested *d = wr_type_nested(row->type);
    wr_type t = d->fields[field];
    t.nullable |= row->type.nullable;
    if (t.id == WR_TYPE_NULL) {
        wr_expr_free(row);
        return wr_expr_null(t, pos);
    }
    /* The name lives as long as the interned descriptor: for the whole process. */
    wr_expr *e = wr_expr_call_kernel(d->names[field], k_field, (void *)(intptr_t)field, NULL,
                                     args1(row), 1, t, pos);
    e->fn = WR_FN_FIELD;
    return e;
}

/* ---- collection functions: binding ----------------------------------------------------------- */

/* args[i] must be one of the kinds in ids (WR_TYPE_ARRAY, ...); false with a type error. */
static bool need_kind(const wr_func_def *def, wr_expr **args, int nargs, int i, const char *ids,
                      int pos, wr_error *err)
{
    if (args[i]->type.id != WR_TYPE_NULL && strchr(ids, (char)args[i]->type.id)) return true;
    wr_fn_type_error(def, args, nargs, args[i]->pos >= 0 ? args[i]->pos : pos, err);
    return false;
}

static const char kind_array[] = {WR_TYPE_ARRAY, 0};
static const char kind_map[] = {WR_TYPE_MAP, 0};
static const char kind_array_multiset[] = {WR_TYPE_ARRAY, WR_TYPE_MULTISET, 0};
static const char kind_collection[] = {WR_TYPE_ARRAY, WR_TYPE_MAP, WR_TYPE_MULTISET, 0};

/*
 * Casts args[0..n) (each an ARRAY, or each a MAP) to their common type, each keeping its own
 * nullability; false with a type error when there is none.
 */
static bool unify_collections(const wr_func_def *def, wr_expr **args, int nargs, int n, int pos,
                              wr_type *common, wr_error *err)
{
    if (!common_of(args, n, common)) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return false;
    }
    for (int i = 0; i < n; i++)
        if (cast_keep_null(&args[i], *common, err)) return false;
    return true;
}

/*
 * An ARRAY and an element (ARRAY_CONTAINS, ARRAY_POSITION, ARRAY_REMOVE, ARRAY_APPEND,
 * ARRAY_PREPEND): the element is cast to the array's element type, or, when it is wider (a
 * BIGINT looked for in an ARRAY<INT>), the array to an array of the element's type. With
 * keep_null the element type stays nullable where the element is (an appended NULL).
 */
static bool unify_needle(const wr_func_def *def, wr_expr **args, int nargs, bool keep_null, int pos,
                         wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_array, pos, err)) return false;
    wr_type elem = wr_type_elem(args[0]->type), common;
    if (!common_unpadded(elem, args[1]->type, &common)) {
        wr_fn_type_error(def, args, nargs, args[1]->pos >= 0 ? args[1]->pos : pos, err);
        return false;
    }
    common.nullable = elem.nullable || elem.id == WR_TYPE_NULL ||
                      (keep_null && (args[1]->type.nullable || args[1]->type.id == WR_TYPE_NULL));
    if (common.id == WR_TYPE_NULL) common = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_type at = wr_type_array(common, args[0]->type.nullable);
    if (cast_keep_null(&args[0], at, err)) return false;
    return cast_keep_null(&args[1], common, err) == 0;
}

/* STRING arguments args[from..nargs) (an untyped NULL becomes a STRING NULL). */
static bool need_strings(const wr_func_def *def, wr_expr **args, int nargs, int from, int pos,
                         wr_error *err)
{
    for (int i = from; i < nargs; i++) {
        if (args[i]->type.id == WR_TYPE_NULL) {
            if (cast_keep_null(&args[i], wr_fn_string(true), err)) return false;
        } else if (!wr_type_is_string(args[i]->type.id)) {
            wr_fn_type_error(def, args, nargs, args[i]->pos >= 0 ? args[i]->pos : pos, err);
            return false;
        }
    }
    return true;
}

/* Integer (cast to INT) or BOOLEAN arguments args[from..nargs), per spec letter I or B. */
static bool need_scalars(const wr_func_def *def, wr_expr **args, int nargs, int from,
                         const char *spec, int pos, wr_error *err)
{
    for (int i = from; i < nargs; i++) {
        char want = spec[i - from];
        wr_type_id id = (wr_type_id)args[i]->type.id;
        bool ok =
            id == WR_TYPE_NULL || (want == 'I' ? wr_type_is_integer(id) : id == WR_TYPE_BOOLEAN);
        if (!ok) {
            wr_fn_type_error(def, args, nargs, args[i]->pos >= 0 ? args[i]->pos : pos, err);
            return false;
        }
        wr_type t = wr_type_make(want == 'I' ? WR_TYPE_INT : WR_TYPE_BOOLEAN, false);
        if (cast_keep_null(&args[i], t, err)) return false;
    }
    return true;
}

/* ---- CARDINALITY, ELEMENT -------------------------------------------------------------------- */

static int k_cardinality(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    bool map = args[0].type.id == WR_TYPE_MAP;
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r))
            o[r] = (int32_t)(map ? wr_map_size(x[r]) : wr_array_size(x[r]));
    });
    return 0;
}

static wr_expr *bind_cardinality(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                 wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_collection, pos, err)) return wr_fn_drop(args, nargs);
    wr_type t = wr_type_make(WR_TYPE_INT, args[0]->type.nullable);
    return wr_fn_call(def, k_cardinality, NULL, NULL, args, nargs, t, pos);
}

static int k_element(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    uint64_t *valid = wr_fn_validity_own(ev, args, 1);
    size_t w = wr_type_width((wr_type_id)e->type.id);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, e->type, x[r]);
        slot s;
        if (rd.n > 1)
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "ELEMENT: the collection has %u elements; it must have at most one",
                                rd.n);
        if (rd.n == 0 || !wr_array_get(&rd, 0, &s))
            wr_validity_set(valid, r, false);
        else
            memcpy((char *)out->data + w * (size_t)r, &s, w);
    });
    out->validity = valid;
    return 0;
}

static wr_expr *bind_element(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                             wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_array_multiset, pos, err))
        return wr_fn_drop(args, nargs);
    wr_type t = elem_result(wr_type_elem(args[0]->type));
    if (t.id == WR_TYPE_NULL) t = wr_fn_string(true);
    if (wr_type_elem(args[0]->type).id == WR_TYPE_NULL &&
        cast_keep_null(&args[0], wr_type_array(t, args[0]->type.nullable), err))
        return wr_fn_drop(args, nargs);
    return wr_fn_call(def, k_element, NULL, NULL, args, nargs, t, pos);
}

/* ---- ARRAY_CONTAINS, ARRAY_POSITION, ARRAY_REMOVE, ARRAY_APPEND, ARRAY_PREPEND --------------- */

/* The 1-based position of the first element of rd equal to needle (NULL matching NULL), or 0. */
static int32_t position_of(const wr_array_reader *rd, const void *needle, bool present)
{
    for (uint32_t i = 0; i < rd->n; i++) {
        slot s;
        bool p = wr_array_get(rd, i, &s);
        if (p != present) continue;
        if (!p || elem_equal(rd->elem, &s, needle)) return (int32_t)(i + 1);
    }
    return 0;
}

static int k_array_contains(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    uint8_t *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    wr_type elem = args[1].type;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        o[r] = position_of(&rd, slot_at(&args[1], r), wr_fn_present(args[1].validity, r)) > 0;
    });
    return 0;
}

static int k_array_position(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, args[1].type, x[r]);
        o[r] = position_of(&rd, slot_at(&args[1], r), true);
    });
    return 0;
}

static int k_array_remove(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    wr_type elem = args[1].type;
    elist l;
    elist_init(&l, elem);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        const void *needle = slot_at(&args[1], r);
        bool np = wr_fn_present(args[1].validity, r);
        elist_reset(&l);
        for (uint32_t i = 0; i < rd.n; i++) {
            slot s;
            bool p = wr_array_get(&rd, i, &s);
            /* A NULL needle removes the NULL elements; another keeps them. */
            bool drop = np ? p && elem_equal(elem, &s, needle) : !p;
            if (!drop) elist_push(&l, &s, p);
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

static int k_array_add(WR_KERNEL_ARGS)
{
    bool prepend = e->aux != NULL;
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    wr_type elem = args[1].type;
    elist l;
    elist_init(&l, elem);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        elist_reset(&l);
        const void *v = slot_at(&args[1], r);
        bool vp = wr_fn_present(args[1].validity, r);
        if (prepend) elist_push(&l, v, vp);
        for (uint32_t i = 0; i < rd.n; i++) elist_push_elem(&l, &rd, i);
        if (!prepend) elist_push(&l, v, vp);
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

static const int prepend_tag = 1;

static wr_expr *bind_needle(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    wr_kernel_fn k;
    const char *name = def->name;
    bool add = strcmp(name, "ARRAY_APPEND") == 0 || strcmp(name, "ARRAY_PREPEND") == 0;
    if (!unify_needle(def, args, nargs, add, pos, err)) return wr_fn_drop(args, nargs);
    bool an = args[0]->type.nullable;
    wr_type t;
    void *aux = NULL;
    if (strcmp(name, "ARRAY_CONTAINS") == 0) {
        k = k_array_contains;
        t = wr_type_make(WR_TYPE_BOOLEAN, an);
    } else if (strcmp(name, "ARRAY_POSITION") == 0) {
        k = k_array_position;
        t = wr_type_make(WR_TYPE_INT, wr_fn_nullable(args, 2));
    } else if (strcmp(name, "ARRAY_REMOVE") == 0) {
        k = k_array_remove;
        t = args[0]->type;
    } else {
        k = k_array_add;
        t = args[0]->type;
        if (strcmp(name, "ARRAY_PREPEND") == 0) aux = (void *)&prepend_tag;
    }
    return wr_fn_call(def, k, aux, NULL, args, nargs, t, pos);
}

/* ---- ARRAY_DISTINCT, ARRAY_REVERSE, ARRAY_SLICE, ARRAY_SORT ---------------------------------- */

static int k_array_distinct(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    wr_type elem = wr_type_elem(e->type);
    elist l;
    elist_init(&l, elem);
    eset set;
    eset_init(&set, &l);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        elist_reset(&l);
        eset_reset(&set, rd.n);
        for (uint32_t i = 0; i < rd.n; i++) {
            slot s;
            bool p = wr_array_get(&rd, i, &s);
            elist_push_new(&l, &set, &s, p);
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    eset_fini(&set);
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

static int k_array_reverse(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    wr_type elem = wr_type_elem(e->type);
    elist l;
    elist_init(&l, elem);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        elist_reset(&l);
        for (uint32_t i = rd.n; i > 0; i--) elist_push_elem(&l, &rd, i - 1);
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

/*
 * ARRAY_SLICE(array, start[, end]) as Flink computes it: 1-based inclusive offsets, negative ones
 * counted from the end (-1 is the last), 0 the beginning; out-of-range ends are clamped, and a
 * start after the end gives an empty array.
 */
static int k_array_slice(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    const int32_t *from = args[1].data;
    const int32_t *to = e->nargs > 2 ? args[2].data : NULL;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    wr_type elem = wr_type_elem(e->type);
    elist l;
    elist_init(&l, elem);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        int64_t size = rd.n, a = from[r], b = to ? to[r] : size;
        elist_reset(&l);
        if (size > 0) {
            if (a < 0) a += size + 1;
            if (b < 0) b += size + 1;
            a = WR_MAX(a, 1);
            b = b == 0 ? 1 : WR_MIN(b, size);
            for (int64_t i = a - 1; i < b; i++) elist_push_elem(&l, &rd, (uint32_t)i);
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

/* Sorting context: qsort_r's comparator reads the elements and the order through it. */
typedef struct sortctx {
    const elist *l;
    bool desc, nulls_first;
} sortctx;

static int sort_cmp(const void *a, const void *b, void *arg)
{
    const sortctx *c = arg;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    bool pi = c->l->present[i], pj = c->l->present[j];
    int r;
    if (!pi || !pj)
        r = pi == pj ? 0 : (!pi == c->nulls_first ? -1 : 1);
    else
        r = wr_value_cmp(c->l->type, elist_at(c->l, i), elist_at(c->l, j)) * (c->desc ? -1 : 1);
    /* Equal elements keep their order (qsort is not stable). */
    return r ? r : (i > j) - (i < j);
}

static int k_array_sort(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    wr_type elem = wr_type_elem(e->type);
    elist l, sorted;
    elist_init(&l, elem);
    elist_init(&sorted, elem);
    uint32_t *order = NULL, cap = 0;
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        elist_reset(&l);
        elist_reset(&sorted);
        for (uint32_t i = 0; i < rd.n; i++) elist_push_elem(&l, &rd, i);
        if (rd.n > cap) {
            cap = rd.n;
            order = wr_realloc(order, cap * sizeof(uint32_t));
        }
        for (uint32_t i = 0; i < rd.n; i++) order[i] = i;
        /* Ascending puts NULLs first and descending last, unless null_first says otherwise. */
        bool asc = e->nargs < 2 || ((const uint8_t *)args[1].data)[r];
        bool nf = e->nargs < 3 ? asc : ((const uint8_t *)args[2].data)[r] != 0;
        sortctx c = {&l, !asc, nf};
        if (rd.n > 1) qsort_r(order, rd.n, sizeof(uint32_t), sort_cmp, &c);
        for (uint32_t i = 0; i < rd.n; i++)
            elist_push(&sorted, elist_at(&l, order[i]), l.present[order[i]]);
        o[r] = elist_value(ev, &sorted, &buf);
    });
    wr_free(order);
    elist_fini(&l);
    elist_fini(&sorted);
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_array_fn(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                              wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_array, pos, err)) return wr_fn_drop(args, nargs);
    const char *name = def->name;
    wr_kernel_fn k;
    if (strcmp(name, "ARRAY_DISTINCT") == 0) {
        k = k_array_distinct;
    } else if (strcmp(name, "ARRAY_REVERSE") == 0) {
        k = k_array_reverse;
    } else if (strcmp(name, "ARRAY_SLICE") == 0) {
        if (!need_scalars(def, args, nargs, 1, "II", pos, err)) return wr_fn_drop(args, nargs);
        k = k_array_slice;
    } else {
        if (!orderable(wr_type_elem(args[0]->type))) {
            wr_fn_type_error(def, args, nargs, args[0]->pos >= 0 ? args[0]->pos : pos, err);
            return wr_fn_drop(args, nargs);
        }
        if (!need_scalars(def, args, nargs, 1, "BB", pos, err)) return wr_fn_drop(args, nargs);
        k = k_array_sort;
    }
    wr_type t = args[0]->type;
    t.nullable = wr_fn_nullable(args, nargs);
    return wr_fn_call(def, k, NULL, NULL, args, nargs, t, pos);
}

/* ---- ARRAY_MAX, ARRAY_MIN, ARRAY_JOIN -------------------------------------------------------- */

static int k_array_extreme(WR_KERNEL_ARGS)
{
    bool max = e->aux != NULL;
    const wr_str *x = args[0].data;
    uint64_t *valid = wr_fn_validity_own(ev, args, 1);
    wr_type elem = e->type;
    size_t w = wr_type_width((wr_type_id)elem.id);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        slot best, s;
        bool found = false;
        /* NULL elements are skipped; no other element gives NULL. */
        for (uint32_t i = 0; i < rd.n; i++) {
            if (!wr_array_get(&rd, i, &s)) continue;
            int c = found ? wr_value_cmp(elem, &s, &best) : 0;
            if (!found || (max ? c > 0 : c < 0)) best = s;
            found = true;
        }
        if (found)
            memcpy((char *)out->data + w * (size_t)r, &best, w);
        else
            wr_validity_set(valid, r, false);
    });
    out->validity = valid;
    return 0;
}

static const int max_tag = 1;

static wr_expr *bind_array_extreme(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                   wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_array, pos, err)) return wr_fn_drop(args, nargs);
    if (!orderable(wr_type_elem(args[0]->type))) {
        wr_fn_type_error(def, args, nargs, args[0]->pos >= 0 ? args[0]->pos : pos, err);
        return wr_fn_drop(args, nargs);
    }
    wr_type t = elem_result(wr_type_elem(args[0]->type));
    bool max = strcmp(def->name, "ARRAY_MAX") == 0;
    return wr_fn_call(def, k_array_extreme, max ? (void *)&max_tag : NULL, NULL, args, nargs, t,
                      pos);
}

static int k_array_join(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    wr_type elem = wr_type_elem(args[0].type);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader rd;
        wr_array_open(&rd, elem, x[r]);
        wr_str sep = wr_fn_str(&args[1], r);
        wr_buf_reset(&buf);
        bool first = true;
        for (uint32_t i = 0; i < rd.n; i++) {
            slot s;
            if (!wr_array_get(&rd, i, &s)) {
                /* NULL elements are left out unless a replacement is given. */
                if (e->nargs < 3) continue;
                s.s = wr_fn_str(&args[2], r);
            }
            if (!first) wr_buf_append(&buf, sep.ptr, sep.len);
            wr_buf_append(&buf, s.s.ptr, s.s.len);
            first = false;
        }
        if (buf.len > WR_FN_MAX_STRING)
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "ARRAY_JOIN: the result is longer than %u bytes", WR_FN_MAX_STRING);
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    });
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_array_join(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_array, pos, err)) return wr_fn_drop(args, nargs);
    wr_type elem = wr_type_elem(args[0]->type);
    if (elem.id == WR_TYPE_NULL &&
        cast_keep_null(&args[0], wr_type_array(wr_fn_string(true), args[0]->type.nullable), err))
        return wr_fn_drop(args, nargs);
    if (!wr_type_is_string(wr_type_elem(args[0]->type).id)) {
        wr_fn_type_error(def, args, nargs, args[0]->pos >= 0 ? args[0]->pos : pos, err);
        return wr_fn_drop(args, nargs);
    }
    if (!need_strings(def, args, nargs, 1, pos, err)) return wr_fn_drop(args, nargs);
    wr_type t = wr_fn_string(wr_fn_nullable(args, nargs));
    return wr_fn_call(def, k_array_join, NULL, NULL, args, nargs, t, pos);
}

/* ---- ARRAY_CONCAT, ARRAY_UNION, ARRAY_INTERSECT, ARRAY_EXCEPT -------------------------------- */

static int k_array_concat(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    wr_type elem = wr_type_elem(e->type);
    elist l;
    elist_init(&l, elem);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        elist_reset(&l);
        for (int a = 0; a < e->nargs; a++) {
            wr_array_reader rd;
            wr_array_open(&rd, elem, wr_fn_str(&args[a], r));
            for (uint32_t i = 0; i < rd.n; i++) elist_push_elem(&l, &rd, i);
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

typedef enum setop { SET_UNION, SET_INTERSECT, SET_EXCEPT } setop;

static const setop setops[] = {SET_UNION, SET_INTERSECT, SET_EXCEPT};

/* ARRAY_UNION, ARRAY_INTERSECT, ARRAY_EXCEPT: distinct elements, in the order of the first array
 * (then the second's, for UNION). */
static int k_array_setop(WR_KERNEL_ARGS)
{
    setop op = *(const setop *)e->aux;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    wr_type elem = wr_type_elem(e->type);
    elist l, other;
    elist_init(&l, elem);
    elist_init(&other, elem);
    eset seen, in_other;
    eset_init(&seen, &l);
    eset_init(&in_other, &other);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader a, b;
        wr_array_open(&a, elem, wr_fn_str(&args[0], r));
        wr_array_open(&b, elem, wr_fn_str(&args[1], r));
        elist_reset(&l);
        eset_reset(&seen, a.n + b.n);
        if (op != SET_UNION) {
            elist_reset(&other);
            eset_reset(&in_other, b.n);
            for (uint32_t i = 0; i < b.n; i++) {
                elist_push_elem(&other, &b, i);
                eset_add(&in_other, other.n - 1);
            }
        }
        for (uint32_t i = 0; i < a.n; i++) {
            slot s;
            bool p = wr_array_get(&a, i, &s);
            if (op != SET_UNION && eset_has(&in_other, &s, p) != (op == SET_INTERSECT)) continue;
            elist_push_new(&l, &seen, &s, p);
        }
        for (uint32_t i = 0; op == SET_UNION && i < b.n; i++) {
            slot s;
            bool p = wr_array_get(&b, i, &s);
            elist_push_new(&l, &seen, &s, p);
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    eset_fini(&seen);
    eset_fini(&in_other);
    elist_fini(&l);
    elist_fini(&other);
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_arrays(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    for (int i = 0; i < nargs; i++)
        if (!need_kind(def, args, nargs, i, kind_array, pos, err)) return wr_fn_drop(args, nargs);
    wr_type t;
    if (!unify_collections(def, args, nargs, nargs, pos, &t, err)) return wr_fn_drop(args, nargs);
    if (wr_type_elem(t).id == WR_TYPE_NULL) {
        /* ARRAY[NULL] with ARRAY[NULL]: the NULLs become STRING elements. */
        t = wr_type_array(wr_fn_string(true), t.nullable);
        for (int i = 0; i < nargs; i++)
            if (cast_keep_null(&args[i], t, err)) return wr_fn_drop(args, nargs);
    }
    t.nullable = wr_fn_nullable(args, nargs);
    if (def->data == NULL) return wr_fn_call(def, k_array_concat, NULL, NULL, args, nargs, t, pos);
    return wr_fn_call(def, k_array_setop, (void *)def->data, NULL, args, nargs, t, pos);
}

/* ---- SPLIT ----------------------------------------------------------------------------------- */

/*
 * SPLIT(string, delimiter): the pieces between occurrences of the delimiter, empty ones kept;
 * an empty delimiter splits into characters; an empty string has no pieces (as Flink's
 * splitByWholeSeparatorPreserveAllTokens).
 */
static int k_split(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    elist l;
    elist_init(&l, wr_fn_string(true));
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r), sep = wr_fn_str(&args[1], r);
        elist_reset(&l);
        if (sep.len == 0) {
            for (uint32_t i = 0; i < s.len;) {
                uint32_t j = wr_utf8_skip(s.ptr, s.len, i, 1);
                wr_str piece = {s.ptr + i, j - i};
                elist_push(&l, &piece, true);
                i = j;
            }
        } else if (s.len > 0) {
            uint32_t start = 0;
            for (;;) {
                const char *hit = memmem(s.ptr + start, s.len - start, sep.ptr, sep.len);
                uint32_t end = hit ? (uint32_t)(hit - s.ptr) : s.len;
                wr_str piece = {s.ptr + start, end - start};
                elist_push(&l, &piece, true);
                if (!hit) break;
                start = end + sep.len;
            }
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_split(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                           wr_error *err)
{
    if (!need_strings(def, args, nargs, 0, pos, err)) return wr_fn_drop(args, nargs);
    wr_type t = wr_type_array(wr_fn_string(true), wr_fn_nullable(args, nargs));
    return wr_fn_call(def, k_split, NULL, NULL, args, nargs, t, pos);
}

/* ---- MAP_KEYS, MAP_VALUES, MAP_ENTRIES, MAP_FROM_ARRAYS, MAP_UNION --------------------------- */

/* MAP_KEYS and MAP_VALUES: a map's keys and values are arrays in its encoding already. */
static int k_map_part(WR_KERNEL_ARGS)
{
    bool values = e->aux != NULL;
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r)) o[r] = values ? wr_map_values(x[r]) : wr_map_keys(x[r]);
    });
    return 0;
}

static const int values_tag = 1;

static int k_map_entries(WR_KERNEL_ARGS)
{
    const wr_str *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    wr_type row = wr_type_elem(e->type);
    const wr_nested *d = wr_type_nested(row);
    elist l;
    elist_init(&l, row);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader keys, vals;
        wr_array_open(&keys, d->fields[0], wr_map_keys(x[r]));
        wr_array_open(&vals, d->fields[1], wr_map_values(x[r]));
        elist_reset(&l);
        for (uint32_t i = 0; i < keys.n; i++) {
            slot k, v;
            bool present[2] = {wr_array_get(&keys, i, &k), wr_array_get(&vals, i, &v)};
            const void *slots[2] = {&k, &v};
            wr_buf_reset(&buf);
            wr_row_value_encode(&buf, d, slots, present);
            wr_str entry = wr_fn_copy(ev, buf.data, buf.len);
            elist_push(&l, &entry, true);
        }
        o[r] = elist_value(ev, &l, &buf);
    });
    elist_fini(&l);
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_map_fn(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_map, pos, err)) return wr_fn_drop(args, nargs);
    wr_type kt = wr_type_elem(args[0]->type), vt = wr_type_map_value(args[0]->type);
    bool nullable = args[0]->type.nullable;
    if (strcmp(def->name, "MAP_ENTRIES") == 0) {
        /* Flink names the fields of an entry key and value. */
        wr_type f[2] = {kt, vt};
        const char *names[2] = {"key", "value"};
        wr_type t = wr_type_array(wr_type_row(f, names, 2, false), nullable);
        return wr_fn_call(def, k_map_entries, NULL, NULL, args, nargs, t, pos);
    }
    bool values = strcmp(def->name, "MAP_VALUES") == 0;
    wr_type t = wr_type_array(values ? vt : kt, nullable);
    return wr_fn_call(def, k_map_part, values ? (void *)&values_tag : NULL, NULL, args, nargs, t,
                      pos);
}

static int k_map_from_arrays(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    wr_type kt = wr_type_elem(e->type), vt = wr_type_map_value(e->type);
    elist keys, vals;
    elist_init(&keys, kt);
    elist_init(&vals, vt);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_array_reader k, v;
        wr_array_open(&k, kt, wr_fn_str(&args[0], r));
        wr_array_open(&v, vt, wr_fn_str(&args[1], r));
        if (k.n != v.n) {
            wr_buf_fini(&buf);
            elist_fini(&keys);
            elist_fini(&vals);
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "MAP_FROM_ARRAYS: the key array has %u elements but the value "
                                "array %u; they must have as many",
                                k.n, v.n);
        }
        elist_reset(&keys);
        elist_reset(&vals);
        for (uint32_t i = 0; i < k.n; i++) {
            elist_push_elem(&keys, &k, i);
            elist_push_elem(&vals, &v, i);
        }
        uint32_t m =
            wr_map_dedup(e->type, keys.n, keys.slots, keys.present, vals.slots, vals.present);
        wr_buf_reset(&buf);
        wr_map_encode(&buf, e->type, m, keys.slots, keys.present, vals.slots, vals.present);
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    });
    elist_fini(&keys);
    elist_fini(&vals);
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_map_from_arrays(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                     wr_error *err)
{
    if (!need_kind(def, args, nargs, 0, kind_array, pos, err) ||
        !need_kind(def, args, nargs, 1, kind_array, pos, err))
        return wr_fn_drop(args, nargs);
    wr_type kt = wr_type_elem(args[0]->type), vt = wr_type_elem(args[1]->type);
    if (kt.id == WR_TYPE_NULL || vt.id == WR_TYPE_NULL) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return wr_fn_drop(args, nargs);
    }
    wr_type t = wr_type_map(kt, vt, wr_fn_nullable(args, nargs));
    return wr_fn_call(def, k_map_from_arrays, NULL, NULL, args, nargs, t, pos);
}

static int k_map_union(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    wr_type kt = wr_type_elem(e->type), vt = wr_type_map_value(e->type);
    elist keys, vals;
    elist_init(&keys, kt);
    elist_init(&vals, vt);
    eset set;
    eset_init(&set, &keys);
    wr_buf buf;
    wr_buf_init(&buf);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        elist_reset(&keys);
        elist_reset(&vals);
        uint32_t total = 0;
        for (int a = 0; a < e->nargs; a++) total += wr_map_size(wr_fn_str(&args[a], r));
        eset_reset(&set, total);
        /* A later map's value replaces an earlier one's; keys keep their first position. */
        for (int a = 0; a < e->nargs; a++) {
            wr_str m = wr_fn_str(&args[a], r);
            wr_array_reader k, v;
            wr_array_open(&k, kt, wr_map_keys(m));
            wr_array_open(&v, vt, wr_map_values(m));
            for (uint32_t i = 0; i < k.n; i++) {
                slot ks, vs;
                bool kp = wr_array_get(&k, i, &ks), vp = wr_array_get(&v, i, &vs);
                int64_t at = eset_find(&set, &ks, kp);
                if (at < 0) {
                    elist_push(&keys, &ks, kp);
                    eset_add(&set, keys.n - 1);
                    elist_push(&vals, &vs, vp);
                } else {
                    uint8_t *slotp = vals.slots + vals.width * (size_t)at;
                    if (vp)
                        memcpy(slotp, &vs, vals.width);
                    else
                        memset(slotp, 0, vals.width);
                    vals.present[at] = vp;
                }
            }
        }
        wr_buf_reset(&buf);
        wr_map_encode(&buf, e->type, keys.n, keys.slots, keys.present, vals.slots, vals.present);
        o[r] = wr_fn_copy(ev, buf.data, buf.len);
    });
    eset_fini(&set);
    elist_fini(&keys);
    elist_fini(&vals);
    wr_buf_fini(&buf);
    return 0;
}

static wr_expr *bind_map_union(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                               wr_error *err)
{
    for (int i = 0; i < nargs; i++)
        if (!need_kind(def, args, nargs, i, kind_map, pos, err)) return wr_fn_drop(args, nargs);
    wr_type t;
    if (!unify_collections(def, args, nargs, nargs, pos, &t, err)) return wr_fn_drop(args, nargs);
    if (wr_type_elem(t).id == WR_TYPE_NULL || wr_type_map_value(t).id == WR_TYPE_NULL) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return wr_fn_drop(args, nargs);
    }
    t.nullable = wr_fn_nullable(args, nargs);
    return wr_fn_call(def, k_map_union, NULL, NULL, args, nargs, t, pos);
}

/* ---- the table ------------------------------------------------------------------------------ */

const wr_func_def wr_funcs_nested[] = {
    {"ARRAY_APPEND", 2, 2, bind_needle, "ARRAY_APPEND(ARRAY, element)", NULL},
    {"ARRAY_CONCAT", 1, -1, bind_arrays, "ARRAY_CONCAT(ARRAY, ...)", NULL},
    {"ARRAY_CONTAINS", 2, 2, bind_needle, "ARRAY_CONTAINS(ARRAY haystack, needle)", NULL},
    {"ARRAY_DISTINCT", 1, 1, bind_array_fn, "ARRAY_DISTINCT(ARRAY)", NULL},
    {"ARRAY_EXCEPT", 2, 2, bind_arrays, "ARRAY_EXCEPT(ARRAY, ARRAY)", &setops[SET_EXCEPT]},
    {"ARRAY_INTERSECT", 2, 2, bind_arrays, "ARRAY_INTERSECT(ARRAY, ARRAY)", &setops[SET_INTERSECT]},
    {"ARRAY_JOIN", 2, 3, bind_array_join,
     "ARRAY_JOIN(ARRAY<STRING>, STRING delimiter [, STRING null_replacement])", NULL},
    {"ARRAY_MAX", 1, 1, bind_array_extreme, "ARRAY_MAX(ARRAY of a comparable type)", NULL},
    {"ARRAY_MIN", 1, 1, bind_array_extreme, "ARRAY_MIN(ARRAY of a comparable type)", NULL},
    {"ARRAY_POSITION", 2, 2, bind_needle, "ARRAY_POSITION(ARRAY haystack, needle)", NULL},
    {"ARRAY_PREPEND", 2, 2, bind_needle, "ARRAY_PREPEND(ARRAY, element)", NULL},
    {"ARRAY_REMOVE", 2, 2, bind_needle, "ARRAY_REMOVE(ARRAY haystack, needle)", NULL},
    {"ARRAY_REVERSE", 1, 1, bind_array_fn, "ARRAY_REVERSE(ARRAY)", NULL},
    {"ARRAY_SLICE", 2, 3, bind_array_fn, "ARRAY_SLICE(ARRAY, INT start_offset [, INT end_offset])",
     NULL},
    {"ARRAY_SORT", 1, 3, bind_array_fn,
     "ARRAY_SORT(ARRAY [, BOOLEAN ascending_order [, BOOLEAN null_first]])", NULL},
    {"ARRAY_UNION", 2, 2, bind_arrays, "ARRAY_UNION(ARRAY, ARRAY)", &setops[SET_UNION]},
    {"CARDINALITY", 1, 1, bind_cardinality, "CARDINALITY(ARRAY | MAP | MULTISET)", NULL},
    {"ELEMENT", 1, 1, bind_element, "ELEMENT(ARRAY | MULTISET)", NULL},
    {"MAP_ENTRIES", 1, 1, bind_map_fn, "MAP_ENTRIES(MAP)", NULL},
    {"MAP_FROM_ARRAYS", 2, 2, bind_map_from_arrays,
     "MAP_FROM_ARRAYS(ARRAY array_of_keys, ARRAY array_of_values)", NULL},
    {"MAP_KEYS", 1, 1, bind_map_fn, "MAP_KEYS(MAP)", NULL},
    {"MAP_UNION", 1, -1, bind_map_union, "MAP_UNION(MAP, ...)", NULL},
    {"MAP_VALUES", 1, 1, bind_map_fn, "MAP_VALUES(MAP)", NULL},
    {"SPLIT", 2, 2, bind_split, "SPLIT(STRING, STRING delimiter)", NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
