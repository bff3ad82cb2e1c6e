"""Stage 5: names, arguments, shapes, parameter counts and lints. Never imports TensorFlow."""
