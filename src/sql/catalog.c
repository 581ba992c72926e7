/*
 * catalog.c — the session's tables; see catalog.h.
 */
#include "catalog.h"
#include "../base/alloc.h"

#include <string.h>

void wr_catalog_init(wr_catalog *cat)
{
    cat->tables = NULL;
    cat->ntables = 0;
}

void wr_table_free(wr_table *table)
{
    if (table == NULL) return;
    wr_free(table->name);
    wr_schema_free(table->schema);
    wr_config_fini(&table->options);
    wr_free(table->primary_key);
    wr_free(table);
}

void wr_catalog_fini(wr_catalog *cat)
{
    for (int i = 0; i < cat->ntables; i++) wr_table_free(cat->tables[i]);
    wr_free(cat->tables);
    wr_catalog_init(cat);
}

void wr_catalog_add(wr_catalog *cat, wr_table *table)
{
    cat->tables = wr_realloc(cat->tables, (size_t)(cat->ntables + 1) * sizeof(wr_table *));
    cat->tables[cat->ntables++] = table;
}

wr_table *wr_catalog_find(const wr_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->ntables; i++)
        if (strcmp(cat->tables[i]->name, name) == 0) return cat->tables[i];
    return NULL;
}

bool wr_catalog_drop(wr_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->ntables; i++) {
        if (strcmp(cat->tables[i]->name, name) == 0) {
            wr_table_free(cat->tables[i]);
            memmove(&cat->tables[i], &cat->tables[i + 1],
                    (size_t)(cat->ntables - i - 1) * sizeof(wr_table *));
            cat->ntables--;
            return true;
        }
    }
    return false;
}
