"""Web layer: request dependencies, the template renderer and the locale negotiation."""
