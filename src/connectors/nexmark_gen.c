/*
 * nexmark_gen.c — Nexmark events from their numbers (see nexmark_gen.h).
 *
 * The shape of the data follows the nexmark project's generator (people,
 * auctions and bids interleaved by proportion, ids that refer to recent
 * people and auctions, a few hot ones, log-uniform prices, padding to average
 * sizes), drawing from java.util.Random in the same order. Each event is
 * written straight into the caller's buffer: no allocation, no formatting
 * library, only the random draws and the bytes.
 */
#include "nexmark_gen.h"
#include "../base/alloc.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Hot sellers, bidders and auctions are the first of each batch of this many. */
#define HOT_BATCH 100
#define NUM_CATEGORIES 5
#define NUM_CHANNELS 10000
#define MIN_STRING_LENGTH 3

static const wr_str first_names[] = {
    {"Peter", 5}, {"Paul", 4},  {"Luke", 4},  {"John", 4},   {"Saul", 4},   {"Vicky", 5},
    {"Kate", 4},  {"Julie", 5}, {"Sarah", 5}, {"Deiter", 6}, {"Walter", 6},
};
static const wr_str last_names[] = {
    {"Shultz", 6}, {"Abrams", 6}, {"Spencer", 7}, {"White", 5}, {"Bartels", 7},
    {"Walton", 6}, {"Smith", 5},  {"Jones", 5},   {"Noris", 5},
};
static const wr_str cities[] = {
    {"Phoenix", 7}, {"Los Angeles", 11}, {"San Francisco", 13}, {"Boise", 5}, {"Portland", 8},
    {"Bend", 4},    {"Redmond", 7},      {"Seattle", 7},        {"Kent", 4},  {"Cheyenne", 8},
};
static const wr_str states[] = {{"AZ", 2}, {"CA", 2}, {"ID", 2}, {"OR", 2}, {"WA", 2}, {"WY", 2}};
static const wr_str hot_channels[] = {{"Google", 6}, {"Facebook", 8}, {"Baidu", 5}, {"Apple", 5}};

/* Longest name, email, credit card, city and state; item name and description. */
#define PERSON_TEXT_MAX (6 + 1 + 7 + 6 + 1 + 4 + 4 + 19 + 13 + 2)
#define AUCTION_TEXT_MAX (19 + 99)

void wr_nexmark_config_default(wr_nexmark_config *cfg)
{
    *cfg = (wr_nexmark_config){
        .first_event_rate = 10000,
        .next_event_rate = 10000,
        .rate_shape = WR_NEXMARK_SQUARE,
        .rate_period_s = 600,
        .person_avg_size = 200,
        .auction_avg_size = 500,
        .bid_avg_size = 100,
        .person_proportion = 1,
        .auction_proportion = 3,
        .bid_proportion = 46,
        .hot_auction_ratio = 2,
        .hot_bidders_ratio = 4,
        .hot_sellers_ratio = 4,
        .active_people = 1000,
        .in_flight_auctions = 100,
    };
}

/* ---- random values ---------------------------------------------------------------------- */

/* Math.round: the closest integer, ties up. */
static inline int64_t java_round(double x)
{
    return (int64_t)floor(x + 0.5);
}

/* The project's LongGenerator: uniform below bound when it fits an int, else |long % bound|. */
static inline int64_t long_below(wr_jrandom *r, int64_t bound)
{
    if (bound < INT32_MAX) return wr_jrandom_below(r, (int32_t)bound);
    int64_t v = wr_jrandom_long(r) % bound;
    return v < 0 ? -v : v;
}

/* Cents, log-uniform from 1 to 10^6 dollars. */
static inline int64_t next_price(wr_jrandom *r)
{
    return java_round(pow(10.0, wr_jrandom_double(r) * 6.0) * 100.0);
}

static inline char *put(char *p, wr_str s)
{
    memcpy(p, s.ptr, s.len);
    return p + s.len;
}

/*
 * 3 to max_length - 1 letters, each a `special` with probability 1/13,
 * with spaces trimmed from both ends (Java's String.trim). Written at *p.
 */
static wr_str next_string(wr_jrandom *r, int max_length, char special, char **p)
{
    int len = MIN_STRING_LENGTH + wr_jrandom_below(r, max_length - MIN_STRING_LENGTH);
    char *s = *p;
    for (int i = 0; i < len; i++)
        s[i] = wr_jrandom_below(r, 13) == 0 ? special : (char)('a' + wr_jrandom_below(r, 26));
    int lo = 0, hi = len;
    while (lo < hi && s[lo] == ' ') lo++;
    while (hi > lo && s[hi - 1] == ' ') hi--;
    if (lo > 0) memmove(s, s + lo, (size_t)(hi - lo));
    *p = s + (hi - lo);
    return (wr_str){s, (uint32_t)(hi - lo)};
}

/*
 * Exactly len characters, six from each random int: 'a' + rnd % 26, then
 * rnd /= 26, with Java's (truncating) division, so a negative int gives the
 * letters and signs below 'a'. Truncating k times by 26 is truncating once
 * by 26^k, so the six digits of |rnd| are read as three base-26 pairs from
 * gen->pairs (a table small enough for the core's first-level cache) and
 * given rnd's sign; the 8-byte store may write 2 bytes past the string
 * (buffers have WR_NEXMARK_SLACK bytes to spare). The state is kept in a
 * local: the stores to s could alias r, which would put a store and a load
 * in the chain of draws.
 */
static void exact_string(const wr_nexmark_gen *gen, wr_jrandom *r, char *s, int len)
{
    const uint16_t *pair = gen->pairs;
    wr_jrandom x = *r;
    for (int i = 0; i < len; i += 6) {
        int32_t rnd = wr_jrandom_int(&x);
        uint32_t u = rnd < 0 ? 0u - (uint32_t)rnd : (uint32_t)rnd;
        uint64_t d = (uint64_t)pair[u % 676] | (uint64_t)pair[u / 676 % 676] << 16 |
                     (uint64_t)pair[u / 456976 % 676] << 32;
        uint64_t w = rnd < 0 ? 0x6161616161616161ULL - d : 0x6161616161616161ULL + d;
        memcpy(s + i, &w, 8);
    }
    *r = x;
}

/* Padding that brings an event of current_size bytes to avg_size on average (+-20%). */
static wr_str next_extra(const wr_nexmark_gen *gen, wr_jrandom *r, int current_size, int avg_size,
                         char **p)
{
    if (current_size > avg_size) return (wr_str){*p, 0};
    int want = avg_size - current_size;
    int delta = (int)java_round(want * 0.2);
    int len = want - delta + (delta == 0 ? 0 : wr_jrandom_below(r, 2 * delta));
    char *s = *p;
    exact_string(gen, r, s, len);
    *p = s + len;
    return (wr_str){s, (uint32_t)len};
}

/* The most bytes next_extra writes for avg_size. */
static size_t extra_max(int avg_size)
{
    return (size_t)avg_size + (size_t)avg_size / 5 + 2;
}

/* ---- time --------------------------------------------------------------------------------- */

int64_t wr_nexmark_time_ms(const wr_nexmark_gen *gen, int64_t n)
{
    if (gen->nsteps == 1) return (int64_t)((double)n * gen->delay_us[0]) / 1000;
    int64_t cycle = n / gen->cycle_events, j = n % gen->cycle_events;
    int k = 0;
    while (j >= gen->step_events[k]) j -= gen->step_events[k++];
    int64_t us = (cycle * gen->nsteps + k) * gen->step_us + (int64_t)((double)j * gen->delay_us[k]);
    return us / 1000;
}

/*
 * The rates of the shape's steps, as the project's RateShape makes them:
 * one rate when both are equal; SQUARE the two; SINE ten points of
 * mid + amp * cos(2 pi i / 10), rounded.
 */
static int shape_rates(const wr_nexmark_config *cfg, int64_t *rates)
{
    if (cfg->first_event_rate == cfg->next_event_rate) {
        rates[0] = cfg->first_event_rate;
        return 1;
    }
    if (cfg->rate_shape == WR_NEXMARK_SQUARE) {
        rates[0] = cfg->first_event_rate;
        rates[1] = cfg->next_event_rate;
        return 2;
    }
    double mid = (double)(cfg->first_event_rate + cfg->next_event_rate) / 2.0;
    double amp = (double)(cfg->first_event_rate - cfg->next_event_rate) / 2.0;
    for (int i = 0; i < 10; i++) rates[i] = java_round(mid + amp * cos(2.0 * M_PI * i / 10));
    return 10;
}

/* ---- ids ---------------------------------------------------------------------------------- */

/* The last person made at or before event n, counting from 0 (the current one for a person). */
static inline int64_t last_person0(const wr_nexmark_gen *gen, int64_t n)
{
    int64_t epoch = n / gen->total_proportion, offset = n % gen->total_proportion;
    if (offset >= gen->cfg.person_proportion) offset = gen->cfg.person_proportion - 1;
    return epoch * gen->cfg.person_proportion + offset;
}

/* The last auction made at or before event n, counting from 0. */
static inline int64_t last_auction0(const wr_nexmark_gen *gen, int64_t n)
{
    int64_t epoch = n / gen->total_proportion, offset = n % gen->total_proportion;
    int64_t persons = gen->cfg.person_proportion, auctions = gen->cfg.auction_proportion;
    if (offset < persons) {
        epoch--; /* a person: the last auction of the previous epoch */
        offset = auctions - 1;
    } else if (offset >= persons + auctions) {
        offset = auctions - 1; /* a bid: the last auction of this epoch */
    } else {
        offset -= persons;
    }
    return epoch * auctions + offset;
}

int64_t wr_nexmark_last_person(const wr_nexmark_gen *gen, int64_t n)
{
    return last_person0(gen, n) + WR_NEXMARK_FIRST_PERSON_ID;
}

int64_t wr_nexmark_last_auction(const wr_nexmark_gen *gen, int64_t n)
{
    return last_auction0(gen, n) + WR_NEXMARK_FIRST_AUCTION_ID;
}

/* One of the active people, or one of the next few to be made. */
static int64_t next_person0(const wr_nexmark_gen *gen, int64_t n, wr_jrandom *r)
{
    int64_t people = last_person0(gen, n) + 1;
    int64_t active = WR_MIN(people, (int64_t)gen->cfg.active_people);
    return people - active + long_below(r, active + WR_NEXMARK_ID_LEAD);
}

/* One of the auctions likely still open, or one of the next few to be made. */
static int64_t next_auction0(const wr_nexmark_gen *gen, int64_t n, wr_jrandom *r)
{
    int64_t last = last_auction0(gen, n);
    int64_t first = WR_MAX(last - gen->cfg.in_flight_auctions, 0);
    return first + long_below(r, last - first + 1 + WR_NEXMARK_ID_LEAD);
}

/* ---- setup ---------------------------------------------------------------------------------- */

/* The decimal text of v at p, two digits at a time. */
static char *put_int(char *p, int64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    char tmp[24], *end = tmp + sizeof(tmp), *q = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        q -= 2;
        memcpy(q, pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * u, 2);
    } else {
        *--q = (char)('0' + u);
    }
    if (v < 0) *p++ = '-';
    memcpy(p, q, (size_t)(end - q));
    return p + (end - q);
}

static const char url_head[] = "https://www.nexmark.com/", url_tail[] = "item.htm?query=1";
static const char channel_id[] = "&channel_id=";
/* The longest channel name and URL: "channel-9999", head, path, tail, id, "-2147483648". */
#define CHANNEL_TEXT_MAX (12 + 24 + 15 + 16 + 12 + 11)

/*
 * Math.abs(Integer.reverse(c)): the bits of c reversed, as a Java int
 * (|Integer.MIN_VALUE| stays negative).
 */
static int64_t channel_number(int c)
{
    uint32_t x = (uint32_t)c;
    x = (x >> 1 & 0x55555555u) | (x & 0x55555555u) << 1;
    x = (x >> 2 & 0x33333333u) | (x & 0x33333333u) << 2;
    x = (x >> 4 & 0x0f0f0f0fu) | (x & 0x0f0f0f0fu) << 4;
    x = (x >> 8 & 0x00ff00ffu) | (x & 0x00ff00ffu) << 8;
    x = x >> 16 | x << 16;
    int32_t v = (int32_t)x;
    return v == INT32_MIN ? v : (v < 0 ? -v : v);
}

/*
 * The channels and URLs of bids, "https://www.nexmark.com/abc/de_f/ghi/item.htm?query=1".
 * In the nexmark project the three path parts come from unseeded generators
 * (they differ between runs); here channel c's from java.util.Random seeded
 * with c and hot channel i's from the seed 10000 + i, so runs repeat. As
 * there, 9 in 10 channel URLs end with "&channel_id=" and
 * Math.abs(Integer.reverse(c)).
 */
static void make_channels(wr_nexmark_gen *gen)
{
    wr_jrandom r;
    char path[32];
    for (int i = 0; i < 4; i++) {
        wr_jrandom_seed(&r, NUM_CHANNELS + i);
        char *p = put(gen->hot_text[i], hot_channels[i]);
        memcpy(p, url_head, 24);
        p += 24;
        for (int k = 0; k < 3; k++) {
            next_string(&r, 5, '_', &p);
            *p++ = '/';
        }
        p = put(p, (wr_str){url_tail, 16});
        gen->hot_name_len[i] = (uint8_t)hot_channels[i].len;
        gen->hot_len[i] = (uint8_t)(p - gen->hot_text[i]);
    }
    gen->paths = wr_malloc(NUM_CHANNELS * sizeof(*gen->paths));
    for (int c = 0; c < NUM_CHANNELS; c++) {
        wr_jrandom_seed(&r, c);
        memset(path, 0, sizeof(path));
        char *p = path;
        for (int k = 0; k < 3; k++) {
            next_string(&r, 5, '_', &p);
            *p++ = '/';
        }
        uint8_t len = (uint8_t)(p - path); /* 3 * (3 or 4 letters and '/') */
        memcpy(gen->paths[c], path, 15);
        gen->paths[c][15] = (uint8_t)(len | (wr_jrandom_below(&r, 10) > 0 ? 0x80 : 0));
    }
}

/* Writes channel c's name and URL at p; sets the views; returns the end. */
static char *put_channel(const wr_nexmark_gen *gen, int c, wr_nexmark_bid *e, char *p)
{
    char *start = p;
    memcpy(p, "channel-", 8);
    p = put_int(p + 8, c);
    e->channel = (wr_str){start, (uint32_t)(p - start)};
    start = p;
    const uint8_t *path = gen->paths[c];
    memcpy(p, url_head, 24);
    memcpy(p + 24, path, 16); /* 15 bytes at most, then overwritten: buf has the slack */
    p += 24 + (path[15] & 0x7f);
    memcpy(p, url_tail, 16);
    p += 16;
    if (path[15] & 0x80) {
        memcpy(p, channel_id, 12);
        p = put_int(p + 12, channel_number(c));
    }
    e->url = (wr_str){start, (uint32_t)(p - start)};
    return p;
}

void wr_nexmark_gen_init(wr_nexmark_gen *gen, const wr_nexmark_config *cfg)
{
    memset(gen, 0, sizeof(*gen));
    gen->cfg = *cfg;
    gen->total_proportion =
        (int64_t)cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion;
    assert(gen->total_proportion >= 1 && cfg->rate_period_s >= 1);

    int64_t rates[10];
    gen->nsteps = shape_rates(cfg, rates);
    int64_t min_rate = INT64_MAX;
    int64_t step_s = (cfg->rate_period_s + gen->nsteps - 1) / gen->nsteps;
    gen->step_us = step_s * 1000000;
    for (int k = 0; k < gen->nsteps; k++) {
        assert(rates[k] >= 1);
        min_rate = WR_MIN(min_rate, rates[k]);
        gen->delay_us[k] = 1000000.0 / (double)rates[k];
        gen->step_events[k] = step_s * rates[k];
        gen->cycle_events += gen->step_events[k];
    }
    if (cfg->auction_proportion > 0)
        gen->auction_horizon_events =
            (int64_t)cfg->in_flight_auctions * gen->total_proportion / cfg->auction_proportion;
    /* Times stay below 2^61 us, even for an auction's horizon past the last event. */
    double limit = 0x1p61 / (1000000.0 / (double)min_rate);
    gen->max_events = WR_MAX((int64_t)WR_MIN(limit, 0x1p61) - gen->auction_horizon_events, 0);

    make_channels(gen);
    size_t channel_max = CHANNEL_TEXT_MAX;
    for (uint32_t t = 0; t < 676; t++) gen->pairs[t] = (uint16_t)(t % 26 | (t / 26) << 8);
    size_t person = PERSON_TEXT_MAX + extra_max(cfg->person_avg_size);
    size_t auction = AUCTION_TEXT_MAX + extra_max(cfg->auction_avg_size);
    size_t bid = channel_max + extra_max(cfg->bid_avg_size);
    gen->max_event_bytes = WR_MAX(person, WR_MAX(auction, bid)) + WR_NEXMARK_SLACK;
}

void wr_nexmark_gen_fini(wr_nexmark_gen *gen)
{
    wr_free(gen->paths);
    memset(gen, 0, sizeof(*gen));
}

/* ---- events --------------------------------------------------------------------------------- */

static char *person(const wr_nexmark_gen *gen, int64_t n, wr_jrandom *r, wr_nexmark_person *e,
                    char *p)
{
    e->id = last_person0(gen, n) + WR_NEXMARK_FIRST_PERSON_ID;
    char *s = p;
    p = put(p, first_names[wr_jrandom_below(r, 11)]);
    *p++ = ' ';
    p = put(p, last_names[wr_jrandom_below(r, 9)]);
    e->name = (wr_str){s, (uint32_t)(p - s)};

    s = p;
    next_string(r, 7, ' ', &p);
    *p++ = '@';
    next_string(r, 5, ' ', &p);
    memcpy(p, ".com", 4);
    p += 4;
    e->email = (wr_str){s, (uint32_t)(p - s)};

    s = p;
    for (int i = 0; i < 4; i++) {
        if (i > 0) *p++ = ' ';
        int v = wr_jrandom_below(r, 10000); /* String.format("%04d") */
        p[0] = (char)('0' + v / 1000);
        p[1] = (char)('0' + v / 100 % 10);
        p[2] = (char)('0' + v / 10 % 10);
        p[3] = (char)('0' + v % 10);
        p += 4;
    }
    e->credit_card = (wr_str){s, (uint32_t)(p - s)};

    wr_str city = cities[wr_jrandom_below(r, 10)];
    e->city = (wr_str){p, city.len};
    p = put(p, city);
    wr_str state = states[wr_jrandom_below(r, 6)];
    e->state = (wr_str){p, state.len};
    p = put(p, state);

    int size = 8 + (int)(e->name.len + e->email.len + e->credit_card.len + city.len + state.len);
    e->extra = next_extra(gen, r, size, gen->cfg.person_avg_size, &p);
    return p;
}

static char *auction(const wr_nexmark_gen *gen, int64_t n, int64_t time, wr_jrandom *r,
                     wr_nexmark_auction *e, char *p)
{
    e->id = last_auction0(gen, n) + WR_NEXMARK_FIRST_AUCTION_ID;
    if (wr_jrandom_below(r, gen->cfg.hot_sellers_ratio) > 0)
        e->seller = last_person0(gen, n) / HOT_BATCH * HOT_BATCH; /* the first of its batch */
    else
        e->seller = next_person0(gen, n, r);
    e->seller += WR_NEXMARK_FIRST_PERSON_ID;
    e->category = WR_NEXMARK_FIRST_CATEGORY_ID + wr_jrandom_below(r, NUM_CATEGORIES);
    e->initial_bid = next_price(r);
    /* Long enough on average that in_flight_auctions auctions are open at a time. */
    int64_t horizon = wr_nexmark_time_ms(gen, n + gen->auction_horizon_events) - time;
    e->expires = time + 1 + long_below(r, WR_MAX(horizon * 2, 1));
    e->item_name = next_string(r, 20, ' ', &p);
    e->description = next_string(r, 100, ' ', &p);
    e->reserve = e->initial_bid + next_price(r);
    int size = 8 + (int)(e->item_name.len + e->description.len) + 8 + 8 + 8 + 8 + 8;
    e->extra = next_extra(gen, r, size, gen->cfg.auction_avg_size, &p);
    return p;
}

static char *bid(const wr_nexmark_gen *gen, int64_t n, wr_jrandom *r, wr_nexmark_bid *e, char *p)
{
    if (wr_jrandom_below(r, gen->cfg.hot_auction_ratio) > 0)
        e->auction = last_auction0(gen, n) / HOT_BATCH * HOT_BATCH;
    else
        e->auction = next_auction0(gen, n, r);
    e->auction += WR_NEXMARK_FIRST_AUCTION_ID;
    if (wr_jrandom_below(r, gen->cfg.hot_bidders_ratio) > 0)
        e->bidder = last_person0(gen, n) / HOT_BATCH * HOT_BATCH + 1; /* not the hot seller */
    else
        e->bidder = next_person0(gen, n, r);
    e->bidder += WR_NEXMARK_FIRST_PERSON_ID;
    e->price = next_price(r);
    if (wr_jrandom_below(r, 2) > 0) { /* a hot channel: name and URL in one copy */
        int i = wr_jrandom_below(r, 4);
        memcpy(p, gen->hot_text[i], 64); /* buf has the slack */
        e->channel = (wr_str){p, gen->hot_name_len[i]};
        e->url =
            (wr_str){p + gen->hot_name_len[i], (uint32_t)(gen->hot_len[i] - gen->hot_name_len[i])};
        p += gen->hot_len[i];
    } else {
        p = put_channel(gen, wr_jrandom_below(r, NUM_CHANNELS), e, p);
    }
    e->extra = next_extra(gen, r, 8 + 8 + 8 + 8, gen->cfg.bid_avg_size, &p);
    return p;
}

size_t wr_nexmark_generate(const wr_nexmark_gen *gen, int64_t n, wr_nexmark_event *ev, char *buf)
{
    wr_jrandom r;
    wr_jrandom_seed(&r, n);
    int64_t time = wr_nexmark_time_ms(gen, n);
    ev->kind = wr_nexmark_kind_of(gen, n);
    ev->time = time;
    char *end;
    switch (ev->kind) {
    case WR_NEXMARK_PERSON:
        end = person(gen, n, &r, &ev->person, buf);
        ev->person.date_time = time;
        break;
    case WR_NEXMARK_AUCTION:
        end = auction(gen, n, time, &r, &ev->auction, buf);
        ev->auction.date_time = time;
        break;
    default:
        end = bid(gen, n, &r, &ev->bid, buf);
        ev->bid.date_time = time;
        break;
    }
    return (size_t)(end - buf);
}
