"""The frozen values everything shares: names, record values, zones and the catalog, query and
answer values. Imports nothing else of r53emu.
"""
