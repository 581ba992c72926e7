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

#include "../ops/operator.h"
#include "../types/schema.h"

typedef struct wr_connector {
    const char *name; /* the 'connector' option value */
    /*
     * Plans a scan of a table with this schema and options. Returns 0 and
     * fills out, or an error. NULL when the connector cannot be a source.
     * job is the job configuration (e.g. 'parallelism.default').
     */
    int (*make_source)(const wr_schema *schema, const wr_config *options, const wr_config *job,
                       wr_operator_spec *out, wr_error *err);
    /* Plans a sink. NULL when the connector cannot be a sink. */
    int (*make_sink)(const wr_schema *schema, const wr_config *options, const wr_config *job,
                     wr_operator_spec *out, wr_error *err);
} wr_connector;

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
