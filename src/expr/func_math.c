/*
 * func_math.c — built-in math functions (functions.h).
 */
#include "functions.h"

const wr_func_def wr_funcs_math[] = {
    {NULL, 0, 0, NULL, NULL, NULL},
};
