/*
 * lexer.c — scanner for Flink SQL; see lexer.h.
 *
 * Bytes >= 0x80 are taken as identifier characters so that UTF-8 names pass
 * through unchanged; everything else outside the token set is an error that
 * names the character and its offset.
 */
#include "lexer.h"

#include <string.h>

/* One entry per keyword, in enum order after WR_KW_NONE. */
/* clang-format off */
#define WR_LEX_KW_ENTRY_(name, reserved) {#name, reserved},
static const struct {
    const char *name;
    bool reserved;
} keywords[] = {
    {"", false}, /* WR_KW_NONE */
    WR_LEX_KEYWORDS(WR_LEX_KW_ENTRY_)
};
#undef WR_LEX_KW_ENTRY_
/* clang-format on */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || is_digit(c) || c == '$';
}

static unsigned char upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

void wr_lex_init(wr_lexer *lex, const char *text, int len, int offset)
{
    lex->text = text;
    lex->len = len;
    lex->pos = offset < 0 ? 0 : WR_MIN(offset, len);
}

wr_lex_kw wr_lex_keyword(const char *s, int len)
{
    /* The table is small and only consulted once per word; a scan that
     * rejects on the first letter and length is fast enough. */
    if (len <= 0 || len > 20) return WR_KW_NONE;
    for (int kw = 1; kw < WR_KW_COUNT_; kw++) {
        const char *name = keywords[kw].name;
        if (name[0] != (char)upper((unsigned char)s[0]) || (int)strlen(name) != len) continue;
        int i = 1;
        while (i < len && name[i] == (char)upper((unsigned char)s[i])) i++;
        if (i == len) return (wr_lex_kw)kw;
    }
    return WR_KW_NONE;
}

const char *wr_lex_keyword_name(wr_lex_kw kw)
{
    return kw > 0 && kw < WR_KW_COUNT_ ? keywords[kw].name : "";
}

bool wr_lex_is_reserved(wr_lex_kw kw)
{
    return kw > 0 && kw < WR_KW_COUNT_ && keywords[kw].reserved;
}

const char *wr_lex_kind_name(wr_lex_kind kind)
{
    switch (kind) {
    case WR_TOK_EOF:
        return "end of input";
    case WR_TOK_ERROR:
        return "invalid token";
    case WR_TOK_WORD:
        return "identifier";
    case WR_TOK_QUOTED:
        return "quoted identifier";
    case WR_TOK_STRING:
        return "string literal";
    case WR_TOK_INTEGER:
        return "integer";
    case WR_TOK_DECIMAL:
        return "decimal number";
    case WR_TOK_DOUBLE:
        return "floating-point number";
    case WR_TOK_PLUS:
        return "'+'";
    case WR_TOK_MINUS:
        return "'-'";
    case WR_TOK_STAR:
        return "'*'";
    case WR_TOK_SLASH:
        return "'/'";
    case WR_TOK_PERCENT:
        return "'%'";
    case WR_TOK_CONCAT:
        return "'||'";
    case WR_TOK_EQ:
        return "'='";
    case WR_TOK_NE:
        return "'<>'";
    case WR_TOK_LT:
        return "'<'";
    case WR_TOK_LE:
        return "'<='";
    case WR_TOK_GT:
        return "'>'";
    case WR_TOK_GE:
        return "'>='";
    case WR_TOK_LPAREN:
        return "'('";
    case WR_TOK_RPAREN:
        return "')'";
    case WR_TOK_COMMA:
        return "','";
    case WR_TOK_DOT:
        return "'.'";
    case WR_TOK_SEMI:
        return "';'";
    case WR_TOK_LBRACKET:
        return "'['";
    case WR_TOK_RBRACKET:
        return "']'";
    case WR_TOK_ARROW:
        return "'=>'";
    case WR_TOK_BINARY:
        return "binary literal";
    }
    return "token";
}

static int fail(wr_lex_token *tok, wr_error *err, int pos, const char *msg)
{
    tok->kind = WR_TOK_ERROR;
    tok->kw = WR_KW_NONE;
    tok->pos = pos;
    tok->len = 0;
    return wr_error_set_at(err, WR_ERR_PARSE, pos, "%s", msg);
}

/* Skips whitespace and comments. Returns 0, or the offset + 1 of an
 * unterminated block comment (so that 0 stays free for "no error"). */
static int skip_space(wr_lexer *lex)
{
    const char *s = lex->text;
    int i = lex->pos, n = lex->len;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
                         s[i] == '\f' || s[i] == '\v'))
            i++;
        if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
            while (i < n && s[i] != '\n') i++;
        } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            int start = i;
            i += 2;
            while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/')) i++;
            if (i + 1 >= n) {
                lex->pos = start;
                return start + 1;
            }
            i += 2;
        } else {
            break;
        }
    }
    lex->pos = i;
    return 0;
}

/* Scans a quoted token whose delimiter q is doubled to escape it. Returns the
 * offset just past the closing quote, or -1 when the text ends first. */
static int scan_quoted(const char *s, int i, int n, char q)
{
    for (i++; i < n; i++) {
        if (s[i] != q) continue;
        if (i + 1 < n && s[i + 1] == q) {
            i++;
            continue;
        }
        return i + 1;
    }
    return -1;
}

int wr_lex_next(wr_lexer *lex, wr_lex_token *tok, wr_error *err)
{
    int bad_comment = skip_space(lex);
    if (bad_comment) return fail(tok, err, bad_comment - 1, "unterminated comment");

    const char *s = lex->text;
    int n = lex->len, i = lex->pos;
    tok->kw = WR_KW_NONE;
    tok->pos = i;
    if (i >= n) {
        tok->kind = WR_TOK_EOF;
        tok->len = 0;
        return 0;
    }

    unsigned char c = (unsigned char)s[i];
    unsigned char c1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
    wr_lex_kind kind;
    int end = i + 1;

    if ((c == 'x' || c == 'X') && c1 == '\'') {
        /* X'0AFF': a binary string, two hex digits per byte. */
        end = scan_quoted(s, i + 1, n, '\'');
        if (end < 0) return fail(tok, err, i, "unterminated binary literal");
        for (int j = i + 2; j < end - 1; j++)
            if (!is_hex((unsigned char)s[j])) {
                fail(tok, err, j, "");
                return wr_error_set_at(err, WR_ERR_PARSE, j,
                                       "a binary literal takes only hex digits (0-9, A-F)");
            }
        if ((end - i - 3) % 2)
            return fail(tok, err, i, "a binary literal needs an even number of hex digits");
        kind = WR_TOK_BINARY;
    } else if (is_ident_start(c)) {
        while (end < n && is_ident_char((unsigned char)s[end])) end++;
        kind = WR_TOK_WORD;
        tok->kw = wr_lex_keyword(s + i, end - i);
    } else if (is_digit(c) || (c == '.' && is_digit(c1))) {
        end = i;
        while (end < n && is_digit((unsigned char)s[end])) end++;
        kind = WR_TOK_INTEGER;
        if (end < n && s[end] == '.') {
            end++;
            while (end < n && is_digit((unsigned char)s[end])) end++;
            kind = WR_TOK_DECIMAL;
        }
        if (end < n && (s[end] == 'e' || s[end] == 'E')) {
            int j = end + 1;
            if (j < n && (s[j] == '+' || s[j] == '-')) j++;
            if (j < n && is_digit((unsigned char)s[j])) {
                end = j;
                while (end < n && is_digit((unsigned char)s[end])) end++;
                kind = WR_TOK_DOUBLE;
            }
        }
    } else if (c == '\'') {
        end = scan_quoted(s, i, n, '\'');
        if (end < 0) return fail(tok, err, i, "unterminated string literal");
        kind = WR_TOK_STRING;
    } else if (c == '`') {
        end = scan_quoted(s, i, n, '`');
        if (end < 0) return fail(tok, err, i, "unterminated quoted identifier");
        if (end == i + 2) return fail(tok, err, i, "empty quoted identifier");
        kind = WR_TOK_QUOTED;
    } else {
        switch (c) {
        case '+':
            kind = WR_TOK_PLUS;
            break;
        case '-':
            kind = WR_TOK_MINUS;
            break;
        case '*':
            kind = WR_TOK_STAR;
            break;
        case '/':
            kind = WR_TOK_SLASH;
            break;
        case '%':
            kind = WR_TOK_PERCENT;
            break;
        case '=':
            kind = WR_TOK_EQ;
            if (c1 == '>') kind = WR_TOK_ARROW, end++;
            break;
        case '[':
            kind = WR_TOK_LBRACKET;
            break;
        case ']':
            kind = WR_TOK_RBRACKET;
            break;
        case '(':
            kind = WR_TOK_LPAREN;
            break;
        case ')':
            kind = WR_TOK_RPAREN;
            break;
        case ',':
            kind = WR_TOK_COMMA;
            break;
        case '.':
            kind = WR_TOK_DOT;
            break;
        case ';':
            kind = WR_TOK_SEMI;
            break;
        case '<':
            kind = WR_TOK_LT;
            if (c1 == '=')
                kind = WR_TOK_LE, end++;
            else if (c1 == '>')
                kind = WR_TOK_NE, end++;
            break;
        case '>':
            kind = WR_TOK_GT;
            if (c1 == '=') kind = WR_TOK_GE, end++;
            break;
        case '|':
            if (c1 != '|') goto unexpected;
            kind = WR_TOK_CONCAT, end++;
            break;
        case '!':
            if (c1 != '=') goto unexpected;
            kind = WR_TOK_NE, end++;
            break;
        default:
            goto unexpected;
        }
    }
    tok->kind = kind;
    tok->len = end - i;
    lex->pos = end;
    return 0;

unexpected:
    fail(tok, err, i, "");
    if (c == '"')
        return wr_error_set_at(err, WR_ERR_PARSE, i,
                               "unexpected character '\"' (quote identifiers with `backquotes` "
                               "and strings with 'single quotes')");
    if (c >= 0x21 && c < 0x7f)
        return wr_error_set_at(err, WR_ERR_PARSE, i, "unexpected character '%c'", c);
    return wr_error_set_at(err, WR_ERR_PARSE, i, "unexpected byte 0x%02X", c);
}

char *wr_lex_token_text(const char *text, const wr_lex_token *tok, wr_arena *arena)
{
    const char *s = text + tok->pos;
    if (tok->kind == WR_TOK_BINARY) return wr_arena_strndup(arena, s + 2, (size_t)tok->len - 3);
    if (tok->kind != WR_TOK_STRING && tok->kind != WR_TOK_QUOTED)
        return wr_arena_strndup(arena, s, (size_t)tok->len);
    /* Drop the quotes and undouble the inner ones: the result is never longer. */
    char q = s[0];
    int n = tok->len - 2;
    char *out = wr_arena_alloc(arena, (size_t)n + 1);
    int o = 0;
    for (int i = 1; i <= n; i++) {
        out[o++] = s[i];
        if (s[i] == q) i++;
    }
    out[o] = '\0';
    return out;
}
