/*
 * lexer.h — the tokens of Flink SQL text.
 *
 * The lexer scans on demand, one token per call, so a script is only read as
 * far as the parser needs. Tokens are byte ranges of the text, never copies;
 * words are matched against the keyword table without case, and quoted forms
 * are decoded into an arena only when the parser asks for their value.
 */
#ifndef WR_SQL_LEXER_H
#define WR_SQL_LEXER_H

#include "../base/arena.h"
#include "../base/error.h"

typedef enum wr_lex_kind {
    WR_TOK_EOF,     /* end of text; pos is the text length */
    WR_TOK_ERROR,   /* a lexical error, described in the wr_error */
    WR_TOK_WORD,    /* unquoted identifier or keyword (kw says which) */
    WR_TOK_QUOTED,  /* `back quoted identifier` */
    WR_TOK_STRING,  /* 'string literal' */
    WR_TOK_INTEGER, /* 42 */
    WR_TOK_DECIMAL, /* 1.5, .5, 2. */
    WR_TOK_DOUBLE,  /* 1e10, 1.5E-3 */
    WR_TOK_PLUS,
    WR_TOK_MINUS,
    WR_TOK_STAR,
    WR_TOK_SLASH,
    WR_TOK_PERCENT,
    WR_TOK_CONCAT, /* || */
    WR_TOK_EQ,
    WR_TOK_NE, /* <> and != */
    WR_TOK_LT,
    WR_TOK_LE,
    WR_TOK_GT,
    WR_TOK_GE,
    WR_TOK_LPAREN,
    WR_TOK_RPAREN,
    WR_TOK_COMMA,
    WR_TOK_DOT,
    WR_TOK_SEMI,
    WR_TOK_LBRACKET, /* [ */
    WR_TOK_RBRACKET, /* ] */
    WR_TOK_ARROW,    /* => (named arguments) */
    WR_TOK_BINARY,   /* X'0AFF': hex digits, an even number of them */
} wr_lex_kind;

/*
 * The keywords the parser knows, with whether each is reserved. A reserved
 * word is never taken as a bare identifier or alias (it needs backquotes);
 * an unreserved one is a keyword only where the grammar expects it, so that
 * columns may be called `key`, `date`, `time`, `comment`, ...
 */
#define WR_LEX_KEYWORDS(X)                                                                         \
    X(ALL, 1)                                                                                      \
    X(ALTER, 0)                                                                                    \
    X(AND, 1)                                                                                      \
    X(AS, 1)                                                                                       \
    X(ASC, 0)                                                                                      \
    X(ASYMMETRIC, 1)                                                                               \
    X(BEGIN, 0)                                                                                    \
    X(BETWEEN, 1)                                                                                  \
    X(BOTH, 0)                                                                                     \
    X(BY, 1)                                                                                       \
    X(CASE, 1)                                                                                     \
    X(CAST, 1)                                                                                     \
    X(CATALOG, 0)                                                                                  \
    X(CATALOGS, 0)                                                                                 \
    X(COLUMNS, 0)                                                                                  \
    X(COMMENT, 0)                                                                                  \
    X(CONSTRAINT, 0)                                                                               \
    X(CREATE, 1)                                                                                   \
    X(CROSS, 1)                                                                                    \
    X(CURRENT, 0)                                                                                  \
    X(CURRENT_DATE, 1)                                                                             \
    X(CURRENT_TIME, 1)                                                                             \
    X(CURRENT_TIMESTAMP, 1)                                                                        \
    X(DATABASE, 0)                                                                                 \
    X(DATABASES, 0)                                                                                \
    X(DATE, 0)                                                                                     \
    X(DESC, 0)                                                                                     \
    X(DESCRIBE, 0)                                                                                 \
    X(DISTINCT, 1)                                                                                 \
    X(DROP, 1)                                                                                     \
    X(ELSE, 1)                                                                                     \
    X(END, 1)                                                                                      \
    X(ENFORCED, 0)                                                                                 \
    X(ESCAPE, 1)                                                                                   \
    X(EXCEPT, 1)                                                                                   \
    X(EXECUTE, 0)                                                                                  \
    X(EXISTS, 1)                                                                                   \
    X(EXPLAIN, 0)                                                                                  \
    X(EXTRACT, 0)                                                                                  \
    X(FALSE, 1)                                                                                    \
    X(FETCH, 1)                                                                                    \
    X(FILTER, 0)                                                                                   \
    X(FIRST, 0)                                                                                    \
    X(FOLLOWING, 0)                                                                                \
    X(FOR, 1)                                                                                      \
    X(FROM, 1)                                                                                     \
    X(FULL, 1)                                                                                     \
    X(FUNCTION, 0)                                                                                 \
    X(FUNCTIONS, 0)                                                                                \
    X(GROUP, 1)                                                                                    \
    X(HAVING, 1)                                                                                   \
    X(IF, 0)                                                                                       \
    X(IN, 1)                                                                                       \
    X(INNER, 1)                                                                                    \
    X(INSERT, 1)                                                                                   \
    X(INTERSECT, 1)                                                                                \
    X(INTERVAL, 0)                                                                                 \
    X(INTO, 1)                                                                                     \
    X(IS, 1)                                                                                       \
    X(JOBS, 0)                                                                                     \
    X(JOIN, 1)                                                                                     \
    X(KEY, 0)                                                                                      \
    X(LAST, 0)                                                                                     \
    X(LATERAL, 1)                                                                                  \
    X(LEADING, 0)                                                                                  \
    X(LEFT, 1)                                                                                     \
    X(LIKE, 1)                                                                                     \
    X(LIMIT, 1)                                                                                    \
    X(LOCAL, 0)                                                                                    \
    X(LOCALTIME, 1)                                                                                \
    X(LOCALTIMESTAMP, 1)                                                                           \
    X(METADATA, 0)                                                                                 \
    X(MODULES, 0)                                                                                  \
    X(NATURAL, 1)                                                                                  \
    X(NEXT, 0)                                                                                     \
    X(NOT, 1)                                                                                      \
    X(NULL, 1)                                                                                     \
    X(NULLS, 0)                                                                                    \
    X(OFFSET, 1)                                                                                   \
    X(ON, 1)                                                                                       \
    X(ONLY, 0)                                                                                     \
    X(OR, 1)                                                                                       \
    X(ORDER, 1)                                                                                    \
    X(OUTER, 1)                                                                                    \
    X(OVER, 1)                                                                                     \
    X(OVERWRITE, 0)                                                                                \
    X(PARTITION, 0)                                                                                \
    X(PARTITIONED, 0)                                                                              \
    X(PLAN, 0)                                                                                     \
    X(POSITION, 0)                                                                                 \
    X(PRECEDING, 0)                                                                                \
    X(PRECISION, 0)                                                                                \
    X(PRIMARY, 0)                                                                                  \
    X(RANGE, 0)                                                                                    \
    X(RENAME, 0)                                                                                   \
    X(RESET, 0)                                                                                    \
    X(RIGHT, 1)                                                                                    \
    X(ROW, 0)                                                                                      \
    X(ROWS, 0)                                                                                     \
    X(SELECT, 1)                                                                                   \
    X(SET, 0)                                                                                      \
    X(SHOW, 0)                                                                                     \
    X(SIMILAR, 1)                                                                                  \
    X(STATEMENT, 0)                                                                                \
    X(SUBSTRING, 0)                                                                                \
    X(SYMMETRIC, 1)                                                                                \
    X(TABLE, 1)                                                                                    \
    X(TABLES, 0)                                                                                   \
    X(TEMPORARY, 0)                                                                                \
    X(THEN, 1)                                                                                     \
    X(TIME, 0)                                                                                     \
    X(TIMESTAMP, 0)                                                                                \
    X(TO, 0)                                                                                       \
    X(TRAILING, 0)                                                                                 \
    X(TRIM, 0)                                                                                     \
    X(TRUE, 1)                                                                                     \
    X(TRY_CAST, 0)                                                                                 \
    X(UNBOUNDED, 0)                                                                                \
    X(UNION, 1)                                                                                    \
    X(UNKNOWN, 0)                                                                                  \
    X(USE, 0)                                                                                      \
    X(USER, 0)                                                                                     \
    X(USING, 1)                                                                                    \
    X(VALUES, 1)                                                                                   \
    X(VARYING, 0)                                                                                  \
    X(VIEW, 0)                                                                                     \
    X(VIEWS, 0)                                                                                    \
    X(VIRTUAL, 0)                                                                                  \
    X(WATERMARK, 0)                                                                                \
    X(WHEN, 1)                                                                                     \
    X(WHERE, 1)                                                                                    \
    X(WINDOW, 1)                                                                                   \
    X(WITH, 1)                                                                                     \
    X(WITHOUT, 0)                                                                                  \
    X(ZONE, 0)

/* clang-format off */
#define WR_LEX_KW_ENUM_(name, reserved) WR_KW_##name,
typedef enum wr_lex_kw {
    WR_KW_NONE = 0, /* not a keyword (or a quoted identifier) */
    WR_LEX_KEYWORDS(WR_LEX_KW_ENUM_)
    WR_KW_COUNT_
} wr_lex_kw;
#undef WR_LEX_KW_ENUM_
/* clang-format on */

typedef struct wr_lex_token {
    wr_lex_kind kind;
    wr_lex_kw kw; /* for WR_TOK_WORD: the keyword, or WR_KW_NONE */
    int pos;      /* byte offset of the first byte */
    int len;      /* bytes, quotes included */
} wr_lex_token;

typedef struct wr_lexer {
    const char *text;
    int len; /* bytes of text to scan; text need not be NUL-terminated */
    int pos; /* next byte to scan */
} wr_lexer;

/* Starts scanning text[offset..len). Borrows text for the lexer's lifetime. */
void wr_lex_init(wr_lexer *lex, const char *text, int len, int offset);

/*
 * Scans the next token into *tok, skipping whitespace and comments. Returns
 * 0, or WR_ERR_PARSE with err set at the offending byte (tok->kind is then
 * WR_TOK_ERROR and tok->pos that offset) for an unterminated string, quoted
 * identifier or comment, or a character that starts no token. At the end it
 * returns WR_TOK_EOF tokens forever. After an error the lexer does not move,
 * so calling again reports the same error.
 */
int wr_lex_next(wr_lexer *lex, wr_lex_token *tok, wr_error *err);

/* The keyword spelled by s[0..len) in any case, or WR_KW_NONE. */
wr_lex_kw wr_lex_keyword(const char *s, int len);
/* Upper-case spelling of a keyword ("SELECT"); "" for WR_KW_NONE. */
const char *wr_lex_keyword_name(wr_lex_kw kw);
/* True when kw may not be used as a bare identifier. */
bool wr_lex_is_reserved(wr_lex_kw kw);
/* A short description of a token kind for messages: "identifier", "')'". */
const char *wr_lex_kind_name(wr_lex_kind kind);

/*
 * The value of tok, allocated in arena: a string literal without its quotes
 * and with '' turned into ', a quoted identifier without its backquotes and
 * with `` turned into `, a binary literal's hex digits without X'', and any
 * other token's text as written.
 */
char *wr_lex_token_text(const char *text, const wr_lex_token *tok, wr_arena *arena);

#endif
