/*
 * catalog.h — the session's tables, views and user-defined functions
 * (default_catalog.default_database).
 *
 * A table is a name, a physical schema and its WITH options; the options keep
 * the positions they had in the CREATE TABLE text they came from.
 */
#ifndef WR_CATALOG_H
#define WR_CATALOG_H

#include "../base/config.h"
#include "../types/schema.h"

/* Rows Weir stores itself, for tables without a 'connector' option (connectors/memtable.h). */
typedef struct wr_memtable wr_memtable;

/* A computed column (name AS expr): computed from the physical columns when the table is read. */
typedef struct wr_computed_column {
    char *name;
    int position; /* among all the table's columns as declared */
    char *expr;   /* the expression's SQL text */
    wr_type type;
} wr_computed_column;

/*
 * A metadata column (name T METADATA [FROM 'key'] [VIRTUAL]): a value the connector reads
 * beside the record's (a Kafka record's offset, timestamp...), not a physical column. A scan
 * produces the table's physical columns, then its metadata columns in this order, each of the
 * type the connector gives its key; the Calc above casts it to type and puts it in its place.
 */
typedef struct wr_metadata_column {
    char *name;
    int position;      /* among all the table's columns as declared */
    char *key;         /* FROM 'key', or the column's name */
    bool from;         /* the key was written (FROM 'key') */
    bool is_virtual;   /* read only: not a target of INSERT */
    wr_type type;      /* as declared */
    wr_type read_type; /* the connector's type of the key: what the scan produces */
} wr_metadata_column;

/*
 * Rows that another part of the same job produces: the Table API's view of a DataStream
 * (engine/table.c). A table with a source is planned by it instead of by a connector; the
 * SQL layer knows no more of it than these calls.
 */
struct wr_jobgraph;
struct wr_scan_request;
typedef struct wr_table_source {
    /*
     * Adds to graph the vertex that produces the columns req asks for (the table's physical
     * columns, in req's order; filters are never offered) with the edges into it, and
     * returns it with its parallelism in *par; or a negative error.
     */
    int (*plan_scan)(void *arg, struct wr_jobgraph *graph, const struct wr_scan_request *req,
                     int *par, wr_error *err);
    /* Whether the rows end by themselves. */
    bool (*bounded)(void *arg);
    void *arg;
} wr_table_source;

typedef struct wr_table {
    char *name;
    wr_schema *schema; /* the physical columns: what connectors read and write */
    wr_computed_column *computed;
    int ncomputed;
    wr_metadata_column *metadata; /* in declared order */
    int nmetadata;
    wr_config options;
    int *primary_key; /* column indexes, or NULL */
    int nprimary_key;
    int *partition_keys; /* PARTITIONED BY: column indexes in order, or NULL */
    int npartition_keys;
    wr_memtable *mem;              /* owned; set when the table has no 'connector' option */
    const wr_table_source *source; /* borrowed; set for a DataStream's rows (no options) */
    bool temporary;
    /* WATERMARK FOR column AS expr: the rowtime column (physical or computed) and the
     * watermark expression's SQL text, or NULL. */
    char *watermark_column;
    char *watermark_expr;
} wr_table;

/*
 * A view: a named query, kept as the text it was defined with and parsed
 * from it (the syntax tree lives in the view's arena), with the column names
 * and types it had when it was created.
 */
struct wr_ast_query;
typedef struct wr_view {
    char *name;
    char *text;                 /* the query text (for SHOW CREATE VIEW) */
    struct wr_ast_query *query; /* parsed from text; positions are offsets into text */
    void *arena;                /* owns query (a wr_arena) */
    wr_schema *schema;
    bool temporary;
} wr_view;

/* A user-defined function in C (userfunc.h). */
typedef struct wr_userfunc wr_userfunc;

typedef struct wr_catalog {
    wr_table **tables;
    int ntables;
    wr_view **views;
    int nviews;
    wr_userfunc **functions;
    int nfunctions;
} wr_catalog;

void wr_catalog_init(wr_catalog *cat);
void wr_catalog_fini(wr_catalog *cat);
/* Takes ownership of table. The name must not exist yet. */
void wr_catalog_add(wr_catalog *cat, wr_table *table);
wr_table *wr_catalog_find(const wr_catalog *cat, const char *name);
bool wr_catalog_drop(wr_catalog *cat, const char *name);
void wr_table_free(wr_table *table);

/*
 * The columns a scan of the table produces: the physical columns, then the metadata columns
 * in declared order, under their read types (what the source emits) or, declared, under
 * their declared types (what computed columns bind over, once a Calc cast them). Returns a
 * new schema.
 */
wr_schema *wr_table_scan_schema(const wr_table *table, bool declared);

/* Views: the name must not exist as a table or view yet; add takes ownership. */
void wr_catalog_add_view(wr_catalog *cat, wr_view *view);
wr_view *wr_catalog_find_view(const wr_catalog *cat, const char *name);
bool wr_catalog_drop_view(wr_catalog *cat, const char *name);
void wr_view_free(wr_view *view);

/*
 * User functions have their own namespace, and names match in any case (as
 * built-in functions do). add takes ownership; the name must not exist yet.
 * drop frees the function: no bound expression that calls it may be left.
 */
void wr_catalog_add_function(wr_catalog *cat, wr_userfunc *fn);
wr_userfunc *wr_catalog_find_function(const wr_catalog *cat, const char *name);
bool wr_catalog_drop_function(wr_catalog *cat, const char *name);

#endif
