/*
 * connector.c — the registry of connectors and the helpers they share.
 *
 * Connectors are a fixed, compiled-in list: the planner looks one up by the
 * table's 'connector' option and asks it for a source or sink operator.
 */
#include "connector_int.h"
#include "../base/alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Sorted by name: wr_connector_names() reports them in this order. */
static const wr_connector *const connectors[] = {
    &wr_connector_blackhole, &wr_connector_datagen, &wr_connector_filesystem,
    &wr_connector_jdbc,      &wr_connector_kafka,   &wr_connector_nexmark,
    &wr_connector_postgres,  &wr_connector_print,   &wr_connector_upsert_kafka,
};

const wr_connector *wr_connector_find(const char *name)
{
    for (size_t i = 0; i < WR_ARRAY_LEN(connectors); i++)
        if (strcmp(connectors[i]->name, name) == 0) return connectors[i];
    return NULL;
}

const char *wr_connector_names(void)
{
    return "blackhole, datagen, filesystem, jdbc, kafka, nexmark, postgres, print, upsert-kafka";
}

int *wr_scan_request_columns(const wr_scan_request *req, const wr_schema *schema, int *ncols)
{
    int n = req ? req->ncolumns : schema->ncols;
    int *cols = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
    for (int i = 0; i < n; i++) {
        cols[i] = req ? req->columns[i] : i;
        assert(cols[i] >= 0 && cols[i] < schema->ncols);
    }
    *ncols = n;
    return cols;
}

const wr_connector_metadata *wr_connector_metadata_find(const wr_connector *conn, const char *key,
                                                        bool writable)
{
    const wr_connector_metadata *meta =
        writable ? conn->writable_metadata : conn->readable_metadata;
    int n = writable ? conn->nwritable_metadata : conn->nreadable_metadata;
    for (int i = 0; i < n; i++)
        if (strcmp(meta[i].key, key) == 0) return &meta[i];
    return NULL;
}

int wr_connector_make_sink(const wr_connector *conn, const wr_schema *schema,
                           const wr_config *options, const wr_config *job,
                           const wr_sink_request *req, const char *const *columns,
                           wr_operator_spec *out, wr_error *err)
{
    if (req == NULL || req->nmetadata == 0) return conn->make_sink(schema, options, job, out, err);
    for (int i = 0; i < req->nmetadata; i++) {
        if (conn->make_metadata_sink && wr_connector_metadata_find(conn, req->metadata[i], true))
            continue;
        /* As Flink at INSERT: a persisted metadata column is written, so its key must be. */
        char keys[512] = "none";
        size_t len = 0;
        for (int k = 0; k < conn->nwritable_metadata && len < sizeof(keys); k++)
            len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s'%s'", k ? ", " : "",
                                    conn->writable_metadata[k].key);
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "metadata key '%s'%s%s%s of connector '%s' cannot be written; "
                            "writable keys: %s; declare the column VIRTUAL to only read it",
                            req->metadata[i], columns ? " (column '" : "",
                            columns ? columns[i] : "", columns ? "')" : "", conn->name, keys);
    }
    return conn->make_metadata_sink(schema, options, job, req, out, err);
}

int wr_connector_check_unused(const wr_config *options, const char *connector,
                              const char *supported, wr_error *err)
{
    for (int i = 0; i < options->n; i++) {
        const wr_config_entry *e = &options->entries[i];
        if (e->used || strcmp(e->key, "connector") == 0) continue;
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                               "unsupported option '%s' for connector '%s'; supported options: %s",
                               e->key, connector, supported);
    }
    return 0;
}

int wr_connector_get_parallelism(const wr_config *options, const char *key, int *out, wr_error *err)
{
    *out = -1;
    const wr_config_entry *e = wr_config_find(options, key);
    if (e == NULL) return 0;
    int64_t v;
    if (wr_parse_int64(e->value, &v) || v < 1 || v > 32768)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected a positive integer "
                               "(at most 32768)",
                               e->value, e->key);
    *out = (int)v;
    return 0;
}

int wr_connector_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}
