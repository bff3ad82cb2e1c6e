"""Stage 2: text to a Lark parse tree (LALR), with syntax errors as diagnostics."""
