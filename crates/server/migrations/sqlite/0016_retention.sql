-- Retention (SECURITY.md D): the purge deletes records past their kind's days. Health checks and
-- gate scans are found by grid or gate and day through the indexes they have; these index what
-- the purge reads besides: a visitor's registration time, and the references it checks so that
-- nothing left points at a deleted row (an alert at its check, a scan at its visitor). Partial:
-- most scans name no visitor and most alerts are few, so the gate's and the checks' writes pay
-- (next to) nothing for them.
CREATE INDEX alerts_health_check ON alerts(health_check_id) WHERE health_check_id IS NOT NULL;
CREATE INDEX gate_scans_visitor ON gate_scans(visitor_id) WHERE visitor_id IS NOT NULL;
CREATE INDEX gate_visitors_registered_at ON gate_visitors(registered_at);
