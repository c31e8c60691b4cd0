-- ispvm store schema, version 1 (SQLite dialect).
-- Times are microseconds since the Unix epoch (UTC), BIGINT.
-- JSON columns hold compact serde_json text.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    last_evaluated_at BIGINT
);

CREATE TABLE entities (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    role TEXT,
    site TEXT,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE links (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    endpoint_a TEXT NOT NULL,
    endpoint_b TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, id) REFERENCES entities (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, endpoint_a) REFERENCES entities (tenant_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (tenant_id, endpoint_b) REFERENCES entities (tenant_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE dependency_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('any', 'all', 'kofn')),
    k BIGINT CHECK ((mode = 'kofn') = (k IS NOT NULL) AND (k IS NULL OR k >= 1)),
    created_at BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, entity_id) REFERENCES entities (tenant_id, id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX dependency_groups_by_entity ON dependency_groups (tenant_id, entity_id);

CREATE TABLE dependency_group_members (
    group_id BIGINT NOT NULL REFERENCES dependency_groups (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (group_id, position),
    UNIQUE (group_id, entity_id),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES entities (tenant_id, id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX dependency_group_members_by_entity ON dependency_group_members (tenant_id, entity_id);

CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    ended_early_at BIGINT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_by_tenant ON maintenance_windows (tenant_id, ends_at);

CREATE TABLE maintenance_window_entities (
    window_id BIGINT NOT NULL REFERENCES maintenance_windows (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (window_id, position)
);

CREATE TABLE incidents (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL,
    summary TEXT NOT NULL,
    subscribers_affected BIGINT NOT NULL,
    impacted TEXT NOT NULL,
    primary_cause TEXT,
    evidence_purged_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX incidents_by_state ON incidents (tenant_id, state, opened_at);
CREATE INDEX incidents_by_closed_at ON incidents (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE root_causes (
    tenant_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    entity_id TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    evidence TEXT,
    PRIMARY KEY (tenant_id, incident_id, position),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE incident_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    change TEXT NOT NULL,
    summary TEXT NOT NULL,
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_history_by_incident ON incident_history (tenant_id, incident_id, id);

CREATE TABLE incident_feedback (
    tenant_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    true_cause TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (tenant_id, incident_id),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE evidence_weights (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    evidence TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, evidence)
);

CREATE TABLE poll_results (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    bucket_start BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    timeouts BIGINT NOT NULL,
    duration_sum_ms DOUBLE PRECISION NOT NULL,
    duration_max_ms DOUBLE PRECISION NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, target, bucket_start)
);
CREATE INDEX poll_results_by_bucket ON poll_results (bucket_start);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_by_at ON audit_log (at);
