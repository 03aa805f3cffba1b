"""Tribune: a self-hosted debate and comment forum for a newsroom."""
