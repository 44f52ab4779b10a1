"""usage layer."""
