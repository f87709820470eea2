"""The pure answer: query context, authoritative lookup, one module per routing policy,
explanations.
"""
