/*
 * print.h — rendering statement results in the terminal, as Flink's SQL
 * client does for its 'sql-client.execution.result-mode' values.
 */
#ifndef WR_CLI_PRINT_H
#define WR_CLI_PRINT_H

#include "weir.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum wr_cli_mode {
    WR_CLI_TABLEAU,   /* the rows as they came; an op column only for a changelog */
    WR_CLI_TABLE,     /* the rows left after applying the changelog, without op column */
    WR_CLI_CHANGELOG, /* every change with its op column (+I, -U, +U, -D) */
} wr_cli_mode;

/* The mode a 'sql-client.execution.result-mode' value names (NULL or unknown: tableau). */
wr_cli_mode wr_cli_mode_of(const char *value);

/*
 * Prints a result as a boxed table (+----+ rules, numbers right-aligned,
 * NULL as <NULL>), then "N rows in set" or "Empty set", followed by
 * " (0.02 seconds)" when seconds >= 0. A one-row, one-column result whose
 * value spans lines (EXPLAIN, SHOW CREATE) is printed as plain text.
 */
void wr_cli_print_result(FILE *f, const weir_result *result, wr_cli_mode mode, double seconds);

/*
 * Changelog mode, live: while a query runs in changelog mode, its rows are
 * printed as the job produces them (an unbounded query shows its changes
 * until it is cancelled), each as `| op | values |` under a header line,
 * and the statement ends with wr_cli_live_footer instead of a table.
 * Table mode on a terminal: the table as it stands (the changelog applied)
 * is redrawn at most once a second while the query runs; the final table
 * is printed as usual when it ends.
 * wr_cli_live_begin registers the printer with the session, which checks
 * the mode as rows come; `printed` counts the rows of the current
 * statement.
 */
typedef struct wr_cli_live {
    FILE *f;
    weir_session *session;
    int64_t printed;
    bool tty;            /* f is a terminal: table mode redraws the table as rows come */
    int64_t drawn_at_ms; /* table mode: when it last drew */
} wr_cli_live;
void wr_cli_live_begin(wr_cli_live *live, FILE *f, weir_session *session);
/* "N rows in set (..)" for the rows printed live; starts counting afresh. */
void wr_cli_live_footer(wr_cli_live *live, double seconds);
void wr_cli_live_stop(wr_cli_live *live);

#endif
