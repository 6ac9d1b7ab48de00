-- The assessment indicators of the cases in scope, in one grouped pass (definitions in
-- linli_domain::indicators; a test holds this query to the domain's answers).
--
-- Bound: $1, $2 the period [from, to) in UTC ms; $3 = 1 to leave suspended cases out of
-- those due (the "exclude suspended" rule), 0 to count them; $4… the ids of the scope.
-- Spliced: {group}, the grouping column (from a fixed list), and {scope}, the scope's
-- conditions with their own placeholders.
--
-- A case is reported in the period when reported_at falls in it, closed in it when
-- closed_at does, and due in it when it was registered and closed or fell due in it.
SELECT {group} AS k,
  SUM(CASE WHEN c.reported_at >= $1 AND c.reported_at < $2 THEN 1 ELSE 0 END) AS accepted,
  SUM(CASE WHEN c.reported_at >= $1 AND c.reported_at < $2 AND c.registered_at IS NOT NULL THEN 1 ELSE 0 END)
    AS registered,
  SUM(CASE WHEN c.reported_at >= $1 AND c.reported_at < $2 AND c.registered_at IS NOT NULL
    AND c.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS dispatched,
  SUM(CASE WHEN c.registered_at IS NOT NULL
    AND ((c.closed_at >= $1 AND c.closed_at < $2) OR (c.deadline >= $1 AND c.deadline < $2))
    AND NOT ($3 = 1 AND c.state = 'suspended' AND NOT (c.closed_at >= $1 AND c.closed_at < $2))
    THEN 1 ELSE 0 END) AS due,
  SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 THEN 1 ELSE 0 END) AS closed,
  SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 AND c.closed_at <= c.deadline THEN 1 ELSE 0 END)
    AS closed_on_time,
  SUM(CASE WHEN c.registered_at IS NOT NULL
    AND ((c.closed_at >= $1 AND c.closed_at < $2) OR (c.deadline >= $1 AND c.deadline < $2))
    AND NOT ($3 = 1 AND c.state = 'suspended' AND NOT (c.closed_at >= $1 AND c.closed_at < $2))
    AND c.reworks > 0 THEN 1 ELSE 0 END) AS reworked,
  SUM(CASE WHEN c.registered_at IS NOT NULL
    AND ((c.closed_at >= $1 AND c.closed_at < $2) OR (c.deadline >= $1 AND c.deadline < $2))
    AND NOT ($3 = 1 AND c.state = 'suspended' AND NOT (c.closed_at >= $1 AND c.closed_at < $2))
    AND c.extensions > 0 THEN 1 ELSE 0 END) AS extended,
  SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 AND c.self_resolved THEN 1 ELSE 0 END) AS self_resolved,
  SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 AND c.rating IS NOT NULL THEN 1 ELSE 0 END) AS rated,
  SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 AND c.rating >= 4 THEN 1 ELSE 0 END) AS satisfied,
  SUM(CASE WHEN c.registered_at IS NOT NULL AND (c.closed_at IS NULL OR c.closed_at >= $2)
    AND c.reported_at < $2 AND c.deadline < $2 AND c.state <> 'suspended' THEN 1 ELSE 0 END) AS overdue,
  CAST(SUM(CASE WHEN c.reported_at >= $1 AND c.reported_at < $2 AND c.accepted_at IS NOT NULL
    AND c.dispatched_at IS NOT NULL THEN c.accepted_at - c.dispatched_at ELSE 0 END) AS BIGINT) AS acceptance_ms_sum,
  SUM(CASE WHEN c.reported_at >= $1 AND c.reported_at < $2 AND c.accepted_at IS NOT NULL
    AND c.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS acceptance_n,
  CAST(SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 AND c.registered_at IS NOT NULL
    THEN c.closed_at - c.registered_at ELSE 0 END) AS BIGINT) AS handling_ms_sum,
  SUM(CASE WHEN c.closed_at >= $1 AND c.closed_at < $2 AND c.registered_at IS NOT NULL THEN 1 ELSE 0 END)
    AS handling_n
FROM cases c
WHERE {scope} AND c.merged_into IS NULL
  AND ((c.reported_at >= $1 AND c.reported_at < $2) OR (c.closed_at >= $1 AND c.closed_at < $2)
    OR (c.deadline >= $1 AND c.deadline < $2)
    OR (c.registered_at IS NOT NULL AND c.closed_at IS NULL AND c.reported_at < $2))
GROUP BY {group}
