"""Operating r53emu: admin API, metrics, query log, log format, zone views, TestDNSAnswer,
offline answers.
"""
