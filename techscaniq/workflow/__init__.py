"""The analyst's workflow over scans: companies, what changed, side by side, reviews and schedules."""
