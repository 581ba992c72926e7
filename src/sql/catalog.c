/*
 * catalog.c — the session's tables, views and functions; see catalog.h.
 *
 * Tables and views share one namespace, as in Flink: a name is either.
 * Functions have their own. Lists are small (a session's objects), so
 * lookups scan them.
 */
#include "catalog.h"
#include "../base/alloc.h"
#include "../base/arena.h"
#include "../connectors/memtable.h"
#include "userfunc.h"

#include <string.h>
#include <strings.h>

void wr_catalog_init(wr_catalog *cat)
{
    cat->tables = NULL;
    cat->ntables = 0;
    cat->views = NULL;
    cat->nviews = 0;
    cat->functions = NULL;
    cat->nfunctions = 0;
}

void wr_table_free(wr_table *table)
{
    if (table == NULL) return;
    wr_free(table->name);
    wr_schema_free(table->schema);
    wr_config_fini(&table->options);
    wr_free(table->primary_key);
    wr_free(table->partition_keys);
    for (int i = 0; i < table->ncomputed; i++) {
        wr_free(table->computed[i].name);
        wr_free(table->computed[i].expr);
    }
    wr_free(table->computed);
    for (int i = 0; i < table->nmetadata; i++) {
        wr_free(table->metadata[i].name);
        wr_free(table->metadata[i].key);
    }
    wr_free(table->metadata);
    wr_free(table->watermark_column);
    wr_free(table->watermark_expr);
    /* Jobs still reading the rows hold their own snapshot of them. */
    wr_memtable_free(table->mem);
    wr_free(table);
}

wr_schema *wr_table_scan_schema(const wr_table *table, bool declared)
{
    wr_schema *schema = wr_schema_copy(table->schema);
    for (int i = 0; i < table->nmetadata; i++) {
        const wr_metadata_column *m = &table->metadata[i];
        wr_schema_add(schema, m->name, declared ? m->type : m->read_type);
    }
    return schema;
}

void wr_view_free(wr_view *view)
{
    if (view == NULL) return;
    wr_free(view->name);
    wr_free(view->text);
    if (view->arena) {
        wr_arena_fini(view->arena);
        wr_free(view->arena);
    }
    wr_schema_free(view->schema);
    wr_free(view);
}

void wr_catalog_fini(wr_catalog *cat)
{
    for (int i = 0; i < cat->ntables; i++) wr_table_free(cat->tables[i]);
    wr_free(cat->tables);
    for (int i = 0; i < cat->nviews; i++) wr_view_free(cat->views[i]);
    wr_free(cat->views);
    for (int i = 0; i < cat->nfunctions; i++) wr_userfunc_free(cat->functions[i]);
    wr_free(cat->functions);
    wr_catalog_init(cat);
}

void wr_catalog_add(wr_catalog *cat, wr_table *table)
{
    assert(!wr_catalog_find(cat, table->name) && !wr_catalog_find_view(cat, table->name));
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

void wr_catalog_add_view(wr_catalog *cat, wr_view *view)
{
    assert(!wr_catalog_find(cat, view->name) && !wr_catalog_find_view(cat, view->name));
    cat->views = wr_realloc(cat->views, (size_t)(cat->nviews + 1) * sizeof(wr_view *));
    cat->views[cat->nviews++] = view;
}

wr_view *wr_catalog_find_view(const wr_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->nviews; i++)
        if (strcmp(cat->views[i]->name, name) == 0) return cat->views[i];
    return NULL;
}

bool wr_catalog_drop_view(wr_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->nviews; i++) {
        if (strcmp(cat->views[i]->name, name) == 0) {
            wr_view_free(cat->views[i]);
            memmove(&cat->views[i], &cat->views[i + 1],
                    (size_t)(cat->nviews - i - 1) * sizeof(wr_view *));
            cat->nviews--;
            return true;
        }
    }
    return false;
}

void wr_catalog_add_function(wr_catalog *cat, wr_userfunc *fn)
{
    assert(!wr_catalog_find_function(cat, fn->name));
    cat->functions =
        wr_realloc(cat->functions, (size_t)(cat->nfunctions + 1) * sizeof(wr_userfunc *));
    cat->functions[cat->nfunctions++] = fn;
}

wr_userfunc *wr_catalog_find_function(const wr_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->nfunctions; i++)
        if (strcasecmp(cat->functions[i]->name, name) == 0) return cat->functions[i];
    return NULL;
}

bool wr_catalog_drop_function(wr_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->nfunctions; i++) {
        if (strcasecmp(cat->functions[i]->name, name) == 0) {
            wr_userfunc_free(cat->functions[i]);
            memmove(&cat->functions[i], &cat->functions[i + 1],
                    (size_t)(cat->nfunctions - i - 1) * sizeof(wr_userfunc *));
            cat->nfunctions--;
            return true;
        }
    }
    return false;
}
