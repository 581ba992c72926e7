/*
 * operator.c — helpers shared by all operators; see operator.h.
 */
#include "operator.h"
#include "../base/alloc.h"
#include "../base/hash.h"

void wr_operator_spec_fini(wr_operator_spec *spec)
{
    if (spec->spec_free && spec->spec) spec->spec_free(spec->spec);
    spec->spec = NULL;
    spec->spec_free = NULL;
}

wr_buf *wr_snapshot_add(wr_snapshot *snapshot, int keygroup)
{
    snapshot->parts =
        wr_realloc(snapshot->parts, (size_t)(snapshot->nparts + 1) * sizeof(wr_snapshot_part));
    wr_snapshot_part *part = &snapshot->parts[snapshot->nparts++];
    part->keygroup = keygroup;
    wr_buf_init(&part->data);
    return &part->data;
}

void wr_snapshot_fini(wr_snapshot *snapshot)
{
    for (int i = 0; i < snapshot->nparts; i++) wr_buf_fini(&snapshot->parts[i].data);
    wr_free(snapshot->parts);
    snapshot->parts = NULL;
    snapshot->nparts = 0;
}

void wr_snapshot_seal(wr_buf *buf)
{
    wr_buf_put_u64(buf, wr_hash_bytes(buf->data, buf->len));
}

int wr_snapshot_part_open(const wr_snapshot_part *part, wr_buf_reader *r, wr_error *err)
{
    size_t size = part->data.len;
    if (size < 8) return wr_error_set(err, WR_ERR_IO, "truncated part (%zu bytes)", size);
    wr_buf_reader tail = wr_buf_reader_of(part->data.data + size - 8, 8);
    uint64_t stored = wr_buf_get_u64(&tail), computed = wr_hash_bytes(part->data.data, size - 8);
    if (stored != computed)
        return wr_error_set(err, WR_ERR_IO, "checksum mismatch (stored %016llx, computed %016llx)",
                            (unsigned long long)stored, (unsigned long long)computed);
    *r = wr_buf_reader_of(part->data.data, size - 8);
    return 0;
}

int wr_op_emit_mark(wr_op_ctx *ctx, const wr_mark *mark, wr_error *err)
{
    for (int p = 0; p < ctx->nouts; p++) {
        wr_collector *out = ctx->outs[p];
        if (out == NULL) continue;
        int rc = out->mark(out, mark, err);
        if (rc) return rc;
    }
    return 0;
}

int wr_op_emit_idle(wr_op_ctx *ctx, bool idle, wr_error *err)
{
    if (ctx->out_idle == idle) return 0;
    ctx->out_idle = idle;
    wr_mark mark = {.kind = idle ? WR_MARK_IDLE : WR_MARK_ACTIVE};
    return wr_op_emit_mark(ctx, &mark, err);
}

int wr_op_emit_watermark(wr_op_ctx *ctx, int64_t watermark, wr_error *err)
{
    if (watermark <= ctx->out_watermark) return 0;
    int rc = wr_op_emit_idle(ctx, false, err);
    if (rc) return rc;
    ctx->out_watermark = watermark;
    wr_mark mark = {.kind = WR_MARK_WATERMARK, .time = watermark};
    return wr_op_emit_mark(ctx, &mark, err);
}
