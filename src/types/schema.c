/*
 * schema.c — named, typed columns; see schema.h.
 */
#include "schema.h"
#include "../base/alloc.h"

#include <string.h>

wr_schema *wr_schema_new(void)
{
    return wr_calloc(1, sizeof(wr_schema));
}

void wr_schema_free(wr_schema *schema)
{
    if (schema == NULL) return;
    for (int i = 0; i < schema->ncols; i++) wr_free(schema->names[i]);
    wr_free(schema->names);
    wr_free(schema->types);
    wr_free(schema->primary_key);
    wr_free(schema->partition_keys);
    wr_free(schema);
}

wr_schema *wr_schema_copy(const wr_schema *schema)
{
    wr_schema *copy = wr_schema_new();
    for (int i = 0; i < schema->ncols; i++) wr_schema_add(copy, schema->names[i], schema->types[i]);
    wr_schema_set_primary_key(copy, schema->primary_key, schema->nprimary_key);
    wr_schema_set_partition_keys(copy, schema->partition_keys, schema->npartition_keys);
    return copy;
}

void wr_schema_add(wr_schema *schema, const char *name, wr_type type)
{
    int n = schema->ncols + 1;
    schema->names = wr_realloc(schema->names, (size_t)n * sizeof(char *));
    schema->types = wr_realloc(schema->types, (size_t)n * sizeof(wr_type));
    schema->names[n - 1] = wr_strdup(name);
    schema->types[n - 1] = type;
    schema->ncols = n;
}

int wr_schema_find(const wr_schema *schema, const char *name)
{
    for (int i = 0; i < schema->ncols; i++)
        if (strcmp(schema->names[i], name) == 0) return i;
    return -1;
}

void wr_schema_set_primary_key(wr_schema *schema, const int *keys, int n)
{
    wr_free(schema->primary_key);
    schema->primary_key = NULL;
    schema->nprimary_key = n;
    if (n == 0) return;
    schema->primary_key = wr_malloc((size_t)n * sizeof(int));
    memcpy(schema->primary_key, keys, (size_t)n * sizeof(int));
}

/* A copy of keys[0..n) in a new array, or NULL when n is 0. */
static int *copy_keys(const int *keys, int n)
{
    if (n == 0) return NULL;
    int *copy = wr_malloc((size_t)n * sizeof(int));
    memcpy(copy, keys, (size_t)n * sizeof(int));
    return copy;
}

void wr_schema_set_partition_keys(wr_schema *schema, const int *keys, int n)
{
    wr_free(schema->partition_keys);
    schema->partition_keys = copy_keys(keys, n);
    schema->npartition_keys = n;
}
