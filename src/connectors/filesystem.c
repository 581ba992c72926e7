/*
 * filesystem.c — the 'filesystem' source (Flink's), and a CSV file sink for the C API.
 *
 * The source reads a file, the visible files of a directory, or standard
 * input ('-', a Weir extension), in 1 MiB reads, splits the bytes into lines
 * and decodes each line with the table's format straight into the output
 * batch. The files are listed when the scan is planned, so a missing path
 * fails at CREATE TABLE; each subtask reads its share of them (file i goes
 * to subtask i % parallelism) and ends when they are read.
 */
#include "connector_int.h"
#include "filesystem.h"
#include "../base/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_SUPPORTED_CSV "connector, path, format, " WR_CSV_OPTION_NAMES
#define FS_SUPPORTED_RAW "connector, path, format"

/* Bytes asked of each read(2); also the reader's initial buffer. */
#define FS_READ_CHUNK (1 << 20)
/* Records one run() consumes at most, so that a run of skipped lines stays short. */
#define FS_RUN_LINES 65536
/* The CSV sink writes once this much is buffered. */
#define FS_SINK_FLUSH (64 << 10)

enum { FORMAT_CSV = 0, FORMAT_RAW = 1 };
static const char *const format_names[] = {"csv", "raw", NULL};

typedef struct fs_spec {
    int format;
    bool is_stdin;
    char **files; /* sorted by name */
    int nfiles;
    wr_schema *schema;
    wr_csv_options csv; /* null_literal points to null_literal below */
    char *null_literal;
} fs_spec;

static void fs_spec_free(void *vspec)
{
    fs_spec *spec = vspec;
    if (spec == NULL) return;
    for (int i = 0; i < spec->nfiles; i++) wr_free(spec->files[i]);
    wr_free(spec->files);
    wr_schema_free(spec->schema);
    wr_free(spec->null_literal);
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
    int64_t line; /* lines consumed */
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

typedef struct fs_source {
    wr_operator base;
    const fs_spec *spec;
    wr_batch *batch;
    int next;  /* next index into spec->files to consider */
    bool done; /* every input of this subtask is read */
    reader r;
    int64_t skipped; /* lines dropped by csv.ignore-parse-errors */
} fs_source;

static wr_operator *fs_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int fs_run(wr_operator *op, wr_source_status *status, wr_error *err);
static void fs_destroy(wr_operator *op);

static const wr_operator_ops fs_ops = {
    .kind = "filesystem",
    .create = fs_create,
    .run = fs_run,
    .destroy = fs_destroy,
};

static wr_operator *fs_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const fs_spec *spec = vspec;
    fs_source *src = wr_calloc(1, sizeof(*src));
    src->base.ops = &fs_ops;
    src->base.ctx = ctx;
    src->spec = spec;
    src->batch = wr_batch_new(spec->schema->types, spec->schema->ncols, WR_BATCH_CAPACITY);
    src->r.fd = -1;
    /* Standard input is one input: subtask 0 reads it. */
    src->next = spec->is_stdin && ctx->subtask != 0 ? 1 : 0;
    return &src->base;
}

/* Opens this subtask's next input, or sets done. Returns 0 or WR_ERR_IO. */
static int open_next(fs_source *src, wr_error *err)
{
    const fs_spec *spec = src->spec;
    reader *r = &src->r;
    int p = src->base.ctx->parallelism > 0 ? src->base.ctx->parallelism : 1;
    int ninputs = spec->is_stdin ? 1 : spec->nfiles;
    while (src->next < ninputs && !spec->is_stdin && src->next % p != src->base.ctx->subtask)
        src->next++;
    if (src->next >= ninputs) {
        src->done = true;
        return 0;
    }
    int i = src->next++;
    r->start = r->end = 0;
    r->eof = false;
    r->line = 0;
    if (spec->is_stdin) {
        r->fd = STDIN_FILENO;
        r->owns_fd = false;
        r->name = "standard input";
        return 0;
    }
    r->name = spec->files[i];
    r->owns_fd = true;
    r->fd = open(r->name, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return wr_error_set(err, WR_ERR_IO, "filesystem source: cannot open '%s': %s", r->name,
                            strerror(errno));
    return 0;
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
 * case decodes each line once. *ended is set at end of input.
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
            rc = append_raw(src->batch, rec, len, err);
            break;
        }
        rc = wr_csv_decode(&spec->csv, spec->schema, rec, len, src->batch, err);
        if (WR_LIKELY(rc >= 0) || eol < 0 || !wr_csv_unterminated(&spec->csv, rec, len)) break;
        int rc2 = extend_quoted(r, spec->csv.quote_character, &eol, err);
        if (rc2) return rc2;
        reclen = eol >= 0 ? (size_t)eol : r->end - r->start;
        joined = true;
    }
    int64_t first = r->line + 1;
    r->line += joined ? 1 + count_lines(r->buf + r->start, reclen) : 1;
    r->start += eol >= 0 ? reclen + 1 : reclen;
    if (rc >= 0) return 0;
    if (spec->csv.ignore_parse_errors) {
        src->skipped++;
        return 0;
    }
    if (spec->is_stdin)
        wr_error_prefix(err, "standard input, line %lld: ", (long long)first);
    else
        wr_error_prefix(err, "file '%s', line %lld: ", r->name, (long long)first);
    err->code = WR_ERR_RUNTIME;
    return err->code;
}

/* Fills one batch from this subtask's inputs; END once they are all read. */
static int fs_run(wr_operator *op, wr_source_status *status, wr_error *err)
{
    fs_source *src = (fs_source *)op;
    wr_batch *batch = src->batch;
    wr_batch_reset(batch);
    for (int budget = FS_RUN_LINES; batch->count < batch->capacity && budget > 0; budget--) {
        if (src->r.fd < 0) {
            int rc = open_next(src, err);
            if (rc) return rc;
            if (src->done) break;
        }
        bool ended;
        int rc = read_record(src, &ended, err);
        if (rc) return rc;
        if (ended) reader_close(&src->r);
    }
    *status = src->done ? WR_SOURCE_END : WR_SOURCE_MORE;
    return wr_op_emit(op->ctx, batch, err);
}

static void fs_destroy(wr_operator *op)
{
    fs_source *src = (fs_source *)op;
    reader_close(&src->r);
    wr_free(src->r.buf);
    wr_batch_free(src->batch);
    wr_free(src);
}

int64_t wr_file_source_skipped(const wr_operator *op)
{
    assert(op->ops == &fs_ops);
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

/* Checks the schema against the format; errors are `code` at pos (the format's value). */
static int check_schema(const wr_schema *schema, int format, int code, int pos, wr_error *err)
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
    for (int c = 0; c < schema->ncols; c++)
        if (!wr_csv_supports((wr_type_id)schema->types[c].id))
            return wr_error_set_at(
                err, code, pos, "format 'csv' cannot read column '%s' of type %s", schema->names[c],
                wr_type_name(schema->types[c], tname, sizeof(tname)));
    return 0;
}

/*
 * Validates the schema and lists the inputs, then builds the spec. Error
 * codes are `code`, positioned at path_pos / format_pos (or -1).
 */
static int build_source(const char *path, int path_pos, int format, int format_pos,
                        const wr_schema *schema, const wr_csv_options *csv, int code,
                        wr_operator_spec *out, wr_error *err)
{
    int rc = check_schema(schema, format, code, format_pos, err);
    if (rc) return rc;
    fs_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->format = format;
    spec->is_stdin = strcmp(path, "-") == 0;
    if (!spec->is_stdin) rc = list_files(spec, path, code, path_pos, err);
    if (rc) {
        fs_spec_free(spec);
        return rc;
    }
    spec->schema = wr_schema_copy(schema);
    spec->csv = *csv;
    if (csv->null_literal) spec->null_literal = wr_strdup(csv->null_literal);
    spec->csv.null_literal = spec->null_literal;
    *out = (wr_operator_spec){.ops = &fs_ops,
                              .spec = spec,
                              .spec_free = fs_spec_free,
                              .parallelism = -1,
                              .bounded = true};
    return 0;
}

int wr_file_source_spec(const char *path, const char *format, const wr_schema *schema,
                        const wr_csv_options *csv, wr_operator_spec *out, wr_error *err)
{
    int f = -1;
    for (int i = 0; format && format_names[i]; i++)
        if (strcasecmp(format, format_names[i]) == 0) f = i;
    if (f < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT, "unknown format '%s': expected 'csv' or 'raw'",
                            format ? format : "(null)");
    if (path == NULL || path[0] == '\0')
        return wr_error_set(err, WR_ERR_ARGUMENT, "a file source needs a path");
    wr_csv_options defaults;
    wr_csv_options_default(&defaults);
    return build_source(path, -1, f, -1, schema, csv ? csv : &defaults, WR_ERR_ARGUMENT, out, err);
}

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

/* Options: 'path', 'format' (both required) and, for csv, the csv.* options. */
static int fs_make_source(const wr_schema *schema, const wr_config *options, const wr_config *job,
                          wr_operator_spec *out, wr_error *err)
{
    const wr_config_entry *path, *format;
    int f = FORMAT_CSV;
    wr_csv_options csv;
    wr_csv_options_default(&csv);
    int rc = require(options, "path", &path, err);
    if (rc == 0) rc = require(options, "format", &format, err);
    if (rc == 0) rc = wr_config_get_enum(options, "format", format_names, FORMAT_CSV, &f, err);
    if (rc == 0 && f == FORMAT_CSV) rc = wr_csv_options_read(options, &csv, err);
    if (rc == 0)
        rc = wr_connector_check_unused(options, "filesystem",
                                       f == FORMAT_CSV ? FS_SUPPORTED_CSV : FS_SUPPORTED_RAW, err);
    if (rc) return rc;
    return build_source(path->value, path->value_pos, f, format->value_pos, schema, &csv,
                        WR_ERR_VALIDATION, out, err);
}

const wr_connector wr_connector_filesystem = {
    .name = "filesystem",
    .make_source = fs_make_source,
    .make_sink = NULL,
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
