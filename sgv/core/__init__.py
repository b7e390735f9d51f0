"""What every feature shares and no feature owns.

times.py (the one UTC writer, Python and SQL), dataversion.py (the bump door: services
touch() what they change, one listener bumps after the commit), caching.py (public
answers cached under the data versions, built once across hosts), replica.py (public
reads on a streaming replica that has replayed their versions), refusals.py
(Refused(kind): why a service says no, answered by ocpi/envelope.py's table), proxy.py
(the client's address behind a trusted proxy).
"""
