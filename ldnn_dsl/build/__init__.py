"""The Keras stage: a checked spec in, a Keras 3 model out.

Nothing here is imported by `import ldnn_dsl`, so the checker never pays for Keras."""
