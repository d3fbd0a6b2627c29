"""Export services (出口申报): the export declaration types of the ONE intake pipeline, match, routing, returns.

Intake is ``kuajing.imports.service.accept`` — the export types are registered in ``doctypes`` (loaded by
the pipeline on first use); see docs/exports.md.
"""
