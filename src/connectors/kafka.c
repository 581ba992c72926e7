/*
 * kafka.c — the 'kafka' connector (Flink's): reads a table's options into the
 * specs of the source (kafka_source.c) and the sink (kafka_sink.c).
 *
 * Both roles read every option, as Flink's factory does, so one table can be
 * read and written; what only one role needs (a single sink topic, a
 * transactional id prefix for exactly-once, a group for group offsets) is
 * checked when that role is planned. Everything is validated here, against
 * librdkafka too (each 'properties.*' is tried on a scratch configuration),
 * so a bad option fails at CREATE TABLE where it was written and the
 * operators start from specs that are known to be good.
 */
#include "connector_int.h"
#include "kafka.h"
#include "../base/alloc.h"
#include "../base/vec.h"
#include "../expr/expr.h"
#include "../types/nested.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KAFKA_OPTION_NAMES                                                                         \
    "connector, topic, topic-pattern, properties.bootstrap.servers, properties.group.id, "         \
    "properties.*, format, value.format, key.format, key.fields, key.fields-prefix, "              \
    "value.fields-include, scan.startup.mode, scan.startup.timestamp-millis, "                     \
    "scan.startup.specific-offsets, scan.bounded.mode, scan.bounded.timestamp-millis, "            \
    "scan.bounded.specific-offsets, scan.topic-partition-discovery.interval, scan.parallelism, "   \
    "scan.watermark.idle-timeout, "                                                                \
    "sink.partitioner, sink.delivery-guarantee, sink.transactional-id-prefix, sink.parallelism, "  \
    "and the options of the formats: json.*, csv.*, debezium-json.*, canal-json.*, avro.* "        \
    "(value.json.*, "                                                                              \
    "key.csv.*, ... with value.format and key.format)"

static const char *const format_names[] = {"csv",        "json", "raw", "debezium-json",
                                           "canal-json", "avro", NULL};
static const char *const start_names[] = {"earliest-offset", "latest-offset",    "group-offsets",
                                          "timestamp",       "specific-offsets", NULL};
static const char *const bound_names[] = {"unbounded", "latest-offset",    "group-offsets",
                                          "timestamp", "specific-offsets", NULL};
static const char *const include_names[] = {"ALL", "EXCEPT_KEY", NULL};
static const char *const partitioner_names[] = {"default", "fixed", "round-robin", NULL};
static const char *const guarantee_names[] = {"none", "at-least-once", "exactly-once", NULL};

/* ---- shared helpers ------------------------------------------------------------- */

void wr_kafka_format_fini(wr_kafka_format *format)
{
    wr_schema_free(format->schema);
    wr_free(format->cols);
    wr_free(format->null_literal);
    wr_canal_options_fini(&format->canal);
    memset(format, 0, sizeof(*format));
    format->kind = WR_KAFKA_FORMAT_NONE;
}

bool wr_kafka_format_ignores_errors(const wr_kafka_format *format)
{
    if (format->kind == WR_KAFKA_FORMAT_JSON) return format->json.ignore_parse_errors;
    if (format->kind == WR_KAFKA_FORMAT_CSV) return format->csv.ignore_parse_errors;
    if (format->kind == WR_KAFKA_FORMAT_DEBEZIUM_JSON) return format->debezium.ignore_parse_errors;
    if (format->kind == WR_KAFKA_FORMAT_CANAL_JSON) return format->canal.ignore_parse_errors;
    return false;
}

bool wr_kafka_format_is_changelog(int kind)
{
    return kind == WR_KAFKA_FORMAT_DEBEZIUM_JSON || kind == WR_KAFKA_FORMAT_CANAL_JSON;
}

void wr_kafka_props_add(wr_kafka_props *props, const char *key, const char *value)
{
    props->keys = wr_realloc(props->keys, (size_t)(props->n + 1) * sizeof(char *));
    props->values = wr_realloc(props->values, (size_t)(props->n + 1) * sizeof(char *));
    props->keys[props->n] = wr_strdup(key);
    props->values[props->n] = wr_strdup(value);
    props->n++;
}

const char *wr_kafka_props_get(const wr_kafka_props *props, const char *key)
{
    const char *v = NULL; /* the last one wins, as it does in the configuration */
    for (int i = 0; i < props->n; i++)
        if (strcmp(props->keys[i], key) == 0) v = props->values[i];
    return v;
}

void wr_kafka_props_fini(wr_kafka_props *props)
{
    for (int i = 0; i < props->n; i++) {
        wr_free(props->keys[i]);
        wr_free(props->values[i]);
    }
    wr_free(props->keys);
    wr_free(props->values);
    memset(props, 0, sizeof(*props));
}

rd_kafka_conf_t *wr_kafka_conf_new(const wr_kafka_props *props, wr_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    for (int i = 0; i < props->n; i++) {
        if (rd_kafka_conf_set(conf, props->keys[i], props->values[i], errstr, sizeof(errstr)) ==
            RD_KAFKA_CONF_OK)
            continue;
        rd_kafka_conf_destroy(conf);
        wr_error_set(err, WR_ERR_RUNTIME, "kafka: librdkafka refuses property '%s': %s",
                     props->keys[i], errstr);
        return NULL;
    }
    return conf;
}

/* ---- options ---------------------------------------------------------------------- */

/* A table's options, read and checked alike for both roles. */
typedef struct kafka_options {
    const wr_config_entry *connector, *topic, *pattern, *servers, *group;
    const wr_config_entry *value_format, *key_format, *key_fields, *key_prefix;
    const wr_config_entry *start_offsets, *bound_offsets, *txn_prefix;
    const wr_config_entry *start_mode, *bound_mode, *start_ms, *bound_ms;
    wr_kafka_props props; /* the user's properties.*, prefix removed, in the order written */
    bool commit_offsets;
    int reset; /* wr_kafka_reset */
    int value_kind, key_kind;
    bool except_key;
    int start, bound;
    int64_t start_ts, bound_ts;
    int partitioner, guarantee;
    int scan_parallelism, sink_parallelism;
    int64_t idle_ms; /* 'scan.watermark.idle-timeout', or -1 when not set */
} kafka_options;

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The error for a required option that is missing: at the 'connector' value. */
static int missing(const kafka_options *o, const char *key, const char *why, wr_error *err)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, o->connector ? o->connector->value_pos : -1,
                           "option '%s' is required for connector 'kafka'%s", key, why);
}

static int bad_value(const wr_config_entry *e, const char *expected, wr_error *err)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                           "invalid value '%s' for option '%s': expected %s", e->value, e->key,
                           expected);
}

/*
 * Reads 'properties.*': each is tried on a scratch librdkafka configuration,
 * so an unknown property or a bad value is reported at the option.
 * 'properties.commit.offsets.on.checkpoint' is Flink's own and not passed on.
 */
static int read_properties(const wr_config *options, kafka_options *o, wr_error *err)
{
    rd_kafka_conf_t *scratch = rd_kafka_conf_new();
    char errstr[512];
    int rc = 0;
    o->commit_offsets = true;
    for (int i = 0; i < options->n && rc == 0; i++) {
        wr_config_entry *e = &options->entries[i];
        if (!starts_with(e->key, "properties.")) continue;
        e->used = true;
        const char *key = e->key + strlen("properties.");
        if (strcmp(key, "commit.offsets.on.checkpoint") == 0) {
            if (strcasecmp(e->value, "true") == 0 || strcasecmp(e->value, "false") == 0)
                o->commit_offsets = strcasecmp(e->value, "true") == 0;
            else
                rc = bad_value(e, "true or false", err);
            continue;
        }
        if (strcmp(key, "transactional.id") == 0) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                                 "option '%s' cannot be set: the kafka sink sets transactional.id "
                                 "from 'sink.transactional-id-prefix'",
                                 e->key);
            continue;
        }
        rd_kafka_conf_res_t res = rd_kafka_conf_set(scratch, key, e->value, errstr, sizeof(errstr));
        if (res == RD_KAFKA_CONF_UNKNOWN)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                                 "unsupported option '%s' for connector 'kafka': librdkafka has no "
                                 "property '%s' (properties.* are passed to librdkafka)",
                                 e->key, key);
        else if (res != RD_KAFKA_CONF_OK)
            rc =
                wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                "invalid value '%s' for option '%s': %s", e->value, e->key, errstr);
        else
            wr_kafka_props_add(&o->props, key, e->value);
        if (rc == 0 && strcmp(key, "auto.offset.reset") == 0) {
            /* librdkafka's names and Java's: what group offsets fall back to. */
            static const char *const early[] = {"smallest", "earliest", "beginning"};
            static const char *const late[] = {"largest", "latest", "end"};
            for (size_t k = 0; k < WR_ARRAY_LEN(early); k++) {
                if (strcasecmp(e->value, early[k]) == 0) o->reset = WR_KAFKA_RESET_EARLIEST;
                if (strcasecmp(e->value, late[k]) == 0) o->reset = WR_KAFKA_RESET_LATEST;
            }
        }
    }
    rd_kafka_conf_destroy(scratch);
    if (rc) return rc;
    o->servers = wr_config_find(options, "properties.bootstrap.servers");
    o->group = wr_config_find(options, "properties.group.id");
    if (o->servers == NULL)
        return missing(o, "properties.bootstrap.servers", " (comma-separated host:port list)", err);
    if (o->servers->value[0] == '\0') return bad_value(o->servers, "host:port list", err);
    return 0;
}

/*
 * Parses 'partition:0,offset:42;partition:1,offset:300' (blanks allowed
 * around the parts, a trailing ';' ignored). Returns 0 with a new array, or
 * WR_ERR_VALIDATION at the value.
 */
static int parse_offsets(const wr_config_entry *e, wr_kafka_offset **out, int *nout, wr_error *err)
{
    static const char *expected =
        "partition and offset pairs such as 'partition:0,offset:42;partition:1,offset:300'";
    *out = NULL;
    *nout = 0;
    WR_VEC(wr_kafka_offset) offs = {0};
    const char *p = e->value;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (*p == '\0') break;
        long long part, off;
        int used = -1;
        if (sscanf(p, " partition : %lld , offset : %lld %n", &part, &off, &used) != 2 ||
            used < 0 || part < 0 || part > INT32_MAX || off < 0) {
            wr_free(offs.v);
            return bad_value(e, expected, err);
        }
        p += used;
        if (*p != ';' && *p != '\0') {
            wr_free(offs.v);
            return bad_value(e, expected, err);
        }
        for (int i = 0; i < offs.n; i++) {
            if (offs.v[i].partition != part) continue;
            wr_free(offs.v);
            return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                   "invalid value '%s' for option '%s': partition %lld is given "
                                   "twice",
                                   e->value, e->key, part);
        }
        WR_VEC_PUSH(&offs, ((wr_kafka_offset){.partition = (int32_t)part, .offset = off}));
        if (*p == ';') p++;
    }
    if (offs.n == 0) return bad_value(e, expected, err);
    *out = offs.v;
    *nout = offs.n;
    return 0;
}

/* A non-negative epoch timestamp in milliseconds ('scan.*.timestamp-millis'). */
static int read_millis(const wr_config *options, const char *key, const wr_config_entry **entry,
                       int64_t *out, wr_error *err)
{
    const wr_config_entry *e = wr_config_find(options, key);
    *entry = e;
    *out = 0;
    if (e && (wr_parse_int64(e->value, out) || *out < 0))
        return bad_value(e, "milliseconds since 1970-01-01 00:00:00 UTC (a non-negative integer)",
                         err);
    return 0;
}

/*
 * The scan and sink options. Modes that need a companion option check it
 * here (Flink checks them for the source only, but a table is usually read
 * too); role-specific rules are left to make_source / make_sink.
 */
static int read_modes(const wr_config *options, kafka_options *o, wr_error *err)
{
    o->start = WR_KAFKA_START_GROUP; /* Flink's default */
    int rc = wr_config_get_enum(options, "scan.startup.mode", start_names, WR_KAFKA_START_GROUP,
                                &o->start, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "scan.bounded.mode", bound_names, WR_KAFKA_BOUND_NONE,
                                &o->bound, err);
    if (rc == 0)
        rc = read_millis(options, "scan.startup.timestamp-millis", &o->start_ms, &o->start_ts, err);
    if (rc == 0)
        rc = read_millis(options, "scan.bounded.timestamp-millis", &o->bound_ms, &o->bound_ts, err);
    if (rc) return rc;
    o->start_mode = wr_config_find(options, "scan.startup.mode");
    o->bound_mode = wr_config_find(options, "scan.bounded.mode");
    o->start_offsets = wr_config_find(options, "scan.startup.specific-offsets");
    o->bound_offsets = wr_config_find(options, "scan.bounded.specific-offsets");
    if (o->start == WR_KAFKA_START_TIMESTAMP && o->start_ms == NULL)
        return missing(o, "scan.startup.timestamp-millis", " in 'timestamp' startup mode", err);
    if (o->start == WR_KAFKA_START_SPECIFIC && o->start_offsets == NULL)
        return missing(o, "scan.startup.specific-offsets", " in 'specific-offsets' startup mode",
                       err);
    if (o->bound == WR_KAFKA_BOUND_TIMESTAMP && o->bound_ms == NULL)
        return missing(o, "scan.bounded.timestamp-millis", " in 'timestamp' bounded mode", err);
    if (o->bound == WR_KAFKA_BOUND_SPECIFIC && o->bound_offsets == NULL)
        return missing(o, "scan.bounded.specific-offsets", " in 'specific-offsets' bounded mode",
                       err);
    int64_t interval;
    rc = wr_config_get_duration_ms(options, "scan.topic-partition-discovery.interval", 0, &interval,
                                   err);
    if (rc) return rc;
    const wr_config_entry *e = wr_config_find(options, "scan.topic-partition-discovery.interval");
    if (e && interval != 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': Weir does not discover topics "
                               "and partitions while a job runs yet; only '0' (disabled) is "
                               "accepted",
                               e->value, e->key);
    rc = wr_connector_get_parallelism(options, "scan.parallelism", &o->scan_parallelism, err);
    if (rc == 0)
        rc = wr_connector_get_parallelism(options, "sink.parallelism", &o->sink_parallelism, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "sink.partitioner", partitioner_names,
                                WR_KAFKA_PARTITION_DEFAULT, &o->partitioner, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "sink.delivery-guarantee", guarantee_names,
                                WR_KAFKA_GUARANTEE_AT_LEAST_ONCE, &o->guarantee, err);
    if (rc) return rc;
    o->txn_prefix = wr_config_find(options, "sink.transactional-id-prefix");
    if (o->txn_prefix && o->txn_prefix->value[0] == '\0')
        return bad_value(o->txn_prefix, "a non-empty prefix", err);
    return 0;
}

/*
 * Reads the options of one format whose keys start with prefix ("json.",
 * "value.csv.", "key.json."): they are handed to the format's reader with
 * the part before the format's name removed, and marked used.
 */
static int read_format_options(const wr_config *options, const char *prefix, int strip,
                               wr_kafka_format *f, wr_error *err)
{
    wr_config sub;
    wr_config_init(&sub);
    for (int i = 0; i < options->n; i++) {
        const wr_config_entry *e = &options->entries[i];
        if (starts_with(e->key, prefix))
            wr_config_set(&sub, e->key + strip, e->value, e->key_pos, e->value_pos);
    }
    int rc = 0;
    if (f->kind == WR_KAFKA_FORMAT_JSON) rc = wr_json_options_read(&sub, &f->json, err);
    if (f->kind == WR_KAFKA_FORMAT_CSV) rc = wr_csv_options_read(&sub, &f->csv, err);
    if (f->kind == WR_KAFKA_FORMAT_DEBEZIUM_JSON)
        rc = wr_debezium_options_read(&sub, &f->debezium, err);
    if (f->kind == WR_KAFKA_FORMAT_CANAL_JSON) rc = wr_canal_options_read(&sub, &f->canal, err);
    if (f->kind == WR_KAFKA_FORMAT_AVRO) rc = wr_avro_options_read(&sub, err);
    if (rc == 0 && f->csv.null_literal) {
        f->null_literal = wr_strdup(f->csv.null_literal);
        f->csv.null_literal = f->null_literal;
    }
    for (int i = 0; i < sub.n; i++) {
        if (!sub.entries[i].used) continue;
        char key[256];
        snprintf(key, sizeof(key), "%.*s%s", strip, prefix, sub.entries[i].key);
        wr_config_find(options, key);
    }
    wr_config_fini(&sub);
    return rc;
}

/* Checks that the format can carry its columns; errors at the format option's value. */
static int check_format_schema(const wr_kafka_format *f, const wr_config_entry *at, wr_error *err)
{
    char tname[64];
    const wr_schema *s = f->schema;
    if (f->kind == WR_KAFKA_FORMAT_RAW) {
        if (s->ncols == 1 && (wr_type_is_string((wr_type_id)s->types[0].id) ||
                              wr_type_is_binary((wr_type_id)s->types[0].id)))
            return 0;
        if (s->ncols != 1)
            return wr_error_set_at(err, WR_ERR_VALIDATION, at->value_pos,
                                   "format 'raw' needs exactly one column (of type STRING or "
                                   "BYTES); option '%s' gives it %d",
                                   at->key, s->ncols);
        return wr_error_set_at(err, WR_ERR_VALIDATION, at->value_pos,
                               "format 'raw' needs a column of type STRING or BYTES; column "
                               "'%s' is %s",
                               s->names[0], wr_type_name(s->types[0], tname, sizeof(tname)));
    }
    if (f->kind == WR_KAFKA_FORMAT_AVRO) {
        int rc = wr_avro_check(s, err);
        if (rc) err->offset = at->value_pos;
        return rc;
    }
    for (int c = 0; c < s->ncols; c++) {
        wr_type_id id = (wr_type_id)s->types[c].id;
        if (f->kind != WR_KAFKA_FORMAT_CSV ? wr_json_supports(id) : wr_csv_supports(id)) continue;
        return wr_error_set_at(err, WR_ERR_VALIDATION, at->value_pos,
                               "format '%s' cannot carry column '%s' of type %s",
                               format_names[f->kind], s->names[c],
                               wr_type_name(s->types[c], tname, sizeof(tname)));
    }
    return 0;
}

/* The table columns of 'key.fields' ('a;b'), in the order written. */
static int read_key_fields(const wr_schema *schema, const kafka_options *o, int **cols, int *ncols,
                           wr_error *err)
{
    const wr_config_entry *e = o->key_fields;
    *cols = NULL;
    *ncols = 0;
    WR_VEC(int) out = {0};
    char *copy = wr_strdup(e->value);
    int rc = 0;
    for (char *save, *tok = strtok_r(copy, ";", &save); tok && rc == 0;
         tok = strtok_r(NULL, ";", &save)) {
        while (isspace((unsigned char)*tok)) tok++;
        size_t n = strlen(tok);
        while (n && isspace((unsigned char)tok[n - 1])) tok[--n] = '\0';
        if (n == 0) continue;
        int c = wr_schema_find(schema, tok);
        if (c < 0) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                 "invalid value '%s' for option 'key.fields': the table has no "
                                 "column '%s'",
                                 e->value, tok);
            break;
        }
        for (int i = 0; i < out.n && rc == 0; i++)
            if (out.v[i] == c)
                rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                     "invalid value '%s' for option 'key.fields': column '%s' is "
                                     "listed twice",
                                     e->value, tok);
        if (rc == 0 && o->key_prefix && !starts_with(tok, o->key_prefix->value))
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                 "invalid value '%s' for option 'key.fields': column '%s' does "
                                 "not start with the 'key.fields-prefix' '%s'",
                                 e->value, tok, o->key_prefix->value);
        if (rc == 0) WR_VEC_PUSH(&out, c);
    }
    wr_free(copy);
    if (rc == 0 && out.n == 0) rc = bad_value(e, "one or more column names separated by ';'", err);
    if (rc) {
        wr_free(out.v);
        return rc;
    }
    *cols = out.v;
    *ncols = out.n;
    return 0;
}

/* Fills a format over the given table columns; `strip` bytes of each name are removed. */
static void format_columns(wr_kafka_format *f, const wr_schema *schema, const int *cols, int ncols,
                           size_t strip)
{
    f->schema = wr_schema_new();
    f->cols = wr_malloc((size_t)WR_MAX(ncols, 1) * sizeof(int));
    for (int i = 0; i < ncols; i++) {
        f->cols[i] = cols[i];
        wr_schema_add(f->schema, schema->names[cols[i]] + strip, schema->types[cols[i]]);
    }
}

/*
 * The key and value formats: 'format' or 'value.format' (one of them), and
 * optionally 'key.format' with 'key.fields'. The value carries every column
 * ('value.fields-include' ALL) or those that are not key fields (EXCEPT_KEY).
 */
static int read_formats(const wr_schema *schema, const wr_config *options, kafka_options *o,
                        const wr_schema *pk, wr_kafka_format *value, wr_kafka_format *key,
                        wr_error *err)
{
    const wr_config_entry *fmt = wr_config_find(options, "format");
    const wr_config_entry *vfmt = wr_config_find(options, "value.format");
    if (fmt && vfmt)
        return wr_error_set_at(err, WR_ERR_VALIDATION, vfmt->key_pos,
                               "options 'format' and 'value.format' are synonyms; give only one");
    o->value_format = fmt ? fmt : vfmt;
    if (o->value_format == NULL)
        return missing(o, "format", " (or 'value.format'): 'csv', 'json', 'raw' or 'avro'", err);
    o->key_format = wr_config_find(options, "key.format");
    o->key_fields = wr_config_find(options, "key.fields");
    o->key_prefix = wr_config_find(options, "key.fields-prefix");
    int include = 0;
    int rc = wr_config_get_enum(options, "format", format_names, 0, &o->value_kind, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "value.format", format_names, o->value_kind,
                                &o->value_kind, err);
    o->key_kind = WR_KAFKA_FORMAT_NONE;
    if (rc == 0 && o->key_format)
        rc = wr_config_get_enum(options, "key.format", format_names, 0, &o->key_kind, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "value.fields-include", include_names, 0, &include, err);
    if (rc) return rc;
    o->except_key = include == 1;
    /* A change event is a whole row (Flink allows a changelog format for values only). */
    if (wr_kafka_format_is_changelog(o->key_kind))
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->key_format->value_pos,
                               "format '%s' is a changelog format, for 'value.format' only; "
                               "the key takes 'csv', 'json', 'raw' or 'avro'",
                               format_names[o->key_kind]);
    if (wr_kafka_format_is_changelog(o->value_kind) && o->key_format)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->key_format->key_pos,
                               "option 'key.format' is not supported with the changelog format "
                               "'%s': every column is read from the value",
                               format_names[o->value_kind]);
    if (o->key_format && o->key_fields == NULL && pk == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->key_format->key_pos,
                               "option 'key.format' needs 'key.fields': the columns the key "
                               "carries, separated by ';'");
    if (o->key_fields && o->key_format == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->key_fields->key_pos,
                               "option 'key.fields' needs 'key.format'");
    if (o->key_prefix && o->key_format == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->key_prefix->key_pos,
                               "option 'key.fields-prefix' needs 'key.format'");
    if (o->key_prefix && !o->except_key)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->key_prefix->key_pos,
                               "option 'key.fields-prefix' needs 'value.fields-include' = "
                               "'EXCEPT_KEY'");

    int *kcols = NULL, nk = 0;
    if (o->key_format && pk) { /* upsert-kafka: the key is the primary key */
        nk = pk->nprimary_key;
        kcols = wr_malloc((size_t)WR_MAX(nk, 1) * sizeof(int));
        memcpy(kcols, pk->primary_key, (size_t)nk * sizeof(int));
    } else if (o->key_format && (rc = read_key_fields(schema, o, &kcols, &nk, err))) {
        return rc;
    }
    key->kind = o->key_kind;
    value->kind = o->value_kind;
    wr_csv_options_default(&key->csv);
    wr_json_options_default(&key->json);
    wr_csv_options_default(&value->csv);
    wr_json_options_default(&value->json);
    if (o->key_format) {
        format_columns(key, schema, kcols, nk, o->key_prefix ? strlen(o->key_prefix->value) : 0);
        rc = check_format_schema(key, o->key_format, err);
    }
    int vcols[WR_MAX(schema->ncols, 1)], nv = 0;
    for (int c = 0; c < schema->ncols; c++) {
        bool is_key = false;
        for (int i = 0; i < nk; i++) is_key |= kcols[i] == c;
        if (!(is_key && o->except_key)) vcols[nv++] = c;
    }
    wr_free(kcols);
    if (rc) return rc;
    format_columns(value, schema, vcols, nv, 0);
    rc = check_format_schema(value, o->value_format, err);
    /* Format options: 'json.*' with 'format', 'value.json.*' with 'value.format', 'key.json.*'. */
    char prefix[64];
    if (rc == 0 && value->kind != WR_KAFKA_FORMAT_RAW) {
        snprintf(prefix, sizeof(prefix), "%s%s.", fmt ? "" : "value.", format_names[value->kind]);
        rc = read_format_options(options, prefix, fmt ? 0 : 6, value, err);
    }
    if (rc == 0 && key->kind >= 0 && key->kind != WR_KAFKA_FORMAT_RAW) {
        snprintf(prefix, sizeof(prefix), "key.%s.", format_names[key->kind]);
        rc = read_format_options(options, prefix, 4, key, err);
    }
    return rc;
}

/*
 * Reads every option of the connector for either role into o, value and
 * key, and rejects options it does not know. On error the caller
 * finishes value, key and o->props.
 */
static int read_options(const wr_schema *schema, const wr_config *options, kafka_options *o,
                        wr_kafka_format *value, wr_kafka_format *key, wr_error *err)
{
    memset(o, 0, sizeof(*o));
    memset(value, 0, sizeof(*value));
    memset(key, 0, sizeof(*key));
    key->kind = value->kind = WR_KAFKA_FORMAT_NONE;
    o->connector = wr_config_find(options, "connector");
    o->topic = wr_config_find(options, "topic");
    o->pattern = wr_config_find(options, "topic-pattern");
    if (o->topic && o->pattern)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->pattern->key_pos,
                               "options 'topic' and 'topic-pattern' cannot both be set");
    if (o->topic && o->topic->value[0] == '\0') return bad_value(o->topic, "a topic name", err);
    int rc = read_properties(options, o, err);
    if (rc == 0) rc = read_formats(schema, options, o, NULL, value, key, err);
    if (rc == 0) rc = read_modes(options, o, err);
    if (rc == 0)
        rc =
            wr_config_get_duration_ms(options, "scan.watermark.idle-timeout", -1, &o->idle_ms, err);
    if (rc == 0) rc = wr_connector_check_unused(options, "kafka", KAFKA_OPTION_NAMES, err);
    return rc;
}

void wr_kafka_upsert_options_fini(wr_kafka_upsert_options *o)
{
    wr_kafka_props_fini(&o->props);
    wr_kafka_format_fini(&o->value);
    wr_kafka_format_fini(&o->key);
    wr_free(o->txn_prefix);
    o->txn_prefix = NULL;
}

int wr_kafka_read_upsert(const wr_schema *schema, const wr_config *options,
                         wr_kafka_upsert_options *out, wr_error *err)
{
    kafka_options o;
    memset(&o, 0, sizeof(o));
    memset(out, 0, sizeof(*out));
    out->key.kind = out->value.kind = WR_KAFKA_FORMAT_NONE;
    o.connector = wr_config_find(options, "connector");
    int rc = read_properties(options, &o, err);
    if (rc == 0) rc = read_formats(schema, options, &o, schema, &out->value, &out->key, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "sink.delivery-guarantee", guarantee_names,
                                WR_KAFKA_GUARANTEE_AT_LEAST_ONCE, &out->guarantee, err);
    o.txn_prefix = wr_config_find(options, "sink.transactional-id-prefix");
    if (rc == 0 && o.txn_prefix && o.txn_prefix->value[0] == '\0')
        rc = bad_value(o.txn_prefix, "a non-empty prefix", err);
    if (rc == 0 && o.txn_prefix) out->txn_prefix = wr_strdup(o.txn_prefix->value);
    out->props = o.props;
    if (rc) wr_kafka_upsert_options_fini(out);
    return rc;
}

/* ---- the source ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits 'a;b' into sorted, distinct topic names. */
static int split_topics(const wr_config_entry *e, wr_kafka_source_spec *spec, wr_error *err)
{
    char *copy = wr_strdup(e->value);
    for (char *save, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (isspace((unsigned char)*tok)) tok++;
        size_t n = strlen(tok);
        while (n && isspace((unsigned char)tok[n - 1])) tok[--n] = '\0';
        if (n == 0) continue;
        spec->topics = wr_realloc(spec->topics, (size_t)(spec->ntopics + 1) * sizeof(char *));
        spec->topics[spec->ntopics++] = wr_strdup(tok);
    }
    wr_free(copy);
    if (spec->ntopics == 0) return bad_value(e, "a topic name or names separated by ';'", err);
    qsort(spec->topics, (size_t)spec->ntopics, sizeof(char *), by_name);
    int kept = 1;
    for (int i = 1; i < spec->ntopics; i++) {
        if (strcmp(spec->topics[i], spec->topics[kept - 1]) == 0)
            wr_free(spec->topics[i]);
        else
            spec->topics[kept++] = spec->topics[i];
    }
    spec->ntopics = kept;
    return 0;
}

/* Compiles 'topic-pattern' (PCRE2, matched against whole topic names). */
static int compile_pattern(const wr_config_entry *e, wr_kafka_source_spec *spec, wr_error *err)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)e->value, PCRE2_ZERO_TERMINATED,
                      PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &code, &at, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option 'topic-pattern': %s at offset %zu",
                               e->value, (const char *)msg, (size_t)at);
    }
    spec->pattern = wr_strdup(e->value);
    spec->pattern_code = re;
    return 0;
}

void wr_kafka_source_spec_free(void *vspec)
{
    wr_kafka_source_spec *spec = vspec;
    if (spec == NULL) return;
    wr_schema_free(spec->schema);
    wr_kafka_props_fini(&spec->props);
    for (int i = 0; i < spec->ntopics; i++) wr_free(spec->topics[i]);
    wr_free(spec->topics);
    wr_free(spec->pattern);
    pcre2_code_free(spec->pattern_code);
    wr_free(spec->start_offsets);
    wr_free(spec->bound_offsets);
    wr_free(spec->out_cols);
    wr_expr_free(spec->watermark);
    wr_free(spec->meta);
    wr_kafka_format_fini(&spec->value);
    wr_kafka_format_fini(&spec->key);
    wr_free(spec);
}

/*
 * The consumer's properties: Weir's defaults first (the user's override
 * them), then what the source relies on. Offsets are Weir's (checkpoints),
 * so the consumer never commits or stores them by itself; records of
 * transactions are read uncommitted unless 'properties.isolation.level'
 * says otherwise, as Flink's (Java's) default; a bounded scan needs the
 * end-of-partition events.
 */
void wr_kafka_source_props(const wr_kafka_props *user, bool bounded, wr_kafka_props *p)
{
    /* librdkafka assigns partitions only to a consumer with a group; it joins none. */
    wr_kafka_props_add(p, "group.id", "weir");
    wr_kafka_props_add(p, "isolation.level", "read_uncommitted");
    wr_kafka_props_add(p, "auto.offset.reset", "earliest");
    for (int i = 0; i < user->n; i++) wr_kafka_props_add(p, user->keys[i], user->values[i]);
    wr_kafka_props_add(p, "enable.auto.commit", "false");
    wr_kafka_props_add(p, "enable.auto.offset.store", "false");
    wr_kafka_props_add(p, "enable.partition.eof", bounded ? "true" : "false");
}

/*
 * A pushed-down WATERMARK (wr_scan_request): the source takes the expression
 * and generates the watermarks per partition. The idle timeout is the
 * table's 'scan.watermark.idle-timeout', else the job's
 * 'table.exec.source.idle-timeout' (0, the default: partitions never idle).
 */
static int take_watermark(const kafka_options *o, const wr_config *job, const wr_scan_request *req,
                          wr_kafka_source_spec *spec, wr_error *err)
{
    int64_t idle = o->idle_ms;
    if (idle < 0 && job) {
        int rc = wr_config_get_duration_ms(job, "table.exec.source.idle-timeout", 0, &idle, err);
        if (rc) return rc;
    }
    spec->idle_timeout_ms = idle > 0 ? idle : 0;
    spec->rowtime = -1;
    if (req == NULL || req->watermark == NULL || *req->watermark == NULL) return 0;
    spec->watermark = *req->watermark;
    *req->watermark = NULL;
    spec->rowtime = req->rowtime;
    return 0;
}

/* Every WATERMARK over physical columns: the source evaluates it on the records it decodes. */
static bool kafka_accepts_watermark(const wr_schema *schema, const wr_config *options,
                                    const struct wr_expr *watermark)
{
    (void)schema, (void)options, (void)watermark;
    return true;
}

static int kafka_make_source(const wr_schema *schema, const wr_config *options,
                             const wr_config *job, const wr_scan_request *req,
                             wr_operator_spec *out, wr_error *err)
{
    kafka_options o;
    wr_kafka_format value, key;
    int rc = read_options(schema, options, &o, &value, &key, err);
    if (rc == 0 && o.topic == NULL && o.pattern == NULL)
        rc = missing(&o, "topic", " (or 'topic-pattern') to read from", err);
    if (rc == 0 && o.start == WR_KAFKA_START_GROUP && o.group == NULL)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION,
                             o.start_mode ? o.start_mode->value_pos : o.connector->value_pos,
                             "scan.startup.mode 'group-offsets'%s needs 'properties.group.id'; "
                             "or set 'scan.startup.mode' to 'earliest-offset' or "
                             "'latest-offset'",
                             o.start_mode ? "" : " (the default)");
    if (rc == 0 && o.bound == WR_KAFKA_BOUND_GROUP && o.group == NULL)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.bound_mode->value_pos,
                             "scan.bounded.mode 'group-offsets' needs 'properties.group.id'");
    bool single = o.topic && strchr(o.topic->value, ';') == NULL;
    if (rc == 0 && !single &&
        (o.start == WR_KAFKA_START_SPECIFIC || o.bound == WR_KAFKA_BOUND_SPECIFIC))
        rc = wr_error_set_at(
            err, WR_ERR_VALIDATION,
            (o.start == WR_KAFKA_START_SPECIFIC ? o.start_offsets : o.bound_offsets)->key_pos,
            "specific offsets need a single 'topic' (not a list or a pattern): "
            "they name partitions only");
    wr_kafka_source_spec *spec = NULL;
    if (rc == 0) {
        spec = wr_calloc(1, sizeof(*spec));
        spec->schema = wr_schema_copy(schema);
        spec->value = value;
        spec->key = key;
        value.schema = key.schema = NULL;
        value.cols = key.cols = NULL;
        value.null_literal = key.null_literal = NULL;
        memset(&value.canal, 0, sizeof(value.canal)); /* its expressions moved to spec */
        spec->has_group = o.group != NULL;
        spec->commit_offsets = o.commit_offsets;
        spec->reset = o.reset;
        spec->start = o.start;
        spec->start_ms = o.start_ts;
        spec->bound = o.bound;
        spec->bound_ms = o.bound_ts;
        rc = o.topic ? split_topics(o.topic, spec, err) : compile_pattern(o.pattern, spec, err);
    }
    if (rc == 0 && o.start == WR_KAFKA_START_SPECIFIC)
        rc = parse_offsets(o.start_offsets, &spec->start_offsets, &spec->nstart_offsets, err);
    if (rc == 0 && o.bound == WR_KAFKA_BOUND_SPECIFIC)
        rc = parse_offsets(o.bound_offsets, &spec->bound_offsets, &spec->nbound_offsets, err);
    if (rc == 0) wr_kafka_source_props(&o.props, spec->bound != WR_KAFKA_BOUND_NONE, &spec->props);
    if (rc == 0 && req) spec->out_cols = wr_scan_request_columns(req, schema, &spec->nout);
    if (rc == 0) rc = take_watermark(&o, job, req, spec, err);
    if (rc == 0 && req && req->nmetadata)
        spec->meta = wr_kafka_meta_keys(req->metadata, req->nmetadata, &spec->nmeta);
    wr_kafka_props_fini(&o.props);
    wr_kafka_format_fini(&value);
    wr_kafka_format_fini(&key);
    if (rc) {
        wr_kafka_source_spec_free(spec);
        return rc;
    }
    *out = (wr_operator_spec){
        .ops = &wr_kafka_source_ops,
        .spec = spec,
        .spec_free = wr_kafka_source_spec_free,
        .parallelism = o.scan_parallelism,
        .bounded = o.bound != WR_KAFKA_BOUND_NONE,
        .changes = wr_kafka_format_is_changelog(o.value_kind)
                       ? (uint8_t)((1 << WR_KIND_INSERT) | (1 << WR_KIND_UPDATE_BEFORE) |
                                   (1 << WR_KIND_UPDATE_AFTER) | (1 << WR_KIND_DELETE))
                       : 0};
    return 0;
}

/* ---- the sink -------------------------------------------------------------------- */

void wr_kafka_sink_spec_free(void *vspec)
{
    wr_kafka_sink_spec *spec = vspec;
    if (spec == NULL) return;
    wr_schema_free(spec->schema);
    wr_kafka_props_fini(&spec->props);
    wr_free(spec->topic);
    wr_kafka_format_fini(&spec->value);
    wr_kafka_format_fini(&spec->key);
    wr_free(spec->txn_prefix);
    wr_free(spec->meta);
    wr_free(spec);
}

/*
 * The producer's properties: Kafka's default partitioner (murmur2 of the
 * key, as Java's, so rows land where a Java producer would put them) unless
 * 'properties.partitioner' says otherwise.
 */
void wr_kafka_sink_props(const wr_kafka_props *user, wr_kafka_props *p)
{
    wr_kafka_props_add(p, "partitioner", "murmur2_random");
    for (int i = 0; i < user->n; i++) wr_kafka_props_add(p, user->keys[i], user->values[i]);
}

static int kafka_make_metadata_sink(const wr_schema *schema, const wr_config *options,
                                    const wr_config *job, const wr_sink_request *req,
                                    wr_operator_spec *out, wr_error *err)
{
    kafka_options o;
    wr_kafka_format value, key;
    int rc = read_options(schema, options, &o, &value, &key, err);
    if (rc == 0 && o.pattern)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.pattern->key_pos,
                             "option 'topic-pattern' is for reading; the kafka sink writes to "
                             "one 'topic'");
    if (rc == 0 && o.topic == NULL) rc = missing(&o, "topic", " to write to", err);
    if (rc == 0 && strchr(o.topic->value, ';'))
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.topic->value_pos,
                             "invalid value '%s' for option 'topic': the kafka sink writes to one "
                             "topic, not a list",
                             o.topic->value);
    if (rc == 0 && value.kind == WR_KAFKA_FORMAT_DEBEZIUM_JSON && value.debezium.schema_include)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.value_format->value_pos,
                             "the kafka sink writes format 'debezium-json' without a schema; "
                             "set 'debezium-json.schema-include' to 'false' for a sink table");
    if (rc == 0 && o.guarantee == WR_KAFKA_GUARANTEE_EXACTLY_ONCE && o.txn_prefix == NULL)
        rc = missing(&o, "sink.transactional-id-prefix",
                     " with 'sink.delivery-guarantee' = 'exactly-once'", err);
    if (rc) {
        wr_kafka_props_fini(&o.props);
        wr_kafka_format_fini(&value);
        wr_kafka_format_fini(&key);
        return rc;
    }
    wr_kafka_sink_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->schema = wr_schema_copy(schema);
    spec->topic = wr_strdup(o.topic->value);
    spec->value = value;
    spec->key = key;
    spec->partitioner = o.partitioner;
    spec->guarantee = o.guarantee;
    if (o.txn_prefix) spec->txn_prefix = wr_strdup(o.txn_prefix->value);
    wr_kafka_sink_props(&o.props, &spec->props);
    wr_kafka_props_fini(&o.props);
    if (req && req->nmetadata)
        spec->meta = wr_kafka_meta_keys(req->metadata, req->nmetadata, &spec->nmeta);
    *out = (wr_operator_spec){.ops = &wr_kafka_sink_ops,
                              .spec = spec,
                              .spec_free = wr_kafka_sink_spec_free,
                              .parallelism = o.sink_parallelism};
    return 0;
}

static int kafka_make_sink(const wr_schema *schema, const wr_config *options, const wr_config *job,
                           wr_operator_spec *out, wr_error *err)
{
    return kafka_make_metadata_sink(schema, options, job, NULL, out, err);
}

/*
 * A sink whose value format is a changelog format writes every change kind
 * as an event; otherwise it takes inserts only. Read without marking options
 * used, as the planner asks before the sink is made.
 */
static wr_sink_changes kafka_sink_accepts(const wr_config *options)
{
    const char *fmt = NULL;
    for (int i = 0; i < options->n; i++)
        if (strcmp(options->entries[i].key, "format") == 0 ||
            strcmp(options->entries[i].key, "value.format") == 0)
            fmt = options->entries[i].value;
    bool changelog =
        fmt && (strcasecmp(fmt, "debezium-json") == 0 || strcasecmp(fmt, "canal-json") == 0);
    return changelog ? WR_SINK_ANY : WR_SINK_INSERT_ONLY;
}

int *wr_kafka_meta_keys(const char *const *keys, int nkeys, int *n)
{
    int *meta = wr_malloc((size_t)(nkeys ? nkeys : 1) * sizeof(int));
    for (int i = 0; i < nkeys; i++) {
        int k = 0;
        while (k < WR_KAFKA_META_COUNT_ && strcmp(wr_kafka_metadata[k].key, keys[i])) k++;
        assert(k < WR_KAFKA_META_COUNT_); /* CREATE TABLE and the planner checked the key */
        meta[i] = k;
    }
    *n = nkeys;
    return meta;
}

/*
 * Flink's readable metadata of a Kafka record, but for 'leader-epoch' (librdkafka before 2.1
 * does not expose it). 'headers' is a MAP<STRING, BYTES>, a type interned at run time: its
 * entry is filled before main (set_headers_type), so the table stays a plain array that
 * CREATE TABLE and the planner read without asking the connector.
 */
wr_connector_metadata wr_kafka_metadata[WR_KAFKA_META_COUNT_] = {
    [WR_KAFKA_META_TOPIC] = {"topic", {WR_TYPE_VARCHAR, false, WR_VARCHAR_MAX}},
    [WR_KAFKA_META_PARTITION] = {"partition", {WR_TYPE_INT, false, 0}},
    [WR_KAFKA_META_OFFSET] = {"offset", {WR_TYPE_BIGINT, false, 0}},
    [WR_KAFKA_META_TIMESTAMP] = {"timestamp", {WR_TYPE_TIMESTAMP_LTZ, false, 3}},
    [WR_KAFKA_META_TIMESTAMP_TYPE] = {"timestamp-type", {WR_TYPE_VARCHAR, false, WR_VARCHAR_MAX}},
    [WR_KAFKA_META_HEADERS] = {"headers", {0}},
};
wr_connector_metadata wr_kafka_writable_metadata[WR_KAFKA_NWRITABLE_METADATA] = {
    {"headers", {0}},
    {"timestamp", {WR_TYPE_TIMESTAMP_LTZ, false, 3}},
};

__attribute__((constructor)) static void set_headers_type(void)
{
    wr_type bytes = {WR_TYPE_VARBINARY, true, WR_VARCHAR_MAX};
    wr_type key = {WR_TYPE_VARCHAR, false, WR_VARCHAR_MAX};
    wr_kafka_metadata[WR_KAFKA_META_HEADERS].type = wr_type_map(key, bytes, false);
    wr_kafka_writable_metadata[0].type = wr_kafka_metadata[WR_KAFKA_META_HEADERS].type;
}

const wr_connector wr_connector_kafka = {
    .name = "kafka",
    .sink_accepts = kafka_sink_accepts,
    .make_source = kafka_make_source,
    .accepts_watermark = kafka_accepts_watermark,
    .make_sink = kafka_make_sink,
    .make_metadata_sink = kafka_make_metadata_sink,
    .readable_metadata = wr_kafka_metadata,
    .nreadable_metadata = WR_KAFKA_META_COUNT_,
    .writable_metadata = wr_kafka_writable_metadata,
    .nwritable_metadata = WR_KAFKA_NWRITABLE_METADATA,
};
