/*
 * like.c — SQL's LIKE: '%' matches any run of characters, '_' exactly one
 * (a UTF-8 code point), an escape character makes the next one literal.
 * Matching is case-sensitive, as in Flink. A constant pattern is checked
 * once at bind time; the matcher backtracks only to the last '%', so it runs
 * in time linear in the text for each '%'-separated segment.
 */
#include "like.h"
#include "../base/alloc.h"
#include "kernels.h"

#include <string.h>

/* Bytes of the UTF-8 character starting at s (1 for invalid bytes). */
static int utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : 1;
}

/*
 * Whether text matches pattern. esc is the escape byte or -1. Returns -1
 * when the pattern ends with a lone escape character.
 */
static int like_match(const char *t, size_t tn, const char *p, size_t pn, int esc)
{
    size_t ti = 0, pi = 0;
    size_t star_p = (size_t)-1, star_t = 0;
    while (ti < tn) {
        if (pi < pn && p[pi] == '%') {
            star_p = ++pi;
            star_t = ti;
            continue;
        }
        if (pi < pn) {
            if (p[pi] == '_') {
                ti += (size_t)utf8_len((unsigned char)t[ti]);
                pi++;
                continue;
            }
            size_t lit = pi;
            if (esc >= 0 && (unsigned char)p[pi] == (unsigned)esc) {
                if (pi + 1 >= pn) return -1;
                lit = pi + 1;
            }
            if (p[lit] == t[ti]) {
                ti++;
                pi = lit + 1;
                continue;
            }
        }
        if (star_p == (size_t)-1) return 0;
        /* Let the last '%' absorb one more character and retry. */
        star_t += (size_t)utf8_len((unsigned char)t[star_t]);
        ti = star_t;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '%') pi++;
    if (pi < pn && esc >= 0 && (unsigned char)p[pi] == (unsigned)esc && pi + 1 >= pn) return -1;
    return pi == pn;
}

typedef struct like_aux {
    bool negated;
} like_aux;

static int like_kernel(wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out,
                       const uint32_t *sel, int n, wr_error *err)
{
    const like_aux *aux = e->aux;
    const wr_str *s = args[0].data, *p = args[1].data;
    const wr_str *esc = e->nargs > 2 ? args[2].data : NULL;
    uint8_t *o = out->data;
    bool any_null = false;
    for (int k = 0; k < e->nargs; k++) any_null |= args[k].validity != NULL;
    uint64_t *valid = any_null ? wr_eval_validity(ev, true) : NULL;
    for (int i = 0; i < n; i++) {
        int r = sel ? (int)sel[i] : i;
        bool null = false;
        for (int k = 0; k < e->nargs; k++) null |= wr_vector_is_null(&args[k], r);
        if (null) {
            wr_validity_set(valid, r, false);
            o[r] = 0;
            continue;
        }
        int ec = -1;
        if (esc) {
            if (esc[r].len != 1) {
                return wr_error_set(err, WR_ERR_RUNTIME,
                                    "LIKE: the escape must be a single character, got '%.*s'",
                                    (int)esc[r].len, esc[r].ptr);
            }
            ec = (unsigned char)esc[r].ptr[0];
        }
        int m = like_match(s[r].ptr, s[r].len, p[r].ptr, p[r].len, ec);
        if (m < 0)
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "LIKE: the pattern '%.*s' ends with the escape character",
                                (int)p[r].len, p[r].ptr);
        o[r] = (uint8_t)(m ^ aux->negated);
    }
    out->validity = valid;
    return 0;
}

wr_expr *wr_bind_like(wr_expr *arg, wr_expr *pattern, wr_expr *escape, bool negated, int pos,
                      wr_error *err)
{
    wr_expr *in[3] = {arg, pattern, escape};
    int nargs = escape ? 3 : 2;
    bool nullable = false;
    for (int i = 0; i < nargs; i++) {
        wr_expr *x = in[i];
        if (x->type.id == WR_TYPE_NULL) {
            in[i] = wr_expr_cast(x, wr_type_make(WR_TYPE_VARCHAR, true), false, x->pos, err);
        } else if (!wr_type_is_string(x->type.id)) {
            char t[64];
            wr_error_set_at(err, WR_ERR_VALIDATION, x->pos,
                            "LIKE needs string operands, but this one is %s; CAST it to STRING",
                            wr_type_name(x->type, t, sizeof(t)));
            for (int k = 0; k < nargs; k++) wr_expr_free(in[k]);
            return NULL;
        }
        nullable |= in[i]->type.nullable;
    }
    wr_expr **args = wr_malloc((size_t)nargs * sizeof(wr_expr *));
    memcpy(args, in, (size_t)nargs * sizeof(wr_expr *));
    like_aux *aux = wr_malloc(sizeof(*aux));
    aux->negated = negated;
    return wr_expr_call_kernel(negated ? "NOT LIKE" : "LIKE", like_kernel, aux, wr_free, args,
                               nargs, wr_type_make(WR_TYPE_BOOLEAN, nullable), pos);
}
