/*
 * debezium.c — Flink's 'debezium-json' format; see debezium.h.
 *
 * An event is read in two steps: the envelope's members are walked once to
 * find "op", "before" and "after" (in any order, every member checked), then
 * the rows are decoded. So a bad event appends nothing, and an update's two
 * rows are appended together or not at all.
 */
#include "debezium.h"

#include <string.h>

static const char *const null_key_modes[] = {"FAIL", "DROP", "LITERAL", NULL};
static const char *const standard_names[] = {"SQL", "ISO-8601", NULL};

void wr_debezium_options_default(wr_debezium_options *o)
{
    o->schema_include = false;
    o->ignore_parse_errors = false;
    wr_json_options_default(&o->json);
}

int wr_debezium_options_read(const wr_config *options, wr_debezium_options *o, wr_error *err)
{
    wr_debezium_options_default(o);
    int mode;
    int rc =
        wr_config_get_bool(options, "debezium-json.schema-include", false, &o->schema_include, err);
    if (rc == 0)
        rc = wr_config_get_bool(options, "debezium-json.ignore-parse-errors", false,
                                &o->ignore_parse_errors, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "debezium-json.timestamp-format.standard", standard_names,
                                WR_JSON_TIMESTAMP_SQL, &o->json.timestamp_standard, err);
    /* MAP columns are not supported by the json format, so a null map key never occurs. */
    if (rc == 0)
        rc = wr_config_get_enum(options, "debezium-json.map-null-key.mode", null_key_modes, 0,
                                &mode, err);
    if (rc == 0) wr_config_find(options, "debezium-json.map-null-key.literal");
    o->json.ignore_parse_errors = o->ignore_parse_errors;
    return rc;
}

/* The members of an event that matter, as byte ranges of its text (start 0: absent). */
typedef struct envelope {
    wr_json_item op, before, after, payload;
} envelope;

static bool name_is(const wr_json_item *item, const char *name)
{
    return item->name_len == strlen(name) && memcmp(item->name, name, item->name_len) == 0;
}

/* Walks the object at text[pos] (the top-level one when whole) for the members of interest. */
static int walk(const char *text, size_t len, size_t pos, bool whole, envelope *env, wr_error *err)
{
    wr_json_iter it;
    int rc = whole ? wr_json_iter_record(&it, text, len, err)
                   : wr_json_iter_begin(&it, text, len, pos, '{', err);
    if (rc) return rc;
    wr_json_item item;
    while ((rc = wr_json_iter_next(&it, &item)) == 1) {
        if (name_is(&item, "op"))
            env->op = item;
        else if (name_is(&item, "before"))
            env->before = item;
        else if (name_is(&item, "after"))
            env->after = item;
        else if (name_is(&item, "payload"))
            env->payload = item;
    }
    return rc;
}

static bool is_null(const char *text, const wr_json_item *item)
{
    return item->end == 0 ||
           (item->end - item->start == 4 && memcmp(text + item->start, "null", 4) == 0);
}

/* Appends the object of `member` as a row of kind `kind`. */
static int append(const wr_debezium_options *o, const wr_schema *schema, const char *text,
                  size_t len, const wr_json_item *member, wr_change_kind kind, wr_batch *batch,
                  wr_error *err)
{
    int rc = wr_json_decode_object(&o->json, schema, text, len, member->start, 0, batch, err);
    if (rc) return rc;
    wr_batch_kinds(batch)[batch->count - 1] = (uint8_t)kind;
    return 0;
}

int wr_debezium_decode(const wr_debezium_options *o, const wr_schema *schema, const char *text,
                       size_t len, wr_batch *batch, wr_error *err)
{
    envelope env;
    memset(&env, 0, sizeof(env));
    int rc = walk(text, len, 0, true, &env, err);
    if (rc) return rc;
    if (o->schema_include) {
        /* Kafka Connect's JsonConverter with schemas: the event is the "payload". */
        if (env.payload.end == 0 || is_null(text, &env.payload))
            return wr_error_set(err, WR_ERR_PARSE,
                                "the event has no 'payload' object "
                                "('debezium-json.schema-include' is true)");
        wr_json_item payload = env.payload;
        memset(&env, 0, sizeof(env));
        if ((rc = walk(text, len, payload.start, false, &env, err))) return rc;
    }
    if (env.op.end == 0) {
        /* Flink's hint: with a schema, the event is inside "payload". */
        return wr_error_set(err, WR_ERR_PARSE, "the event has no 'op' member%s",
                            !o->schema_include && env.payload.end
                                ? " (it has a 'payload': set 'debezium-json.schema-include' to "
                                  "'true')"
                                : "");
    }
    wr_buf op;
    wr_buf_init(&op);
    rc = wr_json_string(text, env.op.start, env.op.end, "op", &op, err);
    char c = rc == 0 && op.len == 1 ? op.data[0] : '?';
    if (rc == 0 && !strchr("crud", c))
        rc = wr_error_set(err, WR_ERR_PARSE,
                          "field 'op' at offset %zu: unknown operation '%.*s'; expected 'c', 'r', "
                          "'u' or 'd'",
                          env.op.start, (int)WR_MIN(op.len, (size_t)32), op.data);
    wr_buf_fini(&op);
    if (rc) return rc;
    /* Checked before any row is appended: an update's rows come in together. */
    bool need_before = c == 'u' || c == 'd', need_after = c != 'd';
    const char *what = c == 'u' ? "an update" : c == 'd' ? "a delete" : "an insert";
    if (need_before && is_null(text, &env.before))
        return wr_error_set(err, WR_ERR_PARSE,
                            "the 'before' of %s ('op' '%c') is %s; Debezium needs the full old "
                            "row (for PostgreSQL: REPLICA IDENTITY FULL)",
                            what, c, env.before.end ? "null" : "missing");
    if (need_after && is_null(text, &env.after))
        return wr_error_set(err, WR_ERR_PARSE, "the 'after' of %s ('op' '%c') is %s", what, c,
                            env.after.end ? "null" : "missing");
    int nrows = c == 'u' ? 2 : 1;
    if (batch->capacity - batch->count < nrows) return WR_CHANGELOG_FULL;
    switch (c) {
    case 'c':
    case 'r':
        return append(o, schema, text, len, &env.after, WR_KIND_INSERT, batch, err);
    case 'd':
        return append(o, schema, text, len, &env.before, WR_KIND_DELETE, batch, err);
    default:
        if ((rc = append(o, schema, text, len, &env.before, WR_KIND_UPDATE_BEFORE, batch, err)))
            return rc;
        if ((rc = append(o, schema, text, len, &env.after, WR_KIND_UPDATE_AFTER, batch, err)))
            batch->count--; /* the -U row goes with its +U */
        return rc;
    }
}

/* ---- encoding ------------------------------------------------------------------- */

void wr_debezium_encode(const wr_debezium_options *o, const wr_batch *batch, int row,
                        const wr_schema *schema, wr_buf *out)
{
    wr_change_kind kind = wr_batch_kind(batch, row);
    bool add = kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER;
    wr_buf_puts(out, add ? "{\"before\":null,\"after\":" : "{\"before\":");
    wr_json_encode(&o->json, batch, row, schema, out);
    wr_buf_puts(out, add ? ",\"op\":\"c\"}" : ",\"after\":null,\"op\":\"d\"}");
}
