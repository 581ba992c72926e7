/*
 * filesystem.c — the 'filesystem' connector (Flink's): a source and an exactly-once sink;
 * and a CSV file sink for the C API.
 *
 * The source reads a file, the visible files of a directory, or standard
 * input ('-', a Weir extension), in 1 MiB reads, splits the bytes into lines
 * and decodes each line with the table's format (csv, json or raw) straight
 * into the output batch; with a changelog format (debezium-json, canal-json) a line is a
 * change event and the rows carry its change kinds. The files are listed when the scan is planned,
 * so a missing path fails at CREATE TABLE; each subtask reads its share of them (file i goes to
 * subtask i % parallelism) and ends when they are read. With 'source.monitor-interval' the source
 * is unbounded instead: each subtask lists the path again at that interval and reads the files it
 * has not seen, a file going to the subtask its path hashes to. Its operator state is its position:
 * the files it has read and the offset in the current one.
 *
 * The sink writes hidden part files and makes them visible by renaming them
 * only once a checkpoint covering their rows is durable (two-phase commit,
 * as Flink's FileSink), so visible files never hold rows a restore would
 * replay. docs/checkpoints.md describes the protocol and the file names.
 */
#include "connector_int.h"
#include "filesystem.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../formats/canal.h"
#include "../formats/debezium.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Both roles accept every option (as Flink's factory): a table may be read and written. */
#define FS_SINK_OPTION_NAMES                                                                       \
    "source.monitor-interval, sink.rolling-policy.file-size, "                                     \
    "sink.rolling-policy.rollover-interval, sink.rolling-policy.inactivity-interval, "             \
    "sink.rolling-policy.check-interval, sink.parallelism"
#define FS_SUPPORTED_CSV "connector, path, format, " WR_CSV_OPTION_NAMES ", " FS_SINK_OPTION_NAMES
#define FS_SUPPORTED_JSON "connector, path, format, " WR_JSON_OPTION_NAMES ", " FS_SINK_OPTION_NAMES
#define FS_SUPPORTED_RAW "connector, path, format, " FS_SINK_OPTION_NAMES
#define FS_SUPPORTED_DEBEZIUM                                                                      \
    "connector, path, format, " WR_DEBEZIUM_OPTION_NAMES ", " FS_SINK_OPTION_NAMES
#define FS_SUPPORTED_CANAL                                                                         \
    "connector, path, format, " WR_CANAL_OPTION_NAMES ", " FS_SINK_OPTION_NAMES

/* Flink's defaults for the rolling policy: 128 MB files, rolled after 30 minutes or 30
 * minutes without writes, checked every minute. */
#define FS_DEFAULT_FILE_SIZE (128LL << 20)
#define FS_DEFAULT_ROLLOVER_MS (30LL * 60 * 1000)
#define FS_DEFAULT_INACTIVITY_MS (30LL * 60 * 1000)
#define FS_DEFAULT_CHECK_MS (60LL * 1000)

/* Bytes asked of each read(2); also the reader's initial buffer. */
#define FS_READ_CHUNK (1 << 20)
/* A monitored source that found nothing new looks again after at most this long. */
#define FS_MONITOR_MAX_WAIT_NS (100 * 1000000LL)
/* Records one run() consumes at most, so that a run of skipped lines stays short. */
#define FS_RUN_LINES 65536
/* The sinks write once this much is buffered. */
#define FS_SINK_FLUSH (64 << 10)

/* The changelog formats come last: a line is a change event, its rows carry change kinds. */
enum { FORMAT_CSV = 0, FORMAT_RAW = 1, FORMAT_JSON = 2, FORMAT_DEBEZIUM = 3, FORMAT_CANAL = 4 };
static const char *const format_names[] = {"csv",           "raw",        "json",
                                           "debezium-json", "canal-json", NULL};

static bool is_changelog(int format)
{
    return format == FORMAT_DEBEZIUM || format == FORMAT_CANAL;
}

/* ---- partitions ------------------------------------------------------------------ */

/*
 * A partitioned table (PARTITIONED BY) keeps its rows in directories named after the
 * partition values, one level per key: <path>/<k1>=<v1>/<k2>=<v2>/part-..., as Flink's
 * filesystem connector; the files hold the other columns only. A value is its CSV text;
 * NULL and the empty string are Flink's default partition name.
 */
#define FS_DEFAULT_PARTITION "__DEFAULT_PARTITION__"

/* Flink's escaped characters in a directory name: controls, separators, wildcards. */
static bool escaped_char(unsigned char c)
{
    return c < 0x20 || c == 0x7f || (c && strchr("\"#%'*/:=?\\{[]^", c) != NULL);
}

/* Appends name to out with the characters a directory name must not hold as %XX. */
static void put_escaped(wr_buf *out, const char *name, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t plain = 0; /* name[plain..i) waits to be appended as it is */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        /* A digit or letter never is: the usual partition value costs no lookup. */
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            !escaped_char(c))
            continue;
        wr_buf_append(out, name + plain, i - plain);
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        wr_buf_append(out, esc, 3);
        plain = i + 1;
    }
    wr_buf_append(out, name + plain, len - plain);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Appends the value a directory name escapes (a '%' not followed by two hex digits stays). */
static void put_unescaped(wr_buf *out, const char *name)
{
    for (const char *p = name; *p; p++) {
        int hi = p[0] == '%' ? hex_digit(p[1]) : -1, lo = hi >= 0 ? hex_digit(p[2]) : -1;
        if (lo < 0) {
            wr_buf_putc(out, *p);
            continue;
        }
        wr_buf_putc(out, (char)(hi * 16 + lo));
        p += 2;
    }
}

/* The index of column c among the schema's partition keys, or -1. */
static int partition_index(const wr_schema *schema, int c)
{
    for (int k = 0; k < schema->npartition_keys; k++)
        if (schema->partition_keys[k] == c) return k;
    return -1;
}

/* The columns the files of a partitioned table hold: all but the partition keys. */
static wr_schema *file_schema(const wr_schema *schema)
{
    wr_schema *files = wr_schema_new();
    for (int c = 0; c < schema->ncols; c++)
        if (partition_index(schema, c) < 0)
            wr_schema_add(files, schema->names[c], schema->types[c]);
    return files;
}

/*
 * Partition columns are written as CSV text into directory names, so their types are the
 * ones CSV supports; and some column must be left for the files. Errors are `code` at pos.
 */
static int check_partitions(const wr_schema *schema, int code, int pos, wr_error *err)
{
    char tname[64];
    if (schema->npartition_keys == schema->ncols)
        return wr_error_set_at(err, code, pos,
                               "every column of the table is a partition column: the filesystem "
                               "connector needs at least one column to write into files");
    for (int k = 0; k < schema->npartition_keys; k++) {
        int c = schema->partition_keys[k];
        if (!wr_csv_supports((wr_type_id)schema->types[c].id))
            return wr_error_set_at(
                err, code, pos, "partition column '%s' of type %s cannot name a directory",
                schema->names[c], wr_type_name(schema->types[c], tname, sizeof(tname)));
    }
    return 0;
}

/* ---- operator state encoding ------------------------------------------------- */

/*
 * Operator state is little-endian and fixed width, starting with a 4-byte
 * tag and a u32 version, so that a part handed to the wrong operator or
 * written by another version is named instead of misread.
 */
#define FS_STATE_VERSION 1

static void put_str(wr_buf *buf, const char *s)
{
    size_t n = strlen(s);
    wr_buf_put_u32(buf, (uint32_t)n);
    wr_buf_append(buf, s, n);
}

/* This subtask's operator state in a restore: its one part with keygroup -1, or NULL. */
static const wr_snapshot_part *restored_part(const wr_restore *r)
{
    for (int k = 0; r && k < r->nparts; k++)
        if (r->parts[k]->keygroup < 0) return r->parts[k];
    return NULL;
}

static void put_header(wr_buf *buf, const char *tag)
{
    wr_buf_append(buf, tag, 4);
    wr_buf_put_u32(buf, FS_STATE_VERSION);
}

/* A string of the state as a new NUL-terminated copy, or NULL when the part ended. */
static char *get_str(wr_buf_reader *c)
{
    uint32_t n = wr_buf_get_u32(c);
    const char *s = wr_buf_take(c, n);
    return s ? wr_strndup(s, n) : NULL;
}

/* Checks the tag and version at the start of a part. */
static bool get_header(wr_buf_reader *c, const char *tag)
{
    const char *t = wr_buf_take(c, 4);
    return t && memcmp(t, tag, 4) == 0 && wr_buf_get_u32(c) == FS_STATE_VERSION;
}

/*
 * A scan's plan. Only the columns it produces are decoded: CSV fields are
 * scanned and skipped unless they have a target column, JSON members of
 * columns not produced are skipped as unknown ones (syntax checked, nothing
 * built), a raw line is not even copied when its column is not produced.
 */
typedef struct fs_spec {
    int format;
    bool is_stdin;
    char **files; /* sorted by name */
    int nfiles;
    wr_schema *schema;  /* the columns files hold: the fields of a CSV record */
    wr_schema *out;     /* the produced columns, in order: the output batch */
    wr_schema *dec;     /* the produced columns files hold, in out's order: the decoded batch,
                         * JSON's members (out itself when the table is not partitioned) */
    int *targets;       /* per column of schema: its column in dec, or -1 */
    wr_csv_options csv; /* null_literal points to null_literal below */
    char *null_literal;
    wr_json_options json;
    wr_debezium_options debezium;
    wr_canal_options canal; /* owned: its compiled expressions */
    /*
     * A partitioned table: per out column, its column in dec or, when it is a partition
     * column, -1 - its index among the partition keys; and row i of parts holds the partition
     * values of files[i] (one column per partition key). NULL when not partitioned.
     */
    int *out_cols;
    wr_batch *parts;
    /* 'source.monitor-interval' (0: list once, bounded), and what listing again needs: the
     * path and the table's columns (for the partition keys). */
    int64_t monitor_ms;
    char *path;
    wr_schema *table;
} fs_spec;

static void fs_spec_free(void *vspec)
{
    fs_spec *spec = vspec;
    if (spec == NULL) return;
    for (int i = 0; i < spec->nfiles; i++) wr_free(spec->files[i]);
    wr_free(spec->files);
    wr_schema_free(spec->schema);
    if (spec->dec != spec->out) wr_schema_free(spec->dec);
    wr_schema_free(spec->out);
    wr_free(spec->targets);
    wr_free(spec->null_literal);
    wr_canal_options_fini(&spec->canal);
    wr_free(spec->out_cols);
    wr_batch_free(spec->parts);
    wr_free(spec->path);
    wr_schema_free(spec->table);
    wr_free(spec);
}

/* ---- the line reader ------------------------------------------------------ */

/*
 * Bytes of one input between buf[start] and buf[end]: the unread part of
 * the last read. A record is always at buf[start]; the buffer grows when a
 * record does not fit.
 */
typedef struct reader {
    int fd; /* -1: closed */
    bool owns_fd;
    bool eof;
    const char *name; /* for messages: the path, or "standard input" */
    char *buf;
    size_t cap, start, end;
    int64_t line;   /* lines consumed */
    int64_t offset; /* bytes consumed: where buf[start] is in the input */
} reader;

static void reader_close(reader *r)
{
    if (r->fd >= 0 && r->owns_fd) close(r->fd);
    r->fd = -1;
}

/*
 * Reads until the record at buf[start] has at least `need` bytes or the
 * input has ended. Moves the record to the front of the buffer and grows
 * the buffer when less than half a read fits. Returns 0 or WR_ERR_IO.
 */
static int reader_fill(reader *r, size_t need, wr_error *err)
{
    while (r->end - r->start < need && !r->eof) {
        size_t have = r->end - r->start;
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, have);
            r->start = 0;
            r->end = have;
        }
        if (r->cap - r->end < FS_READ_CHUNK / 2) {
            r->cap = r->cap ? r->cap * 2 : FS_READ_CHUNK;
            r->buf = wr_realloc(r->buf, r->cap);
        }
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0) {
            if (errno == EINTR) continue;
            const char *q = r->owns_fd ? "'" : ""; /* a path is quoted, standard input not */
            return wr_error_set(err, WR_ERR_IO, "filesystem source: cannot read %s%s%s: %s", q,
                                r->name, q, strerror(errno));
        }
        if (n == 0)
            r->eof = true;
        else
            r->end += (size_t)n;
    }
    return 0;
}

/*
 * Finds the first byte c at or after byte `from` of the record at
 * buf[start], reading more input as needed. Sets *at to its offset from
 * start, or -1 when the input ended first. Returns 0 or WR_ERR_IO.
 */
static int reader_find(reader *r, size_t from, char c, ptrdiff_t *at, wr_error *err)
{
    for (;;) {
        size_t have = r->end - r->start;
        const char *hit = from < have ? memchr(r->buf + r->start + from, c, have - from) : NULL;
        if (hit) {
            *at = hit - (r->buf + r->start);
            return 0;
        }
        if (r->eof) {
            *at = -1;
            return 0;
        }
        from = WR_MAX(from, have);
        int rc = reader_fill(r, have + 1, err);
        if (rc) return rc;
    }
}

/*
 * The record ends inside a quoted field: extends it past the field's
 * closing quote (a lone quote character; pairs stand for one) to the end
 * of that line. *eol is the record's '\n' at entry and the new one (or -1
 * at end of input) at exit. Scans only the bytes after the record, so a
 * stray quote costs one pass over the rest of the input, not one per line.
 */
static int extend_quoted(reader *r, char quote, ptrdiff_t *eol, wr_error *err)
{
    size_t from = (size_t)*eol + 1;
    for (;;) {
        ptrdiff_t at;
        int rc = reader_find(r, from, quote, &at, err);
        if (rc == 0 && at >= 0) rc = reader_fill(r, (size_t)at + 2, err);
        if (rc) return rc;
        if (at < 0) {
            *eol = -1;
            return 0;
        }
        from = (size_t)at + 1;
        if (from < r->end - r->start && r->buf[r->start + from] == quote) {
            from++; /* a doubled quote */
            continue;
        }
        return reader_find(r, from, '\n', eol, err);
    }
}

/* ---- the source ------------------------------------------------------------- */

/*
 * Where a subtask is in one of its inputs: read to the end, or where to
 * start (a restored position). The position of the open input is the reader's.
 */
typedef struct input_pos {
    bool read;
    int64_t offset, line;
} input_pos;

/* One input a subtask knows: a listed file (or standard input) and its row in parts. */
typedef struct fs_input {
    char *name; /* the path; "-" for standard input */
    int part;   /* a partitioned table: the file's row of fs_source.parts */
    input_pos pos;
} fs_input;

typedef struct fs_source {
    wr_operator base;
    const fs_spec *spec;
    wr_batch *batch;    /* decoded rows (spec->dec) */
    wr_batch *out;      /* a partitioned table's output (spec->out); NULL otherwise */
    uint32_t *row_file; /* per row of batch, the part row of the input it came from */
    /* The inputs, sorted by name: the planned listing, and with monitoring the files found
     * since (of this subtask's share only). */
    fs_input *in;
    int nin;
    wr_batch *parts;      /* a partitioned table: the partition values, a row per file */
    int next;             /* next index into in to consider */
    int cur;              /* index of the open input, or -1 */
    bool done;            /* every input of this subtask is read (for good unless monitoring) */
    int64_t next_list_ms; /* monitoring: when to list the path again (wall clock) */
    reader r;
    int64_t skipped; /* lines dropped by <format>.ignore-parse-errors */
} fs_source;

static wr_operator *fs_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int fs_run(wr_operator *op, wr_source_status *status, wr_error *err);
static int fs_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static void fs_destroy(wr_operator *op);

static const wr_operator_ops fs_ops = {
    .kind = "filesystem",
    .create = fs_create,
    .run = fs_run,
    .snapshot = fs_snapshot,
    .destroy = fs_destroy,
};

/*
 * A monitored source never finishes and owns files by the hash of their path, so its
 * state can move to another parallelism as a union: each new subtask takes what the old
 * ones read of the files it now owns.
 */
static const wr_operator_ops fs_monitor_ops = {
    .kind = "filesystem",
    .create = fs_create,
    .run = fs_run,
    .snapshot = fs_snapshot,
    .union_state = true,
    .destroy = fs_destroy,
};

/* Whether input i (its name) is this subtask's to read. */
static bool owns(const fs_source *src, int i)
{
    const wr_op_ctx *ctx = src->base.ctx;
    int p = ctx->parallelism > 0 ? ctx->parallelism : 1;
    if (src->spec->is_stdin) return ctx->subtask == 0;
    if (src->spec->monitor_ms == 0) return i % p == ctx->subtask;
    const char *name = src->in[i].name;
    return (int)(wr_hash_bytes(name, strlen(name)) % (uint64_t)p) == ctx->subtask;
}

/* The input called name, or -1 (inputs are sorted by name). */
static int find_input(const fs_source *src, const char *name)
{
    int lo = 0, hi = src->nin - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(src->in[mid].name, name);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int by_input_name(const void *a, const void *b)
{
    return strcmp(((const fs_input *)a)->name, ((const fs_input *)b)->name);
}

/*
 * Operator state ("FSRC", version 1): u32 count and the names of the inputs
 * read to the end; u32 count and, per input read in part, its name, u64
 * byte offset and u64 lines before it; u64 lines skipped. Names, not
 * indexes, so that the position survives a change of the listing order.
 */
static int fs_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    fs_source *src = (fs_source *)op;
    wr_buf *buf = wr_snapshot_add(out, -1);
    put_header(buf, "FSRC");
    int nread = 0, npart = 0;
    for (int i = 0; i < src->nin; i++) {
        nread += src->in[i].pos.read;
        npart += !src->in[i].pos.read && (i == src->cur || src->in[i].pos.offset > 0);
    }
    wr_buf_put_u32(buf, (uint32_t)nread);
    for (int i = 0; i < src->nin; i++)
        if (src->in[i].pos.read) put_str(buf, src->in[i].name);
    wr_buf_put_u32(buf, (uint32_t)npart);
    for (int i = 0; i < src->nin; i++) {
        const input_pos *pos = &src->in[i].pos;
        if (pos->read || (i != src->cur && pos->offset == 0)) continue;
        put_str(buf, src->in[i].name);
        wr_buf_put_u64(buf, (uint64_t)(i == src->cur ? src->r.offset : pos->offset));
        wr_buf_put_u64(buf, (uint64_t)(i == src->cur ? src->r.line : pos->line));
    }
    wr_buf_put_u64(buf, (uint64_t)src->skipped);
    return 0;
}

/*
 * Takes a position from one part of a restore. Inputs the state names that are not
 * listed are left alone: a file removed since, or (monitoring) one this subtask has not
 * listed yet, which it then reads whole. After a change of parallelism every subtask reads
 * every old part; only subtask 0 keeps the skipped-lines counts, so their sum survives.
 */
static int fs_restore(fs_source *src, const wr_snapshot_part *part, int64_t checkpoint,
                      bool rescaled, wr_error *err)
{
    wr_buf_reader c = wr_buf_reader_of(part->data.data, part->data.len);
    bool ok = get_header(&c, "FSRC");
    uint32_t nread = ok ? wr_buf_get_u32(&c) : 0;
    for (uint32_t k = 0; k < nread && !c.bad; k++) {
        char *name = get_str(&c);
        int i = name ? find_input(src, name) : -1;
        if (i >= 0) src->in[i].pos.read = true;
        wr_free(name);
    }
    uint32_t npart = ok ? wr_buf_get_u32(&c) : 0;
    for (uint32_t k = 0; k < npart && !c.bad; k++) {
        char *name = get_str(&c);
        int64_t offset = (int64_t)wr_buf_get_u64(&c), line = (int64_t)wr_buf_get_u64(&c);
        int i = name ? find_input(src, name) : -1;
        if (i >= 0 && !c.bad && offset >= 0 && line >= 0)
            src->in[i].pos = (input_pos){.offset = offset, .line = line};
        wr_free(name);
    }
    int64_t skipped = ok ? (int64_t)wr_buf_get_u64(&c) : 0;
    if (!rescaled || src->base.ctx->subtask == 0) src->skipped += skipped;
    if (!ok || c.bad || c.left != 0)
        return wr_error_set(err, WR_ERR_IO,
                            "filesystem source: the operator state of subtask %d in checkpoint "
                            "%lld is damaged or of another version",
                            src->base.ctx->subtask, (long long)checkpoint);
    return 0;
}

/* A copy of a partition values batch with room for `extra` more rows. */
static wr_batch *parts_with_room(const wr_batch *parts, int extra)
{
    wr_type *types = wr_malloc((size_t)WR_MAX(parts->ncols, 1) * sizeof(wr_type));
    for (int c = 0; c < parts->ncols; c++) types[c] = parts->cols[c].type;
    wr_batch *copy = wr_batch_new(types, parts->ncols, WR_MAX(parts->count + extra, 1));
    wr_batch_append_active(copy, parts);
    wr_free(types);
    return copy;
}

static int list_files(fs_spec *spec, const char *path, int code, int pos, wr_error *err);
static int list_partitioned(fs_spec *spec, const wr_schema *schema, const char *path, int code,
                            int pos, wr_error *err);

/* Frees what a listing put into a spec: the files (those not taken) and partition values. */
static void listing_fini(fs_spec *listed)
{
    for (int i = 0; i < listed->nfiles; i++) wr_free(listed->files[i]);
    wr_free(listed->files);
    wr_batch_free(listed->parts);
}

/*
 * Adds the files of a new listing that the subtask does not know yet (taking their names
 * and partition values) and starts over the list for the next unread one it owns.
 */
static void add_inputs(fs_source *src, fs_spec *listed)
{
    uint32_t *fresh = wr_malloc((size_t)WR_MAX(listed->nfiles, 1) * sizeof(uint32_t));
    int nfresh = 0;
    for (int i = 0; i < listed->nfiles; i++)
        if (find_input(src, listed->files[i]) < 0) fresh[nfresh++] = (uint32_t)i;
    if (nfresh > 0) {
        int first_row = src->parts ? src->parts->count : 0;
        src->in = wr_realloc(src->in, (size_t)(src->nin + nfresh) * sizeof(fs_input));
        for (int k = 0; k < nfresh; k++) {
            src->in[src->nin++] =
                (fs_input){.name = listed->files[fresh[k]], .part = first_row + k};
            listed->files[fresh[k]] = NULL;
        }
        if (src->parts) {
            wr_batch *parts = parts_with_room(src->parts, nfresh);
            wr_batch_append_rows(parts, listed->parts, fresh, nfresh);
            wr_batch_free(src->parts);
            src->parts = parts;
        }
        qsort(src->in, (size_t)src->nin, sizeof(fs_input), by_input_name);
        src->next = 0;
        src->done = false;
    }
    wr_free(fresh);
}

/* Lists the monitored path again and adds what is new; the next listing is due after the
 * interval. */
static int list_again(fs_source *src, wr_error *err)
{
    const fs_spec *spec = src->spec;
    src->next_list_ms = wr_clock_wall_ms() + spec->monitor_ms;
    fs_spec listed = {0};
    int rc = spec->parts ? list_partitioned(&listed, spec->table, spec->path, WR_ERR_IO, -1, err)
                         : list_files(&listed, spec->path, WR_ERR_IO, -1, err);
    if (rc == 0) add_inputs(src, &listed);
    listing_fini(&listed);
    if (rc) wr_error_prefix(err, "filesystem source, monitoring '%s': ", spec->path);
    return rc;
}

/* Restored: continues from the checkpoint's position; a finished subtask reads nothing. */
static wr_operator *fs_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const fs_spec *spec = vspec;
    fs_source *src = wr_calloc(1, sizeof(*src));
    src->base.ops = spec->monitor_ms ? &fs_monitor_ops : &fs_ops;
    src->base.ctx = ctx;
    src->spec = spec;
    src->batch = wr_batch_new(spec->dec->types, spec->dec->ncols, WR_BATCH_CAPACITY);
    if (spec->parts) {
        src->out = wr_batch_new(spec->out->types, spec->out->ncols, WR_BATCH_CAPACITY);
        src->row_file = wr_malloc(WR_BATCH_CAPACITY * sizeof(uint32_t));
        src->parts = parts_with_room(spec->parts, 0);
    }
    src->r.fd = -1;
    src->cur = -1;
    /* Standard input is one input. */
    src->nin = spec->is_stdin ? 1 : spec->nfiles;
    src->in = wr_calloc((size_t)WR_MAX(src->nin, 1), sizeof(fs_input));
    for (int i = 0; i < src->nin; i++)
        src->in[i] =
            (fs_input){.name = wr_strdup(spec->is_stdin ? "-" : spec->files[i]), .part = i};
    /* Monitoring lists again at once: files that appeared since planning (among them those
     * a restored state has read) are then known before the restore marks them. */
    if (spec->monitor_ms && list_again(src, err)) {
        fs_destroy(&src->base);
        return NULL;
    }
    const wr_restore *restore = ctx->restore;
    if (restore && restore->finished) src->next = src->nin;
    for (int k = 0; restore && !restore->finished && k < restore->nparts; k++) {
        if (restore->parts[k]->keygroup >= 0) continue;
        if (fs_restore(src, restore->parts[k], restore->checkpoint, restore->rescaled, err)) {
            fs_destroy(&src->base);
            return NULL;
        }
    }
    return &src->base;
}

/*
 * Moves an input just opened to its restored position: seeks (or, on a
 * pipe, reads past) pos->offset bytes. Returns 0, or WR_ERR_IO when the
 * input is shorter than the position.
 */
static int skip_to(reader *r, const input_pos *pos, wr_error *err)
{
    r->line = pos->line;
    r->offset = pos->offset;
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (st.st_size < pos->offset)
            return wr_error_set(err, WR_ERR_IO,
                                "filesystem source: '%s' has %lld bytes, fewer than the %lld "
                                "it had been read to when checkpointed",
                                r->name, (long long)st.st_size, (long long)pos->offset);
        if (lseek(r->fd, pos->offset, SEEK_SET) == pos->offset) return 0;
    }
    for (int64_t left = pos->offset; left > 0;) {
        int rc = reader_fill(r, 1, err);
        if (rc) return rc;
        if (r->end == r->start)
            return wr_error_set(err, WR_ERR_IO,
                                "filesystem source: %s ended before byte %lld, where it had been "
                                "read to when checkpointed",
                                r->name, (long long)pos->offset);
        size_t n = (size_t)WR_MIN((int64_t)(r->end - r->start), left);
        r->start += n;
        left -= (int64_t)n;
    }
    return 0;
}

/* Opens this subtask's next input that is not read yet, or sets done. Returns 0 or WR_ERR_IO. */
static int open_next(fs_source *src, wr_error *err)
{
    const fs_spec *spec = src->spec;
    reader *r = &src->r;
    while (src->next < src->nin && (src->in[src->next].pos.read || !owns(src, src->next)))
        src->next++;
    if (src->next >= src->nin) {
        src->done = true;
        return 0;
    }
    int i = src->next++;
    src->cur = i;
    r->start = r->end = 0;
    r->eof = false;
    r->line = 0;
    r->offset = 0;
    if (spec->is_stdin) {
        r->fd = STDIN_FILENO;
        r->owns_fd = false;
        r->name = "standard input";
    } else {
        r->name = src->in[i].name;
        r->owns_fd = true;
        r->fd = open(r->name, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0)
            return wr_error_set(err, WR_ERR_IO, "filesystem source: cannot open '%s': %s", r->name,
                                strerror(errno));
    }
    return src->in[i].pos.offset > 0 ? skip_to(r, &src->in[i].pos, err) : 0;
}

/* A raw line is the value of the only column. */
static int append_raw(wr_batch *batch, const char *line, size_t len, wr_error *err)
{
    if (len > UINT32_MAX)
        return wr_error_set(err, WR_ERR_PARSE, "line of %zu bytes is too long", len);
    wr_vector *v = &batch->cols[0];
    ((wr_str *)v->data)[batch->count] = wr_batch_str(batch, line, len);
    if (v->validity) wr_validity_set(v->validity, batch->count, true);
    batch->count++;
    return 0;
}

/*
 * Decodes a change event (debezium-json, canal-json) into rows with their kinds. A line may
 * hold more rows than the batch has room for (a canal message of many rows, an update's two
 * rows in the last slot): the full batch is emitted and decoding goes on in the emptied one,
 * within this run, so a checkpoint never falls inside a line (the snapshot's offset is always
 * at a line start). Returns as the decoders (WR_JSON_SKIPPED for a blank or null line, a
 * tombstone), or an emit's error.
 */
static int decode_changes(fs_source *src, const char *line, size_t len, wr_error *err)
{
    const fs_spec *spec = src->spec;
    int next = 0, rc;
    for (;;) {
        rc = spec->format == FORMAT_DEBEZIUM
                 ? wr_debezium_decode(&spec->debezium, spec->dec, line, len, src->batch, err)
                 : wr_canal_decode(&spec->canal, spec->dec, line, len, &next, src->batch, err);
        if (rc != WR_CHANGELOG_FULL) return rc;
        if ((rc = wr_op_emit(src->base.ctx, src->batch, err))) return rc;
        wr_batch_reset(src->batch);
    }
}

/* Whether the format's '<format>.ignore-parse-errors' is set: bad lines are skipped. */
static bool ignores_errors(const fs_spec *spec)
{
    switch (spec->format) {
    case FORMAT_JSON:
        return spec->json.ignore_parse_errors;
    case FORMAT_DEBEZIUM:
        return spec->debezium.ignore_parse_errors;
    case FORMAT_CANAL:
        return spec->canal.ignore_parse_errors;
    default:
        return spec->csv.ignore_parse_errors;
    }
}

/* Newlines in the first n bytes of s. */
static int64_t count_lines(const char *s, size_t n)
{
    int64_t k = 0;
    for (const char *p = s, *end = s + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        k++;
    return k;
}

/*
 * Consumes the next record of the open input into the batch. A CSV record
 * whose quoted field holds a newline spans several lines; only a record
 * that fails to decode and ends inside quotes is extended, so the common
 * case decodes each line once. A JSON record is always one line (JSON
 * Lines: a newline inside a string is written escaped), and so is a change
 * event. *ended is set at end of input. Returns 0, or a decoding error
 * naming the file and line, or an emit's error (a change event that filled
 * the batch).
 */
static int read_record(fs_source *src, bool *ended, wr_error *err)
{
    const fs_spec *spec = src->spec;
    reader *r = &src->r;
    ptrdiff_t eol;
    int rc = reader_find(r, 0, '\n', &eol, err);
    if (rc) return rc;
    size_t reclen = eol >= 0 ? (size_t)eol : r->end - r->start;
    *ended = eol < 0 && reclen == 0;
    if (*ended) return 0;
    bool joined = false;
    for (;;) {
        const char *rec = r->buf + r->start;
        size_t len = reclen;
        if (len && rec[len - 1] == '\r') len--;
        if (spec->format == FORMAT_RAW) {
            if (spec->dec->ncols == 1)
                rc = append_raw(src->batch, rec, len, err);
            else
                src->batch->count++; /* a row without columns: only counted */
            break;
        }
        if (spec->format == FORMAT_JSON) {
            rc = wr_json_decode(&spec->json, spec->dec, rec, len, src->batch, err);
            break;
        }
        if (is_changelog(spec->format)) {
            rc = decode_changes(src, rec, len, err);
            /* An emit's error is not the line's: it fails as it is. */
            if (rc < 0 && rc != WR_ERR_PARSE) return rc;
            break;
        }
        rc = wr_csv_decode_fields(&spec->csv, spec->schema, spec->targets, rec, len, src->batch,
                                  err);
        if (WR_LIKELY(rc >= 0) || eol < 0 || !wr_csv_unterminated(&spec->csv, rec, len)) break;
        int rc2 = extend_quoted(r, spec->csv.quote_character, &eol, err);
        if (rc2) return rc2;
        reclen = eol >= 0 ? (size_t)eol : r->end - r->start;
        joined = true;
    }
    int64_t first = r->line + 1;
    r->line += joined ? 1 + count_lines(r->buf + r->start, reclen) : 1;
    size_t consumed = eol >= 0 ? reclen + 1 : reclen;
    r->start += consumed;
    r->offset += (int64_t)consumed;
    if (rc >= 0) return 0;
    if (ignores_errors(spec)) {
        src->skipped++;
        src->base.ctx->records_in_errors++;
        return 0;
    }
    if (spec->is_stdin)
        wr_error_prefix(err, "standard input, line %lld: ", (long long)first);
    else
        wr_error_prefix(err, "file '%s', line %lld: ", r->name, (long long)first);
    err->code = WR_ERR_RUNTIME;
    return err->code;
}

/*
 * A partitioned table's output batch: the decoded columns aliased, the partition columns
 * gathered from the values of the files the rows came from.
 */
static wr_batch *partitioned_output(fs_source *src)
{
    const fs_spec *spec = src->spec;
    wr_batch *batch = src->batch, *out = src->out;
    wr_batch_reset(out);
    for (int j = 0; j < out->ncols; j++) {
        wr_vector *v = &out->cols[j];
        if (spec->out_cols[j] >= 0) {
            v->data = batch->cols[spec->out_cols[j]].data;
            v->validity = batch->cols[spec->out_cols[j]].validity;
            continue;
        }
        const wr_vector *values = &src->parts->cols[-1 - spec->out_cols[j]];
        wr_slots_gather(v->own_data, values->data, wr_type_width((wr_type_id)v->type.id),
                        src->row_file, batch->count);
        for (int r = 0; values->validity && r < batch->count; r++)
            if (wr_vector_is_null(values, (int)src->row_file[r])) wr_batch_set_null(out, j, r);
    }
    out->count = batch->count;
    return out;
}

/*
 * A monitored subtask that has read every input it knows: once the interval has passed
 * since its last listing it lists the path again and takes what is new; while there is
 * nothing to read it reports IDLE. A listing that fails (the path removed, a partition
 * value of the wrong type) fails the job.
 */
static int monitor(fs_source *src, wr_source_status *status, wr_error *err)
{
    int64_t now = wr_clock_wall_ms();
    if (now >= src->next_list_ms) {
        int rc = list_again(src, err);
        if (rc) return rc;
    }
    if (!src->done) return 0;
    *status = WR_SOURCE_IDLE;
    int64_t wait = (src->next_list_ms - now) * 1000000LL;
    src->base.ctx->idle_until_ns =
        wr_clock_mono_ns() + WR_MIN(WR_MAX(wait, 1000000LL), FS_MONITOR_MAX_WAIT_NS);
    return 0;
}

/*
 * Fills one batch from this subtask's inputs; END once they are all read, or with
 * monitoring IDLE until the next listing finds more.
 */
static int fs_run(wr_operator *op, wr_source_status *status, wr_error *err)
{
    fs_source *src = (fs_source *)op;
    wr_batch *batch = src->batch;
    wr_batch_reset(batch);
    if (src->done && src->spec->monitor_ms) {
        int rc = monitor(src, status, err);
        if (rc || src->done) return rc;
    }
    for (int budget = FS_RUN_LINES; batch->count < batch->capacity && budget > 0; budget--) {
        if (src->r.fd < 0) {
            int rc = open_next(src, err);
            if (rc) return rc;
            if (src->done) break;
        }
        bool ended;
        int before = batch->count;
        int rc = read_record(src, &ended, err);
        if (rc) return rc;
        if (src->row_file && batch->count > before)
            src->row_file[before] = (uint32_t)src->in[src->cur].part;
        if (ended) {
            reader_close(&src->r);
            src->in[src->cur].pos.read = true;
            src->cur = -1;
        }
    }
    *status = src->done && !src->spec->monitor_ms ? WR_SOURCE_END : WR_SOURCE_MORE;
    return wr_op_emit(op->ctx, src->out ? partitioned_output(src) : batch, err);
}

static void fs_destroy(wr_operator *op)
{
    fs_source *src = (fs_source *)op;
    reader_close(&src->r);
    wr_free(src->r.buf);
    for (int i = 0; i < src->nin; i++) wr_free(src->in[i].name);
    wr_free(src->in);
    wr_batch_free(src->parts);
    wr_batch_free(src->batch);
    wr_batch_free(src->out);
    wr_free(src->row_file);
    wr_free(src);
}

int64_t wr_file_source_skipped(const wr_operator *op)
{
    assert(op->ops == &fs_ops || op->ops == &fs_monitor_ops);
    return ((const fs_source *)op)->skipped;
}

/* ---- planning --------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Lists path into spec: the path itself when it is not a directory, else
 * its regular files whose names do not start with '.' or '_' (hidden and
 * in-progress files, as Flink), sorted. Errors are `code` at pos.
 */
static int list_files(fs_spec *spec, const char *path, int code, int pos, wr_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return wr_error_set_at(err, code, pos, "no such file or directory: '%s'", path);
        return wr_error_set_at(err, code, pos, "cannot access '%s': %s", path, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        spec->files = wr_malloc(sizeof(char *));
        spec->files[spec->nfiles++] = wr_strdup(path);
        return 0;
    }
    DIR *dir = opendir(path);
    if (dir == NULL)
        return wr_error_set_at(err, code, pos, "cannot read directory '%s': %s", path,
                               strerror(errno));
    size_t plen = strlen(path);
    bool slash = plen > 0 && path[plen - 1] == '/';
    int cap = 0;
    wr_buf full;
    wr_buf_init(&full);
    for (struct dirent *de; (de = readdir(dir)) != NULL;) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_') continue;
        wr_buf_reset(&full);
        wr_buf_printf(&full, "%s%s%s", path, slash ? "" : "/", de->d_name);
        if (stat(full.data, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (spec->nfiles == cap) {
            cap = cap ? 2 * cap : 16;
            spec->files = wr_realloc(spec->files, (size_t)cap * sizeof(char *));
        }
        spec->files[spec->nfiles++] = wr_buf_detach(&full);
    }
    closedir(dir);
    wr_buf_fini(&full);
    if (spec->nfiles > 1) qsort(spec->files, (size_t)spec->nfiles, sizeof(char *), by_name);
    return 0;
}

/* A file of a partitioned table and its partition values as one CSV record. */
typedef struct listed_file {
    char *path;
    char *values;
} listed_file;

typedef WR_VEC(listed_file) listed_files;

static int by_listed_path(const void *a, const void *b)
{
    return strcmp(((const listed_file *)a)->path, ((const listed_file *)b)->path);
}

/*
 * Walks the partition directories of a partitioned table below dir, at partition level
 * `level`: a directory named <key>=<value> for this level's key descends, anything else is
 * skipped (hidden and in-progress names as list_files does); at the last level the visible
 * regular files are listed with the values met on the way (`values`, the CSV record so far;
 * the default partition name stays unquoted: it is the record's null literal).
 */
static int walk_partitions(const wr_schema *schema, const char *dir, int level, wr_buf *values,
                           listed_files *files, int code, int pos, wr_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return wr_error_set_at(err, code, pos, "cannot read directory '%s': %s", dir,
                               strerror(errno));
    bool last = level == schema->npartition_keys;
    wr_buf full, escaped_key; /* the key as directory names write it */
    wr_buf_init(&full);
    wr_buf_init(&escaped_key);
    if (!last) {
        const char *name = schema->names[schema->partition_keys[level]];
        put_escaped(&escaped_key, name, strlen(name));
    }
    const char *key = last ? NULL : escaped_key.data;
    size_t klen = escaped_key.len, mark = values->len;
    bool slash = dir[0] && dir[strlen(dir) - 1] == '/';
    int rc = 0;
    for (struct dirent *de; rc == 0 && (de = readdir(d)) != NULL;) {
        const char *name = de->d_name;
        struct stat st;
        if (name[0] == '.' || name[0] == '_') continue;
        if (key && (strncmp(name, key, klen) != 0 || name[klen] != '=')) continue;
        wr_buf_reset(&full);
        wr_buf_printf(&full, "%s%s%s", dir, slash ? "" : "/", name);
        if (stat(full.data, &st) != 0 || !(key ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
            continue;
        if (key == NULL) {
            listed_file f = {wr_strdup(full.data), wr_strndup(values->data, values->len)};
            WR_VEC_PUSH(files, f);
            continue;
        }
        values->len = mark;
        if (level > 0) wr_buf_putc(values, ',');
        if (strcmp(name + klen + 1, FS_DEFAULT_PARTITION) == 0) {
            wr_buf_puts(values, FS_DEFAULT_PARTITION);
        } else {
            wr_buf text;
            wr_buf_init(&text);
            put_unescaped(&text, name + klen + 1);
            wr_buf_putc(values, '"');
            for (size_t i = 0; i < text.len; i++) {
                if (text.data[i] == '"') wr_buf_putc(values, '"');
                wr_buf_putc(values, text.data[i]);
            }
            wr_buf_putc(values, '"');
            wr_buf_fini(&text);
        }
        rc = walk_partitions(schema, full.data, level + 1, values, files, code, pos, err);
    }
    values->len = mark;
    closedir(d);
    wr_buf_fini(&full);
    wr_buf_fini(&escaped_key);
    return rc;
}

/*
 * Lists a partitioned table's files into spec (sorted by path) and decodes their partition
 * values into spec->parts, one row per file. A value that is not of its column's type fails
 * here, naming the directory. Errors are `code` at pos.
 */
static int list_partitioned(fs_spec *spec, const wr_schema *schema, const char *path, int code,
                            int pos, wr_error *err)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (!exists || !S_ISDIR(st.st_mode))
        return wr_error_set_at(err, code, pos,
                               "%s: '%s' (a partitioned table is a directory of partition "
                               "directories)",
                               exists ? "not a directory" : "no such directory", path);
    listed_files files = {0};
    wr_buf values;
    wr_buf_init(&values);
    int rc = walk_partitions(schema, path, 0, &values, &files, code, pos, err);
    wr_buf_fini(&values);
    if (files.n > 1) qsort(files.v, (size_t)files.n, sizeof(listed_file), by_listed_path);
    int npart = schema->npartition_keys;
    wr_schema *keys = wr_schema_new();
    for (int k = 0; k < npart; k++)
        wr_schema_add(keys, schema->names[schema->partition_keys[k]],
                      schema->types[schema->partition_keys[k]]);
    spec->parts = wr_batch_new(keys->types, npart, WR_MAX(files.n, 1));
    spec->files = wr_malloc((size_t)WR_MAX(files.n, 1) * sizeof(char *));
    wr_csv_options csv;
    wr_csv_options_default(&csv);
    csv.null_literal = FS_DEFAULT_PARTITION;
    for (int i = 0; i < files.n; i++) {
        if (rc == 0) {
            rc = wr_csv_decode(&csv, keys, files.v[i].values, strlen(files.v[i].values),
                               spec->parts, err);
            if (rc) {
                const char *slash = strrchr(files.v[i].path, '/');
                int dirlen = slash ? (int)(slash - files.v[i].path) : 0;
                wr_error_prefix(err, "partition directory '%.*s': ", dirlen, files.v[i].path);
                err->offset = pos;
                rc = err->code = code;
            }
        }
        spec->files[spec->nfiles++] = files.v[i].path;
        wr_free(files.v[i].values);
    }
    WR_VEC_FREE(&files);
    wr_schema_free(keys);
    return rc;
}

/*
 * Checks the schema against the format (verb: "read" or "write"); errors are
 * `code` at pos (the format's value).
 */
static int check_schema(const wr_schema *schema, int format, const char *verb, int code, int pos,
                        wr_error *err)
{
    char tname[64];
    if (format == FORMAT_RAW) {
        if (schema->ncols == 1 && schema->types[0].id == WR_TYPE_VARCHAR) return 0;
        if (schema->ncols != 1)
            return wr_error_set_at(err, code, pos,
                                   "format 'raw' needs exactly one column of type STRING or "
                                   "VARCHAR; the table has %d columns",
                                   schema->ncols);
        return wr_error_set_at(err, code, pos,
                               "format 'raw' needs a column of type STRING or VARCHAR; column "
                               "'%s' is %s",
                               schema->names[0],
                               wr_type_name(schema->types[0], tname, sizeof(tname)));
    }
    for (int c = 0; c < schema->ncols; c++) {
        wr_type_id id = (wr_type_id)schema->types[c].id;
        /* The changelog formats' rows are JSON objects. */
        if (format == FORMAT_CSV ? !wr_csv_supports(id) : !wr_json_supports(id))
            return wr_error_set_at(err, code, pos, "format '%s' cannot %s column '%s' of type %s",
                                   format_names[format], verb, schema->names[c],
                                   wr_type_name(schema->types[c], tname, sizeof(tname)));
    }
    return 0;
}

/*
 * A changelog format's rows carry change kinds, and a partition directory holds rows, not
 * changes to them: the partition of a -U row and of its +U may differ, and Flink's
 * filesystem sink writes partitions of inserts only. Refused at the format (code at pos).
 */
static int check_changelog_partitions(const wr_schema *schema, int format, int code, int pos,
                                      wr_error *err)
{
    if (!is_changelog(format) || schema->npartition_keys == 0) return 0;
    return wr_error_set_at(err, code, pos,
                           "format '%s' cannot be used with a partitioned table (PARTITIONED "
                           "BY): partition directories hold rows, not change events; drop "
                           "PARTITIONED BY or use format 'csv' or 'json'",
                           format_names[format]);
}

/* The change kinds a scan in this format may emit (wr_operator_spec.changes). */
static uint8_t format_changes(int format)
{
    if (!is_changelog(format)) return 0;
    return (uint8_t)((1 << WR_KIND_INSERT) | (1 << WR_KIND_UPDATE_BEFORE) |
                     (1 << WR_KIND_UPDATE_AFTER) | (1 << WR_KIND_DELETE));
}

/*
 * Validates the schema and lists the inputs, then builds the spec of a scan
 * of req's columns (NULL: all; filters are never accepted). Error codes are
 * `code`, positioned at path_pos / format_pos (or -1). debezium and canal
 * are the changelog formats' options (NULL: the defaults); takes ownership
 * of *canal's expressions, even on error (it is left holding the defaults).
 */
static int build_source(const char *path, int path_pos, int format, int format_pos,
                        const wr_schema *schema, const wr_scan_request *req,
                        const wr_csv_options *csv, const wr_json_options *json,
                        const wr_debezium_options *debezium, wr_canal_options *canal,
                        int64_t monitor_ms, int code, wr_operator_spec *out, wr_error *err)
{
    assert(req == NULL || req->nfilters == 0);
    bool partitioned = schema->npartition_keys > 0;
    fs_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->format = format;
    spec->is_stdin = strcmp(path, "-") == 0;
    spec->schema = partitioned ? file_schema(schema) : wr_schema_copy(schema);
    if (debezium)
        spec->debezium = *debezium;
    else
        wr_debezium_options_default(&spec->debezium);
    wr_canal_options_default(&spec->canal);
    if (canal) {
        spec->canal = *canal;
        wr_canal_options_default(canal);
    }
    int rc = check_schema(spec->schema, format, "read", code, format_pos, err);
    if (rc == 0) rc = check_changelog_partitions(schema, format, code, format_pos, err);
    if (rc == 0 && partitioned) rc = check_partitions(schema, code, path_pos, err);
    if (rc == 0 && partitioned && spec->is_stdin)
        rc = wr_error_set_at(err, code, path_pos,
                             "a partitioned table cannot be read from standard input: its "
                             "path is a directory of partition directories");
    if (rc == 0 && monitor_ms && spec->is_stdin)
        rc = wr_error_set_at(err, code, path_pos,
                             "'source.monitor-interval' needs a directory to monitor, not "
                             "standard input");
    if (rc == 0 && !spec->is_stdin)
        rc = partitioned ? list_partitioned(spec, schema, path, code, path_pos, err)
                         : list_files(spec, path, code, path_pos, err);
    if (rc == 0 && monitor_ms) {
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = wr_error_set_at(err, code, path_pos,
                                 "'source.monitor-interval' needs a directory to monitor; '%s' "
                                 "is a file",
                                 path);
        spec->monitor_ms = monitor_ms;
        spec->path = wr_strdup(path);
        spec->table = wr_schema_copy(schema);
    }
    if (rc) {
        fs_spec_free(spec);
        return rc;
    }
    spec->out = wr_schema_new();
    spec->dec = partitioned ? wr_schema_new() : spec->out;
    spec->targets = wr_malloc((size_t)WR_MAX(spec->schema->ncols, 1) * sizeof(int));
    for (int c = 0; c < spec->schema->ncols; c++) spec->targets[c] = -1;
    int ncols;
    int *cols = wr_scan_request_columns(req, schema, &ncols);
    if (partitioned) spec->out_cols = wr_malloc((size_t)WR_MAX(ncols, 1) * sizeof(int));
    for (int i = 0; i < ncols; i++) {
        int c = cols[i], k = partition_index(schema, c);
        wr_schema_add(spec->out, schema->names[c], schema->types[c]);
        if (k >= 0) {
            spec->out_cols[i] = -1 - k;
            continue;
        }
        /* Its field in the files: the columns before it that are not partition keys. */
        int field = c;
        for (int j = 0; j < schema->npartition_keys; j++) field -= schema->partition_keys[j] < c;
        if (partitioned) {
            spec->out_cols[i] = spec->dec->ncols;
            wr_schema_add(spec->dec, schema->names[c], schema->types[c]);
        }
        spec->targets[field] = partitioned ? spec->out_cols[i] : i;
    }
    wr_free(cols);
    spec->csv = *csv;
    if (csv->null_literal) spec->null_literal = wr_strdup(csv->null_literal);
    spec->csv.null_literal = spec->null_literal;
    spec->json = *json;
    *out = (wr_operator_spec){.ops = monitor_ms ? &fs_monitor_ops : &fs_ops,
                              .spec = spec,
                              .spec_free = fs_spec_free,
                              .parallelism = -1,
                              .bounded = monitor_ms == 0,
                              .changes = format_changes(format)};
    return 0;
}

int wr_file_source_spec(const char *path, const char *format, const wr_schema *schema,
                        const wr_csv_options *csv, wr_operator_spec *out, wr_error *err)
{
    int f = -1;
    /* The C API reads rows, not changes: the changelog formats are for SQL tables. */
    for (int i = 0; format && format_names[i] && !is_changelog(i); i++)
        if (strcasecmp(format, format_names[i]) == 0) f = i;
    if (f < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "unknown format '%s': expected 'csv', 'raw' or 'json'",
                            format ? format : "(null)");
    if (path == NULL || path[0] == '\0')
        return wr_error_set(err, WR_ERR_ARGUMENT, "a file source needs a path");
    wr_csv_options defaults;
    wr_csv_options_default(&defaults);
    wr_json_options json;
    wr_json_options_default(&json);
    return build_source(path, -1, f, -1, schema, NULL, csv ? csv : &defaults, &json, NULL, NULL, 0,
                        WR_ERR_ARGUMENT, out, err);
}

/* ---- options ------------------------------------------------------------------ */

/* A table's options, read and checked alike for both roles. */
typedef struct fs_options {
    const wr_config_entry *path, *format;
    int format_id;
    wr_csv_options csv; /* null_literal borrows the option's value */
    wr_json_options json;
    wr_debezium_options debezium;
    wr_canal_options canal; /* owned: fs_options_fini, unless moved into a spec */
    int64_t file_size;      /* sink.rolling-policy.file-size, bytes */
    int64_t rollover_ms;
    int64_t inactivity_ms;
    int64_t check_ms;
    int parallelism;    /* sink.parallelism; -1: the input's */
    int64_t monitor_ms; /* source.monitor-interval; 0: list once */
} fs_options;

/* A required, non-empty option; when absent the error is at the 'connector' value. */
static int require(const wr_config *options, const char *key, const wr_config_entry **out,
                   wr_error *err)
{
    const wr_config_entry *e = wr_config_find(options, key);
    *out = e;
    if (e && e->value[0] != '\0') return 0;
    if (e)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '' for option '%s': expected %s", key,
                               strcmp(key, "path") == 0 ? "a file or directory" : "a format");
    const wr_config_entry *conn = wr_config_find(options, "connector");
    return wr_error_set_at(err, WR_ERR_VALIDATION, conn ? conn->value_pos : -1,
                           "option '%s' is required for connector 'filesystem'", key);
}

/*
 * Flink's MemorySize: a number of bytes with an optional unit, in any case
 * and after optional spaces: b/bytes, k/kb/kibibytes, m/mb/mebibytes,
 * g/gb/gibibytes, t/tb/tebibytes, all binary ("1 mb" is 1048576). Returns 0
 * or -1 for text that is not a size or does not fit int64.
 */
int wr_connector_parse_memory_size(const char *s, int64_t *out)
{
    static const struct {
        const char *unit;
        int shift;
    } units[] = {
        {"", 0},           {"b", 0},          {"bytes", 0}, {"k", 10},         {"kb", 10},
        {"kibibytes", 10}, {"m", 20},         {"mb", 20},   {"mebibytes", 20}, {"g", 30},
        {"gb", 30},        {"gibibytes", 30}, {"t", 40},    {"tb", 40},        {"tebibytes", 40},
    };
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno) return -1;
    while (isspace((unsigned char)*end)) end++;
    size_t n = strlen(end);
    while (n && isspace((unsigned char)end[n - 1])) n--;
    for (size_t i = 0; i < WR_ARRAY_LEN(units); i++) {
        if (strlen(units[i].unit) != n || strncasecmp(end, units[i].unit, n) != 0) continue;
        if (v > (INT64_MAX >> units[i].shift)) return -1;
        *out = (int64_t)v << units[i].shift;
        return 0;
    }
    return -1;
}

/* A duration option that, when given, must be positive. */
static int positive_duration(const wr_config *options, const char *key, int64_t dflt, int64_t *out,
                             wr_error *err)
{
    int rc = wr_config_get_duration_ms(options, key, dflt, out, err);
    if (rc) return rc;
    const wr_config_entry *e = wr_config_find(options, key);
    if (e && *out <= 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected a positive duration",
                               e->value, e->key);
    return 0;
}

/* See read_options. */
static int read_all_options(const wr_config *options, fs_options *o, wr_error *err)
{
    int rc = require(options, "path", &o->path, err);
    if (rc == 0) rc = require(options, "format", &o->format, err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "format", format_names, FORMAT_CSV, &o->format_id, err);
    if (rc && o->format && strcasecmp(o->format->value, "avro") == 0)
        /* Flink writes Avro container files here (avro.codec); Weir has only the datum form. */
        return wr_error_set_at(err, WR_ERR_VALIDATION, o->format->value_pos,
                               "format 'avro' is not supported by connector 'filesystem' yet "
                               "(Avro container files); use it with connector 'kafka'");
    if (rc == 0 && o->format_id == FORMAT_CSV) rc = wr_csv_options_read(options, &o->csv, err);
    if (rc == 0 && o->format_id == FORMAT_JSON) rc = wr_json_options_read(options, &o->json, err);
    if (rc == 0 && o->format_id == FORMAT_DEBEZIUM)
        rc = wr_debezium_options_read(options, &o->debezium, err);
    if (rc == 0 && o->format_id == FORMAT_CANAL)
        rc = wr_canal_options_read(options, &o->canal, err);
    if (rc) return rc;
    o->file_size = FS_DEFAULT_FILE_SIZE;
    const wr_config_entry *e = wr_config_find(options, "sink.rolling-policy.file-size");
    if (e && (wr_connector_parse_memory_size(e->value, &o->file_size) || o->file_size <= 0))
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected a positive memory "
                               "size such as '128 mb', '64 kb' or '1024' (bytes)",
                               e->value, e->key);
    rc = positive_duration(options, "sink.rolling-policy.rollover-interval", FS_DEFAULT_ROLLOVER_MS,
                           &o->rollover_ms, err);
    if (rc == 0)
        rc = positive_duration(options, "sink.rolling-policy.inactivity-interval",
                               FS_DEFAULT_INACTIVITY_MS, &o->inactivity_ms, err);
    if (rc == 0)
        rc = positive_duration(options, "sink.rolling-policy.check-interval", FS_DEFAULT_CHECK_MS,
                               &o->check_ms, err);
    if (rc == 0)
        rc = wr_connector_get_parallelism(options, "sink.parallelism", &o->parallelism, err);
    if (rc == 0) rc = positive_duration(options, "source.monitor-interval", 0, &o->monitor_ms, err);
    if (rc) return rc;
    static const char *const supported[] = {
        [FORMAT_CSV] = FS_SUPPORTED_CSV,     [FORMAT_RAW] = FS_SUPPORTED_RAW,
        [FORMAT_JSON] = FS_SUPPORTED_JSON,   [FORMAT_DEBEZIUM] = FS_SUPPORTED_DEBEZIUM,
        [FORMAT_CANAL] = FS_SUPPORTED_CANAL,
    };
    return wr_connector_check_unused(options, "filesystem", supported[o->format_id], err);
}

/*
 * Reads every option of the connector, for either role: 'path' and
 * 'format' (required), the options of the format (csv.*, json.*,
 * debezium-json.*, canal-json.*), the sink.* options (a table that is also
 * read keeps them), and rejects any other (so csv.* with json is an error,
 * and json.* with csv). On success o->canal owns its compiled expressions
 * (the caller moves them into a spec or frees them with
 * wr_canal_options_fini); on error o holds nothing to free.
 */
static int read_options(const wr_config *options, fs_options *o, wr_error *err)
{
    memset(o, 0, sizeof(*o));
    o->format_id = FORMAT_CSV;
    wr_csv_options_default(&o->csv);
    wr_json_options_default(&o->json);
    wr_debezium_options_default(&o->debezium);
    wr_canal_options_default(&o->canal);
    int rc = read_all_options(options, o, err);
    if (rc) wr_canal_options_fini(&o->canal);
    return rc;
}

/*
 * The source: 'path' must exist (a file, a directory or '-'); the sink.*
 * options are ignored. It produces req's columns and takes no filters:
 * evaluating one after decoding costs what the Calc above costs.
 */
static int fs_make_source(const wr_schema *schema, const wr_config *options, const wr_config *job,
                          const wr_scan_request *req, wr_operator_spec *out, wr_error *err)
{
    fs_options o;
    int rc = read_options(options, &o, err);
    if (rc) return rc;
    return build_source(o.path->value, o.path->value_pos, o.format_id, o.format->value_pos, schema,
                        req, &o.csv, &o.json, &o.debezium, &o.canal, o.monitor_ms,
                        WR_ERR_VALIDATION, out, err);
}

/* ---- the sink ------------------------------------------------------------------- */

/*
 * Each subtask s writes its rows to part files numbered n = 0, 1, ... (per
 * subtask, across its partition directories, continuing after the numbers
 * already there):
 *
 *   .part-<s>-<n>.inprogress   being written, or closed and pending (hidden)
 *   part-<s>-<n>               committed (visible, never written again)
 *
 * A file is closed when it reaches the rolling size or age, at a checkpoint
 * barrier and at end of input; closed files are fsynced and pending. The
 * snapshot at barrier k lists the pending files (tagged k when first listed)
 * and the next number; checkpoint_done(k) renames the files tagged k or
 * earlier. End of input commits everything (no later checkpoint reaches a
 * finished task), which is why a restore also removes visible files numbered
 * from the checkpoint's next number on: their rows are replayed.
 *
 * A partitioned table's rows go to the part files of their partition
 * directory (a bucket, in Flink's words), created when its first row comes:
 * each bucket has its own in-progress file, rolled on its own. At most
 * FS_MAX_OPEN_BUCKETS files are open at once; a row for another bucket closes
 * the one written to least recently (it becomes pending, as a rolled file).
 * An unpartitioned table is the one bucket "".
 */
#define FS_MAX_OPEN_BUCKETS 64

typedef struct fs_sink_spec {
    char *dir;
    int format;
    wr_schema *schema;  /* the table's columns: the input rows */
    wr_schema *files;   /* the columns written into files: all but the partition keys */
    int *file_cols;     /* per column of files: its column in schema */
    wr_csv_options csv; /* null_literal points to null_literal below */
    char *null_literal;
    wr_json_options json;
    wr_debezium_options debezium;
    wr_canal_options canal; /* owned: its compiled expressions (unused when writing) */
    int64_t file_size;
    int64_t rollover_ms;
    int64_t inactivity_ms; /* a file not written to for this long is closed... */
    int64_t check_ms;      /* ...by a check at this interval (as is one older than rollover) */
} fs_sink_spec;

static void fs_sink_spec_free(void *vspec)
{
    fs_sink_spec *spec = vspec;
    if (spec == NULL) return;
    wr_free(spec->dir);
    wr_schema_free(spec->schema);
    wr_schema_free(spec->files);
    wr_free(spec->file_cols);
    wr_free(spec->null_literal);
    wr_canal_options_fini(&spec->canal);
    wr_free(spec);
}

/* A closed part file waiting to be committed. */
typedef struct pending_file {
    char *bucket; /* owned: its directory, relative to the sink's ("" or "k=v/") */
    int64_t n;
    int64_t checkpoint; /* the first checkpoint that listed it; 0: none yet */
    uint64_t bytes;
} pending_file;

/* A bucket with its in-progress file open. */
typedef struct bucket {
    char *dir; /* owned: relative to the sink's directory, "" or "k1=v1/k2=v2/" */
    uint64_t hash;
    int fd;
    int64_t n;          /* the file's number */
    uint64_t bytes;     /* its size, buffered text included */
    int64_t opened_ns;  /* when it was opened (monotonic) */
    int64_t written_ns; /* when a row last went to it (monotonic) */
    int64_t used;       /* the sink's clock when a row last went to it */
    wr_buf text;        /* encoded rows not yet written to fd */
} bucket;

typedef struct fs_sink {
    wr_operator base;
    const fs_sink_spec *spec;
    int dirfd;      /* the directory; -1 until opened */
    int64_t next_n; /* the number of the next file */
    bucket *buckets[FS_MAX_OPEN_BUCKETS];
    int nbuckets;
    int64_t clock;
    /* Directories (relative, owned) where files were created, renamed or removed since
     * they were last fsynced. */
    WR_VEC(char *) unsynced;
    pending_file *pending;
    int npending, cap;
    wr_csv_options value_csv; /* how a partition value is written: CSV without quoting */
    wr_buf key;               /* scratch: the bucket directory of a row */
    wr_buf value;             /* scratch: a partition value */
    wr_vector *file_vectors;  /* per column of spec->files: the input's vector */
} fs_sink;

/* The relative path of part file n of this subtask in bucket directory dir, into out. */
static const char *part_path(const fs_sink *sink, const char *dir, int64_t n, bool hidden,
                             wr_buf *out)
{
    wr_buf_reset(out);
    wr_buf_printf(out, hidden ? "%s.part-%d-%lld.inprogress" : "%spart-%d-%lld", dir,
                  sink->base.ctx->subtask, (long long)n);
    return out->data;
}

/* An I/O error naming the directory and the file (may be NULL). Returns WR_ERR_IO. */
static int sink_io_error(const fs_sink *sink, const char *what, const char *file, int errnum,
                         wr_error *err)
{
    const char *dir = sink->spec->dir;
    bool slash = dir[0] && dir[strlen(dir) - 1] == '/';
    return wr_error_set(err, WR_ERR_IO, "filesystem sink: cannot %s '%s%s%s': %s", what, dir,
                        file && file[0] && !slash ? "/" : "", file ? file : "", strerror(errnum));
}

/*
 * Parses a part file name of this subtask: "part-<s>-<n>" or
 * ".part-<s>-<n>.inprogress". Returns false for any other name.
 */
static bool parse_part_name(const char *name, int subtask, int64_t *n)
{
    bool hidden = name[0] == '.';
    const char *p = name + (hidden ? 1 : 0);
    if (strncmp(p, "part-", 5) != 0 || !isdigit((unsigned char)p[5])) return false;
    char *end;
    errno = 0;
    long s = strtol(p + 5, &end, 10);
    if (errno || s != subtask || end[0] != '-' || !isdigit((unsigned char)end[1])) return false;
    long long v = strtoll(end + 1, &end, 10);
    if (errno) return false;
    if (hidden ? strcmp(end, ".inprogress") != 0 : end[0] != '\0') return false;
    *n = v;
    return true;
}

/* Remembers that directory dir[0..len) must be fsynced. */
static void mark_unsynced(fs_sink *sink, const char *dir, size_t len)
{
    for (int i = sink->unsynced.n - 1; i >= 0; i--)
        if (strlen(sink->unsynced.v[i]) == len && memcmp(sink->unsynced.v[i], dir, len) == 0)
            return;
    WR_VEC_PUSH(&sink->unsynced, wr_strndup(dir, len));
}

/* Fsyncs every directory changed since the last call, so its new names survive a crash. */
static int sync_dirs(fs_sink *sink, wr_error *err)
{
    int rc = 0;
    for (int i = 0; i < sink->unsynced.n; i++) {
        char *dir = sink->unsynced.v[i];
        int fd =
            dir[0] ? openat(sink->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : sink->dirfd;
        if (rc == 0 && fd < 0) rc = sink_io_error(sink, "open directory", dir, errno, err);
        if (rc == 0 && fsync(fd) != 0) rc = sink_io_error(sink, "fsync directory", dir, errno, err);
        if (fd >= 0 && fd != sink->dirfd) close(fd);
        wr_free(dir);
    }
    sink->unsynced.n = 0;
    return rc;
}

/* Creates the missing directories of dir ("k1=v1/k2=v2/"); a new one's parent must be synced. */
static int make_bucket_dirs(fs_sink *sink, const char *dir, wr_error *err)
{
    char *path = wr_strdup(dir);
    int rc = 0;
    for (char *p = path; rc == 0 && (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdirat(sink->dirfd, path, 0777) == 0) {
            const char *parent = strrchr(path, '/');
            mark_unsynced(sink, path, parent ? (size_t)(parent - path + 1) : 0);
        } else if (errno != EEXIST) {
            rc = sink_io_error(sink, "create directory", path, errno, err);
        }
        *p = '/';
    }
    wr_free(path);
    return rc;
}

static int open_part(fs_sink *sink, bucket *b, wr_error *err)
{
    int rc = b->dir[0] ? make_bucket_dirs(sink, b->dir, err) : 0;
    if (rc) return rc;
    wr_buf path;
    wr_buf_init(&path);
    b->n = sink->next_n++;
    part_path(sink, b->dir, b->n, true, &path);
    b->fd = openat(sink->dirfd, path.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (b->fd < 0) rc = sink_io_error(sink, "create", path.data, errno, err);
    wr_buf_fini(&path);
    b->bytes = 0;
    b->opened_ns = wr_clock_mono_ns();
    mark_unsynced(sink, b->dir, strlen(b->dir));
    return rc;
}

static int flush_part(fs_sink *sink, bucket *b, wr_error *err)
{
    if (b->text.len == 0) return 0;
    int errnum = wr_connector_write_all(b->fd, b->text.data, b->text.len);
    wr_buf_reset(&b->text);
    if (errnum == 0) return 0;
    wr_buf path;
    wr_buf_init(&path);
    int rc = sink_io_error(sink, "write", part_path(sink, b->dir, b->n, true, &path), errnum, err);
    wr_buf_fini(&path);
    return rc;
}

/* Closes the bucket's in-progress file durably: it becomes pending. */
static int close_part(fs_sink *sink, bucket *b, wr_error *err)
{
    int rc = flush_part(sink, b, err);
    if (rc) return rc;
    int fd = b->fd;
    b->fd = -1;
    int errnum = fsync(fd) != 0 ? errno : 0;
    if (close(fd) != 0 && errnum == 0) errnum = errno;
    if (errnum) {
        wr_buf path;
        wr_buf_init(&path);
        rc = sink_io_error(sink, "fsync and close", part_path(sink, b->dir, b->n, true, &path),
                           errnum, err);
        wr_buf_fini(&path);
        return rc;
    }
    if (sink->npending == sink->cap) {
        sink->cap = sink->cap ? 2 * sink->cap : 8;
        sink->pending = wr_realloc(sink->pending, (size_t)sink->cap * sizeof(pending_file));
    }
    sink->pending[sink->npending++] =
        (pending_file){.bucket = wr_strdup(b->dir), .n = b->n, .bytes = b->bytes};
    return 0;
}

static void bucket_free(bucket *b)
{
    if (b->fd >= 0) close(b->fd);
    wr_free(b->dir);
    wr_buf_fini(&b->text);
    wr_free(b);
}

/* Closes the file of bucket i (it becomes pending) and drops the bucket. */
static int close_bucket(fs_sink *sink, int i, wr_error *err)
{
    bucket *b = sink->buckets[i];
    int rc = close_part(sink, b, err);
    bucket_free(b);
    sink->buckets[i] = sink->buckets[--sink->nbuckets];
    return rc;
}

static int close_buckets(fs_sink *sink, wr_error *err)
{
    int rc = 0;
    while (sink->nbuckets > 0 && rc == 0) rc = close_bucket(sink, sink->nbuckets - 1, err);
    return rc;
}

/*
 * Commits one file: renames it to its visible name. Idempotent: a file
 * that is already visible is fine. `expect` (>= 0) is the size the
 * checkpoint recorded. Returns 0 or WR_ERR_IO.
 */
static int commit_part(fs_sink *sink, const char *dir, int64_t n, int64_t expect, wr_error *err)
{
    wr_buf from, to;
    wr_buf_init(&from);
    wr_buf_init(&to);
    part_path(sink, dir, n, true, &from);
    part_path(sink, dir, n, false, &to);
    struct stat st;
    int rc = 0;
    if (fstatat(sink->dirfd, from.data, &st, 0) != 0) {
        if (errno == ENOENT && fstatat(sink->dirfd, to.data, &st, 0) == 0)
            rc = 0;
        else if (errno != ENOENT)
            rc = sink_io_error(sink, "access", from.data, errno, err);
        else
            rc = wr_error_set(err, WR_ERR_IO,
                              "filesystem sink: neither '%s' nor '%s' exists in '%s', but a "
                              "completed checkpoint wrote it",
                              from.data, to.data, sink->spec->dir);
    } else if (expect >= 0 && st.st_size != expect) {
        rc = wr_error_set(err, WR_ERR_IO,
                          "filesystem sink: '%s' in '%s' has %lld bytes, but the checkpoint "
                          "recorded %lld",
                          from.data, sink->spec->dir, (long long)st.st_size, (long long)expect);
    } else if (renameat(sink->dirfd, from.data, sink->dirfd, to.data) != 0) {
        rc = sink_io_error(sink, "rename", from.data, errno, err);
    } else {
        mark_unsynced(sink, dir, strlen(dir));
    }
    wr_buf_fini(&from);
    wr_buf_fini(&to);
    return rc;
}

/* Commits the pending files tagged with a checkpoint up to `upto`; all when upto < 0. */
static int commit_pending(fs_sink *sink, int64_t upto, wr_error *err)
{
    int kept = 0, rc = 0;
    for (int i = 0; i < sink->npending; i++) {
        pending_file *f = &sink->pending[i];
        bool due = upto < 0 || (f->checkpoint > 0 && f->checkpoint <= upto);
        if (due && rc == 0) rc = commit_part(sink, f->bucket, f->n, (int64_t)f->bytes, err);
        if (due && rc == 0) {
            wr_free(f->bucket);
            continue;
        }
        sink->pending[kept++] = *f;
    }
    sink->npending = kept;
    return rc ? rc : sync_dirs(sink, err);
}

/*
 * Walks this subtask's part files in dir (relative; "" is the sink's
 * directory) and, `levels` deep, its partition directories: sets *max to the
 * highest number found (-1: none) and, when remove_from >= 0, deletes those
 * numbered from it on.
 */
static int scan_parts(fs_sink *sink, const char *dir, int levels, int64_t remove_from, int64_t *max,
                      wr_error *err)
{
    int fd = openat(sink->dirfd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        int errnum = errno;
        if (fd >= 0) close(fd);
        return sink_io_error(sink, "read directory", dir, errnum, err);
    }
    int rc = 0;
    wr_buf path;
    wr_buf_init(&path);
    for (struct dirent *de; rc == 0 && (de = readdir(d)) != NULL;) {
        int64_t n;
        wr_buf_reset(&path);
        wr_buf_printf(&path, "%s%s", dir, de->d_name);
        if (levels > 0) {
            struct stat st;
            if (de->d_name[0] == '.' || de->d_name[0] == '_' || strchr(de->d_name, '=') == NULL ||
                fstatat(sink->dirfd, path.data, &st, 0) != 0 || !S_ISDIR(st.st_mode))
                continue;
            int64_t sub;
            wr_buf_putc(&path, '/');
            rc = scan_parts(sink, path.data, levels - 1, remove_from, &sub, err);
            *max = WR_MAX(*max, sub);
            continue;
        }
        if (!parse_part_name(de->d_name, sink->base.ctx->subtask, &n)) continue;
        if (remove_from >= 0 && n >= remove_from) {
            if (unlinkat(sink->dirfd, path.data, 0) != 0 && errno != ENOENT)
                rc = sink_io_error(sink, "remove", path.data, errno, err);
            mark_unsynced(sink, dir, strlen(dir));
            continue;
        }
        *max = WR_MAX(*max, n);
    }
    closedir(d);
    wr_buf_fini(&path);
    return rc;
}

/*
 * Operator state ("FSNK", version 1): u64 next number, u32 count, then per
 * pending file u64 number, u64 checkpoint, u64 size in bytes. A partitioned
 * table's ("FSNP", version 1) has before each file's number its bucket
 * directory (u32 length and bytes).
 */
static int sink_restore(fs_sink *sink, const wr_snapshot_part *part, int64_t checkpoint,
                        wr_error *err)
{
    bool partitioned = sink->spec->schema->npartition_keys > 0;
    wr_buf_reader c = wr_buf_reader_of(part->data.data, part->data.len);
    bool ok = get_header(&c, partitioned ? "FSNP" : "FSNK");
    int64_t next = ok ? (int64_t)wr_buf_get_u64(&c) : 0;
    uint32_t count = ok ? wr_buf_get_u32(&c) : 0;
    ok = ok && !c.bad && next >= 0 && c.left >= (size_t)count * 24;
    /* Read every file first, so that damaged state changes nothing. */
    pending_file *files = ok ? wr_calloc(WR_MAX(count, 1), sizeof(pending_file)) : NULL;
    for (uint32_t i = 0; ok && i < count; i++) {
        pending_file *f = &files[i];
        f->bucket = partitioned ? get_str(&c) : wr_strdup("");
        f->n = (int64_t)wr_buf_get_u64(&c);
        wr_buf_get_u64(&c); /* the checkpoint that first listed it: this one or an earlier one */
        f->bytes = wr_buf_get_u64(&c);
        /* A bucket is a relative path of "k=v/" levels: never absolute, never "..". */
        ok = f->bucket && !c.bad && f->n >= 0 && f->n < next && (int64_t)f->bytes >= 0 &&
             f->bucket[0] != '/' && strstr(f->bucket, "..") == NULL;
    }
    ok = ok && c.left == 0;
    /* Every listed file was written before the checkpoint: commit it now. */
    int rc = 0;
    for (uint32_t i = 0; ok && i < count && rc == 0; i++)
        rc = commit_part(sink, files[i].bucket, files[i].n, (int64_t)files[i].bytes, err);
    for (uint32_t i = 0; files && i < count; i++) wr_free(files[i].bucket);
    wr_free(files);
    if (!ok)
        return wr_error_set(err, WR_ERR_IO,
                            "filesystem sink: the operator state of subtask %d in checkpoint %lld "
                            "is damaged or of another version",
                            sink->base.ctx->subtask, (long long)checkpoint);
    if (rc) return rc;
    /* Files numbered from `next` on were written after the checkpoint: abort them. */
    int64_t max = -1;
    rc = scan_parts(sink, "", sink->spec->schema->npartition_keys, next, &max, err);
    sink->next_n = next;
    mark_unsynced(sink, "", 0);
    return rc ? rc : sync_dirs(sink, err);
}

/* Creates dir and its missing parents. Returns 0 or an errno. */
static int make_dirs(const char *dir)
{
    char *path = wr_strdup(dir);
    int errnum = 0;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) errnum = errno;
        *p = c;
        if (c == '\0' || errnum) break;
    }
    wr_free(path);
    return errnum;
}

static wr_operator *fs_sink_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int fs_sink_open(wr_operator *op, wr_error *err);
static int fs_sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static int fs_sink_end_input(wr_operator *op, int input, wr_error *err);
static int fs_sink_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static int fs_sink_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err);
static int fs_sink_on_time(wr_operator *op, int64_t now_ms, wr_error *err);
static void fs_sink_destroy(wr_operator *op);

static const wr_operator_ops fs_sink_ops = {
    .kind = "filesystem_sink",
    .create = fs_sink_create,
    .open = fs_sink_open,
    .process = fs_sink_process,
    .end_input = fs_sink_end_input,
    .snapshot = fs_sink_snapshot,
    .checkpoint_done = fs_sink_checkpoint_done,
    .on_time = fs_sink_on_time,
    .destroy = fs_sink_destroy,
};

static wr_operator *fs_sink_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const fs_sink_spec *spec = vspec;
    fs_sink *sink = wr_calloc(1, sizeof(*sink));
    sink->base.ops = &fs_sink_ops;
    sink->base.ctx = ctx;
    sink->spec = spec;
    sink->dirfd = -1;
    wr_csv_options_default(&sink->value_csv);
    sink->value_csv.quote_character = '\0';
    wr_buf_init(&sink->key);
    wr_buf_init(&sink->value);
    sink->file_vectors = wr_calloc((size_t)WR_MAX(spec->files->ncols, 1), sizeof(wr_vector));
    return &sink->base;
}

/*
 * Creates the directory, then either finishes what the restored checkpoint
 * covers (commits its pending files, removes later ones) or, starting
 * fresh, numbers files after those already there. Files are touched here
 * rather than in create, so that a job that fails to start changes nothing.
 */
static int fs_sink_open(wr_operator *op, wr_error *err)
{
    fs_sink *sink = (fs_sink *)op;
    op->ctx->timer_at_ms = wr_clock_wall_ms() + sink->spec->check_ms;
    int errnum = make_dirs(sink->spec->dir);
    if (errnum) return sink_io_error(sink, "create directory", NULL, errnum, err);
    sink->dirfd = open(sink->spec->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sink->dirfd < 0) return sink_io_error(sink, "open directory", NULL, errno, err);
    const wr_restore *restore = op->ctx->restore;
    const wr_snapshot_part *part = restore && !restore->finished ? restored_part(restore) : NULL;
    if (part) return sink_restore(sink, part, restore->checkpoint, err);
    int64_t max = -1;
    int rc = scan_parts(sink, "", sink->spec->schema->npartition_keys, -1, &max, err);
    sink->next_n = max + 1;
    return rc;
}

/*
 * The bucket directory of a row into sink->key: per partition key
 * "<key>=<value>/", the value's CSV text escaped, NULL and '' as the default
 * partition name.
 */
static void bucket_dir(fs_sink *sink, const wr_batch *batch, int row)
{
    const wr_schema *schema = sink->spec->schema;
    wr_buf *key = &sink->key;
    wr_buf_reset(key);
    for (int k = 0; k < schema->npartition_keys; k++) {
        int c = schema->partition_keys[k];
        wr_batch one = *batch; /* read only: one column of the borrowed batch */
        one.cols = &batch->cols[c];
        one.ncols = 1;
        wr_buf_reset(&sink->value);
        wr_csv_encode(&sink->value_csv, &one, row, &sink->value);
        put_escaped(key, schema->names[c], strlen(schema->names[c]));
        wr_buf_putc(key, '=');
        if (sink->value.len == 0)
            wr_buf_puts(key, FS_DEFAULT_PARTITION);
        else
            put_escaped(key, sink->value.data, sink->value.len);
        wr_buf_putc(key, '/');
    }
}

/* The bucket of a row: last when it matches, else an open one, else a new one. */
static int find_bucket(fs_sink *sink, const wr_batch *batch, int row, bucket *last, bucket **out,
                       wr_error *err)
{
    if (sink->spec->schema->npartition_keys == 0 && last) {
        *out = last;
        return 0;
    }
    bucket_dir(sink, batch, row);
    const char *dir = sink->key.data ? sink->key.data : ""; /* "": not partitioned */
    size_t len = sink->key.len;
    uint64_t hash = wr_hash_bytes(dir, len);
    bucket *b = last && last->hash == hash && strcmp(last->dir, dir) == 0 ? last : NULL;
    for (int i = 0; b == NULL && i < sink->nbuckets; i++)
        if (sink->buckets[i]->hash == hash && strcmp(sink->buckets[i]->dir, dir) == 0)
            b = sink->buckets[i];
    if (b == NULL) {
        if (sink->nbuckets == FS_MAX_OPEN_BUCKETS) {
            int lru = 0;
            for (int i = 1; i < sink->nbuckets; i++)
                if (sink->buckets[i]->used < sink->buckets[lru]->used) lru = i;
            int rc = close_bucket(sink, lru, err);
            if (rc) return rc;
        }
        b = wr_calloc(1, sizeof(*b));
        b->dir = wr_strndup(dir, len);
        b->hash = hash;
        b->fd = -1;
        wr_buf_init(&b->text);
        sink->buckets[sink->nbuckets++] = b;
        int rc = open_part(sink, b, err);
        if (rc) return rc;
    }
    b->used = ++sink->clock;
    *out = b;
    return 0;
}

/*
 * Appends one row's line (the columns files hold, in `files`) to the bucket's text; in a
 * changelog format the line is the row's change event, its kind included.
 */
static void encode_row(fs_sink *sink, bucket *b, const wr_batch *files, int row)
{
    wr_buf *text = &b->text;
    if (sink->spec->format == FORMAT_RAW) {
        const wr_vector *v = &files->cols[0];
        if (!wr_vector_is_null(v, row)) {
            wr_str str = ((const wr_str *)v->data)[row];
            wr_buf_append(text, str.ptr, str.len);
        }
    } else if (sink->spec->format == FORMAT_JSON) {
        wr_json_encode(&sink->spec->json, files, row, sink->spec->files, text);
    } else if (sink->spec->format == FORMAT_DEBEZIUM) {
        wr_debezium_encode(&sink->spec->debezium, files, row, sink->spec->files, text);
    } else if (sink->spec->format == FORMAT_CANAL) {
        wr_canal_encode(&sink->spec->canal, files, row, sink->spec->files, text);
    } else {
        wr_csv_encode(&sink->spec->csv, files, row, text);
    }
    wr_buf_putc(text, '\n');
}

static int fs_sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err)
{
    fs_sink *sink = (fs_sink *)op;
    const fs_sink_spec *spec = sink->spec;
    assert(batch->ncols == spec->schema->ncols);
    int rows = wr_batch_rows(batch);
    if (rows == 0) return 0;
    /* The batch as the files see it: its vectors of the columns they hold (read only). */
    wr_batch files = *batch;
    files.cols = sink->file_vectors;
    files.ncols = spec->files->ncols;
    for (int c = 0; c < spec->files->ncols; c++) files.cols[c] = batch->cols[spec->file_cols[c]];
    int64_t now = wr_clock_mono_ns();
    bucket *b = NULL;
    for (int i = 0; i < rows; i++) {
        int row = wr_batch_row(batch, i);
        wr_change_kind kind = wr_batch_kind(batch, row);
        if (kind != WR_KIND_INSERT && !is_changelog(spec->format))
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "filesystem sink '%s' accepts only inserts, got a %s row "
                                "(the query produces updates or deletes, which part files "
                                "cannot hold)",
                                spec->dir, wr_change_kind_short(kind));
        int rc = find_bucket(sink, batch, row, b, &b, err);
        if (rc == 0 && (b->bytes >= (uint64_t)spec->file_size ||
                        (now - b->opened_ns) / 1000000 >= spec->rollover_ms)) {
            rc = close_part(sink, b, err);
            if (rc == 0) rc = open_part(sink, b, err);
        }
        if (rc) return rc;
        size_t before = b->text.len;
        b->written_ns = now;
        encode_row(sink, b, &files, row);
        b->bytes += b->text.len - before;
        if (b->text.len >= FS_SINK_FLUSH && (rc = flush_part(sink, b, err))) return rc;
    }
    return 0;
}

/*
 * The rolling policy's check (every 'sink.rolling-policy.check-interval'): closes the files
 * older than the rollover interval or not written to for the inactivity interval, so they
 * become pending and the next checkpoint commits them.
 */
static int fs_sink_on_time(wr_operator *op, int64_t now_ms, wr_error *err)
{
    fs_sink *sink = (fs_sink *)op;
    const fs_sink_spec *spec = sink->spec;
    op->ctx->timer_at_ms = now_ms + spec->check_ms;
    int64_t now = wr_clock_mono_ns();
    for (int i = sink->nbuckets - 1; i >= 0; i--) {
        const bucket *b = sink->buckets[i];
        if ((now - b->opened_ns) / 1000000 < spec->rollover_ms &&
            (now - b->written_ns) / 1000000 < spec->inactivity_ms)
            continue;
        int rc = close_bucket(sink, i, err);
        if (rc) return rc;
    }
    return 0;
}

/*
 * Barrier k: the in-progress files are closed (their rows belong to k), the
 * directories synced so the pending names survive a crash, and the pending
 * files not yet listed are tagged k.
 */
static int fs_sink_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    fs_sink *sink = (fs_sink *)op;
    bool partitioned = sink->spec->schema->npartition_keys > 0;
    int rc = close_buckets(sink, err);
    if (rc == 0) rc = sync_dirs(sink, err);
    if (rc) return rc;
    wr_buf *buf = wr_snapshot_add(out, -1);
    put_header(buf, partitioned ? "FSNP" : "FSNK");
    wr_buf_put_u64(buf, (uint64_t)sink->next_n);
    wr_buf_put_u32(buf, (uint32_t)sink->npending);
    for (int i = 0; i < sink->npending; i++) {
        pending_file *f = &sink->pending[i];
        if (f->checkpoint == 0) f->checkpoint = checkpoint;
        if (partitioned) put_str(buf, f->bucket);
        wr_buf_put_u64(buf, (uint64_t)f->n);
        wr_buf_put_u64(buf, (uint64_t)f->checkpoint);
        wr_buf_put_u64(buf, f->bytes);
    }
    return 0;
}

static int fs_sink_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err)
{
    return commit_pending((fs_sink *)op, checkpoint, err);
}

/*
 * End of input commits every file: without checkpointing this is the
 * commit; with it, a finished task hears of no later checkpoint (a restore
 * from an earlier one removes these files again, see sink_restore).
 */
static int fs_sink_end_input(wr_operator *op, int input, wr_error *err)
{
    fs_sink *sink = (fs_sink *)op;
    int rc = close_buckets(sink, err);
    return rc ? rc : commit_pending(sink, -1, err);
}

/* A failed or cancelled run leaves its files hidden: a restore commits or removes them. */
static void fs_sink_destroy(wr_operator *op)
{
    fs_sink *sink = (fs_sink *)op;
    for (int i = 0; i < sink->nbuckets; i++) bucket_free(sink->buckets[i]);
    if (sink->dirfd >= 0) close(sink->dirfd);
    for (int i = 0; i < sink->unsynced.n; i++) wr_free(sink->unsynced.v[i]);
    WR_VEC_FREE(&sink->unsynced);
    for (int i = 0; i < sink->npending; i++) wr_free(sink->pending[i].bucket);
    wr_free(sink->pending);
    wr_buf_fini(&sink->key);
    wr_buf_fini(&sink->value);
    wr_free(sink->file_vectors);
    wr_free(sink);
}

/*
 * The sink: 'path' is a directory (created when the job starts), not '-'
 * and not a file; every column files hold must be writable by the format,
 * and partition columns must have a text form.
 */
static int fs_make_sink(const wr_schema *schema, const wr_config *options, const wr_config *job,
                        wr_operator_spec *out, wr_error *err)
{
    fs_options o;
    int rc = read_options(options, &o, err);
    if (rc) return rc;
    wr_schema *files = file_schema(schema);
    rc = check_schema(files, o.format_id, "write", WR_ERR_VALIDATION, o.format->value_pos, err);
    if (rc == 0)
        rc = check_changelog_partitions(schema, o.format_id, WR_ERR_VALIDATION, o.format->value_pos,
                                        err);
    if (rc == 0 && o.format_id == FORMAT_DEBEZIUM && o.debezium.schema_include)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.format->value_pos,
                             "the filesystem sink writes format 'debezium-json' without a "
                             "schema; set 'debezium-json.schema-include' to 'false' for a sink "
                             "table");
    if (rc == 0 && schema->npartition_keys)
        rc = check_partitions(schema, WR_ERR_VALIDATION, o.path->value_pos, err);
    const char *path = o.path->value;
    struct stat st;
    if (rc == 0 && strcmp(path, "-") == 0)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.path->value_pos,
                             "invalid value '-' for option 'path': the filesystem sink writes "
                             "files into a directory (standard input can only be read)");
    if (rc == 0 && stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, o.path->value_pos,
                             "invalid value '%s' for option 'path': not a directory (the "
                             "filesystem sink writes files into a directory)",
                             path);
    if (rc) {
        wr_schema_free(files);
        wr_canal_options_fini(&o.canal);
        return rc;
    }
    fs_sink_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->dir = wr_strdup(path);
    spec->format = o.format_id;
    spec->schema = wr_schema_copy(schema);
    spec->files = files;
    spec->file_cols = wr_malloc((size_t)WR_MAX(files->ncols, 1) * sizeof(int));
    for (int c = 0, f = 0; c < schema->ncols; c++)
        if (partition_index(schema, c) < 0) spec->file_cols[f++] = c;
    spec->csv = o.csv;
    if (o.csv.null_literal) spec->null_literal = wr_strdup(o.csv.null_literal);
    spec->csv.null_literal = spec->null_literal;
    spec->json = o.json;
    spec->debezium = o.debezium;
    spec->canal = o.canal; /* moved: the spec frees the expressions */
    spec->file_size = o.file_size;
    spec->rollover_ms = o.rollover_ms;
    spec->inactivity_ms = o.inactivity_ms;
    spec->check_ms = o.check_ms;
    *out = (wr_operator_spec){.ops = &fs_sink_ops,
                              .spec = spec,
                              .spec_free = fs_sink_spec_free,
                              .parallelism = o.parallelism};
    return 0;
}

/*
 * A sink in a changelog format writes every change kind as an event line; otherwise it
 * takes inserts only. Reads 'format' without marking it used: the planner asks before the
 * sink is made.
 */
static wr_sink_changes fs_sink_accepts(const wr_config *options)
{
    const char *format = NULL;
    for (int i = 0; i < options->n; i++)
        if (strcmp(options->entries[i].key, "format") == 0) format = options->entries[i].value;
    for (int f = FORMAT_DEBEZIUM; format && f <= FORMAT_CANAL; f++)
        if (strcasecmp(format, format_names[f]) == 0) return WR_SINK_ANY;
    return WR_SINK_INSERT_ONLY;
}

const wr_connector wr_connector_filesystem = {
    .name = "filesystem",
    .sink_accepts = fs_sink_accepts,
    .make_source = fs_make_source,
    .accepts_filter = NULL,
    .make_sink = fs_make_sink,
};

/* ---- the CSV file sink (C API) -------------------------------------------------- */

typedef struct csv_sink_spec {
    char *path; /* "-": standard output */
    wr_schema *schema;
    wr_csv_options csv;
} csv_sink_spec;

typedef struct csv_sink {
    wr_operator base;
    const csv_sink_spec *spec;
    int fd; /* -1 until opened */
    bool failed;
    wr_buf text; /* encoded rows not yet written */
} csv_sink;

static wr_operator *csv_sink_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int csv_sink_open(wr_operator *op, wr_error *err);
static int csv_sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static int csv_sink_end_input(wr_operator *op, int input, wr_error *err);
static void csv_sink_destroy(wr_operator *op);

static const wr_operator_ops csv_sink_ops = {
    .kind = "csv_file_sink",
    .create = csv_sink_create,
    .open = csv_sink_open,
    .process = csv_sink_process,
    .end_input = csv_sink_end_input,
    .destroy = csv_sink_destroy,
};

static bool to_stdout(const csv_sink_spec *spec)
{
    return strcmp(spec->path, "-") == 0;
}

static wr_operator *csv_sink_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    csv_sink *sink = wr_calloc(1, sizeof(*sink));
    sink->base.ops = &csv_sink_ops;
    sink->base.ctx = ctx;
    sink->spec = vspec;
    sink->fd = -1;
    wr_buf_init(&sink->text);
    return &sink->base;
}

/* Truncates the file here rather than in create, so that a job that fails to start keeps it. */
static int csv_sink_open(wr_operator *op, wr_error *err)
{
    csv_sink *sink = (csv_sink *)op;
    if (to_stdout(sink->spec)) {
        sink->fd = STDOUT_FILENO;
        return 0;
    }
    sink->fd = open(sink->spec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (sink->fd < 0)
        return wr_error_set(err, WR_ERR_IO, "CSV file sink: cannot open '%s': %s", sink->spec->path,
                            strerror(errno));
    return 0;
}

static int csv_sink_flush(csv_sink *sink, wr_error *err)
{
    if (sink->text.len == 0 || sink->fd < 0) return 0;
    int errnum = wr_connector_write_all(sink->fd, sink->text.data, sink->text.len);
    wr_buf_reset(&sink->text);
    if (errnum) {
        sink->failed = true;
        return wr_error_set(err, WR_ERR_IO, "CSV file sink: cannot write to '%s': %s",
                            sink->spec->path, strerror(errnum));
    }
    return 0;
}

static int csv_sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err)
{
    csv_sink *sink = (csv_sink *)op;
    assert(batch->ncols == sink->spec->schema->ncols);
    int rows = wr_batch_rows(batch);
    for (int i = 0; i < rows; i++) {
        int row = wr_batch_row(batch, i);
        wr_change_kind kind = wr_batch_kind(batch, row);
        if (kind != WR_KIND_INSERT)
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "CSV file sink '%s' accepts only inserts, got a %s row",
                                sink->spec->path, wr_change_kind_short(kind));
        wr_csv_encode(&sink->spec->csv, batch, row, &sink->text);
        wr_buf_putc(&sink->text, '\n');
    }
    return sink->text.len > FS_SINK_FLUSH ? csv_sink_flush(sink, err) : 0;
}

static int csv_sink_end_input(wr_operator *op, int input, wr_error *err)
{
    return csv_sink_flush((csv_sink *)op, err);
}

/* Writes what a cancelled job left buffered (best effort: nobody hears of a failure now). */
static void csv_sink_destroy(wr_operator *op)
{
    csv_sink *sink = (csv_sink *)op;
    wr_error ignored;
    wr_error_init(&ignored);
    if (!sink->failed) csv_sink_flush(sink, &ignored);
    if (sink->fd >= 0 && !to_stdout(sink->spec)) close(sink->fd);
    wr_buf_fini(&sink->text);
    wr_free(sink);
}

static void csv_sink_spec_free(void *vspec)
{
    csv_sink_spec *spec = vspec;
    if (spec == NULL) return;
    wr_free(spec->path);
    wr_schema_free(spec->schema);
    wr_free(spec);
}

wr_operator_spec wr_csv_file_sink_spec(const char *path, const wr_schema *schema)
{
    csv_sink_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->path = wr_strdup(path);
    spec->schema = wr_schema_copy(schema);
    wr_csv_options_default(&spec->csv);
    return (wr_operator_spec){
        .ops = &csv_sink_ops, .spec = spec, .spec_free = csv_sink_spec_free, .parallelism = 1};
}
