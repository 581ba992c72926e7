/*
 * print.c — boxed tables for results; see print.h.
 */
#include "print.h"

#include <stdlib.h>
#include <string.h>

static void rule(FILE *f, const int *width, int n)
{
    fputc('+', f);
    for (int c = 0; c < n; c++) {
        for (int i = 0; i < width[c] + 2; i++) fputc('-', f);
        fputc('+', f);
    }
    fputc('\n', f);
}

void wr_cli_print_table(FILE *f, const weir_result *r)
{
    int ncols = weir_result_columns(r);
    int64_t nrows = weir_result_rows(r);
    int n = ncols + 1;
    int *width = calloc((size_t)n, sizeof(int));
    if (width == NULL) return;
    width[0] = 2;
    for (int c = 0; c < ncols; c++) {
        width[c + 1] = (int)strlen(weir_result_column_name(r, c));
        for (int64_t row = 0; row < nrows; row++) {
            int w = weir_result_is_null(r, row, c) ? 6 : (int)strlen(weir_result_text(r, row, c));
            if (w > width[c + 1]) width[c + 1] = w;
        }
    }
    rule(f, width, n);
    fprintf(f, "| %*s |", width[0], "op");
    for (int c = 0; c < ncols; c++)
        fprintf(f, " %*s |", width[c + 1], weir_result_column_name(r, c));
    fputc('\n', f);
    rule(f, width, n);
    for (int64_t row = 0; row < nrows; row++) {
        fprintf(f, "| %*s |", width[0], weir_result_change(r, row));
        for (int c = 0; c < ncols; c++) {
            const char *text =
                weir_result_is_null(r, row, c) ? "<NULL>" : weir_result_text(r, row, c);
            /* Numbers right-aligned, text left-aligned, as the SQL client does. */
            weir_kind k = weir_result_column_kind(r, c);
            if (k == WEIR_KIND_INTEGER || k == WEIR_KIND_REAL)
                fprintf(f, " %*s |", width[c + 1], text);
            else
                fprintf(f, " %-*s |", width[c + 1], text);
        }
        fputc('\n', f);
    }
    if (nrows > 0) rule(f, width, n);
    fprintf(f, "%lld row%s in set\n", (long long)nrows, nrows == 1 ? "" : "s");
    free(width);
}
