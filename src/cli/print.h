/*
 * print.h — rendering statement results in the terminal.
 */
#ifndef WR_CLI_PRINT_H
#define WR_CLI_PRINT_H

#include "weir.h"

#include <stdio.h>

/*
 * Prints a result as Flink's SQL client does in tableau mode: a boxed table
 * with an `op` column holding each row's change kind, then "N rows in set".
 */
void wr_cli_print_table(FILE *f, const weir_result *result);

#endif
