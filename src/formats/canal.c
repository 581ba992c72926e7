/*
 * canal.c — Flink's 'canal-json' format; see canal.h.
 *
 * A message is walked once for its members ("data", "old", "type",
 * "database", "table", in any order, each checked), then the "data" rows
 * from *next on are decoded, and for an update the "old" row of the same
 * index is overlaid on a copy of its data row. A message larger than what
 * is left of a batch stops and resumes at a row boundary, so one message
 * may span batches; re-walking it costs a scan of its text per batch.
 */
#include "canal.h"
#include "../base/alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

static const char *const standard_names[] = {"SQL", "ISO-8601", NULL};

void wr_canal_options_default(wr_canal_options *o)
{
    memset(o, 0, sizeof(*o));
    wr_json_options_default(&o->json);
}

void wr_canal_options_fini(wr_canal_options *o)
{
    wr_free(o->database_include);
    wr_free(o->table_include);
    pcre2_code_free(o->database_re);
    pcre2_code_free(o->table_re);
    wr_canal_options_default(o);
}

/* Compiles the regular expression of option key, if set, into *re and a copy into *text. */
static int read_pattern(const wr_config *options, const char *key, char **text, void **re,
                        wr_error *err)
{
    const wr_config_entry *e = wr_config_find(options, key);
    if (e == NULL) return 0;
    int code;
    PCRE2_SIZE at;
    pcre2_code *code_re =
        pcre2_compile((PCRE2_SPTR)e->value, PCRE2_ZERO_TERMINATED,
                      PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &code, &at, NULL);
    if (code_re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': %s at offset %zu", e->value,
                               key, (const char *)msg, (size_t)at);
    }
    *re = code_re;
    *text = wr_strdup(e->value);
    return 0;
}

int wr_canal_options_read(const wr_config *options, wr_canal_options *o, wr_error *err)
{
    wr_canal_options_default(o);
    int rc = wr_config_get_bool(options, "canal-json.ignore-parse-errors", false,
                                &o->ignore_parse_errors, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "canal-json.timestamp-format.standard", standard_names,
                                WR_JSON_TIMESTAMP_SQL, &o->json.timestamp_standard, err);
    if (rc == 0)
        rc = read_pattern(options, "canal-json.database.include", &o->database_include,
                          &o->database_re, err);
    if (rc == 0)
        rc =
            read_pattern(options, "canal-json.table.include", &o->table_include, &o->table_re, err);
    o->json.ignore_parse_errors = o->ignore_parse_errors;
    if (rc) wr_canal_options_fini(o);
    return rc;
}

/* ---- decoding --------------------------------------------------------------------- */

typedef struct message {
    wr_json_item data, old, type, database, table; /* end 0: absent */
} message;

static bool name_is(const wr_json_item *item, const char *name)
{
    return item->name_len == strlen(name) && memcmp(item->name, name, item->name_len) == 0;
}

static bool is_null(const char *text, const wr_json_item *item)
{
    return item->end == 0 ||
           (item->end - item->start == 4 && memcmp(text + item->start, "null", 4) == 0);
}

/*
 * Whether the string member (absent or null: the empty name) matches the
 * pattern whole; re NULL matches everything. Sets *match.
 */
static int included(const char *text, const wr_json_item *member, const char *what, void *re,
                    bool *match, wr_error *err)
{
    *match = true;
    if (re == NULL) return 0;
    wr_buf name;
    wr_buf_init(&name);
    int rc = is_null(text, member)
                 ? 0
                 : wr_json_string(text, member->start, member->end, what, &name, err);
    if (rc == 0) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        *match = pcre2_match(re, (PCRE2_SPTR)(name.data ? name.data : ""), name.len, 0, 0, md,
                             NULL) >= 0;
        pcre2_match_data_free(md);
    }
    wr_buf_fini(&name);
    return rc;
}

/* Moves an array iterator to its element `index`; the element is in *item. */
static int element(wr_json_iter *it, int index, const char *what, wr_json_item *item, wr_error *err)
{
    int rc;
    while ((rc = wr_json_iter_next(it, item)) == 1)
        if (it->n - 1 == index) return 0;
    if (rc < 0) return rc;
    return wr_error_set(err, WR_ERR_PARSE, "'%s' has %d rows; 'data' has more", what, it->n);
}

int wr_canal_decode(const wr_canal_options *o, const wr_schema *schema, const char *text,
                    size_t len, int *next, wr_batch *batch, wr_error *err)
{
    message msg;
    memset(&msg, 0, sizeof(msg));
    wr_json_iter it;
    wr_json_item item;
    int rc = wr_json_iter_record(&it, text, len, err);
    if (rc) return rc;
    while ((rc = wr_json_iter_next(&it, &item)) == 1) {
        if (name_is(&item, "data"))
            msg.data = item;
        else if (name_is(&item, "old"))
            msg.old = item;
        else if (name_is(&item, "type"))
            msg.type = item;
        else if (name_is(&item, "database"))
            msg.database = item;
        else if (name_is(&item, "table"))
            msg.table = item;
    }
    if (rc) return rc;
    if (msg.type.end == 0)
        return wr_error_set(err, WR_ERR_PARSE, "the message has no 'type' member");
    wr_buf type;
    wr_buf_init(&type);
    rc = wr_json_string(text, msg.type.start, msg.type.end, "type", &type, err);
    wr_change_kind kind = WR_KIND_INSERT;
    bool skip = false;
    if (rc == 0) {
        if (strcmp(type.data, "INSERT") == 0)
            kind = WR_KIND_INSERT;
        else if (strcmp(type.data, "UPDATE") == 0)
            kind = WR_KIND_UPDATE_AFTER;
        else if (strcmp(type.data, "DELETE") == 0)
            kind = WR_KIND_DELETE;
        else
            skip = true; /* DDL and other events (CREATE, ALTER, QUERY, ...) carry no rows */
    }
    wr_buf_fini(&type);
    bool db_ok = true, table_ok = true;
    if (rc == 0) rc = included(text, &msg.database, "database", o->database_re, &db_ok, err);
    if (rc == 0) rc = included(text, &msg.table, "table", o->table_re, &table_ok, err);
    if (rc) return rc;
    if (skip || !db_ok || !table_ok) {
        *next = 0;
        return WR_JSON_SKIPPED;
    }
    if (is_null(text, &msg.data))
        return wr_error_set(err, WR_ERR_PARSE, "the 'data' of an %s message is %s",
                            kind == WR_KIND_INSERT   ? "INSERT"
                            : kind == WR_KIND_DELETE ? "DELETE"
                                                     : "UPDATE",
                            msg.data.end ? "null" : "missing");
    bool update = kind == WR_KIND_UPDATE_AFTER;
    if (update && is_null(text, &msg.old))
        return wr_error_set(err, WR_ERR_PARSE, "the 'old' of an UPDATE message is %s",
                            msg.old.end ? "null" : "missing");
    wr_json_iter data, old;
    if ((rc = wr_json_iter_begin(&data, text, len, msg.data.start, '[', err))) return rc;
    if (update && (rc = wr_json_iter_begin(&old, text, len, msg.old.start, '[', err))) return rc;
    int first = batch->count, index = 0;
    wr_json_item row, old_row;
    uint8_t *kinds = wr_batch_kinds(batch);
    for (;; index++) {
        rc = wr_json_iter_next(&data, &row);
        if (rc <= 0) break;
        if (index < *next) continue;
        if (batch->capacity - batch->count < (update ? 2 : 1)) {
            *next = index;
            return WR_CHANGELOG_FULL;
        }
        if (update) {
            /* -U: the row before the update is the data row with the old values over it. */
            if ((rc = element(&old, index, "old", &old_row, err))) break;
            rc = wr_json_decode_object(&o->json, schema, text, len, row.start, 0, batch, err);
            if (rc) break;
            kinds[batch->count - 1] = WR_KIND_UPDATE_BEFORE;
            rc = wr_json_decode_object(&o->json, schema, text, len, old_row.start, WR_JSON_OVERLAY,
                                       batch, err);
            if (rc) {
                batch->count--;
                break;
            }
        }
        rc = wr_json_decode_object(&o->json, schema, text, len, row.start, 0, batch, err);
        if (rc) {
            if (update) batch->count--;
            break;
        }
        kinds[batch->count - 1] = (uint8_t)kind;
    }
    if (rc < 0) {
        *next = 0;
        batch->count = first; /* this call's rows go with the message */
        return rc;
    }
    bool none = index == 0;
    *next = 0;
    return none ? WR_JSON_SKIPPED : 0;
}

/* ---- encoding ------------------------------------------------------------------- */

void wr_canal_encode(const wr_canal_options *o, const wr_batch *batch, int row,
                     const wr_schema *schema, wr_buf *out)
{
    wr_change_kind kind = wr_batch_kind(batch, row);
    bool add = kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER;
    wr_buf_puts(out, "{\"data\":[");
    wr_json_encode(&o->json, batch, row, schema, out);
    wr_buf_puts(out, add ? "],\"type\":\"INSERT\"}" : "],\"type\":\"DELETE\"}");
}
