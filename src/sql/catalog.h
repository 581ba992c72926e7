/*
 * catalog.h — the session's tables (default_catalog.default_database).
 *
 * A table is a name, a physical schema and its WITH options; the options keep
 * the positions they had in the CREATE TABLE text they came from.
 */
#ifndef WR_CATALOG_H
#define WR_CATALOG_H

#include "../base/config.h"
#include "../types/schema.h"

typedef struct wr_table {
    char *name;
    wr_schema *schema;
    wr_config options;
    int *primary_key; /* column indexes, or NULL */
    int nprimary_key;
} wr_table;

typedef struct wr_catalog {
    wr_table **tables;
    int ntables;
} wr_catalog;

void wr_catalog_init(wr_catalog *cat);
void wr_catalog_fini(wr_catalog *cat);
/* Takes ownership of table. The name must not exist yet. */
void wr_catalog_add(wr_catalog *cat, wr_table *table);
wr_table *wr_catalog_find(const wr_catalog *cat, const char *name);
bool wr_catalog_drop(wr_catalog *cat, const char *name);
void wr_table_free(wr_table *table);

#endif
