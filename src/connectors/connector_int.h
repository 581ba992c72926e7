/*
 * connector_int.h — what the connector files share and nobody else needs.
 *
 * The registry in connector.c lists the connectors defined in the other
 * files of this folder; each reads its parallelism option the same way, and
 * memory sizes (filesystem, nexmark) are parsed in one place.
 */
#ifndef WR_CONNECTOR_INT_H
#define WR_CONNECTOR_INT_H

#include "connector.h"

extern const wr_connector wr_connector_blackhole;
extern const wr_connector wr_connector_datagen;
extern const wr_connector wr_connector_filesystem;
extern const wr_connector wr_connector_jdbc;
extern const wr_connector wr_connector_kafka;
extern const wr_connector wr_connector_nexmark;
extern const wr_connector wr_connector_postgres;
extern const wr_connector wr_connector_print;
extern const wr_connector wr_connector_upsert_kafka;

/*
 * Reads a parallelism option ('scan.parallelism', 'sink.parallelism') into
 * *out: -1 (the job default) when absent, else a positive integer. A value
 * that is not a positive integer is WR_ERR_VALIDATION at the value.
 */
int wr_connector_get_parallelism(const wr_config *options, const char *key, int *out,
                                 wr_error *err);

/*
 * Flink's MemorySize text ('200b', '64 kb', '1024'; units binary, any case)
 * into bytes. Returns 0, or -1 for text that is not a size or does not fit
 * int64. Defined in filesystem.c.
 */
int wr_connector_parse_memory_size(const char *s, int64_t *out);

/* Writes all of data to fd, retrying partial writes and EINTR. Returns 0 or an errno. */
int wr_connector_write_all(int fd, const char *data, size_t len);

#endif
