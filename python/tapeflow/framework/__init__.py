"""Core Python objects of tapeflow (errors now; Tensor, Variable, dtypes later)."""
