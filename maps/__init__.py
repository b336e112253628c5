"""Interactive HTML maps, the HTML report, static figures and table exports."""
