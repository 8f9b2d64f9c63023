"""The small kit every Rapport service is built on."""
