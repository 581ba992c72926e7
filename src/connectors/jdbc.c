/*
 * jdbc.c — the 'jdbc' connector (Flink's JDBC SQL connector) for PostgreSQL,
 * through libpq; 'postgres' is another name for the same connector.
 *
 * A scan reads the table through a cursor in a read-only transaction, FETCHing
 * 'scan.fetch-size' rows at a time so memory stays bounded, optionally split
 * into ranges of 'scan.partition.column' spread over the subtasks. A sink
 * buffers rows and writes them when 'sink.buffer-flush.max-rows' are buffered,
 * when 'sink.buffer-flush.interval' has passed (a processing-time timer), at
 * checkpoint barriers and at end of input. A table without a primary key gets
 * its rows by COPY, PostgreSQL's fastest way in; a table with one gets
 * INSERT ... ON CONFLICT DO UPDATE and DELETE statements with parameters, after
 * the buffered changes were folded to the last one per key. Values travel as
 * text in PostgreSQL's input format; every session is set to ISO dates, UTC
 * and exact floats, so the text that comes back is unambiguous.
 *
 * Exactly-once writes each checkpoint's rows in one transaction, PREPAREd at
 * the barrier and COMMIT PREPAREd when the checkpoint completes; the global
 * ids name the sink, the subtask and the checkpoint, so a restarted job finds
 * and finishes what an earlier run left behind (docs/connectors.md).
 *
 * The connection, the statement helpers and the text decoding are not tied
 * to a role, so a lookup source (a query by key per probe) can reuse them.
 */
#include "connector_int.h"
#include "jdbc.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../types/decimal.h"
#include "../types/row_codec.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JDBC_COMMON_OPTIONS                                                                        \
    "connector, url, table-name, driver, username, password, connection.max-retry-timeout"
#define JDBC_SCAN_OPTIONS                                                                          \
    "scan.partition.column, scan.partition.num, scan.partition.lower-bound, "                      \
    "scan.partition.upper-bound, scan.fetch-size, scan.auto-commit"
#define JDBC_SINK_OPTIONS                                                                          \
    "sink.buffer-flush.max-rows, sink.buffer-flush.interval, sink.max-retries, "                   \
    "sink.parallelism, sink.delivery-guarantee, sink.transactional-id-prefix"
#define JDBC_LOOKUP_OPTIONS                                                                        \
    "lookup.cache, lookup.partial-cache.max-rows, lookup.partial-cache.expire-after-write, "       \
    "lookup.partial-cache.cache-missing-key, lookup.cache.max-rows, lookup.cache.ttl, "            \
    "lookup.cache.caching-missing-key, lookup.max-retries"
#define JDBC_SUPPORTED                                                                             \
    JDBC_COMMON_OPTIONS ", " JDBC_SCAN_OPTIONS ", " JDBC_SINK_OPTIONS ", " JDBC_LOOKUP_OPTIONS

#define JDBC_DRIVER "org.postgresql.Driver"
/* Flink's defaults. */
#define JDBC_DEFAULT_MAX_ROWS 100
#define JDBC_DEFAULT_INTERVAL_MS 1000
#define JDBC_DEFAULT_RETRIES 3
#define JDBC_DEFAULT_RETRY_TIMEOUT_MS 60000
/* PostgreSQL's limit of parameters in one statement (a 16-bit count). */
#define JDBC_MAX_PARAMS 65535
/* A global transaction id has at most 200 bytes; ":<subtask>:<checkpoint>" needs up to 32. */
#define JDBC_GID_MAX 200
#define JDBC_GID_PREFIX_MAX (JDBC_GID_MAX - 32)
/* exactly-once: how long a flush waits for a row lock, and when it tries again after that. */
#define JDBC_LOCK_TIMEOUT "50ms"
#define JDBC_BLOCKED_RETRY_MS 50
/* COPY data goes to libpq in pieces of this size. */
#define JDBC_COPY_CHUNK (1 << 20)

/*
 * Session settings that make values read back as text unambiguous: ISO dates,
 * timestamptz in UTC ('+00'), floats with every digit they need, bytea in hex.
 */
#define JDBC_SESSION_OPTIONS                                                                       \
    "-c DateStyle=ISO,YMD -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex "            \
    "-c IntervalStyle=postgres"

enum { GUARANTEE_AT_LEAST_ONCE = 0, GUARANTEE_EXACTLY_ONCE = 1 };
static const char *const guarantee_names[] = {"at-least-once", "exactly-once", NULL};

/* ---- the URL ------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) ('+' is a blank, as Java's URLDecoder, which pgjdbc uses). */
static char *url_decode(const char *s, size_t n, bool *ok)
{
    char *out = wr_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[k++] = s[i] == '+' ? ' ' : s[i];
            continue;
        }
        int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            *ok = false;
            break;
        }
        out[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[k] = '\0';
    return out;
}

/* Appends "-c name=value" to a libpq 'options' value, blanks and backslashes escaped. */
static void add_setting(wr_buf *opts, const char *name, const char *value)
{
    if (opts->len) wr_buf_putc(opts, ' ');
    wr_buf_printf(opts, "-c %s=", name);
    for (const char *p = value; *p; p++) {
        if (*p == ' ' || *p == '\\') wr_buf_putc(opts, '\\');
        wr_buf_putc(opts, *p);
    }
}

/* Adds the hosts of "h1[:p1],h2[:p2]" as libpq's comma-separated host and port lists. */
static int parse_hosts(const char *s, size_t n, wr_config *conninfo, char *why, size_t why_size)
{
    wr_buf hosts, ports;
    wr_buf_init(&hosts);
    wr_buf_init(&ports);
    int rc = 0;
    size_t i = 0;
    do {
        size_t end = i;
        while (end < n && s[end] != ',') end++;
        const char *h = s + i, *port = NULL;
        size_t hlen = end - i, plen = 0;
        if (hlen && h[0] == '[') { /* [IPv6]:port */
            const char *close = memchr(h, ']', hlen);
            if (close == NULL) {
                snprintf(why, why_size, "unterminated '[' in the host '%.*s'", (int)hlen, h);
                rc = -1;
                break;
            }
            if ((size_t)(close + 1 - h) < hlen) {
                if (close[1] != ':') {
                    snprintf(why, why_size, "unexpected text after ']' in '%.*s'", (int)hlen, h);
                    rc = -1;
                    break;
                }
                port = close + 2;
                plen = hlen - (size_t)(port - h);
            }
            h++;
            hlen = (size_t)(close - h);
        } else {
            const char *colon = memchr(h, ':', hlen);
            if (colon) {
                port = colon + 1;
                plen = hlen - (size_t)(port - h);
                hlen = (size_t)(colon - h);
            }
        }
        if (port) {
            bool digits = plen > 0 && plen <= 5;
            for (size_t k = 0; k < plen; k++) digits &= isdigit((unsigned char)port[k]) != 0;
            if (!digits || atoi(port) < 1 || atoi(port) > 65535) {
                snprintf(why, why_size, "invalid port '%.*s'", (int)plen, port);
                rc = -1;
                break;
            }
        }
        if (hosts.len) wr_buf_putc(&hosts, ',');
        if (ports.len) wr_buf_putc(&ports, ',');
        if (hlen)
            wr_buf_append(&hosts, h, hlen);
        else
            wr_buf_puts(&hosts, "localhost");
        if (port)
            wr_buf_append(&ports, port, plen);
        else
            wr_buf_puts(&ports, "5432");
        i = end + 1;
    } while (i <= n);
    if (rc == 0) {
        wr_config_set(conninfo, "host", hosts.data, -1, -1);
        wr_config_set(conninfo, "port", ports.data, -1, -1);
    }
    wr_buf_fini(&hosts);
    wr_buf_fini(&ports);
    return rc;
}

/* The URL parameters and the libpq keyword each one becomes ("" for those handled apart). */
static const char *const url_params[][2] = {
    {"user", "user"},
    {"password", "password"},
    {"sslmode", "sslmode"},
    {"sslcert", "sslcert"},
    {"sslkey", "sslkey"},
    {"sslrootcert", "sslrootcert"},
    {"connectTimeout", "connect_timeout"},
    {"ApplicationName", "application_name"},
    {"currentSchema", ""},
    {"options", ""},
};

int wr_jdbc_url_to_conninfo(const char *url, wr_config *conninfo, char *why, size_t why_size)
{
    static const char scheme[] = "jdbc:postgresql:";
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(why, why_size,
                 "expected a PostgreSQL URL 'jdbc:postgresql://host:port/database' (Weir's jdbc "
                 "connector speaks to PostgreSQL only)");
        return -1;
    }
    const char *p = url + sizeof(scheme) - 1;
    const char *query = strchr(p, '?');
    size_t n = query ? (size_t)(query - p) : strlen(p);
    const char *db;
    size_t dblen;
    int rc = 0;
    if (n >= 2 && p[0] == '/' && p[1] == '/') {
        const char *slash = memchr(p + 2, '/', n - 2);
        if (slash == NULL) {
            snprintf(why, why_size, "expected '/database' after the host in '%s'", url);
            return -1;
        }
        rc = parse_hosts(p + 2, (size_t)(slash - p - 2), conninfo, why, why_size);
        db = slash + 1;
        dblen = n - (size_t)(db - p);
    } else {
        wr_config_set(conninfo, "host", "localhost", -1, -1);
        wr_config_set(conninfo, "port", "5432", -1, -1);
        db = p[0] == '/' ? p + 1 : p;
        dblen = n - (size_t)(db - p);
    }
    if (rc) return rc;
    bool ok = true;
    if (dblen) {
        char *name = url_decode(db, dblen, &ok);
        wr_config_set(conninfo, "dbname", name, -1, -1);
        wr_free(name);
    }
    wr_buf opts;
    wr_buf_init(&opts);
    for (const char *q = query ? query + 1 : NULL; rc == 0 && q && *q;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *key = url_decode(q, klen, &ok);
        char *value = eq ? url_decode(eq + 1, len - klen - 1, &ok) : wr_strdup("");
        size_t k = 0;
        while (k < WR_ARRAY_LEN(url_params) && strcmp(url_params[k][0], key) != 0) k++;
        if (klen == 0) {
            /* an empty piece ("a=1&&b=2") */
        } else if (k == WR_ARRAY_LEN(url_params)) {
            snprintf(why, why_size,
                     "unsupported URL parameter '%s'; supported: user, password, sslmode, "
                     "sslcert, sslkey, sslrootcert, connectTimeout, ApplicationName, "
                     "currentSchema, options",
                     key);
            rc = -1;
        } else if (strcmp(key, "currentSchema") == 0) {
            add_setting(&opts, "search_path", value);
        } else if (strcmp(key, "options") == 0) {
            if (opts.len) wr_buf_putc(&opts, ' ');
            wr_buf_puts(&opts, value);
        } else if (strcmp(key, "sslmode") == 0 && strcmp(value, "disable") &&
                   strcmp(value, "allow") && strcmp(value, "prefer") && strcmp(value, "require") &&
                   strcmp(value, "verify-ca") && strcmp(value, "verify-full")) {
            snprintf(why, why_size,
                     "invalid sslmode '%s': expected disable, allow, prefer, require, verify-ca "
                     "or verify-full",
                     value);
            rc = -1;
        } else if (strcmp(key, "connectTimeout") == 0 &&
                   (wr_parse_int64(value, &(int64_t){0}) != 0 || value[0] == '-')) {
            snprintf(why, why_size, "invalid connectTimeout '%s': expected seconds", value);
            rc = -1;
        } else {
            wr_config_set(conninfo, url_params[k][1], value, -1, -1);
        }
        wr_free(key);
        wr_free(value);
        q = amp ? amp + 1 : NULL;
    }
    if (rc == 0 && !ok) {
        snprintf(why, why_size, "invalid percent-encoding in '%s'", url);
        rc = -1;
    }
    if (rc == 0 && opts.len) wr_config_set(conninfo, "options", opts.data, -1, -1);
    wr_buf_fini(&opts);
    return rc;
}

char *wr_jdbc_url_redact(const char *url)
{
    wr_buf out;
    wr_buf_init(&out);
    const char *query = strchr(url, '?');
    if (query == NULL) {
        wr_buf_puts(&out, url);
        return wr_buf_detach(&out);
    }
    wr_buf_append(&out, url, (size_t)(query - url + 1));
    for (const char *q = query + 1; *q;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len >= 9 && strncmp(q, "password=", 9) == 0)
            wr_buf_puts(&out, "password=***");
        else
            wr_buf_append(&out, q, len);
        if (amp) wr_buf_putc(&out, '&');
        q = amp ? amp + 1 : q + len;
    }
    return wr_buf_detach(&out);
}

/* ---- options and plans ------------------------------------------------------------ */

/*
 * What every role needs: how to connect and what to name. The connection
 * keywords are kept as NULL-terminated arrays, ready for PQconnectdbParams.
 */
typedef struct jdbc_common {
    char **keys, **values; /* libpq connection keywords and their values */
    char *url;             /* the URL without its password, for messages */
    char *table;           /* 'table-name', as written (it may name a schema) */
    wr_schema *schema;     /* the table's physical columns */
    char **cols;           /* per schema column: its name as SQL text */
} jdbc_common;

static void common_fini(jdbc_common *c)
{
    for (int i = 0; c->keys && c->keys[i]; i++) {
        wr_free(c->keys[i]);
        wr_free(c->values[i]);
    }
    wr_free(c->keys);
    wr_free(c->values);
    wr_free(c->url);
    wr_free(c->table);
    for (int i = 0; c->cols && i < c->schema->ncols; i++) wr_free(c->cols[i]);
    wr_free(c->cols);
    wr_schema_free(c->schema);
}

/* The table's options, read and checked; entries point into the options. */
typedef struct jdbc_options {
    const wr_config_entry *connector, *url, *table;
    wr_config conninfo; /* from the URL, with username and password; owned */
    int64_t retry_timeout_ms;
    /* scan */
    const wr_config_entry *part_column;
    int part_col; /* schema index, or -1: no partitioning */
    int64_t part_num, lower, upper;
    int64_t fetch_size;
    /* sink */
    int64_t max_rows, interval_ms, max_retries;
    int guarantee;
    const char *txn_prefix;
    int parallelism;
    /* lookup */
    int64_t cache_rows, cache_ttl_ms, lookup_retries;
    bool cache_missing;
} jdbc_options;

static int missing(const jdbc_options *o, const char *key, wr_error *err)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, o->connector ? o->connector->value_pos : -1,
                           "option '%s' is required for connector '%s'", key,
                           o->connector ? o->connector->value : "jdbc");
}

static int bad_value(const wr_config_entry *e, const char *expected, wr_error *err)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                           "invalid value '%s' for option '%s': expected %s", e->value, e->key,
                           expected);
}

/* An integer option at least min (absent: def). */
static int get_count(const wr_config *options, const char *key, int64_t def, int64_t min,
                     int64_t *out, wr_error *err)
{
    int rc = wr_config_get_int64(options, key, def, out, err);
    if (rc) return rc;
    if (*out < min) {
        const wr_config_entry *e = wr_config_find(options, key);
        return bad_value(e, min == 0 ? "an integer >= 0" : "a positive integer", err);
    }
    return 0;
}

/* Whether the connector can move values of this type to and from PostgreSQL as text. */
static bool type_supported(wr_type_id id)
{
    return id == WR_TYPE_BOOLEAN || wr_type_is_numeric(id) || wr_type_is_string(id) ||
           wr_type_is_binary(id) || wr_type_is_datetime(id);
}

static int read_scan_options(const wr_schema *schema, const wr_config *options, jdbc_options *o,
                             wr_error *err)
{
    static const char *const part_keys[] = {"scan.partition.column", "scan.partition.num",
                                            "scan.partition.lower-bound",
                                            "scan.partition.upper-bound"};
    const wr_config_entry *part[4];
    int given = 0;
    for (int i = 0; i < 4; i++) given += (part[i] = wr_config_find(options, part_keys[i])) != NULL;
    o->part_col = -1;
    if (given > 0 && given < 4) {
        const wr_config_entry *first = NULL;
        for (int i = 0; i < 4 && first == NULL; i++) first = part[i];
        return wr_error_set_at(err, WR_ERR_VALIDATION, first->key_pos,
                               "'scan.partition.column', 'scan.partition.num', "
                               "'scan.partition.lower-bound' and 'scan.partition.upper-bound' "
                               "must be given together");
    }
    int rc = 0;
    if (given == 4) {
        o->part_column = part[0];
        o->part_col = wr_schema_find(schema, part[0]->value);
        if (o->part_col < 0)
            return wr_error_set_at(err, WR_ERR_VALIDATION, part[0]->value_pos,
                                   "invalid value '%s' for option 'scan.partition.column': the "
                                   "table has no such column",
                                   part[0]->value);
        if (!wr_type_is_integer(schema->types[o->part_col].id))
            return wr_error_set_at(err, WR_ERR_VALIDATION, part[0]->value_pos,
                                   "invalid value '%s' for option 'scan.partition.column': the "
                                   "partition column must have an integer type",
                                   part[0]->value);
        if ((rc = get_count(options, part_keys[1], 1, 1, &o->part_num, err)) ||
            (rc = wr_config_get_int64(options, part_keys[2], 0, &o->lower, err)) ||
            (rc = wr_config_get_int64(options, part_keys[3], 0, &o->upper, err)))
            return rc;
        if (o->lower > o->upper)
            return wr_error_set_at(err, WR_ERR_VALIDATION, part[2]->value_pos,
                                   "'scan.partition.lower-bound' (%lld) must not be larger than "
                                   "'scan.partition.upper-bound' (%lld)",
                                   (long long)o->lower, (long long)o->upper);
    }
    bool auto_commit;
    if ((rc = get_count(options, "scan.fetch-size", 0, 0, &o->fetch_size, err)) ||
        (rc = wr_config_get_bool(options, "scan.auto-commit", true, &auto_commit, err)))
        return rc;
    return 0;
}

static int read_sink_options(const wr_config *options, const wr_config *job, jdbc_options *o,
                             wr_error *err)
{
    int rc;
    if ((rc = get_count(options, "sink.buffer-flush.max-rows", JDBC_DEFAULT_MAX_ROWS, 0,
                        &o->max_rows, err)) ||
        (rc = wr_config_get_duration_ms(options, "sink.buffer-flush.interval",
                                        JDBC_DEFAULT_INTERVAL_MS, &o->interval_ms, err)) ||
        (rc = get_count(options, "sink.max-retries", JDBC_DEFAULT_RETRIES, 0, &o->max_retries,
                        err)) ||
        (rc = wr_connector_get_parallelism(options, "sink.parallelism", &o->parallelism, err)) ||
        (rc = wr_config_get_enum(options, "sink.delivery-guarantee", guarantee_names,
                                 GUARANTEE_AT_LEAST_ONCE, &o->guarantee, err)))
        return rc;
    if (o->interval_ms < 0)
        return bad_value(wr_config_find(options, "sink.buffer-flush.interval"), "a duration >= 0",
                         err);
    const wr_config_entry *e = wr_config_find(options, "sink.transactional-id-prefix");
    o->txn_prefix = e ? e->value : "weir";
    if (e && e->value[0] == '\0') return bad_value(e, "a non-empty prefix", err);
    const char *jobname = wr_config_get(job, "pipeline.name", "");
    size_t len = strlen(o->txn_prefix) + strlen(jobname) + strlen(o->table->value) + 2;
    if (o->guarantee == GUARANTEE_EXACTLY_ONCE && len > JDBC_GID_PREFIX_MAX)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : o->table->value_pos,
                               "the transaction ids of the exactly-once sink ('<prefix>:<job "
                               "name>:<table-name>:...') would be longer than PostgreSQL's %d "
                               "bytes; use a shorter 'sink.transactional-id-prefix', "
                               "'pipeline.name' or 'table-name'",
                               JDBC_GID_MAX);
    return 0;
}

/*
 * The lookup cache, under Flink's names: 'lookup.cache' = 'PARTIAL' with
 * 'lookup.partial-cache.*', or the older 'lookup.cache.max-rows' and
 * 'lookup.cache.ttl' (a cache when both are set). No cache by default.
 */
static int read_lookup_options(const wr_config *options, jdbc_options *o, wr_error *err)
{
    static const char *const modes[] = {"NONE", "PARTIAL", NULL};
    int mode, rc;
    const wr_config_entry *legacy_rows = wr_config_find(options, "lookup.cache.max-rows");
    if ((rc = wr_config_get_enum(options, "lookup.cache", modes, 0, &mode, err)) ||
        (rc = get_count(options, "lookup.max-retries", JDBC_DEFAULT_RETRIES, 0, &o->lookup_retries,
                        err)))
        return rc;
    if (mode == 1) {
        if ((rc = get_count(options, "lookup.partial-cache.max-rows", 0, 1, &o->cache_rows, err)) ||
            (rc = wr_config_get_duration_ms(options, "lookup.partial-cache.expire-after-write", 0,
                                            &o->cache_ttl_ms, err)) ||
            (rc = wr_config_get_bool(options, "lookup.partial-cache.cache-missing-key", true,
                                     &o->cache_missing, err)))
            return rc;
        if (o->cache_rows == 0)
            return wr_error_set_at(err, WR_ERR_VALIDATION,
                                   wr_config_find(options, "lookup.cache")->value_pos,
                                   "'lookup.cache' = 'PARTIAL' needs "
                                   "'lookup.partial-cache.max-rows'");
    } else if (legacy_rows) {
        if ((rc = get_count(options, "lookup.cache.max-rows", 0, 0, &o->cache_rows, err)) ||
            (rc = wr_config_get_duration_ms(options, "lookup.cache.ttl", 0, &o->cache_ttl_ms,
                                            err)) ||
            (rc = wr_config_get_bool(options, "lookup.cache.caching-missing-key", true,
                                     &o->cache_missing, err)))
            return rc;
        if (o->cache_ttl_ms == 0) o->cache_rows = 0; /* Flink caches only with both set */
    }
    if (o->cache_ttl_ms < 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "the lookup cache's expiry must be >= 0");
    return 0;
}

/*
 * Reads and checks every option of either role (a table may be read and
 * written, as with Flink's factory) and the column types. On success the
 * caller finishes o->conninfo.
 */
static int read_options(const wr_schema *schema, const wr_config *options, const wr_config *job,
                        jdbc_options *o, wr_error *err)
{
    memset(o, 0, sizeof(*o));
    wr_config_init(&o->conninfo);
    o->connector = wr_config_find(options, "connector");
    o->url = wr_config_find(options, "url");
    o->table = wr_config_find(options, "table-name");
    if (o->url == NULL) return missing(o, "url", err);
    if (o->table == NULL) return missing(o, "table-name", err);
    if (o->table->value[0] == '\0') return bad_value(o->table, "a table name", err);
    char why[512];
    if (wr_jdbc_url_to_conninfo(o->url->value, &o->conninfo, why, sizeof(why)) != 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->url->value_pos,
                               "invalid value for option 'url': %s", why);
    const wr_config_entry *driver = wr_config_find(options, "driver");
    if (driver && strcmp(driver->value, JDBC_DRIVER) != 0)
        return bad_value(driver, "'" JDBC_DRIVER "' (Weir speaks to PostgreSQL through libpq)",
                         err);
    /* pgjdbc lets a user or password in the URL win over the driver properties. */
    const wr_config_entry *user = wr_config_find(options, "username");
    const wr_config_entry *password = wr_config_find(options, "password");
    if (password && user == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, password->key_pos,
                               "option 'password' needs 'username'");
    if (user && wr_config_find(&o->conninfo, "user") == NULL)
        wr_config_set(&o->conninfo, "user", user->value, -1, -1);
    if (password && wr_config_find(&o->conninfo, "password") == NULL)
        wr_config_set(&o->conninfo, "password", password->value, -1, -1);
    int rc = wr_config_get_duration_ms(options, "connection.max-retry-timeout",
                                       JDBC_DEFAULT_RETRY_TIMEOUT_MS, &o->retry_timeout_ms, err);
    if (rc) return rc;
    if (o->retry_timeout_ms < 1000)
        return bad_value(wr_config_find(options, "connection.max-retry-timeout"),
                         "a duration of at least 1 s", err);
    for (int i = 0; i < schema->ncols; i++) {
        if (type_supported(schema->types[i].id)) continue;
        char tname[64];
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->connector ? o->connector->value_pos : -1,
                               "column '%s' has type %s, which the jdbc connector cannot read or "
                               "write",
                               schema->names[i],
                               wr_type_name(schema->types[i], tname, sizeof(tname)));
    }
    if ((rc = read_scan_options(schema, options, o, err)) ||
        (rc = read_sink_options(options, job, o, err)) ||
        (rc = read_lookup_options(options, o, err)))
        return rc;
    return wr_connector_check_unused(options, o->connector ? o->connector->value : "jdbc",
                                     JDBC_SUPPORTED, err);
}

/*
 * A column's name in SQL text. A name of letters, digits and '_' is folded to
 * lower case, as PostgreSQL folds unquoted names (Flink's dialect does not quote
 * them, so 'userId' finds the column userid), and quoted, so that reserved words
 * work; any other name is quoted as written.
 */
static char *sql_ident(const char *name)
{
    bool plain = name[0] != '\0' && !isdigit((unsigned char)name[0]);
    for (const char *p = name; *p; p++) plain &= isalnum((unsigned char)*p) || *p == '_';
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_putc(&b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') wr_buf_putc(&b, '"');
        wr_buf_putc(&b, plain ? (char)tolower((unsigned char)*p) : *p);
    }
    wr_buf_putc(&b, '"');
    return wr_buf_detach(&b);
}

/* Fills c from checked options: the connection keywords plus the session settings. */
static void common_init(jdbc_common *c, const wr_schema *schema, jdbc_options *o)
{
    wr_config *ci = &o->conninfo;
    const char *user_opts = wr_config_get(ci, "options", NULL);
    wr_buf opts;
    wr_buf_init(&opts);
    wr_buf_puts(&opts, JDBC_SESSION_OPTIONS);
    if (user_opts) wr_buf_printf(&opts, " %s", user_opts);
    wr_config_set(ci, "options", opts.data, -1, -1);
    wr_buf_fini(&opts);
    wr_config_set(ci, "client_encoding", "UTF8", -1, -1);
    wr_config_set(ci, "fallback_application_name", "weir", -1, -1);
    if (wr_config_find(ci, "connect_timeout") == NULL) {
        char secs[32];
        snprintf(secs, sizeof(secs), "%lld", (long long)((o->retry_timeout_ms + 999) / 1000));
        wr_config_set(ci, "connect_timeout", secs, -1, -1);
    }
    c->keys = wr_calloc((size_t)ci->n + 1, sizeof(char *));
    c->values = wr_calloc((size_t)ci->n + 1, sizeof(char *));
    for (int i = 0; i < ci->n; i++) {
        c->keys[i] = wr_strdup(ci->entries[i].key);
        c->values[i] = wr_strdup(ci->entries[i].value);
    }
    c->url = wr_jdbc_url_redact(o->url->value);
    c->table = wr_strdup(o->table->value);
    c->schema = wr_schema_copy(schema);
    c->cols = wr_calloc((size_t)WR_MAX(schema->ncols, 1), sizeof(char *));
    for (int i = 0; i < schema->ncols; i++) c->cols[i] = sql_ident(schema->names[i]);
}

/* Appends the SQL names of columns cols[0..n) (schema indexes), comma-separated. */
static void put_col_list(wr_buf *b, const jdbc_common *c, const int *cols, int n)
{
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_puts(b, ", ");
        wr_buf_puts(b, c->cols[cols ? cols[i] : i]);
    }
}

/* ---- connections and statements --------------------------------------------------- */

/* libpq's multi-line message on one line, without the trailing newline. */
static void one_line(const char *msg, char *out, size_t size)
{
    size_t k = 0;
    bool blank = false;
    for (const char *p = msg ? msg : ""; *p && k + 1 < size; p++) {
        bool ws = *p == '\n' || *p == '\t' || *p == '\r' || *p == ' ';
        if (ws) {
            blank = k > 0;
            continue;
        }
        if (blank && k + 2 < size) out[k++] = ' ';
        blank = false;
        out[k++] = *p;
    }
    out[k] = '\0';
}

/*
 * Opens a connection. A failure is WR_ERR_IO naming the URL (never the
 * password) and libpq's reason, marked retriable. who names the operator.
 */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static PGconn *jdbc_connect(const jdbc_common *c, const char *who, wr_error *err)
{
    PGconn *conn =
        PQconnectdbParams((const char *const *)c->keys, (const char *const *)c->values, 0);
    if (conn && PQstatus(conn) == CONNECTION_OK) {
        /* libpq would print the server's notices and warnings to standard error */
        PQsetNoticeProcessor(conn, ignore_notice, NULL);
        return conn;
    }
    char msg[768];
    one_line(conn ? PQerrorMessage(conn) : "out of memory", msg, sizeof(msg));
    wr_error_set(err, WR_ERR_IO, "%s: cannot connect to '%s': %s", who, c->url, msg);
    err->retriable = true;
    PQfinish(conn);
    return NULL;
}

/* SQLSTATEs worth a retry on a new connection: connection trouble, serialization
 * failures and deadlocks, lack of resources, a server shutting down or starting. */
static bool transient_state(const char *state)
{
    return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "40", 2) == 0 ||
                     strncmp(state, "53", 2) == 0 || strncmp(state, "57P", 3) == 0);
}

/*
 * A failed statement as an error: the statement's kind (what), the server's
 * message with its detail and SQLSTATE, or the lost connection. res may be
 * NULL. Retriable when the connection broke or the state is transient.
 */
static int sql_error(PGconn *conn, const PGresult *res, const jdbc_common *c, const char *who,
                     const char *what, wr_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    bool broken = PQstatus(conn) == CONNECTION_BAD;
    char msg[768];
    one_line(primary ? primary : PQerrorMessage(conn), msg, sizeof(msg));
    if (msg[0] == '\0') snprintf(msg, sizeof(msg), "no result from the server");
    if (broken && primary == NULL)
        wr_error_set(err, WR_ERR_IO, "%s: %s failed: the connection to '%s' was lost: %s", who,
                     what, c->url, msg);
    else
        wr_error_set(err, broken ? WR_ERR_IO : WR_ERR_RUNTIME, "%s: %s failed: %s%s%s%s%s%s", who,
                     what, msg, detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
                     state ? " SQLSTATE " : "", state ? state : "");
    err->retriable = broken || transient_state(state);
    return err->code;
}

/* Runs a statement without parameters; a result other than ok or rows is an error. */
static int exec_sql(PGconn *conn, const char *sql, const jdbc_common *c, const char *who,
                    const char *what, wr_error *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                 ? 0
                 : sql_error(conn, res, c, who, what, err);
    PQclear(res);
    return rc;
}

/* Whether the statement failed with this SQLSTATE (err was filled by sql_error from res). */
static bool result_state_is(const PGresult *res, const char *state)
{
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return s && strcmp(s, state) == 0;
}

/* Sleeps ms, in slices, returning early (false) when the job is cancelled. */
static bool backoff(const wr_op_ctx *ctx, int64_t ms)
{
    int64_t until = wr_clock_mono_ns() + ms * 1000000;
    while (wr_clock_mono_ns() < until) {
        if (wr_op_cancelled(ctx)) return false;
        wr_clock_sleep_ns(WR_MIN(until - wr_clock_mono_ns(), 20 * 1000000LL));
    }
    return !wr_op_cancelled(ctx);
}

/* The retry waits: 100 ms, 200 ms, 400 ms, ... at most 2 s. */
static int64_t backoff_ms(int attempt)
{
    return WR_MIN(100LL << WR_MIN(attempt, 5), 2000);
}

/* ---- values as text ----------------------------------------------------------------- */

/* Appends bytes escaped for COPY's text format: backslash, tab, newline and CR. */
static void put_copy_escaped(wr_buf *out, const char *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
        wr_buf_append(out, p + run, i - run);
        wr_buf_putc(out, '\\');
        wr_buf_putc(out, c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
        run = i + 1;
    }
    wr_buf_append(out, p + run, n - run);
}

/*
 * Appends the text of the (non-NULL) value `row` of v in PostgreSQL's input
 * format: for COPY's text format when copy (escaped), else as a text
 * parameter. Returns 0, or -1 for a string holding a NUL character, which
 * PostgreSQL's text types cannot store.
 */
static int put_value(const wr_vector *v, int row, bool copy, wr_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    const void *d = v->data;
    switch ((wr_type_id)v->type.id) {
    case WR_TYPE_BOOLEAN:
        wr_buf_putc(out, ((const uint8_t *)d)[row] ? 't' : 'f');
        return 0;
    case WR_TYPE_TINYINT:
        wr_buf_put_int64(out, ((const int8_t *)d)[row]);
        return 0;
    case WR_TYPE_SMALLINT:
        wr_buf_put_int64(out, ((const int16_t *)d)[row]);
        return 0;
    case WR_TYPE_INT:
        wr_buf_put_int64(out, ((const int32_t *)d)[row]);
        return 0;
    case WR_TYPE_BIGINT:
        wr_buf_put_int64(out, ((const int64_t *)d)[row]);
        return 0;
    case WR_TYPE_FLOAT: /* Java's shortest text reads back as the same float */
        wr_double_format_java(((const float *)d)[row], true, out);
        return 0;
    case WR_TYPE_DOUBLE:
        wr_double_format_java(((const double *)d)[row], false, out);
        return 0;
    case WR_TYPE_DECIMAL:
        wr_decimal_format(((const wr_int128 *)d)[row], v->type.scale, out);
        return 0;
    case WR_TYPE_DATE:
        wr_date_format(((const int32_t *)d)[row], out);
        return 0;
    case WR_TYPE_TIME:
        wr_time_format_sql(((const int32_t *)d)[row], 3, out);
        return 0;
    case WR_TYPE_TIMESTAMP:
        wr_timestamp_format_sql(((const int64_t *)d)[row], 6, out);
        return 0;
    case WR_TYPE_TIMESTAMP_LTZ: /* an instant: UTC, said so */
        wr_timestamp_format_sql(((const int64_t *)d)[row], 6, out);
        wr_buf_puts(out, "+00");
        return 0;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR: {
        wr_str s = ((const wr_str *)d)[row];
        if (s.len && memchr(s.ptr, '\0', s.len)) return -1;
        if (copy)
            put_copy_escaped(out, s.ptr, s.len);
        else
            wr_buf_append(out, s.ptr, s.len);
        return 0;
    }
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY: { /* bytea's hex format: \x0aff */
        wr_str s = ((const wr_str *)d)[row];
        wr_buf_puts(out, copy ? "\\\\x" : "\\x");
        char *p = wr_buf_reserve(out, 2 * (size_t)s.len);
        for (uint32_t i = 0; i < s.len; i++) {
            p[2 * i] = hex[(unsigned char)s.ptr[i] >> 4];
            p[2 * i + 1] = hex[(unsigned char)s.ptr[i] & 15];
        }
        out->len += 2 * (size_t)s.len;
        out->data[out->len] = '\0';
        return 0;
    }
    default:
        assert(!"a type the planning refused");
        return -1;
    }
}

/* Characters (UTF-8 code points) of s[0..n). */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    return chars;
}

/*
 * Drops the zone of a timestamptz read in a UTC session ('...+00'), so the
 * rest parses as a TIMESTAMP; other offsets are left (and then refused).
 */
static size_t strip_utc(const char *s, size_t len)
{
    return len > 3 && memcmp(s + len - 3, "+00", 3) == 0 ? len - 3 : len;
}

/*
 * Stores the text s (s[len] is NUL, as libpq returns values) of a non-NULL
 * value into physical row `row` of column col of batch, as the column's type
 * reads it (strings into the batch's arena). Returns 0, or -1 with what is
 * wrong with the text in why ("out of range for INT").
 */
static int take_value(wr_batch *batch, int col, int row, const char *s, size_t len, char *why,
                      size_t why_size)
{
    wr_vector *v = &batch->cols[col];
    wr_type t = v->type;
    void *d = v->data;
    char tname[64];
    wr_type_name(t, tname, sizeof(tname));
    switch ((wr_type_id)t.id) {
    case WR_TYPE_BOOLEAN: {
        bool yes = strcmp(s, "t") == 0 || strcasecmp(s, "true") == 0;
        bool no = strcmp(s, "f") == 0 || strcasecmp(s, "false") == 0;
        if (!yes && !no) break;
        ((uint8_t *)d)[row] = yes;
        return 0;
    }
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT: {
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (len == 0 || end != s + len || isspace((unsigned char)s[0])) break;
        int bits = t.id == WR_TYPE_TINYINT    ? 8
                   : t.id == WR_TYPE_SMALLINT ? 16
                   : t.id == WR_TYPE_INT      ? 32
                                              : 64;
        if (errno == ERANGE ||
            (bits < 64 && (x < -(1LL << (bits - 1)) || x > (1LL << (bits - 1)) - 1))) {
            snprintf(why, why_size, "'%s' is out of range for %s", s, tname);
            return -1;
        }
        if (bits == 8) ((int8_t *)d)[row] = (int8_t)x;
        if (bits == 16) ((int16_t *)d)[row] = (int16_t)x;
        if (bits == 32) ((int32_t *)d)[row] = (int32_t)x;
        if (bits == 64) ((int64_t *)d)[row] = x;
        return 0;
    }
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE: {
        char *end;
        double x = strtod(s, &end);
        if (len == 0 || end != s + len || isspace((unsigned char)s[0])) break;
        if (t.id == WR_TYPE_DOUBLE) {
            ((double *)d)[row] = x;
            return 0;
        }
        float f = (float)x;
        if (isinf(f) && !isinf(x)) {
            snprintf(why, why_size, "'%s' is out of range for %s", s, tname);
            return -1;
        }
        ((float *)d)[row] = f;
        return 0;
    }
    case WR_TYPE_DECIMAL: {
        int rc = wr_decimal_parse(s, len, t.length, t.scale, &((wr_int128 *)d)[row]);
        if (rc == -2) {
            snprintf(why, why_size, "'%s' has more digits before the point than %s holds", s,
                     tname);
            return -1;
        }
        if (rc) break;
        return 0;
    }
    case WR_TYPE_DATE:
        if (wr_date_parse(s, len, &((int32_t *)d)[row])) break;
        return 0;
    case WR_TYPE_TIME:
        if (wr_time_parse(s, len, &((int32_t *)d)[row])) break;
        return 0;
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ: {
        int64_t us;
        if (wr_timestamp_parse(s, strip_utc(s, len), &us)) break;
        ((int64_t *)d)[row] = wr_timestamp_truncate(us, t.length);
        return 0;
    }
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
        if (t.length < WR_VARCHAR_MAX && utf8_chars(s, len) > (size_t)t.length) {
            snprintf(why, why_size, "'%.40s%s' is longer than %s allows", s, len > 40 ? "..." : "",
                     tname);
            return -1;
        }
        ((wr_str *)d)[row] = wr_batch_str(batch, s, len);
        return 0;
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY: {
        if (len < 2 || s[0] != '\\' || s[1] != 'x' || len % 2) break;
        size_t n = (len - 2) / 2;
        if (t.length < WR_VARCHAR_MAX && n > (size_t)t.length) {
            snprintf(why, why_size, "%zu bytes are more than %s allows", n, tname);
            return -1;
        }
        char *p = wr_arena_alloc(&batch->arena, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            int hi = hexval((unsigned char)s[2 + 2 * i]), lo = hexval((unsigned char)s[3 + 2 * i]);
            if (hi < 0 || lo < 0) goto invalid;
            p[i] = (char)(hi * 16 + lo);
        }
        ((wr_str *)d)[row] = (wr_str){p, (uint32_t)n};
        return 0;
    }
    default:
        break;
    }
invalid:
    snprintf(why, why_size, "invalid %s '%.60s%s'", tname, s, len > 60 ? "..." : "");
    return -1;
}

/* ---- the scan source ------------------------------------------------------------------ */

/* Operator state: "JSRC", u32 version, u32 partitions of the subtask read to their end. */
#define JDBC_STATE_VERSION 1

typedef struct jdbc_source_spec {
    jdbc_common c;
    int *cols; /* the schema columns produced, in order */
    int ncols;
    wr_type *types; /* theirs */
    char *select;   /* SELECT <cols> FROM <table> */
    int part_col;   /* schema index of 'scan.partition.column', or -1 */
    int64_t lower, upper;
    int nparts; /* 1 without partitioning */
    int64_t fetch;
} jdbc_source_spec;

static void source_spec_free(void *vspec)
{
    jdbc_source_spec *spec = vspec;
    if (spec == NULL) return;
    common_fini(&spec->c);
    wr_free(spec->cols);
    wr_free(spec->types);
    wr_free(spec->select);
    wr_free(spec);
}

typedef struct jdbc_source {
    wr_operator base;
    const jdbc_source_spec *spec;
    char *who; /* "jdbc source: table 't'" */
    PGconn *conn;
    wr_batch *batch;
    int done_parts;    /* partitions of this subtask read to the end */
    bool in_cursor;    /* the current partition's cursor is open */
    PGresult *res;     /* the rows of the last FETCH, or NULL */
    int res_row;       /* the next of them to emit */
    int64_t rows_read; /* rows of the current partition decoded so far */
} jdbc_source;

/* The partition this subtask reads k-th: partitions go round-robin over the subtasks. */
static int source_part(const jdbc_source *src, int k)
{
    return src->base.ctx->subtask + k * src->base.ctx->parallelism;
}

/*
 * Appends the WHERE clause of partition i: Flink's even split of
 * [lower, upper] into ranges (BETWEEN lo AND hi); the first range also takes
 * NULLs and values below lower, the last values above upper, so every row is
 * read once.
 */
static void put_partition_where(wr_buf *b, const jdbc_source_spec *spec, int i)
{
    if (spec->nparts <= 1) return;
    wr_int128 count = (wr_int128)spec->upper - spec->lower + 1;
    wr_int128 size = count / spec->nparts, rem = count % spec->nparts;
    wr_int128 lo = spec->lower + i * size + WR_MIN(i, rem);
    wr_int128 hi = lo + size + (i < rem) - 1;
    const char *col = spec->c.cols[spec->part_col];
    if (i == 0)
        wr_buf_printf(b, " WHERE %s <= %lld OR %s IS NULL", col, (long long)hi, col);
    else if (i == spec->nparts - 1)
        wr_buf_printf(b, " WHERE %s >= %lld", col, (long long)lo);
    else
        wr_buf_printf(b, " WHERE %s BETWEEN %lld AND %lld", col, (long long)lo, (long long)hi);
}

static wr_operator *source_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int source_open(wr_operator *op, wr_error *err);
static int source_run(wr_operator *op, wr_source_status *status, wr_error *err);
static int source_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static void source_destroy(wr_operator *op);

static const wr_operator_ops source_ops = {
    .kind = "jdbc_source",
    .create = source_create,
    .open = source_open,
    .run = source_run,
    .snapshot = source_snapshot,
    .destroy = source_destroy,
};

static char *who_of(const char *role, const jdbc_common *c)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "jdbc %s: table '%s'", role, c->table);
    return wr_buf_detach(&b);
}

static wr_operator *source_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const jdbc_source_spec *spec = vspec;
    jdbc_source *src = wr_calloc(1, sizeof(*src));
    src->base.ops = &source_ops;
    src->base.ctx = ctx;
    src->spec = spec;
    src->who = who_of("source", &spec->c);
    src->batch = wr_batch_new(spec->types, spec->ncols, WR_BATCH_CAPACITY);
    const wr_restore *restore = ctx->restore;
    if (restore && restore->finished) src->done_parts = spec->nparts;
    for (int k = 0; restore && !restore->finished && k < restore->nparts; k++) {
        const wr_snapshot_part *part = restore->parts[k];
        if (part->keygroup >= 0) continue;
        wr_buf_reader c = wr_buf_reader_of(part->data.data, part->data.len);
        const char *tag = wr_buf_take(&c, 4);
        bool ok = tag && memcmp(tag, "JSRC", 4) == 0 && wr_buf_get_u32(&c) == JDBC_STATE_VERSION;
        uint32_t done = ok ? wr_buf_get_u32(&c) : 0;
        if (!ok || c.bad || c.left != 0 || done > (uint32_t)spec->nparts) {
            wr_error_set(err, WR_ERR_IO,
                         "%s: the operator state of subtask %d in checkpoint %lld is damaged or "
                         "of another version",
                         src->who, ctx->subtask, (long long)restore->checkpoint);
            source_destroy(&src->base);
            return NULL;
        }
        src->done_parts = (int)done;
    }
    return &src->base;
}

/* Connects only when this subtask has a partition left to read. */
static int source_open(wr_operator *op, wr_error *err)
{
    jdbc_source *src = (jdbc_source *)op;
    if (source_part(src, src->done_parts) >= src->spec->nparts) return 0;
    src->conn = jdbc_connect(&src->spec->c, src->who, err);
    return src->conn ? 0 : err->code;
}

/* Opens the cursor of the next partition in a read-only transaction. */
static int open_cursor(jdbc_source *src, wr_error *err)
{
    const jdbc_source_spec *spec = src->spec;
    wr_buf sql;
    wr_buf_init(&sql);
    wr_buf_printf(&sql, "BEGIN READ ONLY; DECLARE weir_scan NO SCROLL CURSOR FOR %s", spec->select);
    put_partition_where(&sql, spec, source_part(src, src->done_parts));
    int rc = exec_sql(src->conn, sql.data, &spec->c, src->who, "SELECT", err);
    wr_buf_fini(&sql);
    if (rc == 0) {
        src->in_cursor = true;
        src->rows_read = 0;
    }
    return rc;
}

/* The current partition is read: its transaction ends, which closes the cursor. */
static int close_cursor(jdbc_source *src, wr_error *err)
{
    src->in_cursor = false;
    src->done_parts++;
    return exec_sql(src->conn, "COMMIT", &src->spec->c, src->who, "COMMIT", err);
}

/* A value that the column cannot take: the table, the column and the row. */
static int value_error(jdbc_source *src, int col, const char *why, wr_error *err)
{
    const jdbc_source_spec *spec = src->spec;
    char part[64] = "";
    if (spec->nparts > 1)
        snprintf(part, sizeof(part), " of partition %d/%d", source_part(src, src->done_parts) + 1,
                 spec->nparts);
    return wr_error_set(err, WR_ERR_RUNTIME, "%s, column '%s', row %lld%s: %s", src->who,
                        spec->c.schema->names[spec->cols[col]], (long long)src->rows_read + 1, part,
                        why);
}

/* Decodes up to a batch of the fetched rows and emits them. */
static int emit_rows(jdbc_source *src, wr_error *err)
{
    const jdbc_source_spec *spec = src->spec;
    wr_batch *batch = src->batch;
    wr_batch_reset(batch);
    int n = WR_MIN(PQntuples(src->res) - src->res_row, batch->capacity);
    char why[256];
    for (int i = 0; i < n; i++) {
        int r = src->res_row + i;
        for (int c = 0; c < spec->ncols; c++) {
            if (PQgetisnull(src->res, r, c)) {
                if (!spec->types[c].nullable)
                    return value_error(src, c, "NULL in a NOT NULL column", err);
                wr_batch_set_null(batch, c, i);
                continue;
            }
            const char *s = PQgetvalue(src->res, r, c);
            if (take_value(batch, c, i, s, (size_t)PQgetlength(src->res, r, c), why, sizeof(why)))
                return value_error(src, c, why, err);
        }
        src->rows_read++;
    }
    batch->count = n;
    src->res_row += n;
    return wr_op_emit(src->base.ctx, batch, err);
}

/*
 * One step: open the next partition's cursor, FETCH the next rows, or emit a
 * batch of the rows fetched. Ends when the subtask's partitions are read.
 */
static int source_run(wr_operator *op, wr_source_status *status, wr_error *err)
{
    jdbc_source *src = (jdbc_source *)op;
    const jdbc_source_spec *spec = src->spec;
    *status = WR_SOURCE_MORE;
    if (src->res) {
        int rc = emit_rows(src, err);
        if (rc || src->res_row < PQntuples(src->res)) return rc;
        bool last = PQntuples(src->res) < spec->fetch;
        PQclear(src->res);
        src->res = NULL;
        return last ? close_cursor(src, err) : 0;
    }
    if (!src->in_cursor) {
        if (source_part(src, src->done_parts) >= spec->nparts) {
            *status = WR_SOURCE_END;
            return 0;
        }
        return open_cursor(src, err);
    }
    char sql[64];
    snprintf(sql, sizeof(sql), "FETCH %lld FROM weir_scan", (long long)spec->fetch);
    PGresult *res = PQexec(src->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = sql_error(src->conn, res, &spec->c, src->who, "FETCH", err);
        PQclear(res);
        return rc;
    }
    int nfields = PQnfields(res);
    if (PQntuples(res) == 0 || nfields != spec->ncols) {
        PQclear(res);
        if (nfields != spec->ncols)
            return wr_error_set(err, WR_ERR_RUNTIME, "%s: the query returned %d columns, not %d",
                                src->who, nfields, spec->ncols);
        return close_cursor(src, err);
    }
    src->res = res;
    src->res_row = 0;
    return 0;
}

/*
 * The state is how many of its partitions the subtask has read to the end; a
 * restore reads the partition it was in again from its start.
 */
static int source_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    jdbc_source *src = (jdbc_source *)op;
    wr_buf *buf = wr_snapshot_add(out, -1);
    wr_buf_append(buf, "JSRC", 4);
    wr_buf_put_u32(buf, JDBC_STATE_VERSION);
    wr_buf_put_u32(buf, (uint32_t)src->done_parts);
    return 0;
}

/* The server rolls back an open transaction when the connection closes. */
static void source_destroy(wr_operator *op)
{
    jdbc_source *src = (jdbc_source *)op;
    PQclear(src->res);
    PQfinish(src->conn);
    wr_batch_free(src->batch);
    wr_free(src->who);
    wr_free(src);
}

static int jdbc_make_source(const wr_schema *schema, const wr_config *options, const wr_config *job,
                            const wr_scan_request *req, wr_operator_spec *out, wr_error *err)
{
    jdbc_options o;
    int rc = read_options(schema, options, job, &o, err);
    if (rc) {
        wr_config_fini(&o.conninfo);
        return rc;
    }
    jdbc_source_spec *spec = wr_calloc(1, sizeof(*spec));
    common_init(&spec->c, schema, &o);
    spec->cols = wr_scan_request_columns(req, schema, &spec->ncols);
    spec->types = wr_calloc((size_t)WR_MAX(spec->ncols, 1), sizeof(wr_type));
    for (int i = 0; i < spec->ncols; i++) spec->types[i] = schema->types[spec->cols[i]];
    wr_buf sql;
    wr_buf_init(&sql);
    wr_buf_puts(&sql, "SELECT ");
    put_col_list(&sql, &spec->c, spec->cols, spec->ncols);
    wr_buf_printf(&sql, " FROM %s", spec->c.table);
    spec->select = wr_buf_detach(&sql);
    spec->part_col = o.part_col;
    spec->nparts = 1;
    if (o.part_col >= 0) {
        spec->lower = o.lower;
        spec->upper = o.upper;
        wr_int128 count = (wr_int128)o.upper - o.lower + 1;
        spec->nparts = (int)WR_MIN((wr_int128)WR_MIN(o.part_num, 1 << 20), count);
    }
    spec->fetch = o.fetch_size > 0 ? o.fetch_size : WR_BATCH_CAPACITY;
    wr_config_fini(&o.conninfo);
    *out = (wr_operator_spec){.ops = &source_ops,
                              .spec = spec,
                              .spec_free = source_spec_free,
                              .parallelism = -1,
                              .bounded = true};
    return 0;
}

/* ---- the sink ------------------------------------------------------------------------- */

/*
 * Append mode (no primary key): rows are buffered as the lines of a COPY in
 * text format and written with one COPY per flush. Upsert mode: rows are
 * buffered as their values' text; a flush folds them to the last change per
 * key and sends the survivors in order, consecutive upserts as one
 * multi-row INSERT ... ON CONFLICT DO UPDATE, consecutive deletes as one
 * DELETE ... WHERE key IN (...).
 *
 * at-least-once: each flush commits on its own (autocommit); a flush that
 * fails on a broken connection or a transient error is tried again on a new
 * connection, up to sink.max-retries times.
 *
 * exactly-once: flushes write into an open transaction; at barrier k it is
 * PREPAREd as '<prefix>:<job>:<table>:<subtask>:<k>' and the next flush begins
 * another; checkpoint_done(k) COMMIT PREPAREs those of k and earlier over a
 * second connection (a session inside a transaction cannot). A failure fails
 * the job: the restore finishes the prepared transactions it covers (commit up
 * to the restored checkpoint, roll back later ones), and the source replays
 * the rest. The end of input commits everything (no later checkpoint reaches
 * a finished task).
 */
typedef struct jdbc_sink_spec {
    jdbc_common c;
    int *pk; /* the primary key's schema columns; upsert mode when npk > 0 */
    int npk;
    int64_t max_rows, interval_ms;
    int max_retries;
    bool exactly_once;
    char *gid_prefix;   /* '<prefix>:<job>:<table>' */
    char *check_sql;    /* SELECT <cols> FROM <table> LIMIT 0 */
    char *copy_sql;     /* COPY <table> (<cols>) FROM STDIN */
    char *insert_sql;   /* INSERT INTO <table> (<cols>) VALUES */
    char *conflict_sql; /* ON CONFLICT (<key>) DO UPDATE SET ... */
    char *delete_sql;   /* DELETE FROM <table> WHERE <key> IN ( */
} jdbc_sink_spec;

static void sink_spec_free(void *vspec)
{
    jdbc_sink_spec *spec = vspec;
    if (spec == NULL) return;
    common_fini(&spec->c);
    wr_free(spec->pk);
    wr_free(spec->gid_prefix);
    wr_free(spec->check_sql);
    wr_free(spec->copy_sql);
    wr_free(spec->insert_sql);
    wr_free(spec->conflict_sql);
    wr_free(spec->delete_sql);
    wr_free(spec);
}

typedef struct jdbc_sink {
    wr_operator base;
    const jdbc_sink_spec *spec;
    char *who;    /* "jdbc sink: table 't'" */
    PGconn *conn; /* writes; NULL before connecting and after it broke */
    PGconn *ctl;  /* exactly-once: finishes prepared transactions; NULL when closed */
    /* append: COPY lines of the buffered rows; upsert: their values, each NUL-terminated */
    wr_buf text;
    WR_VEC(int64_t) offs;     /* upsert: per row and column, the value's offset in text; -1: NULL */
    WR_VEC(uint8_t) kinds;    /* upsert: per row, its change kind */
    int64_t nrows;            /* rows buffered */
    bool in_txn;              /* exactly-once: a transaction is open on conn */
    int64_t txn_rows;         /* rows written into it */
    WR_VEC(int64_t) prepared; /* checkpoints whose transactions are prepared, ascending */
    /* exactly-once: the buffer waits for a row lock an earlier prepared transaction of this
     * sink holds (its checkpoint is not complete yet); no flush is tried before this time */
    int64_t blocked_until_ms;
    wr_buf sql;
} jdbc_sink;

static bool upsert_mode(const jdbc_sink *sink)
{
    return sink->spec->npk > 0;
}

/* The global transaction id of this subtask's rows of a checkpoint. */
static void put_gid(wr_buf *b, const jdbc_sink *sink, int64_t checkpoint)
{
    wr_buf_printf(b, "%s:%d:%lld", sink->spec->gid_prefix, sink->base.ctx->subtask,
                  (long long)checkpoint);
}

/* Appends s as an SQL string literal (standard_conforming_strings: quotes doubled). */
static void put_literal(wr_buf *b, const char *s)
{
    wr_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'') wr_buf_putc(b, '\'');
        wr_buf_putc(b, *s);
    }
    wr_buf_putc(b, '\'');
}

/* Notes in err how many retries were made before giving up. */
static void note_retries(wr_error *err, int retries)
{
    if (retries == 0) return;
    size_t len = strlen(err->msg);
    snprintf(err->msg + len, sizeof(err->msg) - len, " (after %d retr%s)", retries,
             retries == 1 ? "y" : "ies");
}

/* Connects *conn, trying again after transient failures up to sink.max-retries times. */
static int connect_retrying(jdbc_sink *sink, PGconn **conn, wr_error *err)
{
    for (int attempt = 0;; attempt++) {
        *conn = jdbc_connect(&sink->spec->c, sink->who, err);
        if (*conn) return 0;
        if (attempt >= sink->spec->max_retries) {
            note_retries(err, attempt);
            return err->code;
        }
        if (!backoff(sink->base.ctx, backoff_ms(attempt)))
            return wr_error_set(err, WR_ERR_CANCELLED, "%s: cancelled", sink->who);
    }
}

/*
 * COMMIT PREPARED (commit) or ROLLBACK PREPARED a global transaction over the
 * control connection, reconnecting and trying again after transient failures.
 * On a retry, a transaction that no longer exists counts as finished: the
 * attempt that lost its connection may have finished it.
 */
static int finish_prepared(jdbc_sink *sink, const char *gid, bool commit, wr_error *err)
{
    const char *what = commit ? "COMMIT PREPARED" : "ROLLBACK PREPARED";
    wr_buf sql;
    wr_buf_init(&sql);
    wr_buf_printf(&sql, "%s ", what);
    put_literal(&sql, gid);
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        rc = sink->ctl ? 0 : connect_retrying(sink, &sink->ctl, err);
        if (rc) break;
        PGresult *res = PQexec(sink->ctl, sql.data);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
                  (attempt > 0 && result_state_is(res, "42704"));
        if (!ok) rc = sql_error(sink->ctl, res, &sink->spec->c, sink->who, what, err);
        PQclear(res);
        if (ok || !err->retriable || attempt >= sink->spec->max_retries) {
            if (!ok) note_retries(err, attempt);
            break;
        }
        PQfinish(sink->ctl);
        sink->ctl = NULL;
        if (!backoff(sink->base.ctx, backoff_ms(attempt))) {
            rc = wr_error_set(err, WR_ERR_CANCELLED, "%s: cancelled", sink->who);
            break;
        }
    }
    wr_buf_fini(&sql);
    return rc;
}

/*
 * Finishes the prepared transactions an earlier run of this sink left: on a
 * restore from checkpoint k those of k and earlier are committed (the
 * checkpoint covers their rows) and later ones rolled back (their rows are
 * replayed); a fresh start rolls back all. Subtask s takes its own, subtask 0
 * also those of subtasks that no longer exist (a lower parallelism).
 */
static int resolve_prepared(jdbc_sink *sink, wr_error *err)
{
    const wr_op_ctx *ctx = sink->base.ctx;
    wr_buf prefix;
    wr_buf_init(&prefix);
    wr_buf_printf(&prefix, "%s:", sink->spec->gid_prefix);
    const char *params[1] = {prefix.data};
    PGresult *res = PQexecParams(sink->ctl,
                                 "SELECT gid FROM pg_prepared_xacts WHERE database = "
                                 "current_database() AND substr(gid, 1, length($1)) = $1",
                                 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = sql_error(sink->ctl, res, &sink->spec->c, sink->who,
                       "SELECT (listing prepared transactions)", err);
    int64_t restored = ctx->restore ? ctx->restore->checkpoint : -1;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        const char *gid = PQgetvalue(res, i, 0);
        char *end;
        errno = 0;
        long sub = strtol(gid + prefix.len, &end, 10);
        if (end == gid + prefix.len || *end != ':' || errno) continue;
        const char *cp = end + 1;
        long long chk = strtoll(cp, &end, 10);
        if (end == cp || *end != '\0' || errno) continue;
        bool mine = sub == ctx->subtask || (ctx->subtask == 0 && sub >= ctx->parallelism);
        if (mine) rc = finish_prepared(sink, gid, restored >= 0 && chk <= restored, err);
    }
    PQclear(res);
    wr_buf_fini(&prefix);
    return rc;
}

static wr_operator *sink_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int sink_open(wr_operator *op, wr_error *err);
static int sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static int sink_end_input(wr_operator *op, int input, wr_error *err);
static int sink_on_time(wr_operator *op, int64_t now_ms, wr_error *err);
static int sink_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static int sink_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err);
static void sink_destroy(wr_operator *op);

static const wr_operator_ops sink_ops = {
    .kind = "jdbc_sink",
    .create = sink_create,
    .open = sink_open,
    .process = sink_process,
    .end_input = sink_end_input,
    .on_time = sink_on_time,
    .snapshot = sink_snapshot,
    .checkpoint_done = sink_checkpoint_done,
    .union_state = true,
    .destroy = sink_destroy,
};

/*
 * The rows a barrier found still buffered (exactly-once, held back by a lock): "JSNK", u32
 * version, u64 rows, u64 bytes of text and the text, then in upsert mode per row its kind
 * (u8) and per row and column the value's offset (i64, -1: NULL). Little-endian.
 */
#define JDBC_SINK_STATE_VERSION 1

static void save_buffer(const jdbc_sink *sink, wr_buf *b)
{
    wr_buf_append(b, "JSNK", 4);
    wr_buf_put_u32(b, JDBC_SINK_STATE_VERSION);
    wr_buf_put_u64(b, (uint64_t)sink->nrows);
    wr_buf_put_u64(b, (uint64_t)sink->text.len);
    wr_buf_append(b, sink->text.data, sink->text.len);
    if (!upsert_mode(sink)) return;
    wr_buf_append(b, sink->kinds.v, (size_t)sink->kinds.n);
    for (int64_t i = 0; i < sink->offs.n; i++) wr_buf_put_u64(b, (uint64_t)sink->offs.v[i]);
}

/* Appends the rows of one saved buffer to the buffer. */
static int load_buffer(jdbc_sink *sink, const wr_buf *part, wr_error *err)
{
    wr_buf_reader r = wr_buf_reader_of(part->data, part->len);
    const void *magic = wr_buf_take(&r, 4);
    uint32_t version = wr_buf_get_u32(&r);
    uint64_t rows = wr_buf_get_u64(&r), len = wr_buf_get_u64(&r);
    int ncols = sink->spec->c.schema->ncols;
    bool ok = !r.bad && memcmp(magic, "JSNK", 4) == 0 && version == JDBC_SINK_STATE_VERSION &&
              len <= r.left;
    bool upsert = upsert_mode(sink);
    if (ok && upsert)
        ok = (r.left - len) / 9 >= rows && rows * (uint64_t)(1 + 8 * ncols) == r.left - len;
    if (!ok)
        return wr_error_set(err, WR_ERR_IO, "%s: the checkpoint's buffered rows are malformed",
                            sink->who);
    size_t base = sink->text.len;
    wr_buf_append(&sink->text, wr_buf_take(&r, len), len);
    if (upsert) {
        const uint8_t *kinds = wr_buf_take(&r, rows);
        for (uint64_t i = 0; ok && i < rows; i++) {
            ok = kinds[i] <= WR_KIND_DELETE;
            WR_VEC_PUSH(&sink->kinds, kinds[i]);
        }
        for (uint64_t i = 0; ok && i < rows * (uint64_t)ncols; i++) {
            int64_t off = (int64_t)wr_buf_get_u64(&r);
            ok = off == -1 || (off >= 0 && (uint64_t)off < len);
            WR_VEC_PUSH(&sink->offs, off == -1 ? -1 : (int64_t)base + off);
        }
    }
    if (!ok || r.bad || r.left != 0)
        return wr_error_set(err, WR_ERR_IO, "%s: the checkpoint's buffered rows are malformed",
                            sink->who);
    sink->nrows += (int64_t)rows;
    return 0;
}

/*
 * The rows the restored checkpoint held back: a subtask takes its own part; after a change
 * of parallelism subtask 0 takes every old subtask's (the sink's rows of one key all came
 * from one old subtask, in order).
 */
static int restore_buffer(jdbc_sink *sink, wr_error *err)
{
    const wr_restore *restore = sink->base.ctx->restore;
    if (restore->rescaled && sink->base.ctx->subtask != 0) return 0;
    for (int i = 0; i < restore->nparts; i++) {
        if (restore->parts[i]->keygroup != -1) continue;
        int rc = load_buffer(sink, &restore->parts[i]->data, err);
        if (rc) return rc;
    }
    if (sink->nrows > 0 && sink->base.ctx->timer_at_ms == INT64_MAX)
        sink->base.ctx->timer_at_ms = wr_clock_wall_ms();
    return 0;
}

static wr_operator *sink_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const jdbc_sink_spec *spec = vspec;
    jdbc_sink *sink = wr_calloc(1, sizeof(*sink));
    sink->base.ops = &sink_ops;
    sink->base.ctx = ctx;
    sink->spec = spec;
    sink->who = who_of("sink", &spec->c);
    wr_buf_init(&sink->text);
    wr_buf_init(&sink->sql);
    ctx->timer_at_ms = INT64_MAX;
    return &sink->base;
}

/*
 * Connects and checks that the table has the columns (so a missing table
 * fails the job before any row); exactly-once then finishes what an earlier
 * run left prepared.
 */
static int sink_open(wr_operator *op, wr_error *err)
{
    jdbc_sink *sink = (jdbc_sink *)op;
    int rc = connect_retrying(sink, &sink->conn, err);
    if (rc == 0)
        rc = exec_sql(sink->conn, sink->spec->check_sql, &sink->spec->c, sink->who,
                      "SELECT (checking the table's columns)", err);
    if (rc == 0 && sink->spec->exactly_once)
        rc = exec_sql(sink->conn, "SET lock_timeout = '" JDBC_LOCK_TIMEOUT "'", &sink->spec->c,
                      sink->who, "SET lock_timeout", err);
    if (rc == 0 && sink->spec->exactly_once) rc = connect_retrying(sink, &sink->ctl, err);
    if (rc == 0 && sink->spec->exactly_once) rc = resolve_prepared(sink, err);
    if (rc == 0 && op->ctx->restore) rc = restore_buffer(sink, err);
    return rc;
}

static void sink_destroy(wr_operator *op)
{
    jdbc_sink *sink = (jdbc_sink *)op;
    PQfinish(sink->conn); /* the server rolls back a transaction left open */
    PQfinish(sink->ctl);
    wr_buf_fini(&sink->text);
    wr_buf_fini(&sink->sql);
    WR_VEC_FREE(&sink->offs);
    WR_VEC_FREE(&sink->kinds);
    WR_VEC_FREE(&sink->prepared);
    wr_free(sink->who);
    wr_free(sink);
}

/* ---- writing the buffer ---- */

/* One COPY of the buffered lines. */
static int copy_rows(jdbc_sink *sink, wr_error *err)
{
    const jdbc_sink_spec *spec = sink->spec;
    PGconn *conn = sink->conn;
    PGresult *res = PQexec(conn, spec->copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        int rc = sql_error(conn, res, &spec->c, sink->who, "COPY", err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    bool sent = true;
    for (size_t at = 0; sent && at < sink->text.len; at += JDBC_COPY_CHUNK) {
        size_t n = WR_MIN(sink->text.len - at, (size_t)JDBC_COPY_CHUNK);
        sent = PQputCopyData(conn, sink->text.data + at, (int)n) == 1;
    }
    if (sent) sent = PQputCopyEnd(conn, NULL) == 1;
    int rc = 0;
    /* The COPY's result, then NULL; read them all so the connection is idle again. */
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = sql_error(conn, res, &spec->c, sink->who, "COPY", err);
        PQclear(res);
        if (PQstatus(conn) == CONNECTION_BAD) break;
    }
    if (rc == 0 && !sent) rc = sql_error(conn, NULL, &spec->c, sink->who, "COPY", err);
    return rc;
}

/* Compares the keys of buffered rows a and b: the text of each key column. */
static int key_cmp(const jdbc_sink *sink, int a, int b)
{
    int ncols = sink->spec->c.schema->ncols;
    for (int k = 0; k < sink->spec->npk; k++) {
        int col = sink->spec->pk[k];
        int64_t oa = sink->offs.v[(int64_t)a * ncols + col];
        int64_t ob = sink->offs.v[(int64_t)b * ncols + col];
        if (oa < 0 || ob < 0) {
            if (oa != ob) return oa < ob ? -1 : 1;
            continue;
        }
        int c = strcmp(sink->text.data + oa, sink->text.data + ob);
        if (c) return c;
    }
    return 0;
}

/* qsort_r order of buffered rows: by key, then as they came. */
static int by_key(const void *pa, const void *pb, void *arg)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    int c = key_cmp(arg, a, b);
    return c ? c : (a > b) - (a < b);
}

/* Runs one statement over rows[0..n) with their values (upsert: every column, delete: the key). */
static int exec_rows(jdbc_sink *sink, const int *rows, int n, bool del, wr_error *err)
{
    const jdbc_sink_spec *spec = sink->spec;
    int ncols = spec->c.schema->ncols, per = del ? spec->npk : ncols;
    wr_buf *sql = &sink->sql;
    wr_buf_reset(sql);
    wr_buf_puts(sql, del ? spec->delete_sql : spec->insert_sql);
    const char **values = wr_malloc((size_t)n * (size_t)per * sizeof(char *));
    int p = 0;
    for (int i = 0; i < n; i++) {
        wr_buf_puts(sql, i ? ", " : "");
        if (!del || spec->npk > 1) wr_buf_putc(sql, '(');
        for (int k = 0; k < per; k++) {
            int col = del ? spec->pk[k] : k;
            int64_t off = sink->offs.v[(int64_t)rows[i] * ncols + col];
            values[p++] = off < 0 ? NULL : sink->text.data + off;
            wr_buf_printf(sql, "%s$%d", k ? ", " : "", p);
        }
        if (!del || spec->npk > 1) wr_buf_putc(sql, ')');
    }
    wr_buf_puts(sql, del ? ")" : spec->conflict_sql);
    PGresult *res = PQexecParams(sink->conn, sql->data, p, NULL, values, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK
                 ? 0
                 : sql_error(sink->conn, res, &spec->c, sink->who, del ? "DELETE" : "INSERT", err);
    PQclear(res);
    wr_free(values);
    return rc;
}

/*
 * Folds the buffered changes to the last one per key (-U rows were never
 * buffered), then sends the survivors in their order: each run of upserts or
 * of deletes as few statements as PostgreSQL's parameter limit allows.
 */
static int upsert_rows(jdbc_sink *sink, wr_error *err)
{
    const jdbc_sink_spec *spec = sink->spec;
    int n = (int)sink->nrows;
    int *order = wr_malloc((size_t)n * sizeof(int));
    bool *keep = wr_calloc((size_t)n, sizeof(bool));
    for (int i = 0; i < n; i++) order[i] = i;
    qsort_r(order, (size_t)n, sizeof(int), by_key, sink);
    for (int i = 0; i < n; i++)
        if (i + 1 == n || key_cmp(sink, order[i], order[i + 1]) != 0) keep[order[i]] = true;
    /* order is reused for the runs of kept rows, in buffer order */
    int rc = 0, run = 0;
    bool run_del = false;
    int max_upsert = JDBC_MAX_PARAMS / spec->c.schema->ncols, max_del = JDBC_MAX_PARAMS / spec->npk;
    for (int i = 0; i <= n && rc == 0; i++) {
        bool del = i < n && sink->kinds.v[i] == WR_KIND_DELETE;
        if (i < n && !keep[i]) continue;
        if (run && (i == n || del != run_del || run == (run_del ? max_del : max_upsert))) {
            rc = exec_rows(sink, order, run, run_del, err);
            run = 0;
        }
        if (i == n) break;
        order[run++] = i;
        run_del = del;
    }
    wr_free(order);
    wr_free(keep);
    return rc;
}

/* Whether err (from sql_error, which ends the message with the SQLSTATE) is a lock_timeout. */
static bool lock_timed_out(const wr_error *err)
{
    return strstr(err->msg, "SQLSTATE 55P03") != NULL;
}

static void reset_buffer(jdbc_sink *sink)
{
    wr_buf_reset(&sink->text);
    sink->offs.n = 0;
    sink->kinds.n = 0;
    sink->nrows = 0;
}

/* Writes the buffer once: into the open transaction (exactly-once, begun when needed) or on its
 * own. */
static int write_buffer(jdbc_sink *sink, bool *blocked, wr_error *err)
{
    int rc = 0;
    *blocked = false;
    if (!sink->spec->exactly_once)
        return upsert_mode(sink) ? upsert_rows(sink, err) : copy_rows(sink, err);
    if (!sink->in_txn) {
        rc = exec_sql(sink->conn, "BEGIN", &sink->spec->c, sink->who, "BEGIN", err);
        if (rc) return rc;
        sink->in_txn = true;
    }
    /*
     * A row this flush changes may be locked by the sink's own prepared transaction of a
     * checkpoint that is not complete yet; waiting for it here would wait for ever (the
     * commit comes on this thread). The connection's lock_timeout ends the wait; the flush
     * is undone to its savepoint and its rows stay buffered for a later try.
     */
    rc = exec_sql(sink->conn, "SAVEPOINT weir_flush", &sink->spec->c, sink->who, "SAVEPOINT", err);
    if (rc == 0) rc = upsert_mode(sink) ? upsert_rows(sink, err) : copy_rows(sink, err);
    if (rc && lock_timed_out(err) && PQstatus(sink->conn) == CONNECTION_OK) {
        rc = exec_sql(sink->conn, "ROLLBACK TO SAVEPOINT weir_flush", &sink->spec->c, sink->who,
                      "ROLLBACK TO SAVEPOINT", err);
        *blocked = rc == 0;
    }
    return rc;
}

/*
 * Writes the buffered rows. at-least-once tries again on a new connection
 * after a broken connection or a transient error, up to sink.max-retries
 * times with a growing pause; exactly-once cannot (the transaction holding
 * the earlier rows is gone with the connection) and fails, as Flink's XA sink.
 */
static int flush(jdbc_sink *sink, wr_error *err)
{
    const jdbc_sink_spec *spec = sink->spec;
    sink->base.ctx->timer_at_ms = INT64_MAX;
    if (sink->nrows == 0) return 0;
    int64_t now = spec->exactly_once ? wr_clock_wall_ms() : 0;
    if (now < sink->blocked_until_ms) {
        sink->base.ctx->timer_at_ms = sink->blocked_until_ms;
        return 0;
    }
    for (int attempt = 0;; attempt++) {
        int rc = 0;
        bool blocked = false;
        if (sink->conn == NULL && (sink->conn = jdbc_connect(&spec->c, sink->who, err)) == NULL)
            rc = err->code;
        if (rc == 0) rc = write_buffer(sink, &blocked, err);
        if (blocked) {
            /* Try again after the pending checkpoint had a chance to complete. */
            sink->blocked_until_ms = now + JDBC_BLOCKED_RETRY_MS;
            sink->base.ctx->timer_at_ms = sink->blocked_until_ms;
            return 0;
        }
        if (rc == 0) break;
        if (spec->exactly_once || !err->retriable || attempt >= spec->max_retries) {
            note_retries(err, attempt);
            return rc;
        }
        PQfinish(sink->conn);
        sink->conn = NULL;
        if (!backoff(sink->base.ctx, backoff_ms(attempt)))
            return wr_error_set(err, WR_ERR_CANCELLED, "%s: cancelled", sink->who);
    }
    sink->txn_rows += sink->nrows;
    reset_buffer(sink);
    return 0;
}

/* Appends one row to the buffer. Returns 0, or -1 naming the column of a string with a NUL. */
static int buffer_row(jdbc_sink *sink, const wr_batch *batch, int row, wr_change_kind kind,
                      wr_error *err)
{
    const jdbc_sink_spec *spec = sink->spec;
    int ncols = spec->c.schema->ncols;
    bool upsert = upsert_mode(sink);
    if (upsert) WR_VEC_PUSH(&sink->kinds, (uint8_t)kind);
    for (int c = 0; c < ncols; c++) {
        const wr_vector *v = &batch->cols[c];
        bool null = wr_vector_is_null(v, row);
        if (upsert) {
            WR_VEC_PUSH(&sink->offs, null ? -1 : (int64_t)sink->text.len);
        } else if (c > 0) {
            wr_buf_putc(&sink->text, '\t');
        }
        if (null) {
            if (!upsert) wr_buf_puts(&sink->text, "\\N");
            continue;
        }
        if (put_value(v, row, !upsert, &sink->text))
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "%s, column '%s': a string with a NUL character cannot be "
                                "stored in PostgreSQL",
                                sink->who, spec->c.schema->names[c]);
        if (upsert) wr_buf_putc(&sink->text, '\0');
    }
    if (!upsert) wr_buf_putc(&sink->text, '\n');
    sink->nrows++;
    return 0;
}

/*
 * Buffers the rows; flushes when sink.buffer-flush.max-rows are buffered and
 * arms the interval's timer when the buffer gets its first row. -U rows are
 * dropped in upsert mode (the +U after them carries the change); append mode
 * takes inserts only.
 */
static int sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err)
{
    jdbc_sink *sink = (jdbc_sink *)op;
    const jdbc_sink_spec *spec = sink->spec;
    assert(batch->ncols == spec->c.schema->ncols);
    int rows = wr_batch_rows(batch);
    for (int i = 0; i < rows; i++) {
        int row = wr_batch_row(batch, i);
        wr_change_kind kind = wr_batch_kind(batch, row);
        if (!upsert_mode(sink) && kind != WR_KIND_INSERT)
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "%s accepts only inserts, got a %s row (the query produces "
                                "updates or deletes: declare the table's PRIMARY KEY for an "
                                "upserting sink)",
                                sink->who, wr_change_kind_short(kind));
        if (kind == WR_KIND_UPDATE_BEFORE) continue;
        int rc = buffer_row(sink, batch, row, kind, err);
        if (rc == 0 && spec->max_rows > 0 && sink->nrows >= spec->max_rows) rc = flush(sink, err);
        if (rc) return rc;
    }
    if (sink->nrows > 0 && spec->interval_ms > 0 && op->ctx->timer_at_ms == INT64_MAX)
        op->ctx->timer_at_ms = wr_clock_wall_ms() + spec->interval_ms;
    return 0;
}

static int sink_on_time(wr_operator *op, int64_t now_ms, wr_error *err)
{
    return flush((jdbc_sink *)op, err);
}

/*
 * Barrier k: the buffer is written; exactly-once prepares the transaction
 * holding the rows since the last barrier (none: nothing to prepare). The
 * sink keeps no operator state: the ids of its transactions say what they are.
 */
static int sink_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    jdbc_sink *sink = (jdbc_sink *)op;
    sink->blocked_until_ms = 0;
    int rc = flush(sink, err);
    if (rc) return rc;
    /* Rows a lock held back belong to this checkpoint's state, to be written later. */
    if (sink->nrows > 0) save_buffer(sink, wr_snapshot_add(out, -1));
    if (!sink->spec->exactly_once || !sink->in_txn || sink->txn_rows == 0) return 0;
    wr_buf *sql = &sink->sql;
    wr_buf_reset(sql);
    wr_buf_puts(sql, "PREPARE TRANSACTION ");
    wr_buf gid;
    wr_buf_init(&gid);
    put_gid(&gid, sink, checkpoint);
    put_literal(sql, gid.data);
    wr_buf_fini(&gid);
    rc = exec_sql(sink->conn, sql->data, &sink->spec->c, sink->who, "PREPARE TRANSACTION", err);
    if (rc) return rc;
    sink->in_txn = false;
    sink->txn_rows = 0;
    WR_VEC_PUSH(&sink->prepared, checkpoint);
    return 0;
}

/* Commits the prepared transactions of checkpoints up to upto (all when upto < 0). */
static int commit_prepared(jdbc_sink *sink, int64_t upto, wr_error *err)
{
    int kept = 0, rc = 0;
    for (int i = 0; i < sink->prepared.n; i++) {
        int64_t k = sink->prepared.v[i];
        if (rc == 0 && (upto < 0 || k <= upto)) {
            wr_buf gid;
            wr_buf_init(&gid);
            put_gid(&gid, sink, k);
            rc = finish_prepared(sink, gid.data, true, err);
            wr_buf_fini(&gid);
            if (rc == 0) continue;
        }
        sink->prepared.v[kept++] = k;
    }
    sink->prepared.n = kept;
    return rc;
}

static int sink_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err)
{
    jdbc_sink *sink = (jdbc_sink *)op;
    return sink->spec->exactly_once ? commit_prepared(sink, checkpoint, err) : 0;
}

/*
 * End of input: the buffer is written; exactly-once commits the prepared
 * transactions and the open one (without checkpointing, the only one).
 */
static int sink_end_input(wr_operator *op, int input, wr_error *err)
{
    jdbc_sink *sink = (jdbc_sink *)op;
    sink->blocked_until_ms = 0;
    int rc = flush(sink, err);
    if (rc || !sink->spec->exactly_once) return rc;
    rc = commit_prepared(sink, -1, err);
    if (rc == 0 && sink->nrows > 0) {
        /* Held back by a lock of a prepared transaction, committed now. */
        sink->blocked_until_ms = 0;
        rc = flush(sink, err);
        if (rc == 0 && sink->nrows > 0)
            rc = wr_error_set(err, WR_ERR_RUNTIME,
                              "%s: rows stay locked by another transaction at the end of input",
                              sink->who);
    }
    if (rc == 0 && sink->in_txn) {
        rc = exec_sql(sink->conn, "COMMIT", &sink->spec->c, sink->who, "COMMIT", err);
        if (rc == 0) sink->in_txn = false;
    }
    return rc;
}

static int jdbc_make_sink(const wr_schema *schema, const wr_config *options, const wr_config *job,
                          wr_operator_spec *out, wr_error *err)
{
    jdbc_options o;
    int rc = read_options(schema, options, job, &o, err);
    if (rc) {
        wr_config_fini(&o.conninfo);
        return rc;
    }
    jdbc_sink_spec *spec = wr_calloc(1, sizeof(*spec));
    common_init(&spec->c, schema, &o);
    const jdbc_common *c = &spec->c;
    spec->npk = schema->nprimary_key;
    spec->pk = wr_malloc((size_t)WR_MAX(spec->npk, 1) * sizeof(int));
    if (spec->npk) memcpy(spec->pk, schema->primary_key, (size_t)spec->npk * sizeof(int));
    spec->max_rows = o.max_rows;
    spec->interval_ms = o.interval_ms;
    spec->max_retries = (int)WR_MIN(o.max_retries, 1000);
    spec->exactly_once = o.guarantee == GUARANTEE_EXACTLY_ONCE;
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "%s:%s:%s", o.txn_prefix, wr_config_get(job, "pipeline.name", ""), c->table);
    spec->gid_prefix = wr_buf_detach(&b);
    wr_buf_puts(&b, "SELECT ");
    put_col_list(&b, c, NULL, schema->ncols);
    wr_buf_printf(&b, " FROM %s LIMIT 0", c->table);
    spec->check_sql = wr_buf_detach(&b);
    wr_buf_printf(&b, "COPY %s (", c->table);
    put_col_list(&b, c, NULL, schema->ncols);
    wr_buf_puts(&b, ") FROM STDIN");
    spec->copy_sql = wr_buf_detach(&b);
    wr_buf_printf(&b, "INSERT INTO %s (", c->table);
    put_col_list(&b, c, NULL, schema->ncols);
    wr_buf_puts(&b, ") VALUES ");
    spec->insert_sql = wr_buf_detach(&b);
    wr_buf_puts(&b, " ON CONFLICT (");
    put_col_list(&b, c, spec->pk, spec->npk);
    wr_buf_puts(&b, ") DO ");
    int set = 0;
    for (int i = 0; i < schema->ncols; i++) {
        bool key = false;
        for (int k = 0; k < spec->npk; k++) key |= spec->pk[k] == i;
        if (key) continue;
        wr_buf_printf(&b, "%s%s = EXCLUDED.%s", set++ ? ", " : "UPDATE SET ", c->cols[i],
                      c->cols[i]);
    }
    if (set == 0) wr_buf_puts(&b, "NOTHING");
    spec->conflict_sql = wr_buf_detach(&b);
    wr_buf_printf(&b, "DELETE FROM %s WHERE ", c->table);
    if (spec->npk > 1) wr_buf_putc(&b, '(');
    put_col_list(&b, c, spec->pk, spec->npk);
    wr_buf_puts(&b, spec->npk > 1 ? ") IN (" : " IN (");
    spec->delete_sql = wr_buf_detach(&b);
    wr_config_fini(&o.conninfo);
    *out = (wr_operator_spec){
        .ops = &sink_ops, .spec = spec, .spec_free = sink_spec_free, .parallelism = o.parallelism};
    return 0;
}

/* ---- the lookup source ---------------------------------------------------------------- */

/*
 * Lookup joins: SELECT <every column> FROM <table> WHERE k1 = $1 AND ... as
 * a prepared statement per operator instance, the keys as text parameters.
 * With a cache, the rows of a key (none, when 'cache-missing-key') are kept
 * as row-codec bytes until they expire ('expire-after-write' / 'ttl') or the
 * cache holds max-rows keys, when the oldest key goes first. A failed lookup
 * is retried on a new connection up to 'lookup.max-retries' times when the
 * failure is a lost connection or a transient error.
 */
typedef struct jdbc_lookup_conf {
    jdbc_common c;
    int *keys;
    int nkeys;
    char *sql;
    int64_t cache_rows, ttl_ms, retries;
    bool cache_missing;
} jdbc_lookup_conf;

typedef struct jl_entry {
    struct jl_entry *chain;         /* next in the bucket */
    struct jl_entry *older, *newer; /* insertion order */
    uint64_t hash;
    int64_t at_ms;
    uint32_t klen;
    uint32_t rlen; /* rows bytes after the key */
    int nrows;
    uint8_t bytes[]; /* key then rows */
} jl_entry;

struct wr_lookup {
    const jdbc_lookup_conf *conf;
    PGconn *conn;
    char *who;
    wr_batch *batch; /* one result's rows, decoded */
    int *all;
    wr_buf params, key;
    /* the cache */
    jl_entry **buckets;
    uint64_t mask;
    jl_entry *oldest, *newest;
    int64_t nentries;
};

static void lookup_conf_free(void *p)
{
    jdbc_lookup_conf *conf = p;
    common_fini(&conf->c);
    wr_free(conf->keys);
    wr_free(conf->sql);
    wr_free(conf);
}

static void cache_unlink(wr_lookup *l, jl_entry *e)
{
    jl_entry **pp = &l->buckets[e->hash & l->mask];
    while (*pp != e) pp = &(*pp)->chain;
    *pp = e->chain;
    if (e->older) e->older->newer = e->newer;
    if (e->newer) e->newer->older = e->older;
    if (l->oldest == e) l->oldest = e->newer;
    if (l->newest == e) l->newest = e->older;
    l->nentries--;
    wr_free(e);
}

static void jl_close(wr_lookup *l)
{
    while (l->oldest) cache_unlink(l, l->oldest);
    wr_free(l->buckets);
    PQfinish(l->conn);
    wr_batch_free(l->batch);
    wr_free(l->all);
    wr_free(l->who);
    wr_buf_fini(&l->params);
    wr_buf_fini(&l->key);
    wr_free(l);
}

static int jl_connect(wr_lookup *l, wr_error *err)
{
    const jdbc_lookup_conf *conf = l->conf;
    PQfinish(l->conn);
    l->conn = jdbc_connect(&conf->c, l->who, err);
    if (l->conn == NULL) return err->code;
    PGresult *res = PQprepare(l->conn, "weir_lookup", conf->sql, conf->nkeys, NULL);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK
                 ? 0
                 : sql_error(l->conn, res, &conf->c, l->who, "preparing the lookup", err);
    PQclear(res);
    return rc;
}

static int jl_open(const void *p, wr_lookup **out, wr_error *err)
{
    const jdbc_lookup_conf *conf = p;
    wr_lookup *l = wr_calloc(1, sizeof(*l));
    l->conf = conf;
    l->who = who_of("lookup", &conf->c);
    const wr_schema *s = conf->c.schema;
    l->batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    l->all = wr_malloc(sizeof(int) * (size_t)WR_MAX(s->ncols, 1));
    for (int i = 0; i < s->ncols; i++) l->all[i] = i;
    wr_buf_init(&l->params);
    wr_buf_init(&l->key);
    if (conf->cache_rows > 0) {
        uint64_t nb = 16;
        while (nb < (uint64_t)conf->cache_rows && nb < (1u << 24)) nb <<= 1;
        l->buckets = wr_calloc(nb, sizeof(jl_entry *));
        l->mask = nb - 1;
    }
    *out = l;
    int rc = jl_connect(l, err);
    if (rc) {
        jl_close(l);
        *out = NULL;
    }
    return rc;
}

/* Runs the lookup for the parameters in l->params and appends the rows to rows. */
static int jl_query(wr_lookup *l, const char *const *values, wr_buf *rows, int *nrows,
                    wr_error *err)
{
    const jdbc_lookup_conf *conf = l->conf;
    PGresult *res = NULL;
    for (int attempt = 0;; attempt++) {
        int rc = l->conn ? 0 : jl_connect(l, err);
        if (rc == 0) {
            res = PQexecPrepared(l->conn, "weir_lookup", conf->nkeys, values, NULL, NULL, 0);
            if (PQresultStatus(res) == PGRES_TUPLES_OK) break;
            rc = sql_error(l->conn, res, &conf->c, l->who, "SELECT", err);
            PQclear(res);
            res = NULL;
        }
        if (!err->retriable || attempt >= conf->retries) return rc;
        PQfinish(l->conn);
        l->conn = NULL;
        wr_clock_sleep_ns(backoff_ms(attempt) * 1000000LL);
    }
    int n = PQntuples(res), ncols = conf->c.schema->ncols;
    if (PQnfields(res) != ncols) {
        PQclear(res);
        return wr_error_set(err, WR_ERR_RUNTIME, "%s: the table has %d columns, not %d", l->who,
                            PQnfields(res), ncols);
    }
    for (int r = 0; r < n; r++) {
        wr_batch_reset(l->batch);
        for (int c = 0; c < ncols; c++) {
            if (PQgetisnull(res, r, c)) {
                wr_batch_set_null(l->batch, c, 0);
                continue;
            }
            char why[256];
            if (take_value(l->batch, c, 0, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c),
                           why, sizeof(why))) {
                PQclear(res);
                return wr_error_set(err, WR_ERR_RUNTIME, "%s: column '%s': %s", l->who,
                                    conf->c.schema->names[c], why);
            }
        }
        l->batch->count = 1;
        size_t at = rows->len;
        uint32_t len = 0;
        wr_buf_append(rows, &len, sizeof(len));
        wr_row_encode(l->batch, 0, l->all, ncols, rows);
        len = (uint32_t)(rows->len - at - sizeof(len));
        memcpy(rows->data + at, &len, sizeof(len));
    }
    PQclear(res);
    *nrows = n;
    return 0;
}

static int jl_lookup(wr_lookup *l, const wr_batch *keys, const int *cols, int row, wr_buf *rows,
                     wr_error *err)
{
    const jdbc_lookup_conf *conf = l->conf;
    int64_t now = conf->cache_rows ? wr_clock_wall_ms() : 0;
    uint64_t h = 0;
    if (conf->cache_rows) {
        wr_buf_reset(&l->key);
        wr_row_encode(keys, row, cols, conf->nkeys, &l->key);
        h = wr_hash_bytes(l->key.data, l->key.len);
        for (jl_entry *e = l->buckets[h & l->mask]; e; e = e->chain) {
            if (e->hash != h || e->klen != l->key.len || memcmp(e->bytes, l->key.data, e->klen))
                continue;
            if (now - e->at_ms >= conf->ttl_ms && conf->ttl_ms > 0) {
                cache_unlink(l, e);
                break;
            }
            wr_buf_append(rows, e->bytes + e->klen, e->rlen);
            return e->nrows;
        }
    }
    /* The parameters: each key value as text, NUL-terminated (a key is never NULL here). */
    wr_buf_reset(&l->params);
    size_t offs[64];
    int nk = WR_MIN(conf->nkeys, 64);
    for (int k = 0; k < nk; k++) {
        offs[k] = l->params.len;
        if (put_value(&keys->cols[cols[k]], row, false, &l->params) < 0)
            return 0; /* a string with a NUL matches no PostgreSQL text */
        wr_buf_putc(&l->params, '\0');
    }
    const char *values[64];
    for (int k = 0; k < nk; k++) values[k] = l->params.data + offs[k];
    size_t start = rows->len;
    int n = 0;
    int rc = jl_query(l, values, rows, &n, err);
    if (rc) return rc;
    if (conf->cache_rows && (n > 0 || conf->cache_missing)) {
        size_t rlen = rows->len - start;
        jl_entry *e = wr_malloc(sizeof(jl_entry) + l->key.len + rlen);
        e->hash = h;
        e->at_ms = now;
        e->klen = (uint32_t)l->key.len;
        e->rlen = (uint32_t)rlen;
        e->nrows = n;
        memcpy(e->bytes, l->key.data, l->key.len);
        if (rlen) memcpy(e->bytes + l->key.len, rows->data + start, rlen);
        e->chain = l->buckets[h & l->mask];
        l->buckets[h & l->mask] = e;
        e->older = l->newest;
        e->newer = NULL;
        if (l->newest) l->newest->newer = e;
        l->newest = e;
        if (!l->oldest) l->oldest = e;
        if (++l->nentries > conf->cache_rows) cache_unlink(l, l->oldest);
    }
    return n;
}

static int jdbc_make_lookup(const wr_schema *schema, const wr_config *options, const wr_config *job,
                            const int *keys, int nkeys, wr_lookup_spec *out, wr_error *err)
{
    jdbc_options o;
    int rc = read_options(schema, options, job, &o, err);
    if (rc == 0 && nkeys > 64)
        rc = wr_error_set(err, WR_ERR_VALIDATION, "a lookup join on more than 64 key columns");
    if (rc) {
        wr_config_fini(&o.conninfo);
        return rc;
    }
    jdbc_lookup_conf *conf = wr_calloc(1, sizeof(*conf));
    common_init(&conf->c, schema, &o);
    conf->keys = wr_malloc(sizeof(int) * (size_t)WR_MAX(nkeys, 1));
    memcpy(conf->keys, keys, sizeof(int) * (size_t)nkeys);
    conf->nkeys = nkeys;
    conf->cache_rows = o.cache_rows;
    conf->ttl_ms = o.cache_ttl_ms;
    conf->cache_missing = o.cache_missing;
    conf->retries = o.lookup_retries;
    wr_buf sql;
    wr_buf_init(&sql);
    wr_buf_puts(&sql, "SELECT ");
    put_col_list(&sql, &conf->c, NULL, schema->ncols);
    wr_buf_printf(&sql, " FROM %s WHERE ", conf->c.table);
    for (int k = 0; k < nkeys; k++)
        wr_buf_printf(&sql, "%s%s = $%d", k ? " AND " : "", conf->c.cols[keys[k]], k + 1);
    conf->sql = wr_buf_detach(&sql);
    wr_config_fini(&o.conninfo);
    *out = (wr_lookup_spec){jl_open, jl_lookup, jl_close, conf, lookup_conf_free};
    return 0;
}

const wr_connector wr_connector_jdbc = {
    .name = "jdbc",
    .sink_changes = WR_SINK_UPSERT,
    .make_source = jdbc_make_source,
    .accepts_filter = NULL,
    .make_sink = jdbc_make_sink,
    .make_lookup = jdbc_make_lookup,
};

/* The same connector under the name of the one database it speaks to. */
const wr_connector wr_connector_postgres = {
    .name = "postgres",
    .sink_changes = WR_SINK_UPSERT,
    .make_source = jdbc_make_source,
    .accepts_filter = NULL,
    .make_sink = jdbc_make_sink,
    .make_lookup = jdbc_make_lookup,
};
