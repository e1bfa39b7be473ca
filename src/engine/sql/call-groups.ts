/**
 * Call latencies as the Calls view shows them: calls grouped by callee (its
 * registered name, so a restarted server's instances group together) and
 * request shape, with every outcome counted under its own name, and latency
 * histograms on round 1-2-5 bucket edges (1, 2, 5, 10, 20, 50 ... ns), so a
 * bucket's label is a round number and says where the bucket starts.
 */

/**
 * Where a call's request went when the trace has no callee (a server on a node that was not recording, a name nobody
 * held), from the request's event `e` and the call `c`: the registered name, as `{name, node}` when on another node
 * than the caller's, as the caller wrote it. NULL when the request went to no name.
 */
export const REQUEST_TARGET = `CASE WHEN e.peer IS NULL OR e.peer LIKE '<%' OR starts_with(e.peer, '#') THEN NULL
       WHEN e.peer_node IS NULL OR e.peer_node = c.caller_node THEN e.peer
       ELSE '{' || e.peer || ', :' || CASE WHEN regexp_full_match(e.peer_node, '[a-zA-Z_][a-zA-Z0-9_@]*') THEN e.peer_node
                                           ELSE '"' || replace(replace(e.peer_node, '\\', '\\\\'), '"', '\\"') || '"' END || '}' END`;
/**
 * The request's event of each calls row `c` the trace knows no callee of, for REQUEST_TARGET (as `e`). Those calls
 * are picked before the join: a join on `c.callee_pid IS NULL AND e.seq = c.call_seq` took DuckDB minutes at 1M events.
 */
export const JOIN_REQUEST_EVENT = `LEFT JOIN (SELECT u.call_seq, r.peer, r.peer_node FROM calls u JOIN events r ON r.seq = u.call_seq WHERE u.callee_pid IS NULL) e
  ON e.call_seq = c.call_seq`;

/**
 * `call_shapes`: `calls` plus `callee` (name, else pid, else where the request went) and `shape` (the request's tag:
 * first tuple element, or the term).
 */
export const CREATE_CALL_SHAPES = `
CREATE OR REPLACE VIEW call_shapes AS
SELECT c.*, coalesce(p.name, c.callee_pid, ${REQUEST_TARGET}) AS callee,
       CASE WHEN starts_with(c.request, '{') THEN regexp_extract(c.request, '^\\{([^,{}\\[\\]]+)', 1)
            ELSE regexp_extract(c.request, '^([^ ,{\\[(]+)', 1) END AS shape
FROM calls c LEFT JOIN processes p ON p.node = c.callee_node AND p.pid = c.callee_pid ${JOIN_REQUEST_EVENT}`;

/** `call_groups`: one row per (callee, shape): counts per outcome and latency quantiles over the calls that have one. */
export const CREATE_CALL_GROUPS = `
CREATE OR REPLACE VIEW call_groups AS
SELECT callee, shape, count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'reply') AS replies,
       count(*) FILTER (WHERE outcome = 'timeout') AS timeouts,
       count(*) FILTER (WHERE outcome = 'callee_exit') AS callee_exits,
       count(*) FILTER (WHERE outcome = 'caller_exit') AS caller_exits,
       count(*) FILTER (WHERE outcome = 'pending') AS pending,
       quantile_cont(latency_ns, 0.5) AS p50_ns, quantile_cont(latency_ns, 0.95) AS p95_ns, max(latency_ns) AS max_ns
FROM call_shapes GROUP BY callee, shape`;

/**
 * `latency_bucket(ns)`: the index of the 1-2-5 bucket holding `ns` (values
 * below 1 count as 1); `latency_bucket_lo(i)`: where bucket `i` starts (it
 * ends where `i + 1` starts). `latency_histogram(list)`: one row per bucket
 * from the lowest to the highest one the values fill, empty ones included.
 */
export const CREATE_LATENCY_HISTOGRAM = [
  `CREATE OR REPLACE MACRO latency_bucket(ns) AS
   3 * floor(log10(greatest(ns, 1)))::INTEGER
   + CASE WHEN greatest(ns, 1) >= 5 * 10 ** floor(log10(greatest(ns, 1))) THEN 2
          WHEN greatest(ns, 1) >= 2 * 10 ** floor(log10(greatest(ns, 1))) THEN 1 ELSE 0 END`,
  `CREATE OR REPLACE MACRO latency_bucket_lo(i) AS (10 ** (i // 3) * [1, 2, 5][i % 3 + 1])::BIGINT`,
  `CREATE OR REPLACE MACRO latency_histogram(xs) AS TABLE
   WITH b AS (SELECT latency_bucket(x) AS i FROM (SELECT unnest(xs) AS x) WHERE x IS NOT NULL),
   c AS (SELECT i, count(*) AS n FROM b GROUP BY i),
   r AS (SELECT unnest(range(min(i), max(i) + 1)) AS i FROM b HAVING count(*) > 0)
   SELECT r.i::INTEGER AS bucket, latency_bucket_lo(r.i) AS lo_ns, latency_bucket_lo(r.i + 1) AS hi_ns, coalesce(c.n, 0) AS n
   FROM r LEFT JOIN c USING (i) ORDER BY r.i`,
];

export const BUILD_CALL_GROUPS = [CREATE_CALL_SHAPES, CREATE_CALL_GROUPS, ...CREATE_LATENCY_HISTOGRAM];
