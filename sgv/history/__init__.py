"""When is it usually free (issue #19): EVSE status history, its aggregate and its chart.

PostgreSQL records every status change (a trigger, migration 0010); `prune.py` bounds
the table by age; `aggregate.py` reads it through the public door (only EVSEs in
`public_evses`: nothing of a CPO whose live data is hidden, not even the past) into
hour-of-week shares; `store.py` keeps them, built by the hourly job `sgv history build`,
and reads them back through the door at read time (no request computes them);
`chart.py` shapes them for templates/_availability.html; `demo.py` seeds simulated
weeks for the demo CPOs.
"""
