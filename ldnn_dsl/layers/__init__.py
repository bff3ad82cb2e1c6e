"""The layer table: one class per layer kind holds its arguments, shape rule, parameter
count, initializer defaults and Keras constructor, and says what the checks and the build
must know of it (`has_weights`, `keeps_ids`, `keeps_range`, `random_in_training`,
`activation_last`, `gated`). Adding a layer kind means writing its class and listing it in
`registry.KINDS`; tests then ask for its row in the README's layer reference and a line in
the fuzz test's generators."""
