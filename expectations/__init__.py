"""The data contract: reference data, CSV reading, Great Expectations suites, validation report.

Imports neither Dagster nor Streamlit; Great Expectations itself is imported lazily
(it costs seconds) by the module that runs the suites.
"""
