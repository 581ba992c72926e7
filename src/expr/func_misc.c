/*
 * func_misc.c — built-in misc functions (functions.h).
 */
#include "functions.h"

const wr_func_def wr_funcs_misc[] = {
    {NULL, 0, 0, NULL, NULL, NULL},
};
