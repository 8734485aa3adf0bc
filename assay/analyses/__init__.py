"""Analyses over finished runs: each a module of functions over saved results."""
