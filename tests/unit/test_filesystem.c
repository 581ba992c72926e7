/*
 * test_filesystem.c — the filesystem connector's checkpoint behaviour: the
 * sink's two-phase commit (hidden part files, commit on checkpoint_done or at
 * end of input, restore after a crash) and the source's restored position.
 *
 * Operators are driven by hand as the runtime would drive them; a "crash" is
 * destroying an instance without the calls a finished run gets, and a restart
 * is a new instance whose ctx.restore points at the parts of a snapshot.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/connectors/connector.h"
#include "../../src/connectors/filesystem.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- harness ------------------------------------------------------------- */

static char out_dir[128]; /* tmp_dir/out/sub: does not exist until a sink opens */

static void fs_init(void)
{
    tmp_init();
    snprintf(out_dir, sizeof(out_dir), "%s/out/sub", tmp_dir);
}

/* The content of dir/name as a new string, or NULL when it does not exist. */
static char *slurp(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return read_text(path);
}

static void spit(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in dir, sorted, joined with spaces: the hidden ones (starting
 * with '.') when hidden, else the visible ones. "" for none or no directory.
 */
static char *names(const char *dir, bool hidden)
{
    static char out[4096];
    char *list[256];
    int n = 0;
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (d == NULL) return out;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if ((de->d_name[0] == '.') != hidden) continue;
        cr_assert(n < 256);
        list[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof(char *), by_name);
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, " ");
        strcat(out, list[i]);
        free(list[i]);
    }
    return out;
}

/* The visible files' contents concatenated in name order. */
static char *visible_text(const char *dir)
{
    static char out[1 << 16];
    out[0] = '\0';
    char list[4096];
    strcpy(list, names(dir, false));
    for (char *save, *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *text = slurp(dir, tok);
        cr_assert(strlen(out) + strlen(text) < sizeof(out));
        strcat(out, text);
        free(text);
    }
    return out;
}

static wr_schema *id_name_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    return schema_of("id,name", types);
}

/* A batch of rows (id, "n<id>") for ids from..to inclusive, all of kind `kind`. */
static wr_batch *rows(int64_t from, int64_t to, wr_change_kind kind)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    for (int64_t id = from; id <= to; id++) {
        int r = batch->count++;
        ((int64_t *)batch->cols[0].data)[r] = id;
        char text[32];
        snprintf(text, sizeof(text), "n%lld", (long long)id);
        ((wr_str *)batch->cols[1].data)[r] = wr_batch_str(batch, text, strlen(text));
        if (kind != WR_KIND_INSERT) wr_batch_kinds(batch)[r] = (uint8_t)kind;
    }
    return batch;
}

/* The CSV lines rows(from, to) become. */
static char *lines(int64_t from, int64_t to)
{
    static char out[1 << 16];
    out[0] = '\0';
    for (int64_t id = from; id <= to; id++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%lld,n%lld\n", (long long)id,
                 (long long)id);
    return out;
}

/* One sink subtask driven by hand. */
typedef struct sink_run {
    wr_op_ctx ctx;
    wr_operator *op;
    wr_restore restore;
    const wr_snapshot_part *parts[4];
} sink_run;

/* Plans a filesystem sink into out_dir with extra options; asserts success. */
static void plan_fs_sink(wr_operator_spec *spec, const char *const *extra, int nextra)
{
    char path[160];
    snprintf(path, sizeof(path), "path=%s", out_dir);
    const char *kv[8] = {"connector=filesystem", path, "format=csv"};
    for (int i = 0; i < nextra; i++) kv[3 + i] = extra[i];
    wr_schema *schema = id_name_schema();
    wr_error err;
    cr_assert_eq(plan_table_sink("filesystem", schema, kv, 3 + nextra, spec, &err), 0, "%s",
                 err.msg);
    wr_schema_free(schema);
}

/*
 * Creates and opens subtask `subtask` of `parallelism`; restored from the
 * operator state parts of snap when snap is not NULL.
 */
static void sink_start(sink_run *run, const wr_operator_spec *spec, int subtask, int parallelism,
                       const wr_snapshot *snap, int64_t checkpoint)
{
    memset(run, 0, sizeof(*run));
    ctx_init(&run->ctx, subtask, parallelism, NULL);
    if (snap) {
        cr_assert(snap->nparts <= 4);
        for (int i = 0; i < snap->nparts; i++) run->parts[i] = &snap->parts[i];
        run->restore =
            (wr_restore){.checkpoint = checkpoint, .parts = run->parts, .nparts = snap->nparts};
        run->ctx.restore = &run->restore;
    }
    wr_error err;
    wr_error_init(&err);
    run->op = spec->ops->create(spec->spec, &run->ctx, &err);
    cr_assert_not_null(run->op, "%s", err.msg);
    run->op->ctx = &run->ctx;
    cr_assert_eq(spec->ops->open(run->op, &err), 0, "%s", err.msg);
    run->ctx.restore = NULL;
}

static void sink_write(sink_run *run, int64_t from, int64_t to)
{
    wr_batch *batch = rows(from, to, WR_KIND_INSERT);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run->op->ops->process(run->op, 0, batch, &err), 0, "%s", err.msg);
    wr_batch_free(batch);
}

static void sink_snapshot(sink_run *run, int64_t checkpoint, wr_snapshot *snap)
{
    memset(snap, 0, sizeof(*snap));
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run->op->ops->snapshot(run->op, checkpoint, snap, &err), 0, "%s", err.msg);
    cr_assert_eq(snap->nparts, 1);
    cr_assert_eq(snap->parts[0].keygroup, -1);
}

static void sink_done(sink_run *run, int64_t checkpoint)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run->op->ops->checkpoint_done(run->op, checkpoint, &err), 0, "%s", err.msg);
}

static void sink_end(sink_run *run)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run->op->ops->end_input(run->op, 0, &err), 0, "%s", err.msg);
}

/* Destroys the instance: after sink_end a clean finish, otherwise a crash. */
static void sink_stop(sink_run *run)
{
    run->op->ops->destroy(run->op);
    run->op = NULL;
}

/* ---- sink: two-phase commit ------------------------------------------------- */

Test(fs_sink, commits_on_checkpoint_done, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    cr_assert_eq(spec.parallelism, -1);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    /* The directory (and its parent) is created when the sink opens. */
    struct stat st;
    cr_assert_eq(stat(out_dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));

    sink_write(&run, 1, 3);
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress");
    cr_assert_str_eq(names(out_dir, false), "");
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    /* At the barrier the file is closed (pending) but still hidden. */
    cr_assert_str_eq(names(out_dir, false), "");
    char *text = slurp(out_dir, ".part-0-0.inprogress");
    cr_assert_str_eq(text, lines(1, 3));
    free(text);

    sink_write(&run, 4, 5); /* after the barrier: belongs to checkpoint 2 */
    sink_done(&run, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 3));
    cr_assert_str_eq(names(out_dir, true), ".part-0-1.inprogress");

    /* A notification for an older checkpoint commits nothing new. */
    sink_done(&run, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");

    wr_snapshot snap2;
    sink_snapshot(&run, 2, &snap2);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");
    sink_done(&run, 2);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    cr_assert_str_eq(names(out_dir, true), "");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 5));

    /* A barrier with nothing written creates no file. */
    wr_snapshot snap3;
    sink_snapshot(&run, 3, &snap3);
    sink_done(&run, 3);
    sink_end(&run);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    sink_stop(&run);
    wr_snapshot_fini(&snap);
    wr_snapshot_fini(&snap2);
    wr_snapshot_fini(&snap3);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, pending_from_an_aborted_checkpoint_waits_for_the_next, .init = fs_init,
     .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 2);
    wr_snapshot snap1, snap2;
    sink_snapshot(&run, 1, &snap1); /* checkpoint 1 never completes */
    sink_write(&run, 3, 4);
    sink_snapshot(&run, 2, &snap2);
    cr_assert_str_eq(names(out_dir, false), "");
    sink_done(&run, 2); /* covers the rows of both */
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 4));
    sink_stop(&run);
    wr_snapshot_fini(&snap1);
    wr_snapshot_fini(&snap2);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, restore_commits_pending_and_aborts_later_files, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 3);
    wr_snapshot snap1;
    sink_snapshot(&run, 1, &snap1);
    sink_write(&run, 4, 5);
    /* Crash: checkpoint 1 completed, but the process died before checkpoint_done(1); rows
     * 4..5 were written after it. */
    sink_stop(&run);
    cr_assert_str_eq(names(out_dir, false), "");
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress .part-0-1.inprogress");

    /* Restart from checkpoint 1: its pending file is committed, the later one deleted. */
    sink_start(&run, &spec, 0, 1, &snap1, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");
    cr_assert_str_eq(names(out_dir, true), "");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 3));
    /* The source replays rows 4..5; numbering continues at the checkpoint's next number. */
    sink_write(&run, 4, 6);
    cr_assert_str_eq(names(out_dir, true), ".part-0-1.inprogress");
    sink_end(&run);
    sink_stop(&run);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 6));

    /*
     * Restoring checkpoint 1 again (say the job is resumed once more): committing is
     * idempotent, and part-0-1, committed at end of input after the checkpoint, is removed
     * because its rows are replayed.
     */
    sink_start(&run, &spec, 0, 1, &snap1, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");
    sink_write(&run, 4, 6);
    sink_end(&run);
    sink_stop(&run);
    cr_assert_str_eq(visible_text(out_dir), lines(1, 6));
    wr_snapshot_fini(&snap1);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, restore_from_a_later_checkpoint_lists_every_pending_file, .init = fs_init,
     .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 2);
    wr_snapshot snap1, snap2;
    sink_snapshot(&run, 1, &snap1);
    sink_write(&run, 3, 4);
    sink_snapshot(&run, 2, &snap2);
    sink_write(&run, 5, 6);
    sink_stop(&run); /* crash before either notification */

    sink_start(&run, &spec, 0, 1, &snap2, 2);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    cr_assert_str_eq(names(out_dir, true), "");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 4));
    sink_stop(&run);
    wr_snapshot_fini(&snap1);
    wr_snapshot_fini(&snap2);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, restore_finds_a_pending_file_missing, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 2);
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    sink_stop(&run);
    char path[256];
    snprintf(path, sizeof(path), "%s/.part-0-0.inprogress", out_dir);
    cr_assert_eq(unlink(path), 0);

    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    const wr_snapshot_part *parts[] = {&snap.parts[0]};
    wr_restore restore = {.checkpoint = 1, .parts = parts, .nparts = 1};
    ctx.restore = &restore;
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_eq(spec.ops->open(op, &err), WR_ERR_IO);
    cr_assert(strstr(err.msg, "neither '.part-0-0.inprogress' nor 'part-0-0' exists") != NULL, "%s",
              err.msg);
    spec.ops->destroy(op);

    /* Damaged state is named, not misread. */
    snap.parts[0].data.len -= 3;
    op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_eq(spec.ops->open(op, &err), WR_ERR_IO);
    cr_assert(strstr(err.msg, "operator state of subtask 0 in checkpoint 1 is damaged") != NULL,
              "%s", err.msg);
    spec.ops->destroy(op);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, without_checkpoints_commits_at_end_of_input, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    for (int64_t i = 0; i < 10; i++) sink_write(&run, 100 * i + 1, 100 * i + 100);
    cr_assert_str_eq(names(out_dir, false), "");
    sink_end(&run);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");
    cr_assert_str_eq(names(out_dir, true), "");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 1000));
    sink_stop(&run);

    /* A new run into the same directory numbers its files after the existing ones. */
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1001, 1002);
    sink_end(&run);
    sink_stop(&run);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 1002));
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, numbering_skips_existing_files_and_ignores_others, .init = fs_init, .fini = tmp_fini)
{
    char out_parent[160];
    snprintf(out_parent, sizeof(out_parent), "%s/out", tmp_dir);
    cr_assert_eq(mkdir(out_parent, 0700), 0);
    cr_assert_eq(mkdir(out_dir, 0700), 0);
    spit(out_dir, "part-0-4", "old\n");
    spit(out_dir, ".part-0-6.inprogress", "left by a crash\n");
    spit(out_dir, "part-0-9.csv", "not ours\n");
    spit(out_dir, "part-10-20", "subtask 10's\n");
    spit(out_dir, ".part-0-x.inprogress", "not a part file\n");
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 1, 11, NULL, 0);
    sink_write(&run, 1, 1);
    sink_end(&run);
    sink_stop(&run);
    sink_start(&run, &spec, 0, 11, NULL, 0);
    sink_write(&run, 2, 2);
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    cr_assert_str_eq(names(out_dir, true),
                     ".part-0-6.inprogress .part-0-7.inprogress .part-0-x.inprogress");
    sink_write(&run, 3, 3);
    sink_stop(&run);
    /* A restore touches only this subtask's part files from the next number on. */
    sink_start(&run, &spec, 0, 11, &snap, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-4 part-0-7 part-0-9.csv part-1-0 part-10-20");
    cr_assert_str_eq(names(out_dir, true), ".part-0-6.inprogress .part-0-x.inprogress");
    sink_stop(&run);
    char *text = slurp(out_dir, "part-0-7");
    cr_assert_str_eq(text, lines(2, 2));
    free(text);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, a_cancelled_run_leaves_nothing_visible, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 100000 / 100);
    sink_stop(&run);
    cr_assert_str_eq(names(out_dir, false), "");
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress");
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, rolls_by_size, .init = fs_init, .fini = tmp_fini)
{
    /* Lines "1,n1\n".."9,n9\n" are 5 bytes, then 7 bytes: a file rolls once it has 16. */
    const char *extra[] = {"sink.rolling-policy.file-size=16 b"};
    wr_operator_spec spec;
    plan_fs_sink(&spec, extra, 1);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 12);
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress .part-0-1.inprogress "
                                           ".part-0-2.inprogress .part-0-3.inprogress");
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    sink_done(&run, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1 part-0-2 part-0-3");
    char *first = slurp(out_dir, "part-0-0");
    cr_assert_str_eq(first, lines(1, 4)); /* rolled at 20 >= 16 bytes */
    free(first);
    cr_assert_str_eq(visible_text(out_dir), lines(1, 12));
    sink_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);

    /* Memory sizes as Flink writes them. */
    const char *sizes[] = {
        "sink.rolling-policy.file-size=1 MB", "sink.rolling-policy.file-size=1024",
        "sink.rolling-policy.file-size=64kb", "sink.rolling-policy.file-size= 2 Gibibytes "};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        plan_fs_sink(&spec, &sizes[i], 1);
        wr_operator_spec_fini(&spec);
    }
}

Test(fs_sink, rolls_by_age, .init = fs_init, .fini = tmp_fini)
{
    const char *extra[] = {"sink.rolling-policy.rollover-interval=20 ms"};
    wr_operator_spec spec;
    plan_fs_sink(&spec, extra, 1);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 2);
    sink_write(&run, 3, 4);
    usleep(40 * 1000);
    sink_write(&run, 5, 6);
    sink_end(&run);
    sink_stop(&run);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    char *first = slurp(out_dir, "part-0-0");
    cr_assert_str_eq(first, lines(1, 4));
    free(first);
    cr_assert_str_eq(visible_text(out_dir), lines(1, 6));
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, the_check_closes_inactive_and_old_files, .init = fs_init, .fini = tmp_fini)
{
    const char *extra[] = {"sink.rolling-policy.inactivity-interval=30 ms",
                           "sink.rolling-policy.check-interval=10 ms"};
    wr_operator_spec spec;
    plan_fs_sink(&spec, extra, 2);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    cr_assert_gt(run.ctx.timer_at_ms, 0);
    cr_assert_lt(run.ctx.timer_at_ms, INT64_MAX);
    wr_error err;
    wr_error_init(&err);
    sink_write(&run, 1, 2);
    /* Written to recently: the check leaves the file open. */
    cr_assert_eq(run.op->ops->on_time(run.op, run.ctx.timer_at_ms, &err), 0, "%s", err.msg);
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress");
    usleep(50 * 1000);
    int64_t at = run.ctx.timer_at_ms;
    cr_assert_eq(run.op->ops->on_time(run.op, at, &err), 0, "%s", err.msg);
    cr_assert_eq(run.ctx.timer_at_ms, at + 10);
    /* Closed and pending: the next checkpoint commits it, the next row opens another file. */
    sink_write(&run, 3, 4);
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    sink_done(&run, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-0-1");
    char *first = slurp(out_dir, "part-0-0");
    cr_assert_str_eq(first, lines(1, 2));
    free(first);
    sink_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, subtasks_keep_to_their_own_files, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run a, b;
    sink_start(&a, &spec, 0, 2, NULL, 0);
    sink_start(&b, &spec, 1, 2, NULL, 0);
    sink_write(&a, 1, 2);
    sink_write(&b, 3, 4);
    wr_snapshot sa, sb;
    sink_snapshot(&a, 1, &sa);
    sink_snapshot(&b, 1, &sb);
    sink_write(&a, 5, 6);
    sink_write(&b, 7, 8);
    sink_stop(&a);
    sink_stop(&b);
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress .part-0-1.inprogress "
                                           ".part-1-0.inprogress .part-1-1.inprogress");
    /* Subtask 1 restores alone: subtask 0's files are not its business. */
    sink_start(&b, &spec, 1, 2, &sb, 1);
    cr_assert_str_eq(names(out_dir, false), "part-1-0");
    cr_assert_str_eq(names(out_dir, true), ".part-0-0.inprogress .part-0-1.inprogress");
    sink_start(&a, &spec, 0, 2, &sa, 1);
    cr_assert_str_eq(names(out_dir, false), "part-0-0 part-1-0");
    cr_assert_str_eq(names(out_dir, true), "");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 4));
    sink_stop(&a);
    sink_stop(&b);
    wr_snapshot_fini(&sa);
    wr_snapshot_fini(&sb);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, a_finished_subtask_restores_nothing, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    sink_write(&run, 1, 2);
    sink_end(&run);
    sink_stop(&run);
    /* The checkpoint recorded the subtask as finished (it has no parts then): the files it
     * committed at end of input stay. */
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_restore finished = {.checkpoint = 5, .finished = true};
    ctx.restore = &finished;
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_eq(spec.ops->open(op, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    spec.ops->destroy(op);
    cr_assert_str_eq(names(out_dir, false), "part-0-0");
    cr_assert_str_eq(visible_text(out_dir), lines(1, 2));
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, raw_format_and_csv_options, .init = fs_init, .fini = tmp_fini)
{
    wr_type str = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_schema *schema = schema_of("line", &str);
    char path[160];
    snprintf(path, sizeof(path), "path=%s", out_dir);
    const char *kv[] = {"connector=filesystem", path, "format=raw", "sink.parallelism=3"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_table_sink("filesystem", schema, kv, 4, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.parallelism, 3);
    sink_run run;
    sink_start(&run, &spec, 2, 3, NULL, 0);
    wr_batch *batch = wr_batch_new(&str, 1, 4);
    ((wr_str *)batch->cols[0].data)[0] = wr_batch_str(batch, "a, \"b\"", 6);
    wr_batch_set_null(batch, 0, 1);
    ((wr_str *)batch->cols[0].data)[2] = wr_batch_str(batch, "c", 1);
    batch->count = 3;
    cr_assert_eq(run.op->ops->process(run.op, 0, batch, &err), 0, "%s", err.msg);
    wr_batch_free(batch);
    sink_end(&run);
    sink_stop(&run);
    char *text = slurp(out_dir, "part-2-0");
    cr_assert_str_eq(text, "a, \"b\"\n\nc\n");
    free(text);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);

    /* csv options shape the lines. */
    const char *extra[] = {"csv.field-delimiter=;", "csv.null-literal=NULL"};
    plan_fs_sink(&spec, extra, 2);
    sink_start(&run, &spec, 0, 1, NULL, 0);
    batch = rows(7, 8, WR_KIND_INSERT);
    wr_batch_set_null(batch, 1, 1);
    cr_assert_eq(run.op->ops->process(run.op, 0, batch, &err), 0, "%s", err.msg);
    wr_batch_free(batch);
    sink_end(&run);
    sink_stop(&run);
    text = slurp(out_dir, "part-0-0");
    cr_assert_str_eq(text, "7;n7\n8;NULL\n");
    free(text);
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, update_rows_fail, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_fs_sink(&spec, NULL, 0);
    wr_change_kind kinds[] = {WR_KIND_UPDATE_BEFORE, WR_KIND_UPDATE_AFTER, WR_KIND_DELETE};
    const char *shorts[] = {"-U", "+U", "-D"};
    for (int k = 0; k < 3; k++) {
        sink_run run;
        sink_start(&run, &spec, 0, 1, NULL, 0);
        wr_batch *batch = rows(1, 2, kinds[k]);
        wr_error err;
        wr_error_init(&err);
        cr_assert_eq(run.op->ops->process(run.op, 0, batch, &err), WR_ERR_RUNTIME);
        char want[64];
        snprintf(want, sizeof(want), "got a %s row", shorts[k]);
        cr_assert(strstr(err.msg, "accepts only inserts") && strstr(err.msg, want), "%s", err.msg);
        wr_batch_free(batch);
        sink_stop(&run);
    }
    cr_assert_str_eq(names(out_dir, false), "");
    wr_operator_spec_fini(&spec);
}

Test(fs_sink, option_errors, .init = fs_init, .fini = tmp_fini)
{
    spit(tmp_dir, "file.csv", "1,a\n");
    char dir[160], file[160];
    snprintf(dir, sizeof(dir), "path=%s/new", tmp_dir);
    snprintf(file, sizeof(file), "path=%s/file.csv", tmp_dir);
    wr_schema *schema = id_name_schema();
    struct {
        const char *kv[5];
        int n;
        int offset;
        const char *msg; /* a prefix of the message */
    } cases[] = {
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.file-size=big"},
         4,
         350,
         "invalid value 'big' for option 'sink.rolling-policy.file-size': expected a positive "
         "memory size"},
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.file-size=0"},
         4,
         350,
         "invalid value '0' for option 'sink.rolling-policy.file-size'"},
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.file-size=1 zb"},
         4,
         350,
         "invalid value '1 zb' for option 'sink.rolling-policy.file-size'"},
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.rollover-interval=x"},
         4,
         350,
         "invalid value 'x' for option 'sink.rolling-policy.rollover-interval': expected a "
         "duration"},
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.rollover-interval=0"},
         4,
         350,
         "invalid value '0' for option 'sink.rolling-policy.rollover-interval': expected a "
         "positive duration"},
        {{"connector=filesystem", dir, "format=csv", "sink.parallelism=0"},
         4,
         350,
         "invalid value '0' for option 'sink.parallelism'"},
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.check-interval=0"},
         4,
         350,
         "invalid value '0' for option 'sink.rolling-policy.check-interval': expected a "
         "positive duration"},
        {{"connector=filesystem", dir, "format=csv", "sink.rolling-policy.inactivity=1 s"},
         4,
         300,
         "unsupported option 'sink.rolling-policy.inactivity' for connector 'filesystem'; "
         "supported options: connector, path, format, csv.field-delimiter"},
        {{"connector=filesystem", dir, "format=raw", "sink.parallelism=2"},
         4,
         250,
         "format 'raw' needs exactly one column"},
        {{"connector=filesystem", "path=-", "format=csv"},
         3,
         150,
         "invalid value '-' for option 'path': the filesystem sink writes files into a "
         "directory"},
        {{"connector=filesystem", file, "format=csv"}, 3, 150, "invalid value"},
        {{"connector=filesystem", dir}, 2, 50, "option 'format' is required"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_operator_spec spec;
        wr_error err;
        int rc = plan_table_sink("filesystem", schema, cases[i].kv, cases[i].n, &spec, &err);
        cr_assert_eq(rc, WR_ERR_VALIDATION, "case %zu", i);
        cr_assert(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0, "case %zu: got '%s'",
                  i, err.msg);
        cr_assert_eq(err.offset, cases[i].offset, "case %zu: offset %d", i, err.offset);
    }
    /* The path being a file is named as such. */
    wr_operator_spec spec;
    wr_error err;
    const char *kv[] = {"connector=filesystem", file, "format=csv"};
    cr_assert_eq(plan_table_sink("filesystem", schema, kv, 3, &spec, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);
    /* Planning does not create the directory; a table read and written takes sink options. */
    const char *ok[] = {"connector=filesystem", dir, "format=csv",
                        "sink.rolling-policy.file-size=1 MB"};
    cr_assert_eq(plan_table_sink("filesystem", schema, ok, 4, &spec, &err), 0, "%s", err.msg);
    wr_operator_spec_fini(&spec);
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/new", tmp_dir);
    struct stat st;
    cr_assert_neq(stat(missing, &st), 0);
    const char *read_kv[] = {"connector=filesystem", file, "format=csv",
                             "sink.rolling-policy.file-size=1 MB", "sink.parallelism=2"};
    cr_assert_eq(plan_source("filesystem", schema, read_kv, 5, &spec, &err), 0, "%s", err.msg);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- source: restored position ----------------------------------------------------- */

typedef struct source_run {
    wr_op_ctx ctx;
    wr_operator *op;
    capture cap;
    wr_restore restore;
    const wr_snapshot_part *parts[4];
} source_run;

static void source_start(source_run *run, const wr_operator_spec *spec, int subtask,
                         int parallelism, const wr_snapshot *snap)
{
    memset(run, 0, sizeof(*run));
    capture_init(&run->cap);
    ctx_init(&run->ctx, subtask, parallelism, &run->cap.base);
    if (snap) {
        for (int i = 0; i < snap->nparts; i++) run->parts[i] = &snap->parts[i];
        run->restore = (wr_restore){.checkpoint = 1, .parts = run->parts, .nparts = snap->nparts};
        run->ctx.restore = &run->restore;
    }
    wr_error err;
    wr_error_init(&err);
    run->op = spec->ops->create(spec->spec, &run->ctx, &err);
    cr_assert_not_null(run->op, "%s", err.msg);
    run->op->ctx = &run->ctx;
    run->ctx.restore = NULL;
}

/* Calls run() up to `runs` times (-1: to the end); returns the last status. */
static wr_source_status source_run_for(source_run *run, int runs)
{
    wr_source_status status = WR_SOURCE_MORE;
    for (int i = 0; runs < 0 || i < runs; i++) {
        cr_assert(i < 1000000, "source never ends");
        wr_error err;
        wr_error_init(&err);
        cr_assert_eq(run->op->ops->run(run->op, &status, &err), 0, "%s", err.msg);
        if (status == WR_SOURCE_END) break;
    }
    return status;
}

static void source_stop(source_run *run)
{
    run->op->ops->destroy(run->op);
    capture_fini(&run->cap);
}

/* Counts each id the capture holds into counts[id]. */
static void count_ids(const capture *cap, int *counts, int n)
{
    for (int b = 0; b < cap->nbatches; b++) {
        const wr_batch *batch = cap->batches[b];
        for (int r = 0; r < batch->count; r++) {
            int64_t id = ((const int64_t *)batch->cols[0].data)[r];
            cr_assert(id >= 1 && id <= n, "id %lld", (long long)id);
            counts[id]++;
        }
    }
}

/* Writes files a.csv, b.csv, c.csv with ids 1..3n (n each) into tmp_dir/in. */
static void write_inputs(int n)
{
    char in[128];
    snprintf(in, sizeof(in), "%s/in", tmp_dir);
    cr_assert_eq(mkdir(in, 0700), 0);
    for (int f = 0; f < 3; f++) {
        wr_buf text;
        wr_buf_init(&text);
        for (int i = 1; i <= n; i++) wr_buf_printf(&text, "%d,n%d\n", f * n + i, f * n + i);
        char name[16];
        snprintf(name, sizeof(name), "%c.csv", 'a' + f);
        spit(in, name, text.data);
        wr_buf_fini(&text);
    }
}

static void plan_fs_source(wr_operator_spec *spec, const char *sub)
{
    char path[160];
    snprintf(path, sizeof(path), "path=%s/%s", tmp_dir, sub);
    const char *kv[] = {"connector=filesystem", path, "format=csv"};
    wr_schema *schema = id_name_schema();
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 3, spec, &err), 0, "%s", err.msg);
    wr_schema_free(schema);
}

Test(fs_source, restore_continues_at_the_offset, .init = fs_init, .fini = tmp_fini)
{
    /* Batches hold 1024 rows: three runs stop inside b.csv (a.csv has 2500 lines). */
    enum { N = 2500 };
    write_inputs(N);
    wr_operator_spec spec;
    plan_fs_source(&spec, "in");
    int counts[3 * N + 1];
    memset(counts, 0, sizeof(counts));

    source_run run;
    source_start(&run, &spec, 0, 1, NULL);
    cr_assert_eq(source_run_for(&run, 3), WR_SOURCE_MORE);
    cr_assert_eq(run.cap.rows, 3 * 1024);
    count_ids(&run.cap, counts, 3 * N);
    wr_snapshot snap = {0};
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run.op->ops->snapshot(run.op, 1, &snap, &err), 0, "%s", err.msg);
    cr_assert_eq(snap.nparts, 1);
    /* Rows after the snapshot are lost with the crash: the restored source replays them. */
    source_run_for(&run, 1);
    source_stop(&run);

    source_start(&run, &spec, 0, 1, &snap);
    cr_assert_eq(source_run_for(&run, -1), WR_SOURCE_END);
    cr_assert_eq(run.cap.rows, 3 * N - 3 * 1024);
    count_ids(&run.cap, counts, 3 * N);
    for (int id = 1; id <= 3 * N; id++) cr_assert_eq(counts[id], 1, "id %d: %d", id, counts[id]);
    source_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_source, restore_per_subtask_and_line_numbers, .init = fs_init, .fini = tmp_fini)
{
    enum { N = 1500 };
    write_inputs(N);
    char bad[160];
    snprintf(bad, sizeof(bad), "%s/in", tmp_dir);
    /* A bad line near the end of c.csv (read by subtask 0 of 2 with a.csv). */
    char *c = slurp(bad, "c.csv");
    size_t len = strlen(c);
    char *text = malloc(len + 32);
    memcpy(text, c, len);
    strcpy(text + len, "x,bad\n");
    spit(bad, "c.csv", text);
    free(text);
    free(c);
    wr_operator_spec spec;
    plan_fs_source(&spec, "in");

    /* Subtask 0 reads a.csv whole and part of c.csv, then snapshots. */
    source_run run;
    source_start(&run, &spec, 0, 2, NULL);
    source_run_for(&run, 2);
    cr_assert_eq(run.cap.rows, 2048);
    wr_snapshot snap = {0};
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run.op->ops->snapshot(run.op, 1, &snap, &err), 0, "%s", err.msg);
    source_stop(&run);

    source_start(&run, &spec, 0, 2, &snap);
    wr_source_status status;
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++) {
        rc = run.op->ops->run(run.op, &status, &err);
        if (rc == 0 && status == WR_SOURCE_END) break;
    }
    /* The line number counts the lines before the restored offset. */
    cr_assert_eq(rc, WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "c.csv', line 1501: ") != NULL, "%s", err.msg);
    source_stop(&run);

    /* A finished subtask emits nothing; damaged state fails at create. */
    wr_snapshot none = {0};
    source_start(&run, &spec, 1, 2, &none);
    source_stop(&run);
    wr_op_ctx ctx;
    capture cap;
    capture_init(&cap);
    ctx_init(&ctx, 1, 2, &cap.base);
    wr_restore finished = {.checkpoint = 1, .finished = true};
    ctx.restore = &finished;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_eq(spec.ops->run(op, &status, &err), 0);
    cr_assert_eq(status, WR_SOURCE_END);
    cr_assert_eq(cap.rows, 0);
    spec.ops->destroy(op);
    snap.parts[0].data.len--;
    const wr_snapshot_part *parts[] = {&snap.parts[0]};
    wr_restore damaged = {.checkpoint = 1, .parts = parts, .nparts = 1};
    ctx.restore = &damaged;
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "operator state of subtask 1 in checkpoint 1 is damaged"), "%s",
              err.msg);
    capture_fini(&cap);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_source, a_shorter_file_is_an_error, .init = fs_init, .fini = tmp_fini)
{
    enum { N = 2000 };
    write_inputs(N);
    wr_operator_spec spec;
    plan_fs_source(&spec, "in/a.csv");
    source_run run;
    source_start(&run, &spec, 0, 1, NULL);
    source_run_for(&run, 1);
    wr_snapshot snap = {0};
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run.op->ops->snapshot(run.op, 1, &snap, &err), 0, "%s", err.msg);
    source_stop(&run);
    char in[160];
    snprintf(in, sizeof(in), "%s/in", tmp_dir);
    spit(in, "a.csv", "1,n1\n");

    source_start(&run, &spec, 0, 1, &snap);
    wr_source_status status;
    cr_assert_eq(run.op->ops->run(run.op, &status, &err), WR_ERR_IO);
    cr_assert(strstr(err.msg, "a.csv' has 5 bytes, fewer than the") != NULL, "%s", err.msg);
    source_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

/* ---- partitioned tables ------------------------------------------------------------ */

/* (id BIGINT, p STRING, name STRING) PARTITIONED BY (p). */
static wr_schema *partitioned_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,p,name", types);
    int keys[] = {1};
    wr_schema_set_partition_keys(schema, keys, 1);
    return schema;
}

/* Rows (id, p, "n<id>"), one per id; p NULL where ps[i] is NULL. */
static void write_partitioned(sink_run *run, const int64_t *ids, const char *const *ps, int n)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_batch *batch = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    for (int i = 0; i < n; i++) {
        int r = batch->count++;
        ((int64_t *)batch->cols[0].data)[r] = ids[i];
        if (ps[i])
            ((wr_str *)batch->cols[1].data)[r] = wr_batch_str(batch, ps[i], strlen(ps[i]));
        else
            wr_batch_set_null(batch, 1, r);
        char text[32];
        snprintf(text, sizeof(text), "n%lld", (long long)ids[i]);
        ((wr_str *)batch->cols[2].data)[r] = wr_batch_str(batch, text, strlen(text));
    }
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run->op->ops->process(run->op, 0, batch, &err), 0, "%s", err.msg);
    wr_batch_free(batch);
}

static void plan_partitioned_sink(wr_operator_spec *spec)
{
    char path[160];
    snprintf(path, sizeof(path), "path=%s", out_dir);
    const char *kv[] = {"connector=filesystem", path, "format=csv"};
    wr_schema *schema = partitioned_schema();
    wr_error err;
    cr_assert_eq(plan_table_sink("filesystem", schema, kv, 3, spec, &err), 0, "%s", err.msg);
    wr_schema_free(schema);
}

/* out_dir/sub as a path. */
static const char *in_out(const char *sub)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
    return path;
}

Test(fs_partitioned, sink_writes_partition_directories, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_partitioned_sink(&spec);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    int64_t ids[] = {1, 2, 3, 4, 5};
    const char *ps[] = {"a", NULL, "a", "x/y=z", ""};
    write_partitioned(&run, ids, ps, 5);
    /* One directory per value, escaped as Flink does; NULL and '' are the default partition. */
    cr_assert_str_eq(names(out_dir, false), "p=__DEFAULT_PARTITION__ p=a p=x%2Fy%3Dz");
    cr_assert_str_eq(names(in_out("p=a"), true), ".part-0-0.inprogress");
    cr_assert_str_eq(names(in_out("p=__DEFAULT_PARTITION__"), true), ".part-0-1.inprogress");
    cr_assert_str_eq(names(in_out("p=x%2Fy%3Dz"), true), ".part-0-2.inprogress");
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    int64_t more[] = {6};
    const char *mps[] = {"a"};
    write_partitioned(&run, more, mps, 1); /* belongs to checkpoint 2 */
    sink_done(&run, 1);
    /* The partition column is not in the files. */
    cr_assert_str_eq(names(in_out("p=a"), false), "part-0-0");
    cr_assert_str_eq(visible_text(in_out("p=a")), "1,n1\n3,n3\n");
    cr_assert_str_eq(names(in_out("p=a"), true), ".part-0-3.inprogress");
    cr_assert_str_eq(visible_text(in_out("p=__DEFAULT_PARTITION__")), "2,n2\n5,n5\n");
    cr_assert_str_eq(visible_text(in_out("p=x%2Fy%3Dz")), "4,n4\n");
    sink_end(&run);
    cr_assert_str_eq(names(in_out("p=a"), false), "part-0-0 part-0-3");
    cr_assert_str_eq(names(in_out("p=a"), true), "");
    sink_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);

    /* Read back: the partition column comes from the directory names. */
    char path[160];
    snprintf(path, sizeof(path), "path=%s", out_dir);
    const char *kv[] = {"connector=filesystem", path, "format=csv"};
    wr_schema *schema = partitioned_schema();
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 3, &spec, &err), 0, "%s", err.msg);
    source_run src;
    source_start(&src, &spec, 0, 1, NULL);
    cr_assert_eq(source_run_for(&src, -1), WR_SOURCE_END);
    cr_assert_eq(src.cap.rows, 6);
    const char *want_p[7] = {NULL, "a", NULL, "a", "x/y=z", NULL, "a"};
    bool seen[7] = {false};
    for (int b = 0; b < src.cap.nbatches; b++) {
        const wr_batch *batch = src.cap.batches[b];
        for (int r = 0; r < batch->count; r++) {
            int64_t id = ((const int64_t *)batch->cols[0].data)[r];
            cr_assert(id >= 1 && id <= 6 && !seen[id], "id %lld", (long long)id);
            seen[id] = true;
            wr_str name = ((const wr_str *)batch->cols[2].data)[r];
            char want[16];
            snprintf(want, sizeof(want), "n%lld", (long long)id);
            cr_assert(name.len == strlen(want) && memcmp(name.ptr, want, name.len) == 0);
            if (want_p[id] == NULL) {
                cr_assert(wr_vector_is_null(&batch->cols[1], r), "id %lld", (long long)id);
            } else {
                cr_assert(!wr_vector_is_null(&batch->cols[1], r));
                wr_str p = ((const wr_str *)batch->cols[1].data)[r];
                cr_assert(p.len == strlen(want_p[id]) && memcmp(p.ptr, want_p[id], p.len) == 0,
                          "id %lld: p '%.*s'", (long long)id, (int)p.len, p.ptr);
            }
        }
    }
    source_stop(&src);
    wr_operator_spec_fini(&spec);

    /* A projection that puts the partition column first and reads one file column. */
    int cols[] = {1, 0};
    wr_scan_request req = {.columns = cols, .ncolumns = 2};
    cr_assert_eq(plan_source_request("filesystem", schema, kv, 3, &req, &spec, &err), 0, "%s",
                 err.msg);
    source_start(&src, &spec, 0, 1, NULL);
    cr_assert_eq(source_run_for(&src, -1), WR_SOURCE_END);
    cr_assert_eq(src.cap.rows, 6);
    int nulls = 0;
    for (int b = 0; b < src.cap.nbatches; b++) {
        const wr_batch *batch = src.cap.batches[b];
        cr_assert_eq(batch->ncols, 2);
        for (int r = 0; r < batch->count; r++) {
            int64_t id = ((const int64_t *)batch->cols[1].data)[r];
            cr_assert(id >= 1 && id <= 6);
            cr_assert_eq(wr_vector_is_null(&batch->cols[0], r), want_p[id] == NULL, "id %lld",
                         (long long)id);
            nulls += want_p[id] == NULL;
        }
    }
    cr_assert_eq(nulls, 2);
    source_stop(&src);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(fs_partitioned, restore_commits_and_aborts_per_directory, .init = fs_init, .fini = tmp_fini)
{
    wr_operator_spec spec;
    plan_partitioned_sink(&spec);
    sink_run run;
    sink_start(&run, &spec, 0, 1, NULL, 0);
    int64_t ids[] = {1, 2};
    const char *ps[] = {"a", "b"};
    write_partitioned(&run, ids, ps, 2);
    wr_snapshot snap;
    sink_snapshot(&run, 1, &snap);
    int64_t later[] = {3, 4};
    const char *lps[] = {"b", "c"};
    write_partitioned(&run, later, lps, 2);
    sink_stop(&run); /* crash before checkpoint 1 completes */
    cr_assert_str_eq(names(in_out("p=c"), true), ".part-0-3.inprogress");

    sink_start(&run, &spec, 0, 1, &snap, 1);
    /* The checkpoint's files are committed; those written after it are removed. */
    cr_assert_str_eq(visible_text(in_out("p=a")), "1,n1\n");
    cr_assert_str_eq(visible_text(in_out("p=b")), "2,n2\n");
    cr_assert_str_eq(names(in_out("p=b"), true), "");
    cr_assert_str_eq(names(in_out("p=c"), true), "");
    write_partitioned(&run, later, lps, 2);
    sink_end(&run);
    cr_assert_str_eq(visible_text(in_out("p=b")), "2,n2\n3,n3\n");
    cr_assert_str_eq(visible_text(in_out("p=c")), "4,n4\n");
    sink_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_partitioned, typed_values_and_errors, .init = fs_init, .fini = tmp_fini)
{
    /* (v STRING, k INT) PARTITIONED BY (k), read from directories written by hand. */
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_INT, true)};
    wr_schema *schema = schema_of("v,k", types);
    int keys[] = {1};
    wr_schema_set_partition_keys(schema, keys, 1);
    char dir[200];
    snprintf(dir, sizeof(dir), "%s/t", tmp_dir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/k=-7", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    spit(sub, "part-0-0", "x\ny\n");
    spit(sub, ".part-0-1.inprogress", "hidden\n");
    snprintf(sub, sizeof(sub), "%s/other", dir); /* not k=...: skipped */
    cr_assert_eq(mkdir(sub, 0700), 0);
    spit(sub, "f", "skipped\n");
    char path[220];
    snprintf(path, sizeof(path), "path=%s", dir);
    const char *kv[] = {"connector=filesystem", path, "format=csv"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 3, &spec, &err), 0, "%s", err.msg);
    source_run src;
    source_start(&src, &spec, 0, 1, NULL);
    cr_assert_eq(source_run_for(&src, -1), WR_SOURCE_END);
    cr_assert_eq(src.cap.rows, 2);
    const wr_batch *batch = src.cap.batches[0];
    cr_assert_eq(((const int32_t *)batch->cols[1].data)[0], -7);
    cr_assert_eq(((const int32_t *)batch->cols[1].data)[1], -7);
    source_stop(&src);
    wr_operator_spec_fini(&spec);

    /* A value that is not of the column's type fails at planning, naming the directory. */
    snprintf(sub, sizeof(sub), "%s/k=abc", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    spit(sub, "part-0-0", "z\n");
    cr_assert_eq(plan_source("filesystem", schema, kv, 3, &spec, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "partition directory '") && strstr(err.msg, "/t/k=abc'"), "%s",
              err.msg);
    cr_assert(strstr(err.msg, "abc"), "%s", err.msg);

    /* Every column a partition column: nothing left for the files. */
    int both[] = {0, 1};
    wr_schema_set_partition_keys(schema, both, 2);
    cr_assert_eq(plan_table_sink("filesystem", schema, kv, 3, &spec, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "every column of the table is a partition column"), "%s", err.msg);
    wr_schema_free(schema);
}

/* ---- source: monitoring a directory ---------------------------------------------- */

/* Runs the source until it reports IDLE (it has read everything it found). */
static void source_run_to_idle(source_run *run)
{
    wr_source_status status = WR_SOURCE_MORE;
    for (int i = 0; status != WR_SOURCE_IDLE; i++) {
        cr_assert(i < 100000, "source never idles");
        wr_error err;
        wr_error_init(&err);
        cr_assert_eq(run->op->ops->run(run->op, &status, &err), 0, "%s", err.msg);
        cr_assert_neq(status, WR_SOURCE_END, "a monitored source must not end");
        if (status == WR_SOURCE_IDLE) cr_assert_gt(run->ctx.idle_until_ns, 0);
    }
}

/* Writes ids from..to as "id,n<id>" lines into tmp_dir/in/<name>. */
static void write_ids(const char *name, int from, int to)
{
    char in[128];
    snprintf(in, sizeof(in), "%s/in", tmp_dir);
    wr_buf text;
    wr_buf_init(&text);
    for (int i = from; i <= to; i++) wr_buf_printf(&text, "%d,n%d\n", i, i);
    spit(in, name, text.data);
    wr_buf_fini(&text);
}

static void plan_monitored_source(wr_operator_spec *spec)
{
    char path[160];
    snprintf(path, sizeof(path), "path=%s/in", tmp_dir);
    const char *kv[] = {"connector=filesystem", path, "format=csv", "source.monitor-interval=1 ms"};
    wr_schema *schema = id_name_schema();
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 4, spec, &err), 0, "%s", err.msg);
    cr_assert_not(spec->bounded);
    wr_schema_free(schema);
}

Test(fs_source, monitoring_reads_new_files_once_and_rescales, .init = fs_init, .fini = tmp_fini)
{
    enum { N = 1500, MAX = 6 * N };
    write_inputs(N); /* a.csv, b.csv, c.csv: ids 1..3N */
    wr_operator_spec spec;
    plan_monitored_source(&spec);
    int counts[MAX + 1];
    memset(counts, 0, sizeof(counts));

    source_run run;
    source_start(&run, &spec, 0, 1, NULL);
    source_run_to_idle(&run);
    cr_assert_eq(run.cap.rows, 3 * N);
    /* Files written later are found by the next listing; hidden and in-progress ones not. */
    write_ids("d.csv", 3 * N + 1, 4 * N);
    write_ids(".e.csv.inprogress", 1, 10);
    write_ids("_f.csv", 1, 10);
    usleep(5000);
    source_run_to_idle(&run);
    cr_assert_eq(run.cap.rows, 4 * N);
    /* Nothing new: the next listings find nothing. */
    usleep(5000);
    source_run_to_idle(&run);
    cr_assert_eq(run.cap.rows, 4 * N);
    count_ids(&run.cap, counts, MAX);
    wr_snapshot snap = {0};
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run.op->ops->snapshot(run.op, 1, &snap, &err), 0, "%s", err.msg);
    source_stop(&run);
    cr_assert(spec.ops->union_state);

    /* Restored at parallelism 2 (every subtask gets the old part): nothing is read twice, and
     * each file written since is read by exactly one subtask. */
    write_ids("g.csv", 4 * N + 1, 5 * N);
    write_ids("h.csv", 5 * N + 1, 6 * N);
    source_run runs[2];
    for (int s = 0; s < 2; s++) {
        source_start(&runs[s], &spec, s, 2, &snap);
        runs[s].restore.rescaled = true;
        source_run_to_idle(&runs[s]);
        count_ids(&runs[s].cap, counts, MAX);
    }
    for (int id = 1; id <= MAX; id++) cr_assert_eq(counts[id], 1, "id %d: %d", id, counts[id]);
    cr_assert_eq(runs[0].cap.rows + runs[1].cap.rows, 2 * N);
    for (int s = 0; s < 2; s++) source_stop(&runs[s]);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(fs_source, monitoring_continues_inside_a_file_and_finds_partitions, .init = fs_init,
     .fini = tmp_fini)
{
    /* A partitioned table (v STRING, k INT) PARTITIONED BY (k) monitored: a restored subtask
     * continues at its offset, then a new partition directory appears. */
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_INT, true)};
    wr_schema *schema = schema_of("v,k", types);
    int keys[] = {1};
    wr_schema_set_partition_keys(schema, keys, 1);
    char dir[200], sub[256];
    snprintf(dir, sizeof(dir), "%s/t", tmp_dir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/k=1", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    wr_buf text;
    wr_buf_init(&text);
    for (int i = 0; i < 3000; i++) wr_buf_printf(&text, "a%d\n", i);
    spit(sub, "part-0-0", text.data);
    wr_buf_fini(&text);
    char path[220];
    snprintf(path, sizeof(path), "path=%s", dir);
    const char *kv[] = {"connector=filesystem", path, "format=csv", "source.monitor-interval=1 ms"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 4, &spec, &err), 0, "%s", err.msg);

    source_run run;
    source_start(&run, &spec, 0, 1, NULL);
    source_run_for(&run, 1);
    cr_assert_eq(run.cap.rows, 1024);
    wr_snapshot snap = {0};
    cr_assert_eq(run.op->ops->snapshot(run.op, 1, &snap, &err), 0, "%s", err.msg);
    source_stop(&run);

    source_start(&run, &spec, 0, 1, &snap);
    source_run_to_idle(&run);
    cr_assert_eq(run.cap.rows, 3000 - 1024);
    snprintf(sub, sizeof(sub), "%s/k=2", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    spit(sub, "part-0-0", "b0\nb1\n");
    usleep(5000);
    source_run_to_idle(&run);
    cr_assert_eq(run.cap.rows, 3000 - 1024 + 2);
    const wr_batch *last = run.cap.batches[run.cap.nbatches - 1];
    cr_assert_eq(last->count, 2);
    for (int r = 0; r < 2; r++) {
        wr_buf row;
        wr_buf_init(&row);
        wr_batch_format_row(last, r, &row);
        cr_assert_str_eq(row.data, r == 0 ? "+I[b0, 2]" : "+I[b1, 2]");
        wr_buf_fini(&row);
    }
    /* A listing that fails (the directory gone) fails the job, naming it. */
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    usleep(5000);
    wr_source_status status;
    int rc = run.op->ops->run(run.op, &status, &err);
    cr_assert_eq(rc, WR_ERR_IO);
    cr_assert(strstr(err.msg, "monitoring") && strstr(err.msg, "/t"), "%s", err.msg);
    source_stop(&run);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(fs_source, monitoring_option_errors, .init = fs_init, .fini = tmp_fini)
{
    write_inputs(1);
    wr_schema *schema = id_name_schema();
    char dir[160], file[160];
    snprintf(dir, sizeof(dir), "path=%s/in", tmp_dir);
    snprintf(file, sizeof(file), "path=%s/in/a.csv", tmp_dir);
    struct {
        const char *path, *interval, *want;
    } cases[] = {
        {dir, "source.monitor-interval=0 s", "expected a positive duration"},
        {dir, "source.monitor-interval=soon", "source.monitor-interval"},
        {file, "source.monitor-interval=1 s", "needs a directory to monitor"},
        {"path=-", "source.monitor-interval=1 s", "not standard input"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"connector=filesystem", cases[i].path, "format=csv", cases[i].interval};
        wr_operator_spec spec;
        wr_error err;
        cr_assert_eq(plan_source("filesystem", schema, kv, 4, &spec, &err), WR_ERR_VALIDATION,
                     "case %zu", i);
        cr_assert(strstr(err.msg, cases[i].want), "case %zu: %s", i, err.msg);
    }
    wr_schema_free(schema);
}
