"""Pulumi component resources of envkeeper. Everything that imports a provider SDK lives here."""
