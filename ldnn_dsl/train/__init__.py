"""The training stage: a checked spec and its data in, a trained Keras model and a run folder out.

`ldnn_dsl.train.run.train` is the entry point; each other module owns one concern
(optimizer, schedule, monitor, XLA choice, augmentation, how batches are fed, the
epoch clock, resolved spec, run folder, what is saved in it, failures as diagnostics,
the process-wide session state).
`import ldnn_dsl` imports only this (empty) package, so that `ldnn_dsl.train` stays the
API's function (see api.py); its modules, and Keras, load when training starts."""
