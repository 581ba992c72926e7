/*
 * slt.h — `weir slt FILE...`: runs sqllogictest files against the public API.
 *
 * The format is SQLite's (see tests/sql/README.md); the engine name used by
 * skipif/onlyif is "weir".
 */
#ifndef WR_SLT_H
#define WR_SLT_H

/*
 * Runs the sqllogictest files named in argv[1..]; argv[0] is "slt". Options:
 * -v (print each record as it runs) and --halt-on-error (stop at the first
 * failure). Each file gets a fresh session. Failures go to stderr as
 * "file:line: ..." with the SQL, the expected and the actual result; the last
 * line on stdout is "N passed, N failed, N skipped". Returns the process exit
 * status: 0 when nothing failed, 1 when a record failed or a file could not be
 * read, 2 on a usage error.
 */
int wr_slt_main(int argc, char **argv);

#endif
