"""The read-only ``analyst_audits`` view: one row per audit for SQL users (README,
"Exports and the analyst view"). Plain joins only, so the same SQL runs on PostgreSQL and
SQLite. Never the internal note, and never a re-audit (it grades our auditor, not the vendor).

A view pins the tables it reads: PostgreSQL refuses to change a column a view uses, and SQLite
cannot rebuild a table a view names. So the view is dropped before every ``migrate`` and
created again from this definition afterwards (``audits.apps``), once its migration is
applied: later migrations never trip over it, and the live view always matches this file.
"""

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

MIGRATION = ("audits", "0006_analyst_audits_view")

CREATE_VIEW = """
CREATE VIEW analyst_audits AS
SELECT
    a.id AS audit_id,
    a.ticket_id AS ticket_id,
    t.external_id AS ticket_external_id,
    t.source AS ticket_source,
    t.vendor_id AS vendor_id,
    v.slug AS vendor,
    t.site_id AS site_id,
    s.slug AS site,
    t.workflow_id AS workflow_id,
    w.slug AS workflow,
    t.agent_id AS agent_id,
    ag.external_id AS agent_external_id,
    t.handled_at AS handled_at,
    a.form_version_id AS form_version_id,
    f.slug AS form,
    fv.number AS form_version,
    a.status AS status,
    a.score AS score,
    a.passed AS passed,
    a.critical_failed AS critical_failed,
    a.error_count AS error_count,
    CAST(a.error_categories AS TEXT) AS error_categories_json,
    a.unsampled AS unsampled,
    st.run_id AS sample_run_id,
    st.stratum_id AS stratum_id,
    ss.population AS stratum_population,
    ss.allocated AS stratum_allocated,
    st.inclusion_probability AS inclusion_probability,
    a.submitted_at AS submitted_at,
    a.finalised_at AS finalised_at
FROM audits_audit a
JOIN audits_ticket t ON t.id = a.ticket_id
JOIN vendors_vendor v ON v.id = t.vendor_id
JOIN vendors_site s ON s.id = t.site_id
JOIN vendors_workflow w ON w.id = t.workflow_id
JOIN vendors_agent ag ON ag.id = t.agent_id
JOIN audits_formversion fv ON fv.id = a.form_version_id
JOIN audits_auditform f ON f.id = fv.form_id
LEFT JOIN sampling_sampledticket st ON st.id = a.sampled_ticket_id
LEFT JOIN sampling_samplestratum ss ON ss.id = st.stratum_id
WHERE a.reaudit_of_id IS NULL
"""

DROP_VIEW = "DROP VIEW IF EXISTS analyst_audits"


def drop_view(using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(DROP_VIEW)


def create_view_if_migrated(using: str) -> None:
    """(Re)create the view when its migration is applied; ``flush`` also ends here."""
    connection = connections[using]
    if MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    with connection.cursor() as cursor:
        cursor.execute(DROP_VIEW)
        cursor.execute(CREATE_VIEW)
