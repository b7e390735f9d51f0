"""When is it usually free (issue #19): EVSE status history, its aggregate and its chart.

PostgreSQL records every status change (a trigger, migration 0010); `prune.py` bounds
the table by age; `aggregate.py` reads it through the public door (only EVSEs in
`public_evses`: nothing of a CPO whose live data is hidden, not even the past) into
hour-of-week shares; `chart.py` shapes them for templates/_availability.html; `demo.py`
seeds simulated weeks for the demo CPOs.
"""
