"""指尖办 backend: Tornado app, domains, CLI."""
__version__ = "0.1.0"
