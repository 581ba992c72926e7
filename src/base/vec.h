/*
 * vec.h — a typed growable array as a macro pair.
 *
 *   WR_VEC(int) ids = {0};
 *   WR_VEC_PUSH(&ids, 42);
 *   wr_free(ids.v);
 */
#ifndef WR_VEC_H
#define WR_VEC_H

#include "alloc.h"

#define WR_VEC(T)                                                                                  \
    struct {                                                                                       \
        T *v;                                                                                      \
        int n;                                                                                     \
        int cap;                                                                                   \
    }

#define WR_VEC_GROW(vec, need)                                                                     \
    do {                                                                                           \
        if ((need) > (vec)->cap) {                                                                 \
            int c_ = (vec)->cap ? (vec)->cap * 2 : 8;                                              \
            while (c_ < (need)) c_ *= 2;                                                           \
            (vec)->v = wr_realloc((vec)->v, (size_t)c_ * sizeof(*(vec)->v));                       \
            (vec)->cap = c_;                                                                       \
        }                                                                                          \
    } while (0)

#define WR_VEC_PUSH(vec, x)                                                                        \
    do {                                                                                           \
        WR_VEC_GROW(vec, (vec)->n + 1);                                                            \
        (vec)->v[(vec)->n++] = (x);                                                                \
    } while (0)

#define WR_VEC_FREE(vec)                                                                           \
    do {                                                                                           \
        wr_free((vec)->v);                                                                         \
        (vec)->v = NULL;                                                                           \
        (vec)->n = (vec)->cap = 0;                                                                 \
    } while (0)

#endif
