"""The static crawler: guarded, polite HTTP fetching and HTML extraction."""
