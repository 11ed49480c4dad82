"""The core floor: domain logic every other layer shares (written once, imported from here)."""
