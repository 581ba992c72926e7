/*
 * plan.c — logical plan nodes: building, sharing, freeing and EXPLAIN.
 */
#include "plan.h"
#include "../base/alloc.h"

#include <string.h>

wr_plan *wr_plan_new(wr_plan_kind kind)
{
    wr_plan *p = wr_calloc(1, sizeof(*p));
    p->kind = kind;
    p->refs = 1;
    p->vertex = -1;
    p->limit = -1;
    p->schema = wr_schema_new();
    return p;
}

wr_plan *wr_plan_ref(wr_plan *plan)
{
    plan->refs++;
    return plan;
}

/* Frees what a node holds besides its schema and batches (its inputs' references too). */
static void release(wr_plan *plan)
{
    wr_plan_free(plan->input);
    wr_plan_free(plan->right);
    for (int i = 0; i < plan->ninputs; i++) wr_plan_free(plan->inputs[i]);
    wr_free(plan->inputs);
    wr_free(plan->scan_cols);
    for (int i = 0; i < plan->nscan_filters; i++) wr_expr_free(plan->scan_filters[i]);
    wr_free(plan->scan_filters);
    wr_expr_free(plan->scan_watermark);
    wr_expr_free(plan->filter);
    for (int i = 0; i < plan->nprojs; i++) wr_expr_free(plan->projs[i]);
    wr_free(plan->projs);
    wr_free(plan->groups);
    wr_free(plan->aggs);
    wr_free(plan->sets);
    wr_free(plan->left_keys);
    wr_free(plan->right_keys);
    wr_free(plan->null_safe);
    wr_free(plan->sort_keys);
    wr_free(plan->over);
}

static void free_batches(wr_plan *plan)
{
    for (int i = 0; i < plan->nbatches; i++) wr_batch_free(plan->batches[i]);
    wr_free(plan->batches);
}

void wr_plan_make_empty(wr_plan *plan)
{
    release(plan);
    free_batches(plan);
    /* A new node in the old one's place: its parents' references and its schema stay. */
    wr_plan keep = *plan;
    memset(plan, 0, sizeof(*plan));
    plan->kind = WR_PLAN_VALUES;
    plan->refs = keep.refs;
    plan->vertex = -1;
    plan->limit = -1;
    plan->schema = keep.schema;
}

void wr_plan_free(wr_plan *plan)
{
    if (plan == NULL || --plan->refs > 0) return;
    release(plan);
    free_batches(plan);
    wr_schema_free(plan->schema);
    wr_free(plan);
}

/* ---- EXPLAIN ------------------------------------------------------------ */

/*
 * Names for the columns of a row, made unique as Calcite does (a repeated
 * name gets a number: k, k0, k1), so EXPLAIN's expressions are unambiguous.
 * Free with free_names.
 */
static char **unique_names(char *const *in, int n)
{
    char **names = wr_malloc((size_t)(n + 1) * sizeof(char *));
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < i; k++) seen += strcmp(in[k], in[i]) == 0;
        if (seen == 0) {
            names[i] = wr_strdup(in[i]);
        } else {
            wr_buf b;
            wr_buf_init(&b);
            wr_buf_printf(&b, "%s%d", in[i], seen - 1);
            names[i] = wr_buf_detach(&b);
        }
    }
    return names;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) wr_free(names[i]);
    wr_free(names);
}

static void names_list(const wr_schema *s, wr_buf *out)
{
    char **names = unique_names(s->names, s->ncols);
    for (int i = 0; i < s->ncols; i++) wr_buf_printf(out, "%s%s", i ? ", " : "", names[i]);
    free_names(names, s->ncols);
}

/* Column names of a join's combined row (left then right), for its condition. */
static char **join_names(const wr_plan *p, int *n)
{
    const wr_schema *l = p->input->schema, *r = p->right->schema;
    char **all = wr_malloc((size_t)(l->ncols + r->ncols + 1) * sizeof(char *));
    for (int i = 0; i < l->ncols; i++) all[i] = l->names[i];
    for (int i = 0; i < r->ncols; i++) all[l->ncols + i] = r->names[i];
    *n = l->ncols + r->ncols;
    char **names = unique_names(all, *n);
    wr_free(all);
    return names;
}

/* Milliseconds as Flink prints a window's sizes: "10 s", "500 ms", "1 min", "1 h", "1 d". */
static void put_duration(wr_buf *out, int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "min"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ms != 0 && ms % units[i].ms == 0) {
            wr_buf_printf(out, "%lld %s", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    wr_buf_printf(out, "%lld ms", (long long)ms);
}

/* TUMBLE(time_col=[ts], size=[10 s]) and the others' parameters. */
static void explain_window(const wr_plan *plan, const char *const *names, wr_buf *out)
{
    static const char *const kinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    wr_buf_printf(out, "%s(", kinds[plan->window]);
    if (plan->window == WR_PLAN_SESSION && plan->ngroups) {
        wr_buf_puts(out, "partition keys=[");
        for (int i = 0; i < plan->ngroups; i++)
            wr_buf_printf(out, "%s%s", i ? ", " : "", names[plan->groups[i]]);
        wr_buf_puts(out, "], ");
    }
    wr_buf_printf(out, "time_col=[%s], ", names[plan->time_col]);
    switch (plan->window) {
    case WR_PLAN_TUMBLE:
        wr_buf_puts(out, "size=[");
        put_duration(out, plan->win_size);
        break;
    case WR_PLAN_HOP:
        wr_buf_puts(out, "size=[");
        put_duration(out, plan->win_size);
        wr_buf_puts(out, "], slide=[");
        put_duration(out, plan->win_slide);
        break;
    case WR_PLAN_CUMULATE:
        wr_buf_puts(out, "max_size=[");
        put_duration(out, plan->win_size);
        wr_buf_puts(out, "], step=[");
        put_duration(out, plan->win_slide);
        break;
    case WR_PLAN_SESSION:
        wr_buf_puts(out, "gap=[");
        put_duration(out, plan->win_gap);
        break;
    }
    wr_buf_putc(out, ']');
    if (plan->win_offset) {
        wr_buf_puts(out, ", offset=[");
        put_duration(out, plan->win_offset);
        wr_buf_putc(out, ']');
    }
    wr_buf_putc(out, ')');
}

static void explain_node(const wr_plan *plan, int depth, wr_buf *out)
{
    /* A watermark pushed into its scan: the scan shows it, the assigner is gone. */
    if (plan->kind == WR_PLAN_WATERMARK && plan->watermark_pushed) {
        explain_node(plan->input, depth, out);
        return;
    }
    for (int i = 0; i < depth; i++) wr_buf_puts(out, "  ");
    int nnames = plan->input ? plan->input->schema->ncols : 0;
    char **owned = plan->input ? unique_names(plan->input->schema->names, nnames) : NULL;
    const char *const *names = (const char *const *)owned;
    switch (plan->kind) {
    case WR_PLAN_SCAN: {
        /* Flink's form: the filters the source applies, then the columns it produces. */
        wr_buf_printf(out, "TableSourceScan(table=[%s], ", plan->table->name);
        int nf = plan->nscan_filters;
        if (nf) {
            const char *const *tnames = (const char *const *)plan->table->schema->names;
            wr_buf_puts(out, nf > 1 ? "filter=[(" : "filter=[");
            for (int i = 0; i < nf; i++) {
                if (i) wr_buf_puts(out, " AND ");
                wr_expr_format(plan->scan_filters[i], tnames, out);
            }
            wr_buf_puts(out, nf > 1 ? ")], " : "], ");
        }
        if (plan->scan_watermark) {
            /* Flink's form for SupportsWatermarkPushDown: watermark=[expr], and no
             * WatermarkAssigner above. */
            const char *const *tnames = (const char *const *)plan->table->schema->names;
            wr_buf_puts(out, "watermark=[");
            wr_expr_format(plan->scan_watermark, tnames, out);
            wr_buf_puts(out, "], ");
        }
        wr_buf_puts(out, "fields=[");
        names_list(plan->schema, out);
        wr_buf_puts(out, "])\n");
        break;
    }
    case WR_PLAN_VALUES: {
        int rows = 0;
        for (int i = 0; i < plan->nbatches; i++) rows += plan->batches[i]->count;
        wr_buf_printf(out, "Values(rows=[%d], fields=[", rows);
        names_list(plan->schema, out);
        wr_buf_puts(out, "])\n");
        break;
    }
    case WR_PLAN_CALC:
        wr_buf_puts(out, "Calc(select=[");
        for (int i = 0; i < plan->nprojs; i++) {
            if (i) wr_buf_puts(out, ", ");
            wr_expr_format(plan->projs[i], names, out);
            if (plan->projs[i]->kind != WR_EXPR_COLUMN ||
                strcmp(names[plan->projs[i]->col], plan->schema->names[i]) != 0)
                wr_buf_printf(out, " AS %s", plan->schema->names[i]);
        }
        wr_buf_putc(out, ']');
        if (plan->filter) {
            wr_buf_puts(out, ", where=[");
            wr_expr_format(plan->filter, names, out);
            wr_buf_putc(out, ']');
        }
        wr_buf_puts(out, ")\n");
        break;
    case WR_PLAN_AGG:
        wr_buf_puts(out, !plan->streaming   ? "HashAggregate("
                         : plan->window_agg ? "WindowAggregate("
                                            : "GroupAggregate(");
        if (plan->ngroups) {
            wr_buf_puts(out, "groupBy=[");
            for (int i = 0; i < plan->ngroups; i++)
                wr_buf_printf(out, "%s%s", i ? ", " : "", names[plan->groups[i]]);
            wr_buf_puts(out, "], ");
        }
        wr_buf_puts(out, "select=[");
        for (int i = 0; i < plan->ngroups; i++)
            wr_buf_printf(out, "%s%s", i ? ", " : "", names[plan->groups[i]]);
        for (int i = 0; i < plan->naggs; i++) {
            const wr_agg_call *a = &plan->aggs[i];
            wr_buf_printf(out, "%s%s(%s", plan->ngroups + i ? ", " : "", wr_agg_call_name(a),
                          a->distinct ? "DISTINCT " : "");
            if (a->kind == WR_AGG_COUNT_STAR) wr_buf_putc(out, '*');
            for (int k = 0; k < a->nargs; k++)
                wr_buf_printf(out, "%s%s", k ? ", " : "", names[a->args[k]]);
            wr_buf_putc(out, ')');
            if (a->filter >= 0) wr_buf_printf(out, " FILTER %s", names[a->filter]);
            wr_buf_printf(out, " AS %s", plan->schema->names[plan->ngroups + i]);
        }
        wr_buf_puts(out, "])\n");
        break;
    case WR_PLAN_EXPAND:
        wr_buf_printf(out, "Expand(sets=[%d], fields=[", plan->nsets);
        names_list(plan->schema, out);
        wr_buf_puts(out, "])\n");
        break;
    case WR_PLAN_JOIN: {
        int njn;
        char **jn = join_names(plan, &njn);
        int ln = plan->input->schema->ncols;
        const char *op = plan->temporal == WR_TEMPORAL_EVENT  ? "TemporalJoin"
                         : plan->temporal == WR_TEMPORAL_PROC ? "LookupJoin"
                         : plan->interval_join                ? "IntervalJoin"
                         : plan->window_join                  ? "WindowJoin"
                         : plan->streaming                    ? "Join"
                                                              : "HashJoin";
        wr_buf_printf(out, "%s(joinType=[%s], ", op, wr_join_type_name(plan->join_type));
        if (plan->temporal) wr_buf_printf(out, "period=[%s], ", jn[plan->time_col]);
        if (plan->interval_join)
            wr_buf_printf(out, "interval=[%s - %s between %lld ms and %lld ms], ",
                          jn[plan->time_col], jn[ln + plan->right_time_col],
                          (long long)plan->lower_ms, (long long)plan->upper_ms);
        wr_buf_puts(out, "where=[");
        for (int i = 0; i < plan->nkeys; i++)
            wr_buf_printf(out, "%s%s %s %s", i ? " AND " : "", jn[plan->left_keys[i]],
                          plan->null_safe && plan->null_safe[i] ? "IS NOT DISTINCT FROM" : "=",
                          jn[ln + plan->right_keys[i]]);
        if (plan->filter) {
            if (plan->nkeys) wr_buf_puts(out, " AND ");
            wr_expr_format(plan->filter, (const char *const *)jn, out);
        }
        if (!plan->nkeys && !plan->filter) wr_buf_puts(out, "true");
        wr_buf_puts(out, "], select=[");
        names_list(plan->schema, out);
        wr_buf_puts(out, "])\n");
        free_names(jn, njn);
        break;
    }
    case WR_PLAN_SORT:
        wr_buf_puts(out, plan->nsort_keys ? (plan->limit >= 0 ? "SortLimit(" : "Sort(") : "Limit(");
        if (plan->nsort_keys) {
            wr_buf_puts(out, "orderBy=[");
            for (int i = 0; i < plan->nsort_keys; i++)
                wr_buf_printf(out, "%s%s %s", i ? ", " : "", names[plan->sort_keys[i].col],
                              plan->sort_keys[i].desc ? "DESC" : "ASC");
            wr_buf_puts(out, "]");
        }
        if (plan->offset || plan->limit >= 0)
            wr_buf_printf(out, "%soffset=[%lld], fetch=[%lld]", plan->nsort_keys ? ", " : "",
                          (long long)plan->offset, (long long)plan->limit);
        wr_buf_puts(out, ")\n");
        break;
    case WR_PLAN_OVER: {
        static const char *const kinds[] = {"ROW_NUMBER", "RANK", "DENSE_RANK", "AGG"};
        if (plan->rank)
            wr_buf_printf(out, "%s(rankRange=[rankStart=%lld, rankEnd=%lld], %s",
                          plan->rank_window_end >= 0 ? "WindowRank" : "Rank",
                          (long long)plan->offset, (long long)plan->limit,
                          plan->rank_column ? "" : "withoutRankNumber, ");
        else
            wr_buf_puts(out, "OverAggregate(");
        if (plan->ngroups) {
            wr_buf_puts(out, "partitionBy=[");
            for (int i = 0; i < plan->ngroups; i++)
                wr_buf_printf(out, "%s%s", i ? ", " : "", names[plan->groups[i]]);
            wr_buf_puts(out, "], ");
        }
        if (plan->nsort_keys) {
            wr_buf_puts(out, "orderBy=[");
            for (int i = 0; i < plan->nsort_keys; i++)
                wr_buf_printf(out, "%s%s %s", i ? ", " : "", names[plan->sort_keys[i].col],
                              plan->sort_keys[i].desc ? "DESC" : "ASC");
            wr_buf_puts(out, "], ");
        }
        wr_buf_puts(out, "select=[");
        int nin = plan->input->schema->ncols;
        for (int i = 0; i < plan->nover; i++) {
            const wr_over_call *c = &plan->over[i];
            if (c->kind == WR_OVER_AGG) {
                wr_buf_printf(out, "%s%s(", i ? ", " : "", wr_agg_name(c->agg.kind));
                for (int k = 0; k < c->agg.nargs; k++)
                    wr_buf_printf(out, "%s%s", k ? ", " : "", names[c->agg.args[k]]);
                wr_buf_putc(out, ')');
            } else {
                wr_buf_printf(out, "%s%s()", i ? ", " : "", kinds[c->kind]);
            }
            wr_buf_printf(out, " AS %s", plan->schema->names[nin + i]);
        }
        wr_buf_puts(out, "])\n");
        break;
    }
    case WR_PLAN_REPLICATE:
        wr_buf_printf(out, "Replicate(times=[%s])\n", names[plan->input->schema->ncols - 1]);
        break;
    case WR_PLAN_UNION:
        wr_buf_puts(out, "Union(all=[true], fields=[");
        names_list(plan->schema, out);
        wr_buf_puts(out, "])\n");
        break;
    case WR_PLAN_UNNEST:
        wr_buf_puts(out, "Unnest(collection=[");
        wr_expr_format(plan->projs[0], names, out);
        wr_buf_printf(out, "], joinType=[%s]%s, fields=[", wr_join_type_name(plan->join_type),
                      plan->ordinality ? ", ordinality=[true]" : "");
        names_list(plan->schema, out);
        wr_buf_puts(out, "])\n");
        break;
    case WR_PLAN_WATERMARK:
        wr_buf_printf(out, "WatermarkAssigner(rowtime=[%s], watermark=[", names[plan->time_col]);
        wr_expr_format(plan->projs[0], names, out);
        wr_buf_puts(out, "])\n");
        break;
    case WR_PLAN_WINDOW:
        wr_buf_puts(out, "WindowTableFunction(window=[");
        explain_window(plan, names, out);
        wr_buf_puts(out, "])\n");
        break;
    }
    if (plan->streaming && plan->changes) {
        /* The node's line ends in ")\n": the mode goes inside the parentheses. */
        out->len -= 2;
        static const char *const kinds[] = {"I", "UB", "UA", "D"};
        wr_buf_puts(out, ", changelogMode=[");
        for (int k = 0, first = 1; k < 4; k++)
            if (plan->changes & (1u << k)) {
                wr_buf_printf(out, "%s%s", first ? "" : ",", kinds[k]);
                first = 0;
            }
        wr_buf_puts(out, "])\n");
    }
    free_names(owned, nnames);
    if (plan->input) explain_node(plan->input, depth + 1, out);
    if (plan->right) explain_node(plan->right, depth + 1, out);
    for (int i = 0; i < plan->ninputs; i++) explain_node(plan->inputs[i], depth + 1, out);
}

void wr_plan_explain(const wr_plan *plan, wr_buf *out)
{
    explain_node(plan, 0, out);
}
