/*
 * parser.c — recursive-descent parser for Flink SQL; see parser.h and ast.h.
 *
 * One function per grammar rule, each returning its node (NULL after an
 * error, which is already in p->err) or 0 / WR_ERR_PARSE. Tokens come from a
 * small ring of lookahead over the lexer, so nothing is allocated outside the
 * caller's arena and parsing never reads past the statement it needs. Nesting
 * is capped (MAX_DEPTH) so that hostile input cannot exhaust the stack here
 * or in later recursive passes over the tree.
 */
#include "parser.h"
#include "lexer.h"

#include "../base/buf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 1000
#define LOOKAHEAD 8 /* a power of two; the grammar looks at most 3 tokens ahead */

typedef struct parser {
    const char *text;
    int len;
    wr_arena *arena;
    wr_error *err;
    wr_lexer lex;
    wr_lex_token ring[LOOKAHEAD];
    int head;  /* ring[head] is the current token */
    int count; /* tokens scanned but not yet consumed */
    bool lex_failed;
    wr_error lex_err; /* the lexer's error, reported when the parser reaches it */
    int prev_end;     /* offset just past the last consumed token */
    int depth;        /* nesting of rules and operator chains, capped by MAX_DEPTH */
} parser;

static void parser_init(parser *p, const char *text, int len, int offset, wr_arena *arena,
                        wr_error *err)
{
    memset(p, 0, sizeof(*p));
    p->text = text;
    p->len = len;
    p->arena = arena;
    p->err = err;
    p->prev_end = offset;
    wr_lex_init(&p->lex, text, len, offset);
    wr_error_init(&p->lex_err);
}

/* ---- tokens ------------------------------------------------------------- */

static const wr_lex_token *peek(parser *p, int k)
{
    assert(k < LOOKAHEAD);
    while (p->count <= k) {
        wr_lex_token *tok = &p->ring[(p->head + p->count) % LOOKAHEAD];
        if (p->lex_failed) {
            /* Stay on the error: the lexer cannot scan past it. */
            *tok = p->ring[(p->head + p->count + LOOKAHEAD - 1) % LOOKAHEAD];
        } else if (wr_lex_next(&p->lex, tok, &p->lex_err) != 0) {
            p->lex_failed = true;
        }
        p->count++;
    }
    return &p->ring[(p->head + k) % LOOKAHEAD];
}

static const wr_lex_token *cur(parser *p)
{
    return peek(p, 0);
}

static void advance(parser *p)
{
    const wr_lex_token *tok = cur(p);
    if (WR_NEVER(tok->kind == WR_TOK_EOF || tok->kind == WR_TOK_ERROR)) return;
    p->prev_end = tok->pos + tok->len;
    p->head = (p->head + 1) % LOOKAHEAD;
    p->count--;
}

static bool tok_is_kw(const wr_lex_token *tok, wr_lex_kw kw)
{
    return tok->kind == WR_TOK_WORD && tok->kw == kw;
}

static bool is_kw(parser *p, wr_lex_kw kw)
{
    return tok_is_kw(cur(p), kw);
}

static bool is_op(parser *p, wr_lex_kind kind)
{
    return cur(p)->kind == kind;
}

static bool accept_kw(parser *p, wr_lex_kw kw)
{
    if (!is_kw(p, kw)) return false;
    advance(p);
    return true;
}

static bool accept_op(parser *p, wr_lex_kind kind)
{
    if (!is_op(p, kind)) return false;
    advance(p);
    return true;
}

/* A token that can stand as an identifier: a quoted one or an unreserved word. */
static bool tok_is_ident(const wr_lex_token *tok)
{
    return tok->kind == WR_TOK_QUOTED || (tok->kind == WR_TOK_WORD && !wr_lex_is_reserved(tok->kw));
}

static bool tok_starts_query(const wr_lex_token *tok)
{
    return tok_is_kw(tok, WR_KW_SELECT) || tok_is_kw(tok, WR_KW_WITH) ||
           tok_is_kw(tok, WR_KW_VALUES);
}

/* ---- errors ------------------------------------------------------------- */

static int fail_at(parser *p, int pos, const char *fmt, ...) WR_PRINTF(3, 4);

static int fail_at(parser *p, int pos, const char *fmt, ...)
{
    char msg[WR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wr_error_set_at(p->err, WR_ERR_PARSE, pos, "%s", msg);
}

/*
 * Reports that the current token is not what the grammar expects: "expected
 * <what> but found '<token>'". A lexical error at that place is reported as
 * itself instead, since it is the real cause.
 */
static int fail_expected_at(parser *p, const wr_lex_token *tok, const char *what);

static int fail_expected(parser *p, const char *what)
{
    return fail_expected_at(p, cur(p), what);
}

/* As fail_expected, for a token seen earlier (a copy kept by the caller). */
static int fail_expected_at(parser *p, const wr_lex_token *tok, const char *what)
{
    if (tok->kind == WR_TOK_ERROR) {
        wr_error_copy(p->err, &p->lex_err);
        return WR_ERR_PARSE;
    }
    if (tok->kind == WR_TOK_EOF)
        return fail_at(p, tok->pos, "unexpected end of input, expected %s", what);
    const char *s = p->text + tok->pos;
    int n = tok->len;
    const char *more = "";
    if (n > 40) n = 40, more = "...";
    if (tok->kind == WR_TOK_STRING)
        return fail_at(p, tok->pos, "expected %s but found string literal %.*s%s", what, n, s,
                       more);
    return fail_at(p, tok->pos, "expected %s but found '%.*s%s'", what, n, s, more);
}

static int expect_kw(parser *p, wr_lex_kw kw)
{
    if (accept_kw(p, kw)) return 0;
    return fail_expected(p, wr_lex_keyword_name(kw));
}

static int expect_op(parser *p, wr_lex_kind kind)
{
    if (accept_op(p, kind)) return 0;
    return fail_expected(p, wr_lex_kind_name(kind));
}

/* Counts one more level of nesting; fails past MAX_DEPTH. */
static bool deeper(parser *p)
{
    if (++p->depth <= MAX_DEPTH) return true;
    fail_at(p, cur(p)->pos, "expression or query nested too deeply (more than %d levels)",
            MAX_DEPTH);
    return false;
}

/* ---- arena helpers ------------------------------------------------------ */

/* Grows an arena array to hold one more element; the old copy stays in the
 * arena (at most doubling the space used, freed with the arena). */
static void *grow(parser *p, void *old, int n, int *cap, size_t size)
{
    if (n < *cap) return old;
    int ncap = *cap ? *cap * 2 : 4;
    void *arr = wr_arena_alloc(p->arena, (size_t)ncap * size);
    if (n) memcpy(arr, old, (size_t)n * size);
    *cap = ncap;
    return arr;
}

#define PUSH(p, arr, n, cap, x)                                                                    \
    do {                                                                                           \
        (arr) = grow((p), (arr), (n), &(cap), sizeof(*(arr)));                                     \
        (arr)[(n)++] = (x);                                                                        \
    } while (0)

static char *tok_text(parser *p, const wr_lex_token *tok)
{
    return wr_lex_token_text(p->text, tok, p->arena);
}

static bool word_is(parser *p, const wr_lex_token *tok, const char *upper_word)
{
    int n = (int)strlen(upper_word);
    if (tok->kind != WR_TOK_WORD || tok->len != n) return false;
    return strncasecmp(p->text + tok->pos, upper_word, (size_t)n) == 0;
}

static wr_ast_expr *new_expr(parser *p, wr_ast_expr_kind kind, int pos)
{
    wr_ast_expr *e = wr_arena_calloc(p->arena, sizeof(*e));
    e->kind = kind;
    e->pos = pos;
    e->end = p->prev_end;
    return e;
}

static wr_ast_expr *new_string_lit(parser *p, const char *text, int pos, int end)
{
    wr_ast_expr *e = new_expr(p, WR_AST_LITERAL, pos);
    e->end = end;
    e->lit.kind = WR_LIT_STRING;
    e->lit.text = text;
    return e;
}

/* ---- names -------------------------------------------------------------- */

/* Parses one identifier; what names it in the error ("a column name"). */
static const char *parse_ident(parser *p, const char *what, int *pos)
{
    const wr_lex_token *tok = cur(p);
    if (!tok_is_ident(tok)) {
        fail_expected(p, what);
        return NULL;
    }
    if (pos) *pos = tok->pos;
    const char *s = tok_text(p, tok);
    advance(p);
    return s;
}

/* Parses a dotted name of at most max_parts identifiers. */
static int parse_name(parser *p, int max_parts, const char *what, const char ***parts, int *nparts,
                      int *pos)
{
    const char **arr = NULL;
    int n = 0, cap = 0;
    int first = cur(p)->pos;
    do {
        int part_pos = cur(p)->pos;
        const char *s = parse_ident(p, n ? "an identifier after '.'" : what, NULL);
        if (!s) return WR_ERR_PARSE;
        if (n == max_parts)
            return fail_at(p, part_pos, "a name has at most %d parts (catalog.database.object)",
                           max_parts);
        PUSH(p, arr, n, cap, s);
    } while (accept_op(p, WR_TOK_DOT));
    *parts = arr;
    *nparts = n;
    if (pos) *pos = first;
    return 0;
}

/* Parses '(' ident, ... ')'. */
static int parse_ident_list(parser *p, const char *what, const char ***out, int *nout)
{
    const char **arr = NULL;
    int n = 0, cap = 0;
    if (expect_op(p, WR_TOK_LPAREN)) return WR_ERR_PARSE;
    do {
        const char *s = parse_ident(p, what, NULL);
        if (!s) return WR_ERR_PARSE;
        PUSH(p, arr, n, cap, s);
    } while (accept_op(p, WR_TOK_COMMA));
    if (expect_op(p, WR_TOK_RPAREN)) return WR_ERR_PARSE;
    *out = arr;
    *nout = n;
    return 0;
}

/* Parses an optional alias: AS ident, or a bare unreserved word. */
static int parse_opt_alias(parser *p, const char **alias, int *alias_pos)
{
    *alias = NULL;
    *alias_pos = -1;
    if (accept_kw(p, WR_KW_AS)) {
        *alias = parse_ident(p, "an alias", alias_pos);
        return *alias ? 0 : WR_ERR_PARSE;
    }
    if (tok_is_ident(cur(p))) *alias = parse_ident(p, "an alias", alias_pos);
    return 0;
}

/* Parses an unsigned integer that fits an int (type and interval precisions). */
static int parse_small_int(parser *p, const char *what, int *out)
{
    const wr_lex_token *tok = cur(p);
    if (tok->kind != WR_TOK_INTEGER) return fail_expected(p, what);
    long long v = 0;
    for (int i = 0; i < tok->len; i++) {
        v = v * 10 + (p->text[tok->pos + i] - '0');
        if (v > INT_MAX) return fail_at(p, tok->pos, "%s is out of range", what);
    }
    *out = (int)v;
    advance(p);
    return 0;
}

static const char *parse_string(parser *p, const char *what, int *pos)
{
    const wr_lex_token *tok = cur(p);
    if (tok->kind != WR_TOK_STRING) {
        fail_expected(p, what);
        return NULL;
    }
    if (pos) *pos = tok->pos;
    const char *s = tok_text(p, tok);
    advance(p);
    return s;
}

/* ---- types -------------------------------------------------------------- */

static const struct {
    const char *word;  /* as written, upper-case */
    const char *canon; /* ast.h canonical name */
    int max_params;
} type_names[] = {
    {"BOOLEAN", "BOOLEAN", 0},
    {"TINYINT", "TINYINT", 0},
    {"SMALLINT", "SMALLINT", 0},
    {"INT", "INT", 0},
    {"INTEGER", "INT", 0},
    {"BIGINT", "BIGINT", 0},
    {"FLOAT", "FLOAT", 0},
    {"REAL", "FLOAT", 0},
    {"DOUBLE", "DOUBLE", 0},
    {"DECIMAL", "DECIMAL", 2},
    {"DEC", "DECIMAL", 2},
    {"NUMERIC", "DECIMAL", 2},
    {"CHAR", "CHAR", 1},
    {"CHARACTER", "CHAR", 1},
    {"VARCHAR", "VARCHAR", 1},
    {"STRING", "STRING", 0},
    {"TEXT", "STRING", 0}, /* SQLite's spelling, for sqllogictest files */
    {"BYTES", "BYTES", 0},
    {"BINARY", "BINARY", 1},
    {"VARBINARY", "VARBINARY", 1},
    {"DATE", "DATE", 0},
    {"TIME", "TIME", 1},
    {"TIMESTAMP", "TIMESTAMP", 1},
    {"TIMESTAMP_LTZ", "TIMESTAMP_LTZ", 1},
};

static const char *const unsupported_types[] = {"RAW", "STRUCTURED"};

static const char *const interval_units[] = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"};
static int interval_unit(parser *p, const wr_lex_token *tok);
static int parse_type(parser *p, wr_ast_type *type);
static int parse_scalar_type(parser *p, wr_ast_type *type);

/* Consumes "TIME ZONE" or reports what was expected. */
static int expect_time_zone(parser *p)
{
    if (expect_kw(p, WR_KW_TIME)) return WR_ERR_PARSE;
    return expect_kw(p, WR_KW_ZONE);
}

/* Consumes an optional NOT NULL / NULL after a type. */
static void parse_nullability(parser *p, wr_ast_type *type)
{
    if (is_kw(p, WR_KW_NOT) && tok_is_kw(peek(p, 1), WR_KW_NULL)) {
        advance(p);
        advance(p);
        type->not_null = true;
    } else {
        accept_kw(p, WR_KW_NULL);
    }
}

/* Parses '(' n ')' into *out; the current token is '('. */
static int parse_paren_int(parser *p, const char *what, int *out)
{
    advance(p);
    if (parse_small_int(p, what, out)) return WR_ERR_PARSE;
    return expect_op(p, WR_TOK_RPAREN);
}

/*
 * INTERVAL unit [(p)] [TO unit [(p)]] as a type; the current token is
 * INTERVAL. A precision on SECOND is the fractional one (SECOND(p1, p2)
 * gives both); on other units it is the leading one.
 */
static int parse_interval_type(parser *p, wr_ast_type *type)
{
    advance(p); /* INTERVAL */
    type->name = "INTERVAL";
    int from = interval_unit(p, cur(p)), to = -1;
    if (from < 0)
        return fail_expected(p, "an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND)");
    advance(p);
    if (is_op(p, WR_TOK_LPAREN)) {
        advance(p);
        int first;
        if (parse_small_int(p, "an interval precision", &first)) return WR_ERR_PARSE;
        if (from == 5 && accept_op(p, WR_TOK_COMMA)) {
            type->interval_precision = first;
            if (parse_small_int(p, "an interval precision", &type->interval_frac_precision))
                return WR_ERR_PARSE;
        } else if (from == 5) {
            type->interval_frac_precision = first;
        } else {
            type->interval_precision = first;
        }
        if (expect_op(p, WR_TOK_RPAREN)) return WR_ERR_PARSE;
    }
    if (is_kw(p, WR_KW_TO)) {
        advance(p);
        int to_pos = cur(p)->pos;
        if ((to = interval_unit(p, cur(p))) < 0)
            return fail_expected(p, "an interval unit (MONTH, HOUR, MINUTE or SECOND)");
        if (!((from == 0 && to == 1) || (from >= 2 && to > from)))
            return fail_at(p, to_pos, "invalid interval qualifier %s TO %s", interval_units[from],
                           interval_units[to]);
        advance(p);
        if (is_op(p, WR_TOK_LPAREN)) {
            if (to != 5) return fail_at(p, cur(p)->pos, "only SECOND takes a precision after TO");
            if (parse_paren_int(p, "an interval precision", &type->interval_frac_precision))
                return WR_ERR_PARSE;
        }
    }
    type->interval_unit = interval_units[from];
    type->interval_to_unit = to >= 0 ? interval_units[to] : NULL;
    return 0;
}

/*
 * The element types of ARRAY<T>, MULTISET<T>, MAP<K, V> and the fields of
 * ROW<name T ['description'], ...> or ROW(...); the current token is the
 * type word, the next one '<' or '('.
 */
static int parse_constructed_type(parser *p, wr_ast_type *type, const char *name)
{
    advance(p); /* the type word */
    bool angle = is_op(p, WR_TOK_LT);
    bool is_row = strcmp(name, "ROW") == 0;
    type->name = name;
    if (!angle && !(is_row && is_op(p, WR_TOK_LPAREN)))
        return fail_expected(p, is_row ? "'<' or '('" : "'<'");
    advance(p);
    int want = strcmp(name, "MAP") == 0 ? 2 : is_row ? -1 : 1;
    wr_ast_type *kids = NULL;
    const char **names = NULL, **comments = NULL;
    int n = 0, cap = 0, cap_names = 0, cap_comments = 0, nnames = 0, ncomments = 0;
    do {
        wr_ast_type kid;
        const char *field = NULL, *comment = NULL;
        if (is_row && !(field = parse_ident(p, "a field name", NULL))) return WR_ERR_PARSE;
        if (parse_type(p, &kid)) return WR_ERR_PARSE;
        if (is_row && is_op(p, WR_TOK_STRING)) comment = parse_string(p, "a description", NULL);
        if (want > 0 && n == want)
            return fail_at(p, kid.pos, "type %s has %d element type%s", name, want,
                           want > 1 ? "s" : "");
        PUSH(p, kids, n, cap, kid);
        if (is_row) {
            PUSH(p, names, nnames, cap_names, field);
            PUSH(p, comments, ncomments, cap_comments, comment);
        }
    } while (accept_op(p, WR_TOK_COMMA));
    if (want > 0 && n < want) return fail_expected(p, "','");
    if (expect_op(p, angle ? WR_TOK_GT : WR_TOK_RPAREN)) return WR_ERR_PARSE;
    type->children = kids;
    type->nchildren = n;
    type->field_names = names;
    type->field_comments = comments;
    return 0;
}

/*
 * Parses a data type with its parameters and an optional NOT NULL / NULL
 * into *type (names canonical, see ast.h), then any postfix ARRAY /
 * MULTISET (INT ARRAY is ARRAY<INT>), each with its own nullability.
 * Nested types count as nesting against MAX_DEPTH.
 */
static int parse_type(parser *p, wr_ast_type *type)
{
    if (!deeper(p)) return WR_ERR_PARSE;
    int saved = p->depth;
    const wr_lex_token *tok = cur(p);
    memset(type, 0, sizeof(*type));
    type->pos = tok->pos;
    type->interval_precision = type->interval_frac_precision = -1;
    int rc = 0;
    if (word_is(p, tok, "INTERVAL")) {
        rc = parse_interval_type(p, type);
    } else if ((word_is(p, tok, "ARRAY") || word_is(p, tok, "MULTISET") || word_is(p, tok, "MAP") ||
                word_is(p, tok, "ROW")) &&
               (peek(p, 1)->kind == WR_TOK_LT || peek(p, 1)->kind == WR_TOK_LPAREN)) {
        const char *name = word_is(p, tok, "ARRAY")      ? "ARRAY"
                           : word_is(p, tok, "MULTISET") ? "MULTISET"
                           : word_is(p, tok, "MAP")      ? "MAP"
                                                         : "ROW";
        rc = parse_constructed_type(p, type, name);
    } else {
        rc = parse_scalar_type(p, type);
    }
    if (rc) return rc;
    parse_nullability(p, type);
    /* INT ARRAY, INT NOT NULL ARRAY NOT NULL, INT ARRAY MULTISET */
    while (word_is(p, cur(p), "ARRAY") || word_is(p, cur(p), "MULTISET")) {
        if (!deeper(p)) return WR_ERR_PARSE;
        wr_ast_type *elem = wr_arena_alloc(p->arena, sizeof(*elem));
        *elem = *type;
        memset(type, 0, sizeof(*type));
        type->pos = elem->pos;
        type->interval_precision = type->interval_frac_precision = -1;
        type->name = word_is(p, cur(p), "ARRAY") ? "ARRAY" : "MULTISET";
        type->children = elem;
        type->nchildren = 1;
        advance(p);
        parse_nullability(p, type);
    }
    p->depth = saved - 1;
    return 0;
}

/* A predefined (non-constructed) type; see parse_type. */
static int parse_scalar_type(parser *p, wr_ast_type *type)
{
    const wr_lex_token *tok = cur(p);
    int idx = -1;
    for (size_t i = 0; tok->kind == WR_TOK_WORD && i < WR_ARRAY_LEN(type_names); i++)
        if (word_is(p, tok, type_names[i].word)) idx = (int)i;
    if (idx < 0) {
        for (size_t i = 0; tok->kind == WR_TOK_WORD && i < WR_ARRAY_LEN(unsupported_types); i++)
            if (word_is(p, tok, unsupported_types[i]))
                return fail_at(p, tok->pos, "type %s is not supported yet", unsupported_types[i]);
        return fail_expected(p, "a data type");
    }
    const char *canon = type_names[idx].canon;
    int max_params = type_names[idx].max_params;
    advance(p);

    if (strcmp(canon, "CHAR") == 0 && accept_kw(p, WR_KW_VARYING)) canon = "VARCHAR";
    if (strcmp(canon, "DOUBLE") == 0) accept_kw(p, WR_KW_PRECISION);

    if (is_op(p, WR_TOK_LPAREN)) {
        if (max_params == 0) return fail_at(p, cur(p)->pos, "type %s takes no parameters", canon);
        advance(p);
        if (parse_small_int(p, "a type parameter", &type->params[0])) return WR_ERR_PARSE;
        type->nparams = 1;
        if (max_params == 2 && accept_op(p, WR_TOK_COMMA)) {
            if (parse_small_int(p, "a type parameter", &type->params[1])) return WR_ERR_PARSE;
            type->nparams = 2;
        }
        if (expect_op(p, WR_TOK_RPAREN)) return WR_ERR_PARSE;
    }

    bool is_time = strcmp(canon, "TIME") == 0, is_ts = strcmp(canon, "TIMESTAMP") == 0;
    if ((is_time || is_ts) && is_kw(p, WR_KW_WITHOUT)) {
        advance(p);
        if (expect_time_zone(p)) return WR_ERR_PARSE;
    } else if ((is_time || is_ts) && is_kw(p, WR_KW_WITH) &&
               (tok_is_kw(peek(p, 1), WR_KW_LOCAL) || tok_is_kw(peek(p, 1), WR_KW_TIME))) {
        int with_pos = cur(p)->pos;
        advance(p);
        if (!is_ts || !accept_kw(p, WR_KW_LOCAL))
            return fail_at(p, with_pos, "%s WITH TIME ZONE is not supported; use TIMESTAMP_LTZ",
                           canon);
        if (expect_time_zone(p)) return WR_ERR_PARSE;
        canon = "TIMESTAMP_LTZ";
    }
    type->name = canon;
    return 0;
}

/* ---- expressions -------------------------------------------------------- */

static wr_ast_expr *parse_expr(parser *p);
static wr_ast_expr *parse_additive(parser *p);
static wr_ast_query *parse_query(parser *p);

static wr_ast_expr *new_binary(parser *p, wr_ast_op op, wr_ast_expr *left, wr_ast_expr *right,
                               int op_pos)
{
    wr_ast_expr *e = new_expr(p, WR_AST_BINARY, left->pos);
    e->binary.op = op;
    e->binary.left = left;
    e->binary.right = right;
    e->binary.op_pos = op_pos;
    return e;
}

/* Parses a comma-separated list of expressions (at least one). */
static int parse_expr_list(parser *p, wr_ast_expr ***out, int *nout)
{
    wr_ast_expr **arr = NULL;
    int n = 0, cap = 0;
    do {
        wr_ast_expr *e = parse_expr(p);
        if (!e) return WR_ERR_PARSE;
        PUSH(p, arr, n, cap, e);
    } while (accept_op(p, WR_TOK_COMMA));
    *out = arr;
    *nout = n;
    return 0;
}

/* Parses '(' query ')' after EXISTS or IN, or as a scalar subquery. */
static wr_ast_query *parse_paren_query(parser *p)
{
    if (expect_op(p, WR_TOK_LPAREN)) return NULL;
    wr_ast_query *q = parse_query(p);
    if (!q || expect_op(p, WR_TOK_RPAREN)) return NULL;
    return q;
}

/* Index into interval_units of the word at tok (singular or plural), or -1. */
static int interval_unit(parser *p, const wr_lex_token *tok)
{
    if (tok->kind != WR_TOK_WORD) return -1;
    for (int i = 0; i < (int)WR_ARRAY_LEN(interval_units); i++) {
        int n = (int)strlen(interval_units[i]);
        const char *s = p->text + tok->pos;
        if ((tok->len == n || (tok->len == n + 1 && (s[n] == 's' || s[n] == 'S'))) &&
            strncasecmp(s, interval_units[i], (size_t)n) == 0)
            return i;
    }
    return -1;
}

/* INTERVAL 'text' unit [(p)] [TO unit [(p)]]; a precision only on the last unit. */
static wr_ast_expr *parse_interval(parser *p)
{
    int pos = cur(p)->pos;
    advance(p); /* INTERVAL */
    const char *text = parse_string(p, "an interval string", NULL);
    if (!text) return NULL;
    int from = interval_unit(p, cur(p));
    const char *unit_msg = "an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND)";
    if (from < 0) {
        fail_expected(p, unit_msg);
        return NULL;
    }
    advance(p);
    int precision = -1, prec_pos = -1, to = -1;
    if (is_op(p, WR_TOK_LPAREN)) {
        prec_pos = cur(p)->pos;
        advance(p);
        if (parse_small_int(p, "an interval precision", &precision) || expect_op(p, WR_TOK_RPAREN))
            return NULL;
    }
    if (is_kw(p, WR_KW_TO) && interval_unit(p, peek(p, 1)) >= 0) {
        advance(p);
        int to_pos = cur(p)->pos;
        to = interval_unit(p, cur(p));
        if (!((from == 0 && to == 1) || (from >= 2 && to > from))) {
            fail_at(p, to_pos, "invalid interval qualifier %s TO %s", interval_units[from],
                    interval_units[to]);
            return NULL;
        }
        if (precision >= 0) {
            fail_at(p, prec_pos, "an interval precision is only supported on its last unit");
            return NULL;
        }
        advance(p);
        if (accept_op(p, WR_TOK_LPAREN)) {
            if (parse_small_int(p, "an interval precision", &precision) ||
                expect_op(p, WR_TOK_RPAREN))
                return NULL;
        }
    }
    wr_ast_expr *e = new_expr(p, WR_AST_INTERVAL, pos);
    e->interval.text = text;
    e->interval.unit = interval_units[from];
    e->interval.to_unit = to >= 0 ? interval_units[to] : NULL;
    e->interval.precision = precision;
    return e;
}

/* CASE [operand] WHEN c THEN r ... [ELSE e] END */
static wr_ast_expr *parse_case(parser *p)
{
    int pos = cur(p)->pos;
    advance(p); /* CASE */
    wr_ast_expr *operand = NULL;
    if (is_kw(p, WR_KW_END)) {
        fail_expected(p, "WHEN");
        return NULL;
    }
    if (!is_kw(p, WR_KW_WHEN) && !(operand = parse_expr(p))) return NULL;
    wr_ast_expr **whens = NULL, **thens = NULL;
    int n = 0, cap_w = 0, cap_t = 0, nthens = 0;
    while (accept_kw(p, WR_KW_WHEN)) {
        wr_ast_expr *w = parse_expr(p);
        if (!w || expect_kw(p, WR_KW_THEN)) return NULL;
        wr_ast_expr *t = parse_expr(p);
        if (!t) return NULL;
        PUSH(p, whens, n, cap_w, w);
        PUSH(p, thens, nthens, cap_t, t);
    }
    if (n == 0) {
        fail_expected(p, "WHEN");
        return NULL;
    }
    wr_ast_expr *else_ = NULL;
    if (accept_kw(p, WR_KW_ELSE) && !(else_ = parse_expr(p))) return NULL;
    if (expect_kw(p, WR_KW_END)) return NULL;
    wr_ast_expr *e = new_expr(p, WR_AST_CASE, pos);
    e->case_.operand = operand;
    e->case_.whens = whens;
    e->case_.thens = thens;
    e->case_.nwhens = n;
    e->case_.else_ = else_;
    return e;
}

/* CAST(x AS type) and TRY_CAST(x AS type). */
static wr_ast_expr *parse_cast(parser *p, bool try_)
{
    int pos = cur(p)->pos;
    advance(p);
    if (expect_op(p, WR_TOK_LPAREN)) return NULL;
    wr_ast_expr *arg = parse_expr(p);
    if (!arg || expect_kw(p, WR_KW_AS)) return NULL;
    wr_ast_type type;
    if (parse_type(p, &type) || expect_op(p, WR_TOK_RPAREN)) return NULL;
    wr_ast_expr *e = new_expr(p, WR_AST_CAST, pos);
    e->cast.arg = arg;
    e->cast.type = type;
    e->cast.try_ = try_;
    return e;
}

static wr_ast_expr *new_call(parser *p, const char *name, int pos, wr_ast_expr **args, int nargs)
{
    wr_ast_expr *e = new_expr(p, WR_AST_CALL, pos);
    e->call.name = name;
    e->call.args = args;
    e->call.nargs = nargs;
    return e;
}

static const char *const extract_units[] = {
    "YEAR",   "QUARTER", "MONTH",      "WEEK",        "DAY",         "DOY",        "DOW",
    "HOUR",   "MINUTE",  "SECOND",     "MILLISECOND", "MICROSECOND", "NANOSECOND", "EPOCH",
    "DECADE", "CENTURY", "MILLENNIUM", "ISODOW",      "ISOYEAR",
};

/* Index into extract_units of the word at tok, or -1. */
static int time_unit(parser *p, const wr_lex_token *tok)
{
    for (int i = 0; i < (int)WR_ARRAY_LEN(extract_units); i++)
        if (word_is(p, tok, extract_units[i])) return i;
    return -1;
}

/* A time unit word (EXTRACT, FLOOR .. TO, TIMESTAMPADD) as a string literal
 * of its upper-case name, positioned at the word. */
static wr_ast_expr *parse_unit_literal(parser *p)
{
    const wr_lex_token *tok = cur(p);
    int unit = time_unit(p, tok);
    if (unit < 0) {
        fail_expected(p, "a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
        return NULL;
    }
    wr_ast_expr *e = new_string_lit(p, extract_units[unit], tok->pos, tok->pos + tok->len);
    advance(p);
    return e;
}

/*
 * The SQL special forms written with keywords inside the parentheses, each
 * turned into a plain call so that later stages see one shape:
 *   EXTRACT(unit FROM x)               -> EXTRACT('UNIT', x)
 *   TRIM([BOTH|LEADING|TRAILING] [chars] FROM s), TRIM(s)
 *                                      -> TRIM('BOTH'|'LEADING'|'TRAILING', chars, s),
 *                                         chars defaulting to ' ' and the mode to 'BOTH'
 *                                         (defaults are literals positioned at TRIM)
 *   SUBSTRING(s FROM a [FOR b])        -> SUBSTRING(s, a[, b]); the comma form as is
 *   POSITION(a IN b)                   -> POSITION(a, b)
 * The plain comma forms (EXTRACT('YEAR', x), TRIM('BOTH', ' ', s), ...) are
 * accepted too and give the same call, so that dumps parse back unchanged.
 * The current token is the keyword and the next one is '('.
 */
static wr_ast_expr *parse_special_call(parser *p, wr_lex_kw kw)
{
    int pos = cur(p)->pos;
    const char *name = wr_lex_keyword_name(kw);
    advance(p);
    advance(p); /* '(' */
    wr_ast_expr **args = NULL;
    int n = 0, cap = 0;
    wr_ast_expr *e;
    if (kw == WR_KW_EXTRACT && cur(p)->kind != WR_TOK_WORD) kw = WR_KW_NONE;
    switch (kw) {
    case WR_KW_NONE:
        if (!is_op(p, WR_TOK_RPAREN) && parse_expr_list(p, &args, &n)) return NULL;
        break;
    case WR_KW_EXTRACT: {
        if (!(e = parse_unit_literal(p))) return NULL;
        PUSH(p, args, n, cap, e);
        if (expect_kw(p, WR_KW_FROM) || !(e = parse_expr(p))) return NULL;
        PUSH(p, args, n, cap, e);
        break;
    }
    case WR_KW_TRIM: {
        const char *mode = "BOTH";
        int mode_pos = pos, mode_end = pos;
        bool explicit_mode = false;
        if (is_kw(p, WR_KW_BOTH) || is_kw(p, WR_KW_LEADING) || is_kw(p, WR_KW_TRAILING)) {
            mode = wr_lex_keyword_name(cur(p)->kw);
            mode_pos = cur(p)->pos;
            mode_end = mode_pos + cur(p)->len;
            explicit_mode = true;
            advance(p);
        }
        wr_ast_expr *chars = NULL, *s;
        if (accept_kw(p, WR_KW_FROM)) {
            if (!(s = parse_expr(p))) return NULL;
        } else {
            wr_ast_expr *first = parse_expr(p);
            if (!first) return NULL;
            if (accept_kw(p, WR_KW_FROM)) {
                chars = first;
                if (!(s = parse_expr(p))) return NULL;
            } else if (explicit_mode) {
                fail_expected(p, "FROM");
                return NULL;
            } else if (is_op(p, WR_TOK_COMMA)) {
                PUSH(p, args, n, cap, first);
                while (accept_op(p, WR_TOK_COMMA)) {
                    if (!(e = parse_expr(p))) return NULL;
                    PUSH(p, args, n, cap, e);
                }
                break;
            } else {
                s = first;
            }
        }
        if (!chars) chars = new_string_lit(p, " ", pos, pos);
        PUSH(p, args, n, cap, new_string_lit(p, mode, mode_pos, mode_end));
        PUSH(p, args, n, cap, chars);
        PUSH(p, args, n, cap, s);
        break;
    }
    case WR_KW_SUBSTRING: {
        if (!(e = parse_expr(p))) return NULL;
        PUSH(p, args, n, cap, e);
        if (accept_kw(p, WR_KW_FROM)) {
            if (!(e = parse_expr(p))) return NULL;
            PUSH(p, args, n, cap, e);
            if (accept_kw(p, WR_KW_FOR)) {
                if (!(e = parse_expr(p))) return NULL;
                PUSH(p, args, n, cap, e);
            }
        } else {
            while (accept_op(p, WR_TOK_COMMA)) {
                if (!(e = parse_expr(p))) return NULL;
                PUSH(p, args, n, cap, e);
            }
        }
        break;
    }
    case WR_KW_POSITION: {
        /* The needle stops before IN, which would otherwise start a predicate. */
        if (!(e = parse_additive(p))) return NULL;
        PUSH(p, args, n, cap, e);
        if (!accept_op(p, WR_TOK_COMMA) && expect_kw(p, WR_KW_IN)) return NULL;
        if (!(e = parse_expr(p))) return NULL;
        PUSH(p, args, n, cap, e);
        break;
    }
    default:
        assert(0);
        return NULL;
    }
    if (expect_op(p, WR_TOK_RPAREN)) return NULL;
    return new_call(p, name, pos, args, n);
}

static int parse_order_items(parser *p, wr_ast_order_item **out, int *nout);

/* UNBOUNDED PRECEDING | UNBOUNDED FOLLOWING | CURRENT ROW | offset PRECEDING | offset FOLLOWING */
static int parse_frame_bound(parser *p, wr_ast_bound *b)
{
    b->pos = cur(p)->pos;
    b->offset = NULL;
    if (is_kw(p, WR_KW_UNBOUNDED) &&
        (tok_is_kw(peek(p, 1), WR_KW_PRECEDING) || tok_is_kw(peek(p, 1), WR_KW_FOLLOWING))) {
        advance(p);
        b->kind =
            is_kw(p, WR_KW_PRECEDING) ? WR_BOUND_UNBOUNDED_PRECEDING : WR_BOUND_UNBOUNDED_FOLLOWING;
        advance(p);
        return 0;
    }
    if (is_kw(p, WR_KW_CURRENT) && tok_is_kw(peek(p, 1), WR_KW_ROW)) {
        advance(p);
        advance(p);
        b->kind = WR_BOUND_CURRENT_ROW;
        return 0;
    }
    /* The offset stops before AND, which would otherwise join it to the upper bound. */
    if (!(b->offset = parse_additive(p))) return WR_ERR_PARSE;
    if (accept_kw(p, WR_KW_PRECEDING))
        b->kind = WR_BOUND_PRECEDING;
    else if (accept_kw(p, WR_KW_FOLLOWING))
        b->kind = WR_BOUND_FOLLOWING;
    else
        return fail_expected(p, "PRECEDING or FOLLOWING");
    return 0;
}

/* (ROWS | RANGE) (BETWEEN bound AND bound | bound); the current token is ROWS or RANGE. */
static int parse_frame(parser *p, wr_ast_window *w)
{
    w->frame = is_kw(p, WR_KW_ROWS) ? WR_FRAME_ROWS : WR_FRAME_RANGE;
    advance(p);
    if (accept_kw(p, WR_KW_BETWEEN)) {
        if (parse_frame_bound(p, &w->lower) || expect_kw(p, WR_KW_AND) ||
            parse_frame_bound(p, &w->upper))
            return WR_ERR_PARSE;
    } else {
        if (parse_frame_bound(p, &w->lower)) return WR_ERR_PARSE;
        w->upper.kind = WR_BOUND_CURRENT_ROW;
        w->upper.pos = w->lower.pos;
    }
    /* The bound kinds are declared in frame order, so a frame is empty
     * exactly when its start comes after its end. */
    if (w->lower.kind == WR_BOUND_UNBOUNDED_FOLLOWING)
        return fail_at(p, w->lower.pos, "a window frame cannot start at UNBOUNDED FOLLOWING");
    if (w->upper.kind == WR_BOUND_UNBOUNDED_PRECEDING)
        return fail_at(p, w->upper.pos, "a window frame cannot end at UNBOUNDED PRECEDING");
    if (w->lower.kind > w->upper.kind)
        return fail_at(p, w->upper.pos, "a window frame cannot end before it starts");
    return 0;
}

/* '(' [name] [PARTITION BY exprs] [ORDER BY items] [frame] ')' */
static wr_ast_window *parse_window_spec(parser *p)
{
    wr_ast_window *w = wr_arena_calloc(p->arena, sizeof(*w));
    w->pos = cur(p)->pos;
    w->name_pos = -1;
    if (expect_op(p, WR_TOK_LPAREN)) return NULL;
    const wr_lex_token *tok = cur(p);
    if (tok_is_ident(tok) && !tok_is_kw(tok, WR_KW_PARTITION) && !tok_is_kw(tok, WR_KW_ROWS) &&
        !tok_is_kw(tok, WR_KW_RANGE) && !(w->name = parse_ident(p, "a window name", &w->name_pos)))
        return NULL;
    if (is_kw(p, WR_KW_PARTITION)) {
        advance(p);
        if (expect_kw(p, WR_KW_BY) || parse_expr_list(p, &w->partition_by, &w->npartition_by))
            return NULL;
    }
    if (is_kw(p, WR_KW_ORDER)) {
        advance(p);
        if (expect_kw(p, WR_KW_BY) || parse_order_items(p, &w->order_by, &w->norder_by))
            return NULL;
    }
    if ((is_kw(p, WR_KW_ROWS) || is_kw(p, WR_KW_RANGE)) && parse_frame(p, w)) return NULL;
    if (expect_op(p, WR_TOK_RPAREN)) return NULL;
    return w;
}

/* After OVER: a window name or a parenthesised specification. */
static wr_ast_window *parse_over(parser *p)
{
    if (is_op(p, WR_TOK_LPAREN)) return parse_window_spec(p);
    wr_ast_window *w = wr_arena_calloc(p->arena, sizeof(*w));
    w->pos = cur(p)->pos;
    if (!(w->name = parse_ident(p, "a window name or '('", &w->name_pos))) return NULL;
    return w;
}

static bool name_is(const char *name, const char *upper)
{
    return strcasecmp(name, upper) == 0;
}

/*
 * name '(' [DISTINCT|ALL] args | * ')' [FILTER (WHERE cond)] [OVER window];
 * the current token is '('. Two keyword forms become plain calls here, like
 * the special forms above:
 *   FLOOR(x TO unit), CEIL(x TO unit)  -> FLOOR(x, 'UNIT'), CEIL(x, 'UNIT')
 *   TIMESTAMPADD(unit, n, t), TIMESTAMPDIFF(unit, a, b)
 *                                      -> the unit as a string literal 'UNIT'
 */
static wr_ast_expr *parse_call(parser *p, const char *name, int pos)
{
    advance(p); /* '(' */
    wr_ast_expr *e = new_call(p, name, pos, NULL, 0);
    if (is_op(p, WR_TOK_STAR) && peek(p, 1)->kind == WR_TOK_RPAREN) {
        advance(p);
        e->call.star = true;
    } else if (!is_op(p, WR_TOK_RPAREN)) {
        if (accept_kw(p, WR_KW_DISTINCT))
            e->call.distinct = true;
        else
            accept_kw(p, WR_KW_ALL);
        wr_ast_expr **args = NULL, *arg;
        int n = 0, cap = 0;
        if ((name_is(name, "TIMESTAMPADD") || name_is(name, "TIMESTAMPDIFF")) &&
            time_unit(p, cur(p)) >= 0 && peek(p, 1)->kind == WR_TOK_COMMA) {
            PUSH(p, args, n, cap, parse_unit_literal(p));
            advance(p); /* ',' */
        }
        do {
            if (!(arg = parse_expr(p))) return NULL;
            PUSH(p, args, n, cap, arg);
        } while (accept_op(p, WR_TOK_COMMA));
        if (n == 1 && is_kw(p, WR_KW_TO) &&
            (name_is(name, "FLOOR") || name_is(name, "CEIL") || name_is(name, "CEILING"))) {
            advance(p);
            if (!(arg = parse_unit_literal(p))) return NULL;
            PUSH(p, args, n, cap, arg);
        }
        e->call.args = args;
        e->call.nargs = n;
    }
    if (expect_op(p, WR_TOK_RPAREN)) return NULL;
    if (is_kw(p, WR_KW_FILTER) && peek(p, 1)->kind == WR_TOK_LPAREN) {
        advance(p);
        advance(p);
        if (expect_kw(p, WR_KW_WHERE) || !(e->call.filter = parse_expr(p)) ||
            expect_op(p, WR_TOK_RPAREN))
            return NULL;
    }
    if (accept_kw(p, WR_KW_OVER) && !(e->call.over = parse_over(p))) return NULL;
    e->end = p->prev_end;
    return e;
}

/*
 * ARRAY[a, ...], MAP[k, v, ...] or ROW(a, ...); the current token is the
 * word, the next one the opening bracket.
 */
static wr_ast_expr *parse_constructor(parser *p, wr_ast_ctor_kind kind)
{
    static const char *const names[] = {"ARRAY", "MAP", "ROW"};
    int pos = cur(p)->pos;
    advance(p);
    advance(p); /* '[' or '(' */
    wr_lex_kind close = kind == WR_CTOR_ROW ? WR_TOK_RPAREN : WR_TOK_RBRACKET;
    if (is_op(p, close)) {
        fail_at(p, pos, "%s needs at least one element", names[kind]);
        return NULL;
    }
    wr_ast_expr **items;
    int n;
    if (parse_expr_list(p, &items, &n) || expect_op(p, close)) return NULL;
    if (kind == WR_CTOR_MAP && n % 2) {
        fail_at(p, pos, "MAP needs keys and values in pairs, but has %d element%s", n,
                n == 1 ? "" : "s");
        return NULL;
    }
    wr_ast_expr *e = new_expr(p, WR_AST_CONSTRUCTOR, pos);
    e->ctor.kind = kind;
    e->ctor.items = items;
    e->ctor.nitems = n;
    return e;
}

/* An identifier, a qualified star, or a function call; the current token is a name. */
static wr_ast_expr *parse_name_expr(parser *p)
{
    int pos = cur(p)->pos;
    const char **parts = NULL;
    int n = 0, cap = 0;
    PUSH(p, parts, n, cap, tok_text(p, cur(p)));
    advance(p);
    while (is_op(p, WR_TOK_DOT)) {
        advance(p);
        if (is_op(p, WR_TOK_STAR)) {
            advance(p);
            wr_buf qual;
            wr_buf_init(&qual);
            for (int i = 0; i < n; i++) {
                if (i) wr_buf_putc(&qual, '.');
                wr_buf_puts(&qual, parts[i]);
            }
            wr_ast_expr *e = new_expr(p, WR_AST_STAR, pos);
            e->star.qualifier = wr_arena_strndup(p->arena, qual.data, qual.len);
            wr_buf_fini(&qual);
            return e;
        }
        const char *s = parse_ident(p, "an identifier after '.'", NULL);
        if (!s) return NULL;
        PUSH(p, parts, n, cap, s);
    }
    if (is_op(p, WR_TOK_LPAREN)) {
        const char *name = parts[0];
        if (n > 1) {
            wr_buf buf;
            wr_buf_init(&buf);
            for (int i = 0; i < n; i++) {
                if (i) wr_buf_putc(&buf, '.');
                wr_buf_puts(&buf, parts[i]);
            }
            name = wr_arena_strndup(p->arena, buf.data, buf.len);
            wr_buf_fini(&buf);
        }
        return parse_call(p, name, pos);
    }
    wr_ast_expr *e = new_expr(p, WR_AST_IDENT, pos);
    e->ident.parts = parts;
    e->ident.nparts = n;
    return e;
}

static wr_ast_expr *parse_primary(parser *p)
{
    const wr_lex_token *tok = cur(p);
    const wr_lex_token *next = peek(p, 1);
    int pos = tok->pos;
    wr_ast_expr *e;
    switch (tok->kind) {
    case WR_TOK_INTEGER:
    case WR_TOK_DECIMAL:
    case WR_TOK_DOUBLE:
    case WR_TOK_STRING: {
        wr_ast_lit_kind kind = tok->kind == WR_TOK_INTEGER   ? WR_LIT_INTEGER
                               : tok->kind == WR_TOK_DECIMAL ? WR_LIT_DECIMAL
                               : tok->kind == WR_TOK_DOUBLE  ? WR_LIT_DOUBLE
                                                             : WR_LIT_STRING;
        const char *text = tok_text(p, tok);
        advance(p);
        e = new_expr(p, WR_AST_LITERAL, pos);
        e->lit.kind = kind;
        e->lit.text = text;
        return e;
    }
    case WR_TOK_BINARY: {
        const char *text = tok_text(p, tok);
        advance(p);
        e = new_expr(p, WR_AST_LITERAL, pos);
        e->lit.kind = WR_LIT_BINARY;
        e->lit.text = text;
        return e;
    }
    case WR_TOK_LPAREN:
        advance(p);
        if (tok_starts_query(next)) {
            wr_ast_query *q = parse_query(p);
            if (!q || expect_op(p, WR_TOK_RPAREN)) return NULL;
            e = new_expr(p, WR_AST_SUBQUERY, pos);
            e->subquery.query = q;
            return e;
        }
        if (!(e = parse_expr(p))) return NULL;
        if (is_op(p, WR_TOK_COMMA)) {
            /* (a, b, ...): an implicit ROW, also a grouping set in GROUP BY. */
            wr_ast_expr **items = NULL;
            int n = 0, cap = 0;
            PUSH(p, items, n, cap, e);
            while (accept_op(p, WR_TOK_COMMA)) {
                if (!(e = parse_expr(p))) return NULL;
                PUSH(p, items, n, cap, e);
            }
            if (expect_op(p, WR_TOK_RPAREN)) return NULL;
            e = new_expr(p, WR_AST_CONSTRUCTOR, pos);
            e->ctor.kind = WR_CTOR_ROW;
            e->ctor.items = items;
            e->ctor.nitems = n;
            e->ctor.implicit = true;
            return e;
        }
        if (expect_op(p, WR_TOK_RPAREN)) return NULL;
        /* The parentheses belong to the node's text. */
        e->pos = pos;
        e->end = p->prev_end;
        return e;
    case WR_TOK_QUOTED:
        return parse_name_expr(p);
    case WR_TOK_WORD:
        break;
    default:
        fail_expected(p, "an expression");
        return NULL;
    }

    switch (tok->kw) {
    case WR_KW_NULL:
    case WR_KW_TRUE:
    case WR_KW_FALSE:
        e = new_expr(p, WR_AST_LITERAL, pos);
        e->lit.kind = tok->kw == WR_KW_NULL ? WR_LIT_NULL : WR_LIT_BOOL;
        e->lit.b = tok->kw == WR_KW_TRUE;
        advance(p);
        e->end = p->prev_end;
        return e;
    case WR_KW_DATE:
    case WR_KW_TIME:
    case WR_KW_TIMESTAMP:
        if (next->kind != WR_TOK_STRING) break; /* a column or function of that name */
        e = new_expr(p, WR_AST_LITERAL, pos);
        e->lit.kind = tok->kw == WR_KW_DATE   ? WR_LIT_DATE
                      : tok->kw == WR_KW_TIME ? WR_LIT_TIME
                                              : WR_LIT_TIMESTAMP;
        advance(p);
        e->lit.text = tok_text(p, cur(p));
        advance(p);
        e->end = p->prev_end;
        return e;
    case WR_KW_INTERVAL:
        if (next->kind == WR_TOK_STRING) return parse_interval(p);
        break;
    case WR_KW_CASE:
        return parse_case(p);
    case WR_KW_CAST:
        return parse_cast(p, false);
    case WR_KW_TRY_CAST:
        if (next->kind == WR_TOK_LPAREN) return parse_cast(p, true);
        break;
    case WR_KW_EXISTS: {
        advance(p);
        wr_ast_query *q = parse_paren_query(p);
        if (!q) return NULL;
        e = new_expr(p, WR_AST_EXISTS, pos);
        e->subquery.query = q;
        return e;
    }
    case WR_KW_EXTRACT:
    case WR_KW_TRIM:
    case WR_KW_SUBSTRING:
    case WR_KW_POSITION:
        if (next->kind == WR_TOK_LPAREN) return parse_special_call(p, tok->kw);
        break;
    case WR_KW_CURRENT_DATE:
    case WR_KW_CURRENT_TIME:
    case WR_KW_CURRENT_TIMESTAMP:
    case WR_KW_LOCALTIME:
    case WR_KW_LOCALTIMESTAMP:
        /* Niladic functions: a call without arguments; "()" is tolerated. */
        advance(p);
        if (is_op(p, WR_TOK_LPAREN) && peek(p, 1)->kind == WR_TOK_RPAREN) {
            advance(p);
            advance(p);
        }
        return new_call(p, wr_lex_keyword_name(tok->kw), pos, NULL, 0);
    case WR_KW_ROW:
        if (next->kind == WR_TOK_LPAREN) return parse_constructor(p, WR_CTOR_ROW);
        break;
    case WR_KW_LEFT:
    case WR_KW_RIGHT:
        /* Reserved for joins, but also the string functions LEFT(s, n), RIGHT(s, n). */
        if (next->kind == WR_TOK_LPAREN) {
            const char *name = tok_text(p, tok);
            advance(p);
            return parse_call(p, name, pos);
        }
        break;
    default:
        break;
    }
    /* As in Flink, ARRAY[ and MAP[ always construct; a column of that name
     * needs backquotes to be subscripted. */
    if (next->kind == WR_TOK_LBRACKET && word_is(p, tok, "ARRAY"))
        return parse_constructor(p, WR_CTOR_ARRAY);
    if (next->kind == WR_TOK_LBRACKET && word_is(p, tok, "MAP"))
        return parse_constructor(p, WR_CTOR_MAP);
    if (!tok_is_ident(tok)) {
        fail_expected(p, "an expression");
        return NULL;
    }
    return parse_name_expr(p);
}

/*
 * primary {[index] | .field}: subscripts on any value, and field access on
 * a value that ends in ')' or ']' ((r).f, f(x).f, a[1].f) or on a field
 * ((r).f.g); a.b without those stays a dotted name, resolved by the binder.
 * Each link counts as one level of depth, as the tree grows with the chain.
 */
static wr_ast_expr *parse_postfix(parser *p)
{
    wr_ast_expr *e = parse_primary(p);
    int saved = p->depth;
    while (e) {
        char last = p->prev_end > 0 ? p->text[p->prev_end - 1] : 0;
        wr_ast_expr *x;
        if (is_op(p, WR_TOK_LBRACKET)) {
            advance(p);
            if (!deeper(p)) return NULL;
            wr_ast_expr *index = parse_expr(p);
            if (!index || expect_op(p, WR_TOK_RBRACKET)) return NULL;
            x = new_expr(p, WR_AST_SUBSCRIPT, e->pos);
            x->subscript.arg = e;
            x->subscript.index = index;
        } else if (is_op(p, WR_TOK_DOT) &&
                   (e->kind == WR_AST_FIELD || last == ')' || last == ']')) {
            advance(p);
            if (!deeper(p)) return NULL;
            int name_pos;
            const char *name = parse_ident(p, "a field name after '.'", &name_pos);
            if (!name) return NULL;
            x = new_expr(p, WR_AST_FIELD, e->pos);
            x->field.arg = e;
            x->field.name = name;
            x->field.name_pos = name_pos;
        } else {
            break;
        }
        e = x;
    }
    p->depth = saved;
    return e;
}

/* [+|-]* primary */
static wr_ast_expr *parse_unary(parser *p)
{
    const wr_lex_token *tok = cur(p);
    if (tok->kind != WR_TOK_MINUS && tok->kind != WR_TOK_PLUS) return parse_postfix(p);
    int pos = tok->pos;
    wr_ast_op op = tok->kind == WR_TOK_MINUS ? WR_OP_NEG : WR_OP_PLUS;
    advance(p);
    if (!deeper(p)) return NULL;
    wr_ast_expr *arg = parse_unary(p);
    p->depth--;
    if (!arg) return NULL;
    wr_ast_expr *e = new_expr(p, WR_AST_UNARY, pos);
    e->unary.op = op;
    e->unary.arg = arg;
    return e;
}

/* Maps the current token to a binary operator of the given level; false if none. */
static bool binop(parser *p, int level, wr_ast_op *op)
{
    switch (cur(p)->kind) {
    case WR_TOK_PLUS:
        *op = WR_OP_ADD;
        return level == 0;
    case WR_TOK_MINUS:
        *op = WR_OP_SUB;
        return level == 0;
    case WR_TOK_CONCAT:
        *op = WR_OP_CONCAT;
        return level == 0;
    case WR_TOK_STAR:
        *op = WR_OP_MUL;
        return level == 1;
    case WR_TOK_SLASH:
        *op = WR_OP_DIV;
        return level == 1;
    case WR_TOK_PERCENT:
        *op = WR_OP_MOD;
        return level == 1;
    case WR_TOK_EQ:
        *op = WR_OP_EQ;
        return level == 2;
    case WR_TOK_NE:
        *op = WR_OP_NE;
        return level == 2;
    case WR_TOK_LT:
        *op = WR_OP_LT;
        return level == 2;
    case WR_TOK_LE:
        *op = WR_OP_LE;
        return level == 2;
    case WR_TOK_GT:
        *op = WR_OP_GT;
        return level == 2;
    case WR_TOK_GE:
        *op = WR_OP_GE;
        return level == 2;
    default:
        return false;
    }
}

/*
 * Left-associative operator chains: level 1 is multiplicative (unary {* / %
 * unary}), level 0 additive (level-1 {+ - || level-1}). Each link of a chain
 * counts as one level of depth, since the tree it builds is as deep as the
 * chain is long.
 */
static wr_ast_expr *parse_chain(parser *p, int level)
{
    wr_ast_expr *left = level ? parse_unary(p) : parse_chain(p, 1);
    int saved = p->depth;
    wr_ast_op op;
    while (left && binop(p, level, &op)) {
        int op_pos = cur(p)->pos;
        advance(p);
        if (!deeper(p)) return NULL;
        wr_ast_expr *right = level ? parse_unary(p) : parse_chain(p, 1);
        left = right ? new_binary(p, op, left, right, op_pos) : NULL;
    }
    p->depth = saved;
    return left;
}

static wr_ast_expr *parse_additive(parser *p)
{
    return parse_chain(p, 0);
}

/* x [NOT] IN (list | query); the current token is IN. */
static wr_ast_expr *parse_in(parser *p, wr_ast_expr *arg, bool negated)
{
    advance(p); /* IN */
    if (expect_op(p, WR_TOK_LPAREN)) return NULL;
    wr_ast_expr *e;
    if (tok_starts_query(cur(p))) {
        wr_ast_query *q = parse_query(p);
        if (!q || expect_op(p, WR_TOK_RPAREN)) return NULL;
        e = new_expr(p, WR_AST_IN_QUERY, arg->pos);
        e->subquery.arg = arg;
        e->subquery.query = q;
        e->subquery.negated = negated;
        return e;
    }
    wr_ast_expr **items;
    int n;
    if (parse_expr_list(p, &items, &n) || expect_op(p, WR_TOK_RPAREN)) return NULL;
    e = new_expr(p, WR_AST_IN_LIST, arg->pos);
    e->in_list.arg = arg;
    e->in_list.items = items;
    e->in_list.nitems = n;
    e->in_list.negated = negated;
    return e;
}

/*
 * Predicates: additive followed by any number of comparisons, IS [NOT] ...,
 * [NOT] BETWEEN, [NOT] IN, [NOT] LIKE / SIMILAR TO, applied left to right.
 */
static wr_ast_expr *parse_predicate(parser *p)
{
    wr_ast_expr *left = parse_additive(p);
    int saved = p->depth;
    wr_ast_op op;
    while (left) {
        const wr_lex_token *tok = cur(p);
        int op_pos = tok->pos;
        if (binop(p, 2, &op)) {
            advance(p);
            if (!deeper(p)) return NULL;
            wr_ast_expr *right = parse_additive(p);
            left = right ? new_binary(p, op, left, right, op_pos) : NULL;
            continue;
        }
        if (tok_is_kw(tok, WR_KW_IS)) {
            advance(p);
            if (!deeper(p)) return NULL;
            bool negated = accept_kw(p, WR_KW_NOT);
            if (accept_kw(p, WR_KW_DISTINCT)) {
                if (expect_kw(p, WR_KW_FROM)) return NULL;
                wr_ast_expr *right = parse_additive(p);
                op = negated ? WR_OP_IS_NOT_DISTINCT : WR_OP_IS_DISTINCT;
                left = right ? new_binary(p, op, left, right, op_pos) : NULL;
                continue;
            }
            wr_ast_is_what what;
            if (is_kw(p, WR_KW_NULL))
                what = WR_IS_NULL;
            else if (is_kw(p, WR_KW_TRUE))
                what = WR_IS_TRUE;
            else if (is_kw(p, WR_KW_FALSE))
                what = WR_IS_FALSE;
            else if (is_kw(p, WR_KW_UNKNOWN))
                what = WR_IS_UNKNOWN;
            else {
                fail_expected(p, "NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM");
                return NULL;
            }
            advance(p);
            wr_ast_expr *e = new_expr(p, WR_AST_IS, left->pos);
            e->is.arg = left;
            e->is.what = what;
            e->is.negated = negated;
            left = e;
            continue;
        }
        bool negated = false;
        const wr_lex_token *kw_tok = tok;
        if (tok_is_kw(tok, WR_KW_NOT)) {
            kw_tok = peek(p, 1);
            if (!tok_is_kw(kw_tok, WR_KW_BETWEEN) && !tok_is_kw(kw_tok, WR_KW_IN) &&
                !tok_is_kw(kw_tok, WR_KW_LIKE) && !tok_is_kw(kw_tok, WR_KW_SIMILAR))
                break;
            negated = true;
        }
        if (tok_is_kw(kw_tok, WR_KW_BETWEEN)) {
            if (negated) advance(p);
            advance(p);
            if (!deeper(p)) return NULL;
            bool symmetric = accept_kw(p, WR_KW_SYMMETRIC);
            if (!symmetric) accept_kw(p, WR_KW_ASYMMETRIC);
            wr_ast_expr *low = parse_additive(p);
            if (!low || expect_kw(p, WR_KW_AND)) return NULL;
            wr_ast_expr *high = parse_additive(p);
            if (!high) return NULL;
            wr_ast_expr *e = new_expr(p, WR_AST_BETWEEN, left->pos);
            e->between.arg = left;
            e->between.low = low;
            e->between.high = high;
            e->between.negated = negated;
            e->between.symmetric = symmetric;
            left = e;
        } else if (tok_is_kw(kw_tok, WR_KW_IN)) {
            if (negated) advance(p);
            if (!deeper(p)) return NULL;
            left = parse_in(p, left, negated);
        } else if (tok_is_kw(kw_tok, WR_KW_LIKE) || tok_is_kw(kw_tok, WR_KW_SIMILAR)) {
            bool similar = tok_is_kw(kw_tok, WR_KW_SIMILAR);
            if (negated) advance(p);
            advance(p);
            if (!deeper(p)) return NULL;
            if (similar && expect_kw(p, WR_KW_TO)) return NULL;
            wr_ast_expr *pattern = parse_additive(p), *escape = NULL;
            if (!pattern) return NULL;
            if (accept_kw(p, WR_KW_ESCAPE) && !(escape = parse_additive(p))) return NULL;
            wr_ast_expr *e = new_expr(p, WR_AST_LIKE, left->pos);
            e->like.arg = left;
            e->like.pattern = pattern;
            e->like.escape = escape;
            e->like.negated = negated;
            e->like.similar = similar;
            left = e;
        } else {
            break;
        }
    }
    p->depth = saved;
    return left;
}

/* NOT* predicate */
static wr_ast_expr *parse_not(parser *p)
{
    if (!is_kw(p, WR_KW_NOT)) return parse_predicate(p);
    int pos = cur(p)->pos;
    advance(p);
    if (!deeper(p)) return NULL;
    wr_ast_expr *arg = parse_not(p);
    p->depth--;
    if (!arg) return NULL;
    wr_ast_expr *e = new_expr(p, WR_AST_UNARY, pos);
    e->unary.op = WR_OP_NOT;
    e->unary.arg = arg;
    return e;
}

/* AND and OR chains; level 1 is AND (over NOT), level 0 is OR (over AND). */
static wr_ast_expr *parse_logical(parser *p, int level)
{
    wr_lex_kw kw = level == 0 ? WR_KW_OR : WR_KW_AND;
    wr_ast_op op = level == 0 ? WR_OP_OR : WR_OP_AND;
    wr_ast_expr *left = level == 0 ? parse_logical(p, 1) : parse_not(p);
    int saved = p->depth;
    while (left && is_kw(p, kw)) {
        int op_pos = cur(p)->pos;
        advance(p);
        if (!deeper(p)) return NULL;
        wr_ast_expr *right = level == 0 ? parse_logical(p, 1) : parse_not(p);
        left = right ? new_binary(p, op, left, right, op_pos) : NULL;
    }
    p->depth = saved;
    return left;
}

/* Any expression; one level of nesting. */
static wr_ast_expr *parse_expr(parser *p)
{
    if (!deeper(p)) return NULL;
    wr_ast_expr *e = parse_logical(p, 0);
    p->depth--;
    return e;
}

/* ---- queries ------------------------------------------------------------ */

static wr_ast_query *new_query(parser *p, wr_ast_query_kind kind, int pos)
{
    wr_ast_query *q = wr_arena_calloc(p->arena, sizeof(*q));
    q->kind = kind;
    q->pos = pos;
    return q;
}

/* An upper-case copy of s in the arena. */
static const char *upper_dup(parser *p, const char *s)
{
    size_t n = strlen(s);
    char *u = wr_arena_alloc(p->arena, n + 1);
    for (size_t i = 0; i <= n; i++) u[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 'a' + 'A' : s[i];
    return u;
}

/* Joins dotted name parts with '.' into one arena string. */
static const char *join_name(parser *p, const char *const *parts, int n)
{
    wr_buf buf;
    wr_buf_init(&buf);
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_putc(&buf, '.');
        wr_buf_puts(&buf, parts[i]);
    }
    const char *s = wr_arena_strndup(p->arena, buf.data ? buf.data : "", buf.len);
    wr_buf_fini(&buf);
    return s;
}

/* PARTITION BY k or PARTITION BY (k1, k2) inside a TVF call; the current token is PARTITION. */
static int parse_tvf_partition(parser *p, wr_ast_tvf_arg *arg)
{
    advance(p);
    if (expect_kw(p, WR_KW_BY)) return WR_ERR_PARSE;
    wr_ast_expr *e = parse_expr(p);
    if (!e) return WR_ERR_PARSE;
    if (e->kind == WR_AST_CONSTRUCTOR && e->ctor.implicit) {
        arg->partition_by = e->ctor.items;
        arg->npartition_by = e->ctor.nitems;
    } else {
        arg->partition_by = wr_arena_alloc(p->arena, sizeof(*arg->partition_by));
        arg->partition_by[0] = e;
        arg->npartition_by = 1;
    }
    return 0;
}

/* One argument of TABLE(f(...)): [NAME =>] TABLE t [PARTITION BY ...] | DESCRIPTOR(cols) | expr */
static int parse_tvf_arg(parser *p, wr_ast_tvf_arg *arg)
{
    memset(arg, 0, sizeof(*arg));
    arg->name_pos = -1;
    const wr_lex_token *tok = cur(p);
    /* Any word may name a parameter (OFFSET is reserved, yet a window TVF's). */
    if ((tok->kind == WR_TOK_WORD || tok->kind == WR_TOK_QUOTED) &&
        peek(p, 1)->kind == WR_TOK_ARROW) {
        arg->name = upper_dup(p, tok_text(p, tok));
        arg->name_pos = tok->pos;
        advance(p);
        advance(p);
        tok = cur(p);
    }
    arg->pos = tok->pos;
    if (tok_is_kw(tok, WR_KW_TABLE) && peek(p, 1)->kind != WR_TOK_LPAREN) {
        advance(p);
        arg->kind = WR_TVF_ARG_TABLE;
        wr_ast_from *t = wr_arena_calloc(p->arena, sizeof(*t));
        t->kind = WR_FROM_TABLE;
        t->pos = cur(p)->pos;
        t->alias_pos = -1;
        if (parse_name(p, 3, "a table name", &t->table.parts, &t->table.nparts, NULL))
            return WR_ERR_PARSE;
        arg->table = t;
        if (is_kw(p, WR_KW_PARTITION) && parse_tvf_partition(p, arg)) return WR_ERR_PARSE;
        return 0;
    }
    if (word_is(p, tok, "DESCRIPTOR") && peek(p, 1)->kind == WR_TOK_LPAREN) {
        advance(p);
        arg->kind = WR_TVF_ARG_DESCRIPTOR;
        return parse_ident_list(p, "a column name", &arg->columns, &arg->ncolumns);
    }
    arg->kind = WR_TVF_ARG_EXPR;
    return (arg->expr = parse_expr(p)) ? 0 : WR_ERR_PARSE;
}

/*
 * TABLE(name(args)): a window TVF (TUMBLE, HOP, CUMULATE, SESSION) or any
 * table function; the current token is TABLE and the next '('.
 */
static int parse_tvf(parser *p, wr_ast_from *f)
{
    f->kind = WR_FROM_TVF;
    advance(p); /* TABLE */
    advance(p); /* '(' */
    const char **parts;
    int nparts;
    if (parse_name(p, 3, "a table function name", &parts, &nparts, &f->tvf.name_pos) ||
        expect_op(p, WR_TOK_LPAREN))
        return WR_ERR_PARSE;
    f->tvf.name = nparts == 1 ? parts[0] : join_name(p, parts, nparts);
    f->tvf.descriptor_pos = -1;
    int cap = 0, cap_exprs = 0, cap_names = 0, nnames = 0;
    if (!is_op(p, WR_TOK_RPAREN)) {
        do {
            wr_ast_tvf_arg arg;
            if (parse_tvf_arg(p, &arg)) return WR_ERR_PARSE;
            PUSH(p, f->tvf.args, f->tvf.nargs, cap, arg);
            if (arg.kind == WR_TVF_ARG_TABLE && !f->tvf.table) {
                f->tvf.table = arg.table;
                f->tvf.partition_by = arg.partition_by;
                f->tvf.npartition_by = arg.npartition_by;
            } else if (arg.kind == WR_TVF_ARG_DESCRIPTOR && !f->tvf.descriptor) {
                f->tvf.descriptor = arg.columns[0];
                f->tvf.descriptor_pos = arg.pos;
            } else if (arg.kind == WR_TVF_ARG_EXPR) {
                PUSH(p, f->tvf.exprs, f->tvf.nexprs, cap_exprs, arg.expr);
                PUSH(p, f->tvf.expr_names, nnames, cap_names, arg.name);
            }
        } while (accept_op(p, WR_TOK_COMMA));
    }
    if (expect_op(p, WR_TOK_RPAREN) || expect_op(p, WR_TOK_RPAREN)) return WR_ERR_PARSE;
    return 0;
}

/* [AS] alias [(col, ...)] after a FROM item. */
static int parse_from_alias(parser *p, wr_ast_from *f)
{
    if (parse_opt_alias(p, &f->alias, &f->alias_pos)) return WR_ERR_PARSE;
    if (f->alias && is_op(p, WR_TOK_LPAREN) &&
        parse_ident_list(p, "a column name", &f->column_aliases, &f->ncolumn_aliases))
        return WR_ERR_PARSE;
    return 0;
}

/*
 * One FROM item, with its alias:
 *   name [FOR SYSTEM_TIME AS OF expr]   a table, or a temporal table version
 *   [LATERAL] (query)                   a subquery
 *   [LATERAL] TABLE(f(args))            a window TVF or table function
 *   UNNEST(exprs) [WITH ORDINALITY]     array / map / multiset expansion
 */
static wr_ast_from *parse_table_ref(parser *p)
{
    wr_ast_from *f = wr_arena_calloc(p->arena, sizeof(*f));
    f->pos = cur(p)->pos;
    f->alias_pos = -1;
    if (accept_kw(p, WR_KW_LATERAL)) {
        f->lateral = true;
        if (!is_op(p, WR_TOK_LPAREN) &&
            !(is_kw(p, WR_KW_TABLE) && peek(p, 1)->kind == WR_TOK_LPAREN)) {
            fail_expected(p, "TABLE(...) or '(' after LATERAL");
            return NULL;
        }
    }
    if (is_kw(p, WR_KW_TABLE) && peek(p, 1)->kind == WR_TOK_LPAREN) {
        if (parse_tvf(p, f)) return NULL;
    } else if (word_is(p, cur(p), "UNNEST") && peek(p, 1)->kind == WR_TOK_LPAREN) {
        f->kind = WR_FROM_UNNEST;
        advance(p);
        advance(p);
        if (parse_expr_list(p, &f->unnest.exprs, &f->unnest.nexprs) || expect_op(p, WR_TOK_RPAREN))
            return NULL;
        if (is_kw(p, WR_KW_WITH) && word_is(p, peek(p, 1), "ORDINALITY")) {
            advance(p);
            advance(p);
            f->unnest.with_ordinality = true;
        }
    } else if (accept_op(p, WR_TOK_LPAREN)) {
        f->kind = WR_FROM_SUBQUERY;
        if (!(f->subquery.query = parse_query(p)) || expect_op(p, WR_TOK_RPAREN)) return NULL;
    } else {
        f->kind = WR_FROM_TABLE;
        if (parse_name(p, 3, "a table name", &f->table.parts, &f->table.nparts, NULL)) return NULL;
        if (is_kw(p, WR_KW_FOR) && word_is(p, peek(p, 1), "SYSTEM_TIME")) {
            advance(p);
            advance(p);
            if (expect_kw(p, WR_KW_AS)) return NULL;
            if (!word_is(p, cur(p), "OF")) {
                fail_expected(p, "OF");
                return NULL;
            }
            advance(p);
            if (!(f->system_time = parse_expr(p))) return NULL;
        }
    }
    if (parse_from_alias(p, f)) return NULL;
    return f;
}

/* Joins and comma lists, left-associative. */
static wr_ast_from *parse_from(parser *p)
{
    wr_ast_from *left = parse_table_ref(p);
    int saved = p->depth;
    while (left) {
        wr_ast_join_kind kind;
        bool natural = false;
        if (accept_op(p, WR_TOK_COMMA)) {
            kind = WR_JOIN_CROSS;
        } else {
            if (accept_kw(p, WR_KW_NATURAL)) {
                natural = true;
                if (is_kw(p, WR_KW_CROSS) ||
                    !(is_kw(p, WR_KW_JOIN) || is_kw(p, WR_KW_INNER) || is_kw(p, WR_KW_LEFT) ||
                      is_kw(p, WR_KW_RIGHT) || is_kw(p, WR_KW_FULL))) {
                    fail_expected(p, "JOIN, INNER, LEFT, RIGHT or FULL after NATURAL");
                    return NULL;
                }
            }
            if (accept_kw(p, WR_KW_CROSS))
                kind = WR_JOIN_CROSS;
            else if (accept_kw(p, WR_KW_INNER))
                kind = WR_JOIN_INNER;
            else if (is_kw(p, WR_KW_JOIN))
                kind = WR_JOIN_INNER;
            else if (accept_kw(p, WR_KW_LEFT))
                kind = WR_JOIN_LEFT;
            else if (accept_kw(p, WR_KW_RIGHT))
                kind = WR_JOIN_RIGHT;
            else if (accept_kw(p, WR_KW_FULL))
                kind = WR_JOIN_FULL;
            else
                break;
            if (kind != WR_JOIN_CROSS && kind != WR_JOIN_INNER) accept_kw(p, WR_KW_OUTER);
            if (expect_kw(p, WR_KW_JOIN)) return NULL;
        }
        if (!deeper(p)) return NULL;
        wr_ast_from *right = parse_table_ref(p);
        if (!right) return NULL;
        wr_ast_from *j = wr_arena_calloc(p->arena, sizeof(*j));
        j->kind = WR_FROM_JOIN;
        j->pos = left->pos;
        j->alias_pos = -1;
        j->join.kind = kind;
        j->join.left = left;
        j->join.right = right;
        j->join.natural = natural;
        if (natural) {
            if (is_kw(p, WR_KW_ON) || is_kw(p, WR_KW_USING)) {
                fail_at(p, cur(p)->pos, "a NATURAL join takes no ON or USING");
                return NULL;
            }
        } else if (kind != WR_JOIN_CROSS) {
            if (accept_kw(p, WR_KW_ON)) {
                if (!(j->join.on = parse_expr(p))) return NULL;
            } else if (is_kw(p, WR_KW_USING)) {
                advance(p);
                if (parse_ident_list(p, "a column name", &j->join.using_cols, &j->join.nusing))
                    return NULL;
            } else {
                fail_expected(p, "ON or USING");
                return NULL;
            }
        }
        left = j;
    }
    p->depth = saved;
    return left;
}

/*
 * One GROUP BY element (see wr_ast_group_elem). in_rollup: inside ROLLUP or
 * CUBE, where only expressions and non-empty parenthesised lists may stand.
 */
static int parse_group_elem(parser *p, wr_ast_group_elem *g, bool in_rollup)
{
    const wr_lex_token *tok = cur(p), *next = peek(p, 1);
    memset(g, 0, sizeof(*g));
    g->pos = tok->pos;
    wr_ast_group_kind kind = WR_GROUP_EXPR;
    if (word_is(p, tok, "GROUPING") && word_is(p, next, "SETS"))
        kind = WR_GROUP_GROUPING_SETS;
    else if (word_is(p, tok, "ROLLUP") && next->kind == WR_TOK_LPAREN)
        kind = WR_GROUP_ROLLUP;
    else if (word_is(p, tok, "CUBE") && next->kind == WR_TOK_LPAREN)
        kind = WR_GROUP_CUBE;
    else if (tok->kind == WR_TOK_LPAREN && next->kind == WR_TOK_RPAREN)
        kind = WR_GROUP_SET;
    if (in_rollup && kind != WR_GROUP_EXPR)
        return fail_at(p, g->pos,
                       "ROLLUP and CUBE take expressions or parenthesised lists of "
                       "expressions only");
    g->kind = kind;
    if (kind == WR_GROUP_SET) { /* () */
        advance(p);
        advance(p);
        return 0;
    }
    if (kind == WR_GROUP_EXPR) {
        wr_ast_expr *e = parse_expr(p);
        if (!e) return WR_ERR_PARSE;
        if (!(e->kind == WR_AST_CONSTRUCTOR && e->ctor.implicit)) {
            g->expr = e;
            return 0;
        }
        /* (a, b): a grouping set of those expressions */
        g->kind = WR_GROUP_SET;
        g->nchildren = e->ctor.nitems;
        g->children = wr_arena_calloc(p->arena, (size_t)g->nchildren * sizeof(*g->children));
        for (int i = 0; i < g->nchildren; i++) {
            g->children[i].kind = WR_GROUP_EXPR;
            g->children[i].pos = e->ctor.items[i]->pos;
            g->children[i].expr = e->ctor.items[i];
        }
        return 0;
    }
    advance(p);
    if (kind == WR_GROUP_GROUPING_SETS) advance(p); /* SETS */
    if (!deeper(p) || expect_op(p, WR_TOK_LPAREN)) return WR_ERR_PARSE;
    int cap = 0;
    do {
        wr_ast_group_elem child;
        if (parse_group_elem(p, &child, kind != WR_GROUP_GROUPING_SETS)) return WR_ERR_PARSE;
        PUSH(p, g->children, g->nchildren, cap, child);
    } while (accept_op(p, WR_TOK_COMMA));
    p->depth--;
    return expect_op(p, WR_TOK_RPAREN);
}

/*
 * GROUP BY elements; the current token is BY's successor. group_by gets a
 * non-NULL (possibly empty) array whenever GROUP BY is written.
 */
static int parse_group_by(parser *p, wr_ast_query *q)
{
    int cap = 0, cap_exprs = 0;
    q->select.group_by = wr_arena_alloc(p->arena, sizeof(*q->select.group_by));
    do {
        wr_ast_group_elem g;
        if (parse_group_elem(p, &g, false)) return WR_ERR_PARSE;
        PUSH(p, q->select.group_elems, q->select.ngroup_elems, cap, g);
        if (g.kind == WR_GROUP_EXPR)
            PUSH(p, q->select.group_by, q->select.ngroup_by, cap_exprs, g.expr);
        else if (g.kind == WR_GROUP_SET)
            for (int i = 0; i < g.nchildren; i++)
                PUSH(p, q->select.group_by, q->select.ngroup_by, cap_exprs, g.children[i].expr);
        else
            q->select.has_grouping_sets = true;
    } while (accept_op(p, WR_TOK_COMMA));
    return 0;
}

/* WINDOW name AS (spec), ...; the current token is WINDOW. */
static int parse_window_clause(parser *p, wr_ast_query *q)
{
    advance(p);
    int cap = 0;
    do {
        wr_ast_named_window nw;
        if (!(nw.name = parse_ident(p, "a window name", &nw.pos))) return WR_ERR_PARSE;
        for (int i = 0; i < q->select.nwindows; i++)
            if (strcmp(q->select.windows[i].name, nw.name) == 0)
                return fail_at(p, nw.pos, "window '%s' is defined twice", nw.name);
        if (expect_kw(p, WR_KW_AS) || !(nw.window = parse_window_spec(p))) return WR_ERR_PARSE;
        PUSH(p, q->select.windows, q->select.nwindows, cap, nw);
    } while (accept_op(p, WR_TOK_COMMA));
    return 0;
}

static wr_ast_query *parse_select(parser *p)
{
    wr_ast_query *q = new_query(p, WR_QUERY_SELECT, cur(p)->pos);
    advance(p); /* SELECT */
    if (accept_kw(p, WR_KW_DISTINCT))
        q->select.distinct = true;
    else
        accept_kw(p, WR_KW_ALL);
    int cap = 0;
    do {
        wr_ast_select_item item = {NULL, NULL, -1};
        if (is_op(p, WR_TOK_STAR)) {
            item.expr = new_expr(p, WR_AST_STAR, cur(p)->pos);
            advance(p);
            item.expr->end = p->prev_end;
        } else {
            if (!(item.expr = parse_expr(p))) return NULL;
            if (parse_opt_alias(p, &item.alias, &item.alias_pos)) return NULL;
        }
        PUSH(p, q->select.items, q->select.nitems, cap, item);
    } while (accept_op(p, WR_TOK_COMMA));
    if (accept_kw(p, WR_KW_FROM) && !(q->select.from = parse_from(p))) return NULL;
    if (accept_kw(p, WR_KW_WHERE) && !(q->select.where = parse_expr(p))) return NULL;
    if (is_kw(p, WR_KW_GROUP)) {
        advance(p);
        if (expect_kw(p, WR_KW_BY) || parse_group_by(p, q)) return NULL;
    }
    if (accept_kw(p, WR_KW_HAVING) && !(q->select.having = parse_expr(p))) return NULL;
    if (is_kw(p, WR_KW_WINDOW) && parse_window_clause(p, q)) return NULL;
    return q;
}

static wr_ast_query *parse_values(parser *p)
{
    wr_ast_query *q = new_query(p, WR_QUERY_VALUES, cur(p)->pos);
    advance(p); /* VALUES */
    int cap = 0;
    do {
        int row_pos = cur(p)->pos;
        wr_ast_expr **row;
        int n;
        if (expect_op(p, WR_TOK_LPAREN) || parse_expr_list(p, &row, &n) ||
            expect_op(p, WR_TOK_RPAREN))
            return NULL;
        if (q->values.nrows == 0)
            q->values.ncols = n;
        else if (n != q->values.ncols) {
            fail_at(p, row_pos, "this VALUES row has %d column(s) but the first row has %d", n,
                    q->values.ncols);
            return NULL;
        }
        PUSH(p, q->values.rows, q->values.nrows, cap, row);
    } while (accept_op(p, WR_TOK_COMMA));
    return q;
}

/* SELECT ... | VALUES ... | '(' query ')' */
static wr_ast_query *parse_query_primary(parser *p)
{
    if (is_kw(p, WR_KW_SELECT)) return parse_select(p);
    if (is_kw(p, WR_KW_VALUES)) return parse_values(p);
    if (accept_op(p, WR_TOK_LPAREN)) {
        wr_ast_query *q = parse_query(p);
        if (!q || expect_op(p, WR_TOK_RPAREN)) return NULL;
        return q;
    }
    fail_expected(p, "SELECT, VALUES or '('");
    return NULL;
}

/* Set operations: level 1 is INTERSECT (binds tighter), level 0 UNION / EXCEPT. */
static wr_ast_query *parse_setop(parser *p, int level)
{
    wr_ast_query *left = level == 0 ? parse_setop(p, 1) : parse_query_primary(p);
    int saved = p->depth;
    while (left) {
        wr_ast_setop op;
        if (level == 1 && is_kw(p, WR_KW_INTERSECT))
            op = WR_SETOP_INTERSECT;
        else if (level == 0 && is_kw(p, WR_KW_UNION))
            op = WR_SETOP_UNION;
        else if (level == 0 && is_kw(p, WR_KW_EXCEPT))
            op = WR_SETOP_EXCEPT;
        else
            break;
        advance(p);
        bool all = accept_kw(p, WR_KW_ALL);
        if (!all) accept_kw(p, WR_KW_DISTINCT);
        if (!deeper(p)) return NULL;
        wr_ast_query *right = level == 0 ? parse_setop(p, 1) : parse_query_primary(p);
        if (!right) return NULL;
        wr_ast_query *q = new_query(p, WR_QUERY_SETOP, left->pos);
        q->setop.op = op;
        q->setop.all = all;
        q->setop.left = left;
        q->setop.right = right;
        left = q;
    }
    p->depth = saved;
    return left;
}

/* expr [ASC|DESC] [NULLS FIRST|LAST], ... */
static int parse_order_items(parser *p, wr_ast_order_item **out, int *nout)
{
    wr_ast_order_item *arr = NULL;
    int n = 0, cap = 0;
    do {
        wr_ast_order_item item = {NULL, false, 0};
        if (!(item.expr = parse_expr(p))) return WR_ERR_PARSE;
        if (accept_kw(p, WR_KW_DESC))
            item.desc = true;
        else
            accept_kw(p, WR_KW_ASC);
        if (accept_kw(p, WR_KW_NULLS)) {
            if (accept_kw(p, WR_KW_FIRST))
                item.nulls = 1;
            else if (accept_kw(p, WR_KW_LAST))
                item.nulls = 2;
            else
                return fail_expected(p, "FIRST or LAST");
        }
        PUSH(p, arr, n, cap, item);
    } while (accept_op(p, WR_TOK_COMMA));
    *out = arr;
    *nout = n;
    return 0;
}

/* ORDER BY items, LIMIT, OFFSET and FETCH, in any order, each at most once. */
static int parse_order_limit(parser *p, wr_ast_query *q)
{
    if (is_kw(p, WR_KW_ORDER)) {
        int pos = cur(p)->pos;
        advance(p);
        if (q->norder_by) return fail_at(p, pos, "a query may have only one ORDER BY");
        if (expect_kw(p, WR_KW_BY) || parse_order_items(p, &q->order_by, &q->norder_by))
            return WR_ERR_PARSE;
    }
    for (;;) {
        int pos = cur(p)->pos;
        if (accept_kw(p, WR_KW_LIMIT)) {
            if (q->limit) return fail_at(p, pos, "a query may have only one LIMIT or FETCH");
            if (!(q->limit = parse_expr(p))) return WR_ERR_PARSE;
        } else if (accept_kw(p, WR_KW_OFFSET)) {
            if (q->offset) return fail_at(p, pos, "a query may have only one OFFSET");
            if (!(q->offset = parse_expr(p))) return WR_ERR_PARSE;
            if (!accept_kw(p, WR_KW_ROWS)) accept_kw(p, WR_KW_ROW);
        } else if (accept_kw(p, WR_KW_FETCH)) {
            if (q->limit) return fail_at(p, pos, "a query may have only one LIMIT or FETCH");
            if (!accept_kw(p, WR_KW_FIRST) && !accept_kw(p, WR_KW_NEXT))
                return fail_expected(p, "FIRST or NEXT");
            if (is_kw(p, WR_KW_ROW) || is_kw(p, WR_KW_ROWS)) {
                /* FETCH FIRST ROW ONLY: one row. */
                q->limit = new_expr(p, WR_AST_LITERAL, cur(p)->pos);
                q->limit->end = cur(p)->pos;
                q->limit->lit.kind = WR_LIT_INTEGER;
                q->limit->lit.text = "1";
            } else if (!(q->limit = parse_expr(p))) {
                return WR_ERR_PARSE;
            }
            if (!accept_kw(p, WR_KW_ROWS) && !accept_kw(p, WR_KW_ROW))
                return fail_expected(p, "ROW or ROWS");
            if (expect_kw(p, WR_KW_ONLY)) return WR_ERR_PARSE;
        } else {
            return 0;
        }
    }
}

/*
 * [WITH name AS (query), ...] set-operation [ORDER BY ...] [LIMIT ...]. The
 * WITH list and ORDER BY / LIMIT attach to the top node of the body; a
 * parenthesised body that already has its own is an error.
 */
static wr_ast_query *parse_query(parser *p)
{
    if (!deeper(p)) return NULL;
    wr_ast_cte *ctes = NULL;
    int nctes = 0, cap = 0;
    int with_pos = cur(p)->pos;
    if (accept_kw(p, WR_KW_WITH)) {
        do {
            wr_ast_cte cte = {NULL, 0, NULL};
            if (!(cte.name = parse_ident(p, "a query name", &cte.pos)) || expect_kw(p, WR_KW_AS) ||
                !(cte.query = parse_paren_query(p)))
                return NULL;
            PUSH(p, ctes, nctes, cap, cte);
        } while (accept_op(p, WR_TOK_COMMA));
    } else if (!tok_starts_query(cur(p)) && !is_op(p, WR_TOK_LPAREN)) {
        fail_expected(p, "a query (SELECT, VALUES, WITH or '(')");
        return NULL;
    }
    wr_ast_query *q = parse_setop(p, 0);
    if (!q) return NULL;
    if (nctes) {
        if (q->nctes) {
            fail_at(p, with_pos, "a query may have only one WITH list");
            return NULL;
        }
        q->ctes = ctes;
        q->nctes = nctes;
        q->pos = with_pos;
    }
    if (parse_order_limit(p, q)) return NULL;
    p->depth--;
    return q;
}

/* ---- statements --------------------------------------------------------- */

static wr_ast_stmt *new_stmt(parser *p, wr_ast_stmt_kind kind, int pos)
{
    wr_ast_stmt *s = wr_arena_calloc(p->arena, sizeof(*s));
    s->kind = kind;
    s->pos = pos;
    return s;
}

/* IF NOT EXISTS (with_not) or IF EXISTS; false when absent. */
static bool accept_if_exists(parser *p, bool with_not)
{
    if (!is_kw(p, WR_KW_IF)) return false;
    if (with_not) {
        if (!tok_is_kw(peek(p, 1), WR_KW_NOT) || !tok_is_kw(peek(p, 2), WR_KW_EXISTS)) return false;
        advance(p);
    } else if (!tok_is_kw(peek(p, 1), WR_KW_EXISTS)) {
        return false;
    }
    advance(p);
    advance(p);
    return true;
}

static int expect_not_enforced(parser *p)
{
    if (is_kw(p, WR_KW_NOT) && tok_is_kw(peek(p, 1), WR_KW_ENFORCED)) {
        advance(p);
        advance(p);
        return 0;
    }
    return fail_expected(p, "NOT ENFORCED (primary keys are not enforced)");
}

static int set_primary_key(parser *p, wr_ast_stmt *s, const char **cols, int n, int pos)
{
    if (s->create_table.nprimary_key)
        return fail_at(p, pos, "a table may have only one PRIMARY KEY");
    s->create_table.primary_key = cols;
    s->create_table.nprimary_key = n;
    s->create_table.primary_key_pos = pos;
    return 0;
}

/*
 * One element of a CREATE TABLE list: a physical, computed or metadata
 * column, a WATERMARK, or a PRIMARY KEY constraint. Unreserved words such as
 * WATERMARK and PRIMARY start a clause only when followed by FOR / KEY, so
 * they stay usable as column names.
 */
static int parse_table_element(parser *p, wr_ast_stmt *s, int *cols_cap)
{
    const wr_lex_token *tok = cur(p);
    int pos = tok->pos;
    if (tok_is_kw(tok, WR_KW_WATERMARK) && tok_is_kw(peek(p, 1), WR_KW_FOR)) {
        if (s->create_table.watermark_column)
            return fail_at(p, pos, "a table may have only one WATERMARK");
        advance(p);
        advance(p);
        if (!(s->create_table.watermark_column =
                  parse_ident(p, "a column name", &s->create_table.watermark_pos)) ||
            expect_kw(p, WR_KW_AS) || !(s->create_table.watermark_expr = parse_expr(p)))
            return WR_ERR_PARSE;
        return 0;
    }
    bool constraint = tok_is_kw(tok, WR_KW_CONSTRAINT) && tok_is_kw(peek(p, 2), WR_KW_PRIMARY);
    if (constraint) {
        advance(p);
        if (!parse_ident(p, "a constraint name", NULL)) return WR_ERR_PARSE;
    }
    if (constraint || (tok_is_kw(tok, WR_KW_PRIMARY) && tok_is_kw(peek(p, 1), WR_KW_KEY))) {
        int pk_pos = cur(p)->pos;
        const char **cols;
        int n;
        if (expect_kw(p, WR_KW_PRIMARY) || expect_kw(p, WR_KW_KEY) ||
            parse_ident_list(p, "a column name", &cols, &n) || expect_not_enforced(p))
            return WR_ERR_PARSE;
        return set_primary_key(p, s, cols, n, pk_pos);
    }

    wr_ast_column_def col;
    memset(&col, 0, sizeof(col));
    if (!(col.name = parse_ident(p, "a column name", &col.pos))) return WR_ERR_PARSE;
    if (accept_kw(p, WR_KW_AS)) {
        if (!(col.computed = parse_expr(p))) return WR_ERR_PARSE;
    } else if (parse_type(p, &col.type)) {
        return WR_ERR_PARSE;
    }
    bool seen_pk = false, seen_comment = false;
    for (;;) {
        tok = cur(p);
        int opt_pos = tok->pos;
        if (!col.computed && !col.metadata && !seen_pk &&
            ((tok_is_kw(tok, WR_KW_PRIMARY) && tok_is_kw(peek(p, 1), WR_KW_KEY)) ||
             (tok_is_kw(tok, WR_KW_CONSTRAINT) && tok_is_kw(peek(p, 2), WR_KW_PRIMARY)))) {
            if (accept_kw(p, WR_KW_CONSTRAINT) && !parse_ident(p, "a constraint name", NULL))
                return WR_ERR_PARSE;
            opt_pos = cur(p)->pos;
            if (expect_kw(p, WR_KW_PRIMARY) || expect_kw(p, WR_KW_KEY) || expect_not_enforced(p))
                return WR_ERR_PARSE;
            const char **one = wr_arena_alloc(p->arena, sizeof(*one));
            one[0] = col.name;
            if (set_primary_key(p, s, one, 1, opt_pos)) return WR_ERR_PARSE;
            seen_pk = true;
        } else if (!col.computed && !col.metadata && !seen_pk && tok_is_kw(tok, WR_KW_METADATA)) {
            advance(p);
            col.metadata = true;
            if (accept_kw(p, WR_KW_FROM) &&
                !(col.metadata_key = parse_string(p, "a metadata key string", NULL)))
                return WR_ERR_PARSE;
            col.is_virtual = accept_kw(p, WR_KW_VIRTUAL);
        } else if (!seen_comment && tok_is_kw(tok, WR_KW_COMMENT)) {
            advance(p);
            if (!(col.comment = parse_string(p, "a comment string", NULL))) return WR_ERR_PARSE;
            seen_comment = true;
        } else {
            break;
        }
    }
    PUSH(p, s->create_table.columns, s->create_table.ncolumns, *cols_cap, col);
    return 0;
}

/* WITH ('key' = 'value', ...) */
static int parse_options(parser *p, wr_ast_option **out, int *nout)
{
    wr_ast_option *arr = NULL;
    int n = 0, cap = 0;
    if (expect_op(p, WR_TOK_LPAREN)) return WR_ERR_PARSE;
    if (!is_op(p, WR_TOK_RPAREN)) {
        do {
            wr_ast_option opt;
            if (!(opt.key = parse_string(p, "an option key string", &opt.key_pos)) ||
                expect_op(p, WR_TOK_EQ) ||
                !(opt.value = parse_string(p, "an option value string", &opt.value_pos)))
                return WR_ERR_PARSE;
            PUSH(p, arr, n, cap, opt);
        } while (accept_op(p, WR_TOK_COMMA));
    }
    if (expect_op(p, WR_TOK_RPAREN)) return WR_ERR_PARSE;
    *out = arr;
    *nout = n;
    return 0;
}

/* Index of the word at tok in words (upper-case), or -1. */
static int word_index(parser *p, const wr_lex_token *tok, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (word_is(p, tok, words[i])) return i;
    return -1;
}

/*
 * The options after LIKE source: '(' {INCLUDING | EXCLUDING | OVERWRITING}
 * feature ... ')', separated by spaces or commas; the current token is '('.
 */
static int parse_like_options(parser *p, wr_ast_stmt *s)
{
    /* in the order of wr_ast_like_mode and wr_ast_like_feature */
    static const char *const modes[] = {"INCLUDING", "EXCLUDING", "OVERWRITING"};
    static const char *const features[] = {"ALL",     "CONSTRAINTS", "PARTITIONS", "GENERATED",
                                           "OPTIONS", "WATERMARKS",  "METADATA"};
    advance(p);
    int cap = 0;
    do {
        wr_ast_like_option opt;
        opt.pos = cur(p)->pos;
        int mode = word_index(p, cur(p), modes, (int)WR_ARRAY_LEN(modes));
        if (mode < 0) return fail_expected(p, "INCLUDING, EXCLUDING or OVERWRITING");
        advance(p);
        int feature = word_index(p, cur(p), features, (int)WR_ARRAY_LEN(features));
        if (feature < 0)
            return fail_expected(p, "ALL, CONSTRAINTS, PARTITIONS, GENERATED, OPTIONS, "
                                    "WATERMARKS or METADATA");
        opt.mode = (wr_ast_like_mode)mode;
        opt.feature = (wr_ast_like_feature)feature;
        if (opt.mode == WR_LIKE_OVERWRITING && feature <= WR_LIKE_PARTITIONS)
            return fail_at(p, opt.pos,
                           "OVERWRITING does not apply to %s (only to GENERATED, "
                           "OPTIONS, WATERMARKS and METADATA)",
                           features[feature]);
        advance(p);
        PUSH(p, s->create_table.like_options, s->create_table.nlike_options, cap, opt);
        accept_op(p, WR_TOK_COMMA);
    } while (!accept_op(p, WR_TOK_RPAREN));
    return 0;
}

static wr_ast_stmt *parse_create_table(parser *p, int pos, bool temporary)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_CREATE_TABLE, pos);
    advance(p); /* TABLE */
    s->create_table.temporary = temporary;
    s->create_table.watermark_pos = -1;
    s->create_table.primary_key_pos = -1;
    s->create_table.if_not_exists = accept_if_exists(p, true);
    s->create_table.like_pos = -1;
    if (parse_name(p, 3, "a table name", &s->create_table.name_parts, &s->create_table.nname_parts,
                   &s->create_table.name_pos))
        return NULL;
    /* The column list may be left out only with LIKE, known at the end. */
    wr_lex_token after_name = *cur(p);
    bool has_list = accept_op(p, WR_TOK_LPAREN);
    if (has_list) {
        int cols_cap = 0;
        do {
            if (parse_table_element(p, s, &cols_cap)) return NULL;
        } while (accept_op(p, WR_TOK_COMMA));
        if (expect_op(p, WR_TOK_RPAREN)) return NULL;
    }
    if (accept_kw(p, WR_KW_COMMENT) &&
        !(s->create_table.comment = parse_string(p, "a comment string", NULL)))
        return NULL;
    if (is_kw(p, WR_KW_PARTITIONED)) {
        s->create_table.partitioned_by_pos = cur(p)->pos;
        accept_kw(p, WR_KW_PARTITIONED);
        if (expect_kw(p, WR_KW_BY) ||
            parse_ident_list(p, "a column name", &s->create_table.partitioned_by,
                             &s->create_table.npartitioned_by))
            return NULL;
    }
    if (accept_kw(p, WR_KW_WITH) &&
        parse_options(p, &s->create_table.options, &s->create_table.noptions))
        return NULL;
    if (accept_kw(p, WR_KW_LIKE)) {
        if (parse_name(p, 3, "a table name", &s->create_table.like_parts,
                       &s->create_table.nlike_parts, &s->create_table.like_pos) ||
            (is_op(p, WR_TOK_LPAREN) && parse_like_options(p, s)))
            return NULL;
    }
    if (!has_list && !s->create_table.like_parts) {
        fail_expected_at(p, &after_name, "'('");
        return NULL;
    }
    return s;
}

/*
 * CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS] name AS 'identifier'
 * [LANGUAGE word] [USING JAR 'path' [, JAR 'path' ...]]; the current token
 * is FUNCTION.
 */
static wr_ast_stmt *parse_create_function(parser *p, int pos, bool temporary, bool system)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_CREATE_FUNCTION, pos);
    advance(p); /* FUNCTION */
    s->create_function.temporary = temporary;
    s->create_function.system = system;
    s->create_function.language_pos = -1;
    s->create_function.if_not_exists = accept_if_exists(p, true);
    if (parse_name(p, 3, "a function name", &s->create_function.name_parts,
                   &s->create_function.nname_parts, &s->create_function.name_pos) ||
        expect_kw(p, WR_KW_AS) ||
        !(s->create_function.identifier = parse_string(p, "the function's identifier string",
                                                       &s->create_function.identifier_pos)))
        return NULL;
    if (word_is(p, cur(p), "LANGUAGE")) {
        advance(p);
        const wr_lex_token *tok = cur(p);
        if (tok->kind != WR_TOK_WORD) {
            fail_expected(p, "a language (JAVA, SCALA, PYTHON, C, ...)");
            return NULL;
        }
        s->create_function.language = upper_dup(p, tok_text(p, tok));
        s->create_function.language_pos = tok->pos;
        advance(p);
    }
    if (accept_kw(p, WR_KW_USING)) {
        int cap = 0, cap_pos = 0, npos = 0;
        do {
            if (!word_is(p, cur(p), "JAR")) {
                fail_expected(p, "JAR");
                return NULL;
            }
            advance(p);
            int path_pos;
            const char *path = parse_string(p, "a JAR path string", &path_pos);
            if (!path) return NULL;
            PUSH(p, s->create_function.jars, s->create_function.njars, cap, path);
            PUSH(p, s->create_function.jar_pos, npos, cap_pos, path_pos);
        } while (accept_op(p, WR_TOK_COMMA));
    }
    return s;
}

static wr_ast_stmt *new_noop(parser *p, int pos, const char *what, const char *note)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_NOOP, pos);
    s->noop.what = what;
    s->noop.note = note;
    s->noop.text = wr_arena_strndup(p->arena, p->text + pos, (size_t)(p->prev_end - pos));
    return s;
}

static const char index_note[] = "Weir keeps no indexes; the statement is accepted for SQLite "
                                 "compatibility and does nothing";

/*
 * SQLite's CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (expr
 * [COLLATE name] [ASC|DESC], ...) [WHERE expr], checked and ignored; the
 * current token is UNIQUE or INDEX.
 */
static wr_ast_stmt *parse_create_index(parser *p, int pos)
{
    bool unique = word_is(p, cur(p), "UNIQUE");
    if (unique) advance(p);
    advance(p); /* INDEX */
    accept_if_exists(p, true);
    const char **parts;
    int n;
    if (parse_name(p, 3, "an index name", &parts, &n, NULL) || expect_kw(p, WR_KW_ON) ||
        parse_name(p, 3, "a table name", &parts, &n, NULL) || expect_op(p, WR_TOK_LPAREN))
        return NULL;
    do {
        if (!parse_expr(p)) return NULL;
        if (word_is(p, cur(p), "COLLATE")) {
            advance(p);
            if (!parse_ident(p, "a collation name", NULL)) return NULL;
        }
        if (!accept_kw(p, WR_KW_ASC)) accept_kw(p, WR_KW_DESC);
    } while (accept_op(p, WR_TOK_COMMA));
    if (expect_op(p, WR_TOK_RPAREN)) return NULL;
    if (accept_kw(p, WR_KW_WHERE) && !parse_expr(p)) return NULL;
    return new_noop(p, pos, unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX", index_note);
}

static wr_ast_stmt *parse_create(parser *p)
{
    int pos = cur(p)->pos;
    advance(p); /* CREATE */
    bool temporary = accept_kw(p, WR_KW_TEMPORARY);
    bool system = false;
    if (temporary && word_is(p, cur(p), "SYSTEM")) {
        advance(p);
        system = true;
        if (!is_kw(p, WR_KW_FUNCTION)) {
            fail_expected(p, "FUNCTION after TEMPORARY SYSTEM");
            return NULL;
        }
    }
    if (is_kw(p, WR_KW_TABLE)) return parse_create_table(p, pos, temporary);
    if (is_kw(p, WR_KW_FUNCTION)) return parse_create_function(p, pos, temporary, system);
    if (!temporary && (word_is(p, cur(p), "INDEX") ||
                       (word_is(p, cur(p), "UNIQUE") && word_is(p, peek(p, 1), "INDEX"))))
        return parse_create_index(p, pos);
    if (!is_kw(p, WR_KW_VIEW)) {
        fail_expected(p, temporary ? "TABLE, VIEW or FUNCTION" : "TABLE, VIEW, FUNCTION or INDEX");
        return NULL;
    }
    advance(p);
    wr_ast_stmt *s = new_stmt(p, WR_STMT_CREATE_VIEW, pos);
    s->create_view.temporary = temporary;
    s->create_view.if_not_exists = accept_if_exists(p, true);
    if (parse_name(p, 3, "a view name", &s->create_view.name_parts, &s->create_view.nname_parts,
                   &s->create_view.name_pos) ||
        expect_kw(p, WR_KW_AS) || !(s->create_view.query = parse_query(p)))
        return NULL;
    return s;
}

static wr_ast_stmt *parse_drop(parser *p)
{
    int pos = cur(p)->pos;
    wr_ast_stmt *s = new_stmt(p, WR_STMT_DROP, pos);
    advance(p); /* DROP */
    s->drop.temporary = accept_kw(p, WR_KW_TEMPORARY);
    if (s->drop.temporary && word_is(p, cur(p), "SYSTEM")) {
        advance(p);
        s->drop.system = true;
        if (!is_kw(p, WR_KW_FUNCTION)) {
            fail_expected(p, "FUNCTION after TEMPORARY SYSTEM");
            return NULL;
        }
    }
    if (!s->drop.temporary && word_is(p, cur(p), "INDEX")) {
        /* SQLite's DROP INDEX [IF EXISTS] name */
        advance(p);
        accept_if_exists(p, false);
        const char **parts;
        int n;
        if (parse_name(p, 3, "an index name", &parts, &n, NULL)) return NULL;
        return new_noop(p, pos, "DROP INDEX", index_note);
    }
    if (is_kw(p, WR_KW_TABLE) || is_kw(p, WR_KW_VIEW) || is_kw(p, WR_KW_FUNCTION)) {
        s->drop.what = wr_lex_keyword_name(cur(p)->kw);
        advance(p);
    } else {
        fail_expected(p, s->drop.temporary ? "TABLE, VIEW or FUNCTION"
                                           : "TABLE, VIEW, FUNCTION or INDEX");
        return NULL;
    }
    s->drop.if_exists = accept_if_exists(p, false);
    if (parse_name(p, 3, "a name", &s->drop.name_parts, &s->drop.nname_parts, &s->drop.name_pos))
        return NULL;
    return s;
}

/*
 * ALTER TABLE [IF EXISTS] name SET ('k' = 'v', ...) | RESET ('k', ...) |
 * RENAME TO new_name
 */
static wr_ast_stmt *parse_alter(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_ALTER_TABLE, cur(p)->pos);
    advance(p); /* ALTER */
    if (expect_kw(p, WR_KW_TABLE)) return NULL;
    s->alter_table.new_name_pos = -1;
    s->alter_table.if_exists = accept_if_exists(p, false);
    if (parse_name(p, 3, "a table name", &s->alter_table.name_parts, &s->alter_table.nname_parts,
                   &s->alter_table.name_pos))
        return NULL;
    if (accept_kw(p, WR_KW_SET)) {
        s->alter_table.action = WR_ALTER_SET;
        if (parse_options(p, &s->alter_table.options, &s->alter_table.noptions)) return NULL;
    } else if (accept_kw(p, WR_KW_RESET)) {
        s->alter_table.action = WR_ALTER_RESET;
        if (expect_op(p, WR_TOK_LPAREN)) return NULL;
        int cap = 0;
        do {
            wr_ast_option opt = {NULL, -1, NULL, -1};
            if (!(opt.key = parse_string(p, "an option key string", &opt.key_pos))) return NULL;
            PUSH(p, s->alter_table.options, s->alter_table.noptions, cap, opt);
        } while (accept_op(p, WR_TOK_COMMA));
        if (expect_op(p, WR_TOK_RPAREN)) return NULL;
    } else if (accept_kw(p, WR_KW_RENAME)) {
        s->alter_table.action = WR_ALTER_RENAME;
        if (expect_kw(p, WR_KW_TO) ||
            parse_name(p, 3, "a table name", &s->alter_table.new_name_parts,
                       &s->alter_table.nnew_name_parts, &s->alter_table.new_name_pos))
            return NULL;
    } else {
        fail_expected(p, "SET, RESET or RENAME TO");
        return NULL;
    }
    return s;
}

/* USE CATALOG name | USE [catalog.]database */
static wr_ast_stmt *parse_use(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_USE, cur(p)->pos);
    advance(p); /* USE */
    /* USE catalog (a database called "catalog") stays possible. */
    if (is_kw(p, WR_KW_CATALOG) && tok_is_ident(peek(p, 1))) {
        advance(p);
        s->use.catalog = true;
    }
    if (parse_name(p, 3, s->use.catalog ? "a catalog name" : "a database name", &s->use.name_parts,
                   &s->use.nname_parts, &s->use.name_pos))
        return NULL;
    int max = s->use.catalog ? 1 : 2;
    if (s->use.nname_parts > max) {
        fail_at(p, s->use.name_pos, "%s",
                s->use.catalog ? "a catalog name has one part"
                               : "a database name has at most 2 parts "
                                 "(catalog.database)");
        return NULL;
    }
    return s;
}

/*
 * A SET / RESET key or value: a string literal, or (as Flink's SQL client
 * accepts) unquoted text such as execution.runtime-mode or 10s, made of
 * words, numbers, '.' and '-' written without spaces between them.
 */
static const char *parse_setting_text(parser *p, const char *what, int *pos)
{
    const wr_lex_token *tok = cur(p);
    if (tok->kind == WR_TOK_STRING) return parse_string(p, what, pos);
    if (tok->kind != WR_TOK_WORD && tok->kind != WR_TOK_INTEGER && tok->kind != WR_TOK_DECIMAL) {
        fail_expected(p, what);
        return NULL;
    }
    int start = tok->pos;
    advance(p);
    for (;;) {
        tok = cur(p);
        if (tok->pos != p->prev_end) break;
        if (tok->kind != WR_TOK_WORD && tok->kind != WR_TOK_INTEGER &&
            tok->kind != WR_TOK_DECIMAL && tok->kind != WR_TOK_DOUBLE && tok->kind != WR_TOK_DOT &&
            tok->kind != WR_TOK_MINUS)
            break;
        advance(p);
    }
    *pos = start;
    return wr_arena_strndup(p->arena, p->text + start, (size_t)(p->prev_end - start));
}

static wr_ast_stmt *parse_set(parser *p, bool reset)
{
    wr_ast_stmt *s = new_stmt(p, reset ? WR_STMT_RESET : WR_STMT_SET, cur(p)->pos);
    advance(p); /* SET / RESET */
    s->set.key_pos = s->set.value_pos = -1;
    if (is_op(p, WR_TOK_SEMI) || is_op(p, WR_TOK_EOF)) return s;
    if (!(s->set.key = parse_setting_text(p, "a key string", &s->set.key_pos))) return NULL;
    if (reset) return s;
    if (expect_op(p, WR_TOK_EQ) ||
        !(s->set.value = parse_setting_text(p, "a value string", &s->set.value_pos)))
        return NULL;
    return s;
}

static wr_ast_stmt *parse_insert(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_INSERT, cur(p)->pos);
    advance(p); /* INSERT */
    if (accept_kw(p, WR_KW_OVERWRITE))
        s->insert.overwrite = true;
    else if (expect_kw(p, WR_KW_INTO))
        return NULL;
    if (parse_name(p, 3, "a table name", &s->insert.table_parts, &s->insert.ntable_parts,
                   &s->insert.table_pos))
        return NULL;
    if (is_op(p, WR_TOK_LPAREN) && !tok_starts_query(peek(p, 1)) &&
        peek(p, 1)->kind != WR_TOK_LPAREN &&
        parse_ident_list(p, "a column name", &s->insert.columns, &s->insert.ncolumns))
        return NULL;
    if (!(s->insert.query = parse_query(p))) return NULL;
    return s;
}

static wr_ast_stmt *parse_show(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_SHOW, cur(p)->pos);
    advance(p); /* SHOW */
    const wr_lex_token *tok = cur(p);
    const char *what = NULL;
    bool named = false;
    switch (tok->kind == WR_TOK_WORD ? tok->kw : WR_KW_NONE) {
    case WR_KW_TABLES:
    case WR_KW_VIEWS:
    case WR_KW_FUNCTIONS:
    case WR_KW_DATABASES:
    case WR_KW_CATALOGS:
    case WR_KW_MODULES:
    case WR_KW_JOBS:
        what = wr_lex_keyword_name(tok->kw);
        advance(p);
        break;
    case WR_KW_USER:
        advance(p);
        if (expect_kw(p, WR_KW_FUNCTIONS)) return NULL;
        what = "USER FUNCTIONS";
        break;
    case WR_KW_CURRENT:
        advance(p);
        if (accept_kw(p, WR_KW_CATALOG))
            what = "CURRENT CATALOG";
        else if (accept_kw(p, WR_KW_DATABASE))
            what = "CURRENT DATABASE";
        else {
            fail_expected(p, "CATALOG or DATABASE");
            return NULL;
        }
        break;
    case WR_KW_CREATE:
        advance(p);
        if (accept_kw(p, WR_KW_TABLE))
            what = "CREATE TABLE";
        else if (accept_kw(p, WR_KW_VIEW))
            what = "CREATE VIEW";
        else {
            fail_expected(p, "TABLE or VIEW");
            return NULL;
        }
        named = true;
        break;
    case WR_KW_COLUMNS:
        advance(p);
        if (!accept_kw(p, WR_KW_FROM) && expect_kw(p, WR_KW_IN)) return NULL;
        what = "COLUMNS";
        named = true;
        break;
    default:
        fail_expected(p, "TABLES, VIEWS, FUNCTIONS, DATABASES, CATALOGS, CREATE TABLE or "
                         "CREATE VIEW");
        return NULL;
    }
    s->show.what = what;
    s->show.like_pos = -1;
    if (named && parse_name(p, 3, "a name", &s->show.name_parts, &s->show.nname_parts, NULL))
        return NULL;
    bool listing = !named || strcmp(what, "COLUMNS") == 0;
    bool scoped = !named && strcmp(what, "CATALOGS") != 0 && strcmp(what, "MODULES") != 0 &&
                  strcmp(what, "JOBS") != 0 && strncmp(what, "CURRENT", 7) != 0;
    if (scoped && (is_kw(p, WR_KW_FROM) || is_kw(p, WR_KW_IN))) {
        advance(p);
        if (parse_name(p, 2, "a database name", &s->show.from_parts, &s->show.nfrom_parts, NULL))
            return NULL;
    }
    if (listing && strncmp(what, "CURRENT", 7) != 0 &&
        (is_kw(p, WR_KW_LIKE) || (is_kw(p, WR_KW_NOT) && tok_is_kw(peek(p, 1), WR_KW_LIKE)))) {
        s->show.not_like = accept_kw(p, WR_KW_NOT);
        advance(p);
        if (!(s->show.like = parse_string(p, "a LIKE pattern string", &s->show.like_pos)))
            return NULL;
    }
    return s;
}

static wr_ast_stmt *parse_describe(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_DESCRIBE, cur(p)->pos);
    advance(p); /* DESCRIBE / DESC */
    if (parse_name(p, 3, "a table name", &s->describe.name_parts, &s->describe.nname_parts,
                   &s->describe.name_pos))
        return NULL;
    return s;
}

static wr_ast_stmt *parse_statement_set_body(parser *p, wr_ast_stmt *s);

/* [EXECUTE] STATEMENT SET BEGIN insert; ... END; the current token is STATEMENT. */
static wr_ast_stmt *parse_statement_set(parser *p, int pos)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_STATEMENT_SET, pos);
    advance(p); /* STATEMENT */
    if (expect_kw(p, WR_KW_SET) || expect_kw(p, WR_KW_BEGIN)) return NULL;
    return parse_statement_set_body(p, s);
}

/*
 * The SQL client's form BEGIN STATEMENT SET; insert; ... END, read as one
 * statement although it spans several ';'; the current token is BEGIN.
 */
static wr_ast_stmt *parse_begin_statement_set(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_STATEMENT_SET, cur(p)->pos);
    advance(p); /* BEGIN */
    if (expect_kw(p, WR_KW_STATEMENT) || expect_kw(p, WR_KW_SET)) return NULL;
    return parse_statement_set_body(p, s);
}

/* insert; ... END after BEGIN: at least one INSERT, each ended by ';' or END. */
static wr_ast_stmt *parse_statement_set_body(parser *p, wr_ast_stmt *s)
{
    int cap = 0;
    for (;;) {
        while (accept_op(p, WR_TOK_SEMI)) {
        }
        if (s->statement_set.nstmts > 0 && accept_kw(p, WR_KW_END)) break;
        if (!is_kw(p, WR_KW_INSERT)) {
            fail_expected(p, s->statement_set.nstmts ? "INSERT or END" : "INSERT");
            return NULL;
        }
        wr_ast_stmt *ins = parse_insert(p);
        if (!ins) return NULL;
        ins->end = p->prev_end;
        PUSH(p, s->statement_set.stmts, s->statement_set.nstmts, cap, ins);
        if (!is_op(p, WR_TOK_SEMI) && !is_kw(p, WR_KW_END)) {
            fail_expected(p, "';' or END");
            return NULL;
        }
    }
    return s;
}

static wr_ast_stmt *parse_statement(parser *p);

static wr_ast_stmt *parse_explain(parser *p)
{
    wr_ast_stmt *s = new_stmt(p, WR_STMT_EXPLAIN, cur(p)->pos);
    advance(p); /* EXPLAIN */
    /* in the order of the WR_EXPLAIN_* bits */
    static const char *const details[] = {"ESTIMATED_COST", "CHANGELOG_MODE", "PLAN_ADVICE",
                                          "JSON_EXECUTION_PLAN"};
    int detail;
    if (accept_kw(p, WR_KW_PLAN)) {
        if (expect_kw(p, WR_KW_FOR)) return NULL;
    } else {
        while ((detail = word_index(p, cur(p), details, (int)WR_ARRAY_LEN(details))) >= 0) {
            s->explain.details |= 1u << detail;
            advance(p);
            if (!accept_op(p, WR_TOK_COMMA)) break;
            if (word_index(p, cur(p), details, (int)WR_ARRAY_LEN(details)) < 0) {
                fail_expected(p, "ESTIMATED_COST, CHANGELOG_MODE, PLAN_ADVICE or "
                                 "JSON_EXECUTION_PLAN");
                return NULL;
            }
        }
    }
    const wr_lex_token *tok = cur(p);
    if (tok_is_kw(tok, WR_KW_STATEMENT)) {
        if ((s->explain.stmt = parse_statement_set(p, tok->pos)))
            s->explain.stmt->end = p->prev_end;
    } else if (tok_is_kw(tok, WR_KW_INSERT) || tok_is_kw(tok, WR_KW_EXECUTE) ||
               tok_starts_query(tok) || tok->kind == WR_TOK_LPAREN) {
        s->explain.stmt = parse_statement(p);
    } else {
        fail_expected(p, "a query, INSERT or STATEMENT SET");
        return NULL;
    }
    return s->explain.stmt ? s : NULL;
}

/* Dispatches on the first token; sets end on success. */
static wr_ast_stmt *parse_statement(parser *p)
{
    const wr_lex_token *tok = cur(p);
    int pos = tok->pos;
    wr_ast_stmt *s = NULL;
    if (tok->kind == WR_TOK_LPAREN || tok_starts_query(tok)) {
        wr_ast_query *q = parse_query(p);
        if (q) {
            s = new_stmt(p, WR_STMT_QUERY, pos);
            s->query.query = q;
        }
    } else {
        switch (tok->kind == WR_TOK_WORD ? tok->kw : WR_KW_NONE) {
        case WR_KW_CREATE:
            s = parse_create(p);
            break;
        case WR_KW_DROP:
            s = parse_drop(p);
            break;
        case WR_KW_SET:
            s = parse_set(p, false);
            break;
        case WR_KW_RESET:
            s = parse_set(p, true);
            break;
        case WR_KW_INSERT:
            s = parse_insert(p);
            break;
        case WR_KW_SHOW:
            s = parse_show(p);
            break;
        case WR_KW_DESCRIBE:
        case WR_KW_DESC:
            s = parse_describe(p);
            break;
        case WR_KW_EXPLAIN:
            s = parse_explain(p);
            break;
        case WR_KW_EXECUTE:
            advance(p);
            if (is_kw(p, WR_KW_INSERT)) {
                /* EXECUTE INSERT ...: the INSERT itself, as it runs the same way */
                if ((s = parse_insert(p))) s->pos = pos;
                break;
            }
            if (!is_kw(p, WR_KW_STATEMENT)) {
                fail_expected(p, "STATEMENT SET or INSERT");
                return NULL;
            }
            s = parse_statement_set(p, pos);
            break;
        case WR_KW_BEGIN:
            s = parse_begin_statement_set(p);
            break;
        case WR_KW_ALTER:
            s = parse_alter(p);
            break;
        case WR_KW_USE:
            s = parse_use(p);
            break;
        default:
            fail_expected(p, "a statement (SELECT, INSERT, CREATE, ALTER, DROP, SET, RESET, SHOW, "
                             "DESCRIBE, EXPLAIN, USE, EXECUTE or BEGIN)");
            return NULL;
        }
    }
    if (s) s->end = p->prev_end;
    return s;
}

/* Checks the text and offset a public entry point was given. */
static int text_length(const char *text, int offset, wr_error *err)
{
    size_t n = strlen(text);
    if (n > INT_MAX) return wr_error_set(err, WR_ERR_ARGUMENT, "SQL text is too long");
    if (offset < 0 || (size_t)offset > n)
        return wr_error_set(err, WR_ERR_ARGUMENT, "offset %d is outside the SQL text", offset);
    return (int)n;
}

int wr_sql_parse_next(const char *text, int *offset, wr_arena *arena, wr_ast_stmt **stmt,
                      wr_error *err)
{
    *stmt = NULL;
    int len = text_length(text, *offset, err);
    if (len < 0) return len;
    parser p;
    parser_init(&p, text, len, *offset, arena, err);
    while (accept_op(&p, WR_TOK_SEMI)) {
    }
    if (is_op(&p, WR_TOK_EOF)) {
        *offset = len;
        return 0;
    }
    wr_ast_stmt *s = parse_statement(&p);
    if (!s) return WR_ERR_PARSE;
    if (!accept_op(&p, WR_TOK_SEMI) && !is_op(&p, WR_TOK_EOF))
        return fail_expected(&p, "';' or end of input");
    *stmt = s;
    *offset = p.prev_end;
    return 1;
}

int wr_sql_parse_expr(const char *text, wr_arena *arena, wr_ast_expr **expr, wr_error *err)
{
    *expr = NULL;
    int len = text_length(text, 0, err);
    if (len < 0) return len;
    parser p;
    parser_init(&p, text, len, 0, arena, err);
    wr_ast_expr *e = parse_expr(&p);
    if (!e) return WR_ERR_PARSE;
    if (!is_op(&p, WR_TOK_EOF)) return fail_expected(&p, "end of input");
    *expr = e;
    return 0;
}

int wr_sql_parse_types(const char *text, wr_arena *arena, wr_ast_type **types, int *ntypes,
                       wr_error *err)
{
    *types = NULL;
    *ntypes = 0;
    int len = text_length(text, 0, err);
    if (len < 0) return len;
    parser p;
    parser_init(&p, text, len, 0, arena, err);
    if (is_op(&p, WR_TOK_EOF)) return 0;
    wr_ast_type *list = NULL;
    int n = 0, cap = 0;
    do {
        wr_ast_type type;
        if (parse_type(&p, &type)) return WR_ERR_PARSE;
        PUSH(&p, list, n, cap, type);
    } while (accept_op(&p, WR_TOK_COMMA));
    if (!is_op(&p, WR_TOK_EOF)) return fail_expected(&p, "',' or the end of the types");
    *types = list;
    *ntypes = n;
    return 0;
}

/* ---- dump --------------------------------------------------------------- */

/* Writes an identifier, backquoted when it would not read back as itself. */
static void dump_ident(wr_buf *out, const char *s)
{
    bool plain = s[0] != '\0' && !(s[0] >= '0' && s[0] <= '9');
    for (const char *c = s; plain && *c; c++) {
        unsigned char u = (unsigned char)*c;
        plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                u == '_' || u == '$' || u >= 0x80;
    }
    if (plain && wr_lex_is_reserved(wr_lex_keyword(s, (int)strlen(s)))) plain = false;
    if (plain) {
        wr_buf_puts(out, s);
        return;
    }
    wr_buf_putc(out, '`');
    for (const char *c = s; *c; c++) {
        if (*c == '`') wr_buf_putc(out, '`');
        wr_buf_putc(out, *c);
    }
    wr_buf_putc(out, '`');
}

static void dump_name(wr_buf *out, const char *const *parts, int n)
{
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_putc(out, '.');
        dump_ident(out, parts[i]);
    }
}

static void dump_ident_list(wr_buf *out, const char *const *names, int n)
{
    wr_buf_putc(out, '(');
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_puts(out, ", ");
        dump_ident(out, names[i]);
    }
    wr_buf_putc(out, ')');
}

static void dump_string(wr_buf *out, const char *s)
{
    wr_buf_putc(out, '\'');
    for (const char *c = s; *c; c++) {
        if (*c == '\'') wr_buf_putc(out, '\'');
        wr_buf_putc(out, *c);
    }
    wr_buf_putc(out, '\'');
}

static void dump_type(wr_buf *out, const wr_ast_type *type)
{
    wr_buf_puts(out, type->name ? type->name : "?");
    if (type->nparams == 1) wr_buf_printf(out, "(%d)", type->params[0]);
    if (type->nparams == 2) wr_buf_printf(out, "(%d, %d)", type->params[0], type->params[1]);
    if (type->interval_unit) {
        bool second = strcmp(type->interval_unit, "SECOND") == 0;
        wr_buf_printf(out, " %s", type->interval_unit);
        if (second && type->interval_precision >= 0)
            wr_buf_printf(out, "(%d, %d)", type->interval_precision, type->interval_frac_precision);
        else if (second && type->interval_frac_precision >= 0)
            wr_buf_printf(out, "(%d)", type->interval_frac_precision);
        else if (type->interval_precision >= 0)
            wr_buf_printf(out, "(%d)", type->interval_precision);
        if (type->interval_to_unit) {
            wr_buf_printf(out, " TO %s", type->interval_to_unit);
            if (type->interval_frac_precision >= 0)
                wr_buf_printf(out, "(%d)", type->interval_frac_precision);
        }
    }
    if (type->nchildren) {
        bool row = type->field_names != NULL;
        wr_buf_putc(out, '<');
        for (int i = 0; i < type->nchildren; i++) {
            if (i) wr_buf_puts(out, ", ");
            if (row) {
                dump_ident(out, type->field_names[i]);
                wr_buf_putc(out, ' ');
            }
            dump_type(out, &type->children[i]);
            if (row && type->field_comments[i]) {
                wr_buf_putc(out, ' ');
                dump_string(out, type->field_comments[i]);
            }
        }
        wr_buf_putc(out, '>');
    }
    if (type->not_null) wr_buf_puts(out, " NOT NULL");
}

static void dump_query(const wr_ast_query *q, wr_buf *out);
static void dump_window(wr_buf *out, const wr_ast_window *w);

static void dump_exprs(wr_buf *out, wr_ast_expr *const *exprs, int n)
{
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_puts(out, ", ");
        wr_ast_expr_dump(exprs[i], out);
    }
}

static const char *op_text(wr_ast_op op)
{
    switch (op) {
    case WR_OP_NEG:
        return "-";
    case WR_OP_PLUS:
        return "+";
    case WR_OP_NOT:
        return "NOT ";
    case WR_OP_OR:
        return "OR";
    case WR_OP_AND:
        return "AND";
    case WR_OP_EQ:
        return "=";
    case WR_OP_NE:
        return "<>";
    case WR_OP_LT:
        return "<";
    case WR_OP_LE:
        return "<=";
    case WR_OP_GT:
        return ">";
    case WR_OP_GE:
        return ">=";
    case WR_OP_ADD:
        return "+";
    case WR_OP_SUB:
        return "-";
    case WR_OP_CONCAT:
        return "||";
    case WR_OP_MUL:
        return "*";
    case WR_OP_DIV:
        return "/";
    case WR_OP_MOD:
        return "%";
    case WR_OP_IS_DISTINCT:
        return "IS DISTINCT FROM";
    case WR_OP_IS_NOT_DISTINCT:
        return "IS NOT DISTINCT FROM";
    }
    return "?";
}

static void dump_literal(const wr_ast_expr *e, wr_buf *out)
{
    switch (e->lit.kind) {
    case WR_LIT_NULL:
        wr_buf_puts(out, "NULL");
        return;
    case WR_LIT_BOOL:
        wr_buf_puts(out, e->lit.b ? "TRUE" : "FALSE");
        return;
    case WR_LIT_INTEGER:
    case WR_LIT_DECIMAL:
    case WR_LIT_DOUBLE:
        wr_buf_puts(out, e->lit.text);
        return;
    case WR_LIT_STRING:
        break;
    case WR_LIT_TIMESTAMP:
        wr_buf_puts(out, "TIMESTAMP ");
        break;
    case WR_LIT_DATE:
        wr_buf_puts(out, "DATE ");
        break;
    case WR_LIT_TIME:
        wr_buf_puts(out, "TIME ");
        break;
    case WR_LIT_BINARY:
        wr_buf_putc(out, 'X');
        break;
    }
    dump_string(out, e->lit.text);
}

void wr_ast_expr_dump(const wr_ast_expr *e, wr_buf *out)
{
    if (WR_NEVER(e == NULL)) {
        wr_buf_puts(out, "<null>");
        return;
    }
    switch (e->kind) {
    case WR_AST_LITERAL:
        dump_literal(e, out);
        break;
    case WR_AST_IDENT:
        dump_name(out, e->ident.parts, e->ident.nparts);
        break;
    case WR_AST_STAR:
        if (e->star.qualifier) wr_buf_printf(out, "%s.", e->star.qualifier);
        wr_buf_putc(out, '*');
        break;
    case WR_AST_UNARY:
        wr_buf_printf(out, "(%s", op_text(e->unary.op));
        wr_ast_expr_dump(e->unary.arg, out);
        wr_buf_putc(out, ')');
        break;
    case WR_AST_BINARY:
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->binary.left, out);
        wr_buf_printf(out, " %s ", op_text(e->binary.op));
        wr_ast_expr_dump(e->binary.right, out);
        wr_buf_putc(out, ')');
        break;
    case WR_AST_IS: {
        static const char *const what[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->is.arg, out);
        wr_buf_printf(out, " IS %s%s)", e->is.negated ? "NOT " : "", what[e->is.what]);
        break;
    }
    case WR_AST_BETWEEN:
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->between.arg, out);
        wr_buf_printf(out, " %sBETWEEN %s", e->between.negated ? "NOT " : "",
                      e->between.symmetric ? "SYMMETRIC " : "");
        wr_ast_expr_dump(e->between.low, out);
        wr_buf_puts(out, " AND ");
        wr_ast_expr_dump(e->between.high, out);
        wr_buf_putc(out, ')');
        break;
    case WR_AST_IN_LIST:
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->in_list.arg, out);
        wr_buf_printf(out, " %sIN (", e->in_list.negated ? "NOT " : "");
        dump_exprs(out, e->in_list.items, e->in_list.nitems);
        wr_buf_puts(out, "))");
        break;
    case WR_AST_IN_QUERY:
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->subquery.arg, out);
        wr_buf_printf(out, " %sIN (", e->subquery.negated ? "NOT " : "");
        dump_query(e->subquery.query, out);
        wr_buf_puts(out, "))");
        break;
    case WR_AST_EXISTS:
    case WR_AST_SUBQUERY:
        wr_buf_puts(out, e->kind == WR_AST_EXISTS ? "EXISTS (" : "(");
        dump_query(e->subquery.query, out);
        wr_buf_putc(out, ')');
        break;
    case WR_AST_LIKE:
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->like.arg, out);
        wr_buf_printf(out, " %s%s ", e->like.negated ? "NOT " : "",
                      e->like.similar ? "SIMILAR TO" : "LIKE");
        wr_ast_expr_dump(e->like.pattern, out);
        if (e->like.escape) {
            wr_buf_puts(out, " ESCAPE ");
            wr_ast_expr_dump(e->like.escape, out);
        }
        wr_buf_putc(out, ')');
        break;
    case WR_AST_CASE:
        wr_buf_puts(out, "CASE");
        if (e->case_.operand) {
            wr_buf_putc(out, ' ');
            wr_ast_expr_dump(e->case_.operand, out);
        }
        for (int i = 0; i < e->case_.nwhens; i++) {
            wr_buf_puts(out, " WHEN ");
            wr_ast_expr_dump(e->case_.whens[i], out);
            wr_buf_puts(out, " THEN ");
            wr_ast_expr_dump(e->case_.thens[i], out);
        }
        if (e->case_.else_) {
            wr_buf_puts(out, " ELSE ");
            wr_ast_expr_dump(e->case_.else_, out);
        }
        wr_buf_puts(out, " END");
        break;
    case WR_AST_CAST:
        wr_buf_puts(out, e->cast.try_ ? "TRY_CAST(" : "CAST(");
        wr_ast_expr_dump(e->cast.arg, out);
        wr_buf_puts(out, " AS ");
        dump_type(out, &e->cast.type);
        wr_buf_putc(out, ')');
        break;
    case WR_AST_CALL:
        wr_buf_printf(out, "%s(", e->call.name);
        if (e->call.star) wr_buf_putc(out, '*');
        if (e->call.distinct) wr_buf_puts(out, "DISTINCT ");
        dump_exprs(out, e->call.args, e->call.nargs);
        wr_buf_putc(out, ')');
        if (e->call.filter) {
            wr_buf_puts(out, " FILTER (WHERE ");
            wr_ast_expr_dump(e->call.filter, out);
            wr_buf_putc(out, ')');
        }
        if (e->call.over) {
            wr_buf_puts(out, " OVER ");
            dump_window(out, e->call.over);
        }
        break;
    case WR_AST_INTERVAL:
        wr_buf_puts(out, "INTERVAL ");
        dump_string(out, e->interval.text);
        wr_buf_printf(out, " %s", e->interval.unit);
        if (e->interval.to_unit) wr_buf_printf(out, " TO %s", e->interval.to_unit);
        if (e->interval.precision >= 0) wr_buf_printf(out, "(%d)", e->interval.precision);
        break;
    case WR_AST_CONSTRUCTOR: {
        static const char *const open[] = {"ARRAY[", "MAP[", "ROW("};
        wr_buf_puts(out, e->ctor.implicit ? "(" : open[e->ctor.kind]);
        dump_exprs(out, e->ctor.items, e->ctor.nitems);
        wr_buf_putc(out, e->ctor.kind == WR_CTOR_ROW ? ')' : ']');
        break;
    }
    case WR_AST_SUBSCRIPT:
        wr_ast_expr_dump(e->subscript.arg, out);
        wr_buf_putc(out, '[');
        wr_ast_expr_dump(e->subscript.index, out);
        wr_buf_putc(out, ']');
        break;
    case WR_AST_FIELD:
        /* parenthesised, so that it never reads back as a dotted name */
        wr_buf_putc(out, '(');
        wr_ast_expr_dump(e->field.arg, out);
        wr_buf_puts(out, ").");
        dump_ident(out, e->field.name);
        break;
    }
}

static void dump_order_items(wr_buf *out, const wr_ast_order_item *items, int n)
{
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_puts(out, ", ");
        wr_ast_expr_dump(items[i].expr, out);
        if (items[i].desc) wr_buf_puts(out, " DESC");
        if (items[i].nulls) wr_buf_puts(out, items[i].nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
    }
}

static void dump_bound(wr_buf *out, const wr_ast_bound *b)
{
    switch (b->kind) {
    case WR_BOUND_NONE:
        break;
    case WR_BOUND_UNBOUNDED_PRECEDING:
        wr_buf_puts(out, "UNBOUNDED PRECEDING");
        break;
    case WR_BOUND_PRECEDING:
    case WR_BOUND_FOLLOWING:
        wr_ast_expr_dump(b->offset, out);
        wr_buf_puts(out, b->kind == WR_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
        break;
    case WR_BOUND_CURRENT_ROW:
        wr_buf_puts(out, "CURRENT ROW");
        break;
    case WR_BOUND_UNBOUNDED_FOLLOWING:
        wr_buf_puts(out, "UNBOUNDED FOLLOWING");
        break;
    }
}

/* A window: its name alone for OVER w, else the parenthesised specification. */
static void dump_window(wr_buf *out, const wr_ast_window *w)
{
    bool spec = w->npartition_by || w->norder_by || w->frame != WR_FRAME_NONE;
    if (w->name && !spec) {
        dump_ident(out, w->name);
        return;
    }
    const char *sep = "";
    wr_buf_putc(out, '(');
    if (w->name) {
        dump_ident(out, w->name);
        sep = " ";
    }
    if (w->npartition_by) {
        wr_buf_printf(out, "%sPARTITION BY ", sep);
        dump_exprs(out, w->partition_by, w->npartition_by);
        sep = " ";
    }
    if (w->norder_by) {
        wr_buf_printf(out, "%sORDER BY ", sep);
        dump_order_items(out, w->order_by, w->norder_by);
        sep = " ";
    }
    if (w->frame != WR_FRAME_NONE) {
        wr_buf_printf(out, "%s%s BETWEEN ", sep, w->frame == WR_FRAME_ROWS ? "ROWS" : "RANGE");
        dump_bound(out, &w->lower);
        wr_buf_puts(out, " AND ");
        dump_bound(out, &w->upper);
    }
    wr_buf_putc(out, ')');
}

static void dump_group_elems(wr_buf *out, const wr_ast_group_elem *elems, int n)
{
    static const char *const kinds[] = {"", "", "GROUPING SETS ", "ROLLUP ", "CUBE "};
    for (int i = 0; i < n; i++) {
        const wr_ast_group_elem *g = &elems[i];
        if (i) wr_buf_puts(out, ", ");
        if (g->kind == WR_GROUP_EXPR) {
            wr_ast_expr_dump(g->expr, out);
            continue;
        }
        wr_buf_printf(out, "%s(", kinds[g->kind]);
        dump_group_elems(out, g->children, g->nchildren);
        wr_buf_putc(out, ')');
    }
}

static void dump_tvf_arg(wr_buf *out, const wr_ast_tvf_arg *arg)
{
    if (arg->name) wr_buf_printf(out, "%s => ", arg->name);
    switch (arg->kind) {
    case WR_TVF_ARG_TABLE:
        wr_buf_puts(out, "TABLE ");
        dump_name(out, arg->table->table.parts, arg->table->table.nparts);
        if (arg->npartition_by) {
            wr_buf_puts(out, " PARTITION BY ");
            if (arg->npartition_by > 1) wr_buf_putc(out, '(');
            dump_exprs(out, arg->partition_by, arg->npartition_by);
            if (arg->npartition_by > 1) wr_buf_putc(out, ')');
        }
        break;
    case WR_TVF_ARG_DESCRIPTOR:
        wr_buf_puts(out, "DESCRIPTOR");
        dump_ident_list(out, arg->columns, arg->ncolumns);
        break;
    case WR_TVF_ARG_EXPR:
        wr_ast_expr_dump(arg->expr, out);
        break;
    }
}

static void dump_from(const wr_ast_from *f, wr_buf *out)
{
    static const char *const joins[] = {"INNER JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN",
                                        "CROSS JOIN"};
    if (f->lateral) wr_buf_puts(out, "LATERAL ");
    switch (f->kind) {
    case WR_FROM_TABLE:
        dump_name(out, f->table.parts, f->table.nparts);
        if (f->system_time) {
            wr_buf_puts(out, " FOR SYSTEM_TIME AS OF ");
            wr_ast_expr_dump(f->system_time, out);
        }
        break;
    case WR_FROM_SUBQUERY:
        wr_buf_putc(out, '(');
        dump_query(f->subquery.query, out);
        wr_buf_putc(out, ')');
        break;
    case WR_FROM_TVF:
        wr_buf_printf(out, "TABLE(%s(", f->tvf.name);
        for (int i = 0; i < f->tvf.nargs; i++) {
            if (i) wr_buf_puts(out, ", ");
            dump_tvf_arg(out, &f->tvf.args[i]);
        }
        wr_buf_puts(out, "))");
        break;
    case WR_FROM_UNNEST:
        wr_buf_puts(out, "UNNEST(");
        dump_exprs(out, f->unnest.exprs, f->unnest.nexprs);
        wr_buf_putc(out, ')');
        if (f->unnest.with_ordinality) wr_buf_puts(out, " WITH ORDINALITY");
        break;
    case WR_FROM_JOIN: {
        dump_from(f->join.left, out);
        wr_buf_printf(out, " %s%s ", f->join.natural ? "NATURAL " : "", joins[f->join.kind]);
        bool nested = f->join.right->kind == WR_FROM_JOIN;
        if (nested) wr_buf_putc(out, '(');
        dump_from(f->join.right, out);
        if (nested) wr_buf_putc(out, ')');
        if (f->join.on) {
            wr_buf_puts(out, " ON ");
            wr_ast_expr_dump(f->join.on, out);
        } else if (f->join.nusing) {
            wr_buf_puts(out, " USING ");
            dump_ident_list(out, f->join.using_cols, f->join.nusing);
        }
        break;
    }
    }
    if (f->alias) {
        wr_buf_puts(out, " AS ");
        dump_ident(out, f->alias);
        if (f->ncolumn_aliases) dump_ident_list(out, f->column_aliases, f->ncolumn_aliases);
    }
}

static void dump_query(const wr_ast_query *q, wr_buf *out)
{
    static const char *const setops[] = {"UNION", "INTERSECT", "EXCEPT"};
    if (q->nctes) {
        wr_buf_puts(out, "WITH ");
        for (int i = 0; i < q->nctes; i++) {
            if (i) wr_buf_puts(out, ", ");
            dump_ident(out, q->ctes[i].name);
            wr_buf_puts(out, " AS (");
            dump_query(q->ctes[i].query, out);
            wr_buf_putc(out, ')');
        }
        wr_buf_putc(out, ' ');
    }
    switch (q->kind) {
    case WR_QUERY_SELECT:
        wr_buf_puts(out, q->select.distinct ? "SELECT DISTINCT " : "SELECT ");
        for (int i = 0; i < q->select.nitems; i++) {
            if (i) wr_buf_puts(out, ", ");
            wr_ast_expr_dump(q->select.items[i].expr, out);
            if (q->select.items[i].alias) {
                wr_buf_puts(out, " AS ");
                dump_ident(out, q->select.items[i].alias);
            }
        }
        if (q->select.from) {
            wr_buf_puts(out, " FROM ");
            dump_from(q->select.from, out);
        }
        if (q->select.where) {
            wr_buf_puts(out, " WHERE ");
            wr_ast_expr_dump(q->select.where, out);
        }
        if (q->select.ngroup_elems) {
            wr_buf_puts(out, " GROUP BY ");
            dump_group_elems(out, q->select.group_elems, q->select.ngroup_elems);
        } else if (q->select.ngroup_by) {
            wr_buf_puts(out, " GROUP BY ");
            dump_exprs(out, q->select.group_by, q->select.ngroup_by);
        }
        if (q->select.having) {
            wr_buf_puts(out, " HAVING ");
            wr_ast_expr_dump(q->select.having, out);
        }
        for (int i = 0; i < q->select.nwindows; i++) {
            wr_buf_puts(out, i ? ", " : " WINDOW ");
            dump_ident(out, q->select.windows[i].name);
            wr_buf_puts(out, " AS ");
            dump_window(out, q->select.windows[i].window);
        }
        break;
    case WR_QUERY_VALUES:
        wr_buf_puts(out, "VALUES ");
        for (int i = 0; i < q->values.nrows; i++) {
            wr_buf_puts(out, i ? ", (" : "(");
            dump_exprs(out, q->values.rows[i], q->values.ncols);
            wr_buf_putc(out, ')');
        }
        break;
    case WR_QUERY_SETOP:
        wr_buf_putc(out, '(');
        dump_query(q->setop.left, out);
        wr_buf_printf(out, ") %s%s (", setops[q->setop.op], q->setop.all ? " ALL" : "");
        dump_query(q->setop.right, out);
        wr_buf_putc(out, ')');
        break;
    }
    if (q->norder_by) {
        wr_buf_puts(out, " ORDER BY ");
        dump_order_items(out, q->order_by, q->norder_by);
    }
    if (q->limit) {
        wr_buf_puts(out, " LIMIT ");
        wr_ast_expr_dump(q->limit, out);
    }
    if (q->offset) {
        wr_buf_puts(out, " OFFSET ");
        wr_ast_expr_dump(q->offset, out);
    }
}

static void dump_options(wr_buf *out, const wr_ast_option *opts, int n);

static void dump_create_table(const wr_ast_stmt *s, wr_buf *out)
{
    wr_buf_printf(out, "CREATE %sTABLE %s", s->create_table.temporary ? "TEMPORARY " : "",
                  s->create_table.if_not_exists ? "IF NOT EXISTS " : "");
    dump_name(out, s->create_table.name_parts, s->create_table.nname_parts);
    bool list = s->create_table.ncolumns || s->create_table.watermark_column ||
                s->create_table.nprimary_key || !s->create_table.like_parts;
    if (list) wr_buf_puts(out, " (");
    bool first = true;
    for (int i = 0; i < s->create_table.ncolumns; i++, first = false) {
        const wr_ast_column_def *col = &s->create_table.columns[i];
        if (!first) wr_buf_puts(out, ", ");
        dump_ident(out, col->name);
        if (col->computed) {
            wr_buf_puts(out, " AS ");
            wr_ast_expr_dump(col->computed, out);
        } else {
            wr_buf_putc(out, ' ');
            dump_type(out, &col->type);
        }
        if (col->metadata) {
            wr_buf_puts(out, " METADATA");
            if (col->metadata_key) {
                wr_buf_puts(out, " FROM ");
                dump_string(out, col->metadata_key);
            }
            if (col->is_virtual) wr_buf_puts(out, " VIRTUAL");
        }
        if (col->comment) {
            wr_buf_puts(out, " COMMENT ");
            dump_string(out, col->comment);
        }
    }
    if (s->create_table.watermark_column) {
        wr_buf_puts(out, first ? "WATERMARK FOR " : ", WATERMARK FOR ");
        dump_ident(out, s->create_table.watermark_column);
        wr_buf_puts(out, " AS ");
        wr_ast_expr_dump(s->create_table.watermark_expr, out);
        first = false;
    }
    if (s->create_table.nprimary_key) {
        wr_buf_puts(out, first ? "PRIMARY KEY " : ", PRIMARY KEY ");
        dump_ident_list(out, s->create_table.primary_key, s->create_table.nprimary_key);
        wr_buf_puts(out, " NOT ENFORCED");
    }
    if (list) wr_buf_putc(out, ')');
    if (s->create_table.comment) {
        wr_buf_puts(out, " COMMENT ");
        dump_string(out, s->create_table.comment);
    }
    if (s->create_table.npartitioned_by) {
        wr_buf_puts(out, " PARTITIONED BY ");
        dump_ident_list(out, s->create_table.partitioned_by, s->create_table.npartitioned_by);
    }
    if (s->create_table.noptions) {
        wr_buf_puts(out, " WITH ");
        dump_options(out, s->create_table.options, s->create_table.noptions);
    }
    if (s->create_table.like_parts) {
        static const char *const modes[] = {"INCLUDING", "EXCLUDING", "OVERWRITING"};
        static const char *const features[] = {"ALL",     "CONSTRAINTS", "PARTITIONS", "GENERATED",
                                               "OPTIONS", "WATERMARKS",  "METADATA"};
        wr_buf_puts(out, " LIKE ");
        dump_name(out, s->create_table.like_parts, s->create_table.nlike_parts);
        for (int i = 0; i < s->create_table.nlike_options; i++) {
            const wr_ast_like_option *o = &s->create_table.like_options[i];
            wr_buf_printf(out, "%s%s %s", i ? " " : " (", modes[o->mode], features[o->feature]);
        }
        if (s->create_table.nlike_options) wr_buf_putc(out, ')');
    }
}

/* ('k' = 'v', ...), or ('k', ...) for options without values (ALTER TABLE RESET). */
static void dump_options(wr_buf *out, const wr_ast_option *opts, int n)
{
    wr_buf_putc(out, '(');
    for (int i = 0; i < n; i++) {
        if (i) wr_buf_puts(out, ", ");
        dump_string(out, opts[i].key);
        if (opts[i].value) {
            wr_buf_puts(out, " = ");
            dump_string(out, opts[i].value);
        }
    }
    wr_buf_putc(out, ')');
}

static void dump_explain_details(wr_buf *out, unsigned details)
{
    static const char *const names[] = {"ESTIMATED_COST", "CHANGELOG_MODE", "PLAN_ADVICE",
                                        "JSON_EXECUTION_PLAN"};
    const char *sep = "";
    for (int i = 0; i < (int)WR_ARRAY_LEN(names); i++)
        if (details & (1u << i)) {
            wr_buf_printf(out, "%s%s", sep, names[i]);
            sep = ", ";
        }
    if (details) wr_buf_putc(out, ' ');
}

void wr_ast_stmt_dump(const wr_ast_stmt *s, wr_buf *out)
{
    switch (s->kind) {
    case WR_STMT_CREATE_TABLE:
        dump_create_table(s, out);
        break;
    case WR_STMT_CREATE_VIEW:
        wr_buf_printf(out, "CREATE %sVIEW %s", s->create_view.temporary ? "TEMPORARY " : "",
                      s->create_view.if_not_exists ? "IF NOT EXISTS " : "");
        dump_name(out, s->create_view.name_parts, s->create_view.nname_parts);
        wr_buf_puts(out, " AS ");
        dump_query(s->create_view.query, out);
        break;
    case WR_STMT_DROP:
        wr_buf_printf(out, "DROP %s%s%s %s", s->drop.temporary ? "TEMPORARY " : "",
                      s->drop.system ? "SYSTEM " : "", s->drop.what,
                      s->drop.if_exists ? "IF EXISTS " : "");
        dump_name(out, s->drop.name_parts, s->drop.nname_parts);
        break;
    case WR_STMT_SET:
    case WR_STMT_RESET:
        wr_buf_puts(out, s->kind == WR_STMT_SET ? "SET" : "RESET");
        if (s->set.key) {
            wr_buf_putc(out, ' ');
            dump_string(out, s->set.key);
        }
        if (s->set.value) {
            wr_buf_puts(out, " = ");
            dump_string(out, s->set.value);
        }
        break;
    case WR_STMT_INSERT:
        wr_buf_puts(out, s->insert.overwrite ? "INSERT OVERWRITE " : "INSERT INTO ");
        dump_name(out, s->insert.table_parts, s->insert.ntable_parts);
        if (s->insert.ncolumns) {
            wr_buf_putc(out, ' ');
            dump_ident_list(out, s->insert.columns, s->insert.ncolumns);
        }
        wr_buf_putc(out, ' ');
        dump_query(s->insert.query, out);
        break;
    case WR_STMT_QUERY:
        dump_query(s->query.query, out);
        break;
    case WR_STMT_SHOW:
        wr_buf_printf(out, "SHOW %s", s->show.what);
        if (s->show.nname_parts) {
            wr_buf_puts(out, strcmp(s->show.what, "COLUMNS") == 0 ? " FROM " : " ");
            dump_name(out, s->show.name_parts, s->show.nname_parts);
        }
        if (s->show.nfrom_parts) {
            wr_buf_puts(out, " FROM ");
            dump_name(out, s->show.from_parts, s->show.nfrom_parts);
        }
        if (s->show.like) {
            wr_buf_puts(out, s->show.not_like ? " NOT LIKE " : " LIKE ");
            dump_string(out, s->show.like);
        }
        break;
    case WR_STMT_DESCRIBE:
        wr_buf_puts(out, "DESCRIBE ");
        dump_name(out, s->describe.name_parts, s->describe.nname_parts);
        break;
    case WR_STMT_EXPLAIN:
        wr_buf_puts(out, "EXPLAIN ");
        dump_explain_details(out, s->explain.details);
        wr_ast_stmt_dump(s->explain.stmt, out);
        break;
    case WR_STMT_STATEMENT_SET:
        wr_buf_puts(out, "EXECUTE STATEMENT SET BEGIN ");
        for (int i = 0; i < s->statement_set.nstmts; i++) {
            wr_ast_stmt_dump(s->statement_set.stmts[i], out);
            wr_buf_puts(out, "; ");
        }
        wr_buf_puts(out, "END");
        break;
    case WR_STMT_ALTER_TABLE:
        wr_buf_printf(out, "ALTER TABLE %s", s->alter_table.if_exists ? "IF EXISTS " : "");
        dump_name(out, s->alter_table.name_parts, s->alter_table.nname_parts);
        if (s->alter_table.action == WR_ALTER_RENAME) {
            wr_buf_puts(out, " RENAME TO ");
            dump_name(out, s->alter_table.new_name_parts, s->alter_table.nnew_name_parts);
        } else {
            wr_buf_puts(out, s->alter_table.action == WR_ALTER_SET ? " SET " : " RESET ");
            dump_options(out, s->alter_table.options, s->alter_table.noptions);
        }
        break;
    case WR_STMT_CREATE_FUNCTION:
        wr_buf_printf(out, "CREATE %s%sFUNCTION %s",
                      s->create_function.temporary ? "TEMPORARY " : "",
                      s->create_function.system ? "SYSTEM " : "",
                      s->create_function.if_not_exists ? "IF NOT EXISTS " : "");
        dump_name(out, s->create_function.name_parts, s->create_function.nname_parts);
        wr_buf_puts(out, " AS ");
        dump_string(out, s->create_function.identifier);
        if (s->create_function.language)
            wr_buf_printf(out, " LANGUAGE %s", s->create_function.language);
        for (int i = 0; i < s->create_function.njars; i++) {
            wr_buf_puts(out, i ? ", JAR " : " USING JAR ");
            dump_string(out, s->create_function.jars[i]);
        }
        break;
    case WR_STMT_USE:
        wr_buf_puts(out, s->use.catalog ? "USE CATALOG " : "USE ");
        dump_name(out, s->use.name_parts, s->use.nname_parts);
        break;
    case WR_STMT_NOOP:
        wr_buf_puts(out, s->noop.text);
        break;
    }
}
