/*
 * nexmark.c — the 'nexmark' source: the Nexmark benchmark's events as rows.
 *
 * The table is the one the nexmark project declares: event_type INT and three
 * ROW columns, person, auction and bid, of which exactly the one named by
 * event_type is set. Events come from nexmark_gen.c by number; subtask i of p
 * takes numbers i, i + p, i + 2p, ..., so all subtasks move through event
 * time together and any parallelism yields the same events. Each event's ROW
 * value is encoded straight into the batch's arena, with the strings written
 * by the generator in place. The source runs as fast as it can (event time
 * comes from the rate, not the clock) unless 'rate.limited' is set.
 */
#include "connector_int.h"
#include "nexmark_gen.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../types/nested.h"

#include <inttypes.h>
#include <string.h>

#define NEXMARK_SUPPORTED                                                                          \
    "connector, first-event.rate, next-event.rate, rate.shape, rate.period, rate.limited, "        \
    "events.num, person.proportion, auction.proportion, bid.proportion, person.avg-size, "         \
    "auction.avg-size, bid.avg-size, bid.hot-ratio.auctions, bid.hot-ratio.bidders, "              \
    "auction.hot-ratio.sellers, person.active, auction.in-flight, base-time, scan.parallelism"

/* Largest average event size: 1 MiB. */
#define NEXMARK_MAX_AVG_SIZE (1 << 20)
/* A batch holds fewer events when they are large, so that one batch stays near this size. */
#define NEXMARK_BATCH_BYTES (4 << 20)
/* 9999-12-31 23:59:59.999 in milliseconds since the epoch: the latest 'base-time'. */
#define NEXMARK_MAX_BASE_TIME 253402300799999LL

/* ---- the schema ------------------------------------------------------------------------- */

typedef struct field_decl {
    const char *name;
    wr_type_id id;
} field_decl;

static const field_decl person_fields[] = {
    {"id", WR_TYPE_BIGINT},          {"name", WR_TYPE_VARCHAR},  {"emailAddress", WR_TYPE_VARCHAR},
    {"creditCard", WR_TYPE_VARCHAR}, {"city", WR_TYPE_VARCHAR},  {"state", WR_TYPE_VARCHAR},
    {"dateTime", WR_TYPE_TIMESTAMP}, {"extra", WR_TYPE_VARCHAR},
};
static const field_decl auction_fields[] = {
    {"id", WR_TYPE_BIGINT},         {"itemName", WR_TYPE_VARCHAR}, {"description", WR_TYPE_VARCHAR},
    {"initialBid", WR_TYPE_BIGINT}, {"reserve", WR_TYPE_BIGINT},   {"dateTime", WR_TYPE_TIMESTAMP},
    {"expires", WR_TYPE_TIMESTAMP}, {"seller", WR_TYPE_BIGINT},    {"category", WR_TYPE_BIGINT},
    {"extra", WR_TYPE_VARCHAR},
};
static const field_decl bid_fields[] = {
    {"auction", WR_TYPE_BIGINT},  {"bidder", WR_TYPE_BIGINT}, {"price", WR_TYPE_BIGINT},
    {"channel", WR_TYPE_VARCHAR}, {"url", WR_TYPE_VARCHAR},   {"dateTime", WR_TYPE_TIMESTAMP},
    {"extra", WR_TYPE_VARCHAR},
};

static const char *const column_names[4] = {"event_type", "person", "auction", "bid"};

/* ROW<...> of the fields, as the nexmark project declares them (STRING, TIMESTAMP(3), nullable). */
static wr_type row_of(const field_decl *fields, int n)
{
    wr_type types[10];
    const char *names[10];
    for (int i = 0; i < n; i++) {
        types[i] = wr_type_make(fields[i].id, true);
        names[i] = fields[i].name;
    }
    return wr_type_row(types, names, n, true);
}

/* The four column types of the Nexmark table. */
static void nexmark_types(wr_type *types)
{
    types[0] = wr_type_make(WR_TYPE_INT, true);
    types[1] = row_of(person_fields, (int)WR_ARRAY_LEN(person_fields));
    types[2] = row_of(auction_fields, (int)WR_ARRAY_LEN(auction_fields));
    types[3] = row_of(bid_fields, (int)WR_ARRAY_LEN(bid_fields));
}

/* Appends " (field 3 is `email` STRING, expected `emailAddress` STRING)" for two ROW types. */
static void describe_field_mismatch(wr_type got, wr_type want, wr_buf *out)
{
    if (got.id != WR_TYPE_ROW) return;
    const wr_nested *g = wr_type_nested(got), *w = wr_type_nested(want);
    for (int i = 0; i < WR_MAX(g->nfields, w->nfields); i++) {
        bool same = i < g->nfields && i < w->nfields && strcmp(g->names[i], w->names[i]) == 0 &&
                    wr_type_equal(g->fields[i], w->fields[i]);
        if (same) continue;
        wr_buf_printf(out, " (field %d ", i + 1);
        if (i < g->nfields) {
            wr_buf_printf(out, "is `%s` ", g->names[i]);
            wr_type_format(g->fields[i], out);
        } else {
            wr_buf_puts(out, "is missing");
        }
        if (i < w->nfields) {
            wr_buf_printf(out, ", expected `%s` ", w->names[i]);
            wr_type_format(w->fields[i], out);
        } else {
            wr_buf_puts(out, ", expected none");
        }
        wr_buf_putc(out, ')');
        return;
    }
}

/*
 * The table's physical columns must be exactly the Nexmark table's, names and
 * types (as the nexmark project requires). Reports the first column that
 * differs, at the 'connector' option.
 */
static int check_schema(const wr_schema *schema, const wr_config *options, const wr_type *want,
                        wr_error *err)
{
    int bad = -1;
    for (int c = 0; c < 4 && bad < 0; c++)
        if (c >= schema->ncols || strcmp(schema->names[c], column_names[c]) != 0 ||
            !wr_type_equal(schema->types[c], want[c]))
            bad = c;
    if (bad < 0 && schema->ncols > 4) bad = 4;
    if (bad < 0) return 0;
    wr_buf msg;
    wr_buf_init(&msg);
    wr_buf_puts(&msg, "connector 'nexmark' needs the columns event_type INT, person ROW<...>, "
                      "auction ROW<...>, bid ROW<...> of the Nexmark table (in this order): ");
    if (bad == 4) {
        wr_buf_printf(&msg, "column %d '%s' is not one of them", bad + 1, schema->names[bad]);
    } else if (bad >= schema->ncols) {
        wr_buf_printf(&msg, "column %d '%s' ", bad + 1, column_names[bad]);
        wr_type_format(want[bad], &msg);
        wr_buf_puts(&msg, " is missing");
    } else if (strcmp(schema->names[bad], column_names[bad]) != 0) {
        wr_buf_printf(&msg, "column %d is '%s' but must be '%s' ", bad + 1, schema->names[bad],
                      column_names[bad]);
        wr_type_format(want[bad], &msg);
    } else {
        wr_buf_printf(&msg, "column '%s' is ", column_names[bad]);
        wr_type_format(schema->types[bad], &msg);
        wr_buf_puts(&msg, " but must be ");
        wr_type_format(want[bad], &msg);
        describe_field_mismatch(schema->types[bad], want[bad], &msg);
    }
    const wr_config_entry *conn = wr_config_find(options, "connector");
    int rc = wr_error_set_at(err, WR_ERR_VALIDATION, conn ? conn->value_pos : -1, "%s", msg.data);
    wr_buf_fini(&msg);
    return rc;
}

/* ---- the spec ------------------------------------------------------------------------------ */

typedef struct nexmark_spec {
    wr_nexmark_gen gen;
    wr_type types[4];
    int64_t events;       /* over all subtasks: 'events.num', or gen.max_events when unbounded */
    int64_t base_time_ms; /* the time of event 0 */
    bool rate_limited;
    /* The scan's columns (wr_scan_request), or NULL for all four: events are generated whole
     * and the emitted batch is a view of these columns. */
    int *out_cols;
    int nout;
} nexmark_spec;

static void nexmark_spec_free(void *vspec)
{
    nexmark_spec *spec = vspec;
    if (spec == NULL) return;
    wr_nexmark_gen_fini(&spec->gen);
    wr_free(spec->out_cols);
    wr_free(spec);
}

/* ---- the operator -------------------------------------------------------------------------- */

/* Event numbers next, next + step, ..., `left` of them. */
typedef struct progression {
    int64_t next, step, left;
} progression;

/* Where the parts of one kind's ROW value go. */
typedef struct row_layout {
    int nvalid;           /* validity bytes */
    uint8_t valid[2];     /* all fields present */
    uint32_t header;      /* validity and slots: the payload starts here */
    const uint32_t *slot; /* slot offset of each field, after the validity bytes */
} row_layout;

typedef struct nexmark_source {
    wr_operator base;
    const nexmark_spec *spec;
    /* Batches that an exchange may lend (batch.h): the events, and for a projected scan the
     * view that is emitted (see nexmark_spec.out_cols). */
    wr_batch_ring batch;
    wr_batch_ring view;
    bool projected;
    int cap; /* events per batch */
    row_layout layout[3];
    int64_t base_time_ms;
    /* What is left to produce: progressions served round-robin, one event each. One, (i, p),
     * after a fresh start; after a restore at another parallelism, a share of each old one. */
    progression *todo;
    int ntodo, cur;
    int64_t left;
    /* Free space in the batch's arena for the ROW values. */
    char *room;
    size_t room_left, room_need; /* room_need: the most one event takes */
    /* 'rate.limited': event time t (after event 0) is due at mono0_ns + (t - t0_ms) ms. */
    bool started;
    int64_t mono0_ns, t0_ms;
    int chunk;
} nexmark_source;

static int nexmark_run(wr_operator *op, wr_source_status *status, wr_error *err);
static int nexmark_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static wr_operator *nexmark_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static void nexmark_destroy(wr_operator *op);

static const wr_operator_ops nexmark_ops = {
    .kind = "nexmark",
    .create = nexmark_create,
    .run = nexmark_run,
    .snapshot = nexmark_snapshot,
    .destroy = nexmark_destroy,
    .union_state = true,
};

#define NEXMARK_STATE_VERSION 1

static void todo_add(nexmark_source *src, int64_t next, int64_t step, int64_t left)
{
    if (left <= 0) return;
    src->todo = wr_realloc(src->todo, (size_t)(src->ntodo + 1) * sizeof(progression));
    src->todo[src->ntodo++] = (progression){next, step, left};
    src->left += left;
}

/*
 * Operator state, little-endian: u32 version, u32 count, u64 base time, then
 * the progressions left (u64 next, step, left). At the same parallelism an instance continues its
 * own. At another, every instance gets every old instance's part (the runtime's union
 * redistribution) and takes the j-th of p interleaved shares of each progression, so each event
 * left is produced exactly once, and the shares of all old progressions advance together, as the
 * old subtasks did.
 */
static int nexmark_restore(nexmark_source *src, const wr_restore *r, int subtask, int p,
                           wr_error *err)
{
    bool have_base = false;
    for (int k = 0; k < r->nparts; k++) {
        const wr_buf *d = &r->parts[k]->data;
        if (r->parts[k]->keygroup >= 0) continue;
        wr_buf_reader c = wr_buf_reader_of(d->data, d->len);
        uint32_t version = wr_buf_get_u32(&c), n = wr_buf_get_u32(&c);
        int64_t base = (int64_t)wr_buf_get_u64(&c);
        if (c.bad || version != NEXMARK_STATE_VERSION || d->len != 16 + (size_t)n * 24) goto bad;
        if (have_base && base != src->base_time_ms) goto bad;
        src->base_time_ms = base;
        have_base = true;
        for (uint32_t j = 0; j < n; j++) {
            progression pr;
            pr.next = (int64_t)wr_buf_get_u64(&c);
            pr.step = (int64_t)wr_buf_get_u64(&c);
            pr.left = (int64_t)wr_buf_get_u64(&c);
            if (pr.next < 0 || pr.step < 1 || pr.left < 1) goto bad;
            if (!r->rescaled) {
                todo_add(src, pr.next, pr.step, pr.left);
                continue;
            }
            if (pr.step > INT64_MAX / p)
                return wr_error_set(err, WR_ERR_RUNTIME,
                                    "nexmark: the checkpointed position cannot be split among %d "
                                    "subtasks",
                                    p);
            if (pr.left > subtask) /* its j-th share: next + j * step, every p-th after it */
                todo_add(src, pr.next + subtask * pr.step, pr.step * p,
                         (pr.left - 1 - subtask) / p + 1);
        }
    }
    return 0;
bad:
    return wr_error_set(err, WR_ERR_IO,
                        "nexmark: the checkpointed position is not in a format this version "
                        "reads");
}

static void layout_init(row_layout *l, wr_type row)
{
    const wr_nested *d = wr_type_nested(row);
    l->nvalid = (d->nfields + 7) / 8;
    memset(l->valid, 0, sizeof(l->valid));
    for (int i = 0; i < d->nfields; i++) l->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
    l->header = (uint32_t)l->nvalid + d->slots_size;
    l->slot = d->offsets;
}

/*
 * Sets up subtask ctx->subtask of ctx->parallelism: events i, i + p, ...
 * below spec->events, or what a checkpoint left.
 */
static wr_operator *nexmark_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const nexmark_spec *spec = vspec;
    int p = ctx->parallelism > 0 ? ctx->parallelism : 1;
    int i = ctx->subtask;
    nexmark_source *src = wr_calloc(1, sizeof(*src));
    src->base.ops = &nexmark_ops;
    src->base.ctx = ctx;
    src->spec = spec;
    wr_batch_ring_init(&src->batch, wr_batch_new(spec->types, 4, WR_BATCH_CAPACITY));
    if (spec->out_cols) {
        wr_type types[4];
        for (int k = 0; k < spec->nout; k++) types[k] = spec->types[spec->out_cols[k]];
        wr_batch_ring_init(&src->view, wr_batch_new(types, spec->nout, WR_BATCH_CAPACITY));
        src->projected = true;
    }
    for (int k = 0; k < 3; k++) layout_init(&src->layout[k], spec->types[k + 1]);
    uint32_t header =
        WR_MAX(src->layout[0].header, WR_MAX(src->layout[1].header, src->layout[2].header));
    src->room_need = header + spec->gen.max_event_bytes;
    src->cap = (int)WR_MAX(1, WR_MIN(WR_BATCH_CAPACITY, NEXMARK_BATCH_BYTES / src->room_need));
    src->base_time_ms = spec->base_time_ms;
    const wr_restore *r = ctx->restore;
    if (r && (r->nparts > 0 || r->finished)) {
        if (!r->finished && nexmark_restore(src, r, i, p, err)) {
            nexmark_destroy(&src->base);
            return NULL;
        }
    } else if (i < spec->events) {
        todo_add(src, i, p, (spec->events - 1 - i) / p + 1);
    }
    /* 'rate.limited': wait for about 50 ms of this subtask's events, so batches are not tiny. */
    double rate = (double)WR_MIN(spec->gen.cfg.first_event_rate, spec->gen.cfg.next_event_rate);
    src->chunk = (int)WR_MAX(1.0, WR_MIN((double)src->cap, rate / p / 20));
    return &src->base;
}

static void nexmark_destroy(wr_operator *op)
{
    nexmark_source *src = (nexmark_source *)op;
    wr_batch_ring_fini(&src->batch);
    if (src->projected) wr_batch_ring_fini(&src->view);
    wr_free(src->todo);
    wr_free(src);
}

static inline void put_i64(uint8_t *slot, int64_t v)
{
    memcpy(slot, &v, 8);
}

/* A string slot: its offset in the payload and its length. */
static inline void put_view(uint8_t *slot, const char *payload, wr_str s)
{
    uint32_t v[2] = {(uint32_t)(s.ptr - payload), s.len};
    memcpy(slot, v, 8);
}

/*
 * Encodes event n as its kind's ROW value (nested.h) in the arena: validity,
 * slots, then the strings the generator wrote in place. Returns the value.
 */
static inline wr_str encode_event(nexmark_source *src, int64_t n, wr_nexmark_kind *kind,
                                  int64_t *time_ms)
{
    if (src->room_left < src->room_need) {
        src->room_left = WR_MAX(src->room_need * 8, (size_t)256 << 10);
        src->room = wr_arena_alloc(&src->batch.cur->arena, src->room_left);
    }
    wr_nexmark_kind k = wr_nexmark_kind_of(&src->spec->gen, n);
    const row_layout *l = &src->layout[k];
    char *row = src->room;
    char *payload = row + l->header;
    wr_nexmark_event ev;
    size_t len = wr_nexmark_generate(&src->spec->gen, n, &ev, payload);
    memcpy(row, l->valid, (size_t)l->nvalid);
    uint8_t *s = (uint8_t *)row + l->nvalid;
    const uint32_t *o = l->slot;
    int64_t base_us = src->base_time_ms * 1000;
    switch (k) {
    case WR_NEXMARK_PERSON: {
        const wr_nexmark_person *e = &ev.person;
        put_i64(s + o[0], e->id);
        put_view(s + o[1], payload, e->name);
        put_view(s + o[2], payload, e->email);
        put_view(s + o[3], payload, e->credit_card);
        put_view(s + o[4], payload, e->city);
        put_view(s + o[5], payload, e->state);
        put_i64(s + o[6], base_us + e->date_time * 1000);
        put_view(s + o[7], payload, e->extra);
        break;
    }
    case WR_NEXMARK_AUCTION: {
        const wr_nexmark_auction *e = &ev.auction;
        put_i64(s + o[0], e->id);
        put_view(s + o[1], payload, e->item_name);
        put_view(s + o[2], payload, e->description);
        put_i64(s + o[3], e->initial_bid);
        put_i64(s + o[4], e->reserve);
        put_i64(s + o[5], base_us + e->date_time * 1000);
        put_i64(s + o[6], base_us + e->expires * 1000);
        put_i64(s + o[7], e->seller);
        put_i64(s + o[8], e->category);
        put_view(s + o[9], payload, e->extra);
        break;
    }
    default: {
        const wr_nexmark_bid *e = &ev.bid;
        put_i64(s + o[0], e->auction);
        put_i64(s + o[1], e->bidder);
        put_i64(s + o[2], e->price);
        put_view(s + o[3], payload, e->channel);
        put_view(s + o[4], payload, e->url);
        put_i64(s + o[5], base_us + e->date_time * 1000);
        put_view(s + o[6], payload, e->extra);
        break;
    }
    }
    size_t total = l->header + len;
    src->room += total;
    src->room_left -= total;
    *kind = k;
    *time_ms = ev.time;
    return (wr_str){row, (uint32_t)total};
}

/*
 * 'rate.limited': how far event time may go now (ms after event 0), or -1
 * when fewer than a chunk of events are due (ctx->idle_until_ns is then set).
 */
static int64_t due_until(nexmark_source *src)
{
    const wr_nexmark_gen *gen = &src->spec->gen;
    const progression *pr = &src->todo[src->cur];
    if (pr->next >= gen->max_events) return INT64_MAX; /* nexmark_run ends the source */
    int64_t now = wr_clock_mono_ns();
    if (!src->started) {
        src->started = true;
        src->mono0_ns = now;
        src->t0_ms = wr_nexmark_time_ms(gen, pr->next);
    }
    int64_t due = src->t0_ms + (now - src->mono0_ns) / 1000000;
    int64_t last = pr->next + (WR_MIN((int64_t)src->chunk, pr->left) - 1) * pr->step;
    last = WR_MIN(last, gen->max_events - 1);
    int64_t t = wr_nexmark_time_ms(gen, last);
    if (t <= due) return due;
    src->base.ctx->idle_until_ns = src->mono0_ns + (t - src->t0_ms) * 1000000;
    return -1;
}

/* Emits one batch of up to cap events; END with the last one. */
static int nexmark_run(wr_operator *op, wr_source_status *status, wr_error *err)
{
    nexmark_source *src = (nexmark_source *)op;
    if (src->left == 0) {
        *status = WR_SOURCE_END;
        return 0;
    }
    int64_t due = INT64_MAX;
    if (src->spec->rate_limited && (due = due_until(src)) < 0) {
        *status = WR_SOURCE_IDLE;
        return 0;
    }
    wr_batch *batch = wr_batch_ring_take(&src->batch);
    src->room_left = 0; /* the arena was reset */
    int32_t *types = batch->cols[0].data;
    wr_str *rows[3] = {batch->cols[1].data, batch->cols[2].data, batch->cols[3].data};
    uint64_t *valid[3] = {wr_batch_validity(batch, 1), wr_batch_validity(batch, 2),
                          wr_batch_validity(batch, 3)};
    int64_t *rowtimes = wr_batch_rowtimes(batch);
    uint64_t mask[3] = {0, 0, 0};
    int n = 0;
    while (n < src->cap && src->left > 0) {
        progression *pr = &src->todo[src->cur];
        if (pr->next >= src->spec->gen.max_events) { /* an unbounded source's end */
            src->left = 0;
            break;
        }
        if (due != INT64_MAX && wr_nexmark_time_ms(&src->spec->gen, pr->next) > due) break;
        wr_nexmark_kind kind;
        int64_t time;
        wr_str value = encode_event(src, pr->next, &kind, &time);
        types[n] = (int32_t)kind;
        for (int k = 0; k < 3; k++) rows[k][n] = k == (int)kind ? value : (wr_str){"", 0};
        mask[kind] |= (uint64_t)1 << (n & 63);
        rowtimes[n] = src->base_time_ms + time;
        n++;
        if ((n & 63) == 0)
            for (int k = 0; k < 3; k++) valid[k][(n - 1) >> 6] = mask[k], mask[k] = 0;
        pr->next += pr->step;
        src->left--;
        if (--pr->left == 0) {
            memmove(pr, pr + 1, (size_t)(src->ntodo - src->cur - 1) * sizeof(progression));
            src->ntodo--;
            if (src->cur == src->ntodo) src->cur = 0;
        } else if (src->ntodo > 1) {
            src->cur = src->cur + 1 == src->ntodo ? 0 : src->cur + 1;
        }
    }
    if (n & 63)
        for (int k = 0; k < 3; k++) valid[k][n >> 6] = mask[k];
    batch->count = n;
    *status = src->left == 0 ? WR_SOURCE_END : WR_SOURCE_MORE;
    batch->lendable = true;
    if (src->projected) {
        /* A projected scan: the requested columns, aliasing the batch's. */
        wr_batch *v = wr_batch_ring_take(&src->view);
        v->lendable = true;
        v->deps[v->ndeps++] = batch;
        for (int k = 0; k < src->spec->nout; k++) {
            v->cols[k].data = batch->cols[src->spec->out_cols[k]].data;
            v->cols[k].validity = batch->cols[src->spec->out_cols[k]].validity;
        }
        v->count = n;
        v->rowtimes = batch->rowtimes;
        batch = v;
    }
    return wr_op_emit(op->ctx, batch, err);
}

static int nexmark_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    nexmark_source *src = (nexmark_source *)op;
    wr_buf *b = wr_snapshot_add(out, -1);
    uint32_t n = src->left == 0 ? 0 : (uint32_t)src->ntodo;
    wr_buf_put_u32(b, NEXMARK_STATE_VERSION);
    wr_buf_put_u32(b, n);
    wr_buf_put_u64(b, (uint64_t)src->base_time_ms);
    /* From the current one on, so a restore at the same parallelism resumes the rotation. */
    for (uint32_t j = 0; j < n; j++) {
        const progression *pr = &src->todo[(src->cur + j) % src->ntodo];
        wr_buf_put_u64(b, (uint64_t)pr->next);
        wr_buf_put_u64(b, (uint64_t)pr->step);
        wr_buf_put_u64(b, (uint64_t)pr->left);
    }
    return 0;
}

/* ---- options ------------------------------------------------------------------------------- */

/* Reads an integer option and checks it against [lo, hi]; absent: def. */
static int get_int(const wr_config *options, const char *key, int64_t def, int64_t lo, int64_t hi,
                   int64_t *out, wr_error *err)
{
    int rc = wr_config_get_int64(options, key, def, out, err);
    if (rc) return rc;
    const wr_config_entry *e = wr_config_find(options, key);
    if (e != NULL && (*out < lo || *out > hi))
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected an integer from "
                               "%" PRId64 " to %" PRId64,
                               e->value, key, lo, hi);
    return 0;
}

static int get_int32(const wr_config *options, const char *key, int32_t def, int64_t lo, int64_t hi,
                     int32_t *out, wr_error *err)
{
    int64_t v;
    int rc = get_int(options, key, def, lo, hi, &v, err);
    *out = (int32_t)v;
    return rc;
}

/* An average size: Flink's memory size text, 0 to 1 MiB. */
static int get_avg_size(const wr_config *options, const char *key, int32_t def, int32_t *out,
                        wr_error *err)
{
    *out = def;
    const wr_config_entry *e = wr_config_find(options, key);
    if (e == NULL) return 0;
    int64_t v;
    if (wr_connector_parse_memory_size(e->value, &v) || v > NEXMARK_MAX_AVG_SIZE)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected a memory size up to "
                               "1 mb, such as '200b' or '1 kb'",
                               e->value, key);
    *out = (int32_t)v;
    return 0;
}

static const char *const shape_names[] = {"SQUARE", "SINE", NULL};

/* Reads every generator option into cfg, checking its range. */
static int read_config(const wr_config *options, wr_nexmark_config *cfg, wr_error *err)
{
    wr_nexmark_config_default(cfg);
    int rc = get_int(options, "first-event.rate", cfg->first_event_rate, 1, INT32_MAX,
                     &cfg->first_event_rate, err);
    if (rc == 0)
        rc = get_int(options, "next-event.rate", cfg->next_event_rate, 1, INT32_MAX,
                     &cfg->next_event_rate, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "rate.shape", shape_names, WR_NEXMARK_SQUARE,
                                &cfg->rate_shape, err);
    int64_t period_ms = 0;
    if (rc == 0)
        rc = wr_config_get_duration_ms(options, "rate.period", cfg->rate_period_s * 1000,
                                       &period_ms, err);
    if (rc == 0 && (period_ms < 1000 || period_ms / 1000 > INT32_MAX)) {
        const wr_config_entry *e = wr_config_find(options, "rate.period");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option 'rate.period': expected a duration "
                               "of at least 1 s, such as '600 s' or '10 min'",
                               e->value);
    }
    cfg->rate_period_s = period_ms / 1000;
    const char *sizes[] = {"person.avg-size", "auction.avg-size", "bid.avg-size"};
    int32_t *size_out[] = {&cfg->person_avg_size, &cfg->auction_avg_size, &cfg->bid_avg_size};
    for (int k = 0; k < 3 && rc == 0; k++)
        rc = get_avg_size(options, sizes[k], *size_out[k], size_out[k], err);
    const char *props[] = {"person.proportion", "auction.proportion", "bid.proportion"};
    int32_t *prop_out[] = {&cfg->person_proportion, &cfg->auction_proportion, &cfg->bid_proportion};
    for (int k = 0; k < 3 && rc == 0; k++)
        rc = get_int32(options, props[k], *prop_out[k], 0, 1000000, prop_out[k], err);
    if (rc == 0 && cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion == 0) {
        const wr_config_entry *e = wr_config_find(options, "bid.proportion");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : -1,
                               "invalid options for connector 'nexmark': 'person.proportion', "
                               "'auction.proportion' and 'bid.proportion' are all 0");
    }
    if (rc == 0)
        rc = get_int32(options, "bid.hot-ratio.auctions", cfg->hot_auction_ratio, 1, INT32_MAX,
                       &cfg->hot_auction_ratio, err);
    if (rc == 0)
        rc = get_int32(options, "bid.hot-ratio.bidders", cfg->hot_bidders_ratio, 1, INT32_MAX,
                       &cfg->hot_bidders_ratio, err);
    if (rc == 0)
        rc = get_int32(options, "auction.hot-ratio.sellers", cfg->hot_sellers_ratio, 1, INT32_MAX,
                       &cfg->hot_sellers_ratio, err);
    if (rc == 0)
        rc = get_int32(options, "person.active", cfg->active_people, 1, 1000000000,
                       &cfg->active_people, err);
    if (rc == 0)
        rc = get_int32(options, "auction.in-flight", cfg->in_flight_auctions, 1, 1000000,
                       &cfg->in_flight_auctions, err);
    return rc;
}

/*
 * Validates the options and the schema and returns the spec. Bounded when
 * 'events.num' is set and not 0.
 */
static int nexmark_make_source(const wr_schema *schema, const wr_config *options,
                               const wr_config *job, const wr_scan_request *req,
                               wr_operator_spec *out, wr_error *err)
{
    wr_nexmark_config cfg;
    int64_t events, base_time;
    bool rate_limited;
    int parallelism;
    int rc = read_config(options, &cfg, err);
    if (rc == 0) rc = get_int(options, "events.num", 0, 0, INT64_MAX, &events, err);
    if (rc == 0) rc = wr_config_get_bool(options, "rate.limited", false, &rate_limited, err);
    if (rc == 0) rc = get_int(options, "base-time", 0, 0, NEXMARK_MAX_BASE_TIME, &base_time, err);
    if (rc == 0) rc = wr_connector_get_parallelism(options, "scan.parallelism", &parallelism, err);
    if (rc == 0) rc = wr_connector_check_unused(options, "nexmark", NEXMARK_SUPPORTED, err);
    wr_type types[4];
    nexmark_types(types);
    if (rc == 0) rc = check_schema(schema, options, types, err);
    if (rc) return rc;

    nexmark_spec *spec = wr_calloc(1, sizeof(*spec));
    wr_nexmark_gen_init(&spec->gen, &cfg);
    if (events > spec->gen.max_events) {
        const wr_config_entry *e = wr_config_find(options, "events.num");
        rc = wr_error_set_at(
            err, WR_ERR_VALIDATION, e->value_pos,
            "invalid value '%s' for option 'events.num': at the rate of %" PRId64
            " events per second the times of more than %" PRId64 " events do not fit a timestamp",
            e->value, WR_MIN(cfg.first_event_rate, cfg.next_event_rate), spec->gen.max_events);
        nexmark_spec_free(spec);
        return rc;
    }
    memcpy(spec->types, types, sizeof(types));
    spec->events = events > 0 ? events : spec->gen.max_events;
    spec->base_time_ms = base_time > 0 ? base_time : wr_clock_wall_ms();
    spec->rate_limited = rate_limited;
    if (req) spec->out_cols = wr_scan_request_columns(req, schema, &spec->nout);
    *out = (wr_operator_spec){.ops = &nexmark_ops,
                              .spec = spec,
                              .spec_free = nexmark_spec_free,
                              .parallelism = parallelism,
                              .bounded = events > 0};
    return 0;
}

const wr_connector wr_connector_nexmark = {
    .name = "nexmark",
    .make_source = nexmark_make_source,
    .make_sink = NULL,
};
