/*
 * snapshot.c — writing and restoring key-group snapshots; see snapshot.h and
 * docs/checkpoints.md for the format.
 *
 * Restore reads a snapshot twice with one parser: a checking pass that
 * touches nothing, then an applying pass that cannot fail. That is what lets
 * a bad snapshot leave the backend exactly as it was.
 */
#include "snapshot.h"
#include "keygroup.h"
#include "../base/alloc.h"
#include "../base/hash.h"
#include "../base/wr.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char MAGIC[4] = {'W', 'R', 'K', 'G'};

/* Smallest possible snapshot: header, no states, no entries, no timers, checksum. */
#define MIN_SIZE (WR_STATE_SNAPSHOT_HEADER + 4 + 8 + 8 + 8)

/* ---- little-endian fixed-width integers ---- */

/* Encoders write at b and return the byte after what they wrote. */
static unsigned char *enc_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    return b + 4;
}

static unsigned char *enc_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    return b + 8;
}

/* A length-prefixed byte string. */
static unsigned char *enc_bytes(unsigned char *b, const void *p, size_t n)
{
    assert(n <= UINT32_MAX); /* the backend stores lengths as u32 */
    b = enc_u32(b, (uint32_t)n);
    if (n) memcpy(b, p, n);
    return b + n;
}

/*
 * Writing to a wr_buf: room() reserves the bytes of a whole piece (an entry's
 * head, an element), the encoders fill them and commit() takes them, so a
 * piece costs one call instead of one per field.
 */
static unsigned char *room(wr_buf *out, size_t n)
{
    return (unsigned char *)wr_buf_reserve(out, n);
}

static void commit(wr_buf *out, unsigned char *end)
{
    out->len = (size_t)((char *)end - out->data);
    out->data[out->len] = '\0'; /* wr_buf_reserve keeps room for it */
}

static void put_u8(wr_buf *out, uint8_t v)
{
    wr_buf_append(out, &v, 1);
}

static void put_u32(wr_buf *out, uint32_t v)
{
    commit(out, enc_u32(room(out, 4), v));
}

static void put_u64(wr_buf *out, uint64_t v)
{
    commit(out, enc_u64(room(out, 8), v));
}

static void put_bytes(wr_buf *out, const void *p, size_t n)
{
    commit(out, enc_bytes(room(out, 4 + n), p, n));
}

static uint32_t dec_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t dec_u64(const unsigned char *b)
{
    return (uint64_t)dec_u32(b) | (uint64_t)dec_u32(b + 4) << 32;
}

/* ---- writing ---- */

typedef struct writer {
    wr_keyed *ks;
    wr_buf *out;
    uint64_t n; /* entries or timers written */
} writer;

/* An entry: state index, key, namespace, then its content. */
static void write_entry(void *arg, const wr_keyed_entry *e)
{
    writer *w = arg;
    wr_buf *out = w->out;
    unsigned char *b = room(out, 16 + e->klen + e->nslen);
    b = enc_u32(b, (uint32_t)e->id);
    b = enc_bytes(b, e->key, e->klen);
    b = enc_bytes(b, e->ns, e->nslen);
    size_t pos = 0, count_at = 0;
    uint32_t count = 0;
    if (e->kind != WR_STATE_VALUE) { /* element count, patched below */
        count_at = (size_t)((char *)b - out->data);
        b += 4;
    }
    commit(out, b);
    wr_keyed_item item;
    while (wr_keyed_entry_next(w->ks, e, &pos, &item)) {
        b = enc_u64(room(out, 16 + item.uklen + item.len), (uint64_t)item.ts);
        if (e->kind == WR_STATE_MAP) b = enc_bytes(b, item.ukey, item.uklen);
        commit(out, enc_bytes(b, item.val, item.len));
        count++;
    }
    if (e->kind != WR_STATE_VALUE) enc_u32((unsigned char *)out->data + count_at, count);
    w->n++;
}

static void write_timer(void *arg, const wr_timer *t)
{
    writer *w = arg;
    put_u8(w->out, (uint8_t)t->domain);
    put_u64(w->out, (uint64_t)t->time);
    put_bytes(w->out, t->key, t->klen);
    put_bytes(w->out, t->ns, t->nslen);
    w->n++;
}

void wr_state_snapshot_kg(wr_keyed *ks, wr_timers *timers, int kg, wr_buf *out)
{
    int maxpar, first, last;
    wr_keyed_keygroups(ks, &maxpar, &first, &last);
    assert(kg >= first && kg <= last);
    size_t start = out->len;
    wr_buf_append(out, MAGIC, 4);
    put_u32(out, WR_STATE_SNAPSHOT_VERSION);
    put_u64(out, 0); /* total size, patched below */
    put_u32(out, (uint32_t)kg);
    put_u32(out, (uint32_t)maxpar);

    /* Every registered state, in id order: an entry's state index is its id here. */
    int nstates = wr_keyed_nstates(ks);
    put_u32(out, (uint32_t)nstates);
    for (int id = 0; id < nstates; id++) {
        const char *name = wr_keyed_state_name(ks, id);
        wr_state_ttl ttl = wr_keyed_state_ttl(ks, id);
        put_bytes(out, name, strlen(name));
        put_u8(out, (uint8_t)wr_keyed_state_kind(ks, id));
        put_u8(out, (uint8_t)ttl.update);
        put_u64(out, (uint64_t)ttl.ttl_ms);
    }

    writer w = {ks, out, 0};
    size_t count_at = out->len;
    put_u64(out, 0);
    wr_keyed_for_each(ks, kg, write_entry, &w);
    enc_u64((unsigned char *)out->data + count_at, w.n);

    w.n = 0;
    count_at = out->len;
    put_u64(out, 0);
    if (timers) wr_timers_for_each(timers, kg, write_timer, &w);
    enc_u64((unsigned char *)out->data + count_at, w.n);

    enc_u64((unsigned char *)out->data + start + 8, out->len + 8 - start);
    put_u64(out, wr_hash_bytes(out->data + start, out->len - start));
}

/* ---- reading ---- */

typedef struct reader {
    const unsigned char *base, *p, *end;
    wr_error *err;
} reader;

static size_t offset_of(const reader *r)
{
    return (size_t)(r->p - r->base);
}

static int fail_at(wr_error *err, size_t offset, const char *what)
{
    return wr_error_set_at(err, WR_ERR_IO, (int)WR_MIN(offset, (size_t)INT_MAX),
                           "key-group snapshot: %s at byte %zu", what, offset);
}

/* Whether n more bytes are there; otherwise fails naming what was being read. */
static bool need(reader *r, size_t n, const char *what)
{
    if ((size_t)(r->end - r->p) >= n) return true;
    char msg[160];
    snprintf(msg, sizeof(msg), "truncated %s (%zu bytes needed, %zu left)", what, n,
             (size_t)(r->end - r->p));
    fail_at(r->err, offset_of(r), msg);
    return false;
}

static bool get_u8(reader *r, uint8_t *v, const char *what)
{
    if (!need(r, 1, what)) return false;
    *v = *r->p++;
    return true;
}

static bool get_u32(reader *r, uint32_t *v, const char *what)
{
    if (!need(r, 4, what)) return false;
    *v = dec_u32(r->p);
    r->p += 4;
    return true;
}

static bool get_u64(reader *r, uint64_t *v, const char *what)
{
    if (!need(r, 8, what)) return false;
    *v = dec_u64(r->p);
    r->p += 8;
    return true;
}

static bool get_i64(reader *r, int64_t *v, const char *what)
{
    uint64_t u;
    if (!get_u64(r, &u, what)) return false;
    memcpy(v, &u, 8); /* two's complement */
    return true;
}

static bool get_bytes(reader *r, const void **p, size_t *n, const char *what)
{
    uint32_t len;
    if (!get_u32(r, &len, what) || !need(r, len, what)) return false;
    *p = r->p;
    *n = len;
    r->p += len;
    return true;
}

/* The fixed header. */
typedef struct header {
    uint64_t size;
    uint32_t kg, maxpar;
} header;

/* Checks magic, version and size: what locating the checksum needs. */
static int read_header(const void *data, size_t len, header *h, wr_error *err)
{
    const unsigned char *b = data;
    if (len >= 4 && memcmp(b, MAGIC, 4) != 0)
        return fail_at(err, 0, "bad magic (not a key-group snapshot)");
    if (len < WR_STATE_SNAPSHOT_HEADER) {
        char msg[96];
        snprintf(msg, sizeof(msg), "truncated header (%zu of %d bytes)", len,
                 WR_STATE_SNAPSHOT_HEADER);
        return fail_at(err, len, msg);
    }
    char msg[128];
    uint32_t version = dec_u32(b + 4);
    if (version != WR_STATE_SNAPSHOT_VERSION) {
        snprintf(msg, sizeof(msg), "unsupported format version %" PRIu32 " (this build reads %d)",
                 version, WR_STATE_SNAPSHOT_VERSION);
        return fail_at(err, 4, msg);
    }
    h->size = dec_u64(b + 8);
    h->kg = dec_u32(b + 16);
    h->maxpar = dec_u32(b + 20);
    if (h->size < MIN_SIZE) {
        snprintf(msg, sizeof(msg), "impossible size %" PRIu64, h->size);
        return fail_at(err, 8, msg);
    }
    return 0;
}

/* Checks the key group against the max parallelism. */
static int check_group(const header *h, wr_error *err)
{
    char msg[128];
    if (h->maxpar == 0 || h->maxpar > INT_MAX || h->kg >= h->maxpar) {
        snprintf(msg, sizeof(msg), "bad key group %" PRIu32 " of max parallelism %" PRIu32, h->kg,
                 h->maxpar);
        return fail_at(err, 16, msg);
    }
    return 0;
}

int wr_state_snapshot_keygroup(const void *data, size_t len, wr_error *err)
{
    header h;
    return read_header(data, len, &h, err) || check_group(&h, err) ? -1 : (int)h.kg;
}

size_t wr_state_snapshot_size(const void *data, size_t len, wr_error *err)
{
    header h;
    if (read_header(data, len, &h, err)) return 0;
    if (h.size > SIZE_MAX) {
        fail_at(err, 8, "size beyond this machine's address space");
        return 0;
    }
    return (size_t)h.size;
}

/* ---- restoring ---- */

/* A state of the snapshot's table and the backend state it maps to. */
typedef struct snap_state {
    char *name;
    wr_state_kind kind;
    wr_state_ttl ttl;
    int id; /* in the backend; -1 until registered by the applying pass */
} snap_state;

typedef struct restore {
    wr_keyed *ks;
    wr_timers *timers;
    int kg, maxpar;
    snap_state *states;
    uint32_t nstates;
    int64_t now; /* last access of content whose snapshot state had no TTL */
} restore;

static const char *kind_name(wr_state_kind kind)
{
    switch (kind) {
    case WR_STATE_VALUE:
        return "value";
    case WR_STATE_LIST:
        return "list";
    case WR_STATE_MAP:
        return "map";
    }
    return "?";
}

/* Reads the state table and maps each state by name to the backend's. */
static int read_states(reader *r, restore *rs)
{
    char msg[WR_ERROR_MSG_MAX / 2];
    if (!get_u32(r, &rs->nstates, "state count")) return WR_ERR_IO;
    /* Each state takes at least 14 bytes: bounds the allocation by the data. */
    if ((size_t)(r->end - r->p) / 14 < rs->nstates) {
        snprintf(msg, sizeof(msg), "state count %" PRIu32 " larger than the snapshot", rs->nstates);
        return fail_at(r->err, offset_of(r) - 4, msg);
    }
    rs->states = wr_calloc(rs->nstates ? rs->nstates : 1, sizeof(snap_state));
    for (uint32_t i = 0; i < rs->nstates; i++) {
        snap_state *st = &rs->states[i];
        size_t at = offset_of(r);
        const void *name;
        size_t nlen;
        uint8_t kind, update;
        uint64_t ttl;
        if (!get_bytes(r, &name, &nlen, "state name") || !get_u8(r, &kind, "state kind") ||
            !get_u8(r, &update, "state TTL update") || !get_u64(r, &ttl, "state TTL"))
            return WR_ERR_IO;
        if (memchr(name, '\0', nlen)) return fail_at(r->err, at, "state name with a NUL byte");
        st->name = wr_strndup(name, nlen);
        st->id = -1;
        if (kind > WR_STATE_MAP || update > WR_TTL_ON_READ_AND_WRITE || ttl > INT64_MAX) {
            snprintf(msg, sizeof(msg),
                     "state '%.100s' has bad kind %u, TTL update %u or TTL %" PRIu64, st->name,
                     kind, update, ttl);
            return fail_at(r->err, at, msg);
        }
        st->kind = (wr_state_kind)kind;
        st->ttl = (wr_state_ttl){.ttl_ms = (int64_t)ttl, .update = (wr_ttl_update)update};
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(rs->states[j].name, st->name) == 0) {
                snprintf(msg, sizeof(msg), "state '%.100s' listed twice", st->name);
                return fail_at(r->err, at, msg);
            }
        }
        int id = wr_keyed_state_id(rs->ks, st->name);
        if (id >= 0 && wr_keyed_state_kind(rs->ks, id) != st->kind) {
            snprintf(msg, sizeof(msg),
                     "state '%.100s' is %s state in the snapshot but %s state here", st->name,
                     kind_name(st->kind), kind_name(wr_keyed_state_kind(rs->ks, id)));
            return fail_at(r->err, at, msg);
        }
    }
    return 0;
}

/* Whether the key belongs to the snapshot's key group; fails otherwise. */
static bool key_in_group(reader *r, const restore *rs, size_t at, const void *key, size_t klen)
{
    int kg = wr_keygroup_of_hash(wr_hash_bytes(key, klen), rs->maxpar);
    if (kg == rs->kg) return true;
    char msg[128];
    snprintf(msg, sizeof(msg), "key of key group %d in the snapshot of key group %d", kg, rs->kg);
    fail_at(r->err, at, msg);
    return false;
}

/*
 * Reads the entries; stores them when apply is set, which only the second
 * pass over a checked snapshot does (the checks cannot fail then).
 */
static int read_entries(reader *r, restore *rs, bool apply)
{
    char msg[128];
    uint64_t n;
    if (!get_u64(r, &n, "entry count")) return WR_ERR_IO;
    for (uint64_t i = 0; i < n; i++) {
        size_t at = offset_of(r);
        uint32_t sidx;
        const void *key, *ns;
        size_t klen, nslen;
        if (!get_u32(r, &sidx, "entry state") || !get_bytes(r, &key, &klen, "entry key") ||
            !get_bytes(r, &ns, &nslen, "entry namespace"))
            return WR_ERR_IO;
        if (sidx >= rs->nstates) {
            snprintf(msg, sizeof(msg), "entry of state %" PRIu32 " of %" PRIu32, sidx, rs->nstates);
            return fail_at(r->err, at, msg);
        }
        if (!apply && !key_in_group(r, rs, at, key, klen)) return WR_ERR_IO;
        const snap_state *st = &rs->states[sidx];
        if (apply) wr_keyed_set_key(rs->ks, key, klen);
        uint32_t count = 1;
        if (st->kind != WR_STATE_VALUE) {
            if (!get_u32(r, &count, "element count")) return WR_ERR_IO;
            if (count == 0) return fail_at(r->err, at, "empty list or map entry");
        }
        for (uint32_t k = 0; k < count; k++) {
            int64_t ts;
            const void *ukey = NULL, *val;
            size_t uklen = 0, len;
            if (!get_i64(r, &ts, "last-access time") ||
                (st->kind == WR_STATE_MAP && !get_bytes(r, &ukey, &uklen, "map key")) ||
                !get_bytes(r, &val, &len, "value"))
                return WR_ERR_IO;
            if (!apply) continue;
            if (st->ttl.ttl_ms == 0) ts = rs->now;
            switch (st->kind) {
            case WR_STATE_VALUE:
                wr_keyed_value_restore(rs->ks, st->id, ns, nslen, val, len, ts);
                break;
            case WR_STATE_LIST:
                wr_keyed_list_restore(rs->ks, st->id, ns, nslen, val, len, ts);
                break;
            case WR_STATE_MAP:
                wr_keyed_map_restore(rs->ks, st->id, ns, nslen, ukey, uklen, val, len, ts);
                break;
            }
        }
    }
    return 0;
}

static int read_timers(reader *r, restore *rs, bool apply)
{
    uint64_t n;
    if (!get_u64(r, &n, "timer count")) return WR_ERR_IO;
    if (n && !rs->timers)
        return wr_error_set(r->err, WR_ERR_ARGUMENT,
                            "key-group snapshot of key group %d has %" PRIu64
                            " timers and no timer service to restore them into",
                            rs->kg, n);
    for (uint64_t i = 0; i < n; i++) {
        size_t at = offset_of(r);
        uint8_t domain;
        int64_t time;
        const void *key, *ns;
        size_t klen, nslen;
        if (!get_u8(r, &domain, "timer domain") || !get_i64(r, &time, "timer time") ||
            !get_bytes(r, &key, &klen, "timer key") ||
            !get_bytes(r, &ns, &nslen, "timer namespace"))
            return WR_ERR_IO;
        if (domain > WR_PROCESSING_TIME) return fail_at(r->err, at, "bad timer domain");
        if (!apply && !key_in_group(r, rs, at, key, klen)) return WR_ERR_IO;
        if (apply)
            wr_timers_register(rs->timers, (wr_time_domain)domain, time, key, klen, ns, nslen,
                               rs->kg);
    }
    return 0;
}

/* Reads everything after the header; see read_entries for apply. */
static int read_body(reader *r, restore *rs, bool apply)
{
    int rc = read_entries(r, rs, apply);
    if (rc == 0) rc = read_timers(r, rs, apply);
    if (rc == 0 && r->p != r->end) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%zu unread bytes before the checksum", (size_t)(r->end - r->p));
        rc = fail_at(r->err, offset_of(r), msg);
    }
    return rc;
}

int wr_state_restore_kg(wr_keyed *ks, wr_timers *timers, const void *data, size_t len,
                        wr_error *err)
{
    header h;
    int rc = read_header(data, len, &h, err);
    if (rc) return rc;
    char msg[160];
    if (len < h.size) {
        snprintf(msg, sizeof(msg), "truncated (%zu of %" PRIu64 " bytes)", len, h.size);
        return fail_at(err, len, msg);
    }
    if (len > h.size) {
        snprintf(msg, sizeof(msg), "%zu bytes after the end of the snapshot", len - (size_t)h.size);
        return fail_at(err, (size_t)h.size, msg);
    }
    const unsigned char *b = data;
    uint64_t stored = dec_u64(b + len - 8), computed = wr_hash_bytes(b, len - 8);
    if (stored != computed) {
        snprintf(msg, sizeof(msg),
                 "checksum mismatch (stored %016" PRIx64 ", computed %016" PRIx64 ")", stored,
                 computed);
        return fail_at(err, len - 8, msg);
    }

    rc = check_group(&h, err);
    if (rc) return rc;
    int maxpar, first, last;
    wr_keyed_keygroups(ks, &maxpar, &first, &last);
    if (h.maxpar != (uint32_t)maxpar) {
        snprintf(msg, sizeof(msg),
                 "taken at max parallelism %" PRIu32 ", restored at %d: key groups differ",
                 h.maxpar, maxpar);
        return fail_at(err, 20, msg);
    }
    int kg = (int)h.kg;
    if (kg < first || kg > last)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "key-group snapshot of key group %d restored into a backend of key "
                            "groups %d..%d",
                            kg, first, last);
    if (wr_keyed_group_count(ks, kg) != 0)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "key-group snapshot of key group %d restored into a backend that "
                            "already holds state of that group",
                            kg);

    restore rs = {.ks = ks, .timers = timers, .kg = kg, .maxpar = maxpar};
    reader r = {.base = b, .p = b + WR_STATE_SNAPSHOT_HEADER, .end = b + len - 8, .err = err};
    rc = read_states(&r, &rs);
    if (rc) goto done;
    const unsigned char *body = r.p;
    rc = read_body(&r, &rs, false);
    if (rc) goto done;

    /* Checked: from here on nothing fails. */
    for (uint32_t i = 0; i < rs.nstates; i++) {
        snap_state *st = &rs.states[i];
        st->id = wr_keyed_register(ks, st->name, st->kind, &st->ttl);
        assert(st->id >= 0);
    }
    rs.now = wr_keyed_now(ks);
    r.p = body;
    rc = read_body(&r, &rs, true);
    assert(rc == 0);

done:
    for (uint32_t i = 0; rs.states && i < rs.nstates; i++) wr_free(rs.states[i].name);
    wr_free(rs.states);
    return rc;
}
