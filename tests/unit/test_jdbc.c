/*
 * test_jdbc.c — the jdbc connector against a real PostgreSQL server.
 *
 * Each test that needs a server starts its own (tests/tools/pgtest.sh: initdb
 * and pg_ctl in a temporary directory, about a second), so tests run in
 * parallel and one may kill its server. A report hook of the runner stops
 * whatever a crashed test left running. Without the server binaries the tests
 * that need one are skipped with a notice. The operators are driven by hand as
 * the runtime drives them (timers, snapshots, checkpoint notifications,
 * restores); rows are checked with libpq directly.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "harness.h"

#include "../../include/weir.h"
#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/connectors/jdbc.h"
#include "../../src/types/decimal.h"
#include "../../src/types/row_codec.h"
#include "../../src/connectors/connector.h"

#include <dirent.h>
#include <sys/stat.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the server ----------------------------------------------------------------- */

#define ROOT_ENV "WEIR_TEST_PG_ROOT"

static char script[PATH_MAX + 32]; /* pgtest.sh */
static char srv_dir[PATH_MAX];
static int srv_port;
static char url[128];     /* jdbc:postgresql://127.0.0.1:<port>/postgres */
static char url_opt[160]; /* url=<url> */
static PGconn *admin;     /* the test's own connection, for setup and checks */

/* tests/tools/pgtest.sh of the checkout this binary was built in (build/asan/tests/<name>). */
static void find_script(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(exe, '/');
            if (slash) *slash = '\0';
        }
        snprintf(script, sizeof(script), "%s/tests/tools/pgtest.sh", exe);
        if (access(script, R_OK) == 0) return;
    }
    snprintf(script, sizeof(script), "tests/tools/pgtest.sh");
}

/* Runs pgtest.sh cmd dir; returns its exit status and the first line it printed in out. */
static int pgtest(const char *cmd, const char *dir, char *out, size_t size)
{
    char line[PATH_MAX * 2 + 64];
    snprintf(line, sizeof(line), "bash '%s' %s '%s'", script, cmd, dir);
    FILE *p = popen(line, "r");
    cr_assert_not_null(p);
    char buf[256] = "";
    if (fgets(buf, sizeof(buf), p) == NULL) buf[0] = '\0';
    while (fgetc(p) != EOF) continue;
    int status = pclose(p);
    if (out) snprintf(out, size, "%s", buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static void rm_rf(const char *dir)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "test_jdbc: cannot remove %s\n", dir);
}

/* The runner's own process: a directory for every test's server, cleaned at the end. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    char root[] = "/tmp/weir_pg_XXXXXX";
    /* searchable by others: as root the servers run as the postgres user */
    if (mkdtemp(root) && chmod(root, 0711) == 0) setenv(ROOT_ENV, root, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    const char *root = getenv(ROOT_ENV);
    if (root == NULL) return;
    find_script();
    DIR *d = opendir(root);
    for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.') continue;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
        pgtest("stop", dir, NULL, 0); /* a crashed test's server */
    }
    if (d) closedir(d);
    rm_rf(root);
}

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static void admin_connect(void)
{
    char conninfo[256];
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d user=weir dbname=postgres options='-c TimeZone=UTC'",
             srv_port);
    admin = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(admin), CONNECTION_OK, "%s", PQerrorMessage(admin));
    PQsetNoticeProcessor(admin, quiet, NULL);
}

static void pg_up(void)
{
    find_script();
    const char *root = getenv(ROOT_ENV);
    snprintf(srv_dir, sizeof(srv_dir), "%s/srv_XXXXXX", root ? root : "/tmp");
    cr_assert_not_null(mkdtemp(srv_dir));
    char port[64];
    int rc = pgtest("start", srv_dir, port, sizeof(port));
    if (rc == 77) {
        rm_rf(srv_dir);
        srv_dir[0] = '\0';
        cr_skip_test("PostgreSQL server binaries (initdb, pg_ctl) are missing: install the "
                     "'postgresql' package to run the jdbc connector's tests");
    }
    cr_assert_eq(rc, 0, "pgtest.sh start failed (%d); see %s/server.log", rc, srv_dir);
    srv_port = atoi(port);
    cr_assert_gt(srv_port, 0);
    snprintf(url, sizeof(url), "jdbc:postgresql://127.0.0.1:%d/postgres", srv_port);
    snprintf(url_opt, sizeof(url_opt), "url=%s", url);
    admin_connect();
}

static void pg_down(void)
{
    PQfinish(admin);
    admin = NULL;
    if (srv_dir[0] == '\0') return;
    pgtest("stop", srv_dir, NULL, 0);
    rm_rf(srv_dir);
}

/* Stops the server at once, as a crash would, and starts it again. */
static void server_stop(void)
{
    cr_assert_eq(pgtest("stop", srv_dir, NULL, 0), 0);
}

static void server_restart(void)
{
    cr_assert_eq(pgtest("restart", srv_dir, NULL, 0), 0, "see %s/server.log", srv_dir);
    PQfinish(admin);
    admin_connect();
}

/* ---- checking with libpq -------------------------------------------------------------- */

static void q(const char *sql)
{
    PGresult *res = PQexec(admin, sql);
    ExecStatusType st = PQresultStatus(res);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(res));
    PQclear(res);
}

/* The rows of a query as text: fields separated by '|', rows by ';', NULL as 'null'. */
static char *q_text(const char *sql)
{
    PGresult *res = PQexec(admin, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(res));
    wr_buf b;
    wr_buf_init(&b);
    for (int r = 0; r < PQntuples(res); r++) {
        for (int c = 0; c < PQnfields(res); c++) {
            if (c) wr_buf_putc(&b, '|');
            wr_buf_puts(&b, PQgetisnull(res, r, c) ? "null" : PQgetvalue(res, r, c));
        }
        wr_buf_putc(&b, ';');
    }
    PQclear(res);
    return wr_buf_detach(&b);
}

static void q_expect(const char *sql, const char *want)
{
    char *got = q_text(sql);
    cr_assert_str_eq(got, want, "%s", sql);
    wr_free(got);
}

static long long q_int(const char *sql)
{
    char *got = q_text(sql);
    long long v = atoll(got);
    wr_free(got);
    return v;
}

/* ---- driving the sink ---------------------------------------------------------------- */

typedef struct sink_run {
    wr_op_ctx ctx;
    wr_operator *op;
    const wr_operator_spec *spec;
    wr_restore restore;
} sink_run;

/* Plans a jdbc sink of schema with table-name=table and more options. */
static void plan_sink(wr_operator_spec *spec, const wr_schema *schema, const char *table,
                      const char *const *kv, int n)
{
    char tbl[128];
    snprintf(tbl, sizeof(tbl), "table-name=%s", table);
    const char *all[32] = {"connector=jdbc", url_opt, "username=weir", tbl};
    for (int i = 0; i < n; i++) all[4 + i] = kv[i];
    wr_error err;
    cr_assert_eq(plan_table_sink("jdbc", schema, all, n + 4, spec, &err), 0, "%s", err.msg);
}

/* Creates and opens subtask `subtask` of `par`; restored from checkpoint `restored` when >= 0. */
static int sink_try_start(sink_run *r, const wr_operator_spec *spec, int subtask, int par,
                          int64_t restored, wr_error *err)
{
    memset(r, 0, sizeof(*r));
    r->spec = spec;
    ctx_init(&r->ctx, subtask, par, NULL);
    if (restored >= 0) {
        r->restore = (wr_restore){.checkpoint = restored};
        r->ctx.restore = &r->restore;
    }
    wr_error_init(err);
    r->op = spec->ops->create(spec->spec, &r->ctx, err);
    cr_assert_not_null(r->op, "%s", err->msg);
    int rc = spec->ops->open(r->op, err);
    r->ctx.restore = NULL;
    return rc;
}

static void sink_start(sink_run *r, const wr_operator_spec *spec, int subtask, int par,
                       int64_t restored)
{
    wr_error err;
    cr_assert_eq(sink_try_start(r, spec, subtask, par, restored, &err), 0, "%s", err.msg);
}

static void sink_stop(sink_run *r)
{
    r->spec->ops->destroy(r->op);
}

static int sink_push(sink_run *r, wr_batch *batch, wr_error *err)
{
    wr_error_init(err);
    return r->spec->ops->process(r->op, 0, batch, err);
}

static void sink_push_ok(sink_run *r, wr_batch *batch)
{
    wr_error err;
    cr_assert_eq(sink_push(r, batch, &err), 0, "%s", err.msg);
}

static void sink_call(sink_run *r, const char *what, int64_t checkpoint)
{
    wr_error err;
    wr_error_init(&err);
    int rc;
    if (strcmp(what, "snapshot") == 0) {
        wr_snapshot snap = {0};
        rc = r->spec->ops->snapshot(r->op, checkpoint, &snap, &err);
        cr_assert_eq(snap.nparts, 0, "the sink keeps no operator state");
        wr_snapshot_fini(&snap);
    } else if (strcmp(what, "done") == 0) {
        rc = r->spec->ops->checkpoint_done(r->op, checkpoint, &err);
    } else if (strcmp(what, "time") == 0) {
        rc = r->spec->ops->on_time(r->op, wr_clock_wall_ms(), &err);
    } else {
        rc = r->spec->ops->end_input(r->op, 0, &err);
    }
    cr_assert_eq(rc, 0, "%s: %s", what, err.msg);
}

/* (id BIGINT [NOT NULL], v STRING) */
static wr_schema *id_v_schema(bool keyed)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, !keyed), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,v", types);
    if (keyed) wr_schema_set_primary_key(schema, (int[]){0}, 1);
    return schema;
}

/* A batch of (id, v) rows from "kind id v" triples like "+I 1 a;-D 2 b"; v '~' is NULL. */
static wr_batch *id_v_batch(const char *rows)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    char kind[3], v[64];
    long long id;
    for (const char *p = rows; p && *p;) {
        cr_assert_eq(sscanf(p, "%2s %lld %63[^;]", kind, &id, v), 3, "%s", p);
        int row = batch->count++;
        static const char *const kinds[] = {"+I", "-U", "+U", "-D"};
        int k = 0;
        while (strcmp(kinds[k], kind) != 0) k++;
        wr_batch_kinds(batch)[row] = (uint8_t)k;
        ((int64_t *)batch->cols[0].data)[row] = id;
        if (strcmp(v, "~") == 0)
            wr_batch_set_null(batch, 1, row);
        else
            ((wr_str *)batch->cols[1].data)[row] = wr_batch_str(batch, v, strlen(v));
        p = strchr(p, ';');
        if (p) p++;
    }
    return batch;
}

/* Inserts ids from..to with v 'r<id>'. */
static void push_range(sink_run *r, int64_t from, int64_t to)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    for (int64_t id = from; id <= to; id++) {
        int row = batch->count++;
        ((int64_t *)batch->cols[0].data)[row] = id;
        char v[32];
        int n = snprintf(v, sizeof(v), "r%lld", (long long)id);
        ((wr_str *)batch->cols[1].data)[row] = wr_batch_str(batch, v, (size_t)n);
        if (batch->count == batch->capacity || id == to) {
            sink_push_ok(r, batch);
            wr_batch_reset(batch);
        }
    }
    wr_batch_free(batch);
}

/* ---- URLs and options (no server) ------------------------------------------------------ */

static void url_ok(const char *u, const char *want)
{
    wr_config cfg;
    wr_config_init(&cfg);
    char why[256] = "";
    cr_assert_eq(wr_jdbc_url_to_conninfo(u, &cfg, why, sizeof(why)), 0, "%s: %s", u, why);
    wr_buf b;
    wr_buf_init(&b);
    for (int i = 0; i < cfg.n; i++)
        wr_buf_printf(&b, "%s%s=%s", i ? " " : "", cfg.entries[i].key, cfg.entries[i].value);
    cr_assert_str_eq(b.data, want, "%s", u);
    wr_buf_fini(&b);
    wr_config_fini(&cfg);
}

static void url_bad(const char *u, const char *want)
{
    wr_config cfg;
    wr_config_init(&cfg);
    char why[256] = "";
    cr_assert_eq(wr_jdbc_url_to_conninfo(u, &cfg, why, sizeof(why)), -1, "%s", u);
    cr_assert(strstr(why, want) != NULL, "%s: %s (want %s)", u, why, want);
    wr_config_fini(&cfg);
}

Test(jdbc_url, translates_to_libpq_keywords)
{
    url_ok("jdbc:postgresql://db.example.com:6543/shop",
           "host=db.example.com port=6543 dbname=shop");
    url_ok("jdbc:postgresql://h/shop", "host=h port=5432 dbname=shop");
    url_ok("jdbc:postgresql://a:1,b/d", "host=a,b port=1,5432 dbname=d");
    url_ok("jdbc:postgresql://[::1]:5433/d", "host=::1 port=5433 dbname=d");
    url_ok("jdbc:postgresql:shop", "host=localhost port=5432 dbname=shop");
    url_ok("jdbc:postgresql:/", "host=localhost port=5432");
    url_ok("jdbc:postgresql://h:5/my%20db?user=bob&password=p%26w&sslmode=require"
           "&connectTimeout=3&ApplicationName=app&currentSchema=s1",
           "host=h port=5 dbname=my db user=bob password=p&w sslmode=require connect_timeout=3 "
           "application_name=app options=-c search_path=s1");
    url_bad("jdbc:mysql://h:3306/d", "speaks to PostgreSQL only");
    url_bad("jdbc:postgresql://h:99999/d", "invalid port '99999'");
    url_bad("jdbc:postgresql://h", "expected '/database'");
    url_bad("jdbc:postgresql://h/d?loglevel=2", "unsupported URL parameter 'loglevel'");
    url_bad("jdbc:postgresql://h/d?sslmode=maybe", "invalid sslmode 'maybe'");
    url_bad("jdbc:postgresql://h/d%zz", "invalid percent-encoding");
    char *r = wr_jdbc_url_redact("jdbc:postgresql://h/d?user=a&password=secret&sslmode=require");
    cr_assert_str_eq(r, "jdbc:postgresql://h/d?user=a&password=***&sslmode=require");
    wr_free(r);
}

/* Plans with the options after 'connector' and expects an error with `want` at byte pos. */
static void plan_fails(const wr_schema *schema, const char *const *kv, int n, bool sink,
                       const char *want, int pos)
{
    const char *all[32] = {"connector=jdbc"};
    for (int i = 0; i < n; i++) all[1 + i] = kv[i];
    wr_operator_spec spec;
    wr_error err;
    int rc = sink ? plan_table_sink("jdbc", schema, all, n + 1, &spec, &err)
                  : plan_source("jdbc", schema, all, n + 1, &spec, &err);
    cr_assert_eq(rc, WR_ERR_VALIDATION, "expected an error with '%s'", want);
    cr_assert(strstr(err.msg, want) != NULL, "message: %s\nwanted: %s", err.msg, want);
    if (pos >= 0) cr_assert_eq(err.offset, pos, "%s: offset %d, want %d", err.msg, err.offset, pos);
}

/* Option i after 'connector' sits at 100*(i+1), its value at 100*(i+1) + 50. */
#define KEY_AT(i) (100 * ((i) + 1))
#define VALUE_AT(i) (100 * ((i) + 1) + 50)
#define U "url=jdbc:postgresql://localhost:5432/db"

Test(jdbc_options, errors_name_the_option_where_it_was_written)
{
    wr_schema *s = id_v_schema(false);
    plan_fails(s, (const char *[]){"table-name=t"}, 1, false, "option 'url' is required", 50);
    plan_fails(s, (const char *[]){U}, 1, true, "option 'table-name' is required", 50);
    plan_fails(s, (const char *[]){"url=jdbc:mysql://h/d", "table-name=t"}, 2, false,
               "invalid value for option 'url': expected a PostgreSQL URL", VALUE_AT(0));
    plan_fails(s, (const char *[]){U, "table-name=t", "driver=com.mysql.Driver"}, 3, false,
               "invalid value 'com.mysql.Driver' for option 'driver'", VALUE_AT(2));
    plan_fails(s, (const char *[]){U, "table-name=t", "password=x"}, 3, true,
               "option 'password' needs 'username'", KEY_AT(2));
    plan_fails(s, (const char *[]){U, "table-name=t", "scan.partition.num=4"}, 3, false,
               "must be given together", KEY_AT(2));
    plan_fails(s,
               (const char *[]){U, "table-name=t", "scan.partition.column=v",
                                "scan.partition.num=2", "scan.partition.lower-bound=0",
                                "scan.partition.upper-bound=9"},
               6, false, "the partition column must have an integer type", VALUE_AT(2));
    plan_fails(s,
               (const char *[]){U, "table-name=t", "scan.partition.column=nope",
                                "scan.partition.num=2", "scan.partition.lower-bound=0",
                                "scan.partition.upper-bound=9"},
               6, false, "the table has no such column", VALUE_AT(2));
    plan_fails(s,
               (const char *[]){U, "table-name=t", "scan.partition.column=id",
                                "scan.partition.num=2", "scan.partition.lower-bound=10",
                                "scan.partition.upper-bound=9"},
               6, false, "must not be larger than", VALUE_AT(4));
    plan_fails(s, (const char *[]){U, "table-name=t", "scan.fetch-size=-1"}, 3, false,
               "invalid value '-1' for option 'scan.fetch-size'", VALUE_AT(2));
    plan_fails(s, (const char *[]){U, "table-name=t", "sink.buffer-flush.max-rows=x"}, 3, true,
               "sink.buffer-flush.max-rows", VALUE_AT(2));
    plan_fails(s, (const char *[]){U, "table-name=t", "sink.delivery-guarantee=none"}, 3, true,
               "invalid value 'none' for option 'sink.delivery-guarantee'", VALUE_AT(2));
    plan_fails(s, (const char *[]){U, "table-name=t", "sink.max-retries=-2"}, 3, true,
               "invalid value '-2' for option 'sink.max-retries'", VALUE_AT(2));
    plan_fails(s, (const char *[]){U, "table-name=t", "lookup.async=true"}, 3, false,
               "unsupported option 'lookup.async' for connector 'jdbc'", KEY_AT(2));
    wr_schema_free(s);
    wr_type types[] = {wr_type_make(WR_TYPE_INTERVAL_DT, true)};
    s = schema_of("d", types);
    plan_fails(s, (const char *[]){U, "table-name=t"}, 2, true,
               "column 'd' has type INTERVAL SECOND(3), which the jdbc connector cannot", 50);
    wr_schema_free(s);
}

Test(jdbc_options, both_names_plan_both_roles)
{
    wr_schema *s = id_v_schema(false);
    const char *kv[] = {"connector=postgres",
                        U,
                        "table-name=public.t",
                        "driver=org.postgresql.Driver",
                        "username=u",
                        "password=p",
                        "scan.fetch-size=10",
                        "sink.max-retries=0",
                        "sink.buffer-flush.interval=0",
                        "sink.parallelism=2"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("postgres", s, kv, 10, &spec, &err), 0, "%s", err.msg);
    cr_assert(spec.bounded);
    wr_operator_spec_fini(&spec);
    cr_assert_eq(plan_table_sink("postgres", s, kv, 10, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.parallelism, 2);
    wr_operator_spec_fini(&spec);
    cr_assert_not_null(wr_connector_find("jdbc"));
    cr_assert(strstr(wr_connector_names(), "jdbc") && strstr(wr_connector_names(), "postgres"));
    wr_schema_free(s);
}

/* ---- the sink: append mode ------------------------------------------------------------ */

Test(jdbc_sink, appends_every_type, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE every (b boolean, i1 smallint, i2 smallint, i4 integer, i8 bigint, "
      "f4 real, f8 double precision, dec numeric(12, 3), s text, c char(3), "
      "bin bytea, d date, t time(3), ts timestamp(6), tz timestamptz)");
    wr_type types[] = {
        wr_type_make(WR_TYPE_BOOLEAN, true),
        wr_type_make(WR_TYPE_TINYINT, true),
        wr_type_make(WR_TYPE_SMALLINT, true),
        wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_BIGINT, true),
        wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),
        wr_type_decimal(12, 3, true),
        wr_type_make(WR_TYPE_VARCHAR, true),
        (wr_type){WR_TYPE_CHAR, true, 3, 0},
        wr_type_make(WR_TYPE_VARBINARY, true),
        wr_type_make(WR_TYPE_DATE, true),
        wr_type_make(WR_TYPE_TIME, true),
        (wr_type){WR_TYPE_TIMESTAMP, true, 6, 0},
        (wr_type){WR_TYPE_TIMESTAMP_LTZ, true, 6, 0},
    };
    wr_schema *schema = schema_of("b,i1,i2,i4,i8,f4,f8,dec,s,c,bin,d,t,ts,tz", types);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "every", NULL, 0);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    wr_batch *batch = wr_batch_new(types, 15, WR_BATCH_CAPACITY);
    batch->count = 3;
    void *const *c = (void *const[]){
        batch->cols[0].data,  batch->cols[1].data,  batch->cols[2].data,  batch->cols[3].data,
        batch->cols[4].data,  batch->cols[5].data,  batch->cols[6].data,  batch->cols[7].data,
        batch->cols[8].data,  batch->cols[9].data,  batch->cols[10].data, batch->cols[11].data,
        batch->cols[12].data, batch->cols[13].data, batch->cols[14].data};
    /* row 0: ordinary values; row 1: edges and characters COPY must escape; row 2: NULLs */
    ((uint8_t *)c[0])[0] = 1, ((uint8_t *)c[0])[1] = 0;
    ((int8_t *)c[1])[0] = -128, ((int8_t *)c[1])[1] = 127;
    ((int16_t *)c[2])[0] = -32768, ((int16_t *)c[2])[1] = 12;
    ((int32_t *)c[3])[0] = 2147483647, ((int32_t *)c[3])[1] = -1;
    ((int64_t *)c[4])[0] = INT64_MIN, ((int64_t *)c[4])[1] = 42;
    ((float *)c[5])[0] = 0.1f, ((float *)c[5])[1] = -INFINITY;
    ((double *)c[6])[0] = 1e300, ((double *)c[6])[1] = NAN;
    ((wr_int128 *)c[7])[0] = -1234567, ((wr_int128 *)c[7])[1] = 5;
    const char *s0 = "tab\there, new\nline, back\\slash, 'quote', \"dq\", ümlaut";
    ((wr_str *)c[8])[0] = wr_batch_str(batch, s0, strlen(s0));
    ((wr_str *)c[8])[1] = wr_batch_str(batch, "", 0);
    ((wr_str *)c[9])[0] = wr_batch_str(batch, "abc", 3);
    ((wr_str *)c[9])[1] = wr_batch_str(batch, "\\N", 2);
    ((wr_str *)c[10])[0] = wr_batch_str(batch, "\x00\x0a\xff\\", 4);
    ((wr_str *)c[10])[1] = wr_batch_str(batch, "", 0);
    ((int32_t *)c[11])[0] = 19723, ((int32_t *)c[11])[1] = -1;   /* 2024-01-01, 1969-12-31 */
    ((int32_t *)c[12])[0] = 45296789, ((int32_t *)c[12])[1] = 0; /* 12:34:56.789 */
    ((int64_t *)c[13])[0] = 1704103496123456LL, ((int64_t *)c[13])[1] = -1;
    ((int64_t *)c[14])[0] = 1704103496000001LL, ((int64_t *)c[14])[1] = 0;
    for (int col = 0; col < 15; col++) wr_batch_set_null(batch, col, 2);
    sink_push_ok(&r, batch);
    cr_assert_eq(q_int("SELECT count(*) FROM every"), 0, "100 rows buffer before a flush");
    sink_call(&r, "end", 0);
    q_expect("SELECT b, i1, i2, i4, i8, f4, f8, dec, s, c, encode(bin, 'hex'), d, t, ts, tz "
             "FROM every ORDER BY i4 DESC NULLS LAST",
             "t|-128|-32768|2147483647|-9223372036854775808|0.1|1e+300|-1234.567|tab\there, "
             "new\nline, back\\slash, 'quote', \"dq\", ümlaut|abc|000aff5c|2024-01-01|12:34:56.789|"
             "2024-01-01 10:04:56.123456|2024-01-01 10:04:56.000001+00;"
             "f|127|12|-1|42|-Infinity|NaN|0.005||\\N ||1969-12-31|00:00:00|"
             "1969-12-31 23:59:59.999999|1970-01-01 00:00:00+00;"
             "null|null|null|null|null|null|null|null|null|null|null|null|null|null|null;");
    wr_batch_free(batch);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_sink, flushes_by_rows, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE t (id bigint, v text)");
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "t",
              (const char *[]){"sink.buffer-flush.max-rows=3", "sink.buffer-flush.interval=0"}, 2);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    push_range(&r, 1, 2);
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 0);
    cr_assert_eq(r.ctx.timer_at_ms, INT64_MAX, "no interval: no timer");
    push_range(&r, 3, 7);
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 6, "two flushes of 3 rows");
    sink_call(&r, "snapshot", 1); /* a barrier flushes the rest */
    q_expect("SELECT count(*), sum(id), min(v), max(v) FROM t", "7|28|r1|r7;");
    /* a row that is not an insert has no place in a table without a primary key */
    wr_batch *batch = id_v_batch("+I 8 x;-D 8 x");
    wr_error err;
    cr_assert_eq(sink_push(&r, batch, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "jdbc sink: table 't' accepts only inserts, got a -D row"), "%s",
              err.msg);
    wr_batch_free(batch);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_sink, flushes_by_interval, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE t (id bigint, v text)");
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "t",
              (const char *[]){"sink.buffer-flush.max-rows=0", "sink.buffer-flush.interval=200ms"},
              2);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    int64_t before = wr_clock_wall_ms();
    push_range(&r, 1, 2000); /* max-rows 0: no flush by count */
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 0);
    int64_t at = r.ctx.timer_at_ms;
    cr_assert(at >= before + 200 && at <= wr_clock_wall_ms() + 200, "timer at %lld", (long long)at);
    push_range(&r, 2001, 2001);
    cr_assert_eq(r.ctx.timer_at_ms, at, "the timer runs from the first buffered row");
    /* the runtime clears the deadline before calling on_time */
    r.ctx.timer_at_ms = INT64_MAX;
    sink_call(&r, "time", 0);
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 2001);
    cr_assert_eq(r.ctx.timer_at_ms, INT64_MAX, "an empty buffer wants no timer");
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- the sink: upsert mode --------------------------------------------------------------- */

Test(jdbc_sink, upserts_by_primary_key, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE u (id bigint PRIMARY KEY, v text)");
    q("INSERT INTO u VALUES (9, 'old'), (10, 'gone')");
    wr_schema *schema = id_v_schema(true);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "u", (const char *[]){"sink.buffer-flush.max-rows=0"}, 1);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    /* One flush: the last change per key wins, -U rows are ignored. */
    wr_batch *batch = id_v_batch("+I 1 a;+I 2 b;-U 1 a;+U 1 c;-D 2 b;+I 3 x;-D 3 x;+I 3 y;"
                                 "+U 9 new;-D 10 gone;+I 4 ~;-D 5 never");
    sink_push_ok(&r, batch);
    wr_batch_free(batch);
    sink_call(&r, "snapshot", 1);
    q_expect("SELECT id, v FROM u ORDER BY id", "1|c;3|y;4|null;9|new;");
    /* Across flushes too. */
    batch = id_v_batch("-U 1 c;+U 1 d;-D 3 y");
    sink_push_ok(&r, batch);
    wr_batch_free(batch);
    sink_call(&r, "end", 0);
    q_expect("SELECT id, v FROM u ORDER BY id", "1|d;4|null;9|new;");
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_sink, upserts_by_a_composite_key_in_large_flushes, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE \"Pairs\" (a int, \"b c\" text, n bigint, PRIMARY KEY (a, \"b c\"))");
    wr_type types[] = {wr_type_make(WR_TYPE_INT, false), wr_type_make(WR_TYPE_VARCHAR, false),
                       wr_type_make(WR_TYPE_BIGINT, true)};
    wr_schema *schema = schema_of("A,b c,n", types); /* 'A' is folded to a; 'b c' is quoted */
    wr_schema_set_primary_key(schema, (int[]){0, 1}, 2);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "\"Pairs\"", (const char *[]){"sink.buffer-flush.max-rows=0"}, 1);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    wr_batch *batch = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    /* 30000 changes over 1000 keys (more parameters than one statement takes): each key gets
     * n = 0..29; keys with a % 3 == 0 are deleted at the end */
    for (int round = 0; round < 30; round++) {
        for (int a = 0; a < 1000; a++) {
            int row = batch->count++;
            ((int32_t *)batch->cols[0].data)[row] = a;
            ((wr_str *)batch->cols[1].data)[row] =
                wr_batch_str(batch, a % 2 ? "odd" : "even", a % 2 ? 3 : 4);
            ((int64_t *)batch->cols[2].data)[row] = round;
            wr_batch_kinds(batch)[row] = round == 29 && a % 3 == 0 ? WR_KIND_DELETE
                                         : round                   ? WR_KIND_UPDATE_AFTER
                                                                   : WR_KIND_INSERT;
            if (batch->count == batch->capacity) {
                sink_push_ok(&r, batch);
                wr_batch_reset(batch);
            }
        }
    }
    sink_push_ok(&r, batch);
    sink_call(&r, "end", 0);
    q_expect("SELECT count(*), min(n), max(n), sum(a) FROM \"Pairs\"", "666|29|29|332667;");
    q_expect("SELECT count(*) FROM \"Pairs\" WHERE a % 3 = 0", "0;");
    wr_batch_free(batch);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- the sink: exactly-once ------------------------------------------------------------- */

#define EXACTLY_ONCE "sink.delivery-guarantee=exactly-once"

Test(jdbc_exactly_once, rows_are_invisible_until_their_checkpoint_completes, .init = pg_up,
     .fini = pg_down)
{
    q("CREATE TABLE t (id bigint, v text)");
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "t", (const char *[]){EXACTLY_ONCE, "sink.buffer-flush.max-rows=10"},
              2);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    push_range(&r, 1, 25); /* two flushes into the open transaction */
    sink_call(&r, "snapshot", 1);
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 0);
    q_expect("SELECT gid FROM pg_prepared_xacts", "weir::t:0:1;");
    push_range(&r, 26, 30);
    sink_call(&r, "snapshot", 2);
    sink_call(&r, "snapshot", 3); /* nothing new: nothing prepared */
    q_expect("SELECT gid FROM pg_prepared_xacts ORDER BY gid", "weir::t:0:1;weir::t:0:2;");
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 0);
    sink_call(&r, "done", 1);
    q_expect("SELECT count(*), max(id) FROM t", "25|25;");
    push_range(&r, 31, 31);
    sink_call(&r, "done", 3); /* covers 2 */
    q_expect("SELECT count(*), max(id) FROM t", "30|30;");
    q_expect("SELECT count(*) FROM pg_prepared_xacts", "0;");
    sink_call(&r, "end", 0); /* commits the open transaction */
    q_expect("SELECT count(*), max(id) FROM t", "31|31;");
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_exactly_once, a_restore_commits_what_its_checkpoint_covers_and_rolls_back_the_rest,
     .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE t (id bigint, v text)");
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "t", (const char *[]){EXACTLY_ONCE, "sink.buffer-flush.max-rows=1"},
              2);
    /* The first run: subtasks 0 and 1 of 2 prepare checkpoints 1 and 2, then die before
     * checkpoint 1's notification; subtask 0 had also written rows after barrier 2. */
    sink_run r0, r1;
    sink_start(&r0, &spec, 0, 2, -1);
    sink_start(&r1, &spec, 1, 2, -1);
    push_range(&r0, 1, 3);
    push_range(&r1, 101, 103);
    sink_call(&r0, "snapshot", 1);
    sink_call(&r1, "snapshot", 1);
    push_range(&r0, 4, 5);
    push_range(&r1, 104, 105);
    sink_call(&r0, "snapshot", 2);
    sink_call(&r1, "snapshot", 2);
    push_range(&r0, 6, 6);
    sink_stop(&r0);
    sink_stop(&r1);
    /* an unrelated sink's transaction is left alone */
    q("BEGIN; INSERT INTO t VALUES (999, 'other'); PREPARE TRANSACTION 'other:x:t:0:1'");
    cr_assert_eq(q_int("SELECT count(*) FROM pg_prepared_xacts"), 5);
    cr_assert_eq(q_int("SELECT count(*) FROM t"), 0);
    /* Restored from checkpoint 1 at parallelism 1: subtask 0 finishes subtask 1's too. */
    sink_run r;
    sink_start(&r, &spec, 0, 1, 1);
    q_expect("SELECT gid FROM pg_prepared_xacts", "other:x:t:0:1;");
    q_expect("SELECT count(*), sum(id) FROM t", "6|312;");
    push_range(&r, 4, 6); /* replayed by the source */
    sink_call(&r, "end", 0);
    q_expect("SELECT count(*), sum(id) FROM t", "9|327;");
    sink_stop(&r);
    /* A fresh start rolls back what an earlier run prepared. */
    sink_start(&r, &spec, 0, 1, -1);
    push_range(&r, 50, 50);
    sink_call(&r, "snapshot", 7);
    sink_stop(&r);
    cr_assert_eq(q_int("SELECT count(*) FROM pg_prepared_xacts"), 2);
    sink_start(&r, &spec, 0, 1, -1);
    q_expect("SELECT gid FROM pg_prepared_xacts", "other:x:t:0:1;");
    sink_stop(&r);
    q("ROLLBACK PREPARED 'other:x:t:0:1'");
    q_expect("SELECT count(*) FROM t", "9;");
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_exactly_once, without_checkpoints_commits_at_end_of_input, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE u (id bigint PRIMARY KEY, v text)");
    wr_schema *schema = id_v_schema(true);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "u", (const char *[]){EXACTLY_ONCE, "sink.buffer-flush.max-rows=2"},
              2);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    wr_batch *batch = id_v_batch("+I 1 a;+I 2 b;+U 1 c;-D 2 b;+I 3 d");
    sink_push_ok(&r, batch);
    wr_batch_free(batch);
    cr_assert_eq(q_int("SELECT count(*) FROM u"), 0, "written, not committed");
    sink_call(&r, "end", 0);
    q_expect("SELECT id, v FROM u ORDER BY id", "1|c;3|d;");
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- failures ------------------------------------------------------------------------- */

Test(jdbc_sink, a_restarted_server_is_retried, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE t (id bigint, v text)");
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "t", (const char *[]){"sink.buffer-flush.max-rows=0"}, 1);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    push_range(&r, 1, 100);
    sink_call(&r, "snapshot", 1);
    /* The server dies with the sink's connection and comes back: the flush reconnects. */
    push_range(&r, 101, 200);
    server_stop();
    server_restart();
    sink_call(&r, "snapshot", 2);
    q_expect("SELECT count(*), sum(id) FROM t", "200|20100;");
    /* A server that stays away fails the flush after the retries, naming where it was. */
    push_range(&r, 201, 201);
    server_stop();
    wr_snapshot snap = {0};
    wr_error err;
    wr_error_init(&err);
    int64_t t0 = wr_clock_mono_ns();
    cr_assert_neq(r.spec->ops->snapshot(r.op, 3, &snap, &err), 0);
    cr_assert(strstr(err.msg, "jdbc sink: table 't': cannot connect to") && strstr(err.msg, url) &&
                  strstr(err.msg, "(after 3 retries)"),
              "%s", err.msg);
    cr_assert_lt(wr_clock_mono_ns() - t0, 5000000000LL, "short pauses between the retries");
    wr_snapshot_fini(&snap);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_errors, name_the_url_the_table_and_the_statement, .init = pg_up, .fini = pg_down)
{
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    wr_error err;
    sink_run r;
    /* nobody listens there; the password stays out of the message */
    const char *kv[] = {"connector=jdbc", "url=jdbc:postgresql://127.0.0.1:1/db?password=secret",
                        "table-name=t", "sink.max-retries=1"};
    cr_assert_eq(plan_table_sink("jdbc", schema, kv, 4, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(sink_try_start(&r, &spec, 0, 1, -1, &err), WR_ERR_IO);
    cr_assert(strstr(err.msg, "jdbc sink: table 't': cannot connect to "
                              "'jdbc:postgresql://127.0.0.1:1/db?password=***'"),
              "%s", err.msg);
    cr_assert(strstr(err.msg, "secret") == NULL && strstr(err.msg, "(after 1 retry)"), "%s",
              err.msg);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    /* a table that does not exist fails the sink when it opens */
    plan_sink(&spec, schema, "missing", NULL, 0);
    cr_assert_eq(sink_try_start(&r, &spec, 0, 1, -1, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "jdbc sink: table 'missing': SELECT (checking the table's "
                              "columns) failed: relation \"missing\" does not exist"),
              "%s", err.msg);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    /* a server error while writing quotes the server and the statement */
    q("CREATE TABLE t (id bigint CHECK (id < 5), v text)");
    plan_sink(&spec, schema, "t", NULL, 0);
    sink_start(&r, &spec, 0, 1, -1);
    push_range(&r, 1, 10);
    cr_assert_neq(r.spec->ops->end_input(r.op, 0, &err), 0);
    cr_assert(strstr(err.msg, "jdbc sink: table 't': COPY failed: new row for relation \"t\" "
                              "violates check constraint") &&
                  strstr(err.msg, "SQLSTATE 23514") && strstr(err.msg, "retr") == NULL,
              "%s", err.msg);
    sink_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- the source ------------------------------------------------------------------------- */

typedef struct src_run {
    wr_op_ctx ctx;
    wr_operator *op;
    const wr_operator_spec *spec;
    capture cap;
} src_run;

static void plan_scan(wr_operator_spec *spec, const wr_schema *schema, const char *table,
                      const wr_scan_request *req, const char *const *kv, int n)
{
    char tbl[128];
    snprintf(tbl, sizeof(tbl), "table-name=%s", table);
    const char *all[32] = {"connector=jdbc", url_opt, "username=weir", tbl};
    for (int i = 0; i < n; i++) all[4 + i] = kv[i];
    wr_error err;
    cr_assert_eq(plan_source_request("jdbc", schema, all, n + 4, req, spec, &err), 0, "%s",
                 err.msg);
}

/* Runs subtask `subtask` of `par` to its end; returns 0 or the error of a failed step. */
static int src_run_all(src_run *r, const wr_operator_spec *spec, int subtask, int par,
                       wr_error *err)
{
    memset(r, 0, sizeof(*r));
    r->spec = spec;
    capture_init(&r->cap);
    ctx_init(&r->ctx, subtask, par, &r->cap.base);
    wr_error_init(err);
    r->op = spec->ops->create(spec->spec, &r->ctx, err);
    cr_assert_not_null(r->op, "%s", err->msg);
    int rc = spec->ops->open(r->op, err);
    for (int steps = 0; rc == 0; steps++) {
        cr_assert_lt(steps, 100000);
        wr_source_status status;
        rc = spec->ops->run(r->op, &status, err);
        if (status == WR_SOURCE_END) break;
    }
    return rc;
}

static void src_stop(src_run *r)
{
    r->spec->ops->destroy(r->op);
    capture_fini(&r->cap);
}

static void format_row(const wr_batch *batch, int row, void *arg)
{
    wr_buf *b = arg;
    for (int c = 0; c < batch->ncols; c++) {
        if (c) wr_buf_putc(b, '|');
        wr_vector_format(&batch->cols[c], row, WR_FORMAT_SQL, b);
    }
    wr_buf_putc(b, ';');
}

Test(jdbc_source, reads_every_type_and_only_the_requested_columns, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE every (b boolean, i1 smallint, i4 integer, i8 bigint, f4 real, "
      "f8 double precision, dec numeric(12, 3), s text, bin bytea, d date, t time(3), "
      "ts timestamp(6), tz timestamptz, Mixed int)");
    q("INSERT INTO every VALUES (true, -128, 2147483647, -9223372036854775808, 0.1, 1e300, "
      "-1234.567, E'a\\tb\\nc', '\\x00ff'::bytea, '2024-01-01', '12:34:56.789', "
      "'2024-01-01 10:04:56.123456', '2024-01-01 10:04:56.5+02', 7), "
      "(null, null, null, null, null, null, null, null, null, null, null, null, null, null)");
    wr_type types[] = {
        wr_type_make(WR_TYPE_BOOLEAN, true),
        wr_type_make(WR_TYPE_TINYINT, true),
        wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_BIGINT, true),
        wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),
        wr_type_decimal(12, 3, true),
        wr_type_make(WR_TYPE_VARCHAR, true),
        wr_type_make(WR_TYPE_VARBINARY, true),
        wr_type_make(WR_TYPE_DATE, true),
        wr_type_make(WR_TYPE_TIME, true),
        (wr_type){WR_TYPE_TIMESTAMP, true, 6, 0},
        (wr_type){WR_TYPE_TIMESTAMP_LTZ, true, 3, 0},
        wr_type_make(WR_TYPE_INT, true),
    };
    wr_schema *schema = schema_of("b,i1,i4,i8,f4,f8,dec,s,bin,d,t,ts,tz,Mixed", types);
    wr_operator_spec spec;
    plan_scan(&spec, schema, "every", NULL, NULL, 0);
    src_run r;
    wr_error err;
    cr_assert_eq(src_run_all(&r, &spec, 0, 1, &err), 0, "%s", err.msg);
    wr_buf b;
    wr_buf_init(&b);
    capture_each(&r.cap, format_row, &b);
    cr_assert_str_eq(b.data,
                     "TRUE|-128|2147483647|-9223372036854775808|0.1|1.0E300|-1234.567|a\tb\nc|"
                     "x'00ff'|2024-01-01|12:34:56|2024-01-01 10:04:56.123456|"
                     "2024-01-01 08:04:56.500|7;"
                     "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL;");
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    /* Columns 13 and 2, in that order; COUNT(*) reads rows without columns. */
    wr_scan_request req = {.columns = (const int[]){13, 2}, .ncolumns = 2};
    plan_scan(&spec, schema, "every", &req, NULL, 0);
    cr_assert_eq(src_run_all(&r, &spec, 0, 1, &err), 0, "%s", err.msg);
    wr_buf_reset(&b);
    capture_each(&r.cap, format_row, &b);
    cr_assert_str_eq(b.data, "7|2147483647;NULL|NULL;");
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    req.ncolumns = 0;
    plan_scan(&spec, schema, "every", &req, NULL, 0);
    cr_assert_eq(src_run_all(&r, &spec, 0, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(r.cap.rows, 2);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_buf_fini(&b);
    wr_schema_free(schema);
}

static void collect_ids(const wr_batch *batch, int row, void *arg)
{
    int *seen = arg; /* [0]: NULLs, [1 + id + 100] otherwise */
    if (wr_vector_is_null(&batch->cols[0], row)) {
        seen[0]++;
        return;
    }
    int64_t id = ((const int64_t *)batch->cols[0].data)[row];
    cr_assert(id >= -100 && id < 2000, "id %lld", (long long)id);
    seen[1 + id + 100]++;
}

Test(jdbc_source, partitions_spread_over_subtasks_read_every_row_once, .init = pg_up,
     .fini = pg_down)
{
    q("CREATE TABLE p (id bigint, v text)");
    q("INSERT INTO p SELECT g, 'v' || g FROM generate_series(-100, 1899) g");
    q("INSERT INTO p VALUES (null, 'n1'), (null, 'n2')");
    wr_schema *schema = id_v_schema(false);
    wr_operator_spec spec;
    /* bounds inside the data: the first and last partitions take what lies outside */
    plan_scan(&spec, schema, "p", NULL,
              (const char *[]){"scan.partition.column=id", "scan.partition.num=7",
                               "scan.partition.lower-bound=0", "scan.partition.upper-bound=1000",
                               "scan.fetch-size=33"},
              5);
    int *seen = calloc(1 + 2100, sizeof(int));
    int64_t total = 0;
    for (int s = 0; s < 3; s++) {
        src_run r;
        wr_error err;
        cr_assert_eq(src_run_all(&r, &spec, s, 3, &err), 0, "subtask %d: %s", s, err.msg);
        cr_assert_gt(r.cap.rows, 0, "subtask %d read nothing", s);
        for (int i = 0; i < r.cap.nbatches; i++) cr_assert_leq(wr_batch_rows(r.cap.batches[i]), 33);
        total += r.cap.rows;
        capture_each(&r.cap, collect_ids, seen);
        src_stop(&r);
    }
    cr_assert_eq(total, 2002);
    cr_assert_eq(seen[0], 2);
    for (int id = -100; id < 1900; id++) cr_assert_eq(seen[1 + id + 100], 1, "id %d", id);
    free(seen);
    /* more subtasks than partitions: the others end at once, without connecting */
    src_run r;
    wr_error err;
    cr_assert_eq(src_run_all(&r, &spec, 7, 8, &err), 0, "%s", err.msg);
    cr_assert_eq(r.cap.rows, 0);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(jdbc_source, a_value_that_does_not_fit_names_table_column_and_row, .init = pg_up,
     .fini = pg_down)
{
    q("CREATE TABLE big (n bigint, s text)");
    q("INSERT INTO big VALUES (1, 'a'), (2, 'b'), (3000000000, 'c')");
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("n,s", types);
    wr_operator_spec spec;
    plan_scan(&spec, schema, "big", NULL, NULL, 0);
    src_run r;
    wr_error err;
    cr_assert_eq(src_run_all(&r, &spec, 0, 1, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg, "jdbc source: table 'big', column 'n', row 3: '3000000000' is out "
                              "of range for INT");
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    /* a text that is no number, a missing table, a missing column */
    q("CREATE TABLE words (n text, s text)");
    q("INSERT INTO words VALUES ('12', 'x'), ('twelve', 'y')");
    plan_scan(&spec, schema, "words", NULL, NULL, 0);
    cr_assert_eq(src_run_all(&r, &spec, 0, 1, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg,
                     "jdbc source: table 'words', column 'n', row 2: invalid INT 'twelve'");
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    plan_scan(&spec, schema, "nowhere", NULL, NULL, 0);
    cr_assert_eq(src_run_all(&r, &spec, 0, 1, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "jdbc source: table 'nowhere': SELECT failed: relation "
                              "\"nowhere\" does not exist"),
              "%s", err.msg);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- SQL ------------------------------------------------------------------------------------ */

static void sql(weir_session *s, const char *text)
{
    weir_result *res = NULL;
    int rc = weir_exec(s, text, "test.sql", &res);
    cr_assert_eq(rc, 0, "%s", weir_session_error(s));
    weir_result_free(res);
}

Test(jdbc_sql, insert_select_and_an_upserting_aggregate, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE orders (id bigint, customer text, amount numeric(10, 2))");
    q("CREATE TABLE totals (customer text PRIMARY KEY, n bigint, total numeric(12, 2))");
    weir_session *s = weir_session_new();
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "SET 'parallelism.default' = '2';"
             "CREATE TABLE orders (id BIGINT, customer STRING, amount DECIMAL(10, 2)) WITH ("
             "'connector' = 'jdbc', 'url' = '%s', 'table-name' = 'orders', 'username' = 'weir');"
             "CREATE TABLE totals (customer STRING, n BIGINT, total DECIMAL(12, 2), "
             "PRIMARY KEY (customer) NOT ENFORCED) WITH ('connector' = 'postgres', 'url' = '%s', "
             "'table-name' = 'totals', 'username' = 'weir', 'sink.parallelism' = '3')",
             url, url);
    sql(s, ddl);
    sql(s, "INSERT INTO orders VALUES (1, 'ann', 10.50), (2, 'bob', 3.25), (3, 'ann', 4.00), "
           "(4, 'cid', 1.00)");
    q_expect("SELECT count(*), sum(amount) FROM orders", "4|18.75;");
    /* a changelog: the aggregate updates its rows; the sink upserts by the primary key */
    sql(s, "INSERT INTO totals SELECT customer, COUNT(*), SUM(amount) FROM orders "
           "GROUP BY customer");
    q_expect("SELECT customer, n, total FROM totals ORDER BY customer",
             "ann|2|14.50;bob|1|3.25;cid|1|1.00;");
    weir_result *res = NULL;
    cr_assert_eq(weir_exec(s, "SELECT SUM(amount) FROM orders WHERE id > 1", "q.sql", &res), 0,
                 "%s", weir_session_error(s));
    cr_assert_eq(weir_result_rows(res), 1);
    cr_assert_str_eq(weir_result_text(res, 0, 0), "8.25");
    weir_result_free(res);
    weir_session_free(s);
}

/* The rows of a query as "a|b;c|d;" in the order given (the query sorts). */
static void sql_expect(weir_session *s, const char *text, const char *want)
{
    weir_result *res = NULL;
    cr_assert_eq(weir_exec(s, text, "q.sql", &res), 0, "%s", weir_session_error(s));
    wr_buf b;
    wr_buf_init(&b);
    for (int64_t r = 0; r < weir_result_rows(res); r++)
        for (int c = 0; c < weir_result_columns(res); c++)
            wr_buf_printf(&b, "%s%s", weir_result_text(res, r, c),
                          c + 1 < weir_result_columns(res) ? "|" : ";");
    cr_assert_str_eq(b.data ? b.data : "", want, "%s", text);
    wr_buf_fini(&b);
    weir_result_free(res);
}

Test(jdbc_lookup, joins_rows_by_key_and_caches_them_when_asked, .init = pg_up, .fini = pg_down)
{
    q("CREATE TABLE rates (currency text, rate integer, note text)");
    q("INSERT INTO rates VALUES ('EUR', 110, 'e'), ('JPY', 1, NULL), ('CHF', 105, 'a'), "
      "('CHF', 106, 'b')");
    weir_session *s = weir_session_new();
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE rates (currency STRING, rate INT, note STRING) WITH ("
             "'connector' = 'jdbc', 'url' = '%s', 'table-name' = 'rates', 'username' = 'weir');"
             "CREATE TABLE cached (currency STRING, rate INT, note STRING) WITH ("
             "'connector' = 'jdbc', 'url' = '%s', 'table-name' = 'rates', 'username' = 'weir', "
             "'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '2', "
             "'lookup.partial-cache.expire-after-write' = '1 h');"
             "CREATE TABLE o (id INT, currency STRING);"
             "INSERT INTO o VALUES (1, 'EUR'), (2, 'USD'), (3, 'CHF'), (4, NULL), (5, 'EUR');"
             "CREATE VIEW orders AS SELECT *, PROCTIME() AS pt FROM o",
             url, url);
    sql(s, ddl);
    const char *inner = "SELECT o.id, r.rate, r.note FROM orders AS o JOIN %s FOR SYSTEM_TIME AS "
                        "OF o.pt AS r ON o.currency = r.currency ORDER BY o.id, r.rate";
    char text[512];
    snprintf(text, sizeof(text), inner, "rates");
    sql_expect(s, text, "1|110|e;3|105|a;3|106|b;5|110|e;");
    snprintf(text, sizeof(text),
             "SELECT o.id, r.rate FROM orders AS o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.pt "
             "AS r ON o.currency = r.currency AND r.rate > 105 ORDER BY o.id");
    sql_expect(s, text, "1|110;2|NULL;3|106;4|NULL;5|110;");
    /* A lookup sees the table as it is now. */
    q("UPDATE rates SET rate = 120 WHERE currency = 'EUR'");
    snprintf(text, sizeof(text), inner, "rates");
    sql_expect(s, text, "1|120|e;3|105|a;3|106|b;5|120|e;");
    snprintf(text, sizeof(text), inner, "cached");
    sql_expect(s, text, "1|120|e;3|105|a;3|106|b;5|120|e;");
    /* Bad options are named where they were written. */
    weir_result *res = NULL;
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE bad (currency STRING, rate INT, note STRING) WITH ('connector' = "
             "'jdbc', 'url' = '%s', 'table-name' = 'rates', 'lookup.cache' = 'FULL')",
             url);
    cr_assert_neq(weir_exec(s, ddl, "q.sql", &res), 0);
    cr_assert(strstr(weir_session_error(s), "invalid value 'FULL' for option 'lookup.cache'"), "%s",
              weir_session_error(s));
    weir_session_free(s);
}

/* The rate the lookup source finds for a currency, or -1 for none. */
static int lookup_rate(const wr_lookup_spec *ls, wr_lookup *l, const char *currency)
{
    wr_type t = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_batch *keys = wr_batch_new(&t, 1, 1);
    ((wr_str *)keys->cols[0].data)[0] = wr_batch_str(keys, currency, strlen(currency));
    keys->count = 1;
    wr_buf rows;
    wr_buf_init(&rows);
    wr_error err;
    wr_error_init(&err);
    int n = ls->lookup(l, keys, (const int[]){0}, 0, &rows, &err);
    cr_assert_geq(n, 0, "%s", err.msg);
    int rate = -1;
    if (n > 0) {
        wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_INT, true)};
        wr_batch *b = wr_batch_new(types, 2, 4);
        cr_assert_eq(wr_row_decode_append(b, (const uint8_t *)rows.data + 4, rows.len - 4, &err),
                     (int)(rows.len - 4), "%s", err.msg);
        rate = ((int32_t *)b->cols[1].data)[0];
        wr_batch_free(b);
    }
    wr_buf_fini(&rows);
    wr_batch_free(keys);
    return rate;
}

static void lookup_open(const char *const *kv, int n, wr_lookup_spec *ls, wr_lookup **l)
{
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_INT, true)};
    wr_schema *schema = schema_of("currency,rate", types);
    wr_config options, job;
    const char *all[16] = {"connector=jdbc", url_opt, "username=weir", "table-name=rates"};
    for (int i = 0; i < n; i++) all[4 + i] = kv[i];
    options_make(&options, all, n + 4);
    wr_config_init(&job);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_connector_find("jdbc")->make_lookup(schema, &options, &job, (const int[]){0}, 1,
                                                        ls, &err),
                 0, "%s", err.msg);
    cr_assert_eq(ls->open(ls->conf, l, &err), 0, "%s", err.msg);
    wr_config_fini(&options);
    wr_config_fini(&job);
    wr_schema_free(schema);
}

Test(jdbc_lookup, the_cache_keeps_rows_until_they_expire_or_are_pushed_out, .init = pg_up,
     .fini = pg_down)
{
    q("CREATE TABLE rates (currency text, rate integer)");
    q("INSERT INTO rates VALUES ('EUR', 110), ('CHF', 105)");
    wr_lookup_spec plain, cached, legacy;
    wr_lookup *lp, *lc, *ll;
    lookup_open(NULL, 0, &plain, &lp);
    lookup_open((const char *[]){"lookup.cache=PARTIAL", "lookup.partial-cache.max-rows=2",
                                 "lookup.partial-cache.expire-after-write=1 h"},
                3, &cached, &lc);
    lookup_open((const char *[]){"lookup.cache.max-rows=10", "lookup.cache.ttl=150 ms",
                                 "lookup.cache.caching-missing-key=false"},
                3, &legacy, &ll);
    cr_assert_eq(lookup_rate(&plain, lp, "EUR"), 110);
    cr_assert_eq(lookup_rate(&cached, lc, "EUR"), 110);
    cr_assert_eq(lookup_rate(&cached, lc, "USD"), -1); /* a missing key is cached too */
    cr_assert_eq(lookup_rate(&legacy, ll, "EUR"), 110);
    cr_assert_eq(lookup_rate(&legacy, ll, "USD"), -1);
    q("UPDATE rates SET rate = 120 WHERE currency = 'EUR'");
    q("INSERT INTO rates VALUES ('USD', 90)");
    cr_assert_eq(lookup_rate(&plain, lp, "EUR"), 120);
    cr_assert_eq(lookup_rate(&cached, lc, "EUR"), 110);
    cr_assert_eq(lookup_rate(&cached, lc, "USD"), -1);
    cr_assert_eq(lookup_rate(&legacy, ll, "EUR"), 110);
    cr_assert_eq(lookup_rate(&legacy, ll, "USD"), 90); /* misses were not cached */
    /* A third key pushes the oldest (EUR) out of the two-key cache. */
    cr_assert_eq(lookup_rate(&cached, lc, "CHF"), 105);
    cr_assert_eq(lookup_rate(&cached, lc, "EUR"), 120);
    /* The legacy cache's entries expire after 150 ms. */
    wr_clock_sleep_ns(200 * 1000000LL);
    cr_assert_eq(lookup_rate(&legacy, ll, "EUR"), 120);
    plain.close(lp);
    cached.close(lc);
    legacy.close(ll);
    plain.conf_free(plain.conf);
    cached.conf_free(cached.conf);
    legacy.conf_free(legacy.conf);
}

/*
 * An upsert of a key whose row the sink's own prepared transaction (checkpoint not complete
 * yet) has locked: the flush does not wait for ever (the commit comes on the same thread) but
 * keeps the row buffered; a barrier puts it in the checkpoint's state; after the commit it is
 * written; and a run restored from that checkpoint writes it too.
 */
Test(jdbc_exactly_once, rows_locked_by_a_pending_checkpoint_wait_in_the_state, .init = pg_up,
     .fini = pg_down)
{
    q("CREATE TABLE t (id bigint PRIMARY KEY, v text)");
    wr_schema *schema = id_v_schema(true);
    wr_operator_spec spec;
    plan_sink(&spec, schema, "t", (const char *[]){EXACTLY_ONCE, "sink.buffer-flush.max-rows=1"},
              2);
    sink_run r;
    sink_start(&r, &spec, 0, 1, -1);
    wr_batch *b = id_v_batch("+I 1 a;+I 2 b");
    sink_push_ok(&r, b);
    wr_batch_free(b);
    sink_call(&r, "snapshot", 1); /* prepared, holding the rows' locks */
    int64_t t0 = wr_clock_wall_ms();
    b = id_v_batch("+U 1 a2;+I 3 c");
    sink_push_ok(&r, b); /* blocked by checkpoint 1's lock: buffered, not waited for */
    wr_batch_free(b);
    cr_assert_lt(wr_clock_wall_ms() - t0, 5000);
    wr_error err;
    wr_error_init(&err);
    wr_snapshot snap = {0};
    cr_assert_eq(r.spec->ops->snapshot(r.op, 2, &snap, &err), 0, "%s", err.msg);
    cr_assert_eq(snap.nparts, 1, "the held-back rows are the checkpoint's state");
    cr_assert_eq(snap.parts[0].keygroup, -1);
    q_expect("SELECT count(*) FROM t", "0;");
    /* Checkpoint 1 completes: its rows become visible, and the held-back rows can go. */
    sink_call(&r, "done", 1);
    q_expect("SELECT id, v FROM t ORDER BY id", "1|a;2|b;");
    sink_call(&r, "time", 0);
    sink_stop(&r); /* dies before checkpoint 3: what the flush wrote is rolled back */
    q_expect("SELECT id, v FROM t ORDER BY id", "1|a;2|b;");
    /* Restored from checkpoint 2: its state holds the rows, which are written again. */
    const wr_snapshot_part *parts[] = {&snap.parts[0]};
    sink_run r2;
    memset(&r2, 0, sizeof(r2));
    r2.spec = &spec;
    ctx_init(&r2.ctx, 0, 1, NULL);
    r2.restore = (wr_restore){.checkpoint = 2, .parts = parts, .nparts = 1};
    r2.ctx.restore = &r2.restore;
    r2.op = spec.ops->create(spec.spec, &r2.ctx, &err);
    cr_assert_not_null(r2.op, "%s", err.msg);
    cr_assert_eq(spec.ops->open(r2.op, &err), 0, "%s", err.msg);
    r2.ctx.restore = NULL;
    sink_call(&r2, "end", 0);
    q_expect("SELECT id, v FROM t ORDER BY id", "1|a2;2|b;3|c;");
    q_expect("SELECT count(*) FROM pg_prepared_xacts", "0;");
    sink_stop(&r2);
    /* Bad state bytes are an error, not a crash. */
    snap.parts[0].data.data[0] = 'X';
    sink_run r3;
    memset(&r3, 0, sizeof(r3));
    r3.spec = &spec;
    ctx_init(&r3.ctx, 0, 1, NULL);
    r3.restore = (wr_restore){.checkpoint = 2, .parts = parts, .nparts = 1};
    r3.ctx.restore = &r3.restore;
    r3.op = spec.ops->create(spec.spec, &r3.ctx, &err);
    cr_assert_neq(spec.ops->open(r3.op, &err), 0);
    cr_assert(strstr(err.msg, "malformed") != NULL, "%s", err.msg);
    sink_stop(&r3);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}
