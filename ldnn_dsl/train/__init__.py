"""The training stage: a checked spec and its data in, a trained Keras model and a run folder out.

`ldnn_dsl.train.run.train` is the entry point; each other module owns one concern
(optimizer, schedule, monitor, XLA choice, augmentation, how batches are fed, the
epoch clock, resolved spec, run folder).
Nothing here is imported by `import ldnn_dsl`; Keras loads inside the functions."""
