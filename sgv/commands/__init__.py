"""Operator command groups, one module per domain, assembled in sgv/cli.py."""
