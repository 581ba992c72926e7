/*
 * wr.h — the few macros and includes every Weir source file shares.
 *
 * Kept deliberately small: anything with behaviour lives in its own module
 * (alloc, arena, buf, error, hash, clock).
 */
#ifndef WR_H
#define WR_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define WR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WR_MAX(a, b) ((a) > (b) ? (a) : (b))

#define WR_LIKELY(x) __builtin_expect(!!(x), 1)
#define WR_UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * For a helper whose only effect is __builtin_prefetch: GCC finds such a static
 * function free of side effects and deletes its calls before it would inline
 * them, so the prefetches vanish. Inlined first, they stay.
 */
#define WR_PREFETCH_HELPER static inline __attribute__((always_inline))

/*
 * WR_ALWAYS(X) / WR_NEVER(X) mark defensive branches: conditions believed to be
 * always true (or never true). Debug builds assert them; release builds keep
 * the branch so a wrong belief degrades into an error instead of a crash.
 */
#ifdef NDEBUG
#define WR_ALWAYS(x) (x)
#define WR_NEVER(x) (x)
#else
#define WR_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define WR_NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#define WR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WR_UNUSED(x) ((void)(x))

#endif
