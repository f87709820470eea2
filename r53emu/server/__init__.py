"""DNS on the wire: message format, the handler, UDP/TCP listeners, the event loop, and the fast
path (hand reader, reply cache) beside the slow path it must equal.
"""
