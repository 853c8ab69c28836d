"""The decision graph: typed nodes loaded from YAML, a safe condition language, the checker and the walk."""
