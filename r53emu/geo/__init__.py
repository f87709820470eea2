"""Geography tables (with their data files) and the locator: client network -> location."""
