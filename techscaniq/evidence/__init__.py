"""Evidence collection: the guarded fetch, the crawler, collectors and fingerprints."""
