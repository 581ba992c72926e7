/*
 * joinrig.c — driving the time-based joins by hand in unit tests; see joinrig.h.
 */
#include "joinrig.h"
#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const wr_type RIG_BIGINT = {WR_TYPE_BIGINT, true, 0, 0};
const wr_type RIG_STR = {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0};
const wr_type RIG_TS = {WR_TYPE_TIMESTAMP, true, 3, 0};

void rig_start(rig_inst *in, const wr_operator_spec *spec, int i, int p, const wr_restore *r)
{
    capture_init(&in->cap);
    ctx_init(&in->ctx, i, p, &in->cap.base);
    in->ctx.watermark = WR_WATERMARK_MIN;
    in->ctx.out_watermark = WR_WATERMARK_MIN;
    in->ctx.timer_at_ms = INT64_MAX;
    in->ctx.restore = r;
    wr_error err;
    wr_error_init(&err);
    in->op = spec->ops->create(spec->spec, &in->ctx, &err);
    cr_assert_not_null(in->op, "%s", err.msg);
    if (in->op->ops->open) cr_assert_eq(in->op->ops->open(in->op, &err), 0, "%s", err.msg);
    in->ctx.restore = NULL;
}

void rig_stop(rig_inst *in)
{
    in->op->ops->destroy(in->op);
    capture_fini(&in->cap);
}

static void put_cell(wr_batch *batch, int col, int row, const char *cell)
{
    wr_vector *v = &batch->cols[col];
    if (strcmp(cell, "null") == 0) {
        wr_batch_set_null(batch, col, row);
        return;
    }
    if (v->type.id == WR_TYPE_VARCHAR)
        ((wr_str *)v->data)[row] = wr_batch_str(batch, cell, strlen(cell));
    else if (v->type.id == WR_TYPE_TIMESTAMP)
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10) * 1000;
    else
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10);
    if (v->validity) wr_validity_set(v->validity, row, true);
}

static wr_change_kind kind_of(const char *s)
{
    static const char *const names[] = {"+I", "-U", "+U", "-D"};
    for (int k = 0; k < 4; k++)
        if (strncmp(s, names[k], 2) == 0) return (wr_change_kind)k;
    cr_assert_fail("bad kind in %s", s);
    return WR_KIND_INSERT;
}

wr_batch *rig_batch(const wr_type *types, int ncols, const char *const *rows, int n)
{
    wr_batch *batch = wr_batch_new(types, ncols, n > WR_BATCH_CAPACITY ? n : WR_BATCH_CAPACITY);
    uint8_t *kinds = wr_batch_kinds(batch);
    for (int r = 0; r < n; r++) {
        char line[256];
        snprintf(line, sizeof(line), "%s", rows[r]);
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        kinds[r] = (uint8_t)kind_of(tok);
        for (int c = 0; c < ncols; c++) {
            tok = strtok_r(NULL, " ", &save);
            cr_assert_not_null(tok, "row %s has too few cells", rows[r]);
            put_cell(batch, c, r, tok);
        }
    }
    batch->count = n;
    return batch;
}

int rig_feed_rc(rig_inst *in, int input, const wr_type *types, int ncols, const char *const *rows,
                int n, wr_error *err)
{
    wr_batch *batch = rig_batch(types, ncols, rows, n);
    int rc = in->op->ops->process(in->op, input, batch, err);
    wr_batch_free(batch);
    return rc;
}

void rig_feed(rig_inst *in, int input, const wr_type *types, int ncols, const char *const *rows,
              int n)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(rig_feed_rc(in, input, types, ncols, rows, n, &err), 0, "%s", err.msg);
}

void rig_watermark(rig_inst *in, int64_t wm)
{
    wr_error err;
    wr_error_init(&err);
    if (wm <= in->ctx.watermark) return; /* the runtime delivers advances only */
    in->ctx.watermark = wm;
    cr_assert_eq(in->op->ops->watermark(in->op, wm, &err), 0, "%s", err.msg);
}

void rig_end_input(rig_inst *in, int input)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(in->op->ops->end_input(in->op, input, &err), 0, "%s", err.msg);
}

void rig_format_row(const wr_batch *batch, int row, wr_buf *out)
{
    wr_buf_puts(out, wr_change_kind_short(wr_batch_kind(batch, row)));
    wr_buf_putc(out, '[');
    for (int c = 0; c < batch->ncols; c++) {
        const wr_vector *v = &batch->cols[c];
        if (c) wr_buf_puts(out, ", ");
        if (wr_vector_is_null(v, row)) {
            wr_buf_puts(out, "null");
        } else if (v->type.id == WR_TYPE_VARCHAR) {
            wr_str s = ((const wr_str *)v->data)[row];
            wr_buf_append(out, s.ptr, s.len);
        } else {
            int64_t x = ((const int64_t *)v->data)[row];
            wr_buf_printf(out, "%" PRId64, v->type.id == WR_TYPE_TIMESTAMP ? x / 1000 : x);
        }
    }
    wr_buf_putc(out, ']');
}

char **rig_taken(rig_inst *in, int *n)
{
    char **out = wr_malloc((size_t)(in->cap.rows + 1) * sizeof(char *));
    int k = 0;
    wr_buf buf;
    wr_buf_init(&buf);
    for (int b = 0; b < in->cap.nbatches; b++)
        for (int r = 0; r < in->cap.batches[b]->count; r++) {
            wr_buf_reset(&buf);
            rig_format_row(in->cap.batches[b], r, &buf);
            out[k++] = wr_strdup(buf.data);
        }
    wr_buf_fini(&buf);
    capture_fini(&in->cap);
    capture_init(&in->cap); /* ctx.out keeps pointing at it */
    *n = k;
    return out;
}

int rig_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void rig_expect(rig_inst *in, bool sorted, const char *const *want, int nwant)
{
    int n;
    char **got = rig_taken(in, &n);
    const char **w = wr_malloc((size_t)(nwant + 1) * sizeof(char *));
    if (nwant > 0) memcpy(w, want, (size_t)nwant * sizeof(char *));
    if (sorted) {
        qsort(got, (size_t)n, sizeof(char *), rig_cmp_str);
        qsort(w, (size_t)nwant, sizeof(char *), rig_cmp_str);
    }
    wr_buf all;
    wr_buf_init(&all);
    wr_buf_puts(&all, "");
    for (int i = 0; i < n; i++) wr_buf_printf(&all, " %s", got[i]);
    cr_assert_eq(n, nwant, "got %d rows, want %d:%s", n, nwant, all.data);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(got[i], w[i], "row %d: got %s, want %s (all:%s)", i, got[i], w[i],
                         all.data);
    for (int i = 0; i < n; i++) wr_free(got[i]);
    wr_free(got);
    wr_free(w);
    wr_buf_fini(&all);
}

char *rig_all_output(rig_inst *ins, int p)
{
    char **rows = NULL;
    int n = 0;
    for (int i = 0; i < p; i++) {
        int m;
        char **got = rig_taken(&ins[i], &m);
        rows = wr_realloc(rows, (size_t)(n + m + 1) * sizeof(char *));
        if (m) memcpy(rows + n, got, (size_t)m * sizeof(char *));
        n += m;
        wr_free(got);
    }
    qsort(rows, (size_t)n, sizeof(char *), rig_cmp_str);
    wr_buf buf;
    wr_buf_init(&buf);
    wr_buf_puts(&buf, "");
    for (int i = 0; i < n; i++) {
        wr_buf_printf(&buf, "%s%s", i ? " " : "", rows[i]);
        wr_free(rows[i]);
    }
    wr_free(rows);
    return wr_buf_detach(&buf);
}

void rig_snapshot_all(rig_inst *ins, int p, rig_saved *sv)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_leq(p, 8);
    sv->n = p;
    for (int i = 0; i < p; i++) {
        memset(&sv->snaps[i], 0, sizeof(wr_snapshot));
        cr_assert_eq(ins[i].op->ops->snapshot(ins[i].op, 1, &sv->snaps[i], &err), 0, "%s", err.msg);
    }
}

void rig_saved_fini(rig_saved *sv)
{
    for (int i = 0; i < sv->n; i++) wr_snapshot_fini(&sv->snaps[i]);
}

void rig_restore_for(const rig_saved *sv, int i, int p, wr_restore *r,
                     const wr_snapshot_part **parts, int cap)
{
    memset(r, 0, sizeof(*r));
    r->checkpoint = 1;
    r->parts = parts;
    int first, last;
    wr_keygroup_range(i, 128, p, &first, &last);
    for (int s = 0; s < sv->n; s++)
        for (int k = 0; k < sv->snaps[s].nparts; k++) {
            const wr_snapshot_part *part = &sv->snaps[s].parts[k];
            if (part->keygroup < first || part->keygroup > last) continue;
            cr_assert_lt(r->nparts, cap);
            parts[r->nparts++] = part;
        }
}

int rig_owner(int64_t key, int p)
{
    wr_batch *b = wr_batch_new(&RIG_BIGINT, 1, 1);
    ((int64_t *)b->cols[0].data)[0] = key;
    b->count = 1;
    wr_buf buf;
    wr_buf_init(&buf);
    static const int col0[] = {0};
    wr_row_encode(b, 0, col0, 1, &buf);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(buf.data, buf.len), 128);
    wr_buf_fini(&buf);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, p);
}
