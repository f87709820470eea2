"""Zone files -> Catalog: the YAML/JSON reader with line numbers, field readers, record-set and
routing rules, the account sections, load errors.
"""
