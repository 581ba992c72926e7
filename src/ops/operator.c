/*
 * operator.c — helpers shared by all operators; see operator.h.
 */
#include "operator.h"

void wr_operator_spec_fini(wr_operator_spec *spec)
{
    if (spec->spec_free && spec->spec) spec->spec_free(spec->spec);
    spec->spec = NULL;
    spec->spec_free = NULL;
}
