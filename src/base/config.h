/*
 * config.h — string key/value settings with typed readers (Flink's SET keys).
 *
 * A job's configuration ('parallelism.default', 'execution.buffer-timeout',
 * ...) and a table's WITH options are both lists of string pairs. Each entry
 * remembers the byte offsets of its key and value in the SQL text (or -1) so
 * that a bad value is reported where it was written, and whether it was read,
 * so a connector can reject options it does not know.
 */
#ifndef WR_CONFIG_H
#define WR_CONFIG_H

#include "error.h"

typedef struct wr_config_entry {
    char *key;
    char *value;
    int key_pos;
    int value_pos;
    bool used;
} wr_config_entry;

typedef struct wr_config {
    wr_config_entry *entries;
    int n;
    int cap;
} wr_config;

void wr_config_init(wr_config *cfg);
void wr_config_fini(wr_config *cfg);
void wr_config_copy(wr_config *dst, const wr_config *src); /* dst must be initialised */
/* Sets (or replaces) key; copies both strings. */
void wr_config_set(wr_config *cfg, const char *key, const char *value, int key_pos, int value_pos);
/* Removes key; returns true when it was present. */
bool wr_config_unset(wr_config *cfg, const char *key);
/* The entry for key (marking it used), or NULL. */
wr_config_entry *wr_config_find(const wr_config *cfg, const char *key);
const char *wr_config_get(const wr_config *cfg, const char *key, const char *def);

/*
 * Typed readers. Each returns 0 and stores the value (or def when the key is
 * absent), or WR_ERR_VALIDATION with a message naming the key, the bad value
 * and what was expected, positioned at the value.
 */
int wr_config_get_int64(const wr_config *cfg, const char *key, int64_t def, int64_t *out,
                        wr_error *err);
int wr_config_get_double(const wr_config *cfg, const char *key, double def, double *out,
                         wr_error *err);
int wr_config_get_bool(const wr_config *cfg, const char *key, bool def, bool *out, wr_error *err);
/* Durations as Flink writes them: "100", "100 ms", "10s", "1 min", "2h", "1d" -> milliseconds. */
int wr_config_get_duration_ms(const wr_config *cfg, const char *key, int64_t def, int64_t *out,
                              wr_error *err);
/* One of the allowed values (case-insensitive); stores its index. allowed is NULL-terminated. */
int wr_config_get_enum(const wr_config *cfg, const char *key, const char *const *allowed, int def,
                       int *out, wr_error *err);

/* Parsers behind the readers, for values that do not come from a config. */
int wr_parse_int64(const char *s, int64_t *out);
int wr_parse_double(const char *s, double *out);
int wr_parse_duration_ms(const char *s, int64_t *out);

#endif
