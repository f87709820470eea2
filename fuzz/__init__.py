"""A seeded, mutational fuzz harness for r53emu (docs/fuzzing.md): `python -m fuzz --help`."""
