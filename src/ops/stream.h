/*
 * stream.h — the operators of the DataStream API that call user functions
 * row by row: map, flat_map, filter, (keyed) process, co-process, rolling
 * reduce and aggregate, the timestamp/watermark assigner, callback sources
 * and sinks. Windows are in window.h; prepared rows come from values.h.
 */
#ifndef WR_OPS_STREAM_H
#define WR_OPS_STREAM_H

#include "udf.h"

typedef enum wr_stream_kind {
    WR_STREAM_MAP,
    WR_STREAM_FLAT_MAP,
    WR_STREAM_FILTER,
    WR_STREAM_PROCESS,    /* keyed when key[0] is set */
    WR_STREAM_CO_PROCESS, /* two inputs; keyed when both keys are set */
    WR_STREAM_REDUCE,     /* keyed */
    WR_STREAM_AGGREGATE,  /* keyed */
    WR_STREAM_WATERMARKS, /* assigns timestamps, generates watermarks */
    WR_STREAM_SINK,       /* callback sink */
    WR_STREAM_SOURCE,     /* callback source */
} wr_stream_kind;

typedef struct wr_stream_args {
    wr_stream_kind kind;
    const wr_schema *in[2];      /* input schemas (copied) */
    const wr_schema *out;        /* output schema (copied); NULL for sinks */
    const wr_keysel *key[2];     /* key selectors of keyed inputs (copied), or NULL */
    const wr_schema *key_schema; /* fields of the key bytes (copied) */
    const weir_tag *const *tags; /* side-output ports 1..ntags (borrowed, outlive the job) */
    int ntags;
    bool batch_mode; /* 'execution.runtime-mode' = batch: reduce/aggregate emit at the end */
    /* The user function, by kind. */
    weir_map_fn map;
    weir_flat_map_fn flat_map;
    weir_filter_fn filter;
    const weir_process_fn *process;
    const weir_co_process_fn *co_process;
    weir_reduce_fn reduce;
    const weir_aggregate_fn *aggregate;
    weir_sink_fn sink;
    weir_source_fn source;
    void *arg;
    /* WR_STREAM_WATERMARKS: the strategy (copied), the timestamp field or -1. */
    weir_watermark_strategy strategy;
    int timestamp_field;
    int64_t watermark_interval_ms; /* periodic emission; 0: none */
} wr_stream_args;

/* The spec of a stream operator (parallelism -1: the job default). */
wr_operator_spec wr_stream_spec(wr_stream_args *args);

#endif
