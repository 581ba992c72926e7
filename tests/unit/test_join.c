/*
 * test_join.c — the batch hash join, driven directly as the runtime would:
 * every join type against a nested-loop reference, NULL keys with and
 * without null-safe equality, residual conditions (also on outer joins), the
 * nested-loop join, probe rows before / after / between build rows, string,
 * float and multi-column keys, and large inputs over many batches.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/ops/join.h"
#include "../../src/types/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wr_type BIGINT_N = {WR_TYPE_BIGINT, true, 0, 0};
static const wr_type INT_N = {WR_TYPE_INT, true, 0, 0};
static const wr_type STR_N = {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0};
static const wr_type DOUBLE_N = {WR_TYPE_DOUBLE, true, 0, 0};
static const wr_type DEC38_N = {WR_TYPE_DECIMAL, true, 38, 2};
static const wr_type DATE_N = {WR_TYPE_DATE, true, 0, 0};
static const wr_type LTZ_N = {WR_TYPE_TIMESTAMP_LTZ, true, 3, 0};
static const wr_type BYTES_N = {WR_TYPE_VARBINARY, true, WR_VARCHAR_MAX, 0};

static const wr_join_type ALL_TYPES[] = {WR_JOIN_TYPE_INNER, WR_JOIN_TYPE_LEFT, WR_JOIN_TYPE_RIGHT,
                                         WR_JOIN_TYPE_FULL,  WR_JOIN_TYPE_SEMI, WR_JOIN_TYPE_ANTI};

/* ---- tables of text cells ---------------------------------------------------- */

/* Rows as text cells (NULL is SQL NULL), row-major, over columns of the given types. */
typedef struct table {
    const wr_type *types;
    int ncols;
    const char *const *cells;
    int nrows;
} table;

static void put_cell(wr_batch *batch, int col, int row, const char *cell)
{
    wr_vector *v = &batch->cols[col];
    if (cell == NULL) {
        wr_batch_set_null(batch, col, row);
        return;
    }
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        ((uint8_t *)v->data)[row] = strcmp(cell, "true") == 0;
        break;
    case WR_TYPE_INT:
        ((int32_t *)v->data)[row] = (int32_t)strtol(cell, NULL, 10);
        break;
    case WR_TYPE_BIGINT:
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10);
        break;
    case WR_TYPE_DOUBLE:
        ((double *)v->data)[row] = strtod(cell, NULL);
        break;
    case WR_TYPE_VARCHAR:
        ((wr_str *)v->data)[row] = wr_batch_str(batch, cell, strlen(cell));
        break;
    /* The other types are written as the print format shows them, so that cells compare. */
    case WR_TYPE_DECIMAL: /* 1.50 */
        cr_assert_eq(wr_decimal_parse(cell, strlen(cell), v->type.length, v->type.scale,
                                      (wr_int128 *)v->data + row),
                     0, "DECIMAL cell %s", cell);
        break;
    case WR_TYPE_DATE: /* 2024-01-01 */
        cr_assert_eq(wr_date_parse(cell, strlen(cell), (int32_t *)v->data + row), 0, "%s", cell);
        break;
    case WR_TYPE_TIMESTAMP_LTZ: { /* an instant: 2024-01-01T10:00:00Z */
        size_t n = strlen(cell);
        cr_assert(n > 0 && cell[n - 1] == 'Z', "%s", cell);
        cr_assert_eq(wr_timestamp_parse(cell, n - 1, (int64_t *)v->data + row), 0, "%s", cell);
        break;
    }
    case WR_TYPE_VARBINARY: { /* Java's Arrays.toString: [1, -1] */
        char bytes[64];
        size_t n = 0;
        for (const char *p = cell + 1; *p && *p != ']';) {
            char *end;
            bytes[n++] = (char)strtol(p, &end, 10);
            p = *end == ',' ? end + 2 : end;
        }
        ((wr_str *)v->data)[row] = wr_batch_str(batch, bytes, n);
        break;
    }
    default:
        cr_assert_fail("no cell parser for type %d", v->type.id);
    }
}

/* A value of the column's type for the rows a selection skips. */
static const char *garbage_cell(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_VARCHAR:
        return "garbage";
    case WR_TYPE_DATE:
        return "1999-09-09";
    case WR_TYPE_TIMESTAMP_LTZ:
        return "1999-09-09T09:09:09Z";
    case WR_TYPE_VARBINARY:
        return "[9, 9]";
    default:
        return "99";
    }
}

/* Rows [from, from+n) of t as a batch; every other batch gets a selection vector. */
static wr_batch *table_batch(const table *t, int from, int n, bool with_sel)
{
    wr_batch *batch = wr_batch_new(t->types, t->ncols, WR_BATCH_CAPACITY);
    /* With a selection, each wanted row is preceded by a skipped garbage row. */
    int phys = 0;
    uint32_t *sel = with_sel ? wr_batch_sel_buffer(batch) : NULL;
    for (int r = 0; r < n; r++) {
        if (with_sel) {
            for (int c = 0; c < t->ncols; c++)
                put_cell(batch, c, phys, garbage_cell(t->types[c].id));
            phys++;
            sel[r] = (uint32_t)phys;
        }
        for (int c = 0; c < t->ncols; c++)
            put_cell(batch, c, phys, t->cells[(from + r) * t->ncols + c]);
        phys++;
    }
    batch->count = phys;
    if (with_sel) {
        batch->sel = sel;
        batch->nsel = n;
    }
    return batch;
}

/* ---- running a join ------------------------------------------------------------ */

typedef enum schedule {
    BUILD_FIRST,      /* every build row, then every probe row */
    PROBE_FIRST,      /* every probe row (probe side ends), then the build side */
    PROBE_BEFORE_END, /* probe rows arrive first, the build side ends, then the probe side */
    INTERLEAVED,      /* batches alternate; the build side ends halfway through the probe */
} schedule;

static const schedule ALL_SCHEDULES[] = {BUILD_FIRST, PROBE_FIRST, PROBE_BEFORE_END, INTERLEAVED};

typedef struct strings {
    char **v;
    int n, cap;
} strings;

static void strings_add(strings *s, const char *text)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = realloc(s->v, (size_t)s->cap * sizeof(char *));
    }
    s->v[s->n++] = strdup(text);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strings_free(strings *s)
{
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

static void add_row_text(const wr_batch *batch, int row, void *arg)
{
    wr_buf buf;
    wr_buf_init(&buf);
    wr_batch_format_row(batch, row, &buf);
    wr_buf_putc(&buf, '\0');
    strings_add(arg, (const char *)buf.data);
    wr_buf_fini(&buf);
}

static int feed(const wr_operator_spec *spec, wr_operator *op, int input, const table *t, int *pos,
                int batch_rows, int nbatches, wr_error *err)
{
    for (int b = 0; (nbatches < 0 || b < nbatches) && *pos < t->nrows; b++) {
        int n = t->nrows - *pos < batch_rows ? t->nrows - *pos : batch_rows;
        wr_batch *batch = table_batch(t, *pos, n, (*pos / batch_rows) % 2 == 1);
        int rc = spec->ops->process(op, input, batch, err);
        /* The operator must not keep references into a borrowed batch. */
        memset(batch->cols[0].data, 0x5a,
               wr_type_width(batch->cols[0].type.id) * (size_t)batch->count);
        wr_batch_free(batch);
        *pos += n;
        if (rc) return rc;
    }
    return 0;
}

/* Runs the join over left (probe) and right (build) in the given schedule; output rows as text. */
static int run_join(const wr_join_desc *desc, const table *left, const table *right, schedule sch,
                    int batch_rows, strings *out, wr_error *err)
{
    wr_operator_spec spec = wr_hash_join_spec(desc);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error_init(err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, err);
    int rc = op ? 0 : err->code;
    int lp = 0, rp = 0;
    if (op) {
        switch (sch) {
        case BUILD_FIRST:
            if (!rc) rc = feed(&spec, op, 1, right, &rp, batch_rows, -1, err);
            if (!rc) rc = spec.ops->end_input(op, 1, err);
            if (!rc) rc = feed(&spec, op, 0, left, &lp, batch_rows, -1, err);
            if (!rc) rc = spec.ops->end_input(op, 0, err);
            break;
        case PROBE_FIRST:
            if (!rc) rc = feed(&spec, op, 0, left, &lp, batch_rows, -1, err);
            if (!rc) rc = spec.ops->end_input(op, 0, err);
            cr_assert_eq(cap.rows, 0, "output before the build side ended");
            if (!rc) rc = feed(&spec, op, 1, right, &rp, batch_rows, -1, err);
            if (!rc) rc = spec.ops->end_input(op, 1, err);
            break;
        case PROBE_BEFORE_END:
            if (!rc) rc = feed(&spec, op, 0, left, &lp, batch_rows, 1, err);
            if (!rc) rc = feed(&spec, op, 1, right, &rp, batch_rows, -1, err);
            if (!rc) rc = feed(&spec, op, 0, left, &lp, batch_rows, 1, err);
            if (!rc) rc = spec.ops->end_input(op, 1, err);
            if (!rc) rc = feed(&spec, op, 0, left, &lp, batch_rows, -1, err);
            if (!rc) rc = spec.ops->end_input(op, 0, err);
            break;
        case INTERLEAVED:
            while (!rc && rp < right->nrows) {
                rc = feed(&spec, op, 0, left, &lp, batch_rows, 1, err);
                if (!rc) rc = feed(&spec, op, 1, right, &rp, batch_rows, 1, err);
            }
            if (!rc) rc = spec.ops->end_input(op, 1, err);
            if (!rc) rc = feed(&spec, op, 0, left, &lp, batch_rows, -1, err);
            if (!rc) rc = spec.ops->end_input(op, 0, err);
            break;
        }
        spec.ops->destroy(op);
    }
    if (rc == 0) cr_assert_eq(ctx.rows_out, cap.rows);
    capture_each(&cap, add_row_text, out);
    if (out->n) qsort(out->v, (size_t)out->n, sizeof(char *), cmp_strp);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    return rc;
}

/* ---- the reference: a nested loop over text cells ---------------------------------- */

typedef bool (*residual_ref)(const char *const *l, const char *const *r);

static void emit_ref(strings *out, const table *left, int l, const table *right, int r,
                     bool left_only)
{
    char buf[1024] = "+I[";
    bool first = true;
    for (int c = 0; c < left->ncols; c++) {
        const char *cell = l >= 0 ? left->cells[l * left->ncols + c] : NULL;
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", first ? "" : ", ",
                 cell ? cell : "null");
        first = false;
    }
    for (int c = 0; !left_only && c < right->ncols; c++) {
        const char *cell = r >= 0 ? right->cells[r * right->ncols + c] : NULL;
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", first ? "" : ", ",
                 cell ? cell : "null");
        first = false;
    }
    strcat(buf, "]");
    strings_add(out, buf);
}

static void reference(const wr_join_desc *d, const table *left, const table *right,
                      residual_ref residual, strings *out)
{
    bool *rhit = calloc((size_t)right->nrows + 1, 1);
    bool semi_like = d->type == WR_JOIN_TYPE_SEMI || d->type == WR_JOIN_TYPE_ANTI;
    for (int l = 0; l < left->nrows; l++) {
        const char *const *lc = left->cells + l * left->ncols;
        bool any = false;
        for (int r = 0; r < right->nrows; r++) {
            const char *const *rc = right->cells + r * right->ncols;
            bool eq = true;
            for (int k = 0; k < d->nkeys && eq; k++) {
                const char *a = lc[d->left_keys[k]], *b = rc[d->right_keys[k]];
                bool ns = d->null_safe && d->null_safe[k];
                if (a == NULL || b == NULL)
                    eq = ns && a == NULL && b == NULL;
                else
                    eq = strcmp(a, b) == 0;
            }
            if (!eq || (residual && !residual(lc, rc))) continue;
            any = true;
            rhit[r] = true;
            if (!semi_like) emit_ref(out, left, l, right, r, false);
        }
        if (any && d->type == WR_JOIN_TYPE_SEMI) emit_ref(out, left, l, right, -1, true);
        if (!any && d->type == WR_JOIN_TYPE_ANTI) emit_ref(out, left, l, right, -1, true);
        if (!any && (d->type == WR_JOIN_TYPE_LEFT || d->type == WR_JOIN_TYPE_FULL))
            emit_ref(out, left, l, right, -1, false);
    }
    if (d->type == WR_JOIN_TYPE_RIGHT || d->type == WR_JOIN_TYPE_FULL)
        for (int r = 0; r < right->nrows; r++)
            if (!rhit[r]) emit_ref(out, left, -1, right, r, false);
    free(rhit);
    if (out->n) qsort(out->v, (size_t)out->n, sizeof(char *), cmp_strp);
}

static void assert_same(const strings *got, const strings *want, const char *what)
{
    bool same = got->n == want->n;
    for (int i = 0; same && i < got->n; i++) same = strcmp(got->v[i], want->v[i]) == 0;
    if (!same) {
        fprintf(stderr, "%s: got %d rows, want %d\n", what, got->n, want->n);
        for (int i = 0; i < got->n || i < want->n; i++)
            fprintf(stderr, "  %-40s %s\n", i < got->n ? got->v[i] : "",
                    i < want->n ? want->v[i] : "");
        cr_assert_fail("%s: output differs from the reference", what);
    }
}

/*
 * Checks the join of every type against the reference, in every schedule
 * and with batches of 1, 2 and 1024 rows. make_residual builds a fresh
 * condition per run (the spec takes ownership).
 */
static void check_all(wr_join_desc d, const table *left, const table *right,
                      wr_expr *(*make_residual)(void), residual_ref residual)
{
    d.left_types = left->types;
    d.nleft = left->ncols;
    d.right_types = right->types;
    d.nright = right->ncols;
    static const int sizes[] = {1, 2, 1024};
    for (size_t t = 0; t < sizeof(ALL_TYPES) / sizeof(ALL_TYPES[0]); t++) {
        d.type = ALL_TYPES[t];
        strings want = {0};
        reference(&d, left, right, residual, &want);
        for (size_t s = 0; s < sizeof(ALL_SCHEDULES) / sizeof(ALL_SCHEDULES[0]); s++) {
            for (size_t z = 0; z < 3; z++) {
                d.residual = make_residual ? make_residual() : NULL;
                strings got = {0};
                wr_error err;
                int rc = run_join(&d, left, right, ALL_SCHEDULES[s], sizes[z], &got, &err);
                cr_assert_eq(rc, 0, "%s: %s", wr_join_type_name(d.type), err.msg);
                char what[128];
                snprintf(what, sizeof(what), "%s, schedule %d, batches of %d",
                         wr_join_type_name(d.type), (int)ALL_SCHEDULES[s], sizes[z]);
                assert_same(&got, &want, what);
                strings_free(&got);
            }
        }
        strings_free(&want);
    }
}

/* ---- expressions ----------------------------------------------------------------- */

static wr_expr *call2(wr_func fn, wr_expr *x, wr_expr *y)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = y;
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(fn, args, 2, wr_type_make(WR_TYPE_BOOLEAN, true), 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

/* Two-column tables (k BIGINT, v BIGINT) on both sides: left.v < right.v. */
static wr_expr *v_less_w(void)
{
    return call2(WR_FN_LT, wr_expr_column(1, BIGINT_N, 0), wr_expr_column(3, BIGINT_N, 0));
}

static bool v_less_w_ref(const char *const *l, const char *const *r)
{
    return l[1] && r[1] && strtoll(l[1], NULL, 10) < strtoll(r[1], NULL, 10);
}

/* ---- tests ----------------------------------------------------------------------- */

#define KV(k, v) k, v
static const wr_type KV_TYPES[] = {BIGINT_N, BIGINT_N};
static const int KEY0[] = {0};

/* Duplicates on both sides, keys only on one side, NULL keys on both. */
static const char *const LEFT_CELLS[] = {
    KV("1", "10"), KV("1", "11"), KV("2", "20"),  KV("3", "30"), KV(NULL, "40"),
    KV("5", NULL), KV("1", "12"), KV(NULL, "41"), KV("7", "70"),
};
static const char *const RIGHT_CELLS[] = {
    KV("1", "15"), KV("1", "5"),  KV("2", "25"),  KV("4", "45"), KV(NULL, "50"),
    KV("5", "55"), KV("1", "11"), KV(NULL, "51"), KV("2", "19"), KV("8", "1"),
};
static const table LEFT = {KV_TYPES, 2, LEFT_CELLS, 9};
static const table RIGHT = {KV_TYPES, 2, RIGHT_CELLS, 10};

Test(join, every_type_with_duplicates_and_null_keys)
{
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .nkeys = 1};
    check_all(d, &LEFT, &RIGHT, NULL, NULL);
}

/*
 * Build keys 3..9, each once (an identity table: bucket b is build row b), with
 * NULL and string payloads; probe keys repeat, miss below and above the range,
 * and are NULL. Every probe row has at most one pair, so the pairs are emitted
 * over the probe batch with a selection.
 */
static const wr_type IK_TYPES[] = {BIGINT_N, STR_N, BIGINT_N};
static const char *const ILEFT_CELLS[] = {
    KV("3", "10"), KV("9", "11"), KV("2", "20"),  KV("3", "30"), KV(NULL, "40"), KV("10", NULL),
    KV("5", NULL), KV("6", "12"), KV("-1", "41"), KV("7", "70"), KV("4", "71"),
};
static const char *const IRIGHT_CELLS[] = {
    "5",  "five", "55", "3",  NULL, "33",    "9",  "nine", NULL,  "4",  "four",
    "44", "8",    "ei", "88", "7",  "seven", NULL, "6",    "six", "66",
};
static const table ILEFT = {KV_TYPES, 2, ILEFT_CELLS, 11};
static const table IRIGHT = {IK_TYPES, 3, IRIGHT_CELLS, 7};

Test(join, unique_dense_build_keys)
{
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .nkeys = 1};
    check_all(d, &ILEFT, &IRIGHT, NULL, NULL);
}

Test(join, null_safe_keys_match_null)
{
    static const bool ns[] = {true};
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .null_safe = ns, .nkeys = 1};
    check_all(d, &LEFT, &RIGHT, NULL, NULL);
    /* The reference agrees that the NULL keys pair up: 2 x 2 NULL pairs in INNER. */
    strings want = {0};
    d.type = WR_JOIN_TYPE_INNER;
    d.left_types = d.right_types = KV_TYPES;
    d.nleft = d.nright = 2;
    reference(&d, &LEFT, &RIGHT, NULL, &want);
    int nulls = 0;
    for (int i = 0; i < want.n; i++) nulls += strncmp(want.v[i], "+I[null", 7) == 0;
    cr_assert_eq(nulls, 4);
    strings_free(&want);
}

Test(join, residual_on_every_type)
{
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .nkeys = 1};
    check_all(d, &LEFT, &RIGHT, v_less_w, v_less_w_ref);
}

Test(join, residual_failing_means_no_match_for_outer_sides)
{
    /* Every key matches, but the condition only holds for (1, 10) with (1, 15). */
    static const char *const l[] = {KV("1", "10"), KV("1", "20")};
    static const char *const r[] = {KV("1", "15"), KV("1", "5")};
    table lt = {KV_TYPES, 2, l, 2}, rt = {KV_TYPES, 2, r, 2};
    wr_join_desc d = {.type = WR_JOIN_TYPE_FULL,
                      .left_types = KV_TYPES,
                      .nleft = 2,
                      .right_types = KV_TYPES,
                      .nright = 2,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1,
                      .residual = v_less_w()};
    strings got = {0};
    wr_error err;
    cr_assert_eq(run_join(&d, &lt, &rt, BUILD_FIRST, 1024, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(got.n, 3);
    cr_assert_str_eq(got.v[0], "+I[1, 10, 1, 15]");
    cr_assert_str_eq(got.v[1], "+I[1, 20, null, null]");
    cr_assert_str_eq(got.v[2], "+I[null, null, 1, 5]");
    strings_free(&got);

    d.type = WR_JOIN_TYPE_ANTI;
    d.residual = v_less_w();
    strings anti = {0};
    cr_assert_eq(run_join(&d, &lt, &rt, PROBE_FIRST, 1, &anti, &err), 0, "%s", err.msg);
    cr_assert_eq(anti.n, 1);
    cr_assert_str_eq(anti.v[0], "+I[1, 20]");
    strings_free(&anti);
    check_all(d, &lt, &rt, v_less_w, v_less_w_ref);
}

Test(join, nested_loop_with_a_non_equi_condition)
{
    wr_join_desc d = {.nkeys = 0};
    check_all(d, &LEFT, &RIGHT, v_less_w, v_less_w_ref);
    /* Without a condition every pair matches: a cross product. */
    check_all(d, &LEFT, &RIGHT, NULL, NULL);
}

Test(join, empty_sides)
{
    static const char *const none[] = {NULL};
    table empty = {KV_TYPES, 2, none, 0};
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .nkeys = 1};
    check_all(d, &LEFT, &empty, NULL, NULL);
    check_all(d, &empty, &RIGHT, NULL, NULL);
    check_all(d, &empty, &empty, v_less_w, v_less_w_ref);
    d.nkeys = 0;
    check_all(d, &LEFT, &empty, v_less_w, v_less_w_ref);
}

/* (s VARCHAR, i INT, v BIGINT) on the left, (i INT, w BIGINT, s VARCHAR) on the right. */
static const wr_type SL_TYPES[] = {STR_N, INT_N, BIGINT_N};
static const wr_type SR_TYPES[] = {INT_N, BIGINT_N, STR_N};
static const char *const SL_CELLS[] = {
    "apple", "1",  "1", "apple", "2",     "2",  "",  "1",     "3", "banana", "1",
    "4",     NULL, "1", "5",     "apple", NULL, "6", "apple", "1", "7",      "a longer string key",
    "3",     "8",  "b", "0",     "9",
};
static const char *const SR_CELLS[] = {
    "1",   "100",     "apple", "1",     "101", "apple", "2",
    "102", "apple",   "1",     "103",   "",    "1",     "104",
    NULL,  NULL,      "105",   "apple", "3",   "106",   "a longer string key",
    "1",   "107",     "Apple", "0",     "108", "bb",    "1",
    "109", "bananas",
};
static const table SLEFT = {SL_TYPES, 3, SL_CELLS, 9};
static const table SRIGHT = {SR_TYPES, 3, SR_CELLS, 10};

Test(join, string_keys)
{
    static const int lk[] = {0}, rk[] = {2};
    wr_join_desc d = {.left_keys = lk, .right_keys = rk, .nkeys = 1};
    check_all(d, &SLEFT, &SRIGHT, NULL, NULL);
}

Test(join, multi_column_keys)
{
    static const int lk[] = {0, 1}, rk[] = {2, 0};
    wr_join_desc d = {.left_keys = lk, .right_keys = rk, .nkeys = 2};
    check_all(d, &SLEFT, &SRIGHT, NULL, NULL);
    static const bool ns[] = {false, true};
    d.null_safe = ns;
    check_all(d, &SLEFT, &SRIGHT, NULL, NULL);
    /* Key order must not matter to the result. */
    static const int lk2[] = {1, 0}, rk2[] = {0, 2};
    static const bool ns2[] = {true, false};
    d.left_keys = lk2;
    d.right_keys = rk2;
    d.null_safe = ns2;
    check_all(d, &SLEFT, &SRIGHT, NULL, NULL);
}

Test(join, integer_keys_at_the_edges)
{
    /* Keys far apart (hashing) and close together (direct addressing, with probe keys
     * below, inside and above the build keys' range), each with NULLs and duplicates. */
    static const char *const far_l[] = {
        KV("-9223372036854775808", "1"),
        KV("9223372036854775807", "2"),
        KV("0", "3"),
        KV("-1", "4"),
        KV(NULL, "5"),
        KV("9223372036854775807", "6"),
        KV("4611686018427387904", "7"),
    };
    static const char *const far_r[] = {
        KV("9223372036854775807", "10"),
        KV("-9223372036854775808", "11"),
        KV("-1", "12"),
        KV(NULL, "13"),
        KV("9223372036854775807", "14"),
        KV("1", "15"),
    };
    table fl = {KV_TYPES, 2, far_l, 7}, fr = {KV_TYPES, 2, far_r, 6};
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .nkeys = 1};
    check_all(d, &fl, &fr, v_less_w, v_less_w_ref);
    check_all(d, &fl, &fr, NULL, NULL);
    static const char *const near_l[] = {
        KV("-5", "1"), KV("-4", "2"),   KV("0", "3"),
        KV("3", "4"),  KV("4", "5"),    KV(NULL, "6"),
        KV("-3", "7"), KV("2000", "8"), KV("-9223372036854775808", "9"),
    };
    static const char *const near_r[] = {
        KV("-4", "10"), KV("3", "11"), KV("-4", "12"), KV(NULL, "13"), KV("0", "14"), KV("1", "15"),
    };
    table nl = {KV_TYPES, 2, near_l, 9}, nr = {KV_TYPES, 2, near_r, 6};
    check_all(d, &nl, &nr, NULL, NULL);
    check_all(d, &nl, &nr, v_less_w, v_less_w_ref);
    /* INT keys too (a narrower slot). */
    static const wr_type ints[] = {INT_N, BIGINT_N};
    static const char *const il[] = {KV("-2147483648", "1"), KV("2147483647", "2"), KV("7", "3"),
                                     KV("8", "4")};
    static const char *const ir[] = {KV("2147483647", "5"), KV("7", "6"), KV("-2147483648", "7")};
    table itl = {ints, 2, il, 4}, itr = {ints, 2, ir, 3};
    check_all(d, &itl, &itr, NULL, NULL);
    static const char *const ir2[] = {KV("8", "5"), KV("7", "6"), KV("9", "7")};
    table itr2 = {ints, 2, ir2, 3};
    check_all(d, &itl, &itr2, NULL, NULL);
}

/* DECIMAL keys: 16-byte values, both halves in use, negative ones, duplicates and NULLs. */
Test(join, decimal_keys)
{
    static const wr_type t[] = {DEC38_N, BIGINT_N};
    static const char *const l[] = {
        KV("1.50", "10"),
        KV("1.50", "11"),
        KV("-0.01", "20"),
        KV("123456789012345678901234567890.12", "30"),
        KV(NULL, "40"),
        KV("0.00", "50"),
        KV("-123456789012345678901234567890.12", "60"),
        KV("18446744073709551616.00", "70"), /* 2^64: the low half alone is 0 */
    };
    static const char *const r[] = {
        KV("1.50", "15"),
        KV("0.00", "5"),
        KV("123456789012345678901234567890.12", "25"),
        KV("123456789012345678901234567890.13", "35"),
        KV(NULL, "45"),
        KV("-0.01", "55"),
        KV("-123456789012345678901234567890.12", "65"),
        KV("0.01", "75"),
        KV("18446744073709551616.01", "85"), /* differs from 2^64 in the last digit only */
    };
    table tl = {t, 2, l, 8}, tr = {t, 2, r, 9};
    wr_join_desc d = {.left_keys = KEY0, .right_keys = KEY0, .nkeys = 1};
    check_all(d, &tl, &tr, NULL, NULL);
    check_all(d, &tl, &tr, v_less_w, v_less_w_ref);
    static const bool ns[] = {true};
    d.null_safe = ns;
    check_all(d, &tl, &tr, NULL, NULL);
}

/*
 * DATE keys (dense: direct addressing), byte-string keys (bytes, not where
 * they are; zero and high bytes), both together, with TIMESTAMP_LTZ and byte
 * payloads that must come along.
 */
Test(join, date_and_byte_keys_with_temporal_payload)
{
    static const wr_type lt[] = {DATE_N, LTZ_N, BYTES_N};
    static const wr_type rt[] = {DATE_N, BYTES_N, LTZ_N};
    static const char *const l[] = {
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        "[1, 2]",
        "2024-01-02",
        "2024-01-01T10:00:00.500Z",
        "[-1]",
        "2024-01-01",
        NULL,
        "[]",
        NULL,
        "1969-12-31T23:59:59.999Z",
        "[1, 2]",
        "1970-01-01",
        "1970-01-01T00:00:00Z",
        NULL,
        "2024-01-03",
        "2024-01-03T00:00:00Z",
        "[0]",
        "2024-01-02",
        "2024-01-02T00:00:00Z",
        "[-1, 0]",
    };
    static const char *const r[] = {
        "2024-01-01", "[1, 2]",  "2030-01-01T00:00:00Z",
        "2024-01-01", "[]",      NULL,
        "2024-01-02", "[-1, 0]", "2030-01-02T00:00:00Z",
        NULL,         "[1, 2]",  "2030-01-03T00:00:00Z",
        "1970-01-01", NULL,      "2030-01-04T00:00:00Z",
        "2023-12-31", "[0]",     "2030-01-05T00:00:00Z",
        "2024-01-03", "[0, 0]",  "2030-01-06T00:00:00Z",
    };
    table tl = {lt, 3, l, 7}, tr = {rt, 3, r, 7};
    static const int date_l[] = {0}, date_r[] = {0}, bytes_l[] = {2}, bytes_r[] = {1};
    static const int both_l[] = {0, 2}, both_r[] = {0, 1};
    wr_join_desc d = {.left_keys = date_l, .right_keys = date_r, .nkeys = 1};
    check_all(d, &tl, &tr, NULL, NULL);
    d.left_keys = bytes_l;
    d.right_keys = bytes_r;
    check_all(d, &tl, &tr, NULL, NULL);
    d.left_keys = both_l;
    d.right_keys = both_r;
    d.nkeys = 2;
    check_all(d, &tl, &tr, NULL, NULL);
    static const bool ns[] = {true, true};
    d.null_safe = ns;
    check_all(d, &tl, &tr, NULL, NULL);
}

Test(join, float_keys_compare_by_value)
{
    static const wr_type t[] = {DOUBLE_N};
    /* -0.0 equals 0.0 and NaN equals NaN (as a sort and a GROUP BY see them). */
    wr_batch *lb = wr_batch_new(t, 1, WR_BATCH_CAPACITY);
    wr_batch *rb = wr_batch_new(t, 1, WR_BATCH_CAPACITY);
    double lv[] = {-0.0, NAN, 1.5, 2.0};
    double rv[] = {0.0, NAN, 1.5, 3.0, -NAN};
    memcpy(lb->cols[0].data, lv, sizeof(lv));
    memcpy(rb->cols[0].data, rv, sizeof(rv));
    lb->count = 4;
    rb->count = 5;
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = t,
                      .nleft = 1,
                      .right_types = t,
                      .nright = 1,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1};
    wr_operator_spec spec = wr_hash_join_spec(&d);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error err;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    cr_assert_eq(spec.ops->process(op, 1, rb, &err), 0);
    cr_assert_eq(spec.ops->end_input(op, 1, &err), 0);
    cr_assert_eq(spec.ops->process(op, 0, lb, &err), 0);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0);
    /* -0.0 with 0.0, NaN with both NaNs, 1.5 with 1.5. */
    cr_assert_eq(cap.rows, 4);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_batch_free(lb);
    wr_batch_free(rb);
}

/* ---- large inputs ------------------------------------------------------------------ */

/* A deterministic pseudo-random sequence. */
static uint64_t rnd(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

typedef struct sums {
    int64_t rows, nulls_left, nulls_right;
    uint64_t checksum;
} sums;

static uint64_t mix(int64_t a, int64_t b)
{
    uint64_t x = (uint64_t)a * 0x9e3779b97f4a7c15ULL ^ (uint64_t)b;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 32);
}

static void sum_row(const wr_batch *batch, int row, void *arg)
{
    sums *s = arg;
    s->rows++;
    int64_t v = -1, w = -1;
    if (wr_vector_is_null(&batch->cols[1], row))
        s->nulls_left++;
    else
        v = ((int64_t *)batch->cols[1].data)[row];
    if (batch->ncols > 2) {
        if (wr_vector_is_null(&batch->cols[3], row))
            s->nulls_right++;
        else
            w = ((int64_t *)batch->cols[3].data)[row];
    }
    s->checksum += mix(v, w);
}

/*
 * 200k probe rows x 50k build rows, keys from 90000 values (1% NULL), values
 * unique, every join type with a residual, checked against a direct
 * computation. The keys are key_scale * (0..89999): scale 1 gives a dense
 * key range (direct addressing), a large scale spreads them (hashing).
 */
static void check_large(int64_t key_scale)
{
    enum { NL = 200000, NR = 50000, KEYS = 90000 };
    int64_t *lk = malloc(NL * sizeof(int64_t)), *rk = malloc(NR * sizeof(int64_t));
    uint64_t st = 42;
    for (int i = 0; i < NL; i++) lk[i] = rnd(&st) % 100 == 0 ? -1 : (int64_t)(rnd(&st) % KEYS);
    for (int i = 0; i < NR; i++) rk[i] = rnd(&st) % 100 == 0 ? -1 : (int64_t)(rnd(&st) % KEYS);
    /* The straightforward computation: build rows by key. */
    int *count = calloc(KEYS, sizeof(int));
    int *first = malloc(KEYS * sizeof(int)), *next = malloc(NR * sizeof(int));
    for (int k = 0; k < KEYS; k++) first[k] = -1;
    for (int i = NR - 1; i >= 0; i--) {
        if (rk[i] < 0) continue;
        count[rk[i]]++;
        next[i] = first[rk[i]];
        first[rk[i]] = i;
    }
    bool *rhit = calloc(NR, 1);
    sums want[6] = {{0}};
    for (int i = 0; i < NL; i++) {
        int64_t v = 1000000 + i;
        bool any = false;
        /* Residual: (v + w) % 3 != 0, with w = 2000000 + j. */
        for (int j = lk[i] < 0 ? -1 : first[lk[i]]; j >= 0; j = next[j]) {
            int64_t w = 2000000 + j;
            if ((v + w) % 3 == 0) continue;
            any = true;
            rhit[j] = true;
            for (int t = 0; t < 4; t++) {
                want[t].rows++;
                want[t].checksum += mix(v, w);
            }
        }
        if (!any) {
            for (int t = 1; t <= 3; t += 2) {
                want[t].rows++;
                want[t].nulls_right++;
                want[t].checksum += mix(v, -1);
            }
            want[5].rows++;
            want[5].checksum += mix(v, -1);
        } else {
            want[4].rows++;
            want[4].checksum += mix(v, -1);
        }
    }
    for (int j = 0; j < NR; j++) {
        if (rhit[j]) continue;
        for (int t = 2; t <= 3; t++) {
            want[t].rows++;
            want[t].nulls_left++;
            want[t].checksum += mix(-1, 2000000 + j);
        }
    }

    for (int t = 0; t < 6; t++) {
        wr_join_desc d = {.type = ALL_TYPES[t],
                          .left_types = KV_TYPES,
                          .nleft = 2,
                          .right_types = KV_TYPES,
                          .nright = 2,
                          .left_keys = KEY0,
                          .right_keys = KEY0,
                          .nkeys = 1};
        /* (v + w) % 3 != 0 */
        wr_type bt = wr_type_make(WR_TYPE_BIGINT, true);
        wr_expr **sum = wr_malloc(2 * sizeof(wr_expr *));
        sum[0] = wr_expr_column(1, BIGINT_N, 0);
        sum[1] = wr_expr_column(3, BIGINT_N, 0);
        wr_error err;
        wr_expr *add = wr_expr_call(WR_FN_ADD, sum, 2, bt, 0, &err);
        wr_expr **modargs = wr_malloc(2 * sizeof(wr_expr *));
        modargs[0] = add;
        modargs[1] = wr_expr_int64(bt, 3, 0);
        wr_expr *mod = wr_expr_call(WR_FN_MOD, modargs, 2, bt, 0, &err);
        cr_assert_not_null(mod, "%s", err.msg);
        d.residual = call2(WR_FN_NE, mod, wr_expr_int64(bt, 0, 0));

        wr_operator_spec spec = wr_hash_join_spec(&d);
        sums got = {0};
        capture cap;
        capture_init(&cap);
        wr_op_ctx ctx;
        ctx_init(&ctx, 0, 1, &cap.base);
        wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
        cr_assert_not_null(op, "%s", err.msg);
        /* Half the probe rows before the build side ends, half after; batches of 1000. */
        int lp = 0, rp = 0;
        while (lp < NL || rp < NR) {
            if (rp < NR) {
                wr_batch *b = wr_batch_new(KV_TYPES, 2, WR_BATCH_CAPACITY);
                for (int i = 0; i < 1000 && rp < NR; i++, rp++) {
                    ((int64_t *)b->cols[0].data)[i] = rk[rp] * key_scale;
                    ((int64_t *)b->cols[1].data)[i] = 2000000 + rp;
                    if (rk[rp] < 0) wr_batch_set_null(b, 0, i);
                    b->count++;
                }
                cr_assert_eq(spec.ops->process(op, 1, b, &err), 0, "%s", err.msg);
                wr_batch_free(b);
                if (rp == NR) cr_assert_eq(spec.ops->end_input(op, 1, &err), 0, "%s", err.msg);
            }
            for (int rep = 0; rep < 4 && lp < NL; rep++) {
                wr_batch *b = wr_batch_new(KV_TYPES, 2, WR_BATCH_CAPACITY);
                for (int i = 0; i < 1000 && lp < NL; i++, lp++) {
                    ((int64_t *)b->cols[0].data)[i] = lk[lp] * key_scale;
                    ((int64_t *)b->cols[1].data)[i] = 1000000 + lp;
                    if (lk[lp] < 0) wr_batch_set_null(b, 0, i);
                    b->count++;
                }
                cr_assert_eq(spec.ops->process(op, 0, b, &err), 0, "%s", err.msg);
                wr_batch_free(b);
            }
        }
        cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
        capture_each(&cap, sum_row, &got);
        for (int b = 0; b < cap.nbatches; b++)
            cr_assert_leq(cap.batches[b]->count, WR_BATCH_CAPACITY);
        cr_assert_eq(got.rows, want[t].rows, "%s: %lld rows, want %lld", wr_join_type_name(d.type),
                     (long long)got.rows, (long long)want[t].rows);
        cr_assert_eq(got.nulls_left, want[t].nulls_left, "%s", wr_join_type_name(d.type));
        cr_assert_eq(got.nulls_right, want[t].nulls_right, "%s", wr_join_type_name(d.type));
        cr_assert_eq(got.checksum, want[t].checksum, "%s", wr_join_type_name(d.type));
        spec.ops->destroy(op);
        capture_fini(&cap);
        wr_operator_spec_fini(&spec);
    }
    cr_assert_gt(want[0].rows, 50000); /* the data really joins */
    free(lk);
    free(rk);
    free(count);
    free(first);
    free(next);
    free(rhit);
}

Test(join, large_inputs_dense_keys, .timeout = 120)
{
    check_large(1);
}

Test(join, large_inputs_spread_keys, .timeout = 120)
{
    check_large(-92233720368547LL); /* keys of up to +-9.2e18: hashed */
}

Test(join, one_key_with_many_duplicates)
{
    /* Every row has the same key: 3000 x 700 pairs, far more than one batch per probe row. */
    enum { NL = 3000, NR = 700 };
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = KV_TYPES,
                      .nleft = 2,
                      .right_types = KV_TYPES,
                      .nright = 2,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1};
    wr_operator_spec spec = wr_hash_join_spec(&d);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error err;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *b = wr_batch_new(KV_TYPES, 2, WR_BATCH_CAPACITY);
    for (int i = 0; i < NR; i++) {
        ((int64_t *)b->cols[0].data)[i] = 7;
        ((int64_t *)b->cols[1].data)[i] = i;
    }
    b->count = NR;
    cr_assert_eq(spec.ops->process(op, 1, b, &err), 0);
    cr_assert_eq(spec.ops->end_input(op, 1, &err), 0);
    for (int s = 0; s < NL; s += 1000) {
        for (int i = 0; i < 1000; i++) {
            ((int64_t *)b->cols[0].data)[i] = 7;
            ((int64_t *)b->cols[1].data)[i] = s + i;
        }
        b->count = 1000;
        cr_assert_eq(spec.ops->process(op, 0, b, &err), 0);
    }
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0);
    sums got = {0};
    capture_each(&cap, sum_row, &got);
    cr_assert_eq(got.rows, (int64_t)NL * NR);
    uint64_t want = 0;
    for (int64_t v = 0; v < NL; v++)
        for (int64_t w = 0; w < NR; w++) want += mix(v, w);
    cr_assert_eq(got.checksum, want);
    /* Full output batches, not one per probe row. */
    cr_assert_leq(cap.nbatches, (int)((int64_t)NL * NR / WR_BATCH_CAPACITY + 2));
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_batch_free(b);
}

/* ---- interface ----------------------------------------------------------------------- */

Test(join, output_types_and_names)
{
    wr_type l[] = {wr_type_make(WR_TYPE_INT, false), STR_N};
    wr_type r[] = {wr_type_make(WR_TYPE_BIGINT, false)};
    wr_join_desc d = {
        .type = WR_JOIN_TYPE_INNER, .left_types = l, .nleft = 2, .right_types = r, .nright = 1};
    wr_type out[3];
    cr_assert_eq(wr_join_output_types(&d, out), 3);
    cr_assert(!out[0].nullable && !out[2].nullable);
    cr_assert_eq(out[2].id, WR_TYPE_BIGINT);
    d.type = WR_JOIN_TYPE_LEFT;
    wr_join_output_types(&d, out);
    cr_assert(!out[0].nullable && out[2].nullable);
    d.type = WR_JOIN_TYPE_RIGHT;
    wr_join_output_types(&d, out);
    cr_assert(out[0].nullable && !out[2].nullable);
    d.type = WR_JOIN_TYPE_FULL;
    wr_join_output_types(&d, out);
    cr_assert(out[0].nullable && out[2].nullable);
    d.type = WR_JOIN_TYPE_SEMI;
    cr_assert_eq(wr_join_output_types(&d, out), 2);
    cr_assert(!out[0].nullable);
    d.type = WR_JOIN_TYPE_ANTI;
    cr_assert_eq(wr_join_output_types(&d, out), 2);
    cr_assert_str_eq(wr_join_type_name(WR_JOIN_TYPE_INNER), "InnerJoin");
    cr_assert_str_eq(wr_join_type_name(WR_JOIN_TYPE_LEFT), "LeftOuterJoin");
    cr_assert_str_eq(wr_join_type_name(WR_JOIN_TYPE_RIGHT), "RightOuterJoin");
    cr_assert_str_eq(wr_join_type_name(WR_JOIN_TYPE_FULL), "FullOuterJoin");
    cr_assert_str_eq(wr_join_type_name(WR_JOIN_TYPE_SEMI), "LeftSemiJoin");
    cr_assert_str_eq(wr_join_type_name(WR_JOIN_TYPE_ANTI), "LeftAntiJoin");
}

/* create() on a description; returns the error code and message. */
static int create_error(const wr_join_desc *d, char *msg)
{
    wr_operator_spec spec = wr_hash_join_spec(d);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    if (op) spec.ops->destroy(op);
    strcpy(msg, err.msg);
    wr_operator_spec_fini(&spec);
    return op ? 0 : err.code;
}

Test(join, bad_descriptions_are_errors)
{
    char msg[WR_ERROR_MSG_MAX];
    static const int bad[] = {2};
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = KV_TYPES,
                      .nleft = 2,
                      .right_types = KV_TYPES,
                      .nright = 2,
                      .left_keys = bad,
                      .right_keys = KEY0,
                      .nkeys = 1};
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "key 0 names column 2"), "%s", msg);

    static const wr_type mixed[] = {STR_N, BIGINT_N};
    d.left_keys = KEY0;
    d.left_types = mixed;
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "compares STRING with BIGINT"), "%s", msg);

    /* DECIMAL keys compare unscaled values: their scales must agree. */
    static const wr_type dec2[] = {{WR_TYPE_DECIMAL, true, 10, 2}, BIGINT_N};
    static const wr_type dec3[] = {{WR_TYPE_DECIMAL, true, 10, 3}, BIGINT_N};
    d.left_types = dec2;
    d.right_types = dec3;
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "compares DECIMAL(10, 2) with DECIMAL(10, 3) (DECIMAL keys need the "
                          "same scale)"),
              "%s", msg);
    d.right_types = KV_TYPES;
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "compares DECIMAL(10, 2) with BIGINT"), "%s", msg);
    d.right_types = dec2;
    cr_assert_eq(create_error(&d, msg), 0, "%s", msg);
    d.right_types = KV_TYPES;

    d.left_types = KV_TYPES;
    d.residual = wr_expr_column(1, BIGINT_N, 7);
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "not BOOLEAN"), "%s", msg);

    d.residual = call2(WR_FN_LT, wr_expr_column(1, BIGINT_N, 0), wr_expr_column(4, BIGINT_N, 0));
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "reads column 4 of 4"), "%s", msg);

    static const wr_type untyped[] = {BIGINT_N, {WR_TYPE_NULL, true, 0, 0}};
    d.residual = NULL;
    d.right_types = untyped;
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "column 1 of the right input"), "%s", msg);

    d.right_types = KV_TYPES;
    d.type = (wr_join_type)17;
    cr_assert_eq(create_error(&d, msg), WR_ERR_ARGUMENT);
    d.type = WR_JOIN_TYPE_INNER;
    cr_assert_eq(create_error(&d, msg), 0, "%s", msg);
}

Test(join, residual_errors_fail_the_join)
{
    /* 100 / (w - 15) fails for the pair with w = 15. */
    wr_type bt = wr_type_make(WR_TYPE_BIGINT, true);
    wr_expr **sub = wr_malloc(2 * sizeof(wr_expr *));
    sub[0] = wr_expr_column(3, BIGINT_N, 0);
    sub[1] = wr_expr_int64(bt, 15, 0);
    wr_error err;
    wr_expr **div = wr_malloc(2 * sizeof(wr_expr *));
    div[0] = wr_expr_int64(bt, 100, 0);
    div[1] = wr_expr_call(WR_FN_SUB, sub, 2, bt, 0, &err);
    wr_expr *q = wr_expr_call(WR_FN_DIV, div, 2, bt, 0, &err);
    cr_assert_not_null(q, "%s", err.msg);
    wr_join_desc d = {.type = WR_JOIN_TYPE_LEFT,
                      .left_types = KV_TYPES,
                      .nleft = 2,
                      .right_types = KV_TYPES,
                      .nright = 2,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1,
                      .residual = call2(WR_FN_GT, q, wr_expr_int64(bt, 0, 0))};
    strings got = {0};
    int rc = run_join(&d, &LEFT, &RIGHT, BUILD_FIRST, 1024, &got, &err);
    cr_assert_eq(rc, WR_ERR_RUNTIME, "%d: %s", rc, err.msg);
    cr_assert(strstr(err.msg, "zero"), "%s", err.msg);
    strings_free(&got);
}

Test(join, cancellation_stops_a_nested_loop)
{
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = KV_TYPES,
                      .nleft = 2,
                      .right_types = KV_TYPES,
                      .nright = 2,
                      .nkeys = 0};
    wr_operator_spec spec = wr_hash_join_spec(&d);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    atomic_bool cancel = false;
    ctx.cancelled = &cancel;
    wr_error err;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *b = wr_batch_new(KV_TYPES, 2, WR_BATCH_CAPACITY);
    memset(b->cols[0].data, 0, 1000 * sizeof(int64_t));
    memset(b->cols[1].data, 0, 1000 * sizeof(int64_t));
    b->count = 1000;
    cr_assert_eq(spec.ops->process(op, 1, b, &err), 0);
    cr_assert_eq(spec.ops->end_input(op, 1, &err), 0);
    atomic_store(&cancel, true);
    cr_assert_eq(spec.ops->process(op, 0, b, &err), WR_ERR_CANCELLED);
    cr_assert_lt(cap.rows, 1000 * 1000);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_batch_free(b);
}

Test(join, wrong_batches_are_errors)
{
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = KV_TYPES,
                      .nleft = 2,
                      .right_types = SL_TYPES,
                      .nright = 3,
                      .left_keys = KEY0,
                      .right_keys = (const int[]){2},
                      .nkeys = 0};
    wr_operator_spec spec = wr_hash_join_spec(&d);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    wr_batch *b = wr_batch_new(KV_TYPES, 2, WR_BATCH_CAPACITY);
    cr_assert_eq(spec.ops->process(op, 1, b, &err), WR_ERR_INTERNAL);
    cr_assert(strstr(err.msg, "input 1 delivered a batch of 2 columns, expected 3"), "%s", err.msg);
    cr_assert_eq(spec.ops->end_input(op, 1, &err), 0);
    wr_batch *b3 = wr_batch_new(SL_TYPES, 3, WR_BATCH_CAPACITY);
    cr_assert_eq(spec.ops->process(op, 1, b3, &err), WR_ERR_INTERNAL);
    cr_assert(strstr(err.msg, "after the build side ended"), "%s", err.msg);
    spec.ops->destroy(op);
    wr_operator_spec_fini(&spec);
    wr_batch_free(b);
    wr_batch_free(b3);
}
