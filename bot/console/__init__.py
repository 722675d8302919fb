"""The local console: a chat platform in a terminal, for trying Candor with no tokens."""
