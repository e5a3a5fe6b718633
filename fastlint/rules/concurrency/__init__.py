"""Concurrency: races between requests that touch the same rows."""
