"""Section builders of the report: each turns findings, scores and evidence into one typed part of the model."""
