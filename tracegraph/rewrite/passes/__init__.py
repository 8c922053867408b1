"""The built-in rewrites, one concept per module; importing this registers them."""
