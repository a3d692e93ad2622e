"""Package data, not code: the dashboards of the content pack, read by contentkit.load through importlib.resources."""
