/*
 * test_parser.c — unit tests of the SQL lexer and parser (src/sql).
 *
 * Most tests parse text and compare the canonical dump; error tests check the
 * message and its line:column. The robustness tests feed truncated scripts,
 * garbage and deep nesting, and rely on ASan/UBSan to catch bad reads.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/alloc.h"
#include "../../src/base/buf.h"
#include "../../src/sql/lexer.h"
#include "../../src/sql/parser.h"

static wr_arena arena;

static void setup(void)
{
    wr_arena_init(&arena, 0);
}

static void teardown(void)
{
    wr_arena_fini(&arena);
    cr_expect_eq(wr_alloc_live(), 0, "leaked %ld allocations", wr_alloc_live());
}

TestSuite(lexer, .init = setup, .fini = teardown);
TestSuite(expr, .init = setup, .fini = teardown);
TestSuite(types, .init = setup, .fini = teardown);
TestSuite(query, .init = setup, .fini = teardown);
TestSuite(stmt, .init = setup, .fini = teardown);
TestSuite(errors, .init = setup, .fini = teardown);
TestSuite(robust, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

static const char *keep(wr_buf *buf)
{
    char *s = wr_arena_strndup(&arena, buf->data ? buf->data : "", buf->len);
    wr_buf_fini(buf);
    return s;
}

/* Dump of the expression, or "error: <msg>". */
static const char *expr(const char *sql)
{
    wr_ast_expr *e;
    wr_error err;
    wr_error_init(&err);
    wr_buf buf;
    wr_buf_init(&buf);
    if (wr_sql_parse_expr(sql, &arena, &e, &err) != 0) {
        wr_buf_printf(&buf, "error: %s", err.msg);
        return keep(&buf);
    }
    wr_ast_expr_dump(e, &buf);
    return keep(&buf);
}

static wr_ast_expr *expr_tree(const char *sql)
{
    wr_ast_expr *e;
    wr_error err;
    wr_error_init(&err);
    int rc = wr_sql_parse_expr(sql, &arena, &e, &err);
    cr_assert_eq(rc, 0, "parse of '%s' failed: %s", sql, err.msg);
    return e;
}

/* Dumps of all statements joined by " | ", or "error: <msg>" at the first error. */
static const char *stmts(const char *sql)
{
    wr_buf buf;
    wr_buf_init(&buf);
    int offset = 0, n = 0;
    for (;;) {
        wr_ast_stmt *s;
        wr_error err;
        wr_error_init(&err);
        int rc = wr_sql_parse_next(sql, &offset, &arena, &s, &err);
        if (rc < 0) {
            wr_buf_reset(&buf);
            wr_buf_printf(&buf, "error: %s", err.msg);
            break;
        }
        if (rc == 0) break;
        if (n++) wr_buf_puts(&buf, " | ");
        wr_ast_stmt_dump(s, &buf);
    }
    return keep(&buf);
}

static wr_ast_stmt *stmt_tree(const char *sql)
{
    int offset = 0;
    wr_ast_stmt *s;
    wr_error err;
    wr_error_init(&err);
    int rc = wr_sql_parse_next(sql, &offset, &arena, &s, &err);
    cr_assert_eq(rc, 1, "parse of '%s' failed: %s", sql, err.msg);
    return s;
}

/* Parses the whole script and expects an error at line:col whose message contains msg. */
static void expect_error(const char *sql, int line, int col, const char *msg)
{
    int offset = 0;
    wr_error err;
    wr_error_init(&err);
    int rc;
    do {
        wr_ast_stmt *s;
        rc = wr_sql_parse_next(sql, &offset, &arena, &s, &err);
    } while (rc == 1);
    cr_assert_eq(rc, WR_ERR_PARSE, "expected a parse error for '%s'", sql);
    cr_assert_eq(err.code, WR_ERR_PARSE);
    int l, c;
    wr_text_position(sql, err.offset, &l, &c);
    cr_expect(strstr(err.msg, msg) != NULL, "message '%s' lacks '%s'", err.msg, msg);
    cr_expect(l == line && c == col, "'%s': error '%s' at %d:%d, expected %d:%d", sql, err.msg, l,
              c, line, col);
}

#define EXPECT_EXPR(sql, want) cr_expect_str_eq(expr(sql), want, "for %s", sql)
#define EXPECT_STMTS(sql, want) cr_expect_str_eq(stmts(sql), want, "for %s", sql)

/* ---- lexer -------------------------------------------------------------- */

static int lex_all(const char *text, wr_lex_token *toks, int max, wr_error *err)
{
    wr_lexer lex;
    wr_lex_init(&lex, text, (int)strlen(text), 0);
    int n = 0;
    while (n < max) {
        if (wr_lex_next(&lex, &toks[n], err) != 0) return -1;
        if (toks[n++].kind == WR_TOK_EOF) break;
    }
    return n;
}

Test(lexer, kinds_offsets_and_keywords)
{
    wr_lex_token t[32];
    wr_error err;
    const char *text = "select Foo_1$, `a b` FROM 'x' <> != <= >= || ;";
    int n = lex_all(text, t, 32, &err);
    cr_assert_eq(n, 13);
    cr_expect_eq(t[0].kind, WR_TOK_WORD);
    cr_expect_eq(t[0].kw, WR_KW_SELECT);
    cr_expect_eq(t[1].kw, WR_KW_NONE);
    cr_expect_eq(t[1].pos, 7);
    cr_expect_eq(t[1].len, 6);
    cr_expect_eq(t[2].kind, WR_TOK_COMMA);
    cr_expect_eq(t[3].kind, WR_TOK_QUOTED);
    cr_expect_eq(t[4].kw, WR_KW_FROM);
    cr_expect_eq(t[5].kind, WR_TOK_STRING);
    cr_expect_eq(t[6].kind, WR_TOK_NE);
    cr_expect_eq(t[7].kind, WR_TOK_NE);
    cr_expect_eq(t[8].kind, WR_TOK_LE);
    cr_expect_eq(t[9].kind, WR_TOK_GE);
    cr_expect_eq(t[10].kind, WR_TOK_CONCAT);
    cr_expect_eq(t[11].kind, WR_TOK_SEMI);
    cr_expect_eq(t[12].kind, WR_TOK_EOF);
    cr_expect_eq(t[12].pos, (int)strlen(text));
}

Test(lexer, numbers)
{
    wr_lex_token t[16];
    wr_error err;
    int n = lex_all("42 1.5 .5 2. 1e10 1.5E-3 7e+2 3e", t, 16, &err);
    cr_assert_eq(n, 10);
    wr_lex_kind want[] = {WR_TOK_INTEGER, WR_TOK_DECIMAL, WR_TOK_DECIMAL, WR_TOK_DECIMAL,
                          WR_TOK_DOUBLE,  WR_TOK_DOUBLE,  WR_TOK_DOUBLE,  WR_TOK_INTEGER,
                          WR_TOK_WORD,    WR_TOK_EOF};
    for (int i = 0; i < n; i++) cr_expect_eq(t[i].kind, want[i], "token %d", i);
    cr_expect_eq(t[5].len, 6);
}

Test(lexer, comments_are_skipped)
{
    wr_lex_token t[8];
    wr_error err;
    int n = lex_all("-- line\n a /* block\n * comment */ b --tail", t, 8, &err);
    cr_assert_eq(n, 3);
    cr_expect_eq(t[0].pos, 9);
    cr_expect_eq(t[1].pos, 34);
    cr_expect_eq(t[2].kind, WR_TOK_EOF);
}

Test(lexer, decoded_text)
{
    wr_lex_token t[4];
    wr_error err;
    const char *text = "'it''s' `a``b` Mixed";
    cr_assert_eq(lex_all(text, t, 4, &err), 4);
    cr_expect_str_eq(wr_lex_token_text(text, &t[0], &arena), "it's");
    cr_expect_str_eq(wr_lex_token_text(text, &t[1], &arena), "a`b");
    cr_expect_str_eq(wr_lex_token_text(text, &t[2], &arena), "Mixed");
}

Test(lexer, keyword_lookup)
{
    cr_expect_eq(wr_lex_keyword("sElEcT", 6), WR_KW_SELECT);
    cr_expect_eq(wr_lex_keyword("selects", 7), WR_KW_NONE);
    cr_expect_eq(wr_lex_keyword("CURRENT_TIMESTAMP", 17), WR_KW_CURRENT_TIMESTAMP);
    cr_expect(wr_lex_is_reserved(WR_KW_FROM));
    cr_expect_not(wr_lex_is_reserved(WR_KW_KEY));
    cr_expect_not(wr_lex_is_reserved(WR_KW_NONE));
    cr_expect_str_eq(wr_lex_keyword_name(WR_KW_WATERMARK), "WATERMARK");
}

Test(lexer, errors)
{
    struct {
        const char *text;
        int pos;
        const char *msg;
    } cases[] = {
        {"a 'abc", 2, "unterminated string literal"},
        {"a `abc", 2, "unterminated quoted identifier"},
        {"a /* abc", 2, "unterminated comment"},
        {"a ``", 2, "empty quoted identifier"},
        {"a # b", 2, "unexpected character '#'"},
        {"a | b", 2, "unexpected character '|'"},
        {"a ! b", 2, "unexpected character '!'"},
        {"a \x01", 2, "unexpected byte 0x01"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_lex_token t[4];
        wr_error err;
        wr_error_init(&err);
        cr_expect_eq(lex_all(cases[i].text, t, 4, &err), -1, "%s", cases[i].text);
        cr_expect_eq(err.offset, cases[i].pos, "%s", cases[i].text);
        cr_expect_str_eq(err.msg, cases[i].msg);
    }
}

Test(lexer, eof_repeats)
{
    wr_lexer lex;
    wr_lex_token tok;
    wr_error err;
    wr_lex_init(&lex, "  ", 2, 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(wr_lex_next(&lex, &tok, &err), 0);
        cr_expect_eq(tok.kind, WR_TOK_EOF);
        cr_expect_eq(tok.pos, 2);
    }
}

/* ---- expressions -------------------------------------------------------- */

Test(expr, arithmetic_precedence)
{
    EXPECT_EXPR("a + b * 2", "(a + (b * 2))");
    EXPECT_EXPR("(a + b) * 2", "((a + b) * 2)");
    EXPECT_EXPR("a - b - c", "((a - b) - c)");
    EXPECT_EXPR("a / b % c * d", "(((a / b) % c) * d)");
    EXPECT_EXPR("a || b + c", "((a || b) + c)");
    EXPECT_EXPR("a || b * c", "(a || (b * c))");
    EXPECT_EXPR("-a * -b", "((-a) * (-b))");
    EXPECT_EXPR("- - +1", "(-(-(+1)))");
    EXPECT_EXPR("a - -1", "(a - (-1))");
}

Test(expr, logical_precedence)
{
    EXPECT_EXPR("a OR b AND c", "(a OR (b AND c))");
    EXPECT_EXPR("a AND b OR c AND d", "((a AND b) OR (c AND d))");
    EXPECT_EXPR("NOT a = b", "(NOT (a = b))");
    EXPECT_EXPR("NOT NOT a AND b", "((NOT (NOT a)) AND b)");
    EXPECT_EXPR("a = 1 OR NOT b < 2 + 3", "((a = 1) OR (NOT (b < (2 + 3))))");
    EXPECT_EXPR("a <> b AND c != d", "((a <> b) AND (c <> d))");
    EXPECT_EXPR("a <= b AND c >= d AND e < f AND g > h",
                "((((a <= b) AND (c >= d)) AND (e < f)) AND (g > h))");
}

Test(expr, predicates)
{
    EXPECT_EXPR("x IS NULL", "(x IS NULL)");
    EXPECT_EXPR("x IS NOT NULL AND y IS TRUE", "((x IS NOT NULL) AND (y IS TRUE))");
    EXPECT_EXPR("x IS NOT FALSE OR y IS UNKNOWN", "((x IS NOT FALSE) OR (y IS UNKNOWN))");
    EXPECT_EXPR("a + 1 IS NULL", "((a + 1) IS NULL)");
    EXPECT_EXPR("x BETWEEN 1 AND 2 AND y", "((x BETWEEN 1 AND 2) AND y)");
    EXPECT_EXPR("x NOT BETWEEN SYMMETRIC a + 1 AND b", "(x NOT BETWEEN SYMMETRIC (a + 1) AND b)");
    EXPECT_EXPR("x BETWEEN ASYMMETRIC 1 AND 2", "(x BETWEEN 1 AND 2)");
    EXPECT_EXPR("x IN (1, 2, 3)", "(x IN (1, 2, 3))");
    EXPECT_EXPR("x NOT IN ('a')", "(x NOT IN ('a'))");
    EXPECT_EXPR("x IN (SELECT y FROM t)", "(x IN (SELECT y FROM t))");
    EXPECT_EXPR("x NOT IN (SELECT y FROM t)", "(x NOT IN (SELECT y FROM t))");
    EXPECT_EXPR("s LIKE 'a%'", "(s LIKE 'a%')");
    EXPECT_EXPR("s NOT LIKE 'a!%' ESCAPE '!'", "(s NOT LIKE 'a!%' ESCAPE '!')");
    EXPECT_EXPR("s SIMILAR TO 'a+'", "(s SIMILAR TO 'a+')");
    EXPECT_EXPR("s NOT SIMILAR TO 'a+'", "(s NOT SIMILAR TO 'a+')");
    EXPECT_EXPR("EXISTS (SELECT 1)", "EXISTS (SELECT 1)");
    EXPECT_EXPR("NOT EXISTS (SELECT 1 FROM t)", "(NOT EXISTS (SELECT 1 FROM t))");
    EXPECT_EXPR("a = b IS NOT NULL", "((a = b) IS NOT NULL)");
}

Test(expr, predicate_trees)
{
    wr_ast_expr *e = expr_tree("x NOT IN (SELECT 1)");
    cr_expect_eq(e->kind, WR_AST_IN_QUERY);
    cr_expect(e->subquery.negated);
    cr_expect_eq(e->subquery.arg->kind, WR_AST_IDENT);
    e = expr_tree("(SELECT 1)");
    cr_expect_eq(e->kind, WR_AST_SUBQUERY);
    cr_expect_null(e->subquery.arg);
    e = expr_tree("x IN (1, 2)");
    cr_expect_eq(e->kind, WR_AST_IN_LIST);
    cr_expect_eq(e->in_list.nitems, 2);
    e = expr_tree("x BETWEEN SYMMETRIC 1 AND 2");
    cr_expect(e->between.symmetric);
    cr_expect_not(e->between.negated);
    e = expr_tree("s NOT LIKE 'x' ESCAPE '!'");
    cr_expect(e->like.negated);
    cr_expect_not(e->like.similar);
    cr_expect_str_eq(e->like.escape->lit.text, "!");
}

Test(expr, literals)
{
    EXPECT_EXPR("NULL", "NULL");
    EXPECT_EXPR("true", "TRUE");
    EXPECT_EXPR("False", "FALSE");
    EXPECT_EXPR("'it''s'", "'it''s'");
    EXPECT_EXPR("TIMESTAMP '2024-01-01 00:00:00'", "TIMESTAMP '2024-01-01 00:00:00'");
    EXPECT_EXPR("date '2024-01-01'", "DATE '2024-01-01'");
    EXPECT_EXPR("TIME '12:00:00'", "TIME '12:00:00'");
    EXPECT_EXPR("123456789012345678901234567890", "123456789012345678901234567890");

    struct {
        const char *sql;
        wr_ast_lit_kind kind;
        const char *text;
    } cases[] = {
        {"42", WR_LIT_INTEGER, "42"},
        {"1.5", WR_LIT_DECIMAL, "1.5"},
        {".5", WR_LIT_DECIMAL, ".5"},
        {"2.", WR_LIT_DECIMAL, "2."},
        {"1e10", WR_LIT_DOUBLE, "1e10"},
        {"1.5E-3", WR_LIT_DOUBLE, "1.5E-3"},
        {"'a''b'", WR_LIT_STRING, "a'b"},
        {"TIMESTAMP '2024-01-01 10:00'", WR_LIT_TIMESTAMP, "2024-01-01 10:00"},
        {"DATE '2024-01-01'", WR_LIT_DATE, "2024-01-01"},
        {"TIME '10:00'", WR_LIT_TIME, "10:00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_ast_expr *e = expr_tree(cases[i].sql);
        cr_expect_eq(e->kind, WR_AST_LITERAL, "%s", cases[i].sql);
        cr_expect_eq(e->lit.kind, cases[i].kind, "%s", cases[i].sql);
        cr_expect_str_eq(e->lit.text, cases[i].text);
    }
    wr_ast_expr *e = expr_tree("TRUE");
    cr_expect_eq(e->lit.kind, WR_LIT_BOOL);
    cr_expect(e->lit.b);
}

Test(expr, intervals)
{
    EXPECT_EXPR("INTERVAL '4' SECOND", "INTERVAL '4' SECOND");
    EXPECT_EXPR("interval '1 02:00' day to second", "INTERVAL '1 02:00' DAY TO SECOND");
    EXPECT_EXPR("INTERVAL '10' MINUTE(3)", "INTERVAL '10' MINUTE(3)");
    EXPECT_EXPR("INTERVAL '10' MINUTES", "INTERVAL '10' MINUTE");
    EXPECT_EXPR("INTERVAL '1-2' YEAR TO MONTH", "INTERVAL '1-2' YEAR TO MONTH");
    EXPECT_EXPR("ts - INTERVAL '5' SECOND", "(ts - INTERVAL '5' SECOND)");
    wr_ast_expr *e = expr_tree("INTERVAL '1 02:00:00.5' DAY TO SECOND(3)");
    cr_assert_eq(e->kind, WR_AST_INTERVAL);
    cr_expect_str_eq(e->interval.text, "1 02:00:00.5");
    cr_expect_str_eq(e->interval.unit, "DAY");
    cr_expect_str_eq(e->interval.to_unit, "SECOND");
    cr_expect_eq(e->interval.precision, 3);
    e = expr_tree("INTERVAL '4' HOUR");
    cr_expect_null(e->interval.to_unit);
    cr_expect_eq(e->interval.precision, -1);
    cr_expect_str_eq(expr("INTERVAL '1' DAY TO YEAR"),
                     "error: invalid interval qualifier DAY TO YEAR");
    cr_expect_str_eq(expr("INTERVAL '1' FORTNIGHT"),
                     "error: expected an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND) "
                     "but found 'FORTNIGHT'");
    cr_expect_str_eq(expr("INTERVAL '1' DAY(2) TO HOUR"),
                     "error: an interval precision is only supported on its last unit");
}

Test(expr, identifiers_and_stars)
{
    EXPECT_EXPR("a.b.c", "a.b.c");
    EXPECT_EXPR("`weird name`.`x``y`", "`weird name`.`x``y`");
    EXPECT_EXPR("`select`", "`select`");
    EXPECT_EXPR("t.*", "t.*");
    EXPECT_EXPR("db.t.*", "db.t.*");
    EXPECT_EXPR("MixedCase", "MixedCase");
    /* unreserved keywords stay usable as names */
    EXPECT_EXPR("key + value + name + ts + data + comment",
                "(((((key + value) + name) + ts) + data) + comment)");
    EXPECT_EXPR("date = time AND timestamp > 1", "((date = time) AND (timestamp > 1))");
    EXPECT_EXPR("interval + 1", "(interval + 1)");
    wr_ast_expr *e = expr_tree("Cat.Db.Tbl");
    cr_assert_eq(e->kind, WR_AST_IDENT);
    cr_assert_eq(e->ident.nparts, 3);
    cr_expect_str_eq(e->ident.parts[0], "Cat");
    cr_expect_str_eq(e->ident.parts[2], "Tbl");
    e = expr_tree("t.*");
    cr_expect_eq(e->kind, WR_AST_STAR);
    cr_expect_str_eq(e->star.qualifier, "t");
}

Test(expr, cast_and_case)
{
    EXPECT_EXPR("CAST(x AS BIGINT)", "CAST(x AS BIGINT)");
    EXPECT_EXPR("TRY_CAST(x AS DECIMAL(10, 2))", "TRY_CAST(x AS DECIMAL(10, 2))");
    EXPECT_EXPR("cast(a + 1 as varchar(3) not null)", "CAST((a + 1) AS VARCHAR(3) NOT NULL)");
    EXPECT_EXPR("CASE WHEN a > 1 THEN 'x' WHEN a < 0 THEN 'y' ELSE 'z' END",
                "CASE WHEN (a > 1) THEN 'x' WHEN (a < 0) THEN 'y' ELSE 'z' END");
    EXPECT_EXPR("CASE x WHEN 1 THEN 'a' END", "CASE x WHEN 1 THEN 'a' END");
    wr_ast_expr *e = expr_tree("TRY_CAST(x AS INT)");
    cr_expect(e->cast.try_);
    cr_expect_str_eq(e->cast.type.name, "INT");
    e = expr_tree("CASE WHEN a THEN b END");
    cr_expect_null(e->case_.operand);
    cr_expect_null(e->case_.else_);
    cr_expect_eq(e->case_.nwhens, 1);
    cr_expect_str_eq(expr("CASE END"), "error: expected WHEN but found 'END'");
}

Test(expr, function_calls)
{
    EXPECT_EXPR("f()", "f()");
    EXPECT_EXPR("upper(name)", "upper(name)");
    EXPECT_EXPR("COUNT(*)", "COUNT(*)");
    EXPECT_EXPR("count(DISTINCT a, b)", "count(DISTINCT a, b)");
    EXPECT_EXPR("sum(ALL x)", "sum(x)");
    EXPECT_EXPR("SUM(x) FILTER (WHERE x > 0)", "SUM(x) FILTER (WHERE (x > 0))");
    EXPECT_EXPR("mycat.mydb.fn(1, 'a')", "mycat.mydb.fn(1, 'a')");
    EXPECT_EXPR("LEFT(s, 2) || RIGHT(s, 1)", "(LEFT(s, 2) || RIGHT(s, 1))");
    EXPECT_EXPR("IF(a > 1, 'x', 'y')", "IF((a > 1), 'x', 'y')");
    EXPECT_EXPR("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP()");
    EXPECT_EXPR("current_date + 1", "(CURRENT_DATE() + 1)");
    EXPECT_EXPR("TIMESTAMP(x)", "TIMESTAMP(x)");
    EXPECT_EXPR("DATE_FORMAT(ts, 'yyyy')", "DATE_FORMAT(ts, 'yyyy')");
    EXPECT_EXPR("PROCTIME()", "PROCTIME()");
    wr_ast_expr *e = expr_tree("COUNT(*)");
    cr_expect(e->call.star);
    cr_expect_eq(e->call.nargs, 0);
    e = expr_tree("count(distinct x) filter (where y)");
    cr_expect(e->call.distinct);
    cr_expect_not_null(e->call.filter);
    e = expr_tree("CURRENT_TIMESTAMP");
    cr_expect_eq(e->kind, WR_AST_CALL);
    cr_expect_str_eq(e->call.name, "CURRENT_TIMESTAMP");
}

Test(expr, special_forms)
{
    EXPECT_EXPR("EXTRACT(YEAR FROM ts)", "EXTRACT('YEAR', ts)");
    EXPECT_EXPR("extract(day from ts + 1)", "EXTRACT('DAY', (ts + 1))");
    EXPECT_EXPR("TRIM(s)", "TRIM('BOTH', ' ', s)");
    EXPECT_EXPR("TRIM(LEADING 'x' FROM s)", "TRIM('LEADING', 'x', s)");
    EXPECT_EXPR("TRIM(TRAILING FROM s)", "TRIM('TRAILING', ' ', s)");
    EXPECT_EXPR("TRIM('xy' FROM s)", "TRIM('BOTH', 'xy', s)");
    EXPECT_EXPR("TRIM(BOTH FROM s)", "TRIM('BOTH', ' ', s)");
    EXPECT_EXPR("SUBSTRING(s FROM 2)", "SUBSTRING(s, 2)");
    EXPECT_EXPR("SUBSTRING(s FROM 2 FOR 3)", "SUBSTRING(s, 2, 3)");
    EXPECT_EXPR("SUBSTRING(s, 2, 3)", "SUBSTRING(s, 2, 3)");
    EXPECT_EXPR("POSITION('a' IN s)", "POSITION('a', s)");
    EXPECT_EXPR("POSITION(a || b IN s)", "POSITION((a || b), s)");
    /* the comma forms give the same calls */
    EXPECT_EXPR("EXTRACT('YEAR', ts)", "EXTRACT('YEAR', ts)");
    EXPECT_EXPR("TRIM('LEADING', 'x', s)", "TRIM('LEADING', 'x', s)");
    EXPECT_EXPR("POSITION('a', s)", "POSITION('a', s)");
    EXPECT_EXPR("CURRENT_TIMESTAMP()", "CURRENT_TIMESTAMP()");
    /* without parentheses these words are plain names */
    EXPECT_EXPR("position + trim", "(position + trim)");
    wr_ast_expr *e = expr_tree("EXTRACT(HOUR FROM ts)");
    cr_assert_eq(e->kind, WR_AST_CALL);
    cr_expect_str_eq(e->call.name, "EXTRACT");
    cr_assert_eq(e->call.nargs, 2);
    cr_expect_eq(e->call.args[0]->kind, WR_AST_LITERAL);
    cr_expect_eq(e->call.args[0]->lit.kind, WR_LIT_STRING);
    cr_expect_str_eq(e->call.args[0]->lit.text, "HOUR");
    cr_expect_eq(e->call.args[0]->pos, 8);
    cr_expect_str_eq(expr("TRIM(LEADING s)"), "error: expected FROM but found ')'");
    cr_expect_str_eq(expr("EXTRACT(FOO FROM ts)"),
                     "error: expected a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...) "
                     "but found 'FOO'");
}

Test(expr, scalar_subquery)
{
    EXPECT_EXPR("(SELECT max(a) FROM t) + 1", "((SELECT max(a) FROM t) + 1)");
    EXPECT_EXPR("((SELECT 1))", "(SELECT 1)");
    EXPECT_EXPR("(VALUES (1))", "(VALUES (1))");
}

Test(expr, positions)
{
    const char *sql = "a +  b * 2";
    wr_ast_expr *e = expr_tree(sql);
    cr_assert_eq(e->kind, WR_AST_BINARY);
    cr_expect_eq(e->pos, 0);
    cr_expect_eq(e->end, 10);
    cr_expect_eq(e->binary.op_pos, 2);
    cr_expect_eq(e->binary.right->pos, 5);
    cr_expect_eq(e->binary.right->binary.op_pos, 7);
    cr_expect_eq(e->binary.right->binary.right->pos, 9);
    cr_expect_eq(e->binary.right->binary.right->end, 10);

    e = expr_tree("(a + b) * c");
    cr_expect_eq(e->pos, 0);
    cr_expect_eq(e->binary.left->pos, 0);
    cr_expect_eq(e->binary.left->end, 7);
    cr_expect_eq(e->binary.left->binary.left->pos, 1);

    e = expr_tree("  CAST(x AS INT)  ");
    cr_expect_eq(e->pos, 2);
    cr_expect_eq(e->end, 16);
    cr_expect_eq(e->cast.type.pos, 12);
    cr_expect_eq(e->cast.arg->pos, 7);

    e = expr_tree("f(a, bb) FILTER (WHERE c)");
    cr_expect_eq(e->end, 25);
    cr_expect_eq(e->call.args[1]->pos, 5);
    cr_expect_eq(e->call.args[1]->end, 7);

    e = expr_tree("x IS NOT NULL");
    cr_expect_eq(e->pos, 0);
    cr_expect_eq(e->end, 13);
    e = expr_tree("-x");
    cr_expect_eq(e->pos, 0);
    cr_expect_eq(e->unary.arg->pos, 1);
    e = expr_tree("t.`a b`");
    cr_expect_eq(e->end, 7);
    e = expr_tree("'abc'");
    cr_expect_eq(e->end, 5);
}

/* ---- types -------------------------------------------------------------- */

static const char *cast_type(const char *type)
{
    char sql[200];
    snprintf(sql, sizeof(sql), "CAST(x AS %s)", type);
    const char *d = expr(sql);
    if (strncmp(d, "CAST(x AS ", 10) != 0) return d;
    return wr_arena_strndup(&arena, d + 10, strlen(d) - 11);
}

Test(types, canonical_names)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"BOOLEAN", "BOOLEAN"},
        {"tinyint", "TINYINT"},
        {"SMALLINT", "SMALLINT"},
        {"INT", "INT"},
        {"INTEGER", "INT"},
        {"BIGINT", "BIGINT"},
        {"FLOAT", "FLOAT"},
        {"REAL", "FLOAT"},
        {"DOUBLE", "DOUBLE"},
        {"DOUBLE PRECISION", "DOUBLE"},
        {"DECIMAL", "DECIMAL"},
        {"DECIMAL(10)", "DECIMAL(10)"},
        {"DEC(10, 2)", "DECIMAL(10, 2)"},
        {"NUMERIC(38,18)", "DECIMAL(38, 18)"},
        {"CHAR", "CHAR"},
        {"CHAR(3)", "CHAR(3)"},
        {"CHARACTER(3)", "CHAR(3)"},
        {"VARCHAR", "VARCHAR"},
        {"VARCHAR(100)", "VARCHAR(100)"},
        {"CHARACTER VARYING(5)", "VARCHAR(5)"},
        {"CHAR VARYING(5)", "VARCHAR(5)"},
        {"STRING", "STRING"},
        {"BYTES", "BYTES"},
        {"BINARY(4)", "BINARY(4)"},
        {"VARBINARY(8)", "VARBINARY(8)"},
        {"DATE", "DATE"},
        {"TIME", "TIME"},
        {"TIME(3)", "TIME(3)"},
        {"TIME WITHOUT TIME ZONE", "TIME"},
        {"TIMESTAMP", "TIMESTAMP"},
        {"TIMESTAMP(3)", "TIMESTAMP(3)"},
        {"TIMESTAMP(6) WITHOUT TIME ZONE", "TIMESTAMP(6)"},
        {"TIMESTAMP WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ"},
        {"TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)"},
        {"TIMESTAMP_LTZ(3)", "TIMESTAMP_LTZ(3)"},
        {"INT NOT NULL", "INT NOT NULL"},
        {"STRING NULL", "STRING"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_str_eq(cast_type(cases[i].in), cases[i].out, "for %s", cases[i].in);
}

Test(types, fields)
{
    wr_ast_expr *e = expr_tree("CAST(x AS DECIMAL(10, 2) NOT NULL)");
    cr_expect_str_eq(e->cast.type.name, "DECIMAL");
    cr_expect_eq(e->cast.type.nparams, 2);
    cr_expect_eq(e->cast.type.params[0], 10);
    cr_expect_eq(e->cast.type.params[1], 2);
    cr_expect(e->cast.type.not_null);
    e = expr_tree("CAST(x AS STRING)");
    cr_expect_eq(e->cast.type.nparams, 0);
    cr_expect_not(e->cast.type.not_null);
}

Test(types, errors)
{
    cr_expect_str_eq(cast_type("INT(11)"), "error: type INT takes no parameters");
    cr_expect_str_eq(cast_type("RAW('a', 'b')"), "error: type RAW is not supported yet");
    cr_expect_str_eq(cast_type("WIDGET"), "error: expected a data type but found 'WIDGET'");
    cr_expect_str_eq(cast_type("VARCHAR(1, 2)"), "error: expected ')' but found ','");
    cr_expect_str_eq(cast_type("VARCHAR(x)"), "error: expected a type parameter but found 'x'");
    cr_expect_str_eq(cast_type("VARCHAR(99999999999)"), "error: a type parameter is out of range");
    cr_expect_str_eq(cast_type("TIMESTAMP WITH TIME ZONE"),
                     "error: TIMESTAMP WITH TIME ZONE is not supported; use TIMESTAMP_LTZ");
    cr_expect_str_eq(cast_type("TIMESTAMP WITH LOCAL ZONE"),
                     "error: expected TIME but found 'ZONE'");
}

/* ---- queries ------------------------------------------------------------ */

Test(query, select_clauses)
{
    EXPECT_STMTS("SELECT 1", "SELECT 1");
    EXPECT_STMTS("select distinct a, b as x, c y, t.* from t",
                 "SELECT DISTINCT a, b AS x, c AS y, t.* FROM t");
    EXPECT_STMTS("SELECT ALL * FROM t", "SELECT * FROM t");
    EXPECT_STMTS(
        "SELECT a, count(*) AS n FROM t WHERE a > 1 GROUP BY a, b HAVING count(*) > 2",
        "SELECT a, count(*) AS n FROM t WHERE (a > 1) GROUP BY a, b HAVING (count(*) > 2)");
    EXPECT_STMTS("SELECT `from` FROM `order`", "SELECT `from` FROM `order`");
    EXPECT_STMTS("SELECT a AS `my col` FROM t", "SELECT a AS `my col` FROM t");
    EXPECT_STMTS("SELECT window_start, key FROM t", "SELECT window_start, key FROM t");
}

Test(query, select_tree)
{
    const char *sql = "SELECT a AS x, b FROM t";
    wr_ast_stmt *s = stmt_tree(sql);
    cr_assert_eq(s->kind, WR_STMT_QUERY);
    wr_ast_query *q = s->query.query;
    cr_assert_eq(q->kind, WR_QUERY_SELECT);
    cr_assert_eq(q->select.nitems, 2);
    cr_expect_str_eq(q->select.items[0].alias, "x");
    cr_expect_eq(q->select.items[0].alias_pos, 12);
    cr_expect_null(q->select.items[1].alias);
    cr_expect_eq(q->select.from->kind, WR_FROM_TABLE);
    cr_expect_eq(q->select.from->pos, 22);
    cr_expect_null(q->select.where);
    cr_expect_null(q->limit);
}

Test(query, order_limit_offset_fetch)
{
    EXPECT_STMTS("SELECT a FROM t ORDER BY a DESC NULLS LAST, b ASC NULLS FIRST, c LIMIT 10",
                 "SELECT a FROM t ORDER BY a DESC NULLS LAST, b NULLS FIRST, c LIMIT 10");
    EXPECT_STMTS("SELECT a FROM t LIMIT 10 OFFSET 5", "SELECT a FROM t LIMIT 10 OFFSET 5");
    EXPECT_STMTS("SELECT a FROM t OFFSET 5 ROWS FETCH NEXT 3 ROWS ONLY",
                 "SELECT a FROM t LIMIT 3 OFFSET 5");
    EXPECT_STMTS("SELECT a FROM t FETCH FIRST 1 ROW ONLY", "SELECT a FROM t LIMIT 1");
    EXPECT_STMTS("SELECT a FROM t FETCH FIRST ROW ONLY", "SELECT a FROM t LIMIT 1");
    EXPECT_STMTS("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 LIMIT 2",
                 "(SELECT a FROM t) UNION (SELECT b FROM u) ORDER BY 1 LIMIT 2");
    EXPECT_STMTS("(SELECT a FROM t ORDER BY a LIMIT 1) UNION ALL (SELECT b FROM u)",
                 "(SELECT a FROM t ORDER BY a LIMIT 1) UNION ALL (SELECT b FROM u)");
    wr_ast_stmt *s = stmt_tree("SELECT a FROM t ORDER BY a DESC NULLS FIRST");
    cr_assert_eq(s->query.query->norder_by, 1);
    cr_expect(s->query.query->order_by[0].desc);
    cr_expect_eq(s->query.query->order_by[0].nulls, 1);
}

Test(query, set_operations)
{
    EXPECT_STMTS("SELECT 1 UNION SELECT 2 UNION ALL SELECT 3",
                 "((SELECT 1) UNION (SELECT 2)) UNION ALL (SELECT 3)");
    EXPECT_STMTS("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3",
                 "(SELECT 1) UNION ((SELECT 2) INTERSECT (SELECT 3))");
    EXPECT_STMTS("SELECT 1 INTERSECT SELECT 2 EXCEPT SELECT 3",
                 "((SELECT 1) INTERSECT (SELECT 2)) EXCEPT (SELECT 3)");
    EXPECT_STMTS("SELECT 1 EXCEPT DISTINCT (SELECT 2 UNION SELECT 3)",
                 "(SELECT 1) EXCEPT ((SELECT 2) UNION (SELECT 3))");
    EXPECT_STMTS("VALUES (1, 'a'), (2, 'b') UNION ALL SELECT 3, 'c'",
                 "(VALUES (1, 'a'), (2, 'b')) UNION ALL (SELECT 3, 'c')");
    wr_ast_stmt *s = stmt_tree("SELECT 1 INTERSECT ALL SELECT 2");
    cr_expect_eq(s->query.query->kind, WR_QUERY_SETOP);
    cr_expect_eq(s->query.query->setop.op, WR_SETOP_INTERSECT);
    cr_expect(s->query.query->setop.all);
}

Test(query, values)
{
    EXPECT_STMTS("VALUES (1, 'a'), (2, NULL)", "VALUES (1, 'a'), (2, NULL)");
    wr_ast_stmt *s = stmt_tree("VALUES (1, 2, 3), (4, 5, 6)");
    wr_ast_query *q = s->query.query;
    cr_assert_eq(q->kind, WR_QUERY_VALUES);
    cr_expect_eq(q->values.nrows, 2);
    cr_expect_eq(q->values.ncols, 3);
    cr_expect_str_eq(q->values.rows[1][2]->lit.text, "6");
    expect_error("VALUES (1, 2), (3)", 1, 16,
                 "this VALUES row has 1 column(s) but the first row has 2");
}

Test(query, with_clause)
{
    EXPECT_STMTS("WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b",
                 "WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b");
    EXPECT_STMTS("WITH a AS (SELECT 1) SELECT * FROM a UNION SELECT 2",
                 "WITH a AS (SELECT 1) (SELECT * FROM a) UNION (SELECT 2)");
    wr_ast_stmt *s = stmt_tree("WITH q AS (VALUES (1)) SELECT * FROM q");
    cr_assert_eq(s->query.query->nctes, 1);
    cr_expect_str_eq(s->query.query->ctes[0].name, "q");
    cr_expect_eq(s->query.query->ctes[0].pos, 5);
    cr_expect_eq(s->query.query->pos, 0);
}

Test(query, from_and_joins)
{
    EXPECT_STMTS("SELECT * FROM cat.db.t AS x", "SELECT * FROM cat.db.t AS x");
    EXPECT_STMTS("SELECT * FROM a, b c, d AS e",
                 "SELECT * FROM a CROSS JOIN b AS c CROSS JOIN d AS e");
    EXPECT_STMTS("SELECT * FROM a JOIN b ON a.id = b.id",
                 "SELECT * FROM a INNER JOIN b ON (a.id = b.id)");
    EXPECT_STMTS("SELECT * FROM a INNER JOIN b USING (id, k)",
                 "SELECT * FROM a INNER JOIN b USING (id, k)");
    EXPECT_STMTS("SELECT * FROM a LEFT OUTER JOIN b ON x RIGHT JOIN c ON y FULL JOIN d ON z",
                 "SELECT * FROM a LEFT JOIN b ON x RIGHT JOIN c ON y FULL JOIN d ON z");
    EXPECT_STMTS("SELECT * FROM a CROSS JOIN b", "SELECT * FROM a CROSS JOIN b");
    EXPECT_STMTS("SELECT * FROM (SELECT 1 AS x) s JOIN (VALUES (2)) AS v ON TRUE",
                 "SELECT * FROM (SELECT 1 AS x) AS s INNER JOIN (VALUES (2)) AS v ON TRUE");
    EXPECT_STMTS("SELECT * FROM (SELECT 1)", "SELECT * FROM (SELECT 1)");

    wr_ast_stmt *s = stmt_tree("SELECT * FROM a x LEFT JOIN b USING (k), c");
    wr_ast_from *f = s->query.query->select.from;
    cr_assert_eq(f->kind, WR_FROM_JOIN);
    cr_expect_eq(f->join.kind, WR_JOIN_CROSS);
    cr_expect_eq(f->join.right->kind, WR_FROM_TABLE);
    wr_ast_from *l = f->join.left;
    cr_assert_eq(l->kind, WR_FROM_JOIN);
    cr_expect_eq(l->join.kind, WR_JOIN_LEFT);
    cr_expect_null(l->join.on);
    cr_expect_eq(l->join.nusing, 1);
    cr_expect_str_eq(l->join.using_cols[0], "k");
    cr_expect_str_eq(l->join.left->alias, "x");
    cr_expect_eq(l->join.left->alias_pos, 16);
    cr_expect_eq(l->pos, 14);
}

Test(query, subqueries_in_expressions)
{
    EXPECT_STMTS("SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE u.c = t.c) AND EXISTS "
                 "(SELECT 1 FROM v)",
                 "SELECT a FROM t WHERE ((a IN (SELECT b FROM u WHERE (u.c = t.c))) AND EXISTS "
                 "(SELECT 1 FROM v))");
}

/* ---- statements --------------------------------------------------------- */

Test(stmt, create_table_full)
{
    const char *sql = "CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.orders (\n"
                      "  id BIGINT NOT NULL,\n"
                      "  `user` STRING COMMENT 'who',\n"
                      "  price DECIMAL(10, 2),\n"
                      "  total AS price * 2 COMMENT 'derived',\n"
                      "  ts TIMESTAMP(3),\n"
                      "  kts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,\n"
                      "  part INT METADATA,\n"
                      "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,\n"
                      "  CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED\n"
                      ") COMMENT 'orders' PARTITIONED BY (id, price) WITH (\n"
                      "  'connector' = 'kafka', 'topic' = 'o''s'\n"
                      ");";
    cr_expect_str_eq(
        stmts(sql),
        "CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.orders (id BIGINT NOT NULL, user STRING "
        "COMMENT 'who', price DECIMAL(10, 2), total AS (price * 2) COMMENT 'derived', ts "
        "TIMESTAMP(3), kts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL, part INT METADATA, "
        "WATERMARK FOR ts AS (ts - INTERVAL '5' SECOND), PRIMARY KEY (id) NOT ENFORCED) COMMENT "
        "'orders' PARTITIONED BY (id, price) WITH ('connector' = 'kafka', 'topic' = 'o''s')");

    wr_ast_stmt *s = stmt_tree(sql);
    cr_assert_eq(s->kind, WR_STMT_CREATE_TABLE);
    cr_expect(s->create_table.temporary);
    cr_expect(s->create_table.if_not_exists);
    cr_expect_eq(s->create_table.nname_parts, 3);
    cr_expect_eq(s->create_table.name_pos, 37);
    cr_assert_eq(s->create_table.ncolumns, 7);
    const wr_ast_column_def *c = s->create_table.columns;
    cr_expect_str_eq(c[0].name, "id");
    cr_expect(c[0].type.not_null);
    cr_expect_str_eq(c[1].name, "user");
    cr_expect_str_eq(c[1].comment, "who");
    cr_expect_null(c[3].type.name);
    cr_expect_not_null(c[3].computed);
    cr_expect(c[5].metadata);
    cr_expect(c[5].is_virtual);
    cr_expect_str_eq(c[5].metadata_key, "timestamp");
    cr_expect(c[6].metadata);
    cr_expect_null(c[6].metadata_key);
    cr_expect_not(c[6].is_virtual);
    cr_expect_str_eq(s->create_table.watermark_column, "ts");
    int line, col;
    wr_text_position(sql, s->create_table.watermark_pos, &line, &col);
    cr_expect(line == 9 && col == 17, "watermark at %d:%d", line, col);
    wr_text_position(sql, s->create_table.primary_key_pos, &line, &col);
    cr_expect(line == 10 && col == 17, "primary key at %d:%d", line, col);
    cr_expect_eq(s->create_table.nprimary_key, 1);
    cr_expect_eq(s->create_table.npartitioned_by, 2);
    cr_expect_eq(s->create_table.noptions, 2);
    cr_expect_str_eq(s->create_table.options[1].value, "o's");
    cr_expect_eq(s->create_table.options[0].key_pos, (int)(strstr(sql, "'connector'") - sql));
    cr_expect_eq(s->end, (int)strlen(sql) - 1);
}

Test(stmt, create_table_variants)
{
    EXPECT_STMTS("CREATE TABLE t (a INT PRIMARY KEY NOT ENFORCED, b STRING)",
                 "CREATE TABLE t (a INT, b STRING, PRIMARY KEY (a) NOT ENFORCED)");
    EXPECT_STMTS("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b) NOT ENFORCED)",
                 "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b) NOT ENFORCED)");
    EXPECT_STMTS("CREATE TABLE t (a INT CONSTRAINT pk PRIMARY KEY NOT ENFORCED)",
                 "CREATE TABLE t (a INT, PRIMARY KEY (a) NOT ENFORCED)");
    EXPECT_STMTS("create table t (key STRING, value BYTES, name STRING, ts TIMESTAMP(3), "
                 "`timestamp` TIMESTAMP_LTZ(3), watermark INT, primary INT, comment STRING)",
                 "CREATE TABLE t (key STRING, value BYTES, name STRING, ts TIMESTAMP(3), "
                 "timestamp TIMESTAMP_LTZ(3), watermark INT, primary INT, comment STRING)");
    EXPECT_STMTS("CREATE TABLE t (a INT) WITH ()", "CREATE TABLE t (a INT)");
    wr_ast_stmt *s = stmt_tree("CREATE TABLE t (a INT)");
    cr_expect_null(s->create_table.options);
    cr_expect_eq(s->create_table.watermark_pos, -1);
    cr_expect_eq(s->create_table.primary_key_pos, -1);
}

Test(stmt, create_table_errors)
{
    expect_error("CREATE TABLE t (a INT, PRIMARY KEY (a))", 1, 39, "expected NOT ENFORCED");
    expect_error("CREATE TABLE t (a INT PRIMARY KEY, PRIMARY KEY (a) NOT ENFORCED)", 1, 34,
                 "expected NOT ENFORCED");
    expect_error("CREATE TABLE t (a INT PRIMARY KEY NOT ENFORCED, PRIMARY KEY (a) NOT ENFORCED)", 1,
                 49, "a table may have only one PRIMARY KEY");
    expect_error("CREATE TABLE t (a TIMESTAMP(3), WATERMARK FOR a AS a, WATERMARK FOR a AS a)", 1,
                 55, "a table may have only one WATERMARK");
    expect_error("CREATE TABLE t (a INT) WITH (connector = 'x')", 1, 30,
                 "expected an option key string but found 'connector'");
    expect_error("CREATE TABLE t (a INT) WITH ('connector' 'x')", 1, 42, "expected '='");
    expect_error("CREATE TABLE t (a INT,)", 1, 23, "expected a column name but found ')'");
    expect_error("CREATE TABLE t (a INT METADATA FROM key)", 1, 37,
                 "expected a metadata key string but found 'key'");
    expect_error("CREATE TABLE t WITH ('a' = 'b')", 1, 16, "expected '(' but found 'WITH'");
    expect_error("CREATE TABLE t (a INT CONSTRAINT pk PRIMARY", 1, 44,
                 "unexpected end of input, expected KEY");
    expect_error("CREATE TABLE t (a INT CONSTRAINT pk PRIMARY KEY)", 1, 48,
                 "expected NOT ENFORCED");
    expect_error("CREATE MODEL m", 1, 8,
                 "expected TABLE, VIEW, FUNCTION or INDEX but found 'MODEL'");
    expect_error("CREATE TEMPORARY INDEX i ON t (a)", 1, 18,
                 "expected TABLE, VIEW or FUNCTION but found 'INDEX'");
}

Test(stmt, create_view_and_drop)
{
    EXPECT_STMTS("CREATE VIEW v AS SELECT a FROM t", "CREATE VIEW v AS SELECT a FROM t");
    EXPECT_STMTS("create temporary view if not exists db.v as (select 1) union select 2",
                 "CREATE TEMPORARY VIEW IF NOT EXISTS db.v AS (SELECT 1) UNION (SELECT 2)");
    EXPECT_STMTS("DROP TABLE t", "DROP TABLE t");
    EXPECT_STMTS("DROP TEMPORARY VIEW IF EXISTS db.v", "DROP TEMPORARY VIEW IF EXISTS db.v");
    EXPECT_STMTS("drop function if exists f", "DROP FUNCTION IF EXISTS f");
    wr_ast_stmt *s = stmt_tree("DROP TABLE IF EXISTS a.b");
    cr_expect_str_eq(s->drop.what, "TABLE");
    cr_expect(s->drop.if_exists);
    cr_expect_not(s->drop.temporary);
    cr_expect_eq(s->drop.name_pos, 21);
    s = stmt_tree("CREATE VIEW v AS VALUES (1)");
    cr_expect_eq(s->kind, WR_STMT_CREATE_VIEW);
    cr_expect_eq(s->create_view.query->kind, WR_QUERY_VALUES);
    expect_error("DROP DATABASE d", 1, 6,
                 "expected TABLE, VIEW, FUNCTION or INDEX but found 'DATABASE'");
    /* a table called "if" is still possible */
    EXPECT_STMTS("DROP TABLE if", "DROP TABLE if");
}

Test(stmt, set_and_reset)
{
    EXPECT_STMTS("SET 'execution.runtime-mode' = 'batch'",
                 "SET 'execution.runtime-mode' = 'batch'");
    EXPECT_STMTS("SET", "SET");
    EXPECT_STMTS("RESET", "RESET");
    EXPECT_STMTS("RESET 'a.b'", "RESET 'a.b'");
    EXPECT_STMTS("SET execution.runtime-mode = batch; SET table.exec.mini-batch.allow-latency = 5s",
                 "SET 'execution.runtime-mode' = 'batch' | SET "
                 "'table.exec.mini-batch.allow-latency' = '5s'");
    EXPECT_STMTS("SET parallelism.default = 4", "SET 'parallelism.default' = '4'");
    wr_ast_stmt *s = stmt_tree("SET 'k' = 'v'");
    cr_expect_eq(s->kind, WR_STMT_SET);
    cr_expect_str_eq(s->set.key, "k");
    cr_expect_eq(s->set.key_pos, 4);
    cr_expect_eq(s->set.value_pos, 10);
    s = stmt_tree("SET;");
    cr_expect_null(s->set.key);
    cr_expect_null(s->set.value);
    cr_expect_eq(s->set.key_pos, -1);
    s = stmt_tree("RESET 'k'");
    cr_expect_eq(s->kind, WR_STMT_RESET);
    cr_expect_null(s->set.value);
    expect_error("SET 'k'", 1, 8, "unexpected end of input, expected '='");
    expect_error("SET 'k' = ", 1, 11, "expected a value string");
}

Test(stmt, insert)
{
    EXPECT_STMTS("INSERT INTO t SELECT * FROM s", "INSERT INTO t SELECT * FROM s");
    EXPECT_STMTS("INSERT INTO db.t (a, b) VALUES (1, 2)", "INSERT INTO db.t (a, b) VALUES (1, 2)");
    EXPECT_STMTS("INSERT OVERWRITE t (SELECT 1)", "INSERT OVERWRITE t SELECT 1");
    EXPECT_STMTS("INSERT INTO t WITH q AS (SELECT 1) SELECT * FROM q",
                 "INSERT INTO t WITH q AS (SELECT 1) SELECT * FROM q");
    wr_ast_stmt *s = stmt_tree("INSERT INTO t (a) SELECT 1");
    cr_expect_eq(s->kind, WR_STMT_INSERT);
    cr_expect_eq(s->insert.table_pos, 12);
    cr_expect_eq(s->insert.ncolumns, 1);
    cr_expect_not(s->insert.overwrite);
    expect_error("INSERT t SELECT 1", 1, 8, "expected INTO but found 't'");
    expect_error("INSERT INTO t", 1, 14,
                 "unexpected end of input, expected a query (SELECT, VALUES, WITH or '(')");
}

Test(stmt, show_describe_explain)
{
    EXPECT_STMTS("SHOW TABLES; show views; SHOW FUNCTIONS; SHOW DATABASES; SHOW CATALOGS",
                 "SHOW TABLES | SHOW VIEWS | SHOW FUNCTIONS | SHOW DATABASES | SHOW CATALOGS");
    EXPECT_STMTS("SHOW CREATE TABLE db.t; SHOW CREATE VIEW v",
                 "SHOW CREATE TABLE db.t | SHOW CREATE VIEW v");
    EXPECT_STMTS("SHOW CURRENT DATABASE; SHOW USER FUNCTIONS; SHOW COLUMNS FROM t",
                 "SHOW CURRENT DATABASE | SHOW USER FUNCTIONS | SHOW COLUMNS FROM t");
    EXPECT_STMTS("DESCRIBE t; DESC cat.db.t", "DESCRIBE t | DESCRIBE cat.db.t");
    EXPECT_STMTS("EXPLAIN SELECT 1", "EXPLAIN SELECT 1");
    EXPECT_STMTS("EXPLAIN PLAN FOR INSERT INTO t SELECT 1", "EXPLAIN INSERT INTO t SELECT 1");
    EXPECT_STMTS("EXPLAIN STATEMENT SET BEGIN INSERT INTO t SELECT 1; END",
                 "EXPLAIN EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END");
    wr_ast_stmt *s = stmt_tree("SHOW CREATE TABLE a.b");
    cr_expect_str_eq(s->show.what, "CREATE TABLE");
    cr_expect_eq(s->show.nname_parts, 2);
    s = stmt_tree("EXPLAIN SELECT 1");
    cr_expect_eq(s->explain.stmt->kind, WR_STMT_QUERY);
    cr_expect_eq(s->explain.stmt->pos, 8);
    expect_error("SHOW STUFF", 1, 6, "expected TABLES, VIEWS");
    expect_error("EXPLAIN DROP TABLE t", 1, 9,
                 "expected a query, INSERT or STATEMENT SET but found 'DROP'");
    expect_error("DESCRIBE", 1, 9, "unexpected end of input, expected a table name");
}

Test(stmt, statement_set)
{
    const char *sql = "EXECUTE STATEMENT SET\nBEGIN\n  INSERT INTO a SELECT 1;\n"
                      "  INSERT INTO b SELECT 2;\nEND;";
    EXPECT_STMTS(sql,
                 "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END");
    wr_ast_stmt *s = stmt_tree(sql);
    cr_assert_eq(s->kind, WR_STMT_STATEMENT_SET);
    cr_assert_eq(s->statement_set.nstmts, 2);
    cr_expect_eq(s->statement_set.stmts[1]->pos, (int)(strstr(sql, "INSERT INTO b") - sql));
    cr_expect_eq(s->end, (int)strlen(sql) - 1);
    EXPECT_STMTS("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1 END",
                 "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; END");
    expect_error("EXECUTE STATEMENT SET BEGIN END", 1, 29, "expected INSERT but found 'END'");
    expect_error("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; SELECT 2; END", 1, 53,
                 "expected INSERT or END but found 'SELECT'");
    expect_error("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;", 1, 52,
                 "unexpected end of input, expected INSERT or END");
}

Test(stmt, script_offsets_and_empty_statements)
{
    const char *sql = " ;; -- lead\nSELECT 1;\n\n  /* c */ SELECT 2 ;; ;\n-- trailing\n";
    int offset = 0;
    wr_error err;
    wr_error_init(&err);
    wr_ast_stmt *s;
    cr_assert_eq(wr_sql_parse_next(sql, &offset, &arena, &s, &err), 1);
    cr_expect_eq(s->pos, 12);
    cr_expect_eq(s->end, 20);
    cr_expect_eq(offset, 21);
    cr_assert_eq(wr_sql_parse_next(sql, &offset, &arena, &s, &err), 1);
    int line, col;
    wr_text_position(sql, s->pos, &line, &col);
    cr_expect(line == 4 && col == 11, "second statement at %d:%d", line, col);
    cr_expect_eq(sql[s->end - 1], '2');
    cr_assert_eq(wr_sql_parse_next(sql, &offset, &arena, &s, &err), 0);
    cr_expect_null(s);
    offset = 0;
    cr_expect_eq(wr_sql_parse_next("", &offset, &arena, &s, &err), 0);
    offset = 0;
    cr_expect_eq(wr_sql_parse_next("  -- only a comment", &offset, &arena, &s, &err), 0);
    offset = 0;
    cr_expect_eq(wr_sql_parse_next("SELECT 1", &offset, &arena, &s, &err), 1);
    cr_expect_eq(offset, 8);
}

Test(stmt, error_leaves_offset_unchanged)
{
    const char *sql = "SELECT 1; SELECT FROM t; SELECT 3";
    int offset = 0;
    wr_error err;
    wr_error_init(&err);
    wr_ast_stmt *s;
    cr_assert_eq(wr_sql_parse_next(sql, &offset, &arena, &s, &err), 1);
    cr_assert_eq(offset, 9);
    cr_assert_eq(wr_sql_parse_next(sql, &offset, &arena, &s, &err), WR_ERR_PARSE);
    cr_expect_eq(offset, 9);
    cr_expect_eq(err.offset, 17);
    cr_expect_str_eq(err.msg, "expected an expression but found 'FROM'");
    /* a lexical error in a later statement does not spoil an earlier one */
    offset = 0;
    cr_expect_eq(wr_sql_parse_next("SELECT 1; SELECT 'oops", &offset, &arena, &s, &err), 1);
    cr_expect_eq(wr_sql_parse_next("SELECT 1; SELECT 'oops", &offset, &arena, &s, &err),
                 WR_ERR_PARSE);
    cr_expect_str_eq(err.msg, "unterminated string literal");
    cr_expect_eq(err.offset, 17);
}

/* ---- errors ------------------------------------------------------------- */

Test(errors, messages_and_positions)
{
    expect_error("SELECT (a + b FROM t", 1, 15, "expected ')' but found 'FROM'");
    expect_error("SELECT a FROM t WHERE", 1, 22, "unexpected end of input, expected an expression");
    expect_error("SELECT a,\n  b +\n  FROM t", 3, 3, "expected an expression but found 'FROM'");
    expect_error("SELECT 'abc\n", 1, 8, "unterminated string literal");
    expect_error("SELECT a /* never closed\n FROM t", 1, 10, "unterminated comment");
    expect_error("SELECT a\nFROM t\nWHERE a = #", 3, 11, "unexpected character '#'");
    expect_error("SELECT \"a\" FROM t", 1, 8, "unexpected character '\"'");
    expect_error("SELECT a FROM t JOIN u", 1, 23, "expected ON or USING");
    expect_error("SELECT a FROM t JOIN u WHERE x", 1, 24, "expected ON or USING but found 'WHERE'");
    expect_error("SELECT a b c FROM t", 1, 12, "expected ';' or end of input but found 'c'");
    expect_error("UPDATE t SET a = 1", 1, 1, "expected a statement (SELECT, INSERT");
    expect_error("SELECT a FROM a.b.c.d", 1, 21, "a name has at most 3 parts");
    expect_error("SELECT CAST(a AS INT FROM t", 1, 22, "expected ')' but found 'FROM'");
    expect_error("SELECT a IS 5", 1, 13,
                 "expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM but found '5'");
    expect_error("SELECT a BETWEEN 1 OR 2", 1, 20, "expected AND but found 'OR'");
    expect_error("SELECT a FROM t ORDER BY a NULLS", 1, 33, "expected FIRST or LAST");
    expect_error("(SELECT a FROM t ORDER BY a) ORDER BY b", 1, 30,
                 "a query may have only one ORDER BY");
    expect_error("SELECT a FROM t LIMIT 1 LIMIT 2", 1, 25, "a query may have only one LIMIT");
    expect_error("SELECT a FROM t FETCH FIRST 2 ROWS", 1, 35, "expected ONLY");
    expect_error("SELECT * FROM (a JOIN b ON x)", 1, 16, "expected a query");
    expect_error("SELECT 1 UNION", 1, 15, "expected SELECT, VALUES or '('");
    expect_error("SELECT x.", 1, 10, "expected an identifier after '.'");
    expect_error("SELECT f(a,", 1, 12, "unexpected end of input, expected an expression");
    expect_error("SELECT 'a' 'b'", 1, 12,
                 "expected ';' or end of input but found string "
                 "literal 'b'");
    expect_error("SELECT a FROM t WHERE a IN ()", 1, 29, "expected an expression but found ')'");
}

Test(errors, long_token_is_truncated_in_message)
{
    char sql[300];
    memset(sql, 0, sizeof(sql));
    strcpy(sql, "CREATE ");
    memset(sql + 7, 'x', 200);
    const char *d = stmts(sql);
    cr_expect(strstr(d, "but found 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'") != NULL, "%s",
              d);
}

Test(errors, parse_expr_rejects_trailing_text)
{
    cr_expect_str_eq(expr("a b"), "error: expected end of input but found 'b'");
    cr_expect_str_eq(expr(""), "error: unexpected end of input, expected an expression");
    cr_expect_str_eq(expr("a;"), "error: expected end of input but found ';'");
    wr_error err;
    wr_error_init(&err);
    wr_ast_expr *e;
    cr_expect_eq(wr_sql_parse_expr("1 +", &arena, &e, &err), WR_ERR_PARSE);
    cr_expect_null(e);
    cr_expect_eq(err.offset, 3);
}

Test(errors, reserved_words_need_quotes)
{
    cr_expect_str_eq(stmts("SELECT from FROM t"), "error: expected an expression but found 'from'");
    cr_expect_str_eq(stmts("SELECT a AS select FROM t"),
                     "error: expected an alias but found 'select'");
    cr_expect_str_eq(stmts("SELECT a AS `select` FROM t"), "SELECT a AS `select` FROM t");
}

/* ---- lexer: brackets, arrows, binary literals ---------------------------- */

Test(lexer, brackets_arrow_and_binary)
{
    wr_lex_token t[16];
    wr_error err;
    const char *text = "a[1] => X'0aFF' x'' = >";
    int n = lex_all(text, t, 16, &err);
    cr_assert_eq(n, 10);
    wr_lex_kind want[] = {WR_TOK_WORD,  WR_TOK_LBRACKET, WR_TOK_INTEGER, WR_TOK_RBRACKET,
                          WR_TOK_ARROW, WR_TOK_BINARY,   WR_TOK_BINARY,  WR_TOK_EQ,
                          WR_TOK_GT,    WR_TOK_EOF};
    for (int i = 0; i < n; i++) cr_expect_eq(t[i].kind, want[i], "token %d", i);
    cr_expect_eq(t[5].pos, 8);
    cr_expect_eq(t[5].len, 7);
    cr_expect_str_eq(wr_lex_token_text(text, &t[5], &arena), "0aFF");
    cr_expect_str_eq(wr_lex_token_text(text, &t[6], &arena), "");
    /* x alone is still a name */
    cr_assert_eq(lex_all("x + X", t, 16, &err), 4);
    cr_expect_eq(t[0].kind, WR_TOK_WORD);

    struct {
        const char *text;
        int pos;
        const char *msg;
    } cases[] = {
        {"a X'0G'", 5, "a binary literal takes only hex digits (0-9, A-F)"},
        {"a X'ABC'", 2, "a binary literal needs an even number of hex digits"},
        {"a X'AB", 2, "unterminated binary literal"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_error_init(&err);
        cr_expect_eq(lex_all(cases[i].text, t, 16, &err), -1, "%s", cases[i].text);
        cr_expect_eq(err.offset, cases[i].pos, "%s", cases[i].text);
        cr_expect_str_eq(err.msg, cases[i].msg);
    }
}

/* ---- expressions: constructors, subscripts, new operators --------------- */

Test(expr, constructors)
{
    EXPECT_EXPR("ARRAY[1, 2, 3]", "ARRAY[1, 2, 3]");
    EXPECT_EXPR("array[a + 1]", "ARRAY[(a + 1)]");
    EXPECT_EXPR("MAP['a', 1, 'b', 2]", "MAP['a', 1, 'b', 2]");
    EXPECT_EXPR("ROW(1, 'a')", "ROW(1, 'a')");
    EXPECT_EXPR("row(1)", "ROW(1)");
    EXPECT_EXPR("(1, 'a')", "(1, 'a')");
    EXPECT_EXPR("(a, b) IN (SELECT x, y FROM t)", "((a, b) IN (SELECT x, y FROM t))");
    EXPECT_EXPR("ARRAY[ARRAY[1], ARRAY[2]]", "ARRAY[ARRAY[1], ARRAY[2]]");
    /* a backquoted column called map or array is subscripted, not constructed */
    EXPECT_EXPR("`map`['k']", "map['k']");

    wr_ast_expr *e = expr_tree("MAP['a', 1]");
    cr_assert_eq(e->kind, WR_AST_CONSTRUCTOR);
    cr_expect_eq(e->ctor.kind, WR_CTOR_MAP);
    cr_expect_eq(e->ctor.nitems, 2);
    cr_expect_not(e->ctor.implicit);
    cr_expect_eq(e->end, 11);
    e = expr_tree(" (x, 2)");
    cr_assert_eq(e->kind, WR_AST_CONSTRUCTOR);
    cr_expect_eq(e->ctor.kind, WR_CTOR_ROW);
    cr_expect(e->ctor.implicit);
    cr_expect_eq(e->pos, 1);
    cr_expect_eq(e->ctor.items[1]->pos, 5);
    e = expr_tree("ROW(x)");
    cr_expect_not(e->ctor.implicit);

    cr_expect_str_eq(expr("MAP['a', 1, 'b']"),
                     "error: MAP needs keys and values in pairs, but has 3 elements");
    cr_expect_str_eq(expr("ARRAY[]"), "error: ARRAY needs at least one element");
    cr_expect_str_eq(expr("ROW()"), "error: ROW needs at least one element");
    cr_expect_str_eq(expr("ARRAY[1, 2"), "error: unexpected end of input, expected ']'");
    expect_error("SELECT x,\n  MAP['k']", 2, 3, "MAP needs keys and values in pairs");
}

Test(expr, subscripts_and_fields)
{
    EXPECT_EXPR("a[1]", "a[1]");
    EXPECT_EXPR("t.m['key']", "t.m['key']");
    EXPECT_EXPR("a[1][i + 1]", "a[1][(i + 1)]");
    EXPECT_EXPR("-a[1]", "(-a[1])");
    EXPECT_EXPR("a[1] * 2", "(a[1] * 2)");
    EXPECT_EXPR("a[1].name", "(a[1]).name");
    EXPECT_EXPR("(r).f", "(r).f");
    EXPECT_EXPR("(t.r).f.g", "((t.r).f).g");
    EXPECT_EXPR("f(x).`my field`", "(f(x)).`my field`");
    EXPECT_EXPR("ARRAY[1, 2][1]", "ARRAY[1, 2][1]");
    /* a dotted name stays a name: the binder tells columns from fields */
    EXPECT_EXPR("r.f.g", "r.f.g");

    wr_ast_expr *e = expr_tree("t.arr[2].x");
    cr_assert_eq(e->kind, WR_AST_FIELD);
    cr_expect_str_eq(e->field.name, "x");
    cr_expect_eq(e->field.name_pos, 9);
    cr_expect_eq(e->pos, 0);
    cr_expect_eq(e->end, 10);
    wr_ast_expr *sub = e->field.arg;
    cr_assert_eq(sub->kind, WR_AST_SUBSCRIPT);
    cr_expect_eq(sub->subscript.arg->kind, WR_AST_IDENT);
    cr_expect_eq(sub->subscript.arg->ident.nparts, 2);
    cr_expect_eq(sub->subscript.index->pos, 6);
    cr_expect_eq(sub->end, 8);

    cr_expect_str_eq(expr("a[1"), "error: unexpected end of input, expected ']'");
    cr_expect_str_eq(expr("a[]"), "error: expected an expression but found ']'");
    cr_expect_str_eq(expr("f(x)."),
                     "error: unexpected end of input, expected a field name after '.'");
    cr_expect_str_eq(expr("(r).f.`g"), "error: unterminated quoted identifier");
}

Test(expr, is_distinct_from)
{
    EXPECT_EXPR("a IS DISTINCT FROM b", "(a IS DISTINCT FROM b)");
    EXPECT_EXPR("a IS NOT DISTINCT FROM b + 1 AND c", "((a IS NOT DISTINCT FROM (b + 1)) AND c)");
    EXPECT_EXPR("a IS DISTINCT FROM NULL IS NULL", "((a IS DISTINCT FROM NULL) IS NULL)");
    wr_ast_expr *e = expr_tree("x  IS NOT DISTINCT FROM y");
    cr_assert_eq(e->kind, WR_AST_BINARY);
    cr_expect_eq(e->binary.op, WR_OP_IS_NOT_DISTINCT);
    cr_expect_eq(e->binary.op_pos, 3);
    cr_expect_eq(expr_tree("x IS DISTINCT FROM y")->binary.op, WR_OP_IS_DISTINCT);
    cr_expect_str_eq(expr("a IS DISTINCT b"), "error: expected FROM but found 'b'");
}

Test(expr, unit_forms_and_binary_literals)
{
    EXPECT_EXPR("FLOOR(ts TO DAY)", "FLOOR(ts, 'DAY')");
    EXPECT_EXPR("ceil(ts + 1 to hour)", "ceil((ts + 1), 'HOUR')");
    EXPECT_EXPR("CEILING(ts TO MINUTE)", "CEILING(ts, 'MINUTE')");
    EXPECT_EXPR("FLOOR(x)", "FLOOR(x)");
    EXPECT_EXPR("FLOOR(ts, 'DAY')", "FLOOR(ts, 'DAY')");
    EXPECT_EXPR("TIMESTAMPADD(DAY, 1, ts)", "TIMESTAMPADD('DAY', 1, ts)");
    EXPECT_EXPR("timestampdiff(month, a, b)", "timestampdiff('MONTH', a, b)");
    EXPECT_EXPR("TIMESTAMPADD('WEEK', 1, ts)", "TIMESTAMPADD('WEEK', 1, ts)");
    /* a column called like a unit elsewhere is still a column */
    EXPECT_EXPR("f(day, 1)", "f(day, 1)");
    EXPECT_EXPR("GROUPING(a, b) + GROUPING_ID(a) + GROUP_ID()",
                "((GROUPING(a, b) + GROUPING_ID(a)) + GROUP_ID())");
    EXPECT_EXPR("X'0aFF'", "X'0aFF'");
    EXPECT_EXPR("x'' || X'00'", "(X'' || X'00')");

    wr_ast_expr *e = expr_tree("FLOOR(ts TO  DAY)");
    cr_assert_eq(e->call.nargs, 2);
    cr_expect_eq(e->call.args[1]->lit.kind, WR_LIT_STRING);
    cr_expect_eq(e->call.args[1]->pos, 13);
    e = expr_tree("TIMESTAMPDIFF(SECOND, a, b)");
    cr_assert_eq(e->call.nargs, 3);
    cr_expect_str_eq(e->call.args[0]->lit.text, "SECOND");
    cr_expect_eq(e->call.args[0]->pos, 14);
    e = expr_tree("X'C0'");
    cr_expect_eq(e->lit.kind, WR_LIT_BINARY);
    cr_expect_str_eq(e->lit.text, "C0");
    cr_expect_str_eq(expr("FLOOR(ts TO FORTNIGHT)"),
                     "error: expected a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...) "
                     "but found 'FORTNIGHT'");
}

Test(expr, over_windows)
{
    EXPECT_EXPR("SUM(x) OVER (PARTITION BY a, b ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR "
                "PRECEDING AND CURRENT ROW)",
                "SUM(x) OVER (PARTITION BY a, b ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR "
                "PRECEDING AND CURRENT ROW)");
    EXPECT_EXPR("ROW_NUMBER() OVER (PARTITION BY k ORDER BY price DESC)",
                "ROW_NUMBER() OVER (PARTITION BY k ORDER BY price DESC)");
    EXPECT_EXPR("RANK() OVER w + DENSE_RANK() OVER (w)", "(RANK() OVER w + DENSE_RANK() OVER w)");
    EXPECT_EXPR("count(*) over (order by ts rows 10 preceding)",
                "count(*) OVER (ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)");
    EXPECT_EXPR("AVG(x) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
                "AVG(x) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)");
    EXPECT_EXPR("MAX(x) OVER (ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING)",
                "MAX(x) OVER (ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING)");
    EXPECT_EXPR("COUNT(x) OVER ()", "COUNT(x) OVER ()");
    EXPECT_EXPR("SUM(x) FILTER (WHERE x > 0) OVER w", "SUM(x) FILTER (WHERE (x > 0)) OVER w");
    /* PARTITION, RANGE, PRECEDING, ... stay usable as column names */
    EXPECT_EXPR("partition + range + preceding + following + unbounded",
                "((((partition + range) + preceding) + following) + unbounded)");

    const char *sql = "SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND "
                      "CURRENT ROW)";
    wr_ast_expr *e = expr_tree(sql);
    cr_assert_eq(e->kind, WR_AST_CALL);
    const wr_ast_window *w = e->call.over;
    cr_assert_not_null(w);
    cr_expect_eq(w->pos, 12);
    cr_expect_null(w->name);
    cr_expect_eq(w->npartition_by, 1);
    cr_expect_eq(w->norder_by, 1);
    cr_expect_eq(w->frame, WR_FRAME_ROWS);
    cr_expect_eq(w->lower.kind, WR_BOUND_PRECEDING);
    cr_expect_str_eq(w->lower.offset->lit.text, "2");
    cr_expect_eq(w->lower.pos, (int)(strstr(sql, "2 PRECEDING") - sql));
    cr_expect_eq(w->upper.kind, WR_BOUND_CURRENT_ROW);
    cr_expect_null(w->upper.offset);
    cr_expect_eq(e->end, (int)strlen(sql));
    e = expr_tree("RANK() OVER  win");
    cr_expect_str_eq(e->call.over->name, "win");
    cr_expect_eq(e->call.over->name_pos, 13);
    cr_expect_eq(e->call.over->frame, WR_FRAME_NONE);
    cr_expect_eq(e->call.over->lower.kind, WR_BOUND_NONE);
    e = expr_tree("f(x)");
    cr_expect_null(e->call.over);

    expect_error("SELECT SUM(x) OVER (ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM t", 1, 50,
                 "a window frame cannot end before it starts");
    expect_error("SELECT SUM(x) OVER (ROWS UNBOUNDED FOLLOWING) FROM t", 1, 26,
                 "a window frame cannot start at UNBOUNDED FOLLOWING");
    expect_error("SELECT SUM(x) OVER (ROWS BETWEEN 1 PRECEDING AND UNBOUNDED PRECEDING)", 1, 50,
                 "a window frame cannot end at UNBOUNDED PRECEDING");
    expect_error("SELECT SUM(x) OVER (ROWS 5) FROM t", 1, 27,
                 "expected PRECEDING or FOLLOWING but found ')'");
    expect_error("SELECT SUM(x) OVER 5 FROM t", 1, 20, "expected a window name or '('");
    expect_error("SELECT SUM(x) OVER (PARTITION a) FROM t", 1, 31, "expected BY but found 'a'");
    expect_error("SELECT SUM(x) OVER (ORDER BY ts\n  ROWS BETWEEN 1 PRECEDING) FROM t", 2, 27,
                 "expected AND but found ')'");
}

/* ---- types: constructed and interval types ------------------------------ */

Test(types, constructed_and_interval)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"ARRAY<INT>", "ARRAY<INT>"},
        {"INT ARRAY", "ARRAY<INT>"},
        {"array<int not null> not null", "ARRAY<INT NOT NULL> NOT NULL"},
        {"INT NOT NULL ARRAY NOT NULL", "ARRAY<INT NOT NULL> NOT NULL"},
        {"INT ARRAY ARRAY", "ARRAY<ARRAY<INT>>"},
        {"MULTISET<STRING>", "MULTISET<STRING>"},
        {"STRING MULTISET", "MULTISET<STRING>"},
        {"MAP<STRING, ARRAY<INT>>", "MAP<STRING, ARRAY<INT>>"},
        {"MAP<VARCHAR(3), MAP<INT, DECIMAL(10, 2)>>", "MAP<VARCHAR(3), MAP<INT, DECIMAL(10, 2)>>"},
        {"ROW<a INT, `b c` STRING 'the b'>", "ROW<a INT, `b c` STRING 'the b'>"},
        {"ROW(a INT NOT NULL, b ROW<c BOOLEAN>)", "ROW<a INT NOT NULL, b ROW<c BOOLEAN>>"},
        {"INTERVAL DAY TO SECOND(3)", "INTERVAL DAY TO SECOND(3)"},
        {"INTERVAL DAY(2) TO SECOND(3)", "INTERVAL DAY(2) TO SECOND(3)"},
        {"INTERVAL YEAR TO MONTH", "INTERVAL YEAR TO MONTH"},
        {"INTERVAL YEAR(4)", "INTERVAL YEAR(4)"},
        {"INTERVAL SECOND(3)", "INTERVAL SECOND(3)"},
        {"INTERVAL SECOND(2, 6)", "INTERVAL SECOND(2, 6)"},
        {"INTERVAL HOUR TO MINUTE NOT NULL", "INTERVAL HOUR TO MINUTE NOT NULL"},
        {"TEXT", "STRING"},
        {"REAL", "FLOAT"},
        {"NUMERIC(5, 1)", "DECIMAL(5, 1)"},
        {"BYTES", "BYTES"},
        {"BINARY(3)", "BINARY(3)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_str_eq(cast_type(cases[i].in), cases[i].out, "for %s", cases[i].in);

    wr_ast_expr *e = expr_tree("CAST(x AS MAP<STRING, INT ARRAY> NOT NULL)");
    const wr_ast_type *t = &e->cast.type;
    cr_expect_str_eq(t->name, "MAP");
    cr_expect(t->not_null);
    cr_assert_eq(t->nchildren, 2);
    cr_expect_null(t->field_names);
    cr_expect_str_eq(t->children[0].name, "STRING");
    cr_expect_eq(t->children[0].pos, 14);
    cr_expect_str_eq(t->children[1].name, "ARRAY");
    cr_expect_eq(t->children[1].pos, 22);
    cr_assert_eq(t->children[1].nchildren, 1);
    cr_expect_str_eq(t->children[1].children[0].name, "INT");

    e = expr_tree("CAST(x AS ROW<a INT 'first', b STRING>)");
    t = &e->cast.type;
    cr_assert_eq(t->nchildren, 2);
    cr_expect_str_eq(t->field_names[1], "b");
    cr_expect_str_eq(t->field_comments[0], "first");
    cr_expect_null(t->field_comments[1]);

    e = expr_tree("CAST(x AS INTERVAL DAY(2) TO SECOND(3))");
    t = &e->cast.type;
    cr_expect_str_eq(t->name, "INTERVAL");
    cr_expect_str_eq(t->interval_unit, "DAY");
    cr_expect_str_eq(t->interval_to_unit, "SECOND");
    cr_expect_eq(t->interval_precision, 2);
    cr_expect_eq(t->interval_frac_precision, 3);
    e = expr_tree("CAST(x AS INTERVAL SECOND(3))");
    cr_expect_null(e->cast.type.interval_to_unit);
    cr_expect_eq(e->cast.type.interval_precision, -1);
    cr_expect_eq(e->cast.type.interval_frac_precision, 3);
    e = expr_tree("CAST(x AS INT)");
    cr_expect_null(e->cast.type.interval_unit);
    cr_expect_eq(e->cast.type.nchildren, 0);

    cr_expect_str_eq(cast_type("MAP<INT>"), "error: expected ',' but found '>'");
    cr_expect_str_eq(cast_type("ARRAY<INT, INT>"), "error: type ARRAY has 1 element type");
    cr_expect_str_eq(cast_type("MAP<INT, INT, INT>"), "error: type MAP has 2 element types");
    cr_expect_str_eq(cast_type("ARRAY(INT)"), "error: expected '<' but found '('");
    cr_expect_str_eq(cast_type("ROW<INT>"), "error: expected a data type but found '>'");
    cr_expect_str_eq(cast_type("ARRAY<INT"), "error: expected '>' but found ')'");
    cr_expect_str_eq(cast_type("INTERVAL DAY TO YEAR"),
                     "error: invalid interval qualifier DAY TO YEAR");
    cr_expect_str_eq(cast_type("INTERVAL HOUR TO MINUTE(3)"),
                     "error: only SECOND takes a precision after TO");
    cr_expect_str_eq(cast_type("INTERVAL WEEK"),
                     "error: expected an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND) "
                     "but found 'WEEK'");
    expect_error("CREATE TABLE t (a INT,\n  m MAP<STRING>)", 2, 15, "expected ','");
}

/* ---- queries: grouping sets, windows, TVFs, joins ----------------------- */

Test(query, grouping_sets)
{
    EXPECT_STMTS("SELECT a, b, SUM(c) FROM t GROUP BY GROUPING SETS ((a, b), (a), ())",
                 "SELECT a, b, SUM(c) FROM t GROUP BY GROUPING SETS ((a, b), a, ())");
    EXPECT_STMTS("SELECT 1 FROM t GROUP BY ROLLUP (a, b), CUBE(c, (d, e))",
                 "SELECT 1 FROM t GROUP BY ROLLUP (a, b), CUBE (c, (d, e))");
    EXPECT_STMTS("SELECT 1 FROM t GROUP BY a, ROLLUP(b, c)",
                 "SELECT 1 FROM t GROUP BY a, ROLLUP (b, c)");
    EXPECT_STMTS(
        "SELECT 1 FROM t GROUP BY GROUPING SETS (ROLLUP (a), CUBE (b), GROUPING SETS (c))",
        "SELECT 1 FROM t GROUP BY GROUPING SETS (ROLLUP (a), CUBE (b), GROUPING SETS (c))");
    EXPECT_STMTS("SELECT 1 FROM t GROUP BY (a, b), c", "SELECT 1 FROM t GROUP BY (a, b), c");
    EXPECT_STMTS("SELECT 1 FROM t GROUP BY (a + b) * 2", "SELECT 1 FROM t GROUP BY ((a + b) * 2)");
    EXPECT_STMTS("SELECT COUNT(*) FROM t GROUP BY ()", "SELECT COUNT(*) FROM t GROUP BY ()");
    /* grouping, rollup and cube stay usable as names */
    EXPECT_STMTS("SELECT grouping, rollup, cube FROM t GROUP BY grouping, rollup, cube",
                 "SELECT grouping, rollup, cube FROM t GROUP BY grouping, rollup, cube");

    wr_ast_stmt *s = stmt_tree("SELECT 1 FROM t GROUP BY a, ROLLUP (b, (c, d)), (e, f)");
    const wr_ast_query *q = s->query.query;
    cr_expect(q->select.has_grouping_sets);
    cr_assert_eq(q->select.ngroup_elems, 3);
    cr_assert_eq(q->select.ngroup_by, 3); /* a, e, f: the plain elements */
    cr_expect_str_eq(q->select.group_by[0]->ident.parts[0], "a");
    cr_expect_str_eq(q->select.group_by[2]->ident.parts[0], "f");
    const wr_ast_group_elem *g = q->select.group_elems;
    cr_expect_eq(g[0].kind, WR_GROUP_EXPR);
    cr_expect_eq(g[1].kind, WR_GROUP_ROLLUP);
    cr_expect_eq(g[1].pos, 28);
    cr_assert_eq(g[1].nchildren, 2);
    cr_expect_eq(g[1].children[0].kind, WR_GROUP_EXPR);
    cr_expect_eq(g[1].children[1].kind, WR_GROUP_SET);
    cr_expect_eq(g[1].children[1].nchildren, 2);
    cr_expect_eq(g[1].children[1].children[1].expr->pos, 43);
    cr_expect_eq(g[2].kind, WR_GROUP_SET);

    s = stmt_tree("SELECT 1 FROM t GROUP BY a, b");
    q = s->query.query;
    cr_expect_not(q->select.has_grouping_sets);
    cr_expect_eq(q->select.ngroup_by, 2);
    cr_expect_eq(q->select.ngroup_elems, 2);
    s = stmt_tree("SELECT COUNT(*) FROM t GROUP BY GROUPING SETS (())");
    q = s->query.query;
    cr_expect(q->select.has_grouping_sets);
    cr_expect_not_null(q->select.group_by); /* non-NULL whenever GROUP BY is written */
    cr_expect_eq(q->select.ngroup_by, 0);
    cr_expect_eq(q->select.group_elems[0].children[0].kind, WR_GROUP_SET);
    cr_expect_eq(q->select.group_elems[0].children[0].nchildren, 0);
    s = stmt_tree("SELECT 1 FROM t");
    cr_expect_null(s->query.query->select.group_elems);
    cr_expect_null(s->query.query->select.group_by);

    expect_error("SELECT 1 FROM t GROUP BY ROLLUP (a, ROLLUP (b))", 1, 37,
                 "ROLLUP and CUBE take expressions or parenthesised lists of expressions only");
    expect_error("SELECT 1 FROM t\nGROUP BY CUBE (a, ())", 2, 19,
                 "ROLLUP and CUBE take expressions");
    expect_error("SELECT 1 FROM t GROUP BY GROUPING SETS a", 1, 40, "expected '(' but found 'a'");
    expect_error("SELECT 1 FROM t GROUP BY ROLLUP (a,)", 1, 36, "expected an expression");
}

Test(query, window_clause)
{
    EXPECT_STMTS("SELECT SUM(x) OVER w, AVG(x) OVER w2 FROM t WINDOW w AS (PARTITION BY k "
                 "ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW), w2 AS "
                 "(w ROWS 3 PRECEDING) ORDER BY 1",
                 "SELECT SUM(x) OVER w, AVG(x) OVER w2 FROM t WINDOW w AS (PARTITION BY k "
                 "ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW), w2 AS "
                 "(w ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) ORDER BY 1");
    wr_ast_stmt *s = stmt_tree("SELECT RANK() OVER w FROM t GROUP BY a HAVING a > 1 WINDOW w AS "
                               "(ORDER BY a)");
    const wr_ast_query *q = s->query.query;
    cr_assert_eq(q->select.nwindows, 1);
    cr_expect_str_eq(q->select.windows[0].name, "w");
    cr_expect_eq(q->select.windows[0].pos, 59);
    cr_expect_eq(q->select.windows[0].window->norder_by, 1);
    cr_expect_eq(q->select.windows[0].window->pos, 64);
    expect_error("SELECT 1 FROM t WINDOW w AS (ORDER BY a), w AS (ORDER BY b)", 1, 43,
                 "window 'w' is defined twice");
    expect_error("SELECT 1 FROM t WINDOW w (ORDER BY a)", 1, 26, "expected AS but found '('");
}

Test(query, window_tvfs)
{
    EXPECT_STMTS("SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' "
                 "MINUTES))",
                 "SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' "
                 "MINUTE))");
    EXPECT_STMTS("SELECT window_start, SUM(price) FROM TABLE(HOP(TABLE db.Bid, DESCRIPTOR(ts), "
                 "INTERVAL '5' MINUTE, INTERVAL '10' MINUTE, INTERVAL '1' MINUTE)) AS w GROUP BY "
                 "window_start, window_end",
                 "SELECT window_start, SUM(price) FROM TABLE(HOP(TABLE db.Bid, DESCRIPTOR(ts), "
                 "INTERVAL '5' MINUTE, INTERVAL '10' MINUTE, INTERVAL '1' MINUTE)) AS w GROUP BY "
                 "window_start, window_end");
    EXPECT_STMTS("SELECT * FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '2' MINUTE, "
                 "INTERVAL '10' MINUTE))",
                 "SELECT * FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '2' MINUTE, "
                 "INTERVAL '10' MINUTE))");
    EXPECT_STMTS("SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY (a, b), DESCRIPTOR(ts), "
                 "INTERVAL '5' MINUTE))",
                 "SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY (a, b), DESCRIPTOR(ts), "
                 "INTERVAL '5' MINUTE))");
    EXPECT_STMTS("SELECT * FROM TABLE(TUMBLE(DATA => TABLE t, TIMECOL => DESCRIPTOR(ts), size => "
                 "INTERVAL '1' HOUR, OFFSET => INTERVAL '5' MINUTE))",
                 "SELECT * FROM TABLE(TUMBLE(DATA => TABLE t, TIMECOL => DESCRIPTOR(ts), SIZE => "
                 "INTERVAL '1' HOUR, OFFSET => INTERVAL '5' MINUTE))");

    const char *sql = "SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), "
                      "INTERVAL '5' MINUTE)) s";
    wr_ast_stmt *s = stmt_tree(sql);
    const wr_ast_from *f = s->query.query->select.from;
    cr_assert_eq(f->kind, WR_FROM_TVF);
    cr_expect_eq(f->pos, 14);
    cr_expect_str_eq(f->tvf.name, "SESSION");
    cr_expect_eq(f->tvf.name_pos, 20);
    cr_assert_eq(f->tvf.nargs, 3);
    cr_expect_eq(f->tvf.args[0].kind, WR_TVF_ARG_TABLE);
    cr_expect_eq(f->tvf.args[0].pos, 28);
    cr_expect_eq(f->tvf.args[1].kind, WR_TVF_ARG_DESCRIPTOR);
    cr_expect_eq(f->tvf.args[2].kind, WR_TVF_ARG_EXPR);
    cr_assert_not_null(f->tvf.table);
    cr_expect_str_eq(f->tvf.table->table.parts[0], "t");
    cr_expect_eq(f->tvf.table->pos, 34);
    cr_assert_eq(f->tvf.npartition_by, 1);
    cr_expect_str_eq(f->tvf.partition_by[0]->ident.parts[0], "k");
    cr_expect_str_eq(f->tvf.descriptor, "ts");
    cr_expect_eq(f->tvf.descriptor_pos, (int)(strstr(sql, "DESCRIPTOR") - sql));
    cr_assert_eq(f->tvf.nexprs, 1);
    cr_expect_eq(f->tvf.exprs[0]->kind, WR_AST_INTERVAL);
    cr_expect_null(f->tvf.expr_names[0]);
    cr_expect_str_eq(f->alias, "s");

    s = stmt_tree("SELECT * FROM TABLE(TUMBLE(data => TABLE t, timecol => DESCRIPTOR(ts), "
                  "size => INTERVAL '1' HOUR))");
    f = s->query.query->select.from;
    cr_expect_str_eq(f->tvf.args[0].name, "DATA");
    cr_expect_eq(f->tvf.args[0].name_pos, 27);
    cr_expect_str_eq(f->tvf.descriptor, "ts");
    cr_assert_eq(f->tvf.nexprs, 1);
    cr_expect_str_eq(f->tvf.expr_names[0], "SIZE");

    expect_error("SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(), INTERVAL '1' HOUR))", 1, 48,
                 "expected a column name but found ')'");
    expect_error("SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' HOUR)", 1, 71,
                 "unexpected end of input, expected ')'");
    expect_error("SELECT * FROM TABLE(TUMBLE(TABLE, DESCRIPTOR(ts)))", 1, 33,
                 "expected a table name but found ','");
    expect_error("SELECT * FROM TABLE(TUMBLE(TABLE t PARTITION k))", 1, 46,
                 "expected BY but found 'k'");
    expect_error("SELECT * FROM TABLE(42)", 1, 21, "expected a table function name");
}

Test(query, lateral_unnest_and_temporal)
{
    EXPECT_STMTS("SELECT s, word FROM t, LATERAL TABLE(split(s, ' ')) AS T(word)",
                 "SELECT s, word FROM t CROSS JOIN LATERAL TABLE(split(s, ' ')) AS T(word)");
    EXPECT_STMTS("SELECT * FROM t LEFT JOIN LATERAL TABLE(f(x)) AS u(a, b) ON TRUE",
                 "SELECT * FROM t LEFT JOIN LATERAL TABLE(f(x)) AS u(a, b) ON TRUE");
    EXPECT_STMTS("SELECT * FROM t CROSS JOIN UNNEST(t.tags) AS u(tag)",
                 "SELECT * FROM t CROSS JOIN UNNEST(t.tags) AS u(tag)");
    EXPECT_STMTS("SELECT * FROM UNNEST(ARRAY[1, 2], ARRAY['a']) WITH ORDINALITY AS u(n, s, i)",
                 "SELECT * FROM UNNEST(ARRAY[1, 2], ARRAY['a']) WITH ORDINALITY AS u(n, s, i)");
    EXPECT_STMTS("SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.k = t.k) v",
                 "SELECT * FROM t CROSS JOIN LATERAL (SELECT * FROM u WHERE (u.k = t.k)) AS v");
    EXPECT_STMTS("SELECT * FROM o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.c = r.c",
                 "SELECT * FROM o INNER JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON (o.c = r.c)");
    EXPECT_STMTS("SELECT * FROM o LEFT JOIN db.rates FOR SYSTEM_TIME AS OF o.proc_time r ON TRUE",
                 "SELECT * FROM o LEFT JOIN db.rates FOR SYSTEM_TIME AS OF o.proc_time AS r ON "
                 "TRUE");

    wr_ast_stmt *s = stmt_tree("SELECT * FROM o JOIN r FOR SYSTEM_TIME AS OF o.ts ON TRUE");
    const wr_ast_from *right = s->query.query->select.from->join.right;
    cr_assert_eq(right->kind, WR_FROM_TABLE);
    cr_assert_not_null(right->system_time);
    cr_expect_eq(right->system_time->pos, 45);
    cr_expect_null(right->alias);
    s = stmt_tree("SELECT * FROM t, LATERAL TABLE(f(x))");
    right = s->query.query->select.from->join.right;
    cr_expect_eq(right->kind, WR_FROM_TVF);
    cr_expect(right->lateral);
    cr_expect_null(right->tvf.table);
    cr_expect_eq(right->tvf.nexprs, 1);
    s = stmt_tree("SELECT * FROM UNNEST(a) WITH ORDINALITY");
    const wr_ast_from *f = s->query.query->select.from;
    cr_expect_eq(f->kind, WR_FROM_UNNEST);
    cr_expect(f->unnest.with_ordinality);
    cr_expect_eq(f->unnest.nexprs, 1);

    expect_error("SELECT * FROM t, LATERAL u", 1, 26, "expected TABLE(...) or '(' after LATERAL");
    expect_error("SELECT * FROM o JOIN r FOR SYSTEM_TIME AS o.ts ON TRUE", 1, 43,
                 "expected OF but found 'o'");
    expect_error("SELECT * FROM o JOIN r FOR SYSTEM_TIME OF o.ts ON TRUE", 1, 40,
                 "expected AS but found 'OF'");
    expect_error("SELECT * FROM UNNEST() AS u", 1, 22, "expected an expression but found ')'");
}

Test(query, aliases_values_and_natural_joins)
{
    EXPECT_STMTS("SELECT a FROM (VALUES (1), (2)) AS t(a)",
                 "SELECT a FROM (VALUES (1), (2)) AS t(a)");
    EXPECT_STMTS("SELECT * FROM t AS x(a, b) JOIN u y(c) ON a = c",
                 "SELECT * FROM t AS x(a, b) INNER JOIN u AS y(c) ON (a = c)");
    EXPECT_STMTS("SELECT * FROM a NATURAL JOIN b NATURAL LEFT OUTER JOIN c",
                 "SELECT * FROM a NATURAL INNER JOIN b NATURAL LEFT JOIN c");
    EXPECT_STMTS("(SELECT a FROM t) UNION (SELECT b FROM u) ORDER BY 1 FETCH FIRST 2 ROWS ONLY",
                 "(SELECT a FROM t) UNION (SELECT b FROM u) ORDER BY 1 LIMIT 2");
    EXPECT_STMTS("SELECT ALL a FROM t", "SELECT a FROM t");

    wr_ast_stmt *s = stmt_tree("SELECT * FROM (VALUES (1, 2)) v(a, b)");
    const wr_ast_from *f = s->query.query->select.from;
    cr_expect_eq(f->kind, WR_FROM_SUBQUERY);
    cr_assert_eq(f->ncolumn_aliases, 2);
    cr_expect_str_eq(f->column_aliases[1], "b");
    s = stmt_tree("SELECT * FROM a NATURAL FULL JOIN b");
    f = s->query.query->select.from;
    cr_expect(f->join.natural);
    cr_expect_eq(f->join.kind, WR_JOIN_FULL);
    cr_expect_null(f->join.on);

    expect_error("SELECT * FROM a NATURAL CROSS JOIN b", 1, 25,
                 "expected JOIN, INNER, LEFT, RIGHT or FULL after NATURAL but found 'CROSS'");
    expect_error("SELECT * FROM a NATURAL JOIN b ON a.x = b.x", 1, 32,
                 "a NATURAL join takes no ON or USING");
    expect_error("SELECT * FROM t AS x(a,", 1, 24,
                 "unexpected end of input, expected a column name");
}

/* ---- statements: ALTER, LIKE, functions, USE, no-ops ------------------- */

Test(stmt, alter_table)
{
    EXPECT_STMTS("ALTER TABLE t SET ('connector' = 'kafka', 'topic' = 'x')",
                 "ALTER TABLE t SET ('connector' = 'kafka', 'topic' = 'x')");
    EXPECT_STMTS("alter table if exists db.t reset ('a', 'b')",
                 "ALTER TABLE IF EXISTS db.t RESET ('a', 'b')");
    EXPECT_STMTS("ALTER TABLE t RENAME TO u", "ALTER TABLE t RENAME TO u");

    wr_ast_stmt *s = stmt_tree("ALTER TABLE cat.db.t RENAME TO db.u");
    cr_assert_eq(s->kind, WR_STMT_ALTER_TABLE);
    cr_expect_eq(s->alter_table.action, WR_ALTER_RENAME);
    cr_expect_eq(s->alter_table.nname_parts, 3);
    cr_expect_eq(s->alter_table.name_pos, 12);
    cr_expect_eq(s->alter_table.nnew_name_parts, 2);
    cr_expect_eq(s->alter_table.new_name_pos, 31);
    cr_expect_not(s->alter_table.if_exists);
    s = stmt_tree("ALTER TABLE t RESET ('k')");
    cr_expect_eq(s->alter_table.action, WR_ALTER_RESET);
    cr_assert_eq(s->alter_table.noptions, 1);
    cr_expect_str_eq(s->alter_table.options[0].key, "k");
    cr_expect_eq(s->alter_table.options[0].key_pos, 21);
    cr_expect_null(s->alter_table.options[0].value);
    s = stmt_tree("ALTER TABLE t SET ('k' = 'v')");
    cr_expect_eq(s->alter_table.action, WR_ALTER_SET);
    cr_expect_str_eq(s->alter_table.options[0].value, "v");
    cr_expect_eq(s->alter_table.options[0].value_pos, 25);

    expect_error("ALTER TABLE t DROP COLUMN a", 1, 15,
                 "expected SET, RESET or RENAME TO but found 'DROP'");
    expect_error("ALTER TABLE t RESET ()", 1, 22, "expected an option key string but found ')'");
    expect_error("ALTER TABLE t SET (k = 'v')", 1, 20, "expected an option key string");
    expect_error("ALTER VIEW v RENAME TO w", 1, 7, "expected TABLE but found 'VIEW'");
    expect_error("ALTER TABLE t RENAME u", 1, 22, "expected TO but found 'u'");
}

Test(stmt, create_table_like)
{
    EXPECT_STMTS("CREATE TABLE t2 (WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('a' = "
                 "'b') LIKE t1 (EXCLUDING ALL INCLUDING GENERATED)",
                 "CREATE TABLE t2 (WATERMARK FOR ts AS (ts - INTERVAL '1' SECOND)) WITH ('a' = "
                 "'b') LIKE t1 (EXCLUDING ALL INCLUDING GENERATED)");
    EXPECT_STMTS("CREATE TABLE t2 WITH ('topic' = 'x') LIKE db.t1 (INCLUDING ALL, OVERWRITING "
                 "OPTIONS)",
                 "CREATE TABLE t2 WITH ('topic' = 'x') LIKE db.t1 (INCLUDING ALL OVERWRITING "
                 "OPTIONS)");
    EXPECT_STMTS("CREATE TABLE t2 LIKE t1", "CREATE TABLE t2 LIKE t1");
    EXPECT_STMTS("CREATE TABLE t2 (a INT) LIKE t1", "CREATE TABLE t2 (a INT) LIKE t1");

    const char *sql = "CREATE TABLE t2 WITH ('k' = 'v') LIKE t1 (\n  EXCLUDING OPTIONS\n  "
                      "OVERWRITING WATERMARKS INCLUDING METADATA)";
    wr_ast_stmt *s = stmt_tree(sql);
    cr_expect_eq(s->create_table.ncolumns, 0);
    cr_assert_eq(s->create_table.nlike_parts, 1);
    cr_expect_str_eq(s->create_table.like_parts[0], "t1");
    cr_expect_eq(s->create_table.like_pos, 38);
    cr_assert_eq(s->create_table.nlike_options, 3);
    const wr_ast_like_option *o = s->create_table.like_options;
    cr_expect_eq(o[0].mode, WR_LIKE_EXCLUDING);
    cr_expect_eq(o[0].feature, WR_LIKE_OPTIONS);
    cr_expect_eq(o[1].mode, WR_LIKE_OVERWRITING);
    cr_expect_eq(o[1].feature, WR_LIKE_WATERMARKS);
    cr_expect_eq(o[2].feature, WR_LIKE_METADATA);
    cr_expect_eq(o[1].pos, (int)(strstr(sql, "OVERWRITING") - sql));
    s = stmt_tree("CREATE TABLE t (a INT)");
    cr_expect_null(s->create_table.like_parts);
    cr_expect_eq(s->create_table.like_pos, -1);

    expect_error("CREATE TABLE t2 LIKE t1 (OVERWRITING ALL)", 1, 26,
                 "OVERWRITING does not apply to ALL");
    expect_error("CREATE TABLE t2 LIKE t1 (INCLUDING COLUMNS)", 1, 36,
                 "expected ALL, CONSTRAINTS, PARTITIONS, GENERATED, OPTIONS, WATERMARKS or "
                 "METADATA but found 'COLUMNS'");
    expect_error("CREATE TABLE t2 LIKE t1 ()", 1, 26,
                 "expected INCLUDING, EXCLUDING or OVERWRITING but found ')'");
    expect_error("CREATE TABLE t2 LIKE t1 (INCLUDING ALL", 1, 39,
                 "unexpected end of input, expected INCLUDING");
    expect_error("CREATE TABLE t2 COMMENT 'x'", 1, 17, "expected '(' but found 'COMMENT'");
}

Test(stmt, functions)
{
    EXPECT_STMTS("CREATE FUNCTION f AS 'com.example.F'", "CREATE FUNCTION f AS 'com.example.F'");
    EXPECT_STMTS("create temporary system function if not exists lower2 as 'my_lower' language c",
                 "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS lower2 AS 'my_lower' LANGUAGE C");
    EXPECT_STMTS("CREATE TEMPORARY FUNCTION db.f AS 'F' LANGUAGE JAVA USING JAR '/a.jar', JAR "
                 "'/b.jar'",
                 "CREATE TEMPORARY FUNCTION db.f AS 'F' LANGUAGE JAVA USING JAR '/a.jar', JAR "
                 "'/b.jar'");
    EXPECT_STMTS("DROP TEMPORARY SYSTEM FUNCTION IF EXISTS f; DROP FUNCTION db.g",
                 "DROP TEMPORARY SYSTEM FUNCTION IF EXISTS f | DROP FUNCTION db.g");

    wr_ast_stmt *s = stmt_tree("CREATE TEMPORARY SYSTEM FUNCTION f AS 'sym' LANGUAGE python "
                               "USING JAR 'x.jar'");
    cr_assert_eq(s->kind, WR_STMT_CREATE_FUNCTION);
    cr_expect(s->create_function.temporary);
    cr_expect(s->create_function.system);
    cr_expect_not(s->create_function.if_not_exists);
    cr_expect_eq(s->create_function.name_pos, 33);
    cr_expect_str_eq(s->create_function.identifier, "sym");
    cr_expect_eq(s->create_function.identifier_pos, 38);
    cr_expect_str_eq(s->create_function.language, "PYTHON");
    cr_expect_eq(s->create_function.language_pos, 53);
    cr_assert_eq(s->create_function.njars, 1);
    cr_expect_str_eq(s->create_function.jars[0], "x.jar");
    s = stmt_tree("CREATE FUNCTION f AS 'x'");
    cr_expect_null(s->create_function.language);
    cr_expect_eq(s->create_function.language_pos, -1);
    cr_expect_eq(s->create_function.njars, 0);
    s = stmt_tree("DROP TEMPORARY SYSTEM FUNCTION f");
    cr_expect(s->drop.system);
    cr_expect(s->drop.temporary);
    cr_expect_str_eq(s->drop.what, "FUNCTION");

    expect_error("CREATE FUNCTION f AS com.F", 1, 22,
                 "expected the function's identifier string but found 'com'");
    expect_error("CREATE FUNCTION f AS 'F' LANGUAGE 'java'", 1, 35, "expected a language");
    expect_error("CREATE FUNCTION f AS 'F' USING '/a.jar'", 1, 32, "expected JAR");
    expect_error("CREATE FUNCTION f AS 'F' USING JAR '/a.jar', '/b.jar'", 1, 46, "expected JAR");
    expect_error("CREATE TEMPORARY SYSTEM TABLE t (a INT)", 1, 25,
                 "expected FUNCTION after TEMPORARY SYSTEM but found 'TABLE'");
    expect_error("DROP TEMPORARY SYSTEM VIEW v", 1, 23, "expected FUNCTION after TEMPORARY SYSTEM");
}

Test(stmt, sqlite_indexes_are_noops)
{
    const char *sql =
        "CREATE UNIQUE INDEX IF NOT EXISTS idx ON tab0 (col0 DESC, col1 COLLATE nocase)";
    wr_ast_stmt *s = stmt_tree(sql);
    cr_assert_eq(s->kind, WR_STMT_NOOP);
    cr_expect_str_eq(s->noop.what, "CREATE UNIQUE INDEX");
    cr_expect_str_eq(s->noop.text, sql);
    cr_expect(strstr(s->noop.note, "no indexes") != NULL);
    EXPECT_STMTS("CREATE INDEX t1i0 ON t1(a1,b1); DROP INDEX t1i0; DROP INDEX IF EXISTS x",
                 "CREATE INDEX t1i0 ON t1(a1,b1) | DROP INDEX t1i0 | DROP INDEX IF EXISTS x");
    EXPECT_STMTS("CREATE INDEX i ON t (a) WHERE a > 0", "CREATE INDEX i ON t (a) WHERE a > 0");
    s = stmt_tree("DROP INDEX i");
    cr_expect_str_eq(s->noop.what, "DROP INDEX");
    cr_expect_eq(s->end, 12);
    expect_error("CREATE INDEX i ON t", 1, 20, "unexpected end of input, expected '('");
    expect_error("CREATE INDEX i t (a)", 1, 16, "expected ON but found 't'");
    expect_error("DROP INDEX", 1, 11, "unexpected end of input, expected an index name");
}

Test(stmt, show_use_explain_execute)
{
    EXPECT_STMTS("SHOW TABLES FROM db LIKE 'a%'; SHOW VIEWS IN cat.db; SHOW FUNCTIONS NOT LIKE 'x'",
                 "SHOW TABLES FROM db LIKE 'a%' | SHOW VIEWS FROM cat.db | SHOW FUNCTIONS NOT "
                 "LIKE 'x'");
    EXPECT_STMTS("SHOW COLUMNS FROM t LIKE '%id'; SHOW JOBS; SHOW MODULES; SHOW CURRENT CATALOG",
                 "SHOW COLUMNS FROM t LIKE '%id' | SHOW JOBS | SHOW MODULES | SHOW CURRENT "
                 "CATALOG");
    EXPECT_STMTS("USE db; USE cat.db; USE CATALOG c; USE catalog",
                 "USE db | USE cat.db | USE CATALOG c | USE catalog");
    EXPECT_STMTS("EXPLAIN CHANGELOG_MODE, JSON_EXECUTION_PLAN SELECT 1",
                 "EXPLAIN CHANGELOG_MODE, JSON_EXECUTION_PLAN SELECT 1");
    EXPECT_STMTS("EXPLAIN plan_advice, estimated_cost INSERT INTO t SELECT 1",
                 "EXPLAIN ESTIMATED_COST, PLAN_ADVICE INSERT INTO t SELECT 1");
    EXPECT_STMTS("EXECUTE INSERT INTO t SELECT 1", "INSERT INTO t SELECT 1");

    wr_ast_stmt *s = stmt_tree("SHOW TABLES FROM cat.db NOT LIKE 'x%'");
    cr_expect_eq(s->show.nfrom_parts, 2);
    cr_expect(s->show.not_like);
    cr_expect_str_eq(s->show.like, "x%");
    cr_expect_eq(s->show.like_pos, 33);
    s = stmt_tree("SHOW TABLES");
    cr_expect_null(s->show.like);
    cr_expect_eq(s->show.like_pos, -1);
    s = stmt_tree("USE CATALOG my_cat");
    cr_assert_eq(s->kind, WR_STMT_USE);
    cr_expect(s->use.catalog);
    cr_expect_eq(s->use.name_pos, 12);
    s = stmt_tree("USE a.b");
    cr_expect_not(s->use.catalog);
    cr_expect_eq(s->use.nname_parts, 2);
    s = stmt_tree("EXPLAIN JSON_EXECUTION_PLAN SELECT 1");
    cr_expect_eq(s->explain.details, WR_EXPLAIN_JSON_EXECUTION_PLAN);
    cr_expect_eq(s->explain.stmt->pos, 28);
    s = stmt_tree("EXPLAIN SELECT 1");
    cr_expect_eq(s->explain.details, 0);
    s = stmt_tree("EXECUTE INSERT INTO t SELECT 1");
    cr_expect_eq(s->kind, WR_STMT_INSERT);
    cr_expect_eq(s->pos, 0);
    cr_expect_eq(s->insert.table_pos, 20);

    expect_error("SHOW TABLES LIKE x", 1, 18, "expected a LIKE pattern string but found 'x'");
    expect_error("SHOW CREATE TABLE t LIKE 'x'", 1, 21, "expected ';' or end of input");
    expect_error("USE a.b.c", 1, 5, "a database name has at most 2 parts (catalog.database)");
    expect_error("USE CATALOG a.b", 1, 13, "a catalog name has one part");
    expect_error("USE", 1, 4, "unexpected end of input, expected a database name");
    expect_error("EXPLAIN CHANGELOG_MODE, SELECT 1", 1, 25,
                 "expected ESTIMATED_COST, CHANGELOG_MODE, PLAN_ADVICE or JSON_EXECUTION_PLAN but "
                 "found 'SELECT'");
    expect_error("EXECUTE SELECT 1", 1, 9, "expected STATEMENT SET or INSERT but found 'SELECT'");
}

Test(stmt, begin_statement_set)
{
    const char *sql = "BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\n"
                      "END;\nSELECT 3;";
    EXPECT_STMTS(sql, "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT "
                      "2; END | SELECT 3");
    int offset = 0;
    wr_error err;
    wr_error_init(&err);
    wr_ast_stmt *s;
    cr_assert_eq(wr_sql_parse_next(sql, &offset, &arena, &s, &err), 1, "%s", err.msg);
    cr_assert_eq(s->kind, WR_STMT_STATEMENT_SET);
    cr_assert_eq(s->statement_set.nstmts, 2);
    cr_expect_eq(s->pos, 0);
    cr_expect_eq(s->statement_set.stmts[0]->pos, 21);
    cr_expect_eq(s->end, (int)(strstr(sql, "END;") - sql) + 3);
    cr_expect_eq(offset, s->end + 1);
    expect_error("BEGIN STATEMENT SET;\nEND;", 2, 1, "expected INSERT but found 'END'");
    expect_error("BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nSELECT 2;", 3, 1,
                 "expected INSERT or END but found 'SELECT'");
    expect_error("BEGIN SET;", 1, 7, "expected STATEMENT but found 'SET'");
}

/* ---- robustness --------------------------------------------------------- */

static const char *script =
    "CREATE TEMPORARY TABLE IF NOT EXISTS o (id BIGINT NOT NULL, k INT CONSTRAINT c PRIMARY "
    "KEY NOT ENFORCED COMMENT 'k', "
    "name VARCHAR(10) COMMENT 'n', ts TIMESTAMP(3) WITH LOCAL TIME ZONE METADATA FROM 'ts' "
    "VIRTUAL, c AS id * 2, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
    "COMMENT 'x' PARTITIONED BY (id) WITH ('k' = 'v');\n"
    "CREATE TABLE p (a INT, CONSTRAINT pk PRIMARY KEY (a) NOT ENFORCED);\n"
    "/* comment */ SET 'a' = 'b'; RESET; -- line comment\n"
    "WITH q AS (SELECT DISTINCT a, CAST(b AS DECIMAL(10, 2)) x FROM t) SELECT a.*, "
    "CASE WHEN a IS NOT NULL THEN 1 ELSE -2.5e3 END, COUNT(*) FILTER (WHERE b > .5), "
    "EXTRACT(YEAR FROM ts), TRIM(LEADING 'x' FROM s), SUBSTRING(s FROM 1 FOR 2), "
    "POSITION('a' IN s), `q q`.x FROM q AS a LEFT JOIN u ON a.x = u.x AND u.y NOT BETWEEN 1 "
    "AND 2, v WHERE a.x IN (1, 2) AND NOT EXISTS (SELECT 1) OR a.s LIKE 'x%' ESCAPE '!' "
    "GROUP BY a.x HAVING COUNT(*) > 1 UNION ALL SELECT 1 INTERSECT VALUES (1), (2) "
    "ORDER BY 1 DESC NULLS LAST OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY;\n"
    "INSERT INTO db.t (a, b) SELECT TIMESTAMP '2020-01-01 00:00:00', DATE '2020-01-01';\n"
    "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT OVERWRITE b VALUES (2); END;\n"
    "SHOW CREATE TABLE a.b; DESCRIBE c; EXPLAIN PLAN FOR SELECT 1; DROP VIEW IF EXISTS v;\n"
    "CREATE VIEW v AS SELECT INTERVAL '1 02:00' DAY TO SECOND(3) FROM t;\n"
    "SELECT k, SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), "
    "RANK() OVER w, a[1].f, (r).g, ARRAY[1, 2], MAP['a', X'0A'], ROW(1, (2, 3)), "
    "FLOOR(ts TO DAY), TIMESTAMPADD(HOUR, 1, ts), a IS NOT DISTINCT FROM b "
    "FROM TABLE(SESSION(TABLE t PARTITION BY (k, j), DESCRIPTOR(ts), INTERVAL '5' MINUTES)) AS s "
    "NATURAL LEFT JOIN u FOR SYSTEM_TIME AS OF s.ts AS v(c, d) CROSS JOIN UNNEST(s.arr) "
    "WITH ORDINALITY AS x(e, i), LATERAL TABLE(f(DATA => TABLE t, SIZE => 2)) "
    "GROUP BY k, GROUPING SETS ((k, j), ROLLUP (j, (k, x)), CUBE (a), ()) "
    "WINDOW w AS (ORDER BY ts RANGE UNBOUNDED PRECEDING);\n"
    "CREATE TABLE l (a ARRAY<INT NOT NULL>, m MAP<STRING, INT ARRAY>, r ROW<x INT 'c', y "
    "INTERVAL DAY(2) TO SECOND(3)>) WITH ('k' = 'v') LIKE base (INCLUDING ALL OVERWRITING "
    "OPTIONS);\n"
    "ALTER TABLE IF EXISTS l SET ('a' = 'b'); ALTER TABLE l RESET ('a'); ALTER TABLE l RENAME TO "
    "m;\n"
    "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS f AS 'F' LANGUAGE C USING JAR 'a.jar', JAR "
    "'b.jar'; DROP TEMPORARY SYSTEM FUNCTION f;\n"
    "CREATE UNIQUE INDEX i ON t (a DESC) WHERE a > 0; DROP INDEX i; USE CATALOG c; USE d.e;\n"
    "SHOW TABLES FROM d NOT LIKE 'x%'; EXPLAIN CHANGELOG_MODE, PLAN_ADVICE SELECT 1;\n"
    "EXECUTE INSERT INTO t SELECT 1;\n"
    "BEGIN STATEMENT SET; INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END";

/* Parses every statement of text; returns the number parsed, or -1 on an error. */
static int parse_all(const char *text)
{
    int offset = 0, n = 0, len = (int)strlen(text);
    for (;;) {
        wr_ast_stmt *s;
        wr_error err;
        wr_error_init(&err);
        int rc = wr_sql_parse_next(text, &offset, &arena, &s, &err);
        if (rc == 0) return n;
        if (rc < 0) {
            cr_assert_eq(rc, WR_ERR_PARSE);
            cr_assert(err.offset >= 0 && err.offset <= len, "offset %d outside [0, %d]", err.offset,
                      len);
            cr_assert(err.msg[0] != '\0');
            return -1;
        }
        cr_assert(offset > 0 && offset <= len);
        wr_buf buf;
        wr_buf_init(&buf);
        wr_ast_stmt_dump(s, &buf);
        wr_buf_fini(&buf);
        n++;
    }
}

Test(robust, full_script_parses)
{
    cr_expect_eq(parse_all(script), 27);
}

Test(robust, dump_reparses_to_the_same_dump)
{
    int offset = 0;
    for (;;) {
        wr_ast_stmt *s;
        wr_error err;
        wr_error_init(&err);
        int rc = wr_sql_parse_next(script, &offset, &arena, &s, &err);
        cr_assert_geq(rc, 0, "%s", err.msg);
        if (rc == 0) break;
        wr_buf once;
        wr_buf_init(&once);
        wr_ast_stmt_dump(s, &once);
        const char *again = stmts(once.data);
        cr_expect_str_eq(again, once.data);
        wr_buf_fini(&once);
    }
}

Test(robust, every_prefix)
{
    size_t len = strlen(script);
    for (size_t n = 0; n <= len; n++) {
        /* An exact-size heap copy lets ASan catch any read past the end. */
        char *text = malloc(n + 1);
        memcpy(text, script, n);
        text[n] = '\0';
        parse_all(text);
        wr_arena_reset(&arena);
        free(text);
    }
}

Test(robust, every_suffix)
{
    size_t len = strlen(script);
    for (size_t n = 0; n <= len; n++) {
        parse_all(script + n);
        wr_arena_reset(&arena);
    }
}

Test(robust, garbage)
{
    srand(12345);
    const char alphabet[] = "abSELECTFROMWHERE()(),.;'`*-+/%|=<>!?#\"\n\t 0123456789eE\x80\xff";
    static const char *const words[] = {
        "SELECT ",
        "FROM ",
        "WHERE ",
        "(",
        ")",
        ",",
        "'x'",
        "1",
        "a",
        "AND ",
        "OR ",
        "NOT ",
        "CASE ",
        "WHEN ",
        "THEN ",
        "END ",
        "CAST(",
        " AS ",
        "INT",
        "JOIN ",
        "ON ",
        "IN ",
        "IS ",
        "NULL ",
        "UNION ",
        "VALUES",
        "WITH ",
        "INTERVAL ",
        "DAY ",
        "TO ",
        ";",
        "-- c\n",
        "/*",
        "*/",
        "CREATE TABLE ",
        "INSERT INTO ",
        "EXTRACT(",
        "TRIM(",
        "`",
        "[",
        "]",
        ".",
        "=>",
        "OVER ",
        "(PARTITION BY ",
        "ROWS BETWEEN ",
        "UNBOUNDED ",
        "PRECEDING ",
        "CURRENT ROW ",
        "ARRAY",
        "MAP[",
        "ROW(",
        "<",
        ">",
        "TABLE",
        "DESCRIPTOR(",
        "GROUP BY ",
        "GROUPING SETS ",
        "ROLLUP(",
        "X'0A'",
        "LATERAL ",
        "UNNEST(",
        "FOR SYSTEM_TIME AS OF ",
        "LIKE ",
        "ALTER TABLE ",
        "BEGIN STATEMENT SET;",
        "IS DISTINCT FROM ",
    };
    char text[256];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0;
        if (iter % 2) {
            size_t want = (size_t)(rand() % 80);
            while (n < want) text[n++] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
        } else {
            int nwords = rand() % 30;
            for (int i = 0; i < nwords; i++) {
                const char *w = words[rand() % (int)(sizeof(words) / sizeof(words[0]))];
                size_t wl = strlen(w);
                if (n + wl >= sizeof(text)) break;
                memcpy(text + n, w, wl);
                n += wl;
            }
        }
        text[n] = '\0';
        parse_all(text);
        wr_ast_expr *e;
        wr_error err;
        wr_sql_parse_expr(text, &arena, &e, &err);
        wr_arena_reset(&arena);
    }
}

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *tail,
                    int m)
{
    wr_buf buf;
    wr_buf_init(&buf);
    wr_buf_puts(&buf, head);
    for (int i = 0; i < n; i++) wr_buf_puts(&buf, unit);
    wr_buf_puts(&buf, mid);
    for (int i = 0; i < m; i++) wr_buf_puts(&buf, tail);
    char *s = wr_arena_strndup(&arena, buf.data, buf.len);
    wr_buf_fini(&buf);
    return s;
}

Test(robust, deep_nesting_is_capped)
{
    /* far too deep: an error, not a crash */
    const char *deep = repeat("SELECT ", "(", 100000, "1", ")", 100000);
    cr_expect(strstr(stmts(deep), "nested too deeply") != NULL);
    cr_expect(strstr(stmts(repeat("SELECT ", "- ", 100000, "1", "", 0)), "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT ", "NOT ", 100000, "1", "", 0)), "nested too deeply"));
    cr_expect(strstr(stmts(repeat("", "(", 100000, "SELECT 1", ")", 100000)), "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT ", "(SELECT ", 100000, "1", ")", 100000)),
                     "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT 1", " + 1", 100000, "", "", 0)), "nested too deeply"));
    cr_expect(
        strstr(stmts(repeat("SELECT 1", " UNION SELECT 1", 5000, "", "", 0)), "nested too deeply"));
    cr_expect(
        strstr(stmts(repeat("SELECT * FROM a", ", a", 5000, "", "", 0)), "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT ", "CAST(", 5000, "1", " AS INT)", 5000)),
                     "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT a", "[1]", 100000, "", "", 0)), "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT (a)", ".f", 100000, "", "", 0)), "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT CAST(a AS ", "ARRAY<", 100000, "INT", ">", 100000)),
                     "nested too deeply"));
    cr_expect(strstr(stmts(repeat("SELECT CAST(a AS INT", " ARRAY", 100000, ")", "", 0)),
                     "nested too deeply"));
    cr_expect(strstr(
        stmts(repeat("SELECT 1 FROM t GROUP BY ", "GROUPING SETS (", 100000, "a", ")", 100000)),
        "nested too deeply"));
    cr_expect(
        strstr(stmts(repeat("SELECT ", "ARRAY[", 100000, "1", "]", 100000)), "nested too deeply"));
    /* realistic depths are fine */
    const char *arrays = repeat("SELECT CAST(a AS ", "ARRAY<", 100, "INT", ">", 100);
    cr_expect_eq(parse_all(repeat(arrays, "", 0, ")", "", 0)), 1);
    cr_expect_eq(parse_all(repeat("SELECT a", "[1]", 300, "", "", 0)), 1);
    cr_expect_eq(parse_all(repeat("SELECT ", "(", 300, "1", ")", 300)), 1);
    cr_expect_eq(parse_all(repeat("SELECT 1", " + 1", 500, "", "", 0)), 1);
    cr_expect_eq(parse_all(repeat("SELECT a FROM t WHERE a IN (1", ", 1", 20000, ")", "", 0)), 1);
}
