/*
 * upsert_kafka.c — the 'upsert-kafka' connector (Flink's): a Kafka topic as
 * the changelog of a table with a PRIMARY KEY. A record's key is the primary
 * key's columns and its value the row; a record without a value (a
 * tombstone) deletes the key.
 *
 * The source reads the topic from its earliest offset and emits +U per
 * record and -D (only the key columns set) per tombstone: an upsert
 * changelog, which the planner normalizes with ChangelogNormalize. The sink
 * writes +I/+U as records and -D as tombstones, skipping -U. Options are
 * read by kafka.c (wr_kafka_read_upsert) and both roles run the kafka
 * operators with their `upsert` flag.
 */
#include "connector_int.h"
#include "kafka.h"
#include "../base/alloc.h"

#include <string.h>

#define UPSERT_KAFKA_OPTION_NAMES                                                                  \
    "connector, topic, properties.bootstrap.servers, properties.*, key.format, value.format, "     \
    "key.fields-prefix, value.fields-include, scan.bounded.mode, sink.parallelism, "               \
    "sink.buffer-flush.max-rows, sink.buffer-flush.interval, sink.delivery-guarantee, "            \
    "sink.transactional-id-prefix, and the options of the formats (key.json.*, value.csv.*, ...)"

static const char *const bound_names[] = {"unbounded", "latest-offset", NULL};

static int connector_pos(const wr_config *options)
{
    const wr_config_entry *e = wr_config_find(options, "connector");
    return e ? e->value_pos : -1;
}

/*
 * What both roles check and read: a PRIMARY KEY, both formats, one topic,
 * no option of the kafka connector that upsert-kafka does not have. Fills
 * uo and *topic (borrowed from options).
 */
static int read_upsert(const wr_schema *schema, const wr_config *options,
                       wr_kafka_upsert_options *uo, const wr_config_entry **topic, wr_error *err)
{
    memset(uo, 0, sizeof(*uo));
    uo->key.kind = uo->value.kind = WR_KAFKA_FORMAT_NONE;
    if (schema->nprimary_key == 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, connector_pos(options),
                               "connector 'upsert-kafka' needs a table with a PRIMARY KEY (... "
                               "NOT ENFORCED): its columns are the record key");
    static const char *const foreign[] = {"format", "key.fields", "topic-pattern"};
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        const wr_config_entry *e = wr_config_find(options, foreign[i]);
        if (e)
            return wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                                   "unsupported option '%s' for connector 'upsert-kafka'%s; "
                                   "supported options: " UPSERT_KAFKA_OPTION_NAMES,
                                   e->key,
                                   i == 0   ? " (use 'value.format')"
                                   : i == 1 ? " (the key is the PRIMARY KEY)"
                                            : "");
    }
    static const char *const required[] = {"key.format", "value.format", "topic"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (wr_config_find(options, required[i]) == NULL)
            return wr_error_set_at(err, WR_ERR_VALIDATION, connector_pos(options),
                                   "option '%s' is required for connector 'upsert-kafka'",
                                   required[i]);
    *topic = wr_config_find(options, "topic");
    if ((*topic)->value[0] == '\0' || strchr((*topic)->value, ';'))
        return wr_error_set_at(err, WR_ERR_VALIDATION, (*topic)->value_pos,
                               "invalid value '%s' for option 'topic': connector 'upsert-kafka' "
                               "reads and writes one topic",
                               (*topic)->value);
    /* Buffered flushing is not done: only its default (disabled) is accepted. */
    static const char *const flush[] = {"sink.buffer-flush.max-rows", "sink.buffer-flush.interval"};
    for (size_t i = 0; i < 2; i++) {
        const wr_config_entry *e = wr_config_find(options, flush[i]);
        if (e && strcmp(e->value, "0") != 0 && strcmp(e->value, "0s") != 0 &&
            strcmp(e->value, "0 ms") != 0 && strcmp(e->value, "0ms") != 0)
            return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                   "invalid value '%s' for option '%s': Weir's upsert-kafka sink "
                                   "does not buffer rows yet; only '0' (disabled) is accepted",
                                   e->value, e->key);
    }
    int rc = wr_kafka_read_upsert(schema, options, uo, err);
    if (rc) return rc;
    int bound, par;
    rc = wr_config_get_enum(options, "scan.bounded.mode", bound_names, 0, &bound, err);
    if (rc == 0) rc = wr_connector_get_parallelism(options, "sink.parallelism", &par, err);
    if (rc == 0)
        rc = wr_connector_check_unused(options, "upsert-kafka", UPSERT_KAFKA_OPTION_NAMES, err);
    if (rc) wr_kafka_upsert_options_fini(uo);
    return rc;
}

static int upsert_make_source(const wr_schema *schema, const wr_config *options,
                              const wr_config *job, const wr_scan_request *req,
                              wr_operator_spec *out, wr_error *err)
{
    wr_kafka_upsert_options uo;
    const wr_config_entry *topic;
    int rc = read_upsert(schema, options, &uo, &topic, err);
    if (rc) return rc;
    int bound = 0;
    wr_config_get_enum(options, "scan.bounded.mode", bound_names, 0, &bound, err);
    wr_kafka_source_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->schema = wr_schema_copy(schema);
    spec->value = uo.value;
    spec->key = uo.key;
    spec->topics = wr_malloc(sizeof(char *));
    spec->topics[0] = wr_strdup(topic->value);
    spec->ntopics = 1;
    spec->start = WR_KAFKA_START_EARLIEST; /* Flink: always the whole changelog */
    spec->bound = bound ? WR_KAFKA_BOUND_LATEST : WR_KAFKA_BOUND_NONE;
    spec->upsert = true;
    wr_kafka_source_props(&uo.props, bound != 0, &spec->props);
    if (req) spec->out_cols = wr_scan_request_columns(req, schema, &spec->nout);
    if (req && req->nmetadata)
        spec->meta = wr_kafka_meta_keys(req->metadata, req->nmetadata, &spec->nmeta);
    wr_kafka_props_fini(&uo.props);
    wr_free(uo.txn_prefix);
    *out = (wr_operator_spec){
        .ops = &wr_kafka_source_ops,
        .spec = spec,
        .spec_free = wr_kafka_source_spec_free,
        .parallelism = -1,
        .bounded = bound != 0,
        .changes = 1u << WR_KIND_INSERT | 1u << WR_KIND_UPDATE_AFTER | 1u << WR_KIND_DELETE,
    };
    return 0;
}

static int upsert_make_metadata_sink(const wr_schema *schema, const wr_config *options,
                                     const wr_config *job, const wr_sink_request *req,
                                     wr_operator_spec *out, wr_error *err)
{
    wr_kafka_upsert_options uo;
    const wr_config_entry *topic;
    int rc = read_upsert(schema, options, &uo, &topic, err);
    if (rc) return rc;
    if (uo.guarantee == WR_KAFKA_GUARANTEE_EXACTLY_ONCE && uo.txn_prefix == NULL) {
        wr_kafka_upsert_options_fini(&uo);
        return wr_error_set_at(err, WR_ERR_VALIDATION, connector_pos(options),
                               "option 'sink.transactional-id-prefix' is required for connector "
                               "'upsert-kafka' with 'sink.delivery-guarantee' = 'exactly-once'");
    }
    int par = -1;
    wr_connector_get_parallelism(options, "sink.parallelism", &par, err);
    wr_kafka_sink_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->schema = wr_schema_copy(schema);
    spec->topic = wr_strdup(topic->value);
    spec->value = uo.value;
    spec->key = uo.key;
    spec->partitioner = WR_KAFKA_PARTITION_DEFAULT; /* by key: a key's changes stay in order */
    spec->guarantee = uo.guarantee;
    spec->txn_prefix = uo.txn_prefix;
    spec->upsert = true;
    if (req && req->nmetadata)
        spec->meta = wr_kafka_meta_keys(req->metadata, req->nmetadata, &spec->nmeta);
    wr_kafka_sink_props(&uo.props, &spec->props);
    wr_kafka_props_fini(&uo.props);
    *out = (wr_operator_spec){.ops = &wr_kafka_sink_ops,
                              .spec = spec,
                              .spec_free = wr_kafka_sink_spec_free,
                              .parallelism = par};
    return 0;
}

static int upsert_make_sink(const wr_schema *schema, const wr_config *options, const wr_config *job,
                            wr_operator_spec *out, wr_error *err)
{
    return upsert_make_metadata_sink(schema, options, job, NULL, out, err);
}

/* Flink's upsert-kafka reads and writes the kafka connector's metadata. */
const wr_connector wr_connector_upsert_kafka = {
    .name = "upsert-kafka",
    .sink_changes = WR_SINK_UPSERT,
    .make_source = upsert_make_source,
    .make_sink = upsert_make_sink,
    .make_metadata_sink = upsert_make_metadata_sink,
    .readable_metadata = wr_kafka_metadata,
    .nreadable_metadata = WR_KAFKA_META_COUNT_,
    .writable_metadata = wr_kafka_writable_metadata,
    .nwritable_metadata = WR_KAFKA_NWRITABLE_METADATA,
};
