"""Encoders and decoders by family of types; numpy and pandas ones are imported lazily."""
