"""Walking model, routing, isochrones, indicators and siting over a `WalkNetwork`."""
