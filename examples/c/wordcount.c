/*
 * wordcount.c — the bounded word count of the DataStream API.
 *
 *   build/examples/wordcount FILE
 *
 * Reads FILE, splits it into words (maximal runs of ASCII letters,
 * lower-cased), keys by word and sums the counts with a reduce at
 * parallelism 2. The job runs in batch mode, so the reduce emits only the
 * final count of each word: one "word count" line per distinct word.
 */
#include <weir.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

static int split(void *arg, const weir_row *line, weir_ctx *ctx)
{
    size_t len;
    const char *s = weir_row_str(line, 0, &len);
    size_t i = 0;
    while (i < len) {
        while (i < len && !isalpha((unsigned char)s[i])) i++;
        size_t start = i;
        char word[256];
        size_t n = 0;
        while (i < len && isalpha((unsigned char)s[i])) {
            if (n < sizeof(word)) word[n++] = (char)tolower((unsigned char)s[i]);
            i++;
        }
        if (i == start) break;
        weir_out *out = weir_output(ctx);
        weir_set_str(out, 0, word, n);
        weir_set_int(out, 1, 1);
        if (weir_emit(out)) return -1;
    }
    return 0;
}

static int sum(void *arg, const weir_row *acc, const weir_row *in, weir_out *out)
{
    size_t len;
    const char *word = weir_row_str(acc, 0, &len);
    weir_set_str(out, 0, word, len);
    weir_set_int(out, 1, weir_row_int(acc, 1) + weir_row_int(in, 1));
    return 0;
}

static int print(void *arg, const weir_row *row, weir_ctx *ctx)
{
    size_t len;
    const char *word = weir_row_str(row, 0, &len);
    printf("%.*s %" PRId64 "\n", (int)len, word, weir_row_int(row, 1));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: wordcount FILE\n");
        return 2;
    }
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    weir_env_set(env, "execution.runtime-mode", "batch");
    weir_stream *lines = weir_from_text_file(env, argv[1]);
    weir_stream *words = weir_flat_map(lines, "word STRING, n BIGINT", split, NULL);
    weir_stream *counts = weir_reduce(weir_key_by(words, "word"), sum, NULL);
    weir_sink_callback(counts, print, NULL);
    int rc = weir_execute(env, "wordcount");
    if (rc) fprintf(stderr, "wordcount: %s\n", weir_env_error(env));
    weir_env_free(env);
    return rc ? 1 : 0;
}
