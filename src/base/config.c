/*
 * config.c — settings with typed readers; see config.h.
 */
#include "config.h"
#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wr_config_init(wr_config *cfg)
{
    cfg->entries = NULL;
    cfg->n = cfg->cap = 0;
}

void wr_config_fini(wr_config *cfg)
{
    for (int i = 0; i < cfg->n; i++) {
        wr_free(cfg->entries[i].key);
        wr_free(cfg->entries[i].value);
    }
    wr_free(cfg->entries);
    wr_config_init(cfg);
}

void wr_config_copy(wr_config *dst, const wr_config *src)
{
    for (int i = 0; i < src->n; i++) {
        const wr_config_entry *e = &src->entries[i];
        wr_config_set(dst, e->key, e->value, e->key_pos, e->value_pos);
    }
}

static wr_config_entry *lookup(const wr_config *cfg, const char *key)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->entries[i].key, key) == 0) return &cfg->entries[i];
    return NULL;
}

void wr_config_set(wr_config *cfg, const char *key, const char *value, int key_pos, int value_pos)
{
    wr_config_entry *e = lookup(cfg, key);
    if (e == NULL) {
        if (cfg->n == cfg->cap) {
            cfg->cap = cfg->cap ? cfg->cap * 2 : 8;
            cfg->entries = wr_realloc(cfg->entries, (size_t)cfg->cap * sizeof(*e));
        }
        e = &cfg->entries[cfg->n++];
        e->key = wr_strdup(key);
        e->value = NULL;
    }
    wr_free(e->value);
    e->value = wr_strdup(value);
    e->key_pos = key_pos;
    e->value_pos = value_pos;
    e->used = false;
}

bool wr_config_unset(wr_config *cfg, const char *key)
{
    wr_config_entry *e = lookup(cfg, key);
    if (e == NULL) return false;
    wr_free(e->key);
    wr_free(e->value);
    *e = cfg->entries[--cfg->n];
    return true;
}

wr_config_entry *wr_config_find(const wr_config *cfg, const char *key)
{
    wr_config_entry *e = lookup(cfg, key);
    if (e) e->used = true;
    return e;
}

const char *wr_config_get(const wr_config *cfg, const char *key, const char *def)
{
    wr_config_entry *e = wr_config_find(cfg, key);
    return e ? e->value : def;
}

int wr_parse_int64(const char *s, int64_t *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int wr_parse_double(const char *s, double *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int wr_parse_duration_ms(const char *s, int64_t *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || v < 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {
        {"", 1},
        {"ms", 1},
        {"milli", 1},
        {"millis", 1},
        {"millisecond", 1},
        {"milliseconds", 1},
        {"s", 1000},
        {"sec", 1000},
        {"secs", 1000},
        {"second", 1000},
        {"seconds", 1000},
        {"min", 60000},
        {"m", 60000},
        {"mins", 60000},
        {"minute", 60000},
        {"minutes", 60000},
        {"h", 3600000},
        {"hour", 3600000},
        {"hours", 3600000},
        {"d", 86400000},
        {"day", 86400000},
        {"days", 86400000},
    };
    char unit[16];
    size_t n = strlen(end);
    while (n && isspace((unsigned char)end[n - 1])) n--;
    if (n >= sizeof(unit)) return -1;
    memcpy(unit, end, n);
    unit[n] = '\0';
    for (size_t i = 0; i < WR_ARRAY_LEN(units); i++) {
        if (strcasecmp(unit, units[i].unit) == 0) {
            if (v > INT64_MAX / units[i].ms) return -1;
            *out = v * units[i].ms;
            return 0;
        }
    }
    return -1;
}

static int bad_value(const wr_config_entry *e, const char *expected, wr_error *err)
{
    return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                           "invalid value '%s' for option '%s': expected %s", e->value, e->key,
                           expected);
}

int wr_config_get_int64(const wr_config *cfg, const char *key, int64_t def, int64_t *out,
                        wr_error *err)
{
    wr_config_entry *e = wr_config_find(cfg, key);
    *out = def;
    if (e == NULL) return 0;
    if (wr_parse_int64(e->value, out)) return bad_value(e, "an integer", err);
    return 0;
}

int wr_config_get_double(const wr_config *cfg, const char *key, double def, double *out,
                         wr_error *err)
{
    wr_config_entry *e = wr_config_find(cfg, key);
    *out = def;
    if (e == NULL) return 0;
    if (wr_parse_double(e->value, out)) return bad_value(e, "a number", err);
    return 0;
}

int wr_config_get_bool(const wr_config *cfg, const char *key, bool def, bool *out, wr_error *err)
{
    wr_config_entry *e = wr_config_find(cfg, key);
    *out = def;
    if (e == NULL) return 0;
    if (strcasecmp(e->value, "true") == 0)
        *out = true;
    else if (strcasecmp(e->value, "false") == 0)
        *out = false;
    else
        return bad_value(e, "true or false", err);
    return 0;
}

int wr_config_get_duration_ms(const wr_config *cfg, const char *key, int64_t def, int64_t *out,
                              wr_error *err)
{
    wr_config_entry *e = wr_config_find(cfg, key);
    *out = def;
    if (e == NULL) return 0;
    if (wr_parse_duration_ms(e->value, out))
        return bad_value(e, "a duration such as '100 ms', '10 s' or '1 min'", err);
    return 0;
}

int wr_config_get_enum(const wr_config *cfg, const char *key, const char *const *allowed, int def,
                       int *out, wr_error *err)
{
    wr_config_entry *e = wr_config_find(cfg, key);
    *out = def;
    if (e == NULL) return 0;
    for (int i = 0; allowed[i]; i++) {
        if (strcasecmp(e->value, allowed[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[256] = "";
    for (int i = 0; allowed[i]; i++) {
        if (i) strncat(list, ", ", sizeof(list) - strlen(list) - 1);
        strncat(list, "'", sizeof(list) - strlen(list) - 1);
        strncat(list, allowed[i], sizeof(list) - strlen(list) - 1);
        strncat(list, "'", sizeof(list) - strlen(list) - 1);
    }
    return bad_value(e, list, err);
}
