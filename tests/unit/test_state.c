/*
 * test_state.c — the heap keyed-state backend (value, list, map state, TTL,
 * key groups) and the timer service.
 */
#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/state/keyed.h"
#include "../../src/state/keygroup.h"
#include "../../src/state/timers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(s) s, strlen(s) /* a C string as (bytes, length) */

static int64_t fake_now;

static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

/* A backend owning every key group, on the fake clock. */
static wr_keyed *backend(void)
{
    fake_now = 1000;
    return wr_keyed_new(WR_DEFAULT_MAX_PARALLELISM, 0, WR_DEFAULT_MAX_PARALLELISM - 1, fake_clock,
                        NULL);
}

/* Asserts that value state id holds str for the current key and ns. */
static void assert_value(wr_keyed *ks, int id, const char *ns, const char *str)
{
    size_t len;
    const char *v = wr_keyed_value_get(ks, id, S(ns), &len);
    if (str == NULL) {
        cr_assert_null(v, "expected no value in ns '%s'", ns);
        return;
    }
    cr_assert_not_null(v, "expected '%s' in ns '%s'", str, ns);
    cr_assert_eq(len, strlen(str));
    cr_assert(memcmp(v, str, len) == 0, "got '%.*s', expected '%s'", (int)len, v, str);
}

/* The list's live elements joined with ',' (at most 255 bytes). */
static const char *list_str(wr_keyed *ks, int id, const char *ns)
{
    static char out[256];
    size_t pos = 0, len, n = 0;
    const void *v;
    out[0] = '\0';
    while (wr_keyed_list_next(ks, id, S(ns), &pos, &v, &len)) {
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s", n ? "," : "", (int)len,
                              (const char *)v);
    }
    return out;
}

static int map_size(wr_keyed *ks, int id, const char *ns)
{
    size_t pos = 0, uklen, len;
    const void *uk, *v;
    int n = 0;
    while (wr_keyed_map_next(ks, id, S(ns), &pos, &uk, &uklen, &v, &len)) n++;
    return n;
}

Test(keyed, register_returns_ids_and_rejects_a_kind_change)
{
    wr_keyed *ks = backend();
    cr_assert_eq(wr_keyed_register(ks, "sum", WR_STATE_VALUE, NULL), 0);
    cr_assert_eq(wr_keyed_register(ks, "rows", WR_STATE_LIST, NULL), 1);
    cr_assert_eq(wr_keyed_register(ks, "sum", WR_STATE_VALUE, NULL), 0);
    cr_assert_eq(wr_keyed_register(ks, "sum", WR_STATE_MAP, NULL), -1);
    cr_assert_eq(wr_keyed_nstates(ks), 2);
    cr_assert_str_eq(wr_keyed_state_name(ks, 1), "rows");
    wr_keyed_free(ks);
}

Test(keyed, set_key_copies_the_key_and_computes_its_group)
{
    wr_keyed *ks = backend();
    char key[] = "user-42";
    wr_keyed_set_key(ks, S(key));
    key[0] = 'X'; /* the backend must hold its own copy */
    size_t len;
    const char *k = wr_keyed_key(ks, &len);
    cr_assert_eq(len, 7);
    cr_assert(memcmp(k, "user-42", 7) == 0);
    cr_assert_eq(wr_keyed_keygroup(ks),
                 wr_keygroup_of_hash(wr_hash_bytes("user-42", 7), WR_DEFAULT_MAX_PARALLELISM));
    wr_keyed_free(ks);
}

Test(keyed, value_put_get_overwrite_isolated_by_key_namespace_and_state)
{
    long live = wr_alloc_live();
    wr_keyed *ks = backend();
    int a = wr_keyed_register(ks, "a", WR_STATE_VALUE, NULL);
    int b = wr_keyed_register(ks, "b", WR_STATE_VALUE, NULL);
    wr_keyed_set_key(ks, S("k1"));
    assert_value(ks, a, "", NULL);
    wr_keyed_value_put(ks, a, S(""), S("one"));
    wr_keyed_value_put(ks, a, S("w1"), S("win"));
    wr_keyed_value_put(ks, b, S(""), S("other"));
    wr_keyed_set_key(ks, S("k2"));
    assert_value(ks, a, "", NULL);
    wr_keyed_value_put(ks, a, S(""), S("two"));
    wr_keyed_set_key(ks, S("k1"));
    assert_value(ks, a, "", "one");
    assert_value(ks, a, "w1", "win");
    assert_value(ks, a, "w2", NULL);
    assert_value(ks, b, "", "other");
    /* Overwrite with a longer value (reallocates) and then a shorter one. */
    wr_keyed_value_put(ks, a, S(""), S("a much longer value than before"));
    assert_value(ks, a, "", "a much longer value than before");
    wr_keyed_value_put(ks, a, S(""), S("x"));
    assert_value(ks, a, "", "x");
    /* Writing a value back from its own getter pointer. */
    size_t len;
    const void *v = wr_keyed_value_get(ks, a, S("w1"), &len);
    wr_keyed_value_put(ks, a, S("w1"), v, len);
    assert_value(ks, a, "w1", "win");
    wr_keyed_set_key(ks, S("k2"));
    assert_value(ks, a, "", "two");
    cr_assert_eq(wr_keyed_count(ks), 4);
    wr_keyed_free(ks);
    cr_assert_eq(wr_alloc_live(), live, "leaked %ld blocks", wr_alloc_live() - live);
}

Test(keyed, empty_value_and_empty_key_are_present)
{
    wr_keyed *ks = backend();
    int id = wr_keyed_register(ks, "v", WR_STATE_VALUE, NULL);
    wr_keyed_set_key(ks, NULL, 0);
    wr_keyed_value_put(ks, id, NULL, 0, NULL, 0);
    size_t len = 99;
    cr_assert_not_null(wr_keyed_value_get(ks, id, NULL, 0, &len));
    cr_assert_eq(len, 0);
    cr_assert(wr_keyed_exists(ks, id, NULL, 0));
    wr_keyed_free(ks);
}

Test(keyed, list_add_iterates_in_insertion_order)
{
    wr_keyed *ks = backend();
    int id = wr_keyed_register(ks, "l", WR_STATE_LIST, NULL);
    wr_keyed_set_key(ks, S("k"));
    cr_assert_str_eq(list_str(ks, id, ""), "");
    const char *words[] = {"alpha", "b", "", "gamma", "delta"};
    for (int i = 0; i < 5; i++) wr_keyed_list_add(ks, id, S(""), S(words[i]));
    wr_keyed_list_add(ks, id, S("other"), S("z"));
    cr_assert_str_eq(list_str(ks, id, ""), "alpha,b,,gamma,delta");
    cr_assert_str_eq(list_str(ks, id, "other"), "z");
    /* Many elements force the buffer to grow; order must survive. */
    for (int i = 0; i < 1000; i++) {
        char s[16];
        snprintf(s, sizeof(s), "%d", i);
        wr_keyed_list_add(ks, id, S("big"), S(s));
    }
    size_t pos = 0, len;
    const void *v;
    int i = 0;
    while (wr_keyed_list_next(ks, id, S("big"), &pos, &v, &len)) {
        char s[16];
        snprintf(s, sizeof(s), "%d", i++);
        cr_assert(len == strlen(s) && memcmp(v, s, len) == 0, "element %d", i - 1);
    }
    cr_assert_eq(i, 1000);
    cr_assert_eq(wr_keyed_count(ks), 3);
    wr_keyed_free(ks);
}

Test(keyed, list_add_of_an_element_of_the_same_list)
{
    wr_keyed *ks = backend();
    int id = wr_keyed_register(ks, "l", WR_STATE_LIST, NULL);
    wr_keyed_set_key(ks, S("k"));
    wr_keyed_list_add(ks, id, S(""), S("0123456789012345678901234567890123456789"));
    for (int i = 0; i < 6; i++) { /* each add may reallocate the buffer val points into */
        size_t pos = 0, len;
        const void *v;
        cr_assert(wr_keyed_list_next(ks, id, S(""), &pos, &v, &len));
        wr_keyed_list_add(ks, id, S(""), v, len);
    }
    size_t pos = 0, len;
    const void *v;
    int n = 0;
    while (wr_keyed_list_next(ks, id, S(""), &pos, &v, &len)) {
        cr_assert_eq(len, 40);
        cr_assert(memcmp(v, "0123456789012345678901234567890123456789", 40) == 0);
        n++;
    }
    cr_assert_eq(n, 7);
    wr_keyed_free(ks);
}

Test(keyed, map_put_get_remove_iterate)
{
    long live = wr_alloc_live();
    wr_keyed *ks = backend();
    int id = wr_keyed_register(ks, "m", WR_STATE_MAP, NULL);
    wr_keyed_set_key(ks, S("k"));
    size_t len;
    cr_assert_null(wr_keyed_map_get(ks, id, S(""), S("x"), &len));
    for (int i = 0; i < 100; i++) {
        char uk[16], val[16];
        snprintf(uk, sizeof(uk), "u%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        wr_keyed_map_put(ks, id, S(""), S(uk), S(val));
    }
    wr_keyed_map_put(ks, id, S("ns2"), S("u1"), S("elsewhere"));
    wr_keyed_map_put(ks, id, S(""), S("u7"), S("seven, now longer"));
    const char *v = wr_keyed_map_get(ks, id, S(""), S("u7"), &len);
    cr_assert(v && len == 17 && memcmp(v, "seven, now longer", 17) == 0);
    v = wr_keyed_map_get(ks, id, S("ns2"), S("u1"), &len);
    cr_assert(v && len == 9 && memcmp(v, "elsewhere", 9) == 0);
    cr_assert(wr_keyed_map_remove(ks, id, S(""), S("u3")));
    cr_assert_not(wr_keyed_map_remove(ks, id, S(""), S("u3")));
    cr_assert_null(wr_keyed_map_get(ks, id, S(""), S("u3"), &len));

    /* Iteration sees every remaining entry exactly once. */
    bool seen[100] = {false};
    size_t pos = 0, uklen;
    const void *uk, *val;
    int n = 0;
    while (wr_keyed_map_next(ks, id, S(""), &pos, &uk, &uklen, &val, &len)) {
        char ukey[16];
        snprintf(ukey, sizeof(ukey), "%.*s", (int)uklen, (const char *)uk);
        int i = atoi(ukey + 1);
        cr_assert(i >= 0 && i < 100 && !seen[i], "%s seen twice", ukey);
        seen[i] = true;
        n++;
    }
    cr_assert_eq(n, 99);
    cr_assert_not(seen[3]);

    /* Removing the last entry removes the (state, key, namespace). */
    cr_assert_eq(wr_keyed_count(ks), 2);
    cr_assert(wr_keyed_map_remove(ks, id, S("ns2"), S("u1")));
    cr_assert_eq(wr_keyed_count(ks), 1);
    cr_assert_not(wr_keyed_exists(ks, id, S("ns2")));
    wr_keyed_free(ks);
    cr_assert_eq(wr_alloc_live(), live);
}

Test(keyed, clear_exists_and_count_for_every_kind)
{
    wr_keyed *ks = backend();
    int val = wr_keyed_register(ks, "v", WR_STATE_VALUE, NULL);
    int list = wr_keyed_register(ks, "l", WR_STATE_LIST, NULL);
    int map = wr_keyed_register(ks, "m", WR_STATE_MAP, NULL);
    size_t empty_bytes = wr_keyed_bytes(ks);
    const char *keys[] = {"a", "b", "c"};
    for (int k = 0; k < 3; k++) {
        wr_keyed_set_key(ks, S(keys[k]));
        cr_assert_not(wr_keyed_exists(ks, val, S("")));
        cr_assert_not(wr_keyed_exists(ks, list, S("")));
        cr_assert_not(wr_keyed_exists(ks, map, S("")));
        wr_keyed_value_put(ks, val, S(""), S("1"));
        wr_keyed_list_add(ks, list, S(""), S("1"));
        wr_keyed_map_put(ks, map, S(""), S("k"), S("1"));
        cr_assert(wr_keyed_exists(ks, val, S("")));
        cr_assert(wr_keyed_exists(ks, list, S("")));
        cr_assert(wr_keyed_exists(ks, map, S("")));
        cr_assert_not(wr_keyed_exists(ks, val, S("ns")));
    }
    cr_assert_eq(wr_keyed_count(ks), 9);
    cr_assert_gt(wr_keyed_bytes(ks), empty_bytes + 9 * 2);
    for (int k = 0; k < 3; k++) {
        wr_keyed_set_key(ks, S(keys[k]));
        wr_keyed_clear(ks, val, S(""));
        wr_keyed_clear(ks, list, S(""));
        wr_keyed_clear(ks, map, S(""));
        wr_keyed_clear(ks, map, S("never written"));
        cr_assert_not(wr_keyed_exists(ks, val, S("")));
        cr_assert_not(wr_keyed_exists(ks, list, S("")));
        cr_assert_not(wr_keyed_exists(ks, map, S("")));
        assert_value(ks, val, "", NULL);
        cr_assert_str_eq(list_str(ks, list, ""), "");
        cr_assert_eq(map_size(ks, map, ""), 0);
    }
    cr_assert_eq(wr_keyed_count(ks), 0);
    /* Only the grown key-group tables remain. */
    size_t slots_only = wr_keyed_bytes(ks);
    wr_keyed_set_key(ks, S("a"));
    wr_keyed_value_put(ks, val, S(""), S("1"));
    wr_keyed_clear(ks, val, S(""));
    cr_assert_eq(wr_keyed_bytes(ks), slots_only);
    wr_keyed_free(ks);
}

typedef struct visit {
    int kg;
    int n;
    bool wrong_group;
} visit;

static void count_entry(void *arg, const wr_keyed_entry *e)
{
    visit *vis = arg;
    vis->n++;
    if (wr_keygroup_of_hash(wr_hash_bytes(e->key, e->klen), WR_DEFAULT_MAX_PARALLELISM) != vis->kg)
        vis->wrong_group = true;
}

Test(keyed, for_each_visits_only_its_key_group)
{
    wr_keyed *ks = backend();
    int v = wr_keyed_register(ks, "v", WR_STATE_VALUE, NULL);
    int m = wr_keyed_register(ks, "m", WR_STATE_MAP, NULL);
    int expected[WR_DEFAULT_MAX_PARALLELISM] = {0};
    for (int i = 0; i < 2000; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key%d", i);
        wr_keyed_set_key(ks, S(key));
        wr_keyed_value_put(ks, v, S(""), S("x"));
        wr_keyed_map_put(ks, m, S("w"), S("u"), S("x"));
        expected[wr_keyed_keygroup(ks)] += 2;
    }
    int total = 0;
    for (int kg = 0; kg < WR_DEFAULT_MAX_PARALLELISM; kg++) {
        visit vis = {.kg = kg};
        wr_keyed_for_each(ks, kg, count_entry, &vis);
        cr_assert_eq(vis.n, expected[kg], "group %d", kg);
        cr_assert_not(vis.wrong_group, "group %d", kg);
        total += vis.n;
    }
    cr_assert_eq(total, 4000);
    cr_assert_eq(wr_keyed_count(ks), 4000);
    wr_keyed_free(ks);
}

/* A key of a group other than 0, for a backend that owns group 0 only. */
Test(keyed, set_key_outside_the_owned_groups_aborts, .signal = SIGABRT)
{
    wr_keyed *ks = wr_keyed_new(WR_DEFAULT_MAX_PARALLELISM, 0, 0, fake_clock, NULL);
    char key[16];
    for (int i = 0;; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        if (wr_keygroup_of_hash(wr_hash_bytes(S(key)), WR_DEFAULT_MAX_PARALLELISM) != 0) break;
    }
    wr_keyed_set_key(ks, S(key));
}

Test(keyed, many_keys_grow_the_tables)
{
    long live = wr_alloc_live();
    wr_keyed *ks = wr_keyed_new(WR_DEFAULT_MAX_PARALLELISM, 32, 63, NULL, NULL);
    int id = wr_keyed_register(ks, "v", WR_STATE_VALUE, NULL);
    /* Keep only keys of the owned groups, as the exchange would. */
    enum { N = 100000 };
    static uint32_t keys[N];
    int n = 0;
    for (uint32_t i = 0; n < N; i++) {
        int kg = wr_keygroup_of_hash(wr_hash_bytes(&i, sizeof(i)), WR_DEFAULT_MAX_PARALLELISM);
        if (kg < 32 || kg > 63) continue;
        keys[n++] = i;
        wr_keyed_set_key(ks, &i, sizeof(i));
        uint64_t val = (uint64_t)i * 3;
        wr_keyed_value_put(ks, id, "ns", 2, &val, sizeof(val));
    }
    cr_assert_eq(wr_keyed_count(ks), N);
    for (int k = 0; k < N; k++) {
        wr_keyed_set_key(ks, &keys[k], sizeof(keys[k]));
        size_t len;
        const uint64_t *v = wr_keyed_value_get(ks, id, "ns", 2, &len); /* values are 8-aligned */
        cr_assert(v && len == 8 && *v == (uint64_t)keys[k] * 3, "key %u", keys[k]);
        cr_assert_null(wr_keyed_value_get(ks, id, "nt", 2, &len));
    }
    for (int k = 0; k < N; k += 2) { /* clear half: backward shifts must keep the rest */
        wr_keyed_set_key(ks, &keys[k], sizeof(keys[k]));
        wr_keyed_clear(ks, id, "ns", 2);
    }
    cr_assert_eq(wr_keyed_count(ks), N / 2);
    for (int k = 0; k < N; k++) {
        wr_keyed_set_key(ks, &keys[k], sizeof(keys[k]));
        cr_assert_eq(wr_keyed_exists(ks, id, "ns", 2), k % 2 == 1, "key %u", keys[k]);
    }
    wr_keyed_free(ks);
    cr_assert_eq(wr_alloc_live(), live);
}

/* ---- TTL ---- */

Test(keyed_ttl, value_expires_exactly_at_write_time_plus_ttl)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_CREATE_AND_WRITE};
    int id = wr_keyed_register(ks, "v", WR_STATE_VALUE, &ttl);
    wr_keyed_set_key(ks, S("k"));
    fake_now = 1000;
    wr_keyed_value_put(ks, id, S(""), S("x"));
    fake_now = 1099;
    assert_value(ks, id, "", "x");
    cr_assert(wr_keyed_exists(ks, id, S("")));
    fake_now = 1100;
    cr_assert_eq(wr_keyed_count(ks), 1);
    assert_value(ks, id, "", NULL);
    cr_assert_eq(wr_keyed_count(ks), 0, "an expired value is removed when met");
    /* A write restarts the lifetime; a read does not. */
    wr_keyed_value_put(ks, id, S(""), S("y"));
    fake_now = 1150;
    assert_value(ks, id, "", "y");
    wr_keyed_value_put(ks, id, S(""), S("z"));
    fake_now = 1249;
    assert_value(ks, id, "", "z");
    fake_now = 1250;
    cr_assert_not(wr_keyed_exists(ks, id, S("")));
    cr_assert_eq(wr_keyed_count(ks), 0);
    wr_keyed_free(ks);
}

Test(keyed_ttl, on_read_and_write_refreshes_on_every_read)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_READ_AND_WRITE};
    int id = wr_keyed_register(ks, "v", WR_STATE_VALUE, &ttl);
    wr_keyed_set_key(ks, S("k"));
    fake_now = 1000;
    wr_keyed_value_put(ks, id, S(""), S("x"));
    for (fake_now = 1090; fake_now < 1500; fake_now += 90) assert_value(ks, id, "", "x");
    fake_now += 99; /* last read at fake_now - 90 */
    assert_value(ks, id, "", NULL);
    wr_keyed_free(ks);
}

Test(keyed_ttl, list_elements_expire_one_by_one)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_CREATE_AND_WRITE};
    int id = wr_keyed_register(ks, "l", WR_STATE_LIST, &ttl);
    wr_keyed_set_key(ks, S("k"));
    fake_now = 0;
    wr_keyed_list_add(ks, id, S(""), S("a"));
    fake_now = 50;
    wr_keyed_list_add(ks, id, S(""), S("b"));
    fake_now = 99;
    cr_assert_str_eq(list_str(ks, id, ""), "a,b");
    fake_now = 100;
    cr_assert_str_eq(list_str(ks, id, ""), "b");
    wr_keyed_list_add(ks, id, S(""), S("c"));
    fake_now = 150;
    cr_assert_str_eq(list_str(ks, id, ""), "c");
    cr_assert(wr_keyed_exists(ks, id, S("")));
    fake_now = 200;
    cr_assert_not(wr_keyed_exists(ks, id, S("")));
    cr_assert_eq(wr_keyed_count(ks), 0);
    /* Adds after a long pause reuse the space of the expired prefix. */
    for (int i = 0; i < 500; i++) {
        fake_now = 1000 + i;
        wr_keyed_list_add(ks, id, S(""), S("0123456789"));
    }
    size_t bytes = wr_keyed_bytes(ks);
    for (int i = 0; i < 5000; i++) {
        fake_now = 1500 + i;
        wr_keyed_list_add(ks, id, S(""), S("0123456789"));
    }
    cr_assert_leq(wr_keyed_bytes(ks), bytes + 64, "expired elements were not reclaimed");
    size_t pos = 0, len;
    const void *v;
    int n = 0;
    while (wr_keyed_list_next(ks, id, S(""), &pos, &v, &len)) n++;
    cr_assert_eq(n, 100);
    wr_keyed_free(ks);
}

Test(keyed_ttl, list_reads_refresh_with_on_read_and_write)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_READ_AND_WRITE};
    int id = wr_keyed_register(ks, "l", WR_STATE_LIST, &ttl);
    wr_keyed_set_key(ks, S("k"));
    fake_now = 0;
    wr_keyed_list_add(ks, id, S(""), S("a"));
    wr_keyed_list_add(ks, id, S(""), S("b"));
    fake_now = 99;
    cr_assert_str_eq(list_str(ks, id, ""), "a,b");
    fake_now = 198;
    cr_assert_str_eq(list_str(ks, id, ""), "a,b");
    fake_now = 298;
    cr_assert_str_eq(list_str(ks, id, ""), "");
    cr_assert_eq(wr_keyed_count(ks), 0);
    wr_keyed_free(ks);
}

Test(keyed_ttl, map_entries_expire_one_by_one)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_CREATE_AND_WRITE};
    int id = wr_keyed_register(ks, "m", WR_STATE_MAP, &ttl);
    wr_keyed_set_key(ks, S("k"));
    fake_now = 0;
    wr_keyed_map_put(ks, id, S(""), S("old"), S("1"));
    wr_keyed_map_put(ks, id, S(""), S("gone"), S("1"));
    fake_now = 60;
    wr_keyed_map_put(ks, id, S(""), S("new"), S("2"));
    fake_now = 99;
    cr_assert_eq(map_size(ks, id, ""), 3);
    size_t len;
    cr_assert_not_null(wr_keyed_map_get(ks, id, S(""), S("old"), &len));
    fake_now = 100;
    cr_assert_null(wr_keyed_map_get(ks, id, S(""), S("old"), &len));
    cr_assert_not(wr_keyed_map_remove(ks, id, S(""), S("gone")), "expired: did not exist");
    cr_assert_not_null(wr_keyed_map_get(ks, id, S(""), S("new"), &len));
    cr_assert_eq(map_size(ks, id, ""), 1);
    fake_now = 160;
    cr_assert_eq(map_size(ks, id, ""), 0);
    cr_assert_eq(wr_keyed_count(ks), 0);
    wr_keyed_free(ks);
}

Test(keyed_ttl, starting_a_map_iteration_sweeps_a_large_map)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_CREATE_AND_WRITE};
    int id = wr_keyed_register(ks, "m", WR_STATE_MAP, &ttl);
    wr_keyed_set_key(ks, S("k"));
    size_t empty_bytes = wr_keyed_bytes(ks);
    for (int i = 0; i < 2000; i++) {
        fake_now = i % 2 ? 50 : 0;
        wr_keyed_map_put(ks, id, S(""), &i, sizeof(i), S("v"));
    }
    size_t full_bytes = wr_keyed_bytes(ks);
    fake_now = 100;
    cr_assert_eq(map_size(ks, id, ""), 1000);
    cr_assert_lt(wr_keyed_bytes(ks), full_bytes, "expired entries were freed");
    for (int i = 0; i < 2000; i++) {
        size_t len;
        bool live = wr_keyed_map_get(ks, id, S(""), &i, sizeof(i), &len) != NULL;
        cr_assert_eq(live, i % 2 == 1, "entry %d", i);
    }
    fake_now = 150;
    cr_assert_eq(map_size(ks, id, ""), 0);
    cr_assert_eq(wr_keyed_count(ks), 0);
    cr_assert_geq(wr_keyed_bytes(ks), empty_bytes);
    wr_keyed_free(ks);
}

Test(keyed_ttl, for_each_skips_and_removes_expired_state)
{
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 10, .update = WR_TTL_ON_CREATE_AND_WRITE};
    int v = wr_keyed_register(ks, "v", WR_STATE_VALUE, &ttl);
    int keep = wr_keyed_register(ks, "keep", WR_STATE_VALUE, NULL);
    fake_now = 0;
    for (int i = 0; i < 500; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key%d", i);
        wr_keyed_set_key(ks, S(key));
        wr_keyed_value_put(ks, v, S(""), S("x"));
        if (i % 5 == 0) wr_keyed_value_put(ks, keep, S(""), S("y"));
    }
    cr_assert_eq(wr_keyed_count(ks), 600);
    fake_now = 10;
    int total = 0;
    for (int kg = 0; kg < WR_DEFAULT_MAX_PARALLELISM; kg++) {
        visit vis = {.kg = kg};
        wr_keyed_for_each(ks, kg, count_entry, &vis);
        total += vis.n;
    }
    cr_assert_eq(total, 100);
    cr_assert_eq(wr_keyed_count(ks), 100);
    wr_keyed_free(ks);
}

/* ---- timers ---- */

static wr_timer pop(wr_timers *ts, wr_time_domain d, int64_t limit)
{
    wr_timer t;
    cr_assert(wr_timers_pop(ts, d, limit, &t), "expected a timer <= %ld", (long)limit);
    return t;
}

static bool key_is(const wr_timer *t, const char *key)
{
    return t->klen == strlen(key) && memcmp(t->key, key, t->klen) == 0;
}

Test(timers, pop_in_time_order_and_ties_in_registration_order)
{
    long live = wr_alloc_live();
    wr_timers *ts = wr_timers_new();
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 30, S("c"), S(""), 1));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 10, S("a"), S(""), 1));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 20, S("t1"), S(""), 1));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 20, S("t2"), S(""), 1));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 20, S("t0"), S(""), 1));
    cr_assert_eq(wr_timers_count(ts), 5);
    cr_assert_eq(wr_timers_next(ts, WR_EVENT_TIME), 10);
    const char *order[] = {"a", "t1", "t2", "t0", "c"};
    for (int i = 0; i < 5; i++) {
        wr_timer t = pop(ts, WR_EVENT_TIME, INT64_MAX);
        cr_assert(key_is(&t, order[i]), "pop %d: got '%.*s'", i, (int)t.klen, (const char *)t.key);
    }
    wr_timer t;
    cr_assert_not(wr_timers_pop(ts, WR_EVENT_TIME, INT64_MAX, &t));
    cr_assert_eq(wr_timers_next(ts, WR_EVENT_TIME), INT64_MAX);
    cr_assert_eq(wr_timers_count(ts), 0);
    wr_timers_free(ts);
    cr_assert_eq(wr_alloc_live(), live);
}

Test(timers, register_dedupes_on_domain_time_key_and_namespace)
{
    wr_timers *ts = wr_timers_new();
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 10, S("k"), S("w1"), 3));
    cr_assert_not(wr_timers_register(ts, WR_EVENT_TIME, 10, S("k"), S("w1"), 3));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 10, S("k"), S("w2"), 3));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 11, S("k"), S("w1"), 3));
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 10, S("j"), S("w1"), 3));
    cr_assert(wr_timers_register(ts, WR_PROCESSING_TIME, 10, S("k"), S("w1"), 3));
    cr_assert_eq(wr_timers_count(ts), 5);
    wr_timer t = pop(ts, WR_EVENT_TIME, 10);
    cr_assert(key_is(&t, "k") && t.nslen == 2 && memcmp(t.ns, "w1", 2) == 0);
    cr_assert_eq(t.keygroup, 3);
    cr_assert_eq(t.domain, WR_EVENT_TIME);
    /* A fired timer may be registered again. */
    cr_assert(wr_timers_register(ts, WR_EVENT_TIME, 10, S("k"), S("w1"), 3));
    wr_timers_free(ts);
}

Test(timers, delete_removes_a_timer_once)
{
    wr_timers *ts = wr_timers_new();
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        wr_timers_register(ts, WR_EVENT_TIME, 100 - i, S(key), S(""), 0);
    }
    cr_assert(wr_timers_delete(ts, WR_EVENT_TIME, 95, S("k5"), S("")));
    cr_assert_not(wr_timers_delete(ts, WR_EVENT_TIME, 95, S("k5"), S("")));
    cr_assert_not(wr_timers_delete(ts, WR_EVENT_TIME, 94, S("k5"), S("")), "wrong time");
    cr_assert_not(wr_timers_delete(ts, WR_PROCESSING_TIME, 94, S("k6"), S("")), "wrong domain");
    cr_assert(wr_timers_delete(ts, WR_EVENT_TIME, 91, S("k9"), S(""))); /* the earliest */
    cr_assert_eq(wr_timers_count(ts), 8);
    cr_assert_eq(wr_timers_next(ts, WR_EVENT_TIME), 92);
    int64_t last = INT64_MIN;
    wr_timer t;
    int n = 0;
    while (wr_timers_pop(ts, WR_EVENT_TIME, INT64_MAX, &t)) {
        cr_assert_gt(t.time, last);
        cr_assert_neq(t.time, 95);
        last = t.time;
        n++;
    }
    cr_assert_eq(n, 8);
    wr_timers_free(ts);
}

Test(timers, pop_stops_at_the_limit)
{
    wr_timers *ts = wr_timers_new();
    wr_timers_register(ts, WR_PROCESSING_TIME, 5, S("a"), S(""), 0);
    wr_timers_register(ts, WR_PROCESSING_TIME, 7, S("b"), S(""), 0);
    wr_timers_register(ts, WR_PROCESSING_TIME, 9, S("c"), S(""), 0);
    wr_timer t;
    cr_assert_not(wr_timers_pop(ts, WR_PROCESSING_TIME, 4, &t));
    cr_assert_eq(pop(ts, WR_PROCESSING_TIME, 7).time, 5);
    cr_assert_eq(pop(ts, WR_PROCESSING_TIME, 7).time, 7);
    cr_assert_not(wr_timers_pop(ts, WR_PROCESSING_TIME, 8, &t));
    cr_assert_eq(wr_timers_next(ts, WR_PROCESSING_TIME), 9);
    cr_assert_eq(wr_timers_count(ts), 1);
    wr_timers_free(ts);
}

Test(timers, domains_are_separate)
{
    wr_timers *ts = wr_timers_new();
    wr_timers_register(ts, WR_EVENT_TIME, 50, S("e"), S(""), 0);
    wr_timers_register(ts, WR_PROCESSING_TIME, 10, S("p"), S(""), 0);
    cr_assert_eq(wr_timers_next(ts, WR_EVENT_TIME), 50);
    cr_assert_eq(wr_timers_next(ts, WR_PROCESSING_TIME), 10);
    wr_timer t;
    cr_assert_not(wr_timers_pop(ts, WR_EVENT_TIME, 20, &t));
    t = pop(ts, WR_PROCESSING_TIME, 20);
    cr_assert(key_is(&t, "p") && t.domain == WR_PROCESSING_TIME);
    cr_assert_eq(wr_timers_next(ts, WR_PROCESSING_TIME), INT64_MAX);
    cr_assert_eq(wr_timers_count(ts), 1);
    t = pop(ts, WR_EVENT_TIME, 50);
    cr_assert(key_is(&t, "e") && t.domain == WR_EVENT_TIME);
    wr_timers_free(ts);
}

Test(timers, timers_registered_while_popping)
{
    wr_timers *ts = wr_timers_new();
    wr_timers_register(ts, WR_EVENT_TIME, 10, S("k"), S("w"), 0);
    wr_timers_register(ts, WR_EVENT_TIME, 30, S("z"), S(""), 0);
    /* A watermark of 25: each handler schedules a follow-up 5 later, using the popped bytes. */
    wr_timer t;
    int fired = 0;
    int64_t times[8];
    while (wr_timers_pop(ts, WR_EVENT_TIME, 25, &t)) {
        times[fired++] = t.time;
        cr_assert(key_is(&t, "k") && t.nslen == 1 && memcmp(t.ns, "w", 1) == 0);
        cr_assert(wr_timers_register(ts, WR_EVENT_TIME, t.time + 5, t.key, t.klen, t.ns, t.nslen,
                                     t.keygroup));
        cr_assert(key_is(&t, "k"), "popped bytes still valid after register");
        cr_assert_lt(fired, 8);
    }
    cr_assert_eq(fired, 4);
    cr_assert(times[0] == 10 && times[1] == 15 && times[2] == 20 && times[3] == 25);
    cr_assert_eq(wr_timers_next(ts, WR_EVENT_TIME), 30);
    cr_assert_eq(wr_timers_count(ts), 2);
    /* At 30: z (registered first), then k (registered while popping), then y and x. */
    wr_timers_register(ts, WR_EVENT_TIME, 30, S("y"), S(""), 0);
    t = pop(ts, WR_EVENT_TIME, 30);
    cr_assert(key_is(&t, "z"));
    wr_timers_register(ts, WR_EVENT_TIME, 30, S("x"), S(""), 0);
    const char *rest[] = {"k", "y", "x"};
    for (int i = 0; i < 3; i++) {
        t = pop(ts, WR_EVENT_TIME, 30);
        cr_assert(key_is(&t, rest[i]), "got '%.*s'", (int)t.klen, (const char *)t.key);
    }
    wr_timers_free(ts);
}

typedef struct tvisit {
    int n;
    int kg;
    bool wrong;
} tvisit;

static void count_timer(void *arg, const wr_timer *t)
{
    tvisit *vis = arg;
    vis->n++;
    if (t->keygroup != vis->kg) vis->wrong = true;
}

Test(timers, for_each_visits_one_key_group_in_both_domains)
{
    wr_timers *ts = wr_timers_new();
    for (int i = 0; i < 300; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        wr_timers_register(ts, i % 2 ? WR_EVENT_TIME : WR_PROCESSING_TIME, i, S(key), S(""), i % 3);
    }
    wr_timers_delete(ts, WR_PROCESSING_TIME, 0, S("k0"), S("")); /* group 0 */
    for (int kg = 0; kg < 4; kg++) {
        tvisit vis = {.kg = kg};
        wr_timers_for_each(ts, kg, count_timer, &vis);
        cr_assert_eq(vis.n, kg == 3 ? 0 : kg == 0 ? 99 : 100, "group %d", kg);
        cr_assert_not(vis.wrong);
    }
    wr_timers_free(ts);
}

static int cmp_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(timers, random_registers_and_deletes_pop_sorted)
{
    long live = wr_alloc_live();
    wr_timers *ts = wr_timers_new();
    enum { N = 20000 };
    static int64_t times[N];
    static bool deleted[N];
    srand(7);
    for (int i = 0; i < N; i++) {
        times[i] = rand() % 5000;
        cr_assert(wr_timers_register(ts, WR_EVENT_TIME, times[i], &i, sizeof(i), NULL, 0, 0));
    }
    int left = N;
    for (int i = 0; i < N; i += 3) {
        cr_assert(wr_timers_delete(ts, WR_EVENT_TIME, times[i], &i, sizeof(i), NULL, 0));
        deleted[i] = true;
        left--;
    }
    cr_assert_eq(wr_timers_count(ts), (size_t)left);
    static int64_t expect[N];
    int n = 0;
    for (int i = 0; i < N; i++)
        if (!deleted[i]) expect[n++] = times[i];
    qsort(expect, (size_t)n, sizeof(int64_t), cmp_time);
    wr_timer t;
    int k = 0, last_id = -1;
    int64_t last_time = INT64_MIN;
    while (wr_timers_pop(ts, WR_EVENT_TIME, INT64_MAX, &t)) {
        int id;
        memcpy(&id, t.key, sizeof(id));
        cr_assert_eq(t.time, expect[k], "pop %d", k);
        cr_assert_not(deleted[id]);
        /* ids were registered in increasing order, so ties pop by id */
        if (t.time == last_time) cr_assert_gt(id, last_id);
        last_time = t.time;
        last_id = id;
        k++;
    }
    cr_assert_eq(k, left);
    wr_timers_free(ts);
    cr_assert_eq(wr_alloc_live(), live);
}

Test(keyed, hinted_keys_reach_the_same_state_as_plain_ones)
{
    wr_keyed *ks = backend();
    int id = wr_keyed_register(ks, "v", WR_STATE_VALUE, NULL);
    char key[16];
    for (int i = 0; i < 5000; i++) {
        int len = snprintf(key, sizeof(key), "key-%d", i);
        wr_keyed_set_key(ks, key, (size_t)len);
        wr_keyed_value_put(ks, id, "ns", 2, &i, sizeof(i));
    }
    /* Hints made before the table grows stay harmless after it grew. */
    wr_keyed_hint hints[64];
    for (int i = 0; i < 64; i++) {
        int len = snprintf(key, sizeof(key), "key-%d", i * 77);
        wr_keyed_hint_slot(ks, &hints[i], key, (size_t)len, id, "ns", 2);
    }
    for (int i = 5000; i < 20000; i++) {
        int len = snprintf(key, sizeof(key), "key-%d", i);
        wr_keyed_set_key(ks, key, (size_t)len);
        wr_keyed_value_put(ks, id, "ns", 2, &i, sizeof(i));
    }
    for (int i = 0; i < 64; i++) {
        int len = snprintf(key, sizeof(key), "key-%d", i * 77);
        wr_keyed_hint_entry(ks, &hints[i]);
        wr_keyed_set_key_hinted(ks, key, (size_t)len, &hints[i]);
        cr_expect_eq(wr_keyed_keygroup(ks),
                     wr_keygroup_of_hash(wr_hash_bytes(key, (size_t)len), 128));
        size_t vlen;
        const int *v = wr_keyed_value_get(ks, id, "ns", 2, &vlen);
        cr_assert_not_null(v);
        cr_expect_eq(*v, i * 77);
    }
    wr_keyed_free(ks);
}

Test(timers, memory_follows_live_timers_when_timeouts_move)
{
    /* A far timer stays at the top while 1000 keys keep moving their timeout. */
    wr_timers *ts = wr_timers_new();
    long live0 = wr_alloc_live();
    wr_timers_register(ts, WR_EVENT_TIME, 0, "cold", 4, NULL, 0, 0);
    char key[16];
    for (int64_t i = 0; i < 100000; i++) {
        int len = snprintf(key, sizeof(key), "k%d", (int)(i % 1000));
        if (i >= 1000)
            wr_timers_delete(ts, WR_EVENT_TIME, i - 1000 + 10, key, (size_t)len, NULL, 0);
        wr_timers_register(ts, WR_EVENT_TIME, i + 10, key, (size_t)len, NULL, 0, 0);
    }
    cr_expect_eq(wr_timers_count(ts), 1001);
    cr_expect_lt(wr_alloc_live() - live0, 5000, "%ld blocks held for 1001 timers",
                 wr_alloc_live() - live0);
    /* Order survives the rebuilds. */
    wr_timer t;
    int64_t last = -1, n = 0;
    while (wr_timers_pop(ts, WR_EVENT_TIME, INT64_MAX, &t)) {
        cr_expect_geq(t.time, last);
        last = t.time;
        n++;
    }
    cr_expect_eq(n, 1001);
    wr_timers_free(ts);
}

/* ---- key-group snapshots ---- */

#include "../../src/base/buf.h"
#include "../../src/base/error.h"
#include "../../src/state/snapshot.h"

enum { MAXP = WR_DEFAULT_MAX_PARALLELISM };

static int group_of(const char *key)
{
    return wr_keygroup_of_hash(wr_hash_bytes(key, strlen(key)), MAXP);
}

/* Snapshots of groups [first, last] of ks (and ts), one wr_buf each, indexed by group. */
static void snapshot_groups(wr_keyed *ks, wr_timers *ts, int first, int last, wr_buf *bufs)
{
    for (int kg = first; kg <= last; kg++) {
        wr_buf_init(&bufs[kg]);
        wr_state_snapshot_kg(ks, ts, kg, &bufs[kg]);
    }
}

/* Restores a snapshot that must be good. */
static void restore_ok(wr_keyed *ks, wr_timers *ts, const wr_buf *buf)
{
    wr_error err;
    wr_error_init(&err);
    int rc = wr_state_restore_kg(ks, ts, buf->data, buf->len, &err);
    cr_assert_eq(rc, 0, "restore failed: %s", err.msg);
}

/* The states of the rescale tests, written for key i by fill_key and checked by check_key. */
static const wr_state_ttl ttl_1000 = {.ttl_ms = 1000, .update = WR_TTL_ON_CREATE_AND_WRITE};

static void register_job_states(wr_keyed *ks)
{
    wr_keyed_register(ks, "count", WR_STATE_VALUE, NULL);
    wr_keyed_register(ks, "events", WR_STATE_LIST, NULL);
    wr_keyed_register(ks, "seen", WR_STATE_MAP, NULL);
    wr_keyed_register(ks, "last", WR_STATE_VALUE, &ttl_1000);
}

static void fill_key(wr_keyed *ks, wr_timers *ts, int i)
{
    char key[24], buf[32];
    snprintf(key, sizeof(key), "key-%d", i);
    wr_keyed_set_key(ks, S(key));
    int count = wr_keyed_state_id(ks, "count"), events = wr_keyed_state_id(ks, "events");
    int seen = wr_keyed_state_id(ks, "seen"), last = wr_keyed_state_id(ks, "last");
    wr_keyed_value_put(ks, count, S(""), &i, sizeof(i));
    for (int k = 0; k <= i % 4; k++) {
        snprintf(buf, sizeof(buf), "e%d-%d", i, k);
        wr_keyed_list_add(ks, events, S(""), S(buf));
    }
    for (int k = 0; k <= i % 3; k++) {
        snprintf(buf, sizeof(buf), "u%d", k);
        wr_keyed_map_put(ks, seen, S("w1"), S(buf), &i, sizeof(i));
    }
    wr_keyed_value_put(ks, last, S(""), S(key));
    if (i % 2) wr_keyed_value_put(ks, last, S("w2"), S("odd"));
    wr_timers_register(ts, WR_EVENT_TIME, 1000 + i % 50, S(key), S("w1"), group_of(key));
    if (i % 7 == 0) wr_timers_register(ts, WR_PROCESSING_TIME, 5000, S(key), S(""), group_of(key));
}

static void check_key(wr_keyed *ks, int i)
{
    char key[24], buf[32];
    snprintf(key, sizeof(key), "key-%d", i);
    wr_keyed_set_key(ks, S(key));
    int count = wr_keyed_state_id(ks, "count"), events = wr_keyed_state_id(ks, "events");
    int seen = wr_keyed_state_id(ks, "seen"), last = wr_keyed_state_id(ks, "last");
    cr_assert(count >= 0 && events >= 0 && seen >= 0 && last >= 0);
    size_t len;
    const int *v = wr_keyed_value_get(ks, count, S(""), &len); /* values are 8-aligned */
    cr_assert(v && len == sizeof(int) && *v == i, "%s: count", key);
    size_t pos = 0;
    const void *e;
    int k = 0;
    while (wr_keyed_list_next(ks, events, S(""), &pos, &e, &len)) {
        snprintf(buf, sizeof(buf), "e%d-%d", i, k++);
        cr_assert(len == strlen(buf) && memcmp(e, buf, len) == 0, "%s: element %d", key, k - 1);
    }
    cr_assert_eq(k, i % 4 + 1, "%s: list length", key);
    cr_assert_eq(map_size(ks, seen, "w1"), i % 3 + 1, "%s: map size", key);
    for (k = 0; k <= i % 3; k++) {
        snprintf(buf, sizeof(buf), "u%d", k);
        const void *mv = wr_keyed_map_get(ks, seen, S("w1"), S(buf), &len); /* unaligned */
        cr_assert(mv && len == sizeof(int) && memcmp(mv, &i, sizeof(i)) == 0, "%s: map entry %s",
                  key, buf);
    }
    assert_value(ks, last, "", key);
    assert_value(ks, last, "w2", i % 2 ? "odd" : NULL);
}

Test(snapshot, round_trip_of_every_kind_keeps_ttl_timestamps)
{
    long live = wr_alloc_live();
    wr_keyed *ks = backend();
    wr_state_ttl ttl = {.ttl_ms = 100, .update = WR_TTL_ON_CREATE_AND_WRITE};
    wr_state_ttl ttl_read = {.ttl_ms = 100, .update = WR_TTL_ON_READ_AND_WRITE};
    int v = wr_keyed_register(ks, "v", WR_STATE_VALUE, &ttl);
    int l = wr_keyed_register(ks, "l", WR_STATE_LIST, &ttl);
    int m = wr_keyed_register(ks, "m", WR_STATE_MAP, &ttl_read);
    int plain = wr_keyed_register(ks, "plain", WR_STATE_VALUE, NULL);
    fake_now = 900; /* expired by the time of the snapshot: not written */
    wr_keyed_set_key(ks, S("gone"));
    wr_keyed_value_put(ks, v, S(""), S("old"));
    fake_now = 1000;
    wr_keyed_set_key(ks, S("k"));
    wr_keyed_value_put(ks, v, S(""), S("early"));
    wr_keyed_value_put(ks, v, S("ns"), NULL, 0); /* an empty value is a value */
    wr_keyed_value_put(ks, plain, S("p"), S("forever"));
    wr_keyed_list_add(ks, l, S(""), S("a"));
    wr_keyed_list_add(ks, l, S(""), S(""));
    wr_keyed_map_put(ks, m, S(""), S("x"), S("1"));
    wr_keyed_set_key(ks, NULL, 0); /* the empty key */
    wr_keyed_value_put(ks, v, NULL, 0, S("empty key"));
    fake_now = 1050;
    wr_keyed_set_key(ks, S("k"));
    wr_keyed_value_put(ks, v, S("late"), S("late"));
    wr_keyed_list_add(ks, l, S(""), S("b"));
    wr_keyed_map_put(ks, m, S(""), S("y"), S("2"));
    size_t expect_count = wr_keyed_count(ks) - 1; /* all but "gone" */

    wr_buf bufs[MAXP];
    snapshot_groups(ks, NULL, 0, MAXP - 1, bufs);
    wr_keyed *rs = backend(); /* registers nothing: the snapshot declares its states */
    fake_now = 1050;
    for (int kg = 0; kg < MAXP; kg++) {
        cr_assert_eq(wr_state_snapshot_keygroup(bufs[kg].data, bufs[kg].len, NULL), kg);
        cr_assert_eq(wr_state_snapshot_size(bufs[kg].data, bufs[kg].len, NULL), bufs[kg].len);
        restore_ok(rs, NULL, &bufs[kg]);
        wr_buf_fini(&bufs[kg]);
    }
    cr_assert_eq(wr_keyed_count(rs), expect_count);
    cr_assert_eq(wr_keyed_nstates(rs), 4);
    int rv = wr_keyed_state_id(rs, "v"), rl = wr_keyed_state_id(rs, "l");
    int rm = wr_keyed_state_id(rs, "m"), rp = wr_keyed_state_id(rs, "plain");
    cr_assert_eq(wr_keyed_state_kind(rs, rl), WR_STATE_LIST);
    cr_assert_eq(wr_keyed_state_ttl(rs, rm).ttl_ms, 100);
    cr_assert_eq(wr_keyed_state_ttl(rs, rm).update, WR_TTL_ON_READ_AND_WRITE);
    cr_assert_eq(wr_keyed_state_ttl(rs, rp).ttl_ms, 0);

    wr_keyed_set_key(rs, S("k"));
    assert_value(rs, rv, "", "early");
    assert_value(rs, rv, "ns", "");
    assert_value(rs, rv, "late", "late");
    assert_value(rs, rp, "p", "forever");
    cr_assert_str_eq(list_str(rs, rl, ""), "a,,b");
    wr_keyed_set_key(rs, NULL, 0);
    assert_value(rs, rv, "", "empty key");
    wr_keyed_set_key(rs, S("gone"));
    assert_value(rs, rv, "", NULL);

    /* The TTLs count from the original writes: 1000 + 100 and 1050 + 100. */
    fake_now = 1099;
    wr_keyed_set_key(rs, S("k"));
    cr_assert_eq(map_size(rs, rm, ""), 2); /* a read: refreshes the map entries to 1099 */
    fake_now = 1100;
    assert_value(rs, rv, "", NULL);
    assert_value(rs, rv, "ns", NULL);
    assert_value(rs, rv, "late", "late");
    cr_assert_str_eq(list_str(rs, rl, ""), "b");
    cr_assert_eq(map_size(rs, rm, ""), 2);
    fake_now = 1150;
    assert_value(rs, rv, "late", NULL);
    cr_assert_str_eq(list_str(rs, rl, ""), "");
    assert_value(rs, rp, "p", "forever");
    wr_keyed_free(rs);
    wr_keyed_free(ks);
    cr_assert_eq(wr_alloc_live(), live, "leaked %ld blocks", wr_alloc_live() - live);
}

Test(snapshot, state_without_ttl_restored_into_one_with_ttl_lives_from_the_restore)
{
    wr_keyed *ks = backend();
    int p = wr_keyed_register(ks, "p", WR_STATE_VALUE, NULL);
    wr_keyed_set_key(ks, S("k"));
    wr_keyed_value_put(ks, p, S(""), S("x"));
    wr_buf buf;
    wr_buf_init(&buf);
    wr_state_snapshot_kg(ks, NULL, group_of("k"), &buf);
    wr_keyed *rs = backend();
    wr_state_ttl ttl = {.ttl_ms = 10, .update = WR_TTL_ON_CREATE_AND_WRITE};
    int rp = wr_keyed_register(rs, "p", WR_STATE_VALUE, &ttl);
    fake_now = 5000;
    restore_ok(rs, NULL, &buf);
    cr_assert_eq(wr_keyed_state_ttl(rs, rp).ttl_ms, 10, "the restoring backend's TTL wins");
    wr_keyed_set_key(rs, S("k"));
    fake_now = 5009;
    assert_value(rs, rp, "", "x");
    fake_now = 5010;
    assert_value(rs, rp, "", NULL);
    wr_buf_fini(&buf);
    wr_keyed_free(rs);
    wr_keyed_free(ks);
}

/* Pops every timer of both domains, as "domain:time:key:ns" lines. */
static void pop_all(wr_timers *ts, wr_buf *out)
{
    wr_timer t;
    for (int d = 0; d < 2; d++) {
        while (wr_timers_pop(ts, (wr_time_domain)d, INT64_MAX, &t))
            wr_buf_printf(out, "%d:%ld:%.*s:%.*s:%d\n", d, (long)t.time, (int)t.klen,
                          (const char *)t.key, (int)t.nslen, (const char *)t.ns, t.keygroup);
    }
}

Test(snapshot, timers_round_trip_in_pop_order)
{
    long live = wr_alloc_live();
    wr_keyed *ks = backend();
    wr_timers *ts = wr_timers_new();
    /* Keys of one group, so ties of time must pop in the original order after a restore. */
    const int kg = group_of("key-0");
    char keys[40][16];
    int n = 0;
    for (int i = 0; n < 40; i++) {
        snprintf(keys[n], sizeof(keys[n]), "key-%d", i);
        if (group_of(keys[n]) == kg) n++;
    }
    for (int i = 0; i < 40; i++) {
        int k = (i * 17) % 40; /* registration order differs from key order */
        wr_timers_register(ts, i % 3 ? WR_EVENT_TIME : WR_PROCESSING_TIME, 100 + i % 5, S(keys[k]),
                           S(i % 2 ? "w" : ""), kg);
    }
    /* Timers of another group, deleted and popped ones must not be written. */
    for (int i = 0; i < 5; i++) {
        char key[24];
        snprintf(key, sizeof(key), "other-%d", i);
        if (group_of(key) != kg)
            wr_timers_register(ts, WR_EVENT_TIME, 100, S(key), S(""), group_of(key));
    }
    cr_assert(wr_timers_delete(ts, WR_EVENT_TIME, 101, S(keys[17]), S("w")));
    wr_timer t;
    cr_assert(wr_timers_pop(ts, WR_PROCESSING_TIME, INT64_MAX, &t));

    wr_buf buf, want, got;
    wr_buf_init(&buf);
    wr_buf_init(&want);
    wr_buf_init(&got);
    wr_state_snapshot_kg(ks, ts, kg, &buf);
    wr_timers *rt = wr_timers_new();
    wr_keyed *rs = backend();
    restore_ok(rs, rt, &buf);
    cr_assert_eq(wr_timers_count(rt), 38);
    /* The original's timers of group kg, in pop order, against the restored ones. */
    wr_timers *only = wr_timers_new();
    while (wr_timers_pop(ts, WR_EVENT_TIME, INT64_MAX, &t) ||
           wr_timers_pop(ts, WR_PROCESSING_TIME, INT64_MAX, &t)) {
        if (t.keygroup == kg)
            wr_timers_register(only, t.domain, t.time, t.key, t.klen, t.ns, t.nslen, t.keygroup);
    }
    pop_all(only, &want);
    pop_all(rt, &got);
    cr_assert_str_eq(got.data, want.data);
    wr_timers_free(only);
    wr_timers_free(rt);
    wr_timers_free(ts);
    wr_keyed_free(rs);
    wr_keyed_free(ks);
    wr_buf_fini(&buf);
    wr_buf_fini(&want);
    wr_buf_fini(&got);
    cr_assert_eq(wr_alloc_live(), live, "leaked %ld blocks", wr_alloc_live() - live);
}

static void record_id(void *arg, const wr_timer *t)
{
    wr_buf *out = arg;
    int id;
    memcpy(&id, t->key, sizeof(id));
    wr_buf_printf(out, "%d,", id);
}

Test(snapshot, timers_for_each_is_in_registration_order)
{
    wr_timers *ts = wr_timers_new();
    for (int i = 0; i < 10; i++)
        wr_timers_register(ts, i % 2 ? WR_EVENT_TIME : WR_PROCESSING_TIME, 50 - i, &i, sizeof(i),
                           NULL, 0, i == 4 ? 2 : 9);
    int three = 3;
    cr_assert(wr_timers_delete(ts, WR_EVENT_TIME, 47, &three, sizeof(three), NULL, 0));
    wr_timer t;
    cr_assert(wr_timers_pop(ts, WR_EVENT_TIME, INT64_MAX, &t)); /* 41: i = 9 */
    wr_buf ids;
    wr_buf_init(&ids);
    wr_timers_for_each(ts, 9, record_id, &ids);
    cr_assert_str_eq(ids.data, "0,1,2,5,6,7,8,");
    wr_buf_reset(&ids);
    wr_timers_for_each(ts, 2, record_id, &ids);
    cr_assert_str_eq(ids.data, "4,");
    wr_buf_reset(&ids);
    wr_timers_for_each(ts, 1000, record_id, &ids); /* a group never seen */
    cr_assert_eq(ids.len, 0);
    wr_buf_fini(&ids);
    wr_timers_free(ts);
}

enum { JOB_KEYS = 3000 };

/* Two subtasks of parallelism 2 running the job's states over JOB_KEYS keys. */
static void job_at_parallelism_2(wr_keyed *ks[2], wr_timers *ts[2])
{
    for (int s = 0; s < 2; s++) {
        int first, last;
        wr_keygroup_range(s, MAXP, 2, &first, &last);
        ks[s] = wr_keyed_new(MAXP, first, last, fake_clock, NULL);
        ts[s] = wr_timers_new();
        register_job_states(ks[s]);
    }
    fake_now = 1000;
    for (int i = 0; i < JOB_KEYS; i++) {
        char key[24];
        snprintf(key, sizeof(key), "key-%d", i);
        int s = wr_keygroup_subtask(group_of(key), MAXP, 2);
        fill_key(ks[s], ts[s], i);
    }
}

/* Snapshots the job at parallelism 2 and restores it at parallelism p; checks every key. */
static void rescale_2_to(int p)
{
    long live = wr_alloc_live();
    wr_keyed *old_ks[2];
    wr_timers *old_ts[2];
    job_at_parallelism_2(old_ks, old_ts);
    size_t timers = wr_timers_count(old_ts[0]) + wr_timers_count(old_ts[1]);
    wr_buf bufs[MAXP];
    for (int s = 0; s < 2; s++) {
        int first, last;
        wr_keygroup_range(s, MAXP, 2, &first, &last);
        snapshot_groups(old_ks[s], old_ts[s], first, last, bufs);
    }

    wr_keyed *ks[4];
    wr_timers *ts[4];
    for (int s = 0; s < p; s++) {
        int first, last;
        wr_keygroup_range(s, MAXP, p, &first, &last);
        ks[s] = wr_keyed_new(MAXP, first, last, fake_clock, NULL);
        ts[s] = wr_timers_new();
    }
    /* Each snapshot goes to the subtask that owns its group now, in any order. */
    for (int k = 0; k < MAXP; k++) {
        int i = (k * 37) % MAXP;
        wr_error err;
        int kg = wr_state_snapshot_keygroup(bufs[i].data, bufs[i].len, &err);
        cr_assert_eq(kg, i);
        int s = wr_keygroup_subtask(kg, MAXP, p);
        restore_ok(ks[s], ts[s], &bufs[i]);
    }
    for (int i = 0; i < MAXP; i++) wr_buf_fini(&bufs[i]);

    size_t count = 0, restored_timers = 0;
    for (int s = 0; s < p; s++) {
        count += wr_keyed_count(ks[s]);
        restored_timers += wr_timers_count(ts[s]);
    }
    cr_assert_eq(count, wr_keyed_count(old_ks[0]) + wr_keyed_count(old_ks[1]));
    cr_assert_eq(restored_timers, timers);
    for (int i = 0; i < JOB_KEYS; i++) {
        char key[24];
        snprintf(key, sizeof(key), "key-%d", i);
        int s = wr_keygroup_subtask(group_of(key), MAXP, p);
        check_key(ks[s], i);
    }
    /* Timers fire on the subtask that owns their key, in time order. */
    for (int s = 0; s < p; s++) {
        wr_timer t;
        int64_t last = INT64_MIN;
        while (wr_timers_pop(ts[s], WR_EVENT_TIME, INT64_MAX, &t)) {
            cr_assert_geq(t.time, last);
            last = t.time;
            cr_assert_eq(wr_keygroup_subtask(t.keygroup, MAXP, p), s);
            int kg = wr_keygroup_of_hash(wr_hash_bytes(t.key, t.klen), MAXP);
            cr_assert_eq(t.keygroup, kg);
        }
    }
    for (int s = 0; s < p; s++) {
        wr_keyed_free(ks[s]);
        wr_timers_free(ts[s]);
    }
    for (int s = 0; s < 2; s++) {
        wr_keyed_free(old_ks[s]);
        wr_timers_free(old_ts[s]);
    }
    cr_assert_eq(wr_alloc_live(), live, "leaked %ld blocks", wr_alloc_live() - live);
}

Test(snapshot, rescale_from_2_to_1)
{
    rescale_2_to(1);
}

Test(snapshot, rescale_from_2_to_4)
{
    rescale_2_to(4);
}

Test(snapshot, states_are_matched_by_name_not_id)
{
    wr_keyed *ks = backend();
    wr_timers *ts = wr_timers_new();
    register_job_states(ks);
    const int kg = group_of("key-0");
    for (int i = 0; i < 200; i++) {
        char key[24];
        snprintf(key, sizeof(key), "key-%d", i);
        if (group_of(key) == kg) fill_key(ks, ts, i);
    }
    wr_buf buf;
    wr_buf_init(&buf);
    wr_state_snapshot_kg(ks, ts, kg, &buf);

    /* Another run declared its states in another order, one more, and not "seen" yet. */
    wr_keyed *rs = backend();
    wr_timers *rt = wr_timers_new();
    cr_assert_eq(wr_keyed_register(rs, "extra", WR_STATE_MAP, NULL), 0);
    cr_assert_eq(wr_keyed_register(rs, "last", WR_STATE_VALUE, &ttl_1000), 1);
    cr_assert_eq(wr_keyed_register(rs, "events", WR_STATE_LIST, NULL), 2);
    cr_assert_eq(wr_keyed_register(rs, "count", WR_STATE_VALUE, NULL), 3);
    restore_ok(rs, rt, &buf);
    cr_assert_eq(wr_keyed_nstates(rs), 5);
    cr_assert_eq(wr_keyed_state_id(rs, "seen"), 4);
    cr_assert_eq(wr_keyed_state_kind(rs, 4), WR_STATE_MAP);
    for (int i = 0; i < 200; i++) {
        char key[24];
        snprintf(key, sizeof(key), "key-%d", i);
        if (group_of(key) == kg) check_key(rs, i);
    }
    cr_assert_eq(wr_keyed_count(rs), wr_keyed_count(ks));
    cr_assert_eq(wr_timers_count(rt), wr_timers_count(ts));

    /* The same snapshot again: the group already holds state. */
    wr_error err;
    cr_assert_eq(wr_state_restore_kg(rs, rt, buf.data, buf.len, &err), WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "already holds state"), "%s", err.msg);
    wr_buf_fini(&buf);
    wr_keyed_free(rs);
    wr_timers_free(rt);
    wr_keyed_free(ks);
    wr_timers_free(ts);
}

/* A small snapshot of every kind and timers, of the group of "key-0". */
static void small_snapshot(wr_buf *buf)
{
    wr_keyed *ks = backend();
    wr_timers *ts = wr_timers_new();
    register_job_states(ks);
    fill_key(ks, ts, 0);
    wr_buf_init(buf);
    wr_state_snapshot_kg(ks, ts, group_of("key-0"), buf);
    wr_keyed_free(ks);
    wr_timers_free(ts);
}

/* Restores data into rs/rt expecting failure; asserts nothing changed. */
static void restore_fails(wr_keyed *rs, wr_timers *rt, const void *data, size_t len,
                          const char *want, size_t at)
{
    wr_error err;
    wr_error_init(&err);
    int nstates = wr_keyed_nstates(rs);
    int rc = wr_state_restore_kg(rs, rt, data, len, &err);
    cr_assert_eq(rc, WR_ERR_IO, "%zu bytes: rc %d (%s)", len, rc, err.msg);
    cr_assert(strstr(err.msg, "key-group snapshot: "), "%s", err.msg);
    if (want) cr_assert(strstr(err.msg, want), "%zu bytes: '%s' lacks '%s'", len, err.msg, want);
    if (at != SIZE_MAX) cr_assert_eq(err.offset, (int)at, "%s", err.msg);
    cr_assert_eq(wr_keyed_nstates(rs), nstates, "%zu bytes: states registered", len);
    cr_assert_eq(wr_keyed_count(rs), 0, "%zu bytes: partially restored", len);
    cr_assert_eq(wr_timers_count(rt), 0, "%zu bytes: timers restored", len);
}

Test(snapshot, every_truncation_is_an_error_and_restores_nothing)
{
    wr_buf buf;
    small_snapshot(&buf);
    wr_keyed *rs = backend();
    wr_timers *rt = wr_timers_new();
    wr_keyed_register(rs, "count", WR_STATE_VALUE, NULL);
    char *copy = wr_malloc(buf.len); /* exactly len bytes, so ASan sees any overread */
    wr_buf fixed;
    wr_buf_init(&fixed);
    for (size_t len = 0; len < buf.len; len++) {
        memcpy(copy, buf.data, len);
        restore_fails(rs, rt, copy, len, "truncated", len < 4 ? len : SIZE_MAX);
        /*
         * The same prefix made self-consistent (size and checksum fixed up):
         * the parser itself must notice where the content stops.
         */
        if (len < WR_STATE_SNAPSHOT_HEADER || len == buf.len - 8) continue; /* or: the original */
        wr_buf_reset(&fixed);
        wr_buf_append(&fixed, buf.data, len);
        uint64_t size = len + 8, sum;
        memcpy(fixed.data + 8, &size, 8); /* the tests run little-endian */
        sum = wr_hash_bytes(fixed.data, len);
        wr_buf_append(&fixed, &sum, 8);
        char *exact = wr_malloc(fixed.len);
        memcpy(exact, fixed.data, fixed.len);
        restore_fails(rs, rt, exact, fixed.len, NULL, SIZE_MAX);
        wr_free(exact);
    }
    /* Trailing bytes are an error too; the whole restores. */
    wr_buf_append(&buf, "x", 1);
    restore_fails(rs, rt, buf.data, buf.len, "bytes after the end", buf.len - 1);
    cr_assert_eq(wr_state_restore_kg(rs, rt, buf.data, buf.len - 1, NULL), 0);
    check_key(rs, 0);
    wr_free(copy);
    wr_buf_fini(&fixed);
    wr_buf_fini(&buf);
    wr_keyed_free(rs);
    wr_timers_free(rt);
}

Test(snapshot, a_flipped_byte_is_a_checksum_error)
{
    wr_buf buf;
    small_snapshot(&buf);
    wr_keyed *rs = backend();
    wr_timers *rt = wr_timers_new();
    for (size_t i = 16; i < buf.len; i++) { /* past magic, version and size */
        buf.data[i] ^= 0x20;
        restore_fails(rs, rt, buf.data, buf.len, "checksum mismatch", buf.len - 8);
        buf.data[i] ^= 0x20;
    }
    /* A flipped size reads as a truncation or as trailing bytes. */
    buf.data[8] ^= 1;
    restore_fails(rs, rt, buf.data, buf.len, NULL, SIZE_MAX);
    buf.data[8] ^= 1;
    cr_assert_eq(wr_state_restore_kg(rs, rt, buf.data, buf.len, NULL), 0);
    wr_buf_fini(&buf);
    wr_keyed_free(rs);
    wr_timers_free(rt);
}

Test(snapshot, wrong_magic_and_version_are_named)
{
    wr_buf buf;
    small_snapshot(&buf);
    wr_keyed *rs = backend();
    wr_timers *rt = wr_timers_new();
    wr_error err;
    buf.data[1] = 'X';
    restore_fails(rs, rt, buf.data, buf.len, "bad magic", 0);
    cr_assert_eq(wr_state_snapshot_keygroup(buf.data, buf.len, &err), -1);
    cr_assert(strstr(err.msg, "bad magic"), "%s", err.msg);
    restore_fails(rs, rt, "PK\3\4 not ours", 13, "bad magic", 0);
    buf.data[1] = 'R';
    buf.data[4] = 2;
    restore_fails(rs, rt, buf.data, buf.len, "unsupported format version 2", 4);
    cr_assert_eq(wr_state_snapshot_keygroup(buf.data, buf.len, &err), -1);
    cr_assert(strstr(err.msg, "version 2"), "%s", err.msg);
    buf.data[4] = 1;
    cr_assert_eq(wr_state_snapshot_keygroup(buf.data, WR_STATE_SNAPSHOT_HEADER, &err),
                 group_of("key-0"), "the header alone is enough");
    cr_assert_eq(wr_state_snapshot_keygroup(buf.data, WR_STATE_SNAPSHOT_HEADER - 1, &err), -1);
    cr_assert(strstr(err.msg, "truncated header"), "%s", err.msg);
    wr_buf_fini(&buf);
    wr_keyed_free(rs);
    wr_timers_free(rt);
}

Test(snapshot, kind_mismatch_is_an_error_and_registers_nothing)
{
    wr_buf buf;
    small_snapshot(&buf);
    wr_keyed *rs = backend();
    wr_timers *rt = wr_timers_new();
    wr_keyed_register(rs, "events", WR_STATE_MAP, NULL);
    restore_fails(rs, rt, buf.data, buf.len, "state 'events' is list state in the snapshot but map",
                  SIZE_MAX);
    cr_assert_eq(wr_keyed_nstates(rs), 1);
    wr_buf_fini(&buf);
    wr_keyed_free(rs);
    wr_timers_free(rt);
}

Test(snapshot, restoring_where_the_group_does_not_belong_is_refused)
{
    wr_buf buf;
    small_snapshot(&buf);
    const int kg = group_of("key-0");
    wr_error err;
    /* Another max parallelism assigns keys to other groups. */
    wr_keyed *other = wr_keyed_new(256, 0, 255, fake_clock, NULL);
    wr_timers *rt = wr_timers_new();
    restore_fails(other, rt, buf.data, buf.len, "max parallelism 128, restored at 256", 20);
    /* A backend that does not own the group. */
    wr_keyed *rs = wr_keyed_new(MAXP, kg == 0 ? 1 : 0, kg == 0 ? 1 : 0, fake_clock, NULL);
    cr_assert_eq(wr_state_restore_kg(rs, rt, buf.data, buf.len, &err), WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "restored into a backend of key groups"), "%s", err.msg);
    /* Timers and no service to restore them into. */
    wr_keyed *all = backend();
    cr_assert_eq(wr_state_restore_kg(all, NULL, buf.data, buf.len, &err), WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "no timer service"), "%s", err.msg);
    cr_assert_eq(wr_keyed_count(all), 0);
    cr_assert_eq(wr_keyed_nstates(all), 0);
    wr_buf_fini(&buf);
    wr_keyed_free(other);
    wr_keyed_free(rs);
    wr_keyed_free(all);
    wr_timers_free(rt);
}

Test(snapshot, appended_snapshots_split_by_their_size)
{
    wr_keyed *ks = backend();
    wr_timers *ts = wr_timers_new();
    register_job_states(ks);
    for (int i = 0; i < 50; i++) fill_key(ks, ts, i);
    wr_buf all;
    wr_buf_init(&all);
    wr_buf_append(&all, "preamble", 8); /* snapshots append after what out holds */
    for (int kg = 0; kg < MAXP; kg++) wr_state_snapshot_kg(ks, ts, kg, &all);
    wr_keyed *rs = backend();
    wr_timers *rt = wr_timers_new();
    size_t off = 8;
    int n = 0;
    while (off < all.len) {
        size_t size = wr_state_snapshot_size(all.data + off, all.len - off, NULL);
        cr_assert_gt(size, 0);
        cr_assert_eq(wr_state_snapshot_keygroup(all.data + off, size, NULL), n);
        cr_assert_eq(wr_state_restore_kg(rs, rt, all.data + off, size, NULL), 0);
        off += size;
        n++;
    }
    cr_assert_eq(n, MAXP);
    cr_assert_eq(off, all.len);
    for (int i = 0; i < 50; i++) check_key(rs, i);
    cr_assert_eq(wr_timers_count(rt), wr_timers_count(ts));
    wr_buf_fini(&all);
    wr_keyed_free(rs);
    wr_timers_free(rt);
    wr_keyed_free(ks);
    wr_timers_free(ts);
}

/* ---- the slab allocator under the keyed state (base/slab.h) ---- */

#include "../../src/base/slab.h"

typedef struct slab_obj {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} slab_obj;

static void slab_check(const slab_obj *o)
{
    for (size_t i = 0; i < o->size; i++)
        cr_assert_eq(o->p[i], (unsigned char)(o->fill + i), "byte %zu of a %zu-byte object", i,
                     o->size);
}

Test(slab, random_allocations_keep_their_bytes_and_fini_releases_all)
{
    long live = wr_alloc_live();
    wr_slab s;
    wr_slab_init(&s);
    enum { N = 3000 };
    slab_obj *objs = calloc(N, sizeof(*objs));
    srand(7);
    for (int step = 0; step < 40000; step++) {
        slab_obj *o = &objs[rand() % N];
        /* Mostly small sizes of every class, some at the class edges, some large. */
        int pick = rand() % 10;
        size_t size = pick < 6   ? (size_t)(rand() % 1100)
                      : pick < 9 ? (size_t)(rand() % 2) + (pick == 6   ? 1024
                                                           : pick == 7 ? 2048
                                                                       : 4096)
                                 : (size_t)(rand() % 20000);
        if (o->p && rand() % 3 == 0) {
            slab_check(o);
            wr_slab_free(&s, o->p, o->size);
            o->p = NULL;
        } else if (o->p) {
            slab_check(o);
            o->p = wr_slab_realloc(&s, o->p, o->size, size);
            size_t keep = WR_MIN(o->size, size);
            for (size_t i = 0; i < keep; i++)
                cr_assert_eq(o->p[i], (unsigned char)(o->fill + i), "realloc kept byte %zu", i);
            o->size = size;
            for (size_t i = 0; i < size; i++) o->p[i] = (unsigned char)(o->fill + i);
        } else {
            o->p = wr_slab_alloc(&s, size);
            cr_assert_eq((uintptr_t)o->p % 16, 0, "16-aligned");
            o->size = size;
            o->fill = (unsigned char)rand();
            for (size_t i = 0; i < size; i++) o->p[i] = (unsigned char)(o->fill + i);
        }
    }
    for (int i = 0; i < N; i++)
        if (objs[i].p) slab_check(&objs[i]);
    cr_assert_gt(s.reserved, 0);
    wr_slab_fini(&s);
    cr_assert_eq(wr_alloc_live(), live, "fini returns every page and large object");
    free(objs);
}

Test(slab, a_freed_object_is_reused_by_its_class)
{
    wr_slab s;
    wr_slab_init(&s);
    void *a = wr_slab_alloc(&s, 40), *b = wr_slab_alloc(&s, 40);
    cr_assert_neq(a, b);
    wr_slab_free(&s, a, 40);
    cr_assert_eq(wr_slab_alloc(&s, 33), a, "33 and 40 bytes share the 48-byte class");
    wr_slab_free(&s, b, 40);
    cr_assert_neq(wr_slab_alloc(&s, 64), b, "64 bytes is another class");
    /* Growing within the class keeps the object where it is. */
    void *c = wr_slab_alloc(&s, 100);
    cr_assert_eq(wr_slab_realloc(&s, c, 100, 110), c);
    wr_slab_fini(&s);
}
