"""Re-audits: grading the graders.

A re-audit plan (``SamplingPlan.kind = "reaudit"``) draws finalised audits, one stratum per
auditor (``drawing``); each drawn audit is scored again, blind, by someone else (a
``reaudit_of`` audit in the re-auditor's queue); ``alignment`` compares the two per auditor.
Re-audits grade our auditors, never the vendor: every reader of vendor work leaves them out
(``audits.models.VENDOR_WORK``). The rules and the numbers: docs/statistics.md (Re-audits).
"""
