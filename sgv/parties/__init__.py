"""The CPO lifecycle (SPEC §4, §6): admission, state transitions with their audit trail,
maintenance windows, and the report `cpo show` prints. Every state change touches both
data versions in lifecycle.audit(), so no caller can leave a cached document stale.
"""
