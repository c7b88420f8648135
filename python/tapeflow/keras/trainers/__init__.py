"""Keras 3's trainer internals: data adapters and epoch iteration."""
