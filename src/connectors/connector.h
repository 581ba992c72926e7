/*
 * connector.h — how a table's WITH options become source and sink operators.
 *
 * A connector validates the options of a table for its role (scan source or
 * sink) against the table's physical schema, and returns the operator that
 * implements it plus an immutable spec for that operator. It reports an
 * unknown option, a missing required option or a bad value as
 * WR_ERR_VALIDATION positioned at the option's key or value in the SQL text
 * (the wr_config_entry positions), naming the option and the connector.
 */
#ifndef WR_CONNECTOR_H
#define WR_CONNECTOR_H

#include "../ops/lookup_join.h"
#include "../ops/operator.h"
#include "../types/schema.h"

/* Bound expressions (expr/expr.h); a request's filters are trees of them. */
struct wr_expr;

/*
 * What a scan asks of its source: Flink's SupportsProjectionPushDown and
 * SupportsFilterPushDown, in one request built by the planner's rules.
 *
 * columns lists the table's physical columns the source produces, in that
 * order (indexes into the schema, each at most once): the operator's output
 * row is columns[0], columns[1], ... A source decodes or generates only
 * those, but keeps every other behaviour of a full scan: the same rows, and a
 * row count that does not depend on what is produced (ncolumns may be 0:
 * SELECT COUNT(*) reads rows without columns).
 *
 * filters are conjuncts the source must apply completely: it emits only the
 * rows for which every one is TRUE. They are offered only when the
 * connector's accepts_filter took them. Their column references are the
 * table's physical columns (column i is schema column i, produced or not).
 * They are borrowed for the call; a source that keeps one takes it by
 * setting its slot to NULL (the planner frees the rest).
 *
 * watermark is Flink's SupportsWatermarkPushDown: a slot holding the
 * table's WATERMARK expression (TIMESTAMP(p) or TIMESTAMP_LTZ(p), p <= 3,
 * over the table's physical columns as filters are) and rowtime, the
 * physical column it is declared on; NULL when the scan has none. It is
 * offered only when the connector's accepts_watermark said yes, and the
 * source must then generate the watermarks itself (no WatermarkAssigner
 * follows it): the largest value of the expression seen so far, in
 * milliseconds, per split (a partition), the minimum over the splits that
 * are not idle. The source takes the expression by setting *watermark to
 * NULL (the planner frees it otherwise).
 *
 * metadata lists the metadata keys the source produces after the physical
 * columns (Flink's SupportsReadingMetadata#applyReadableMetadata): the output
 * row is columns[...], then a column per metadata[i] of the type the
 * connector's readable_metadata gives that key. Only keys of that table are
 * asked for, each at most once; the planner casts them to the declared types.
 *
 * A NULL request is a full scan: every column in schema order, no filters,
 * no watermark, no metadata.
 */
typedef struct wr_scan_request {
    const int *columns;
    int ncolumns;
    struct wr_expr **filters;
    int nfilters;
    struct wr_expr **watermark;
    int rowtime;
    const char *const *metadata;
    int nmetadata;
} wr_scan_request;

/*
 * A metadata key a connector reads or writes (Flink's listReadableMetadata /
 * listWritableMetadata) and its type. A table's metadata column
 * (name T METADATA [FROM 'key'] [VIRTUAL]) must name one, with a type T that
 * the key's type casts to.
 */
typedef struct wr_connector_metadata {
    const char *key;
    wr_type type;
} wr_connector_metadata;

/*
 * What a sink writes beside the physical columns (Flink's
 * SupportsWritingMetadata#applyWritableMetadata): its input row is the
 * table's physical columns, then a column per metadata[i], of the type the
 * connector's writable_metadata gives that key (the binder casts the INSERT's
 * values to it). Only keys of that table are asked for, each at most once. A
 * NULL request, or one without keys, writes the physical columns only.
 */
typedef struct wr_sink_request {
    const char *const *metadata;
    int nmetadata;
} wr_sink_request;

/* What a sink accepts (Flink's DynamicTableSink#getChangelogMode). */
typedef enum wr_sink_changes {
    WR_SINK_INSERT_ONLY = 0, /* +I rows only (an append-only sink) */
    WR_SINK_ANY,             /* every change kind (it prints or drops them) */
    WR_SINK_UPSERT,          /* updates and deletes too when the table has a PRIMARY KEY */
} wr_sink_changes;

typedef struct wr_connector {
    const char *name; /* the 'connector' option value */
    wr_sink_changes sink_changes;
    /*
     * What a sink with these options accepts, when it depends on them (the
     * kafka sink with a changelog value format takes updates); NULL:
     * sink_changes. Must not mark options used.
     */
    wr_sink_changes (*sink_accepts)(const wr_config *options);
    /*
     * Plans a scan of a table with this schema and options: the columns and
     * filters of req (NULL: all columns, no filters). Returns 0 and fills
     * out, or an error. NULL when the connector cannot be a source. job is
     * the job configuration (e.g. 'parallelism.default'). Errors never
     * depend on req: the options are valid for every request or none.
     */
    int (*make_source)(const wr_schema *schema, const wr_config *options, const wr_config *job,
                       const wr_scan_request *req, wr_operator_spec *out, wr_error *err);
    /*
     * Whether the source applies this filter conjunct itself, completely,
     * when it is in a scan request (called while the query is planned,
     * before make_source, on valid options). filter reads the table's
     * physical columns. NULL: the source applies no filter, they all stay
     * in the Calc above it.
     */
    bool (*accepts_filter)(const wr_schema *schema, const wr_config *options,
                           const struct wr_expr *filter);
    /*
     * Whether the source generates the table's watermarks itself from this
     * WATERMARK expression (over the physical columns) when it is in a scan
     * request (planning time, valid options). NULL or false: the planner
     * keeps a WatermarkAssigner after the source.
     */
    bool (*accepts_watermark)(const wr_schema *schema, const wr_config *options,
                              const struct wr_expr *watermark);
    /* Plans a sink. NULL when the connector cannot be a sink. */
    int (*make_sink)(const wr_schema *schema, const wr_config *options, const wr_config *job,
                     wr_operator_spec *out, wr_error *err);
    /*
     * Plans a sink that also writes the metadata of req (a request with at
     * least one key; wr_connector_make_sink chooses). NULL for a connector
     * without writable_metadata. Kept beside make_sink so that connectors
     * writing no metadata keep their one entry point.
     */
    int (*make_metadata_sink)(const wr_schema *schema, const wr_config *options,
                              const wr_config *job, const wr_sink_request *req,
                              wr_operator_spec *out, wr_error *err);
    /*
     * Plans a lookup source (Flink's LookupTableSource) for lookup joins: the
     * rows whose columns keys[0..nkeys) equal a probe's. NULL when the
     * connector cannot be looked up.
     */
    int (*make_lookup)(const wr_schema *schema, const wr_config *options, const wr_config *job,
                       const int *keys, int nkeys, wr_lookup_spec *out, wr_error *err);
    /*
     * The metadata a source can read, in the order error messages list it;
     * NULL (0 keys) for a connector without any: it refuses metadata columns.
     */
    const wr_connector_metadata *readable_metadata;
    int nreadable_metadata;
    /*
     * The metadata a sink can write (persisted metadata columns are written
     * with the row), in the order error messages list it; NULL: none. A key
     * that is also readable has the same type in both tables.
     */
    const wr_connector_metadata *writable_metadata;
    int nwritable_metadata;
} wr_connector;

/*
 * The key's entry in the connector's readable (writable false) or writable
 * metadata, or NULL when the connector has no such key.
 */
const wr_connector_metadata *wr_connector_metadata_find(const wr_connector *conn, const char *key,
                                                        bool writable);

/*
 * Plans conn's sink for a table: make_sink when req has no metadata, else
 * make_metadata_sink after checking that every key of req is writable. A key
 * that is not is WR_ERR_VALIDATION naming it, the column (columns[i] names
 * req->metadata[i]'s column, for the message; may be NULL) and the writable
 * keys.
 */
int wr_connector_make_sink(const wr_connector *conn, const wr_schema *schema,
                           const wr_config *options, const wr_config *job,
                           const wr_sink_request *req, const char *const *columns,
                           wr_operator_spec *out, wr_error *err);

/*
 * The request's columns as an array of schema indexes (all of them, in
 * order, when req is NULL), in *ncols. The caller frees it with wr_free.
 */
int *wr_scan_request_columns(const wr_scan_request *req, const wr_schema *schema, int *ncols);

/* The connector registered under name (exact match), or NULL. */
const wr_connector *wr_connector_find(const char *name);
/* Comma-separated names of all connectors, for error messages. */
const char *wr_connector_names(void);

/*
 * Checks that every option was read by the connector; reports the first
 * unread one as "unsupported option 'k' for connector 'c'; supported
 * options: ..." at its key. 'connector' itself counts as read.
 */
int wr_connector_check_unused(const wr_config *options, const char *connector,
                              const char *supported, wr_error *err);

#endif
