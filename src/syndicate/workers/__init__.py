"""Work spread over processes, for every stage: batches on every core, renders with a deadline."""
