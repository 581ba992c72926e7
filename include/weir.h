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

/* Sets a configuration key, as SET 'key' = 'value' does. */
int weir_session_set(weir_session *session, const char *key, const char *value);

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

#ifdef __cplusplus
}
#endif

#endif
