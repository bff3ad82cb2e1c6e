"""Stage 3: the typed, immutable surface AST (what the author wrote, with spans)."""
