"""Thin HTTP views: parse, call one use case, shape the reply."""
