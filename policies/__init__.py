"""Custom Rasa policies; referenced from config.yml's policies as policies.<module>.<Class>."""
