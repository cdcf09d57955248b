"""Conformance suites, one package per protocol; test files are named after spec sections."""
