"""Stage 1: source text, positions and diagnostics."""
