"""Fault injection: what wirecert puts between itself and a target, or around it."""
