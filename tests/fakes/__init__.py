"""Fake servers of outside platforms, written from their documentation."""
