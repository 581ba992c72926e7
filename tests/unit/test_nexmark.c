/*
 * test_nexmark.c — the Nexmark generator (connectors/nexmark_gen.c) and the
 * 'nexmark' source (connectors/nexmark.c): java.util.Random, events checked
 * against values from the Java generator, proportions, times, ids, hot
 * ratios and sizes; the operator's rows, splits, checkpoints and options.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/connectors/nexmark_gen.h"
#include "../../src/runtime/job.h"
#include "../../src/types/nested.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- generator ----------------------------------------------------------------------------- */

static bool str_is(wr_str s, const char *text)
{
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static bool str_starts(wr_str s, const char *text)
{
    return s.len >= strlen(text) && memcmp(s.ptr, text, strlen(text)) == 0;
}

/* A generator for cfg (defaults when NULL), with a buffer for one event. */
typedef struct gen_fixture {
    wr_nexmark_gen gen;
    char *buf;
    wr_nexmark_event ev;
} gen_fixture;

static void fixture_init(gen_fixture *f, const wr_nexmark_config *cfg)
{
    wr_nexmark_config def;
    wr_nexmark_config_default(&def);
    wr_nexmark_gen_init(&f->gen, cfg ? cfg : &def);
    f->buf = malloc(f->gen.max_event_bytes);
}

static void fixture_fini(gen_fixture *f)
{
    wr_nexmark_gen_fini(&f->gen);
    free(f->buf);
}

static const wr_nexmark_event *gen_event(gen_fixture *f, int64_t n)
{
    size_t len = wr_nexmark_generate(&f->gen, n, &f->ev, f->buf);
    cr_assert_leq(len + WR_NEXMARK_SLACK, f->gen.max_event_bytes);
    return &f->ev;
}

/* Values printed by java.util.Random itself (OpenJDK). */
Test(nexmark_gen, jrandom_matches_java)
{
    wr_jrandom r;
    wr_jrandom_seed(&r, 42);
    cr_assert_eq(wr_jrandom_int(&r), -1170105035);
    wr_jrandom_seed(&r, 0);
    cr_assert_eq(wr_jrandom_int(&r), -1155484576);
    wr_jrandom_seed(&r, 0);
    cr_assert_eq(wr_jrandom_double(&r), 0.730967787376657);
    wr_jrandom_seed(&r, 42);
    cr_assert_eq(wr_jrandom_double(&r), 0.7275636800328681);
    wr_jrandom_seed(&r, 7);
    cr_assert_eq(wr_jrandom_long(&r), -4967725919621401576LL);
    wr_jrandom_seed(&r, 3);
    cr_assert_eq(wr_jrandom_below(&r, 100), 34);
    wr_jrandom_seed(&r, -5);
    cr_assert_eq(wr_jrandom_below(&r, 1000000007), 578319411);
    /* A power of two takes the high bits, not a remainder. */
    wr_jrandom_seed(&r, 42);
    int32_t bits = wr_jrandom_next(&r, 31);
    wr_jrandom_seed(&r, 42);
    cr_assert_eq(wr_jrandom_below(&r, 16), (int32_t)(((int64_t)16 * bits) >> 31));
}

/*
 * Events as a Java program with java.util.Random, following the nexmark
 * project's generator with event ids from 0 at 10M events/s, prints them.
 */
Test(nexmark_gen, events_match_the_java_generator)
{
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    cfg.first_event_rate = cfg.next_event_rate = 10000000;
    gen_fixture f;
    fixture_init(&f, &cfg);

    const wr_nexmark_event *e = gen_event(&f, 0);
    cr_assert_eq(e->kind, WR_NEXMARK_PERSON);
    const wr_nexmark_person *p = &e->person;
    cr_assert_eq(p->id, 1000);
    cr_assert(str_is(p->name, "Peter Jones"));
    cr_assert(str_is(p->email, "nhd@xcat.com"));
    cr_assert(str_is(p->credit_card, "7241 7320 9143 4888"));
    cr_assert(str_is(p->city, "Portland"));
    cr_assert(str_is(p->state, "WY"));
    cr_assert_eq(p->date_time, 0);
    cr_assert(str_starts(p->extra, "WN_HS_bnpkkiwhwana_L^`KZjdgsid`K]MLU[aaOH`z"));

    e = gen_event(&f, 1);
    cr_assert_eq(e->kind, WR_NEXMARK_AUCTION);
    const wr_nexmark_auction *a = &e->auction;
    cr_assert_eq(a->id, 1000);
    cr_assert(str_is(a->item_name, "wkx mgee"));
    cr_assert(str_is(a->description, "eszpqxtdxrvwmmywkmogoahf"));
    cr_assert_eq(a->initial_bid, 28873);
    cr_assert_eq(a->reserve, 29448);
    cr_assert_eq(a->expires, 1);
    cr_assert_eq(a->seller, 1000);
    cr_assert_eq(a->category, 13);
    cr_assert(str_starts(a->extra, "zcurskufssowmihzpmZHWQM^fnleramzn"));

    e = gen_event(&f, 4);
    cr_assert_eq(e->kind, WR_NEXMARK_BID);
    const wr_nexmark_bid *b = &e->bid;
    cr_assert_eq(b->auction, 1000);
    cr_assert_eq(b->bidder, 1001);
    cr_assert_eq(b->price, 32530001);
    cr_assert(str_is(b->channel, "Google"));
    cr_assert(str_is(b->url, "https://www.nexmark.com/cozb/_r_/r_cg/item.htm?query=1"));
    cr_assert(str_is(b->extra, "sbolvyqwgticfdrwdyiyofziYMU\\Z`UaTQO][NX\\RM]WPYTOuwogvszlx"));

    e = gen_event(&f, 50);
    cr_assert(str_is(e->person.email, "f  y@yumv.com")); /* inner spaces stay */

    e = gen_event(&f, 100002);
    a = &e->auction;
    cr_assert_eq(a->id, 7001);
    cr_assert(str_is(a->item_name, "rfzg dvmfvmf"));
    cr_assert_eq(a->initial_bid, 30733);
    cr_assert_eq(a->reserve, 34344);
    cr_assert_eq(a->date_time, 10);
    cr_assert_eq(a->expires, 11);
    cr_assert_eq(a->seller, 3000);
    cr_assert_eq(a->category, 14);

    e = gen_event(&f, 123456);
    b = &e->bid;
    cr_assert_eq(b->auction, 8332);
    cr_assert_eq(b->bidder, 3401);
    cr_assert_eq(b->price, 66082);
    cr_assert(str_is(b->channel, "channel-1097"));
    cr_assert(str_is(b->url, "https://www.nexmark.com/cios/hyt/txp/item.htm?query=1&channel_id="
                             "1843396608"));
    cr_assert_eq(b->date_time, 12);

    /* Math.abs(Integer.reverse(1)) is Integer.MIN_VALUE. */
    e = gen_event(&f, 1726);
    cr_assert(str_is(e->bid.channel, "channel-1"));
    cr_assert(str_is(e->bid.url, "https://www.nexmark.com/_jyw/rnmg/bo_e/item.htm?query=1&"
                                 "channel_id=-2147483648"));

    e = gen_event(&f, 250000);
    cr_assert_eq(e->person.id, 6000);
    cr_assert(str_is(e->person.name, "Paul Shultz"));
    cr_assert(str_is(e->person.credit_card, "6246 2704 1374 7393"));
    cr_assert_eq(e->person.date_time, 25);
    fixture_fini(&f);
}

/* The bytes of event n's fields and strings, for comparing two generations. */
static void event_bytes(gen_fixture *f, int64_t n, wr_buf *out)
{
    size_t len = wr_nexmark_generate(&f->gen, n, &f->ev, f->buf);
    wr_buf_reset(out);
    wr_buf_append(out, &f->ev.kind, sizeof(f->ev.kind));
    wr_buf_append(out, &f->ev.time, 8);
    wr_buf_append(out, f->buf, len);
    const wr_nexmark_bid *b = &f->ev.bid;
    if (f->ev.kind == WR_NEXMARK_BID) {
        wr_buf_append(out, &b->auction, 8);
        wr_buf_append(out, &b->bidder, 8);
        wr_buf_append(out, &b->price, 8);
    }
}

Test(nexmark_gen, same_number_same_event)
{
    gen_fixture f, g;
    fixture_init(&f, NULL);
    fixture_init(&g, NULL);
    wr_buf x, y;
    wr_buf_init(&x);
    wr_buf_init(&y);
    /* In any order, from another generator: event n depends on n alone. */
    for (int64_t n = 5000; n >= 0; n -= 7) {
        event_bytes(&f, n, &x);
        event_bytes(&g, n * 13 % 5001, &y); /* disturb g's buffer first */
        event_bytes(&g, n, &y);
        cr_assert_eq(x.len, y.len);
        cr_assert(memcmp(x.data, y.data, x.len) == 0, "event %lld differs", (long long)n);
    }
    event_bytes(&f, 10, &x);
    event_bytes(&f, 11, &y);
    cr_assert(x.len != y.len || memcmp(x.data, y.data, x.len) != 0);
    wr_buf_fini(&x);
    wr_buf_fini(&y);
    fixture_fini(&f);
    fixture_fini(&g);
}

static void check_proportions(int32_t person, int32_t auction, int32_t bid)
{
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    cfg.person_proportion = person;
    cfg.auction_proportion = auction;
    cfg.bid_proportion = bid;
    gen_fixture f;
    fixture_init(&f, &cfg);
    int total = person + auction + bid;
    for (int64_t start = 0; start < 20 * total; start += total) {
        int count[3] = {0, 0, 0};
        for (int64_t n = start; n < start + total; n++) count[gen_event(&f, n)->kind]++;
        cr_assert_eq(count[WR_NEXMARK_PERSON], person);
        cr_assert_eq(count[WR_NEXMARK_AUCTION], auction);
        cr_assert_eq(count[WR_NEXMARK_BID], bid);
    }
    fixture_fini(&f);
}

Test(nexmark_gen, proportions_in_every_cycle)
{
    check_proportions(1, 3, 46);
    check_proportions(2, 3, 5);
    check_proportions(0, 0, 1); /* bids only */
    check_proportions(0, 1, 0);
}

Test(nexmark_gen, times_follow_the_rate)
{
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    gen_fixture f;
    cfg.first_event_rate = cfg.next_event_rate = 10000000; /* 0.1 us apart */
    fixture_init(&f, &cfg);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 0), 0);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 9999), 0);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 10000), 1);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 100000000), 10000); /* the benchmark: 10 s */
    int64_t last = 0;
    for (int64_t n = 0; n < 100000; n++) {
        int64_t t = wr_nexmark_time_ms(&f.gen, n);
        cr_assert_geq(t, last);
        last = t;
        if (n % 997 == 0) cr_assert_eq(gen_event(&f, n)->time, t);
    }
    fixture_fini(&f);

    cfg.first_event_rate = cfg.next_event_rate = 1000; /* 1 ms apart */
    fixture_init(&f, &cfg);
    for (int64_t n = 0; n < 5000; n += 37) cr_assert_eq(wr_nexmark_time_ms(&f.gen, n), n);
    fixture_fini(&f);

    /* SQUARE: 10/s for 5 s, then 20/s for 5 s, repeating. */
    cfg.first_event_rate = 10;
    cfg.next_event_rate = 20;
    cfg.rate_period_s = 10;
    fixture_init(&f, &cfg);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 49), 4900);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 50), 5000);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 51), 5050);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 149), 9950);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 150), 10000);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 151), 10100);
    fixture_fini(&f);

    /* SINE: ten 6 s steps from 100/s down to 10/s and back; 60 s hold 3300 events. */
    cfg.first_event_rate = 100;
    cfg.next_event_rate = 10;
    cfg.rate_shape = WR_NEXMARK_SINE;
    cfg.rate_period_s = 60;
    fixture_init(&f, &cfg);
    cr_assert_eq(f.gen.nsteps, 10);
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, 600), 6000); /* step 0: 100/s */
    int64_t events = 0;
    for (int k = 0; k < 10; k++) events += f.gen.step_events[k];
    cr_assert_eq(f.gen.cycle_events, events);
    cr_assert_eq(f.gen.step_events[5], 60); /* the trough: 10/s */
    cr_assert_eq(wr_nexmark_time_ms(&f.gen, events), 60000);
    last = -1;
    for (int64_t n = 0; n < 2 * events; n++) {
        int64_t t = wr_nexmark_time_ms(&f.gen, n);
        cr_assert_geq(t, last);
        last = t;
    }
    fixture_fini(&f);
}

/*
 * Ids: people and auctions are numbered in order from 1000; bids, and
 * auctions' sellers, name recent ones (or up to WR_NEXMARK_ID_LEAD ahead).
 */
Test(nexmark_gen, ids_refer_to_people_and_auctions)
{
    gen_fixture f;
    fixture_init(&f, NULL);
    int64_t people = 0, auctions = 0;
    for (int64_t n = 0; n < 300000; n++) {
        const wr_nexmark_event *e = gen_event(&f, n);
        int64_t last_person = 999 + people, last_auction = 999 + auctions;
        switch (e->kind) {
        case WR_NEXMARK_PERSON:
            cr_assert_eq(e->person.id, 1000 + people++);
            break;
        case WR_NEXMARK_AUCTION:
            cr_assert_eq(e->auction.id, 1000 + auctions++);
            cr_assert(e->auction.seller >= 1000 && e->auction.seller <= last_person + 10);
            cr_assert(e->auction.seller >= last_person - 1000 - 10);
            cr_assert(e->auction.category >= 10 && e->auction.category <= 14);
            cr_assert_gt(e->auction.expires, e->auction.date_time);
            cr_assert_geq(e->auction.reserve, e->auction.initial_bid);
            break;
        default:
            cr_assert_eq(wr_nexmark_last_auction(&f.gen, n), last_auction);
            cr_assert_eq(wr_nexmark_last_person(&f.gen, n), last_person);
            cr_assert(e->bid.auction >= WR_MAX(1000, last_auction - 100) &&
                          e->bid.auction <= last_auction + 10,
                      "bid %lld: auction %lld, last %lld", (long long)n, (long long)e->bid.auction,
                      (long long)last_auction);
            cr_assert(e->bid.bidder >= WR_MAX(1000, last_person - 1000) &&
                      e->bid.bidder <= last_person + 10);
            cr_assert(e->bid.price >= 100 && e->bid.price <= 100000000);
            cr_assert(str_starts(e->bid.url, "https://www.nexmark.com/"));
            break;
        }
    }
    cr_assert_eq(people, 6000);
    cr_assert_eq(auctions, 18000);
    fixture_fini(&f);
}

typedef struct hot_counts {
    int64_t bids, hot_auction, hot_bidder, auctions, hot_seller, hot_channel;
} hot_counts;

static hot_counts count_hot(const wr_nexmark_config *cfg, int64_t events)
{
    gen_fixture f;
    fixture_init(&f, cfg);
    hot_counts c = {0};
    for (int64_t n = 0; n < events; n++) {
        const wr_nexmark_event *e = gen_event(&f, n);
        int64_t last_person = wr_nexmark_last_person(&f.gen, n) - 1000;
        if (e->kind == WR_NEXMARK_BID) {
            int64_t last_auction = wr_nexmark_last_auction(&f.gen, n) - 1000;
            c.bids++;
            c.hot_auction += e->bid.auction == 1000 + last_auction / 100 * 100;
            c.hot_bidder += e->bid.bidder == 1000 + last_person / 100 * 100 + 1;
            c.hot_channel += !str_starts(e->bid.channel, "channel-");
        } else if (e->kind == WR_NEXMARK_AUCTION) {
            c.auctions++;
            c.hot_seller += e->auction.seller == 1000 + last_person / 100 * 100;
        }
    }
    fixture_fini(&f);
    return c;
}

/* A hot one is chosen with probability 1 - 1/ratio (or by chance among the others). */
Test(nexmark_gen, hot_ratios)
{
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    hot_counts c = count_hot(&cfg, 1000000);
    cr_assert_float_eq((double)c.hot_auction / c.bids, 0.5, 0.03, "%f",
                       (double)c.hot_auction / c.bids);
    cr_assert_float_eq((double)c.hot_bidder / c.bids, 0.75, 0.03, "%f",
                       (double)c.hot_bidder / c.bids);
    cr_assert_float_eq((double)c.hot_seller / c.auctions, 0.75, 0.03, "%f",
                       (double)c.hot_seller / c.auctions);
    cr_assert_float_eq((double)c.hot_channel / c.bids, 0.5, 0.03);

    cfg.hot_auction_ratio = 10;
    cfg.hot_bidders_ratio = 1; /* never hot but by chance */
    cfg.hot_sellers_ratio = 2;
    c = count_hot(&cfg, 1000000);
    cr_assert_float_eq((double)c.hot_auction / c.bids, 0.9, 0.03);
    cr_assert_lt((double)c.hot_bidder / c.bids, 0.01);
    cr_assert_float_eq((double)c.hot_seller / c.auctions, 0.5, 0.03);
}

/* The sizes the project counts (8 per number, string lengths) average out at the setting. */
static void check_sizes(int32_t person_avg, int32_t auction_avg, int32_t bid_avg)
{
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    cfg.person_avg_size = person_avg;
    cfg.auction_avg_size = auction_avg;
    cfg.bid_avg_size = bid_avg;
    gen_fixture f;
    fixture_init(&f, &cfg);
    double sum[3] = {0, 0, 0};
    int64_t count[3] = {0, 0, 0};
    for (int64_t n = 0; n < 200000; n++) {
        const wr_nexmark_event *e = gen_event(&f, n);
        size_t size;
        if (e->kind == WR_NEXMARK_PERSON) {
            const wr_nexmark_person *p = &e->person;
            size = 8 + p->name.len + p->email.len + p->credit_card.len + p->city.len +
                   p->state.len + p->extra.len;
        } else if (e->kind == WR_NEXMARK_AUCTION) {
            size = 8 + e->auction.item_name.len + e->auction.description.len + 40 +
                   e->auction.extra.len;
        } else {
            size = 32 + e->bid.extra.len;
        }
        sum[e->kind] += (double)size;
        count[e->kind]++;
    }
    int32_t want[3] = {person_avg, auction_avg, bid_avg};
    for (int k = 0; k < 3; k++) {
        double avg = sum[k] / (double)count[k];
        if (want[k] >= 200)
            cr_assert_float_eq(avg, want[k], want[k] * 0.02, "kind %d: %f", k, avg);
        else if (want[k] >= 32)
            cr_assert_float_eq(avg, want[k], want[k] * 0.05, "kind %d: %f", k, avg);
    }
    fixture_fini(&f);
}

Test(nexmark_gen, sizes_near_the_averages)
{
    check_sizes(200, 500, 100);
    check_sizes(1000, 2000, 400);
    /* Smaller than the fields alone: no padding. */
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    cfg.bid_avg_size = 10;
    gen_fixture f;
    fixture_init(&f, &cfg);
    cr_assert_eq(gen_event(&f, 4)->bid.extra.len, 0);
    fixture_fini(&f);
}

/* ---- the source ---------------------------------------------------------------------------- */

static const char *const person_names[] = {"id",   "name",  "emailAddress", "creditCard",
                                           "city", "state", "dateTime",     "extra"};
static const char *const auction_names[] = {"id",       "itemName", "description", "initialBid",
                                            "reserve",  "dateTime", "expires",     "seller",
                                            "category", "extra"};
static const char *const bid_names[] = {"auction", "bidder",   "price", "channel",
                                        "url",     "dateTime", "extra"};

static wr_type row_type(const char *const *names, const char *types, int n)
{
    wr_type t[10];
    for (int i = 0; i < n; i++)
        t[i] = wr_type_make(types[i] == 'b'   ? WR_TYPE_BIGINT
                            : types[i] == 't' ? WR_TYPE_TIMESTAMP
                                              : WR_TYPE_VARCHAR,
                            true);
    return wr_type_row(t, names, n, true);
}

/* The Nexmark table's schema, as the nexmark project declares it. */
static wr_schema *nexmark_schema(void)
{
    wr_type types[4] = {
        wr_type_make(WR_TYPE_INT, true),
        row_type(person_names, "bsssssts", 8),
        row_type(auction_names, "bssbbttbbs", 10),
        row_type(bid_names, "bbbssts", 7),
    };
    return schema_of("event_type,person,auction,bid", types);
}

/* Plans a nexmark scan of the Nexmark schema; fails the test on error. */
static void plan_nexmark(const char *const *kv, int n, wr_operator_spec *spec)
{
    wr_schema *schema = nexmark_schema();
    wr_error err;
    cr_assert_eq(plan_source("nexmark", schema, kv, n, spec, &err), 0, "%s", err.msg);
    wr_schema_free(schema);
}

typedef struct run_state {
    wr_op_ctx ctx;
    wr_operator *op;
    bool ended;
    int idles;
} run_state;

static void source_open(const wr_operator_spec *spec, run_state *rs, int subtask, int parallelism,
                        capture *cap, const wr_restore *restore)
{
    wr_error err;
    wr_error_init(&err);
    ctx_init(&rs->ctx, subtask, parallelism, &cap->base);
    rs->ctx.restore = restore;
    rs->op = spec->ops->create(spec->spec, &rs->ctx, &err);
    cr_assert(rs->op, "%s", err.msg);
    rs->ctx.restore = NULL;
    rs->ended = false;
    rs->idles = 0;
}

/* Runs up to max_batches batches (0: to the end). */
static void source_step(run_state *rs, int max_batches)
{
    wr_error err;
    wr_error_init(&err);
    for (int b = 0; !rs->ended && (max_batches == 0 || b < max_batches);) {
        wr_source_status status;
        cr_assert_eq(rs->op->ops->run(rs->op, &status, &err), 0, "%s", err.msg);
        if (status == WR_SOURCE_END) rs->ended = true;
        if (status == WR_SOURCE_IDLE) {
            rs->idles++;
            wr_clock_sleep_ns(rs->ctx.idle_until_ns - wr_clock_mono_ns());
            continue;
        }
        b++;
    }
}

static void source_close(run_state *rs)
{
    rs->op->ops->destroy(rs->op);
}

static void run_all(const wr_operator_spec *spec, int subtask, int parallelism, capture *cap)
{
    run_state rs;
    source_open(spec, &rs, subtask, parallelism, cap, NULL);
    source_step(&rs, 0);
    source_close(&rs);
}

/* Field i of a ROW value into slot. */
static void row_field(wr_type row, wr_str value, int i, void *slot)
{
    cr_assert(wr_row_value_get(wr_type_nested(row), value, i, slot), "field %d is NULL", i);
}

static int64_t field_i64(wr_type row, wr_str value, int i)
{
    int64_t v;
    row_field(row, value, i, &v);
    return v;
}

static wr_str field_str(wr_type row, wr_str value, int i)
{
    wr_str v;
    row_field(row, value, i, &v);
    return v;
}

static bool str_eq(wr_str a, wr_str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

#define BASE_TIME 1700000000000LL

/*
 * Checks one row against the generator's event n: event_type, exactly one
 * ROW set, every field, the row time, and that the ROW value is the one
 * wr_row_value_encode makes of those fields (the canonical encoding).
 */
static void check_row(const wr_batch *batch, int row, gen_fixture *f, int64_t n)
{
    const wr_nexmark_event *e = gen_event(f, n);
    cr_assert_eq(((int32_t *)batch->cols[0].data)[row], (int32_t)e->kind);
    cr_assert_not(wr_vector_is_null(&batch->cols[0], row));
    for (int k = 0; k < 3; k++)
        cr_assert_eq(wr_vector_is_null(&batch->cols[1 + k], row), k != (int)e->kind,
                     "row %d, column %d", row, 1 + k);
    cr_assert_eq(wr_batch_rowtime(batch, row), BASE_TIME + e->time);
    wr_type t = batch->cols[1 + e->kind].type;
    wr_str value = ((wr_str *)batch->cols[1 + e->kind].data)[row];
    int64_t us = (BASE_TIME + e->time) * 1000;
    const void *slots[10];
    int64_t ints[10];
    switch (e->kind) {
    case WR_NEXMARK_PERSON: {
        const wr_nexmark_person *p = &e->person;
        cr_assert_eq(field_i64(t, value, 0), p->id);
        cr_assert(str_eq(field_str(t, value, 1), p->name));
        cr_assert(str_eq(field_str(t, value, 2), p->email));
        cr_assert(str_eq(field_str(t, value, 3), p->credit_card));
        cr_assert(str_eq(field_str(t, value, 4), p->city));
        cr_assert(str_eq(field_str(t, value, 5), p->state));
        cr_assert_eq(field_i64(t, value, 6), us);
        cr_assert(str_eq(field_str(t, value, 7), p->extra));
        ints[0] = p->id, ints[6] = us;
        const void *s[8] = {&ints[0], &p->name,  &p->email, &p->credit_card,
                            &p->city, &p->state, &ints[6],  &p->extra};
        memcpy(slots, s, sizeof(s));
        break;
    }
    case WR_NEXMARK_AUCTION: {
        const wr_nexmark_auction *a = &e->auction;
        int64_t v[10] = {a->id,
                         0,
                         0,
                         a->initial_bid,
                         a->reserve,
                         us,
                         (BASE_TIME + a->expires) * 1000,
                         a->seller,
                         a->category};
        memcpy(ints, v, sizeof(v));
        for (int i = 0; i < 9; i++)
            if (i != 1 && i != 2) cr_assert_eq(field_i64(t, value, i), ints[i], "field %d", i);
        cr_assert(str_eq(field_str(t, value, 1), a->item_name));
        cr_assert(str_eq(field_str(t, value, 2), a->description));
        cr_assert(str_eq(field_str(t, value, 9), a->extra));
        const void *s[10] = {&ints[0], &a->item_name, &a->description, &ints[3], &ints[4],
                             &ints[5], &ints[6],      &ints[7],        &ints[8], &a->extra};
        memcpy(slots, s, sizeof(s));
        break;
    }
    default: {
        const wr_nexmark_bid *b = &e->bid;
        int64_t v[6] = {b->auction, b->bidder, b->price, 0, 0, us};
        memcpy(ints, v, sizeof(v));
        for (int i = 0; i < 6; i++)
            if (i != 3 && i != 4) cr_assert_eq(field_i64(t, value, i), ints[i], "field %d", i);
        cr_assert(str_eq(field_str(t, value, 3), b->channel));
        cr_assert(str_eq(field_str(t, value, 4), b->url));
        cr_assert(str_eq(field_str(t, value, 6), b->extra));
        const void *s[7] = {&ints[0], &ints[1], &ints[2], &b->channel,
                            &b->url,  &ints[5], &b->extra};
        memcpy(slots, s, sizeof(s));
        break;
    }
    }
    wr_buf canon;
    wr_buf_init(&canon);
    wr_row_value_encode(&canon, wr_type_nested(t), slots, NULL);
    cr_assert_eq(canon.len, value.len);
    cr_assert(memcmp(canon.data, value.ptr, value.len) == 0, "event %lld: not canonical",
              (long long)n);
    wr_buf_fini(&canon);
}

/* At 1000 events per second event n is at n ms: the row time names the event. */
static const char *const exact_time[] = {"first-event.rate=1000", "next-event.rate=1000",
                                         "base-time=1700000000000"};

typedef struct rows_check {
    gen_fixture f;
    int64_t events;
    int *seen;
    int64_t rows;
} rows_check;

static void check_each(const wr_batch *batch, int row, void *arg)
{
    rows_check *rc = arg;
    int64_t n = wr_batch_rowtime(batch, row) - BASE_TIME;
    cr_assert(n >= 0 && n < rc->events, "event %lld out of range", (long long)n);
    rc->seen[n]++;
    rc->rows++;
    if (n % 13 == 0 || n < 200) check_row(batch, row, &rc->f, n);
}

static void rows_check_init(rows_check *rc, int64_t events)
{
    wr_nexmark_config cfg;
    wr_nexmark_config_default(&cfg);
    cfg.first_event_rate = cfg.next_event_rate = 1000;
    fixture_init(&rc->f, &cfg);
    rc->events = events;
    rc->seen = calloc((size_t)events, sizeof(int));
    rc->rows = 0;
}

/* Every event exactly once. */
static void rows_check_fini(rows_check *rc)
{
    for (int64_t n = 0; n < rc->events; n++)
        cr_assert_eq(rc->seen[n], 1, "event %lld seen %d times", (long long)n, rc->seen[n]);
    free(rc->seen);
    fixture_fini(&rc->f);
}

Test(nexmark, rows_are_the_generators_events)
{
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2], "events.num=5000"};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    cr_assert(spec.bounded);
    cr_assert_eq(spec.parallelism, -1);
    capture cap;
    capture_init(&cap);
    run_all(&spec, 0, 1, &cap);
    cr_assert_eq(cap.rows, 5000);
    cr_assert_eq(cap.batches[0]->count, WR_BATCH_CAPACITY);
    rows_check rc;
    rows_check_init(&rc, 5000);
    for (int b = 0; b < cap.nbatches; b++)
        for (int r = 0; r < cap.batches[b]->count; r++) {
            check_each(cap.batches[b], r, &rc);
            check_row(cap.batches[b], r, &rc.f, wr_batch_rowtime(cap.batches[b], r) - BASE_TIME);
        }
    rows_check_fini(&rc);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

/* Any parallelism: the same events; subtask i has i, i + p, ..., so all move through time. */
Test(nexmark, subtasks_split_the_events)
{
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2], "events.num=10007"};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    int pars[] = {1, 3, 8};
    for (int k = 0; k < 3; k++) {
        int p = pars[k];
        rows_check rc;
        rows_check_init(&rc, 10007);
        for (int i = 0; i < p; i++) {
            capture cap;
            capture_init(&cap);
            run_all(&spec, i, p, &cap);
            cr_assert_eq(cap.rows, (10007 - 1 - i) / p + 1);
            for (int r = 0; r < 20; r++)
                cr_assert_eq(wr_batch_rowtime(cap.batches[0], r) - BASE_TIME, i + (int64_t)r * p);
            capture_each(&cap, check_each, &rc);
            capture_fini(&cap);
        }
        rows_check_fini(&rc);
    }
    /* More subtasks than events: the others end at once. */
    const char *few[] = {exact_time[0], exact_time[1], exact_time[2], "events.num=2"};
    wr_operator_spec small;
    plan_nexmark(few, 4, &small);
    capture cap;
    capture_init(&cap);
    run_all(&small, 3, 4, &cap);
    cr_assert_eq(cap.rows, 0);
    capture_fini(&cap);
    wr_operator_spec_fini(&small);
    wr_operator_spec_fini(&spec);
}

Test(nexmark, unbounded_by_default)
{
    const char *kv[] = {"scan.parallelism=3"};
    wr_operator_spec spec;
    plan_nexmark(kv, 1, &spec);
    cr_assert_not(spec.bounded);
    cr_assert_eq(spec.parallelism, 3);
    capture cap;
    capture_init(&cap);
    run_state rs;
    source_open(&spec, &rs, 0, 1, &cap, NULL);
    source_step(&rs, 20);
    cr_assert_not(rs.ended);
    cr_assert_eq(rs.idles, 0); /* not rate limited: never waits */
    cr_assert_eq(cap.rows, 20 * WR_BATCH_CAPACITY);
    /* The default base time is the wall clock at planning; the default rate 10000/s. */
    int64_t t0 = wr_batch_rowtime(cap.batches[0], 0);
    cr_assert(llabs(t0 - wr_clock_wall_ms()) < 60000);
    cr_assert_eq(wr_batch_rowtime(cap.batches[19], WR_BATCH_CAPACITY - 1) - t0,
                 (20 * WR_BATCH_CAPACITY - 1) / 10);
    source_close(&rs);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

/* Snapshots of every subtask after k batches, as the runtime would gather them. */
typedef struct saved {
    wr_snapshot snaps[8];
    int n;
} saved;

static void snapshot_all(run_state *rs, int p, saved *sv)
{
    wr_error err;
    wr_error_init(&err);
    sv->n = p;
    for (int i = 0; i < p; i++) {
        memset(&sv->snaps[i], 0, sizeof(wr_snapshot));
        cr_assert_eq(rs[i].op->ops->snapshot(rs[i].op, 1, &sv->snaps[i], &err), 0);
    }
}

/* The restore of subtask i of p from sv: its own part, or every part when rescaled. */
static void restore_for(const saved *sv, int i, int p, wr_restore *r,
                        const wr_snapshot_part **parts)
{
    memset(r, 0, sizeof(*r));
    r->checkpoint = 1;
    r->rescaled = p != sv->n;
    r->parts = parts;
    for (int k = 0; k < sv->n; k++)
        if (r->rescaled || k == i)
            for (int j = 0; j < sv->snaps[k].nparts; j++)
                parts[r->nparts++] = &sv->snaps[k].parts[j];
}

/*
 * Run p1 subtasks for a few batches each (unevenly), snapshot, then restore
 * at p2 with another base time in the plan: together the rows before the
 * snapshot and after the restore hold every event once, at the old times.
 */
static void check_restore(int p1, int p2, int64_t events)
{
    char num[32];
    snprintf(num, sizeof(num), "events.num=%lld", (long long)events);
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2], num};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    rows_check rc;
    rows_check_init(&rc, events);
    capture caps[8];
    run_state rs[8];
    int covered[8];
    for (int i = 0; i < p1; i++) {
        capture_init(&caps[i]);
        source_open(&spec, &rs[i], i, p1, &caps[i], NULL);
        source_step(&rs[i], 1 + i % 3);
    }
    saved sv;
    snapshot_all(rs, p1, &sv);
    for (int i = 0; i < p1; i++) {
        covered[i] = caps[i].nbatches;
        source_step(&rs[i], 2); /* rows after the barrier: lost with the failure */
        source_close(&rs[i]);
        /* Only what the snapshot covers counts. */
        for (int b = 0; b < covered[i]; b++)
            for (int r = 0; r < caps[i].batches[b]->count; r++)
                check_each(caps[i].batches[b], r, &rc);
        capture_fini(&caps[i]);
    }

    const char *later[] = {exact_time[0], exact_time[1], "base-time=1800000000000", num};
    wr_operator_spec spec2;
    plan_nexmark(later, 4, &spec2);
    for (int i = 0; i < p2; i++) {
        wr_restore r;
        const wr_snapshot_part *parts[16];
        restore_for(&sv, i, p2, &r, parts);
        capture after;
        capture_init(&after);
        run_state one;
        source_open(&spec2, &one, i, p2, &after, &r);
        source_step(&one, 0);
        source_close(&one);
        capture_each(&after, check_each, &rc);
        capture_fini(&after);
    }
    rows_check_fini(&rc);
    for (int i = 0; i < sv.n; i++) wr_snapshot_fini(&sv.snaps[i]);
    wr_operator_spec_fini(&spec);
    wr_operator_spec_fini(&spec2);
}

Test(nexmark, restore_same_parallelism)
{
    check_restore(2, 2, 20000);
}

Test(nexmark, restore_rescaled)
{
    check_restore(2, 3, 20000);
    check_restore(3, 1, 20000);
    check_restore(4, 2, 5000); /* some subtasks had ended before the snapshot */
}

/* A restore at another parallelism, then another: shares of shares still cover everything. */
Test(nexmark, restore_twice_rescaled)
{
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2], "events.num=30000"};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    rows_check rc;
    rows_check_init(&rc, 30000);
    int pars[3] = {2, 3, 2};
    saved prev = {.n = 0};
    for (int round = 0; round < 3; round++) {
        int p = pars[round];
        run_state rs[8];
        capture caps[8];
        for (int i = 0; i < p; i++) {
            capture_init(&caps[i]);
            wr_restore r;
            const wr_snapshot_part *parts[64];
            if (round > 0) restore_for(&prev, i, p, &r, parts);
            source_open(&spec, &rs[i], i, p, &caps[i], round > 0 ? &r : NULL);
            source_step(&rs[i], round == 2 ? 0 : 2 + i);
        }
        saved sv;
        if (round < 2) snapshot_all(rs, p, &sv);
        for (int i = 0; i < p; i++) {
            capture_each(&caps[i], check_each, &rc);
            capture_fini(&caps[i]);
            source_close(&rs[i]);
        }
        for (int i = 0; i < prev.n; i++) wr_snapshot_fini(&prev.snaps[i]);
        if (round < 2) prev = sv;
    }
    rows_check_fini(&rc);
    wr_operator_spec_fini(&spec);
}

Test(nexmark, restore_finished_subtask_emits_nothing)
{
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2], "events.num=100"};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    wr_restore r = {.checkpoint = 1, .finished = true};
    capture cap;
    capture_init(&cap);
    run_state rs;
    source_open(&spec, &rs, 0, 1, &cap, &r);
    source_step(&rs, 0);
    source_close(&rs);
    cr_assert_eq(cap.rows, 0);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

Test(nexmark, bad_checkpoint_is_an_error)
{
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2]};
    wr_operator_spec spec;
    plan_nexmark(kv, 3, &spec);
    wr_snapshot_part part = {.keygroup = -1};
    wr_buf_init(&part.data);
    wr_buf_puts(&part.data, "garbage, not a position");
    const wr_snapshot_part *parts[] = {&part};
    wr_restore r = {.checkpoint = 1, .parts = parts, .nparts = 1};
    wr_op_ctx ctx;
    capture cap;
    capture_init(&cap);
    ctx_init(&ctx, 0, 1, &cap.base);
    ctx.restore = &r;
    wr_error err;
    wr_error_init(&err);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert_eq(err.code, WR_ERR_IO);
    cr_assert(strstr(err.msg, "nexmark"));
    wr_buf_fini(&part.data);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

/* 'rate.limited': events when their time comes, in chunks; here 400 events at 2000/s. */
Test(nexmark, rate_limited_waits_for_event_time)
{
    const char *kv[] = {"first-event.rate=2000", "next-event.rate=2000", "events.num=400",
                        "rate.limited=true"};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    capture cap;
    capture_init(&cap);
    run_state rs;
    int64_t t0 = wr_clock_mono_ns();
    source_open(&spec, &rs, 0, 1, &cap, NULL);
    source_step(&rs, 0);
    int64_t elapsed_ms = (wr_clock_mono_ns() - t0) / 1000000;
    source_close(&rs);
    cr_assert_eq(cap.rows, 400);
    cr_assert_gt(rs.idles, 0);
    cr_assert_geq(elapsed_ms, 150, "%lld ms", (long long)elapsed_ms); /* the last is at 199 ms */
    cr_assert_lt(cap.nbatches, 40); /* chunks of about 50 ms, not single events */
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

/* Large averages: fewer events per batch, so a batch stays a few MiB. */
Test(nexmark, large_events_make_smaller_batches)
{
    const char *kv[] = {"events.num=50", "person.avg-size=1 mb", "auction.avg-size=1mb",
                        "bid.avg-size=1048576"};
    wr_operator_spec spec;
    plan_nexmark(kv, 4, &spec);
    capture cap;
    capture_init(&cap);
    run_all(&spec, 0, 1, &cap);
    cr_assert_eq(cap.rows, 50);
    cr_assert_lt(cap.batches[0]->count, 10);
    const wr_batch *b = cap.batches[0];
    wr_str bid = ((wr_str *)b->cols[3].data)[4];
    cr_assert_gt(bid.len, 800000);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

/* ---- options and schema ---------------------------------------------------------------------- */

static void expect_error(const wr_schema *schema, const char *const *kv, int n, int pos,
                         const char *needle)
{
    wr_operator_spec spec;
    wr_error err;
    cr_assert_neq(plan_source("nexmark", schema, kv, n, &spec, &err), 0, "expected: %s", needle);
    cr_assert_eq(err.code, WR_ERR_VALIDATION);
    cr_assert_eq(err.offset, pos, "offset %d for: %s", err.offset, err.msg);
    cr_assert(strstr(err.msg, needle), "'%s' not in: %s", needle, err.msg);
}

Test(nexmark, option_errors)
{
    wr_schema *schema = nexmark_schema();
    const char *unknown[] = {"events.num=10", "keep-alive=true"};
    expect_error(schema, unknown, 2, 100,
                 "unsupported option 'keep-alive' for connector 'nexmark'");
    const char *rate0[] = {"first-event.rate=0"};
    expect_error(schema, rate0, 1, 50, "expected an integer from 1 to 2147483647");
    const char *rate_text[] = {"next-event.rate=fast"};
    expect_error(schema, rate_text, 1, 50, "'next-event.rate'");
    const char *shape[] = {"rate.shape=triangle"};
    expect_error(schema, shape, 1, 50, "'rate.shape'");
    const char *period[] = {"rate.period=500 ms"};
    expect_error(schema, period, 1, 50, "at least 1 s");
    const char *limited[] = {"rate.limited=maybe"};
    expect_error(schema, limited, 1, 50, "'rate.limited'");
    const char *size[] = {"person.avg-size=big"};
    expect_error(schema, size, 1, 50, "expected a memory size");
    const char *huge[] = {"bid.avg-size=2 mb"};
    expect_error(schema, huge, 1, 50, "up to 1 mb");
    const char *negative[] = {"auction.proportion=-1"};
    expect_error(schema, negative, 1, 50, "from 0 to 1000000");
    const char *zeros[] = {"person.proportion=0", "auction.proportion=0", "bid.proportion=0"};
    expect_error(schema, zeros, 3, 250, "are all 0");
    const char *hot[] = {"bid.hot-ratio.bidders=0"};
    expect_error(schema, hot, 1, 50, "'bid.hot-ratio.bidders'");
    const char *hot2[] = {"auction.hot-ratio.sellers=-3"};
    expect_error(schema, hot2, 1, 50, "'auction.hot-ratio.sellers'");
    const char *events[] = {"events.num=-1"};
    expect_error(schema, events, 1, 50, "'events.num'");
    const char *too_many[] = {"first-event.rate=1", "next-event.rate=1",
                              "events.num=9000000000000000000"};
    expect_error(schema, too_many, 3, 250, "do not fit a timestamp");
    const char *base[] = {"base-time=-5"};
    expect_error(schema, base, 1, 50, "'base-time'");
    const char *par[] = {"scan.parallelism=0"};
    expect_error(schema, par, 1, 50, "'scan.parallelism'");
    const char *active[] = {"person.active=0"};
    expect_error(schema, active, 1, 50, "'person.active'");
    const char *flight[] = {"auction.in-flight=2000000"};
    expect_error(schema, flight, 1, 50, "'auction.in-flight'");
    wr_schema_free(schema);

    /* All options the nexmark project defines, with other values, are accepted. */
    const char *all[] = {
        "first-event.rate=5000",    "next-event.rate=1000",    "rate.shape=sine",
        "rate.period=10 min",       "rate.limited=false",      "events.num=1000",
        "person.proportion=2",      "auction.proportion=4",    "bid.proportion=44",
        "person.avg-size=300b",     "auction.avg-size=1 kb",   "bid.avg-size=80",
        "bid.hot-ratio.auctions=3", "bid.hot-ratio.bidders=5", "auction.hot-ratio.sellers=6",
        "person.active=500",        "auction.in-flight=50",    "base-time=1600000000000",
        "scan.parallelism=2"};
    wr_operator_spec spec;
    plan_nexmark(all, (int)WR_ARRAY_LEN(all), &spec);
    cr_assert_eq(spec.parallelism, 2);
    capture cap;
    capture_init(&cap);
    run_all(&spec, 1, 2, &cap);
    cr_assert_eq(cap.rows, 500);
    cr_assert_eq(wr_batch_rowtime(cap.batches[0], 0), 1600000000000LL);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
}

static void expect_schema_error(wr_schema *schema, const char *needle)
{
    const char *kv[] = {"connector=nexmark"};
    expect_error(schema, kv, 1, 50, needle);
    wr_schema_free(schema);
}

/* The Nexmark schema with column `col` replaced (named name, of type type), or cut to ncols. */
static wr_schema *schema_with(int col, const char *name, wr_type type, int ncols)
{
    wr_schema *good = nexmark_schema(), *s = wr_schema_new();
    for (int c = 0; c < ncols; c++)
        wr_schema_add(s, c == col ? name : good->names[c], c == col ? type : good->types[c]);
    wr_schema_free(good);
    return s;
}

Test(nexmark, schema_must_be_the_nexmark_table)
{
    wr_schema *good = nexmark_schema();
    wr_type int_t = wr_type_make(WR_TYPE_INT, true);
    expect_schema_error(schema_with(-1, NULL, int_t, 3), "column 4 'bid' ROW<");
    wr_schema *s = wr_schema_copy(good);
    wr_schema_add(s, "extra_col", int_t);
    expect_schema_error(s, "column 5 'extra_col' is not one of them");
    expect_schema_error(schema_with(1, "people", good->types[1], 4),
                        "column 2 is 'people' but must be 'person' ROW<");
    expect_schema_error(schema_with(0, "event_type", wr_type_make(WR_TYPE_BIGINT, true), 4),
                        "column 'event_type' is BIGINT but must be INT");
    /* The bid of the nexmark project's first releases: no channel, no url. */
    const char *old_names[] = {"auction", "bidder", "price", "dateTime", "extra"};
    expect_schema_error(schema_with(3, "bid", row_type(old_names, "bbbts", 5), 4),
                        "(field 4 is `dateTime` TIMESTAMP(3), expected `channel` STRING)");
    /* A renamed field of person. */
    const char *renamed[] = {"id",   "name",  "email",    "creditCard",
                             "city", "state", "dateTime", "extra"};
    expect_schema_error(schema_with(1, "person", row_type(renamed, "bsssssts", 8), 4),
                        "(field 3 is `email` STRING, expected `emailAddress` STRING)");
    expect_schema_error(schema_with(2, "auction", wr_type_make(WR_TYPE_VARCHAR, true), 4),
                        "column 'auction' is STRING but must be ROW<`id` BIGINT");
    /* NOT NULL differs from the declared type, as in the nexmark project. */
    expect_schema_error(schema_with(0, "event_type", wr_type_make(WR_TYPE_INT, false), 4),
                        "column 'event_type' is INT NOT NULL but must be INT");
    wr_schema_free(good);
}

/* ---- in a job -------------------------------------------------------------------------------- */

/* A sink that counts, per event number (row time - BASE_TIME), the rows that reached it. */
typedef struct seen_sink {
    pthread_mutex_t lock;
    int64_t events;
    int *seen;
    int64_t bad; /* rows whose ROW did not decode as their event_type says */
} seen_sink;

typedef struct seen_op {
    wr_operator base;
    seen_sink *sink;
} seen_op;

static const wr_operator_ops seen_ops;

static wr_operator *seen_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    seen_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &seen_ops;
    op->base.ctx = ctx;
    op->sink = (seen_sink *)spec;
    return &op->base;
}

static int seen_process(wr_operator *vop, int input, wr_batch *batch, wr_error *err)
{
    seen_op *op = (seen_op *)vop;
    seen_sink *s = op->sink;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < wr_batch_rows(batch); i++) {
        int row = wr_batch_row(batch, i);
        int64_t n = wr_batch_rowtime(batch, row) - BASE_TIME;
        int kind = ((int32_t *)batch->cols[0].data)[row];
        if (n < 0 || n >= s->events || kind < 0 || kind > 2 ||
            wr_vector_is_null(&batch->cols[1 + kind], row)) {
            s->bad++;
            continue;
        }
        /* The first field: a person's or auction's id (>= 1000), a bid's auction (>= 1000). */
        wr_str value = ((wr_str *)batch->cols[1 + kind].data)[row];
        int64_t first = 0;
        if (!wr_row_value_get(wr_type_nested(batch->cols[1 + kind].type), value, 0, &first) ||
            first < 1000)
            s->bad++;
        s->seen[n]++;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void seen_destroy(wr_operator *op)
{
    wr_free(op);
}

static const wr_operator_ops seen_ops = {
    .kind = "seen",
    .create = seen_create,
    .process = seen_process,
    .destroy = seen_destroy,
};

/* nexmark (3 subtasks) -> rebalance -> sink (2): rows cross threads and are copied. */
Test(nexmark, runs_in_a_job)
{
    const char *kv[] = {exact_time[0], exact_time[1], exact_time[2], "events.num=30000",
                        "scan.parallelism=3"};
    wr_operator_spec spec;
    plan_nexmark(kv, 5, &spec);
    wr_schema *schema = nexmark_schema();
    seen_sink sink = {.events = 30000};
    pthread_mutex_init(&sink.lock, NULL);
    sink.seen = calloc(30000, sizeof(int));
    wr_jobgraph *g = wr_jobgraph_new("nexmark");
    int src = wr_jobgraph_add(g, "nexmark", &spec, schema->types, 4);
    wr_operator_spec sink_spec = {.ops = &seen_ops, .spec = &sink, .parallelism = 2};
    int dst = wr_jobgraph_add(g, "seen", &sink_spec, NULL, 0);
    wr_jobgraph_connect(g, src, dst, WR_PART_REBALANCE, NULL, 0);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    cr_assert(job, "%s", err.msg);
    cr_assert_eq(wr_job_wait(job, -1, &err), 0, "%s", err.msg);
    wr_job_free(job);
    cr_assert_eq(sink.bad, 0);
    for (int64_t n = 0; n < 30000; n++) cr_assert_eq(sink.seen[n], 1, "event %lld", (long long)n);
    free(sink.seen);
    pthread_mutex_destroy(&sink.lock);
    wr_config_fini(&cfg);
    wr_schema_free(schema);
}
