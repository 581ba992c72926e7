/*
 * harness.c — driving operators by hand in unit tests; see harness.h.
 */
#include "harness.h"
#include "../../src/base/alloc.h"
#include "../../src/state/keygroup.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int capture_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    capture *cap = (capture *)self;
    wr_type types[64];
    cr_assert(batch->ncols <= 64);
    for (int c = 0; c < batch->ncols; c++) types[c] = batch->cols[c].type;
    wr_batch *copy = wr_batch_new(types, batch->ncols, WR_BATCH_CAPACITY);
    wr_batch_append_active(copy, batch);
    cap->batches = wr_realloc(cap->batches, (size_t)(cap->nbatches + 1) * sizeof(wr_batch *));
    cap->batches[cap->nbatches++] = copy;
    cap->rows += wr_batch_rows(batch);
    return 0;
}

void capture_init(capture *cap)
{
    memset(cap, 0, sizeof(*cap));
    cap->base.push = capture_push;
}

void capture_fini(capture *cap)
{
    for (int i = 0; i < cap->nbatches; i++) wr_batch_free(cap->batches[i]);
    wr_free(cap->batches);
}

/* Calls fn(batch, row, arg) for every captured row. */
void capture_each(const capture *cap, void (*fn)(const wr_batch *, int, void *), void *arg)
{
    for (int b = 0; b < cap->nbatches; b++)
        for (int r = 0; r < cap->batches[b]->count; r++) fn(cap->batches[b], r, arg);
}

void keyed_restore_for(const op_snapshots *sv, int s, int par, wr_restore *r,
                       const wr_snapshot_part **parts)
{
    int first, last, n = 0;
    wr_keygroup_range(s, 128, par, &first, &last);
    for (int i = 0; i < sv->n; i++)
        for (int p = 0; p < sv->snaps[i].nparts; p++) {
            const wr_snapshot_part *part = &sv->snaps[i].parts[p];
            if (part->keygroup >= first && part->keygroup <= last) parts[n++] = part;
        }
    memset(r, 0, sizeof(*r));
    r->checkpoint = 1;
    r->parts = parts;
    r->nparts = n;
    r->rescaled = sv->n != par;
}

void ctx_init(wr_op_ctx *ctx, int subtask, int parallelism, wr_collector *out)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->subtask = subtask;
    ctx->parallelism = parallelism;
    ctx->max_parallelism = 128;
    ctx->name = "test";
    ctx->out = out;
}

/*
 * Options from "key=value" strings; key i sits at byte 100*i and its value
 * at 100*i + 50 of an imaginary SQL text, so tests can check positions.
 */
void options_make(wr_config *cfg, const char *const *kv, int n)
{
    wr_config_init(cfg);
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        cr_assert(eq);
        char *key = wr_strndup(kv[i], (size_t)(eq - kv[i]));
        wr_config_set(cfg, key, eq + 1, 100 * i, 100 * i + 50);
        wr_free(key);
    }
}

wr_schema *schema_of(const char *names, const wr_type *types)
{
    wr_schema *schema = wr_schema_new();
    char *copy = wr_strdup(names);
    int i = 0;
    for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        wr_schema_add(schema, tok, types[i++]);
    wr_free(copy);
    return schema;
}

/* Plans with a connector's make_source (sink false; req may be NULL) or make_sink (sink true). */
static int plan(const char *connector, bool sink, const wr_schema *schema, const char *const *kv,
                int n, const wr_scan_request *req, wr_operator_spec *spec, wr_error *err)
{
    wr_config options, job;
    options_make(&options, kv, n);
    wr_config_init(&job);
    const wr_connector *conn = wr_connector_find(connector);
    cr_assert(conn && (sink ? conn->make_sink != NULL : conn->make_source != NULL));
    wr_error_init(err);
    memset(spec, 0, sizeof(*spec));
    int rc = sink ? conn->make_sink(schema, &options, &job, spec, err)
                  : conn->make_source(schema, &options, &job, req, spec, err);
    wr_config_fini(&options);
    wr_config_fini(&job);
    return rc;
}

int plan_source(const char *connector, const wr_schema *schema, const char *const *kv, int n,
                wr_operator_spec *spec, wr_error *err)
{
    return plan(connector, false, schema, kv, n, NULL, spec, err);
}

int plan_source_request(const char *connector, const wr_schema *schema, const char *const *kv,
                        int n, const wr_scan_request *req, wr_operator_spec *spec, wr_error *err)
{
    return plan(connector, false, schema, kv, n, req, spec, err);
}

int plan_table_sink(const char *connector, const wr_schema *schema, const char *const *kv, int n,
                    wr_operator_spec *spec, wr_error *err)
{
    return plan(connector, true, schema, kv, n, NULL, spec, err);
}

char tmp_dir[64];

void tmp_init(void)
{
    strcpy(tmp_dir, "/tmp/weir_test_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void tmp_fini(void)
{
    nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tmp_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
    return path;
}

char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)size + 1);
    cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    return text;
}
