/*
 * weir.h — the public C API of Weir, a stream and batch processor.
 *
 * A session holds a catalog of tables and a configuration, and executes
 * Flink SQL: DDL, SET, INSERT INTO ... SELECT (runs a job to completion for
 * bounded input, or until cancelled) and SELECT (returns the rows). One
 * session is used by one thread at a time; weir_session_cancel may be called
 * from any thread to stop the statement that is running.
 */
#ifndef WEIR_H
#define WEIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEIR_VERSION "0.1.0"

typedef struct weir_session weir_session;
typedef struct weir_result weir_result;

weir_session *weir_session_new(void);
void weir_session_free(weir_session *session);

/*
 * Executes every statement in sql (separated by ';', with -- and block
 * comments) in order, stopping at the first error. When result is not NULL
 * and a statement returns rows (SELECT, SHOW, ...), *result receives the
 * rows of the last such statement (free with weir_result_free), else NULL.
 * Returns 0 on success, or a negative code; the message is then available
 * from weir_session_error(). name is used in messages for the text ("job.sql");
 * may be NULL.
 */
int weir_exec(weir_session *session, const char *sql, const char *name, weir_result **result);

/*
 * As weir_exec, but calls fn(arg, result) for the rows of every statement
 * that returns rows, in order; the result is borrowed for the call.
 */
typedef void (*weir_result_fn)(void *arg, const weir_result *result);
int weir_exec_each(weir_session *session, const char *sql, const char *name, weir_result_fn fn,
                   void *arg);

/*
 * Rows of a query as its job produces them: while a query runs (weir_exec,
 * weir_exec_each, weir_exec_next), fn(result, from, to, arg) is called for
 * each batch the job delivers, with rows from .. to - 1 of the result
 * growing so far (their change kinds by weir_result_change), from the job's
 * threads but never twice at once. So a client can show an unbounded
 * query's changelog live, until it cancels the job. The result is borrowed
 * for the call; fn must not call into the session. NULL stops the calls.
 */
typedef void (*weir_rows_fn)(const weir_result *result, int64_t from, int64_t to, void *arg);
void weir_session_on_rows(weir_session *session, weir_rows_fn fn, void *arg);

/*
 * Runs the one statement of sql that starts at *offset (after blanks,
 * comments and stray ';'), for clients that go on after an error, as Flink's
 * SQL client does. Returns 1 when a statement ran, with its rows in *result
 * (NULL when it returns none; free with weir_result_free; result may be
 * NULL), 0 when only blanks and comments are left, or a negative code
 * (weir_session_error then has the message, positioned in sql). In every
 * case *offset moves past what was read: the statement and its ';', also a
 * statement that failed to parse (up to its next ';').
 */
int weir_exec_next(weir_session *session, const char *sql, const char *name, int *offset,
                   weir_result **result);

/*
 * The last error, rendered for a person: "line 3, column 8: unknown column
 * 'x' ..." followed by the source line and a caret when the error has a
 * position. Empty when the last call succeeded. Valid until the next call.
 */
const char *weir_session_error(const weir_session *session);

/*
 * Asks the running statement to stop: its job is cancelled within about
 * 50 ms and weir_exec returns an error. Safe from any thread and from a
 * signal handler (it only sets a flag).
 */
void weir_session_cancel(weir_session *session);

/*
 * Asks the running job to stop with a savepoint: when 'state.savepoints.dir'
 * is set, a checkpoint is taken and written there before the job is
 * cancelled (weir_session_savepoint then gives its path); otherwise as
 * weir_session_cancel. Safe from any thread and from a signal handler.
 */
void weir_session_stop(weir_session *session);
/* The directory of the last savepoint a stop wrote, or NULL. */
const char *weir_session_savepoint(const weir_session *session);

/* Sets a configuration key, as SET 'key' = 'value' does. */
int weir_session_set(weir_session *session, const char *key, const char *value);
/* The value of a configuration key (as SET left it), or NULL; valid until the next call. */
const char *weir_session_get(const weir_session *session, const char *key);

/*
 * With resume, each job (INSERT) starts from the latest complete checkpoint
 * of its 'pipeline.name' in 'state.checkpoints.dir', when there is one (the
 * CLI's --resume). 'execution.savepoint.path' names one explicitly.
 */
void weir_session_set_resume(weir_session *session, bool resume);

/*
 * Notes on a job that ended: after a job (an INSERT, a statement set, a query) whose
 * sources skipped malformed records ('*.ignore-parse-errors') or whose operators dropped
 * late rows, fn(arg, note) is called once per such operator, on the thread that ran the
 * statement, with a line such as "source 'TableSourceScan(...)' skipped 3 malformed records
 * (ignore-parse-errors)" or "'WindowAggregate[...]' dropped 5 late rows" (borrowed for the
 * call; no newline). The counts are the job's metrics (weir_job_metrics). NULL stops the
 * calls; the CLI prints them on stderr as "note: ...".
 */
typedef void (*weir_note_fn)(void *arg, const char *note);
void weir_session_on_note(weir_session *session, weir_note_fn fn, void *arg);

/* ---- results ----------------------------------------------------------- */

typedef enum weir_kind {
    WEIR_KIND_NULL = 0,
    WEIR_KIND_BOOLEAN,
    WEIR_KIND_INTEGER, /* TINYINT..BIGINT */
    WEIR_KIND_REAL,    /* FLOAT, DOUBLE */
    WEIR_KIND_STRING,
    WEIR_KIND_TIMESTAMP,
} weir_kind;

int weir_result_columns(const weir_result *result);
const char *weir_result_column_name(const weir_result *result, int col);
/* Flink's type name: "INT", "STRING", "TIMESTAMP(3)", "BIGINT NOT NULL". */
const char *weir_result_column_type(const weir_result *result, int col);
weir_kind weir_result_column_kind(const weir_result *result, int col);
int64_t weir_result_rows(const weir_result *result);
/* "+I", "-U", "+U" or "-D". */
const char *weir_result_change(const weir_result *result, int64_t row);
bool weir_result_is_null(const weir_result *result, int64_t row, int col);
/* The value as SQL text (CAST(x AS STRING)); "NULL" for NULL. */
const char *weir_result_text(const weir_result *result, int64_t row, int col);
int64_t weir_result_int(const weir_result *result, int64_t row, int col);
double weir_result_double(const weir_result *result, int64_t row, int col);
void weir_result_free(weir_result *result);

/* ==== User-defined functions =============================================
 *
 * Scalar and aggregate functions written in C, called from SQL like built-ins. A function
 * is one weir_udf descriptor, registered either from SQL:
 *
 *   CREATE FUNCTION count_char AS 'count_char_udf' LANGUAGE C USING JAR '/path/libmyudfs.so';
 *
 * which loads the shared library and reads the descriptor it exports under
 * the symbol 'count_char_udf' (without USING JAR: from the running program),
 * or from C with weir_session_create_function. docs/udf.md has the details
 * and an example.
 *
 * Values cross the boundary as weir_value: the declared SQL types decide
 * their kind. A library needs only this header: it calls no Weir function
 * and links against nothing of Weir's.
 */

/* The descriptor layout this header describes; a descriptor of another version is refused. */
#define WEIR_UDF_ABI_VERSION 1

enum {
    WEIR_UDF_SCALAR = 1,    /* eval is called per row */
    WEIR_UDF_AGGREGATE = 2, /* init / accumulate (/ merge) / get_value per group */
};

/* The size of the error buffer handed to callbacks. */
#define WEIR_UDF_ERROR_MAX 512

/* How a value of each SQL type is given, and in which field of weir_value. */
typedef enum weir_value_kind {
    WEIR_VALUE_BOOLEAN = 1,   /* i: 0 or 1 (in results, nonzero is TRUE) */
    WEIR_VALUE_INT,           /* i: TINYINT, SMALLINT, INT, BIGINT */
    WEIR_VALUE_DOUBLE,        /* d: FLOAT, DOUBLE */
    WEIR_VALUE_DECIMAL,       /* s, len: DECIMAL(p, s) as text, "-12.50" (exactly s fraction
                                 digits in arguments; any number in results, rounded HALF_UP) */
    WEIR_VALUE_STRING,        /* s, len: CHAR, VARCHAR, STRING; UTF-8, not NUL-terminated */
    WEIR_VALUE_BYTES,         /* s, len: BINARY, VARBINARY, BYTES */
    WEIR_VALUE_DATE,          /* i: days since 1970-01-01 */
    WEIR_VALUE_TIME,          /* i: milliseconds of the day */
    WEIR_VALUE_TIMESTAMP,     /* i: microseconds since 1970-01-01 00:00:00, no time zone */
    WEIR_VALUE_TIMESTAMP_LTZ, /* i: microseconds since the epoch, UTC */
} weir_value_kind;

/*
 * An argument or a result. Weir sets kind from the declared type, and in
 * arguments the field that kind names, or is_null. Arguments and their bytes
 * are valid during the call only.
 *
 * A result arrives with kind set, is_null false and i, d, s, len zero;
 * eval sets the field of its kind, or is_null. A string, byte string or
 * DECIMAL text (s, len) may point to anything that stays valid until eval
 * returns (a literal, the bytes of an argument, a thread-local buffer): Weir
 * copies the bytes then. Or eval writes them into a buffer from
 * weir_value_alloc, which Weir owns and does not copy.
 */
typedef struct weir_value {
    weir_value_kind kind;
    bool is_null;
    int64_t i;
    double d;
    const char *s;
    size_t len;
    /* Results only (NULL in arguments): see weir_value_alloc. */
    char *(*alloc)(struct weir_value *result, size_t len);
    void *internal; /* Weir's */
} weir_value;

/*
 * A buffer of len bytes for a result's bytes, owned by Weir; points
 * result->s at it and sets result->len = len (lower len if fewer bytes are
 * used). Returns NULL when len is too large (over 1 GiB).
 */
static inline char *weir_value_alloc(weir_value *result, size_t len)
{
    return result->alloc(result, len);
}

/*
 * A user-defined function, as a library exports it (usually a static const
 * object) or a program passes it to weir_session_create_function. Weir
 * borrows the descriptor: it must stay valid while the function is
 * registered, and a library stays loaded until its last function is dropped.
 *
 * Types are SQL text, parsed as in CREATE TABLE: "BIGINT", "STRING",
 * "DECIMAL(10, 2)". An argument declared NOT NULL ("STRING NOT NULL") makes
 * the call NULL without calling eval when that argument is NULL; a result
 * declared NOT NULL makes a NULL from eval an error.
 *
 * Callbacks return 0, or nonzero on failure after writing a message into
 * errbuf (errlen bytes, WEIR_UDF_ERROR_MAX): the statement then fails with
 * "function NAME: message (arguments: ...)".
 *
 * Threads: a query runs on several threads, and they call the callbacks of
 * one descriptor at the same time, with the same `user`. eval must therefore
 * be thread-safe: keep per-call data on the stack, shared data read-only
 * or locked.
 */
typedef struct weir_udf {
    int abi_version;         /* WEIR_UDF_ABI_VERSION */
    int kind;                /* WEIR_UDF_SCALAR or WEIR_UDF_AGGREGATE */
    const char *result_type; /* "BIGINT" */
    const char *arg_types;   /* "STRING, STRING"; NULL or "" for none */
    /*
     * The same arguments always give the same result. The planner
     * evaluates a deterministic call with constant arguments once, when
     * the query is planned (false: it runs for every row).
     */
    bool deterministic;
    void *user; /* handed to every callback */

    /* Scalar: the result for one row's arguments (nargs as declared). */
    int (*eval)(void *user, const weir_value *args, int nargs, weir_value *result, char *errbuf,
                size_t errlen);

    /*
     * Aggregate (init, accumulate and get_value required; state_size 1 to
     * 65536): an accumulator is state_size bytes, 16-byte aligned, that
     * Weir may copy, move and write into checkpoints: plain data, no
     * pointers. init sets it up; accumulate adds a row's arguments; retract
     * (optional, NULL if the function cannot) removes them again, for
     * updating input; merge (optional) adds another accumulator into state,
     * for two-phase aggregation and session windows; get_value gives the
     * result (as eval does) without changing state.
     */
    size_t state_size;
    void (*init)(void *user, void *state);
    int (*accumulate)(void *user, void *state, const weir_value *args, int nargs, char *errbuf,
                      size_t errlen);
    int (*retract)(void *user, void *state, const weir_value *args, int nargs, char *errbuf,
                   size_t errlen);
    int (*merge)(void *user, void *state, const void *other, char *errbuf, size_t errlen);
    int (*get_value)(void *user, const void *state, weir_value *result, char *errbuf,
                     size_t errlen);
} weir_udf;

/*
 * Registers a function under name (any case matches in SQL, as for
 * built-ins), as CREATE FUNCTION does; udf is borrowed and must outlive the
 * registration. Fails (negative, weir_session_error) when the descriptor
 * does not check out, its types do not parse, or name is taken by a
 * built-in or another user function.
 */
int weir_session_create_function(weir_session *session, const char *name, const weir_udf *udf);
/* Removes a user function (registered either way), as DROP FUNCTION does. */
int weir_session_drop_function(weir_session *session, const char *name);

/* ==== DataStream API ====================================================
 *
 * Build a job from sources, transformations and sinks, then execute it:
 *
 *   weir_env *env = weir_env_new();
 *   weir_stream *lines = weir_from_text_file(env, "in.txt");
 *   weir_stream *words = weir_flat_map(lines, "word STRING, n BIGINT", split, NULL);
 *   weir_stream *counts = weir_reduce(weir_key_by(words, "word"), sum, NULL);
 *   weir_print(counts, NULL);
 *   if (weir_execute(env, "wordcount")) fprintf(stderr, "%s\n", weir_env_error(env));
 *
 * Records are rows with named, typed fields, declared as a schema string in
 * Flink SQL's syntax: "ts BIGINT, key STRING, amount DOUBLE". Each record
 * also carries an event timestamp in epoch milliseconds (or none), assigned
 * by a watermark strategy and kept through transformations.
 *
 * Building never fails halfway: the first error (a bad schema, an unknown
 * field) is kept in the environment, later calls return NULL streams, and
 * weir_execute reports it. Streams and tags belong to their environment.
 * User callbacks of one parallel instance run on one thread, never two at a
 * time; different instances run on different threads and share `arg`.
 * Callbacks return 0, or nonzero to fail the job (use weir_fail to say why).
 */

typedef struct weir_env weir_env;
typedef struct weir_stream weir_stream;
typedef struct weir_job weir_job;
typedef struct weir_row weir_row; /* a record, read-only, valid during the callback */
typedef struct weir_ctx weir_ctx; /* what a callback can reach: output, key, time, state, timers */
typedef struct weir_out weir_out; /* an output row under construction */
typedef struct weir_tag weir_tag; /* a side output */

#define WEIR_NO_TIMESTAMP INT64_MIN

weir_env *weir_env_new(void);
/* Frees the environment with its streams and tags. */
void weir_env_free(weir_env *env);
/*
 * Configuration with Flink's keys: 'parallelism.default',
 * 'execution.runtime-mode' (streaming | batch), 'pipeline.auto-watermark-interval',
 * 'pipeline.max-parallelism', 'execution.buffer-timeout', ...
 */
int weir_env_set(weir_env *env, const char *key, const char *value);
/* The first error of building or executing; "" when there is none. */
const char *weir_env_error(const weir_env *env);

/* ---- records ---- */

int weir_row_fields(const weir_row *row);
bool weir_row_is_null(const weir_row *row, int field);
/* BOOLEAN (0/1), TINYINT..BIGINT, and TIMESTAMP as epoch milliseconds. */
int64_t weir_row_int(const weir_row *row, int field);
/* FLOAT, DOUBLE; integers are converted. */
double weir_row_double(const weir_row *row, int field);
/* CHAR, VARCHAR, STRING: the bytes (not NUL-terminated) and their length. */
const char *weir_row_str(const weir_row *row, int field, size_t *len);
/* The record's event timestamp, or WEIR_NO_TIMESTAMP. */
int64_t weir_row_timestamp(const weir_row *row);
/* Field index by name, or -1. */
int weir_row_field(const weir_row *row, const char *name);

/*
 * Output rows: take a builder, set fields (unset fields are NULL), emit. The
 * emitted record's timestamp is that of the input record, of the firing
 * timer, or the window's end - 1, unless set with weir_set_timestamp.
 */
weir_out *weir_output(weir_ctx *ctx);
weir_out *weir_side_output(weir_ctx *ctx, const weir_tag *tag);
void weir_set_int(weir_out *out, int field, int64_t value);
void weir_set_double(weir_out *out, int field, double value);
void weir_set_str(weir_out *out, int field, const char *s, size_t len); /* copied */
void weir_set_null(weir_out *out, int field);
/* Copies every field of row, which must have the output's types. */
void weir_set_row(weir_out *out, const weir_row *row);
void weir_set_timestamp(weir_out *out, int64_t timestamp);
int weir_emit(weir_out *out);

/* ---- the context of a callback ---- */

/* Current record's timestamp (in on_timer: the timer's time). */
int64_t weir_ctx_timestamp(const weir_ctx *ctx);
int64_t weir_ctx_watermark(const weir_ctx *ctx);       /* WEIR_NO_TIMESTAMP before the first */
int64_t weir_ctx_processing_time(const weir_ctx *ctx); /* wall clock, epoch ms */
/* Keyed contexts: the current key as a row of the key's fields; NULL elsewhere. */
const weir_row *weir_ctx_key(const weir_ctx *ctx);
int weir_ctx_subtask(const weir_ctx *ctx);
int weir_ctx_parallelism(const weir_ctx *ctx);
/* Window contexts: the window's bounds [start, end); WEIR_NO_TIMESTAMP elsewhere. */
int64_t weir_ctx_window_start(const weir_ctx *ctx);
int64_t weir_ctx_window_end(const weir_ctx *ctx);
/* Sets the job's error message (printf-style) and returns -1, for `return weir_fail(...)`. */
int weir_fail(weir_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Timers of the current key (keyed process functions, triggers). Registering twice is a no-op. */
void weir_timer_event(weir_ctx *ctx, int64_t time);
void weir_timer_processing(weir_ctx *ctx, int64_t time);
void weir_timer_delete_event(weir_ctx *ctx, int64_t time);
void weir_timer_delete_processing(weir_ctx *ctx, int64_t time);

/* ---- keyed state ---- */

typedef enum weir_state_kind {
    WEIR_STATE_VALUE,
    WEIR_STATE_LIST,
    WEIR_STATE_MAP,
    WEIR_STATE_REDUCING,   /* a value combined with reduce() on every add */
    WEIR_STATE_AGGREGATING /* an accumulator of acc_size bytes updated by add() */
} weir_state_kind;

typedef enum weir_ttl_update {
    WEIR_TTL_ON_CREATE_AND_WRITE,
    WEIR_TTL_ON_READ_AND_WRITE,
} weir_ttl_update;

/*
 * Describes a state; declare it once (usually static) and list it in the
 * function's `states`. Values are byte strings, copied in and out. State is
 * scoped by the current key (and, in triggers, the window). Value pointers
 * of VALUE, REDUCING and AGGREGATING state are 8-byte aligned; LIST and MAP
 * values need not be: copy them out (memcpy) before reading them as structs. With ttl_ms > 0
 * a value not written (or read, per ttl_update) for ttl_ms of processing
 * time is never returned again.
 */
typedef struct weir_state_desc {
    const char *name;
    weir_state_kind kind;
    int64_t ttl_ms;
    weir_ttl_update ttl_update;
    size_t size; /* REDUCING: value size; AGGREGATING: accumulator size */
    /* REDUCING: acc = reduce(acc, value) in place. */
    void (*reduce)(void *arg, void *acc, const void *value);
    /* AGGREGATING: acc starts from init() and takes each added value. */
    void (*init)(void *arg, void *acc);
    void (*add)(void *arg, void *acc, const void *value, size_t len);
    void *arg;
} weir_state_desc;

/* VALUE, REDUCING, AGGREGATING: the value (NULL when there is none). Valid until the next state
 * call. */
const void *weir_state_value(weir_ctx *ctx, const weir_state_desc *state, size_t *len);
int64_t weir_state_int(weir_ctx *ctx, const weir_state_desc *state, int64_t dflt);
/* VALUE: replaces the value. */
void weir_state_update(weir_ctx *ctx, const weir_state_desc *state, const void *value, size_t len);
void weir_state_update_int(weir_ctx *ctx, const weir_state_desc *state, int64_t value);
/* LIST: appends; REDUCING/AGGREGATING: combines the value in. */
void weir_state_add(weir_ctx *ctx, const weir_state_desc *state, const void *value, size_t len);
/* LIST: iterates (start with *pos = 0; false at the end). */
bool weir_state_next(weir_ctx *ctx, const weir_state_desc *state, size_t *pos, const void **value,
                     size_t *len);
/* MAP */
const void *weir_map_get(weir_ctx *ctx, const weir_state_desc *state, const void *key, size_t klen,
                         size_t *len);
void weir_map_put(weir_ctx *ctx, const weir_state_desc *state, const void *key, size_t klen,
                  const void *value, size_t len);
bool weir_map_remove(weir_ctx *ctx, const weir_state_desc *state, const void *key, size_t klen);
bool weir_map_next(weir_ctx *ctx, const weir_state_desc *state, size_t *pos, const void **key,
                   size_t *klen, const void **value, size_t *len);
/* Any kind: clears the current key's (and window's) value. */
void weir_state_clear(weir_ctx *ctx, const weir_state_desc *state);

/* ---- sources ---- */

/*
 * A connector, as in SQL's WITH clause: NULL-terminated key, value pairs,
 * e.g. {"connector", "datagen", "number-of-rows", "1000", NULL}.
 */
weir_stream *weir_from_connector(weir_env *env, const char *schema, const char *const *options);
/* Rows given as CSV lines (one record each), in order; parallelism 1. */
weir_stream *weir_from_elements(weir_env *env, const char *schema, const char *const *lines,
                                size_t n);
/*
 * A callback source: fn is called repeatedly on each parallel instance and
 * emits rows through weir_output(ctx); it returns WEIR_SOURCE_MORE, or
 * WEIR_SOURCE_END when this instance is done (negative: fail).
 */
enum { WEIR_SOURCE_MORE = 0, WEIR_SOURCE_END = 1 };
typedef int (*weir_source_fn)(void *arg, weir_ctx *ctx);
weir_stream *weir_from_callback(weir_env *env, const char *schema, weir_source_fn fn, void *arg);
/* Lines of a text file as "line STRING"; path "-" reads standard input. */
weir_stream *weir_from_text_file(weir_env *env, const char *path);
/* CSV lines of a file (or "-") parsed into schema; delimiter ','. */
weir_stream *weir_from_csv_file(weir_env *env, const char *schema, const char *path);

/* ---- event time ---- */

typedef enum weir_watermark_kind {
    WEIR_WATERMARK_MONOTONOUS, /* timestamps ascend: watermark = max timestamp - 1 */
    WEIR_WATERMARK_BOUNDED,    /* out of order by at most max_out_of_orderness_ms */
    WEIR_WATERMARK_CUSTOM,     /* on_event / on_periodic compute it */
} weir_watermark_kind;

typedef struct weir_watermark_strategy {
    weir_watermark_kind kind;
    int64_t max_out_of_orderness_ms;
    /* The event time: a field (BIGINT epoch ms or TIMESTAMP), or a function. */
    const char *timestamp_field;
    int64_t (*timestamp)(void *arg, const weir_row *row);
    /* A source split without records for this long is idle (0: never). */
    int64_t idle_timeout_ms;
    /* CUSTOM: state of state_size bytes (zeroed); each returns a watermark or WEIR_NO_TIMESTAMP. */
    size_t state_size;
    int64_t (*on_event)(void *arg, void *state, int64_t timestamp);
    int64_t (*on_periodic)(void *arg, void *state);
    void *arg;
} weir_watermark_strategy;

/*
 * Assigns timestamps and generates watermarks, periodically
 * ('pipeline.auto-watermark-interval', 200 ms) and at end of input.
 */
weir_stream *weir_assign_timestamps(weir_stream *in, const weir_watermark_strategy *strategy);

/* ---- transformations ---- */

/* Emits any number of rows of out_schema per input row. */
typedef int (*weir_flat_map_fn)(void *arg, const weir_row *in, weir_ctx *ctx);
weir_stream *weir_flat_map(weir_stream *in, const char *out_schema, weir_flat_map_fn fn, void *arg);
/* Sets the fields of exactly one output row (emitted for it). */
typedef int (*weir_map_fn)(void *arg, const weir_row *in, weir_out *out);
weir_stream *weir_map(weir_stream *in, const char *out_schema, weir_map_fn fn, void *arg);
typedef bool (*weir_filter_fn)(void *arg, const weir_row *in);
weir_stream *weir_filter(weir_stream *in, weir_filter_fn fn, void *arg);
/* Streams of the same schema, merged. */
weir_stream *weir_union(weir_stream *a, weir_stream *b);

/* Partitions by key fields ("user" or "a, b"); the result is a keyed stream. */
weir_stream *weir_key_by(weir_stream *in, const char *fields);
/* Partitions by a key that fn sets on a row of key_schema. */
typedef int (*weir_key_fn)(void *arg, const weir_row *in, weir_out *key);
weir_stream *weir_key_by_fn(weir_stream *in, const char *key_schema, weir_key_fn fn, void *arg);

/* A (keyed) process function. Optional callbacks may be NULL. */
typedef struct weir_process_fn {
    int (*open)(void *arg, weir_ctx *ctx);
    int (*process_element)(void *arg, const weir_row *in, weir_ctx *ctx);
    /* Keyed streams: a timer of the current key fired at `time`. */
    int (*on_timer)(void *arg, int64_t time, weir_ctx *ctx);
    int (*close)(void *arg, weir_ctx *ctx);
    const weir_state_desc *const *states; /* NULL-terminated; keyed streams */
} weir_process_fn;
weir_stream *weir_process(weir_stream *in, const char *out_schema, const weir_process_fn *fn,
                          void *arg);

/* Two inputs (connect + process): process_element1/2 per input; keyed when both are. */
typedef struct weir_co_process_fn {
    int (*open)(void *arg, weir_ctx *ctx);
    int (*process_element1)(void *arg, const weir_row *in, weir_ctx *ctx);
    int (*process_element2)(void *arg, const weir_row *in, weir_ctx *ctx);
    int (*on_timer)(void *arg, int64_t time, weir_ctx *ctx);
    int (*close)(void *arg, weir_ctx *ctx);
    const weir_state_desc *const *states;
} weir_co_process_fn;
weir_stream *weir_co_process(weir_stream *a, weir_stream *b, const char *out_schema,
                             const weir_co_process_fn *fn, void *arg);

/*
 * Keyed streams: a rolling reduce. fn sets every field of out from the
 * accumulated row and the new one (same schema). Streaming mode emits the
 * new accumulated row per input; batch mode only the final row per key.
 */
typedef int (*weir_reduce_fn)(void *arg, const weir_row *acc, const weir_row *in, weir_out *out);
weir_stream *weir_reduce(weir_stream *keyed, weir_reduce_fn fn, void *arg);

/* An aggregate function over an accumulator of acc_size bytes. */
typedef struct weir_aggregate_fn {
    size_t acc_size;
    void (*init)(void *arg, void *acc);
    void (*add)(void *arg, void *acc, const weir_row *in);
    /* Merges other into acc (session windows); may be NULL otherwise. */
    void (*merge)(void *arg, void *acc, const void *other);
    /* Emits the result through weir_output(ctx); key and window are in ctx. */
    int (*result)(void *arg, const void *acc, weir_ctx *ctx);
} weir_aggregate_fn;
/* Keyed streams: emits the result per input (streaming) or per key at the end (batch). */
weir_stream *weir_aggregate(weir_stream *keyed, const char *out_schema, const weir_aggregate_fn *fn,
                            void *arg);

/* Rows of a side output of the operator that produced `stream`. */
weir_tag *weir_tag_new(weir_env *env, const char *name, const char *schema);
weir_stream *weir_get_side_output(weir_stream *stream, const weir_tag *tag);

/* Operator settings: parallelism and name of the operator producing the stream. */
weir_stream *weir_set_parallelism(weir_stream *stream, int parallelism);
weir_stream *weir_set_name(weir_stream *stream, const char *name);

/* ---- windows ---- */

typedef enum weir_trigger_result {
    WEIR_CONTINUE = 0,
    WEIR_FIRE = 1,
    WEIR_PURGE = 2,
    WEIR_FIRE_AND_PURGE = 3,
} weir_trigger_result;

/*
 * A trigger decides when a window fires. Its callbacks see the window in ctx
 * (weir_ctx_window_start/end), may register timers and keep state scoped to
 * the key and window (states listed in `states`).
 */
typedef struct weir_trigger {
    weir_trigger_result (*on_element)(void *arg, const weir_row *row, weir_ctx *ctx);
    weir_trigger_result (*on_event_time)(void *arg, int64_t time, weir_ctx *ctx);
    weir_trigger_result (*on_processing_time)(void *arg, int64_t time, weir_ctx *ctx);
    /* Session windows merged into the window in ctx; may be NULL if not mergeable. */
    void (*on_merge)(void *arg, weir_ctx *ctx);
    void (*clear)(void *arg, weir_ctx *ctx);
    const weir_state_desc *const *states;
    void *arg;
} weir_trigger;

/* Built-in triggers; the objects belong to env. */
const weir_trigger *weir_trigger_event_time(weir_env *env);
const weir_trigger *weir_trigger_processing_time(weir_env *env);
const weir_trigger *weir_trigger_count(weir_env *env, int64_t count);
const weir_trigger *weir_trigger_purging(weir_env *env, const weir_trigger *inner);

typedef enum weir_window_kind {
    WEIR_WINDOW_TUMBLING,
    WEIR_WINDOW_SLIDING,
    WEIR_WINDOW_SESSION,
    WEIR_WINDOW_GLOBAL,
} weir_window_kind;

typedef struct weir_window_spec {
    weir_window_kind kind;
    bool processing_time; /* assign by processing time instead of event time */
    int64_t size_ms;      /* tumbling, sliding */
    int64_t slide_ms;     /* sliding */
    int64_t offset_ms;    /* tumbling, sliding */
    int64_t gap_ms;       /* session */
    /* NULL: the assigner's default (event or processing time; never for GLOBAL). */
    const weir_trigger *trigger;
    int64_t allowed_lateness_ms;
    /* Late records (window already past its lateness) go here; NULL drops them. */
    const weir_tag *late_tag;
} weir_window_spec;

/* Incremental: the reduced row is emitted when the window fires. */
weir_stream *weir_window_reduce(weir_stream *keyed, const weir_window_spec *window,
                                weir_reduce_fn fn, void *arg);
/* Incremental: result() is called when the window fires. */
weir_stream *weir_window_aggregate(weir_stream *keyed, const weir_window_spec *window,
                                   const char *out_schema, const weir_aggregate_fn *fn, void *arg);
/* Full window: fn sees all rows of the window (iterate with weir_rows_next). */
typedef struct weir_rows weir_rows;
const weir_row *weir_rows_next(weir_rows *rows);
typedef int (*weir_window_fn)(void *arg, weir_rows *rows, weir_ctx *ctx);
weir_stream *weir_window_process(weir_stream *keyed, const weir_window_spec *window,
                                 const char *out_schema, weir_window_fn fn, void *arg);

/* ---- sinks ---- */

/* Flink's print sink: "+I[a, 1]" lines on stdout, with "N> " at parallelism > 1. */
void weir_print(weir_stream *stream, const char *identifier);
/* Appends CSV lines to a file ("-" for standard output). */
void weir_sink_csv_file(weir_stream *stream, const char *path);
/* fn sees every row; it runs on the sink's parallel instances (default parallelism 1). */
typedef int (*weir_sink_fn)(void *arg, const weir_row *row, weir_ctx *ctx);
void weir_sink_callback(weir_stream *stream, weir_sink_fn fn, void *arg);
/* A connector sink, as in SQL's WITH clause. */
void weir_to_connector(weir_stream *stream, const char *const *options);

/* ---- execution ---- */

/* Runs the job to completion (bounded sources) or failure. 0, or -1 with weir_env_error. */
int weir_execute(weir_env *env, const char *job_name);
/*
 * Starts the job and returns at once; NULL with weir_env_error on error. The
 * job uses the environment: weir_env_free cancels a job still running and
 * waits for it (free the handle with weir_job_free as always).
 */
weir_job *weir_execute_async(weir_env *env, const char *job_name);
/* Waits up to timeout_ms (< 0: forever): 0 done, 1 still running, -1 failed (weir_job_error). */
int weir_job_wait(weir_job *job, int64_t timeout_ms);
void weir_job_cancel(weir_job *job);
const char *weir_job_error(const weir_job *job);
/* Checkpoints of a running or finished job so far. */
typedef struct weir_checkpoint_stats {
    int64_t completed, failed, restarts;
    int64_t last_id;          /* newest durable checkpoint, 0 when none */
    int64_t last_duration_ms; /* its time from trigger to durable */
    int64_t last_bytes;       /* its state bytes */
    int64_t max_pause_ms;     /* longest a task paused for its snapshots at one barrier */
} weir_checkpoint_stats;
void weir_job_checkpoint_stats(const weir_job *job, weir_checkpoint_stats *stats);

/*
 * Metrics of each operator of a running or finished job, summed over its parallel
 * instances, under Flink's names. Counts lag a running job by at most one batch per task
 * and are final once weir_job_wait returned 0 or -1; after a restart from a checkpoint they
 * count from the restart. A source receives no records (records_in 0): what it reads it
 * emits (records_out).
 */
typedef struct weir_vertex_metrics {
    const char *name; /* the operator's name (weir_set_name); valid while the job lives */
    int parallelism;
    int64_t records_in;           /* numRecordsIn: rows the operator received */
    int64_t records_out;          /* numRecordsOut: rows it emitted (side outputs too) */
    int64_t records_in_errors;    /* numRecordsInErrors: malformed records a source skipped
                                     ('csv.ignore-parse-errors', 'json.ignore-parse-errors') */
    int64_t late_records_dropped; /* numLateRecordsDropped: rows a window, window join,
                                     OVER or window rank dropped as late */
    int64_t state_bytes;          /* bytes of state (keyed state, buffered rows, tables) the
                                     operator holds now; at its end once the job ended */
    int64_t state_bytes_peak;     /* the sum over instances of each one's largest state_bytes
                                     (docs/metrics.md says what each operator counts) */
} weir_vertex_metrics;
/*
 * Fills out[0 .. min(cap, n)) with the metrics of the job's n operators, in the order they
 * were added, and returns n (call with cap 0 to size the array). Safe from any thread.
 */
int weir_job_metrics(const weir_job *job, weir_vertex_metrics *out, int cap);

/*
 * The metrics of the last job the session ran to its end (an INSERT, a statement set or a
 * query, whether it succeeded or failed), as weir_job_metrics gives them once the job ended:
 * fills out[0 .. min(cap, n)) and returns its n operators (0 before any job). The names
 * belong to the session and stay valid until its next job ends or it is freed.
 */
int weir_session_last_job_metrics(const weir_session *session, weir_vertex_metrics *out, int cap);

/* Cancels the job if it still runs, waits for it and frees it. */
void weir_job_free(weir_job *job);

/* ==== Table API =========================================================
 *
 * Tables and SQL over DataStreams, in the same job (Flink's StreamTableEnvironment):
 *
 *   weir_table_env *tenv = weir_table_env_new(env);
 *   weir_stream *clicks = weir_from_callback(env, "user STRING, ts TIMESTAMP(3)", gen, NULL);
 *   weir_table_env_create_view(tenv, "clicks", clicks,
 *                              "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND");
 *   weir_table *counts = weir_table_sql(tenv, "SELECT user, COUNT(*) AS n FROM clicks "
 *                                             "GROUP BY user");
 *   weir_print(weir_table_to_changelog_stream(counts), NULL);   // +I, -U, +U lines
 *   weir_execute(env, "clicks");
 *
 * A table environment belongs to its DataStream environment and holds a SQL catalog (the
 * streams registered as tables, and tables, views and functions from DDL) and SET options.
 * A table is a query: SQL text, or one composed by the calls below, which build SQL text
 * over their input (weir_table_filter(t, "amount > 10") is SELECT * FROM (t) WHERE
 * amount > 10), so they bind and plan exactly as SQL does. Queries are checked where they
 * are made and planned at weir_execute, into the one job of the environment.
 *
 * Errors go where the DataStream API's go: the first is kept in the environment
 * (weir_env_error), later calls return NULL or -1, weir_execute reports it. SQL and
 * expression errors name the call and show the line and column in the text it was given:
 * "weir_table_filter: line 1, column 8: unknown column 'amout' ...".
 *
 * A table environment is used by the thread that builds its environment's job; tables and
 * their texts belong to it and are freed with the environment.
 *
 * Options: the planner reads the environment's configuration (weir_env_set) overlaid by
 * the table environment's (weir_table_env_set, SET): 'execution.runtime-mode',
 * 'parallelism.default', 'table.exec.state.ttl', 'table.exec.mini-batch.*', ...
 */

typedef struct weir_table_env weir_table_env;
typedef struct weir_table weir_table; /* belongs to its table environment */

/* The change kind of a row of a changelog (Flink's RowKind), printed +I, -U, +U, -D. */
typedef enum weir_change {
    WEIR_INSERT = 0,
    WEIR_UPDATE_BEFORE = 1,
    WEIR_UPDATE_AFTER = 2,
    WEIR_DELETE = 3,
} weir_change;

/* The change kind of a record: WEIR_INSERT unless it comes from a changelog stream. */
weir_change weir_row_kind(const weir_row *row);
/* Sets the kind of an output row (default WEIR_INSERT; weir_set_row copies the row's). */
void weir_set_kind(weir_out *out, weir_change kind);

/* A table environment of env, freed with it. NULL when env holds an error. */
weir_table_env *weir_table_env_new(weir_env *env);
/* Sets a planner option, as SET does; checked now. */
int weir_table_env_set(weir_table_env *tenv, const char *key, const char *value);
/*
 * Runs statements (separated by ';'): DDL (CREATE TABLE with connectors, CREATE VIEW over
 * any table, DROP, ALTER, CREATE FUNCTION), SET and RESET now; an INSERT INTO (or a
 * statement set) becomes part of the environment's job, run by weir_execute. Queries are
 * made with weir_table_sql. 0, or -1 with weir_env_error.
 */
int weir_table_env_exec(weir_table_env *tenv, const char *sql);
/*
 * Registers the rows of stream as a table named name (Flink's createTemporaryView with a
 * Schema): its fields are the columns, and schema_extra (NULL for none) adds what a
 * CREATE TABLE may declare after them: computed columns ("pt AS PROCTIME()",
 * "ts AS TO_TIMESTAMP_LTZ(ms, 3)"), a WATERMARK ("WATERMARK FOR ts AS ts - INTERVAL '5'
 * SECOND", which makes ts a rowtime attribute) and a PRIMARY KEY (... NOT ENFORCED).
 * The stream's own timestamps and watermarks are not used. 0, or -1.
 */
int weir_table_env_create_view(weir_table_env *tenv, const char *name, weir_stream *stream,
                               const char *schema_extra);
/* Registers a table under name, as a view of its query (createTemporaryView(name, table)). */
int weir_table_env_register(weir_table_env *tenv, const char *name, weir_table *table);

/* The rows of stream as a table (fromDataStream), under a generated name. */
weir_table *weir_table_from_stream(weir_table_env *tenv, weir_stream *stream,
                                   const char *schema_extra);
/* A query (sqlQuery): SELECT, VALUES, set operations, WITH, over any table of the catalog. */
weir_table *weir_table_sql(weir_table_env *tenv, const char *query);
/* A table or view of the catalog by name (from). */
weir_table *weir_table_from(weir_table_env *tenv, const char *name);

/* SELECT exprs: "a, b * 2 AS b2, UPPER(c) AS c". On a grouped table: keys and aggregates. */
weir_table *weir_table_select(weir_table *in, const char *exprs);
/* WHERE predicate. */
weir_table *weir_table_filter(weir_table *in, const char *predicate);
/* GROUP BY keys ("user, window_start, window_end"): finish with select or aggregate. */
weir_table *weir_table_group_by(weir_table *in, const char *keys);
/* The keys and then aggs ("COUNT(*) AS n, SUM(amount) AS total") per group. */
weir_table *weir_table_aggregate(weir_table *grouped, const char *aggs);
/* JOIN ... ON condition; the two tables' column names must differ. */
weir_table *weir_table_join(weir_table *left, weir_table *right, const char *condition);
weir_table *weir_table_left_join(weir_table *left, weir_table *right, const char *condition);

typedef enum weir_table_window_kind {
    WEIR_TABLE_TUMBLE,
    WEIR_TABLE_HOP,
    WEIR_TABLE_CUMULATE,
    WEIR_TABLE_SESSION,
} weir_table_window_kind;

typedef struct weir_table_window_spec {
    weir_table_window_kind kind;
    const char *time_column;  /* a rowtime or processing-time attribute of the input */
    int64_t size_ms;          /* TUMBLE, HOP, CUMULATE (the largest window) */
    int64_t slide_ms;         /* HOP: the slide; CUMULATE: the step */
    int64_t gap_ms;           /* SESSION */
    int64_t offset_ms;        /* TUMBLE, HOP, CUMULATE; 0 for none */
    const char *partition_by; /* SESSION: "key, ..." or NULL */
} weir_table_window_spec;

/*
 * The window table function over in: its columns and window_start, window_end and
 * window_time (a rowtime attribute). GROUP BY window_start, window_end (and keys) over it
 * is a window aggregation, emitting each window once, when the watermark passes its end.
 */
weir_table *weir_table_window(weir_table *in, const weir_table_window_spec *window);

/*
 * The table's rows as a stream (toChangelogStream): each row with its change kind
 * (weir_row_kind; weir_print shows it). One node of the environment's job.
 */
weir_stream *weir_table_to_changelog_stream(weir_table *table);
/* As weir_table_to_changelog_stream for insert-only tables (toDataStream); updating ones are
 * an error naming the node that produces updates. */
weir_stream *weir_table_to_stream(weir_table *table);
/*
 * The plan, as EXPLAIN shows it (before and after the rules, and the job graph with the
 * streams the table reads as stand-in sources); valid as long as the table. NULL on error.
 */
const char *weir_table_explain(weir_table *table);

#ifdef __cplusplus
}
#endif

#endif
