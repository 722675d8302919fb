"""One handler per request type; ``HANDLERS`` maps request type → handler."""
