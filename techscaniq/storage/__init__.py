"""techscaniq."""
