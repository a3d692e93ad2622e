"""Package data, not code: the siem_rules of the content pack, read by contentkit.load through importlib.resources."""
