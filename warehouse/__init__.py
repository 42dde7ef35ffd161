"""The SQL warehouse: schema, engine, versioned loads, benchmark computation and reads.

Imports neither Dagster nor Streamlit. Runs on SQLite (embedded default) and on
PostgreSQL through psycopg 3.
"""
