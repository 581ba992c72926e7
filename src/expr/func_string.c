/*
 * func_string.c — built-in string functions (functions.h).
 *
 * Strings are UTF-8 and, as in Flink, lengths and positions count
 * characters, not bytes. Results that are a piece of an argument (SUBSTRING,
 * TRIM, LEFT) are views of the argument's bytes, which live as long as the
 * batch or the constant; new strings go to the evaluation arena. Where Flink
 * runs Java code (LPAD, OVERLAY, INSTR, regular expressions), the kernels
 * follow that code's edge cases: a negative length gives NULL, an empty pad
 * gives NULL, a bad regular expression in a column gives NULL.
 *
 * Regular expressions are PCRE2, set up to read like Java's: \uXXXX and
 * \x{...} escapes, '.' stopping at CR and LF, ASCII \d \w \s. A constant
 * pattern is compiled (and JIT-compiled) once at bind time and shared by
 * every thread; each kernel call brings its own match data. Patterns read
 * from a column are compiled per call through a small cache.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "func_util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <strings.h>
#include <sys/random.h>
#include <wctype.h>

/* Sets a runtime error for a result longer than WR_FN_MAX_STRING. */
static int too_long(const wr_expr *e, uint64_t bytes, wr_error *err)
{
    return wr_error_set(err, WR_ERR_RUNTIME,
                        "%s: the result would be %" PRIu64 " bytes long (the limit is %u)", e->name,
                        bytes, WR_FN_MAX_STRING);
}

/* The result type for a function whose result is at most as long as its argument a. */
static wr_type same_length(const wr_expr *a, bool nullable)
{
    wr_type t = wr_fn_string(nullable);
    if (wr_type_is_string(a->type.id)) t.length = a->type.length;
    return t;
}

/* def->data of the functions whose bind only checks the arguments against a signature. */
typedef struct simple_fn {
    const char *spec; /* wr_fn_coerce's signature */
    wr_kernel_fn kernel;
    wr_type_id result; /* VARCHAR: STRING, or as long as the first argument with same_len */
    bool same_len;
    bool may_be_null; /* NULL also for present arguments (a negative length, ...) */
} simple_fn;

static wr_expr *bind_simple(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    const simple_fn *fn = def->data;
    if (wr_fn_coerce(def, args, nargs, fn->spec, pos, err)) return wr_fn_drop(args, nargs);
    bool nullable = fn->may_be_null || wr_fn_nullable(args, nargs);
    wr_type t = fn->same_len ? same_length(args[0], nullable) : wr_type_make(fn->result, nullable);
    return wr_fn_call(def, fn->kernel, NULL, NULL, args, nargs, t, pos);
}

/* ---- length, case, reverse -------------------------------------------------------- */

static int k_char_length(WR_KERNEL_ARGS)
{
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        o[r] = (int32_t)wr_utf8_count(s.ptr, s.len);
    });
    return 0;
}

static bool is_ascii(wr_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] >= 0x80) return false;
    return true;
}

/*
 * Java's toUpperCase / toLowerCase: ASCII directly, other characters through
 * the C.UTF-8 locale's simple case mapping, plus ß -> SS (Java's one
 * common mapping that changes the length).
 */
static wr_str change_case(wr_eval *ev, wr_str s, bool upper)
{
    if (is_ascii(s)) {
        char *p = wr_fn_alloc(ev, s.len);
        for (uint32_t i = 0; i < s.len; i++) {
            char c = s.ptr[i];
            if (upper && c >= 'a' && c <= 'z') c = (char)(c - 32);
            if (!upper && c >= 'A' && c <= 'Z') c = (char)(c + 32);
            p[i] = c;
        }
        return (wr_str){p, s.len};
    }
    locale_t loc = wr_fn_utf8_locale();
    /* A character grows by at most half (2-byte to 3-byte forms). */
    char *p = wr_fn_alloc(ev, (size_t)s.len * 2);
    uint32_t k = 0;
    for (uint32_t i = 0; i < s.len;) {
        uint32_t at = i;
        uint32_t cp = wr_utf8_decode(s.ptr, s.len, &i);
        if (cp == 0xDF && upper) {
            p[k++] = 'S';
            p[k++] = 'S';
            continue;
        }
        uint32_t mapped = cp;
        if (cp < 0x80)
            mapped = upper ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp)
                           : (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        else if (loc != (locale_t)0 && cp != 0xFFFD)
            mapped = upper ? (uint32_t)towupper_l((wint_t)cp, loc)
                           : (uint32_t)towlower_l((wint_t)cp, loc);
        if (mapped == cp) { /* keep the bytes as they are, malformed ones included */
            memcpy(p + k, s.ptr + at, i - at);
            k += i - at;
        } else {
            k += (uint32_t)wr_utf8_encode(mapped, p + k);
        }
    }
    return (wr_str){p, k};
}

static inline int case_rows(wr_eval *ev, const wr_vector *args, wr_vector *out, const uint32_t *sel,
                            int n, bool upper)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r)) o[r] = change_case(ev, wr_fn_str(&args[0], r), upper);
    });
    return 0;
}

static int k_upper(WR_KERNEL_ARGS)
{
    return case_rows(ev, args, out, sel, n, true);
}

static int k_lower(WR_KERNEL_ARGS)
{
    return case_rows(ev, args, out, sel, n, false);
}

/*
 * INITCAP as Flink (Calcite's initcap): words are runs of ASCII letters and
 * digits; their first letter goes to upper case and the rest to lower case.
 * Any other character, non-ASCII ones included, separates words.
 */
static int k_initcap(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        char *p = wr_fn_alloc(ev, s.len);
        bool start = true;
        for (uint32_t i = 0; i < s.len; i++) {
            char c = s.ptr[i];
            bool digit = c >= '0' && c <= '9', up = c >= 'A' && c <= 'Z',
                 low = c >= 'a' && c <= 'z';
            if (start) {
                if (low) c = (char)(c - 32);
                start = !(digit || up || low);
            } else if (up) {
                c = (char)(c + 32);
            } else if (!digit && !low) {
                start = true;
            }
            p[i] = c;
        }
        o[r] = (wr_str){p, s.len};
    });
    return 0;
}

/* The characters of s in reverse order (each character's bytes kept in order), in the arena. */
static wr_str reversed(wr_eval *ev, wr_str s)
{
    char *p = wr_fn_alloc(ev, s.len);
    for (uint32_t i = 0; i < s.len;) {
        uint32_t next = wr_utf8_skip(s.ptr, s.len, i, 1);
        memcpy(p + s.len - next, s.ptr + i, next - i);
        i = next;
    }
    return (wr_str){p, s.len};
}

static int k_reverse(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r)) o[r] = reversed(ev, wr_fn_str(&args[0], r));
    });
    return 0;
}

/* ---- searching ------------------------------------------------------------------- */

/*
 * Java's BinaryStringData.indexOf: the character index of the first
 * occurrence of needle in hay at or after character from (from < 0 counts
 * as 0), -1 when there is none, and 0 for an empty needle wherever from is.
 */
static int64_t index_of(wr_str hay, wr_str needle, int64_t from)
{
    if (needle.len == 0) return 0;
    uint32_t start = wr_utf8_skip(hay.ptr, hay.len, 0, from < 0 ? 0 : from);
    const char *hit = memmem(hay.ptr + start, hay.len - start, needle.ptr, needle.len);
    if (hit == NULL) return -1;
    return wr_utf8_count(hay.ptr, (uint32_t)(hit - hay.ptr));
}

/* POSITION(needle, hay) and LOCATE(needle, hay [, from]): 1-based, 0 when absent. */
static int k_locate(WR_KERNEL_ARGS)
{
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    const int32_t *from = e->nargs > 2 ? args[2].data : NULL;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        int64_t at = index_of(wr_fn_str(&args[1], r), wr_fn_str(&args[0], r),
                              from ? (int64_t)from[r] - 1 : 0);
        o[r] = (int32_t)(at + 1);
    });
    return 0;
}

/*
 * INSTR(str, sub [, start [, nth]]) as Flink's SqlFunctionUtils.instr: the
 * position of the nth occurrence searching from start; a negative start
 * searches backwards from that many characters before the end.
 */
static int64_t instr(wr_eval *ev, wr_str s, wr_str sub, int64_t start, int64_t nth)
{
    if (start == 0) return 0;
    if (start > 0) {
        int64_t from = start, index = 0;
        for (int64_t i = 0; i < nth; i++) {
            index = index_of(s, sub, from - 1) + 1;
            if (index == 0) return 0;
            from = index + 1;
        }
        return index;
    }
    int64_t pos = instr(ev, reversed(ev, s), reversed(ev, sub), -start, nth);
    if (pos == 0) return 0;
    return wr_utf8_count(s.ptr, s.len) + 2 - pos - wr_utf8_count(sub.ptr, sub.len);
}

static int k_instr(WR_KERNEL_ARGS)
{
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    const int32_t *start = e->nargs > 2 ? args[2].data : NULL;
    const int32_t *nth = e->nargs > 3 ? args[3].data : NULL;
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        int64_t k = nth ? nth[r] : 1;
        if (k <= 0) {
            rc = wr_error_set(err, WR_ERR_RUNTIME,
                              "INSTR: the occurrence to find must be positive, got %" PRId64, k);
            break;
        }
        o[r] = (int32_t)instr(ev, wr_fn_str(&args[0], r), wr_fn_str(&args[1], r),
                              start ? start[r] : 1, k);
    });
    return rc;
}

/* ---- TRIM, LTRIM, RTRIM ---------------------------------------------------------- */

/*
 * s without the leading and/or trailing characters that occur in chars (a
 * set of characters, not a prefix). A whole UTF-8 character can only match
 * at a character boundary of chars, so a byte search suffices.
 */
static wr_str trim_set(wr_str s, wr_str chars, bool leading, bool trailing)
{
    uint32_t b = 0, e = s.len;
    if (chars.len == 0) return s;
    while (leading && b < e) {
        uint32_t next = wr_utf8_skip(s.ptr, e, b, 1);
        if (!memmem(chars.ptr, chars.len, s.ptr + b, next - b)) break;
        b = next;
    }
    while (trailing && e > b) {
        uint32_t start = wr_utf8_back(s.ptr, e);
        if (start < b) start = b;
        if (!memmem(chars.ptr, chars.len, s.ptr + start, e - start)) break;
        e = start;
    }
    return (wr_str){s.ptr + b, e - b};
}

/* TRIM(mode, chars, s) keeps mode in its kernel; LTRIM/RTRIM(s [, chars]) default to ' '. */
static inline int trim_rows(wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out,
                            const uint32_t *sel, int n, bool leading, bool trailing)
{
    bool sql_form = e->nargs == 3; /* TRIM(mode, chars, s) */
    const wr_vector *s = &args[sql_form ? 2 : 0];
    const wr_vector *chars = sql_form ? &args[1] : e->nargs == 2 ? &args[1] : NULL;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str set = chars ? wr_fn_str(chars, r) : (wr_str){" ", 1};
        o[r] = trim_set(wr_fn_str(s, r), set, leading, trailing);
    });
    return 0;
}

static int k_trim_both(WR_KERNEL_ARGS)
{
    return trim_rows(ev, e, args, out, sel, n, true, true);
}

static int k_trim_leading(WR_KERNEL_ARGS)
{
    return trim_rows(ev, e, args, out, sel, n, true, false);
}

static int k_trim_trailing(WR_KERNEL_ARGS)
{
    return trim_rows(ev, e, args, out, sel, n, false, true);
}

/* TRIM('BOTH'|'LEADING'|'TRAILING', chars, s), the form the parser gives every TRIM. */
static wr_expr *bind_trim(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    if (wr_fn_coerce(def, args, nargs, "SSS", pos, err)) return wr_fn_drop(args, nargs);
    wr_fn_const mode;
    if (wr_fn_const_eval(args[0], &mode, err)) return wr_fn_drop(args, nargs);
    static const char *const modes[] = {"BOTH", "LEADING", "TRAILING"};
    static const wr_kernel_fn kernels[] = {k_trim_both, k_trim_leading, k_trim_trailing};
    wr_kernel_fn k = NULL;
    for (size_t i = 0; i < WR_ARRAY_LEN(modes); i++)
        if (mode.is_const && !mode.is_null && strcasecmp(mode.s, modes[i]) == 0) k = kernels[i];
    wr_fn_const_fini(&mode);
    if (k == NULL) {
        wr_error_set_at(err, WR_ERR_VALIDATION, args[0]->pos,
                        "TRIM: the mode must be one of the constants 'BOTH', 'LEADING' or "
                        "'TRAILING'");
        return wr_fn_drop(args, nargs);
    }
    wr_type t = same_length(args[2], wr_fn_nullable(args + 1, 2));
    return wr_fn_call(def, k, NULL, NULL, args, nargs, t, pos);
}

/* ---- pieces: SUBSTRING, LEFT, RIGHT, OVERLAY ---------------------------------------- */

/*
 * Flink's substringSQL: characters from pos (1-based; 0 counts as 1, a
 * negative pos counts from the end) for length characters. False (NULL)
 * for a negative length; empty when pos lies outside the string.
 */
static bool substring_sql(wr_str s, int64_t pos, int64_t length, wr_str *out)
{
    if (length < 0) return false;
    *out = (wr_str){s.ptr, 0};
    if (s.len == 0) return true;
    int64_t nchars = wr_utf8_count(s.ptr, s.len), start = 0;
    if (pos > 0) {
        start = pos - 1;
        if (start >= nchars) return true;
    } else if (pos < 0) {
        start = nchars + pos;
        if (start < 0) return true;
    }
    int64_t count = nchars - start < length ? nchars - start : length;
    uint32_t b = wr_utf8_skip(s.ptr, s.len, 0, start);
    uint32_t e = wr_utf8_skip(s.ptr, s.len, b, count);
    *out = (wr_str){s.ptr + b, e - b};
    return true;
}

static int k_substring(WR_KERNEL_ARGS)
{
    const int32_t *start = args[1].data, *len = e->nargs > 2 ? args[2].data : NULL;
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, e->nargs);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        if (!substring_sql(wr_fn_str(&args[0], r), start[r], len ? len[r] : INT32_MAX, &o[r]))
            wr_validity_set(valid, r, false);
    });
    return 0;
}

/* SUBSTRING(s, start [, length]): NULL also for a negative length unless it is a constant >= 0. */
static wr_expr *bind_substring(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                               wr_error *err)
{
    if (wr_fn_coerce(def, args, nargs, "SII", pos, err)) return wr_fn_drop(args, nargs);
    bool nullable = wr_fn_nullable(args, nargs);
    if (nargs == 3) {
        wr_fn_const len;
        if (wr_fn_const_eval(args[2], &len, err)) return wr_fn_drop(args, nargs);
        if (!len.is_const || len.is_null || len.i < 0) nullable = true;
    }
    return wr_fn_call(def, k_substring, NULL, NULL, args, nargs, same_length(args[0], nullable),
                      pos);
}

/* LEFT(s, n) and RIGHT(s, n): empty for n <= 0. */
static inline int side_rows(wr_eval *ev, const wr_vector *args, wr_vector *out, const uint32_t *sel,
                            int n, bool left)
{
    const int32_t *count = args[1].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        int64_t k = count[r];
        if (k <= 0)
            o[r] = (wr_str){s.ptr, 0};
        else if (left)
            o[r] = (wr_str){s.ptr, wr_utf8_skip(s.ptr, s.len, 0, k)};
        else
            substring_sql(s, wr_utf8_count(s.ptr, s.len) <= k ? 0 : -k, INT32_MAX, &o[r]);
    });
    return 0;
}

static int k_left(WR_KERNEL_ARGS)
{
    return side_rows(ev, args, out, sel, n, true);
}

static int k_right(WR_KERNEL_ARGS)
{
    return side_rows(ev, args, out, sel, n, false);
}

/*
 * OVERLAY(s, r, start [, length]) as Flink's SqlFunctionUtils.overlay:
 * s unchanged when start lies outside it; otherwise the characters before
 * start, then r, then what follows the replaced length characters (nothing
 * when length <= 0 or the replaced part reaches past the end).
 */
static int k_overlay(WR_KERNEL_ARGS)
{
    const int32_t *start = args[2].data, *len = e->nargs > 3 ? args[3].data : NULL;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r), x = wr_fn_str(&args[1], r);
        int64_t nchars = wr_utf8_count(s.ptr, s.len), at = start[r];
        int64_t length = len ? len[r] : wr_utf8_count(x.ptr, x.len);
        if (at <= 0 || at > nchars) {
            o[r] = s;
            continue;
        }
        uint32_t head = wr_utf8_skip(s.ptr, s.len, 0, at - 1);
        uint32_t tail = s.len;
        if (at + length <= nchars && length > 0) tail = wr_utf8_skip(s.ptr, s.len, head, length);
        uint32_t total = head + x.len + (s.len - tail);
        char *p = wr_fn_alloc(ev, total);
        memcpy(p, s.ptr, head);
        if (x.len) memcpy(p + head, x.ptr, x.len);
        if (s.len > tail) memcpy(p + head + x.len, s.ptr + tail, s.len - tail);
        o[r] = (wr_str){p, total};
    });
    return 0;
}

/* ---- building: REPEAT, REPLACE, CONCAT, CONCAT_WS, LPAD, RPAD ---------------------------- */

static int k_repeat(WR_KERNEL_ARGS)
{
    const int32_t *times = args[1].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        int64_t k = times[r] > 0 ? times[r] : 0;
        uint64_t total = (uint64_t)s.len * (uint64_t)k;
        if (total > WR_FN_MAX_STRING) {
            rc = too_long(e, total, err);
            break;
        }
        char *p = wr_fn_alloc(ev, total);
        for (int64_t i = 0; i < k; i++) memcpy(p + (uint64_t)i * s.len, s.ptr, s.len);
        o[r] = (wr_str){p, (uint32_t)total};
    });
    return rc;
}

/*
 * REPLACE(s, from, to) as Java's String.replace: every occurrence, left to
 * right without overlaps; an empty `from` inserts `to` around every character.
 */
static int k_replace(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 3);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r), from = wr_fn_str(&args[1], r),
               to = wr_fn_str(&args[2], r);
        uint64_t hits = 0;
        if (from.len == 0) {
            hits = (uint64_t)wr_utf8_count(s.ptr, s.len) + 1;
        } else {
            for (const char *q = s.ptr, *end = s.ptr + s.len;
                 (q = memmem(q, (size_t)(end - q), from.ptr, from.len)); q += from.len)
                hits++;
        }
        if (hits == 0) {
            o[r] = s;
            continue;
        }
        uint64_t total = s.len + hits * to.len - (from.len ? hits * from.len : 0);
        if (total > WR_FN_MAX_STRING) {
            rc = too_long(e, total, err);
            break;
        }
        char *p = wr_fn_alloc(ev, total);
        uint32_t k = 0, i = 0;
        while (i <= s.len) {
            const char *hit;
            uint32_t next;
            if (from.len == 0) {
                hit = s.ptr + i;
                next = i;
            } else {
                hit = memmem(s.ptr + i, s.len - i, from.ptr, from.len);
                if (hit == NULL) break;
                next = (uint32_t)(hit - s.ptr) + from.len;
            }
            uint32_t gap = (uint32_t)(hit - s.ptr) - i;
            memcpy(p + k, s.ptr + i, gap);
            k += gap;
            if (to.len) memcpy(p + k, to.ptr, to.len);
            k += to.len;
            if (from.len == 0) { /* the character after the insertion point */
                if (i == s.len) {
                    i++;
                    break;
                }
                next = wr_utf8_skip(s.ptr, s.len, i, 1);
                memcpy(p + k, s.ptr + i, next - i);
                k += next - i;
            }
            i = next;
        }
        if (i < s.len) {
            memcpy(p + k, s.ptr + i, s.len - i);
            k += s.len - i;
        }
        o[r] = (wr_str){p, k};
    });
    return rc;
}

/* CONCAT(s1, s2, ...): NULL when any argument is. */
static int k_concat(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        uint64_t total = 0;
        for (int a = 0; a < e->nargs; a++) total += wr_fn_str(&args[a], r).len;
        if (total > WR_FN_MAX_STRING) {
            rc = too_long(e, total, err);
            break;
        }
        char *p = wr_fn_alloc(ev, total);
        uint32_t k = 0;
        for (int a = 0; a < e->nargs; a++) {
            wr_str s = wr_fn_str(&args[a], r);
            if (s.len) memcpy(p + k, s.ptr, s.len);
            k += s.len;
        }
        o[r] = (wr_str){p, k};
    });
    return rc;
}

/* CONCAT_WS(sep, s1, ...): NULL only when sep is; NULL strings are skipped. */
static int k_concat_ws(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str sep = wr_fn_str(&args[0], r);
        uint64_t total = 0;
        int parts = 0;
        for (int a = 1; a < e->nargs; a++)
            if (wr_fn_present(args[a].validity, r)) total += wr_fn_str(&args[a], r).len, parts++;
        if (parts > 1) total += (uint64_t)(parts - 1) * sep.len;
        if (total > WR_FN_MAX_STRING) {
            rc = too_long(e, total, err);
            break;
        }
        char *p = wr_fn_alloc(ev, total);
        uint32_t k = 0;
        bool first = true;
        for (int a = 1; a < e->nargs; a++) {
            if (!wr_fn_present(args[a].validity, r)) continue;
            if (!first && sep.len) memcpy(p + k, sep.ptr, sep.len), k += sep.len;
            first = false;
            wr_str s = wr_fn_str(&args[a], r);
            if (s.len) memcpy(p + k, s.ptr, s.len);
            k += s.len;
        }
        o[r] = (wr_str){p, k};
    });
    return rc;
}

static wr_expr *bind_concat(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    bool ws = def->data != NULL;
    if (wr_fn_coerce(def, args, nargs, "S", pos, err)) return wr_fn_drop(args, nargs);
    int64_t len = 0;
    for (int i = 0; i < nargs; i++) len += args[i]->type.length;
    if (ws && nargs > 2) len += (int64_t)args[0]->type.length * (nargs - 2) - args[0]->type.length;
    wr_type t = wr_fn_string(ws ? wr_fn_nullable(args, 1) : wr_fn_nullable(args, nargs));
    t.length = len >= WR_VARCHAR_MAX ? WR_VARCHAR_MAX : (int32_t)WR_MAX(len, 1);
    return wr_fn_call(def, ws ? k_concat_ws : k_concat, NULL, NULL, args, nargs, t, pos);
}

/* Bytes of `chars` characters of pad repeated from its start (pad has np characters). */
static uint64_t pad_bytes(wr_str pad, int64_t np, int64_t chars)
{
    uint64_t full = (uint64_t)(chars / np) * pad.len;
    return full + wr_utf8_skip(pad.ptr, pad.len, 0, chars % np);
}

/* Writes `chars` characters of pad repeated from its start to p; returns the bytes written. */
static uint32_t put_pad(char *p, wr_str pad, int64_t np, int64_t chars)
{
    uint32_t k = 0;
    for (int64_t i = 0; i < chars / np; i++) memcpy(p + k, pad.ptr, pad.len), k += pad.len;
    uint32_t rest = wr_utf8_skip(pad.ptr, pad.len, 0, chars % np);
    memcpy(p + k, pad.ptr, rest);
    return k + rest;
}

/*
 * LPAD/RPAD(s, len, pad) as Flink's: NULL for a negative len or an empty
 * pad; s cut to len characters, or padded with pad repeated up to len.
 */
static inline int pad_rows(wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out,
                           const uint32_t *sel, int n, wr_error *err, bool left)
{
    const int32_t *want = args[1].data;
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, 3);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r), pad = wr_fn_str(&args[2], r);
        int64_t len = want[r];
        if (len < 0 || pad.len == 0) {
            wr_validity_set(valid, r, false);
            continue;
        }
        int64_t ns = wr_utf8_count(s.ptr, s.len), np = wr_utf8_count(pad.ptr, pad.len);
        int64_t keep = ns < len ? ns : len, fill = len - keep;
        uint32_t kept = wr_utf8_skip(s.ptr, s.len, 0, keep);
        uint64_t total = kept + pad_bytes(pad, np, fill);
        if (total > WR_FN_MAX_STRING) {
            rc = too_long(e, total, err);
            break;
        }
        char *p = wr_fn_alloc(ev, total);
        if (left) {
            uint32_t k = put_pad(p, pad, np, fill);
            memcpy(p + k, s.ptr, kept);
        } else {
            memcpy(p, s.ptr, kept);
            put_pad(p + kept, pad, np, fill);
        }
        o[r] = (wr_str){p, (uint32_t)total};
    });
    return rc;
}

static int k_lpad(WR_KERNEL_ARGS)
{
    return pad_rows(ev, e, args, out, sel, n, err, true);
}

static int k_rpad(WR_KERNEL_ARGS)
{
    return pad_rows(ev, e, args, out, sel, n, err, false);
}

/* ---- base64, ASCII, CHR --------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int k_to_base64(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        uint64_t total = ((uint64_t)s.len + 2) / 3 * 4;
        if (total > WR_FN_MAX_STRING) {
            rc = too_long(e, total, err);
            break;
        }
        const unsigned char *in = (const unsigned char *)s.ptr;
        char *p = wr_fn_alloc(ev, total);
        uint32_t k = 0, i = 0;
        for (; i + 3 <= s.len; i += 3) {
            uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
            p[k++] = b64[v >> 18];
            p[k++] = b64[(v >> 12) & 63];
            p[k++] = b64[(v >> 6) & 63];
            p[k++] = b64[v & 63];
        }
        if (i < s.len) {
            uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < s.len ? (uint32_t)in[i + 1] << 8 : 0);
            p[k++] = b64[v >> 18];
            p[k++] = b64[(v >> 12) & 63];
            p[k++] = i + 1 < s.len ? b64[(v >> 6) & 63] : '=';
            p[k++] = '=';
        }
        o[r] = (wr_str){p, k};
    });
    return rc;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/*
 * Decodes base64 as Java's basic decoder: the standard alphabet, no line
 * breaks, padding optional but correct where present, nothing after it.
 * Returns the decoded length, or -1 with *why set.
 */
static int64_t b64_decode(wr_str s, char *out, const char **why)
{
    uint32_t bits = 0, k = 0;
    int shift = 18; /* where the next 6 bits go in the current 24-bit group */
    uint32_t i = 0;
    for (; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '=') {
            /* "=" after 2 characters must be "==", after 3 a single "=" */
            if (shift == 18 || (shift == 6 && (++i == s.len || s.ptr[i] != '='))) {
                *why = "wrong padding at the end";
                return -1;
            }
            i++;
            break;
        }
        int v = b64_value(c);
        if (v < 0) {
            *why = "illegal base64 character";
            return -1;
        }
        bits |= (uint32_t)v << shift;
        shift -= 6;
        if (shift < 0) {
            out[k++] = (char)(bits >> 16);
            out[k++] = (char)(bits >> 8);
            out[k++] = (char)bits;
            bits = 0;
            shift = 18;
        }
    }
    if (shift == 6) {
        out[k++] = (char)(bits >> 16);
    } else if (shift == 0) {
        out[k++] = (char)(bits >> 16);
        out[k++] = (char)(bits >> 8);
    } else if (shift == 12) {
        *why = "the last unit does not have enough bits";
        return -1;
    }
    if (i < s.len) {
        *why = "characters after the padding";
        return -1;
    }
    return k;
}

static int k_from_base64(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        char *p = wr_fn_alloc(ev, s.len / 4 * 3 + 3);
        const char *why;
        int64_t k = b64_decode(s, p, &why);
        if (k < 0) {
            char ex[80];
            wr_fn_excerpt(s.ptr, s.len, ex, sizeof(ex));
            rc = wr_error_set(err, WR_ERR_RUNTIME, "FROM_BASE64: invalid base64 input '%s': %s", ex,
                              why);
            break;
        }
        o[r] = (wr_str){p, (uint32_t)k};
    });
    return rc;
}

/* ASCII(s): the first byte as Flink reads it (a signed byte; 0 for an empty string). */
static int k_ascii(WR_KERNEL_ARGS)
{
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        o[r] = s.len ? (int8_t)s.ptr[0] : 0;
    });
    return 0;
}

/* CHR(n): the character n mod 256 (Latin-1); empty for a negative n. */
static int k_chr(WR_KERNEL_ARGS)
{
    const int64_t *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        if (x[r] < 0) {
            o[r] = (wr_str){"", 0};
            continue;
        }
        char *p = wr_fn_alloc(ev, 2);
        o[r] = (wr_str){p, (uint32_t)wr_utf8_encode((uint32_t)(x[r] & 0xFF), p)};
    });
    return 0;
}

/* ---- SPLIT_INDEX -------------------------------------------------------------------- */

static bool is_java_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/*
 * The index-th (0-based) piece of s split at every occurrence of sep, empty
 * pieces kept (commons-lang's splitByWholeSeparatorPreserveAllTokens); an
 * empty sep splits at every whitespace character. False when there is no
 * such piece (an empty s has none).
 */
static bool split_piece(wr_str s, wr_str sep, int64_t index, wr_str *out)
{
    if (index < 0 || s.len == 0) return false;
    uint32_t start = 0;
    for (int64_t k = 0;; k++) {
        uint32_t end, next;
        if (sep.len == 0) {
            end = start;
            while (end < s.len && !is_java_space(s.ptr[end])) end++;
            next = end + 1;
        } else {
            const char *hit = memmem(s.ptr + start, s.len - start, sep.ptr, sep.len);
            end = hit ? (uint32_t)(hit - s.ptr) : s.len;
            next = end + sep.len;
        }
        if (k == index) {
            *out = (wr_str){s.ptr + start, end - start};
            return true;
        }
        if (end == s.len) return false;
        start = next;
    }
}

static int k_split_index(WR_KERNEL_ARGS)
{
    const int32_t *index = args[2].data;
    bool char_sep = args[1].type.id == WR_TYPE_INT; /* SPLIT_INDEX(s, character code, index) */
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, 3);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str sep;
        char buf[4];
        if (char_sep) {
            int32_t c = ((const int32_t *)args[1].data)[r];
            if (c < 1 || c > 255) {
                wr_validity_set(valid, r, false);
                continue;
            }
            sep = (wr_str){buf, (uint32_t)wr_utf8_encode((uint32_t)c, buf)};
        } else {
            sep = wr_fn_str(&args[1], r);
        }
        if (!split_piece(wr_fn_str(&args[0], r), sep, index[r], &o[r]))
            wr_validity_set(valid, r, false);
    });
    return 0;
}

static wr_expr *bind_split_index(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                 wr_error *err)
{
    bool char_sep = wr_type_is_integer(args[1]->type.id);
    if (wr_fn_coerce(def, args, nargs, char_sep ? "SII" : "SSI", pos, err))
        return wr_fn_drop(args, nargs);
    return wr_fn_call(def, k_split_index, NULL, NULL, args, nargs, same_length(args[0], true), pos);
}

/* ---- PARSE_URL ---------------------------------------------------------------------- */

/* The parts of a URL as java.net.URL gives them; a part with ptr NULL is absent (NULL). */
typedef struct url_parts {
    wr_str protocol, authority, userinfo, host, path, query, ref, file;
} url_parts;

static bool has_prefix_ci(wr_str s, uint32_t at, const char *p)
{
    size_t n = strlen(p);
    return s.len - at >= n && strncasecmp(s.ptr + at, p, n) == 0;
}

static const char *memchr_in(const char *p, uint32_t from, uint32_t to, char c)
{
    return from < to ? memchr(p + from, c, to - from) : NULL;
}

/*
 * Parses an absolute URL as new java.net.URL(spec) does, for the protocols
 * Java knows (http, https, ftp, file, jar, mailto). False when Java would
 * throw MalformedURLException. The protocol is lower-cased into proto_buf.
 */
static bool url_parse(wr_str u, url_parts *p, char *proto_buf, size_t proto_size)
{
    static const char *const known[] = {"http", "https", "ftp", "file", "jar", "mailto"};
    memset(p, 0, sizeof(*p));
    uint32_t b = 0, limit = u.len;
    while (b < limit && (unsigned char)u.ptr[b] <= ' ') b++;
    while (limit > b && (unsigned char)u.ptr[limit - 1] <= ' ') limit--;
    if (has_prefix_ci(u, b, "url:")) b += 4;
    uint32_t i = b;
    while (i < limit && u.ptr[i] != ':' && u.ptr[i] != '/') i++;
    if (i == limit || u.ptr[i] != ':' || i == b || i - b >= proto_size) return false;
    for (uint32_t k = b; k < i; k++) {
        char c = u.ptr[k];
        bool ok = isalpha((unsigned char)c) ||
                  (k > b && (isdigit((unsigned char)c) || c == '+' || c == '-' || c == '.'));
        if (!ok) return false;
        proto_buf[k - b] = (char)tolower((unsigned char)c);
    }
    proto_buf[i - b] = '\0';
    bool found = false;
    for (size_t k = 0; k < WR_ARRAY_LEN(known); k++) found = found || !strcmp(proto_buf, known[k]);
    if (!found) return false;
    p->protocol = (wr_str){proto_buf, i - b};
    uint32_t start = i + 1;
    const char *hash = memchr_in(u.ptr, start, limit, '#');
    if (hash) {
        p->ref = (wr_str){hash + 1, (uint32_t)(u.ptr + limit - hash - 1)};
        limit = (uint32_t)(hash - u.ptr);
    }
    p->host = (wr_str){u.ptr + start, 0};
    if (limit - start >= 2 && u.ptr[start] == '/' && u.ptr[start + 1] == '/') {
        start += 2;
        uint32_t a_end = start;
        while (a_end < limit && u.ptr[a_end] != '/' && u.ptr[a_end] != '?') a_end++;
        wr_str auth = {u.ptr + start, a_end - start};
        p->authority = auth;
        wr_str host = auth;
        const char *at = memchr(auth.ptr, '@', auth.len);
        if (at) {
            if (memrchr(auth.ptr, '@', auth.len) != at) return false;
            p->userinfo = (wr_str){auth.ptr, (uint32_t)(at - auth.ptr)};
            host = (wr_str){at + 1, (uint32_t)(auth.ptr + auth.len - at - 1)};
        }
        const char *port = NULL;
        if (host.len && host.ptr[0] == '[') {
            const char *close = memchr(host.ptr, ']', host.len);
            if (!close) return false;
            if (close + 1 < host.ptr + host.len) {
                if (close[1] != ':') return false;
                port = close + 1;
            }
        } else {
            port = memchr(host.ptr, ':', host.len);
        }
        if (port) {
            for (const char *d = port + 1; d < host.ptr + host.len; d++)
                if (!isdigit((unsigned char)*d)) return false;
            host.len = (uint32_t)(port - host.ptr);
        }
        p->host = host;
        start = a_end;
    }
    const char *q = memchr_in(u.ptr, start, limit, '?');
    uint32_t path_end = q ? (uint32_t)(q - u.ptr) : limit;
    if (q) p->query = (wr_str){q + 1, (uint32_t)(u.ptr + limit - q - 1)};
    p->path = (wr_str){u.ptr + start, path_end - start};
    p->file = (wr_str){u.ptr + start, limit - start};
    return true;
}

/* The value of key in a query string: "(&|^)key=([^&]*)"; false when absent. */
static bool query_value(wr_str query, wr_str key, wr_str *out)
{
    for (uint32_t i = 0; i + key.len < query.len;) {
        const char *hit = memmem(query.ptr + i, query.len - i, key.ptr, key.len);
        if (!hit) return false;
        uint32_t at = (uint32_t)(hit - query.ptr);
        if ((at == 0 || query.ptr[at - 1] == '&') && at + key.len < query.len &&
            query.ptr[at + key.len] == '=') {
            uint32_t v = at + key.len + 1;
            const char *amp = memchr_in(query.ptr, v, query.len, '&');
            *out = (wr_str){query.ptr + v, (amp ? (uint32_t)(amp - query.ptr) : query.len) - v};
            return true;
        }
        i = at + 1;
    }
    return false;
}

static bool str_is(wr_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/*
 * PARSE_URL(url, part [, key]): part is one of HOST, PATH, QUERY, REF,
 * PROTOCOL, FILE, AUTHORITY, USERINFO (exactly so spelled); with a key, the
 * value of that query parameter. NULL for a malformed URL, an unknown part
 * and a part the URL does not have.
 */
static int k_parse_url(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, e->nargs);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str part = wr_fn_str(&args[1], r), v = {NULL, 0};
        char proto[16];
        url_parts u;
        if (url_parse(wr_fn_str(&args[0], r), &u, proto, sizeof(proto))) {
            if (e->nargs == 3) {
                if (str_is(part, "QUERY") && u.query.ptr &&
                    !query_value(u.query, wr_fn_str(&args[2], r), &v))
                    v.ptr = NULL;
            } else if (str_is(part, "HOST")) {
                v = u.host;
            } else if (str_is(part, "PATH")) {
                v = u.path;
            } else if (str_is(part, "QUERY")) {
                v = u.query;
            } else if (str_is(part, "REF")) {
                v = u.ref;
            } else if (str_is(part, "PROTOCOL")) {
                v = wr_fn_copy(ev, u.protocol.ptr, u.protocol.len);
            } else if (str_is(part, "FILE")) {
                v = u.file;
            } else if (str_is(part, "AUTHORITY")) {
                v = u.authority;
            } else if (str_is(part, "USERINFO")) {
                v = u.userinfo;
            }
        }
        if (v.ptr)
            o[r] = v;
        else
            wr_validity_set(valid, r, false);
    });
    return 0;
}

/* ---- UUID --------------------------------------------------------------------------- */

/* UUID(): a random (version 4) UUID per row, from the kernel's random source. */
static int k_uuid(WR_KERNEL_ARGS)
{
    static const char hex[] = "0123456789abcdef";
    size_t need = (size_t)n * 16;
    unsigned char *rnd = (unsigned char *)wr_fn_alloc(ev, need);
    for (size_t got = 0; got < need;) {
        ssize_t k = getrandom(rnd + got, need - got, 0);
        if (k < 0 && errno != EINTR)
            return wr_error_set(err, WR_ERR_RUNTIME, "UUID: no random bytes: %s", strerror(errno));
        if (k > 0) got += (size_t)k;
    }
    wr_str *o = out->data;
    int i = 0;
    WR_FOR_ROWS({
        unsigned char *b = rnd + 16 * i++;
        b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
        char *p = wr_fn_alloc(ev, 36);
        int k = 0;
        for (int j = 0; j < 16; j++) {
            if (j == 4 || j == 6 || j == 8 || j == 10) p[k++] = '-';
            p[k++] = hex[b[j] >> 4];
            p[k++] = hex[b[j] & 15];
        }
        o[r] = (wr_str){p, 36};
    });
    return 0;
}

static wr_expr *bind_uuid(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    wr_type t = wr_fn_string(false);
    t.length = 36;
    t.id = WR_TYPE_CHAR;
    return wr_fn_call(def, k_uuid, NULL, NULL, args, nargs, t, pos);
}

/* ---- regular expressions ---------------------------------------------------------------- */

/*
 * Compiles a pattern with Java's reading of it as far as PCRE2 allows.
 * Returns NULL and the reason in why when the pattern is invalid.
 */
static pcre2_code *regex_compile(const char *pat, size_t len, char *why, size_t why_size)
{
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
    pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ALT_BSUX,
                      &code, &off, cc);
    pcre2_compile_context_free(cc);
    if (re == NULL) {
        char msg[120];
        pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg));
        snprintf(why, why_size, "%s at offset %zu", msg, (size_t)off);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT, matching still works */
    return re;
}

static void regex_free(void *re)
{
    pcre2_code_free(re);
}

static uint32_t regex_groups(const pcre2_code *re)
{
    uint32_t n = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &n);
    return n;
}

/* Patterns of one kernel call: the constant one, or the last few read from a column. */
#define REGEX_CACHE 4
typedef struct regex_use {
    const pcre2_code *fixed; /* the bind-time pattern (e->aux), or NULL */
    pcre2_match_data *fixed_md;
    struct {
        char *pat;
        uint32_t len;
        pcre2_code *re; /* NULL: the pattern is invalid */
        pcre2_match_data *md;
    } slot[REGEX_CACHE];
    int nslots, next;
} regex_use;

static void use_init(regex_use *u, const wr_expr *e)
{
    memset(u, 0, sizeof(*u));
    u->fixed = e->aux;
    if (u->fixed) u->fixed_md = pcre2_match_data_create_from_pattern(u->fixed, NULL);
}

static void use_fini(regex_use *u)
{
    pcre2_match_data_free(u->fixed_md);
    for (int i = 0; i < u->nslots; i++) {
        wr_free(u->slot[i].pat);
        pcre2_code_free(u->slot[i].re);
        pcre2_match_data_free(u->slot[i].md);
    }
}

/* The compiled pattern of row r (NULL when it is invalid) and match data for it. */
static const pcre2_code *use_get(regex_use *u, const wr_vector *pattern, int r,
                                 pcre2_match_data **md)
{
    if (u->fixed) {
        *md = u->fixed_md;
        return u->fixed;
    }
    wr_str p = wr_fn_str(pattern, r);
    for (int i = 0; i < u->nslots; i++)
        if (u->slot[i].len == p.len && memcmp(u->slot[i].pat, p.ptr, p.len) == 0) {
            *md = u->slot[i].md;
            return u->slot[i].re;
        }
    int i = u->nslots < REGEX_CACHE ? u->nslots++ : u->next++ % REGEX_CACHE;
    wr_free(u->slot[i].pat);
    pcre2_code_free(u->slot[i].re);
    pcre2_match_data_free(u->slot[i].md);
    char why[160];
    u->slot[i].pat = wr_strndup(p.ptr, p.len);
    u->slot[i].len = p.len;
    u->slot[i].re = regex_compile(p.ptr, p.len, why, sizeof(why));
    u->slot[i].md =
        u->slot[i].re ? pcre2_match_data_create_from_pattern(u->slot[i].re, NULL) : NULL;
    *md = u->slot[i].md;
    return u->slot[i].re;
}

/* The first match in s at or after byte start: 1, 0 when none, -1 on a matching error. */
static int regex_find(const pcre2_code *re, pcre2_match_data *md, wr_str s, uint32_t start)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s.ptr, s.len, start, 0, md, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    return rc < 0 ? -1 : 1;
}

/* REGEXP(s, pattern): whether some substring matches; FALSE for an empty or invalid pattern. */
static int k_regexp(WR_KERNEL_ARGS)
{
    uint8_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    regex_use u;
    use_init(&u, e);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        pcre2_match_data *md;
        const pcre2_code *re = wr_fn_str(&args[1], r).len ? use_get(&u, &args[1], r, &md) : NULL;
        o[r] = re && regex_find(re, md, wr_fn_str(&args[0], r), 0) == 1;
    });
    use_fini(&u);
    return 0;
}

/*
 * REGEXP_REPLACE(s, pattern, replacement): every match replaced by the
 * replacement taken literally (Flink quotes it), matches found as Java's
 * Matcher.find does: after an empty match the search resumes one character
 * further. NULL for an invalid pattern.
 */
static int k_regexp_replace(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, 3);
    regex_use u;
    use_init(&u, e);
    wr_buf text;
    wr_buf_init(&text);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        pcre2_match_data *md;
        const pcre2_code *re = use_get(&u, &args[1], r, &md);
        wr_str s = wr_fn_str(&args[0], r), rep = wr_fn_str(&args[2], r);
        wr_buf_reset(&text);
        uint32_t from = 0, copied = 0;
        int found = re ? 0 : -1;
        while (re && from <= s.len && (found = regex_find(re, md, s, from)) == 1) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            uint32_t ms = (uint32_t)ov[0], me = (uint32_t)ov[1];
            wr_buf_append(&text, s.ptr + copied, ms - copied);
            wr_buf_append(&text, rep.ptr, rep.len);
            copied = me;
            if (me > ms)
                from = me;
            else if (me < s.len)
                from = wr_utf8_skip(s.ptr, s.len, me, 1);
            else
                break;
            if (text.len > WR_FN_MAX_STRING) break;
        }
        if (found < 0) {
            wr_validity_set(valid, r, false);
            continue;
        }
        wr_buf_append(&text, s.ptr + copied, s.len - copied);
        if (text.len > WR_FN_MAX_STRING) {
            rc = too_long(e, text.len, err);
            break;
        }
        o[r] = wr_fn_copy(ev, text.data, text.len);
    });
    wr_buf_fini(&text);
    use_fini(&u);
    return rc;
}

/*
 * REGEXP_EXTRACT(s, pattern [, group]): the group (0: the whole match) of
 * the first match; NULL when nothing matches, the group did not take part,
 * the group does not exist or the pattern is invalid.
 */
static int k_regexp_extract(WR_KERNEL_ARGS)
{
    const int32_t *group = e->nargs > 2 ? args[2].data : NULL;
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, e->nargs);
    regex_use u;
    use_init(&u, e);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        pcre2_match_data *md;
        const pcre2_code *re = use_get(&u, &args[1], r, &md);
        wr_str s = wr_fn_str(&args[0], r);
        int64_t g = group ? group[r] : 0;
        bool ok = re && g >= 0 && g <= regex_groups(re) && regex_find(re, md, s, 0) == 1;
        PCRE2_SIZE *ov = ok ? pcre2_get_ovector_pointer(md) : NULL;
        if (ok && ov[2 * g] != PCRE2_UNSET)
            o[r] = (wr_str){s.ptr + ov[2 * g], (uint32_t)(ov[2 * g + 1] - ov[2 * g])};
        else
            wr_validity_set(valid, r, false);
    });
    use_fini(&u);
    return 0;
}

typedef struct regex_fn {
    const char *spec;
    wr_kernel_fn kernel;
    wr_type_id result;
} regex_fn;

static const regex_fn regexp_fn = {"SS", k_regexp, WR_TYPE_BOOLEAN};
static const regex_fn regexp_replace_fn = {"SSS", k_regexp_replace, WR_TYPE_VARCHAR};
static const regex_fn regexp_extract_fn = {"SSI", k_regexp_extract, WR_TYPE_VARCHAR};

/*
 * The regular expression functions: a constant pattern is compiled here, so
 * that an invalid one is reported at the query (and a group number beyond
 * the pattern's groups too); the compiled pattern is the call's aux.
 */
static wr_expr *bind_regex(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                           wr_error *err)
{
    const regex_fn *fn = def->data;
    if (wr_fn_coerce(def, args, nargs, fn->spec, pos, err)) return wr_fn_drop(args, nargs);
    wr_fn_const pat, group = {0};
    if (wr_fn_const_eval(args[1], &pat, err) ||
        (fn->kernel == k_regexp_extract && nargs > 2 && wr_fn_const_eval(args[2], &group, err))) {
        wr_fn_const_fini(&pat);
        return wr_fn_drop(args, nargs);
    }
    pcre2_code *re = NULL;
    /* REGEXP treats an empty pattern as matching nothing: nothing to compile. */
    if (pat.is_const && !pat.is_null && (pat.len || fn->kernel != k_regexp)) {
        char why[160], ex[80];
        re = regex_compile(pat.s, pat.len, why, sizeof(why));
        wr_fn_excerpt(pat.s, pat.len, ex, sizeof(ex));
        if (re == NULL) {
            wr_error_set_at(err, WR_ERR_VALIDATION, args[1]->pos,
                            "%s: invalid regular expression '%s': %s", def->name, ex, why);
        } else if (group.is_const && !group.is_null &&
                   (group.i < 0 || group.i > regex_groups(re))) {
            wr_error_set_at(err, WR_ERR_VALIDATION, args[2]->pos,
                            "%s: group %" PRId64 " does not exist in '%s', which has %u group%s",
                            def->name, group.i, ex, regex_groups(re),
                            regex_groups(re) == 1 ? "" : "s");
            pcre2_code_free(re);
            re = NULL;
        }
        if (re == NULL) {
            wr_fn_const_fini(&pat);
            return wr_fn_drop(args, nargs);
        }
    }
    wr_fn_const_fini(&pat);
    /* REGEXP_REPLACE is NULL for an invalid pattern, REGEXP_EXTRACT also for no match. */
    bool nullable = wr_fn_nullable(args, nargs) || fn->kernel == k_regexp_extract ||
                    (fn->kernel == k_regexp_replace && re == NULL);
    return wr_fn_call(def, fn->kernel, re, re ? regex_free : NULL, args, nargs,
                      wr_type_make(fn->result, nullable), pos);
}

/* ---- the table ----------------------------------------------------------------------- */

static const simple_fn ascii_fn = {"S", k_ascii, WR_TYPE_INT, false, false};
static const simple_fn char_length_fn = {"S", k_char_length, WR_TYPE_INT, false, false};
static const simple_fn chr_fn = {"L", k_chr, WR_TYPE_VARCHAR, false, false};
static const simple_fn from_base64_fn = {"S", k_from_base64, WR_TYPE_VARCHAR, false, false};
static const simple_fn initcap_fn = {"S", k_initcap, WR_TYPE_VARCHAR, true, false};
static const simple_fn instr_fn = {"SSII", k_instr, WR_TYPE_INT, false, false};
static const simple_fn left_fn = {"SI", k_left, WR_TYPE_VARCHAR, true, false};
static const simple_fn locate_fn = {"SSI", k_locate, WR_TYPE_INT, false, false};
static const simple_fn lower_fn = {"S", k_lower, WR_TYPE_VARCHAR, false, false};
static const simple_fn lpad_fn = {"SIS", k_lpad, WR_TYPE_VARCHAR, false, true};
static const simple_fn ltrim_fn = {"SS", k_trim_leading, WR_TYPE_VARCHAR, true, false};
static const simple_fn overlay_fn = {"SSII", k_overlay, WR_TYPE_VARCHAR, false, false};
static const simple_fn parse_url_fn = {"SSS", k_parse_url, WR_TYPE_VARCHAR, false, true};
static const simple_fn repeat_fn = {"SI", k_repeat, WR_TYPE_VARCHAR, false, false};
static const simple_fn replace_fn = {"SSS", k_replace, WR_TYPE_VARCHAR, false, false};
static const simple_fn reverse_fn = {"S", k_reverse, WR_TYPE_VARCHAR, true, false};
static const simple_fn right_fn = {"SI", k_right, WR_TYPE_VARCHAR, true, false};
static const simple_fn rpad_fn = {"SIS", k_rpad, WR_TYPE_VARCHAR, false, true};
static const simple_fn rtrim_fn = {"SS", k_trim_trailing, WR_TYPE_VARCHAR, true, false};
static const simple_fn to_base64_fn = {"S", k_to_base64, WR_TYPE_VARCHAR, false, false};
static const simple_fn upper_fn = {"S", k_upper, WR_TYPE_VARCHAR, false, false};
static const int concat_ws_tag = 1;

const wr_func_def wr_funcs_string[] = {
    {"ASCII", 1, 1, bind_simple, "ASCII(STRING)", &ascii_fn},
    {"CHARACTER_LENGTH", 1, 1, bind_simple, "CHARACTER_LENGTH(STRING)", &char_length_fn},
    {"CHAR_LENGTH", 1, 1, bind_simple, "CHAR_LENGTH(STRING)", &char_length_fn},
    {"CHR", 1, 1, bind_simple, "CHR(INT)", &chr_fn},
    {"CONCAT", 1, -1, bind_concat, "CONCAT(STRING, STRING, ...)", NULL},
    {"CONCAT_WS", 1, -1, bind_concat, "CONCAT_WS(STRING separator, STRING, ...)", &concat_ws_tag},
    {"FROM_BASE64", 1, 1, bind_simple, "FROM_BASE64(STRING)", &from_base64_fn},
    {"INITCAP", 1, 1, bind_simple, "INITCAP(STRING)", &initcap_fn},
    {"INSTR", 2, 4, bind_simple, "INSTR(STRING, STRING [, INT start [, INT occurrence]])",
     &instr_fn},
    {"LEFT", 2, 2, bind_simple, "LEFT(STRING, INT)", &left_fn},
    {"LOCATE", 2, 3, bind_simple, "LOCATE(STRING needle, STRING haystack [, INT start])",
     &locate_fn},
    {"LOWER", 1, 1, bind_simple, "LOWER(STRING)", &lower_fn},
    {"LPAD", 3, 3, bind_simple, "LPAD(STRING, INT, STRING)", &lpad_fn},
    {"LTRIM", 1, 2, bind_simple, "LTRIM(STRING [, STRING characters])", &ltrim_fn},
    {"OVERLAY", 3, 4, bind_simple, "OVERLAY(STRING, STRING replacement, INT start [, INT length])",
     &overlay_fn},
    {"PARSE_URL", 2, 3, bind_simple, "PARSE_URL(STRING url, STRING part [, STRING key])",
     &parse_url_fn},
    {"POSITION", 2, 2, bind_simple, "POSITION(STRING needle IN STRING haystack)", &locate_fn},
    {"REGEXP", 2, 2, bind_regex, "REGEXP(STRING, STRING pattern)", &regexp_fn},
    {"REGEXP_EXTRACT", 2, 3, bind_regex, "REGEXP_EXTRACT(STRING, STRING pattern [, INT group])",
     &regexp_extract_fn},
    {"REGEXP_REPLACE", 3, 3, bind_regex,
     "REGEXP_REPLACE(STRING, STRING pattern, STRING replacement)", &regexp_replace_fn},
    {"REPEAT", 2, 2, bind_simple, "REPEAT(STRING, INT)", &repeat_fn},
    {"REPLACE", 3, 3, bind_simple, "REPLACE(STRING, STRING search, STRING replacement)",
     &replace_fn},
    {"REVERSE", 1, 1, bind_simple, "REVERSE(STRING)", &reverse_fn},
    {"RIGHT", 2, 2, bind_simple, "RIGHT(STRING, INT)", &right_fn},
    {"RPAD", 3, 3, bind_simple, "RPAD(STRING, INT, STRING)", &rpad_fn},
    {"RTRIM", 1, 2, bind_simple, "RTRIM(STRING [, STRING characters])", &rtrim_fn},
    {"SPLIT_INDEX", 3, 3, bind_split_index, "SPLIT_INDEX(STRING, STRING separator, INT index)",
     NULL},
    {"SUBSTR", 2, 3, bind_substring, "SUBSTR(STRING, INT start [, INT length])", NULL},
    {"SUBSTRING", 2, 3, bind_substring, "SUBSTRING(STRING FROM INT [FOR INT])", NULL},
    {"TO_BASE64", 1, 1, bind_simple, "TO_BASE64(STRING)", &to_base64_fn},
    {"TRIM", 3, 3, bind_trim, "TRIM([BOTH | LEADING | TRAILING] [STRING characters] FROM STRING)",
     NULL},
    {"UPPER", 1, 1, bind_simple, "UPPER(STRING)", &upper_fn},
    {"UUID", 0, 0, bind_uuid, "UUID()", NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
