/*
 * nexmark_gen.h — the Nexmark benchmark's event generator, without batches.
 *
 * Event number n (0, 1, 2, ...) alone decides event n: its kind (by n modulo
 * the sum of the proportions), its time (from the rate), and every field,
 * drawn from a java.util.Random seeded with n, in the order the nexmark
 * project's generator draws them. So any subtask can produce any event, any
 * split of the numbers among subtasks yields the same events, and a restore
 * only needs to remember which numbers are left. The source operator
 * (nexmark.c) turns events into rows; this module knows nothing of batches.
 */
#ifndef WR_NEXMARK_GEN_H
#define WR_NEXMARK_GEN_H

#include "../types/types.h"

/* Ids start here, so that small runs still find matches (as in the nexmark project). */
#define WR_NEXMARK_FIRST_PERSON_ID 1000
#define WR_NEXMARK_FIRST_AUCTION_ID 1000
#define WR_NEXMARK_FIRST_CATEGORY_ID 10
/* Bids and auctions may name a person or auction up to this many ids past the last one made. */
#define WR_NEXMARK_ID_LEAD 10

typedef enum wr_nexmark_kind {
    WR_NEXMARK_PERSON = 0, /* the values of the table's event_type */
    WR_NEXMARK_AUCTION = 1,
    WR_NEXMARK_BID = 2,
} wr_nexmark_kind;

typedef enum wr_nexmark_shape {
    WR_NEXMARK_SQUARE = 0, /* first-event.rate, then next-event.rate, each half a period */
    WR_NEXMARK_SINE = 1,   /* ten steps along a cosine from the first rate to the next and back */
} wr_nexmark_shape;

/*
 * What decides the events: the nexmark project's NexmarkConfiguration
 * fields that affect generation (option names in docs/connectors.md (nexmark)).
 * wr_nexmark_config_default gives the project's defaults; the source checks
 * the ranges noted here before wr_nexmark_gen_init.
 */
typedef struct wr_nexmark_config {
    int64_t first_event_rate; /* events per second over all subtasks, 1..INT32_MAX */
    int64_t next_event_rate;  /* the rate the shape moves to, 1..INT32_MAX */
    int rate_shape;           /* wr_nexmark_shape */
    int64_t rate_period_s;    /* one cycle of the shape, >= 1 */
    int32_t person_avg_size;  /* bytes an event averages, with its extra padding; 0..1 MiB */
    int32_t auction_avg_size;
    int32_t bid_avg_size;
    int32_t person_proportion;  /* of every person_proportion + auction_proportion + */
    int32_t auction_proportion; /* bid_proportion events; each 0..1000000, sum >= 1 */
    int32_t bid_proportion;
    int32_t hot_auction_ratio;  /* a bid is for a hot auction with probability 1 - 1/ratio; >= 1 */
    int32_t hot_bidders_ratio;  /* ... by a hot bidder */
    int32_t hot_sellers_ratio;  /* an auction is by a hot seller with probability 1 - 1/ratio */
    int32_t active_people;      /* people bids and auctions choose from, 1..10^9 */
    int32_t in_flight_auctions; /* auctions bids choose from; sets auction lengths; 1..1000000 */
} wr_nexmark_config;

void wr_nexmark_config_default(wr_nexmark_config *cfg);

/*
 * The generator: the configuration and what follows from it. Immutable after
 * wr_nexmark_gen_init, so subtasks on any thread share one.
 */
typedef struct wr_nexmark_gen {
    wr_nexmark_config cfg;
    int64_t total_proportion;
    /* Time. One rate: event n is at n * delay_us (truncated to us, then to ms). A shape: the
     * cycle has nsteps steps of step_us, step k holding step_events[k] events delay[k] apart. */
    int nsteps;
    double delay_us[10];
    int64_t step_events[10];
    int64_t cycle_events;
    int64_t step_us;
    /* Events numbered at and past this have times that no longer fit: the end of an
     * "unbounded" source (over 70000 years of event time at 1 event per second). */
    int64_t max_events;
    /* Events until in_flight_auctions more auctions are made: an auction's mean length. */
    int64_t auction_horizon_events;
    /* The channels of bids. The 4 hot ones: name and URL, one after the other (hot_name_len
     * bytes of name, hot_len in all). channel-c (c < 10000): the part of its URL that varies,
     * "abc/de_f/ghi/" (at most 15 bytes), with in byte 15 its length, plus 0x80 when the URL
     * ends with a channel id; 16 bytes a channel, so the table stays in a core's cache. */
    char hot_text[4][64];
    uint8_t hot_len[4], hot_name_len[4];
    uint8_t (*paths)[16];
    /* Letter pairs: entry t holds the base-26 digits of t in bytes 0 and 1. */
    uint16_t pairs[676];
    /* The most bytes wr_nexmark_generate writes for one event, WR_NEXMARK_SLACK included. */
    size_t max_event_bytes;
} wr_nexmark_gen;

/* Sets gen up for cfg (whose ranges are valid; see wr_nexmark_config). */
void wr_nexmark_gen_init(wr_nexmark_gen *gen, const wr_nexmark_config *cfg);
void wr_nexmark_gen_fini(wr_nexmark_gen *gen);

/* The kind of event n. */
static inline wr_nexmark_kind wr_nexmark_kind_of(const wr_nexmark_gen *gen, int64_t n)
{
    int64_t rem = n % gen->total_proportion;
    if (rem < gen->cfg.person_proportion) return WR_NEXMARK_PERSON;
    if (rem < gen->cfg.person_proportion + gen->cfg.auction_proportion) return WR_NEXMARK_AUCTION;
    return WR_NEXMARK_BID;
}

/* The time of event n in milliseconds after event 0's (0 <= n <= max_events + horizon). */
int64_t wr_nexmark_time_ms(const wr_nexmark_gen *gen, int64_t n);

/* The id of the last person (auction) made at or before event n; -1 plus the first id: none. */
int64_t wr_nexmark_last_person(const wr_nexmark_gen *gen, int64_t n);
int64_t wr_nexmark_last_auction(const wr_nexmark_gen *gen, int64_t n);

/* One event. Times are milliseconds after event 0's (the source adds its base time). */
typedef struct wr_nexmark_person {
    int64_t id;
    wr_str name, email, credit_card, city, state;
    int64_t date_time;
    wr_str extra;
} wr_nexmark_person;

typedef struct wr_nexmark_auction {
    int64_t id;
    wr_str item_name, description;
    int64_t initial_bid, reserve, date_time, expires, seller, category;
    wr_str extra;
} wr_nexmark_auction;

typedef struct wr_nexmark_bid {
    int64_t auction, bidder, price;
    wr_str channel, url;
    int64_t date_time;
    wr_str extra;
} wr_nexmark_bid;

typedef struct wr_nexmark_event {
    wr_nexmark_kind kind;
    int64_t time; /* the event's date_time */
    union {
        wr_nexmark_person person;
        wr_nexmark_auction auction;
        wr_nexmark_bid bid;
    };
} wr_nexmark_event;

/* Bytes past the end of an event's strings that wr_nexmark_generate may overwrite. */
#define WR_NEXMARK_SLACK 16

/*
 * Generates event n (0 <= n < max_events) into ev. The bytes of its string
 * fields are written to buf, which must hold gen->max_event_bytes, back to
 * back in the order of the fields (so they form the payload of the event's
 * ROW encoding), and ev's views point there. Returns the length of the
 * strings; up to WR_NEXMARK_SLACK bytes after them may have been overwritten.
 */
size_t wr_nexmark_generate(const wr_nexmark_gen *gen, int64_t n, wr_nexmark_event *ev, char *buf);

/*
 * java.util.Random, as its documentation specifies it: a 48-bit linear
 * congruential generator and the methods the generator draws with. Exposed
 * for tests.
 */
typedef struct wr_jrandom {
    uint64_t seed;
} wr_jrandom;

#define WR_JRANDOM_MULT 0x5DEECE66DULL
#define WR_JRANDOM_MASK ((1ULL << 48) - 1)

static inline void wr_jrandom_seed(wr_jrandom *r, int64_t seed)
{
    r->seed = ((uint64_t)seed ^ WR_JRANDOM_MULT) & WR_JRANDOM_MASK;
}

/* next(bits): the top `bits` bits of the next state, as a Java int. */
static inline int32_t wr_jrandom_next(wr_jrandom *r, int bits)
{
    r->seed = (r->seed * WR_JRANDOM_MULT + 0xB) & WR_JRANDOM_MASK;
    return (int32_t)(uint32_t)(r->seed >> (48 - bits));
}

static inline int32_t wr_jrandom_int(wr_jrandom *r)
{
    return wr_jrandom_next(r, 32);
}

/* nextInt(bound), bound >= 1: uniform in [0, bound), rejecting the uneven top of the range. */
static inline int32_t wr_jrandom_below(wr_jrandom *r, int32_t bound)
{
    int32_t bits = wr_jrandom_next(r, 31);
    if ((bound & (bound - 1)) == 0) return (int32_t)(((int64_t)bound * bits) >> 31);
    int32_t val = bits % bound;
    /* Java's `bits - val + (bound - 1) < 0`: the sum overflowed an int. */
    while ((int64_t)bits - val + (bound - 1) > INT32_MAX) {
        bits = wr_jrandom_next(r, 31);
        val = bits % bound;
    }
    return val;
}

static inline int64_t wr_jrandom_long(wr_jrandom *r)
{
    uint64_t hi = (uint64_t)(int64_t)wr_jrandom_next(r, 32);
    uint64_t lo = (uint64_t)(int64_t)wr_jrandom_next(r, 32);
    return (int64_t)((hi << 32) + lo);
}

static inline double wr_jrandom_double(wr_jrandom *r)
{
    int64_t hi = wr_jrandom_next(r, 26), lo = wr_jrandom_next(r, 27);
    return (double)((hi << 27) + lo) * 0x1p-53;
}

#endif
