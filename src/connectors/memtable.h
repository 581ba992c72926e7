/*
 * memtable.h — tables whose rows Weir keeps in memory for the session.
 *
 * A table created without a 'connector' option is stored by Weir, so the SQL
 * client works like a database: INSERT INTO ... VALUES / SELECT appends rows,
 * INSERT OVERWRITE replaces them, and queries read them. A job's writes become
 * visible together when the job finishes successfully (a failed or cancelled
 * INSERT leaves the table as it was); a reading job sees the rows as of its
 * start. Safe to use from several jobs' threads at once.
 */
#ifndef WR_CONNECTORS_MEMTABLE_H
#define WR_CONNECTORS_MEMTABLE_H

#include "../ops/lookup_join.h"
#include "../ops/operator.h"
#include "../sql/catalog.h"

wr_memtable *wr_memtable_new(const wr_schema *schema);
void wr_memtable_free(wr_memtable *mt);
int64_t wr_memtable_rows(const wr_memtable *mt);

/*
 * A bounded source over the rows as of planning; subtasks split the rows
 * between them. req (connectors/connector.h; NULL: a full scan) says which
 * columns it produces and which filters it applies: the source takes them
 * (their slots become NULL) and evaluates them over each stored batch, so
 * only passing rows are lent on.
 */
struct wr_scan_request;
wr_operator_spec wr_memtable_source_spec(wr_memtable *mt, const struct wr_scan_request *req);

/* Whether the source applies filter itself when offered (any predicate: yes). */
struct wr_expr;
bool wr_memtable_accepts_filter(const struct wr_expr *filter);

/*
 * A lookup source over the table (lookup joins): the rows whose columns keys[0..nkeys) equal
 * a probe's, as of the latest commit when the lookup happens. The spec holds a reference to
 * the table.
 */
wr_lookup_spec wr_memtable_lookup_spec(wr_memtable *mt, const int *keys, int nkeys);
/*
 * Writing: a job's sink subtasks append to one transaction (thread-safe);
 * whoever ran the job commits it after the job succeeded (the rows become
 * visible, replacing the old ones with overwrite) or aborts it otherwise.
 * The transaction outlives the sink spec that refers to it.
 */
typedef struct wr_memtable_txn wr_memtable_txn;
wr_memtable_txn *wr_memtable_begin(wr_memtable *mt, bool overwrite);
wr_operator_spec wr_memtable_sink_spec(wr_memtable_txn *txn);
void wr_memtable_commit(wr_memtable_txn *txn); /* frees txn */
void wr_memtable_abort(wr_memtable_txn *txn);  /* frees txn */

#endif
