/*
 * schema.h — named, typed columns of a table or an operator's output.
 */
#ifndef WR_SCHEMA_H
#define WR_SCHEMA_H

#include "types.h"

typedef struct wr_schema {
    int ncols;
    char **names; /* owned */
    wr_type *types;
    /* A table's PRIMARY KEY (column indexes, owned), so connectors that write upserts see it;
     * NULL (nprimary_key 0) otherwise. Copied with the schema. */
    int *primary_key;
    int nprimary_key;
    /* A table's PARTITIONED BY columns (column indexes in order, owned), so the filesystem
     * connector lays rows out in partition directories; NULL (npartition_keys 0) otherwise.
     * Copied with the schema. */
    int *partition_keys;
    int npartition_keys;
} wr_schema;

wr_schema *wr_schema_new(void);
void wr_schema_free(wr_schema *schema);
wr_schema *wr_schema_copy(const wr_schema *schema);
void wr_schema_add(wr_schema *schema, const char *name, wr_type type);
/* Index of the column with this exact (case-sensitive) name, or -1. */
int wr_schema_find(const wr_schema *schema, const char *name);
/* Sets the primary key (copies keys; n 0 clears it). */
void wr_schema_set_primary_key(wr_schema *schema, const int *keys, int n);
/* Sets the partition columns (copies keys; n 0 clears them). */
void wr_schema_set_partition_keys(wr_schema *schema, const int *keys, int n);

#endif
