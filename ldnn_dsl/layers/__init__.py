"""The layer table: one class per layer kind holds its arguments, shape rule, parameter
count and Keras constructor. Adding a layer kind means adding one class to `registry.py`."""
