"""Synthesis helpers for the generate stage and for dataset ingestion.

``questions``: question types over a table whose answers code computes and re-checks.
``build`` / ``render`` / ``validate``: synthetic documents from external table-QA datasets
(controlled abstraction, gold by construction), their PDFs, and the evidence re-check.
"""
