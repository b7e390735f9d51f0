"""Operators: coverage and data quality per RIPREE operator, as pages and open data."""
