"""Generated, seeded evaluation suites: one module per family, each with `generate(n, seed)`
and a `VERSION` that changes whenever the items a seed yields change."""

from assay.tasks.suites import arithmetic, fiction, instructions, logic, word_problems

__all__ = ["arithmetic", "fiction", "instructions", "logic", "word_problems"]
