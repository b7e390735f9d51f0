"""The hourly data-quality check (SPEC §5) and what it feeds.

check.py runs it (pull.py asks a CPO's Sender interfaces, sync.py applies what differs),
report.py and coverage.py turn the statistics into the CPO report, the revocation
policy and the 43 kW obligation's coverage (OBLIGED_KW, INTEGRATED_STATES live there
only), tokens.py renews TOKEN_Cs before they expire.
"""
