/*
 * client.h — `weir sql` as Flink's SQL client: the interactive shell on a
 * terminal, the same statements read from a pipe, and the signal handling
 * that lets Ctrl-C cancel the running statement.
 */
#ifndef WR_CLI_CLIENT_H
#define WR_CLI_CLIENT_H

#include "weir.h"

#include <stdbool.h>
#include <stdio.h>

/*
 * Installs the handlers: SIGINT cancels the statement running in the session
 * given to wr_cli_running, SIGTERM stops it (with a savepoint when
 * 'state.savepoints.dir' is set); SIGPIPE is ignored.
 */
void wr_cli_signals_install(void);
/* The session whose statement a signal should stop, or NULL between statements. */
void wr_cli_running(weir_session *session);
/* The last signal received (SIGINT, SIGTERM) and clears it; 0 when none. */
int wr_cli_take_signal(void);

/* Reads all of f into a new string (free with wr_free), or NULL after reporting why. */
char *wr_cli_read_all(FILE *f, const char *name);

/*
 * Reads statements from stdin and runs them, going on after errors as
 * Flink's client does. With interactive (stdin is a terminal) it is a line
 * editor with history in $WEIR_HISTORY or ~/.weir_history; otherwise the
 * whole input is read first, then run. Returns the exit status: 0, 1 when a
 * statement failed (non-interactive only), 128 + signal when stopped by one.
 */
int wr_cli_client(weir_session *session, bool interactive);

#endif
