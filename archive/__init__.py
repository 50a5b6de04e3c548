"""The SQLite archive, its command line and its renderers. No HTTP lives here."""
import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
