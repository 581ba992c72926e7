/*
 * aggregate.c — aggregate function names and Flink's typing rules for them;
 * see aggregate.h. The accumulators are in aggfuncs.c, the hash aggregation
 * operator in hash_agg.c, Expand in expand.c.
 */
#include "aggregate_int.h"
#include "../types/nested.h"

#include <strings.h>

typedef struct agg_name {
    const char *name;
    wr_agg_kind kind;
} agg_name;

/* Every spelling; the first of each kind is what wr_agg_name gives. */
static const agg_name names[] = {
    {"COUNT", WR_AGG_COUNT},
    {"SUM", WR_AGG_SUM},
    {"$SUM0", WR_AGG_SUM0},
    {"AVG", WR_AGG_AVG},
    {"MIN", WR_AGG_MIN},
    {"MAX", WR_AGG_MAX},
    {"STDDEV_POP", WR_AGG_STDDEV_POP},
    {"STDDEV_SAMP", WR_AGG_STDDEV_SAMP},
    {"STDDEV", WR_AGG_STDDEV_SAMP},
    {"VAR_POP", WR_AGG_VAR_POP},
    {"VAR_SAMP", WR_AGG_VAR_SAMP},
    {"VARIANCE", WR_AGG_VAR_SAMP},
    {"LISTAGG", WR_AGG_LISTAGG},
    {"FIRST_VALUE", WR_AGG_FIRST_VALUE},
    {"LAST_VALUE", WR_AGG_LAST_VALUE},
    {"BOOL_AND", WR_AGG_BOOL_AND},
    {"BOOL_OR", WR_AGG_BOOL_OR},
    {"ARRAY_AGG", WR_AGG_ARRAY_AGG},
    {"COLLECT", WR_AGG_COLLECT},
    {"$SINGLE_VALUE", WR_AGG_SINGLE_VALUE},
};

static const agg_name *find(const char *name)
{
    for (size_t i = 0; i < WR_ARRAY_LEN(names); i++)
        if (strcasecmp(names[i].name, name) == 0) return &names[i];
    return NULL;
}

bool wr_agg_is_aggregate(const char *name)
{
    return find(name) != NULL;
}

const char *wr_agg_name(wr_agg_kind kind)
{
    if (kind == WR_AGG_COUNT_STAR) return "COUNT";
    if (kind == WR_AGG_USER) return "USER";
    for (size_t i = 0; i < WR_ARRAY_LEN(names); i++)
        if (names[i].kind == kind) return names[i].name;
    return "?";
}

const char *wr_agg_call_name(const wr_agg_call *call)
{
    return call->kind == WR_AGG_USER && call->user ? call->user->name : wr_agg_name(call->kind);
}

/* A type's name for messages: nullability is no reason for a type error, so it is left out. */
static const char *type_name(wr_type type, char *buf, size_t size)
{
    type.nullable = true;
    return wr_type_name(type, buf, size);
}

static int type_error(wr_error *err, int pos, const char *fn, const char *what, wr_type got)
{
    char t[64];
    return wr_error_set_at(err, WR_ERR_VALIDATION, pos, "%s needs %s, got %s", fn, what,
                           type_name(got, t, sizeof(t)));
}

int wr_agg_resolve(const char *name, const wr_type *args, int nargs, bool distinct, int pos,
                   wr_agg_kind *kind, wr_type *result, wr_error *err)
{
    const agg_name *an = find(name);
    if (an == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos, "no aggregate function named %s", name);
    const char *fn = an->name;
    wr_agg_kind k = an->kind;
    if (k == WR_AGG_COUNT) {
        if (nargs == 0 && distinct)
            return wr_error_set_at(err, WR_ERR_VALIDATION, pos, "COUNT(DISTINCT *) is not valid");
        if (nargs > 1)
            return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                   "COUNT takes one argument or *, got %d arguments", nargs);
        *kind = nargs == 0 ? WR_AGG_COUNT_STAR : WR_AGG_COUNT;
        *result = wr_type_make(WR_TYPE_BIGINT, false);
        return 0;
    }
    if (k == WR_AGG_LISTAGG ? nargs < 1 || nargs > 2 : nargs != 1)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos, "%s takes %s, got %d", fn,
                               k == WR_AGG_LISTAGG ? "one or two arguments" : "one argument",
                               nargs);
    wr_type arg = args[0];
    wr_agg_phys p = wr_agg_phys_of(arg.id);
    wr_type res = arg;
    res.nullable = true;
    switch (k) {
    case WR_AGG_SUM:
    case WR_AGG_SUM0:
    case WR_AGG_AVG:
    case WR_AGG_STDDEV_POP:
    case WR_AGG_STDDEV_SAMP:
    case WR_AGG_VAR_POP:
    case WR_AGG_VAR_SAMP:
        /* Flink keeps the argument's type: SUM(INT) and AVG(INT) are INT, VAR(FLOAT) FLOAT. */
        if (!wr_type_is_numeric(arg.id)) return type_error(err, pos, fn, "a numeric argument", arg);
        if (arg.id == WR_TYPE_DECIMAL) {
            /* Except DECIMAL(p, s) (LogicalTypeMerging): SUM has room for 38 digits,
             * DECIMAL(38, s); AVG, and STDDEV and VAR, which Calcite types as AVG, divide
             * by a count, DECIMAL(38, max(s, 6)). A SUM past 38 digits is NULL, so $SUM0
             * of a DECIMAL stays nullable. */
            bool sum = k == WR_AGG_SUM || k == WR_AGG_SUM0;
            res = wr_type_decimal(WR_DECIMAL_MAX_PRECISION, sum ? arg.scale : WR_MAX(arg.scale, 6),
                                  true);
            break;
        }
        if (k == WR_AGG_SUM0) res.nullable = false;
        break;
    case WR_AGG_MIN:
    case WR_AGG_MAX:
        /* Nested values have no order (Flink refuses them too). */
        if (p == WR_PHYS_NONE || wr_type_is_nested((wr_type_id)arg.id))
            return type_error(err, pos, fn, "a comparable argument", arg);
        break;
    case WR_AGG_ARRAY_AGG:
    case WR_AGG_COLLECT:
        if (p == WR_PHYS_NONE) return type_error(err, pos, fn, "a typed argument", arg);
        /* The elements keep the argument's type; ARRAY_AGG is NULL over no rows, COLLECT an
         * empty multiset. */
        res = k == WR_AGG_ARRAY_AGG ? wr_type_array(arg, true) : wr_type_multiset(arg, false);
        if (wr_type_depth(res) > WR_NESTED_MAX_DEPTH)
            return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                   "%s of this argument would nest more than %d levels deep", fn,
                                   WR_NESTED_MAX_DEPTH);
        break;
    case WR_AGG_FIRST_VALUE:
    case WR_AGG_LAST_VALUE:
    case WR_AGG_SINGLE_VALUE:
        if (p == WR_PHYS_NONE) return type_error(err, pos, fn, "a typed argument", arg);
        break;
    case WR_AGG_LISTAGG:
        if (!wr_type_is_string(arg.id)) return type_error(err, pos, fn, "a string argument", arg);
        if (nargs == 2 && !wr_type_is_string(args[1].id))
            return type_error(err, pos, fn, "a string separator", args[1]);
        res = wr_type_make(WR_TYPE_VARCHAR, true);
        break;
    case WR_AGG_BOOL_AND:
    case WR_AGG_BOOL_OR:
        if (arg.id != WR_TYPE_BOOLEAN) return type_error(err, pos, fn, "a BOOLEAN argument", arg);
        break;
    default:
        assert(0);
    }
    *kind = k;
    *result = res;
    return 0;
}

void wr_agg_output_types(const wr_type *in_types, const int *groups, int ngroups,
                         const wr_agg_call *aggs, int naggs, wr_type *out)
{
    for (int i = 0; i < ngroups; i++) out[i] = in_types[groups[i]];
    for (int i = 0; i < naggs; i++) out[ngroups + i] = aggs[i].type;
}
