/*
 * kafka.h — what the files of the 'kafka' connector share: the planned specs
 * of its source and sink, the record formats, and a few librdkafka helpers.
 *
 * kafka.c reads and validates a table's options into these specs;
 * kafka_source.c and kafka_sink.c are the operators that run them. The specs
 * hold everything an operator needs (librdkafka properties, formats, modes), so
 * another connector over Kafka (upsert-kafka) can plan its own specs and reuse
 * both operators. Only this folder includes this header.
 */
#ifndef WR_KAFKA_H
#define WR_KAFKA_H

#include "../formats/avro.h"
#include "../formats/canal.h"
#include "connector.h"
#include "../formats/csv.h"
#include "../formats/debezium.h"
#include "../formats/json.h"
#include "../ops/operator.h"

#include <librdkafka/rdkafka.h>

/* Record formats of a key or a value. */
typedef enum wr_kafka_format_kind {
    WR_KAFKA_FORMAT_NONE = -1, /* no key format: records are written without a key */
    WR_KAFKA_FORMAT_CSV = 0,
    WR_KAFKA_FORMAT_JSON = 1,
    WR_KAFKA_FORMAT_RAW = 2,
    /* Changelog formats (values only): each record is a change event of one or more rows. */
    WR_KAFKA_FORMAT_DEBEZIUM_JSON = 3,
    WR_KAFKA_FORMAT_CANAL_JSON = 4,
    WR_KAFKA_FORMAT_AVRO = 5, /* one Avro binary datum of a schema derived from the columns */
} wr_kafka_format_kind;

/*
 * One side of a record (key or value): a format over some of the table's
 * columns. schema has the columns the format carries, named as the format
 * sees them ('key.fields-prefix' removed), and cols[i] is the table column
 * of schema column i.
 */
typedef struct wr_kafka_format {
    int kind; /* wr_kafka_format_kind */
    wr_schema *schema;
    int *cols;
    wr_csv_options csv; /* null_literal points to null_literal below */
    char *null_literal;
    wr_json_options json;
    wr_debezium_options debezium;
    wr_canal_options canal; /* owns compiled expressions: moved with the format */
} wr_kafka_format;

void wr_kafka_format_fini(wr_kafka_format *format);

/* True when a record that does not decode is skipped (csv/json.ignore-parse-errors). */
bool wr_kafka_format_ignores_errors(const wr_kafka_format *format);

/* True for debezium-json and canal-json: records carry change kinds (kafka_source emits them). */
bool wr_kafka_format_is_changelog(int kind);

/* Where a source starts ('scan.startup.mode') or ends ('scan.bounded.mode'). */
typedef enum wr_kafka_start {
    WR_KAFKA_START_EARLIEST = 0,
    WR_KAFKA_START_LATEST,
    WR_KAFKA_START_GROUP,
    WR_KAFKA_START_TIMESTAMP,
    WR_KAFKA_START_SPECIFIC,
} wr_kafka_start;

typedef enum wr_kafka_bound {
    WR_KAFKA_BOUND_NONE = 0, /* unbounded */
    WR_KAFKA_BOUND_LATEST,
    WR_KAFKA_BOUND_GROUP,
    WR_KAFKA_BOUND_TIMESTAMP,
    WR_KAFKA_BOUND_SPECIFIC,
} wr_kafka_bound;

/* What 'properties.auto.offset.reset' says for a partition without a committed offset. */
typedef enum wr_kafka_reset {
    WR_KAFKA_RESET_NONE = 0, /* not set: fail, as Flink's OffsetResetStrategy.NONE */
    WR_KAFKA_RESET_EARLIEST,
    WR_KAFKA_RESET_LATEST,
} wr_kafka_reset;

/* A partition's offset from 'scan.*.specific-offsets'. */
typedef struct wr_kafka_offset {
    int32_t partition;
    int64_t offset;
} wr_kafka_offset;

/* librdkafka configuration: key/value pairs given to rd_kafka_conf_set in order. */
typedef struct wr_kafka_props {
    char **keys;
    char **values;
    int n;
} wr_kafka_props;

void wr_kafka_props_add(wr_kafka_props *props, const char *key, const char *value);
/* The value of key, or NULL. */
const char *wr_kafka_props_get(const wr_kafka_props *props, const char *key);
void wr_kafka_props_fini(wr_kafka_props *props);

/*
 * A new librdkafka configuration with every property set. Returns NULL with
 * err set (WR_ERR_RUNTIME) when librdkafka refuses a property, which
 * validation at planning prevents.
 */
rd_kafka_conf_t *wr_kafka_conf_new(const wr_kafka_props *props, wr_error *err);

/*
 * The source's immutable spec: one per table scan, shared by its subtasks.
 * Either topics (sorted, without duplicates) or pattern (a full match of the
 * topic name, as Java's Pattern.matches) names what is read.
 */
typedef struct wr_kafka_source_spec {
    wr_schema *schema; /* the table's physical columns, the order rows have */
    wr_kafka_props props;
    char **topics;
    int ntopics;
    char *pattern;
    void *pattern_code;  /* pcre2_code *, compiled once; matching is thread-safe */
    bool has_group;      /* 'properties.group.id' is set: committed offsets exist */
    bool commit_offsets; /* commit offsets to the group when a checkpoint completes */
    int reset;           /* wr_kafka_reset */
    int start;           /* wr_kafka_start */
    int64_t start_ms;
    wr_kafka_offset *start_offsets;
    int nstart_offsets;
    int bound; /* wr_kafka_bound */
    int64_t bound_ms;
    wr_kafka_offset *bound_offsets;
    int nbound_offsets;
    wr_kafka_format value;
    wr_kafka_format key; /* kind WR_KAFKA_FORMAT_NONE when the key is not read */
    /* The scan's columns (wr_scan_request): schema indexes of what is emitted, or NULL for
     * every column. Records are decoded whole; the emitted batch is a view of its columns. */
    int *out_cols;
    int nout;
    /* A pushed-down WATERMARK (wr_scan_request) over the table's columns, or NULL: then the
     * source emits no watermark but the end of input. Watermarks are kept per partition; one
     * without records for idle_timeout_ms (0: never) does not hold the others back. */
    struct wr_expr *watermark;
    int rowtime;
    int64_t idle_timeout_ms;
    /* upsert-kafka: a record is a +U row, a tombstone (no value) a -D row with only the key
     * columns set; key columns are read from the key. */
    bool upsert;
    /* The scan's metadata (wr_kafka_meta), emitted after out_cols; only out_cols is set. */
    int *meta;
    int nmeta;
} wr_kafka_source_spec;

void wr_kafka_source_spec_free(void *spec);
extern const wr_operator_ops wr_kafka_source_ops;

/* Metadata a kafka source reads beside a record (wr_kafka_metadata lists their types). */
typedef enum wr_kafka_meta {
    WR_KAFKA_META_TOPIC = 0,
    WR_KAFKA_META_PARTITION,
    WR_KAFKA_META_OFFSET,
    WR_KAFKA_META_TIMESTAMP,
    WR_KAFKA_META_TIMESTAMP_TYPE,
    WR_KAFKA_META_HEADERS,
    WR_KAFKA_META_COUNT_
} wr_kafka_meta;

/*
 * The readable metadata, indexed by wr_kafka_meta (Flink's names and types), and the
 * writable ('headers', 'timestamp'). Both connectors over Kafka list these.
 */
#define WR_KAFKA_NWRITABLE_METADATA 2
/* Not const only because 'headers' gets its (interned) type before main: read-only then. */
extern wr_connector_metadata wr_kafka_metadata[WR_KAFKA_META_COUNT_];
extern wr_connector_metadata wr_kafka_writable_metadata[WR_KAFKA_NWRITABLE_METADATA];

/*
 * The wr_kafka_meta of each key of a scan's (writable false) or a sink's request into a new
 * array (*n entries); keys were checked against the tables before.
 */
int *wr_kafka_meta_keys(const char *const *keys, int nkeys, int *n);

/* Records of this subtask skipped by csv/json.ignore-parse-errors (tests). */
int64_t wr_kafka_source_skipped(const wr_operator *op);
/* Milliseconds this subtask's last start took to resolve and assign its partitions (tests,
 * benchmarks); -1 before it started. */
int64_t wr_kafka_source_start_ms(const wr_operator *op);

/* 'sink.partitioner' and 'sink.delivery-guarantee'. */
typedef enum wr_kafka_partitioner {
    WR_KAFKA_PARTITION_DEFAULT = 0, /* librdkafka's murmur2_random: Kafka's default for keys */
    WR_KAFKA_PARTITION_FIXED,       /* subtask s writes to partition s % partitions */
    WR_KAFKA_PARTITION_ROUND_ROBIN, /* each row to the next partition */
} wr_kafka_partitioner;

typedef enum wr_kafka_guarantee {
    WR_KAFKA_GUARANTEE_NONE = 0,
    WR_KAFKA_GUARANTEE_AT_LEAST_ONCE,
    WR_KAFKA_GUARANTEE_EXACTLY_ONCE,
} wr_kafka_guarantee;

typedef struct wr_kafka_sink_spec {
    wr_schema *schema;
    wr_kafka_props props;
    char *topic;
    wr_kafka_format value;
    wr_kafka_format key; /* kind WR_KAFKA_FORMAT_NONE: no key */
    int partitioner;     /* wr_kafka_partitioner */
    int guarantee;       /* wr_kafka_guarantee */
    char *txn_prefix;    /* exactly-once: transactional.id is "<prefix>-<subtask>" */
    bool upsert;         /* upsert-kafka: +I/+U a record, -D a tombstone (key only), -U none */
    /* The request's metadata (wr_sink_request): input column schema->ncols + i is meta[i]'s,
     * WR_KAFKA_META_TIMESTAMP (the record's CreateTime; NULL: the producer's) or _HEADERS. */
    int *meta;
    int nmeta;
} wr_kafka_sink_spec;

void wr_kafka_sink_spec_free(void *spec);

/*
 * For upsert-kafka (upsert_kafka.c), what kafka.c reads alike for both
 * connectors. wr_kafka_read_upsert reads 'properties.*' (bootstrap servers
 * required), 'value.format', 'key.format', 'key.fields-prefix',
 * 'value.fields-include', 'sink.delivery-guarantee',
 * 'sink.transactional-id-prefix' and the formats' options, with the key over
 * the table's primary key columns. On error everything filled is finished.
 */
typedef struct wr_kafka_upsert_options {
    wr_kafka_props props; /* the user's properties.*, prefix removed */
    wr_kafka_format value, key;
    int guarantee; /* wr_kafka_guarantee */
    char *txn_prefix;
} wr_kafka_upsert_options;

int wr_kafka_read_upsert(const wr_schema *schema, const wr_config *options,
                         wr_kafka_upsert_options *out, wr_error *err);
void wr_kafka_upsert_options_fini(wr_kafka_upsert_options *o);
/* The consumer's and producer's properties over the user's (as the kafka connector sets them). */
void wr_kafka_source_props(const wr_kafka_props *user, bool bounded, wr_kafka_props *out);
void wr_kafka_sink_props(const wr_kafka_props *user, wr_kafka_props *out);
extern const wr_operator_ops wr_kafka_sink_ops;

#endif
