/*
 * func_string.c — built-in string functions (functions.h).
 */
#include "functions.h"

const wr_func_def wr_funcs_string[] = {
    {NULL, 0, 0, NULL, NULL, NULL},
};
