-- Retention (SECURITY.md D): the purge deletes health checks, gate scans and visitors older than
-- their kind's setting. By the time each was recorded, so that the oldest are a range of an index
-- rather than a read of a city's whole table; the keys only grow, so each insert adds at the
-- index's right edge. The references are indexed for the purge's check that nothing newer still
-- points at a row (an alert at its check, a scan at its visitor).
CREATE INDEX health_checks_checked_at ON health_checks(checked_at);
CREATE INDEX alerts_health_check ON alerts(health_check_id) WHERE health_check_id IS NOT NULL;
CREATE INDEX gate_scans_at ON gate_scans(at);
CREATE INDEX gate_scans_visitor ON gate_scans(visitor_id) WHERE visitor_id IS NOT NULL;
CREATE INDEX gate_visitors_registered_at ON gate_visitors(registered_at);
