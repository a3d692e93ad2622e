"""contentkit: load, validate and simulate Datadog content offline (search syntax,
pipeline processors, detection methods), build API payloads, push them."""
