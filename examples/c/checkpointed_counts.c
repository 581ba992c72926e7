/*
 * checkpointed_counts.c — a stateful job that survives crashes exactly once.
 *
 *   build/examples/checkpointed_counts OUT_DIR CHECKPOINT_DIR [ROWS]
 *
 * Reads ids 1..ROWS (default 20000) from datagen at 4000 rows/s, counts them
 * per key (id % 10) with a rolling reduce (keyed state), and writes every
 * updated count as "key,count" lines to the filesystem sink in OUT_DIR,
 * which makes files visible only when the checkpoint covering them
 * completes. Checkpoints go to CHECKPOINT_DIR every 200 ms. Started again
 * after a crash, it resumes from the newest complete checkpoint there: the
 * visible output then holds every count of every key exactly once.
 */
#include <weir.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int to_key(void *arg, const weir_row *in, weir_out *out)
{
    weir_set_int(out, 0, weir_row_int(in, 0) % 10);
    weir_set_int(out, 1, 1);
    return 0;
}

static int add(void *arg, const weir_row *acc, const weir_row *in, weir_out *out)
{
    weir_set_int(out, 0, weir_row_int(acc, 0));
    weir_set_int(out, 1, weir_row_int(acc, 1) + weir_row_int(in, 1));
    return 0;
}

/* The newest complete checkpoint under dir (a chk-<id> with _metadata), or NULL. */
static char *newest_checkpoint(const char *dir)
{
    char pattern[4096];
    snprintf(pattern, sizeof(pattern), "%s/checkpointed-counts/chk-*/_metadata", dir);
    glob_t g;
    char *best = NULL;
    long long best_id = -1;
    if (glob(pattern, 0, NULL, &g) != 0) return NULL;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        long long id = atoll(strstr(g.gl_pathv[i], "/chk-") + 5);
        if (id > best_id) {
            best_id = id;
            free(best);
            best = strdup(g.gl_pathv[i]);
        }
    }
    globfree(&g);
    if (best) *strrchr(best, '/') = '\0';
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: checkpointed_counts OUT_DIR CHECKPOINT_DIR [ROWS]\n");
        return 2;
    }
    const char *rows = argc > 3 ? argv[3] : "20000";
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    weir_env_set(env, "execution.checkpointing.interval", "200 ms");
    weir_env_set(env, "state.checkpoints.dir", argv[2]);
    char *from = newest_checkpoint(argv[2]);
    if (from) {
        weir_env_set(env, "execution.savepoint.path", from);
        fprintf(stderr, "checkpointed_counts: resuming from %s\n", from);
        free(from);
    }
    const char *datagen[] = {"connector",
                             "datagen",
                             "rows-per-second",
                             "4000",
                             "fields.id.kind",
                             "sequence",
                             "fields.id.start",
                             "1",
                             "fields.id.end",
                             rows,
                             NULL};
    weir_stream *ids = weir_from_connector(env, "id BIGINT", datagen);
    weir_stream *ones = weir_map(ids, "k BIGINT, n BIGINT", to_key, NULL);
    weir_stream *counts = weir_reduce(weir_key_by(ones, "k"), add, NULL);
    const char *sink[] = {"connector", "filesystem", "path", argv[1], "format", "csv", NULL};
    weir_to_connector(counts, sink);
    int rc = weir_execute(env, "checkpointed-counts");
    if (rc) fprintf(stderr, "checkpointed_counts: %s\n", weir_env_error(env));
    weir_env_free(env);
    return rc ? 1 : 0;
}
