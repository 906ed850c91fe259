"""Pure domain of the gateway: no I/O, unit-tested fast."""
