"""Pipeline definitions shipped with abstab (importable so that pip installs carry them)."""
