"""Hypothesis strategies, one module per protocol."""
