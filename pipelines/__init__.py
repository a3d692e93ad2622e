"""Package data, not code: the pipelines of the content pack, read by contentkit.load through importlib.resources."""
