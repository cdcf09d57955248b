"""Interop tests: wirecert against independent implementations (xinetd, Go)."""
