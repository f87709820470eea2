"""What users' tests use: the pytest plugin, the background server and small DNS clients."""
