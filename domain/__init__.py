"""The procurement domain: aggregates, value objects, rules and errors. Pure: no I/O, no clock."""
