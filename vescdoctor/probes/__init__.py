"""Probes: evidence about the board. Each is registered by name (probes.base.REGISTRY) and returns typed facts plus
transcript lines; none prints. Importing this package registers every built-in probe."""
