"""Health checks: probes -> per-check tracker -> scheduler -> snapshot, with the HTTP exchange
and the timer grid.
"""
