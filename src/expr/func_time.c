/*
 * func_time.c — built-in time functions (functions.h).
 */
#include "functions.h"

const wr_func_def wr_funcs_time[] = {
    {NULL, 0, 0, NULL, NULL, NULL},
};
