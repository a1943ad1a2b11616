"""ecomctl: one command-line tool for a medallion data stack over the Olist e-commerce data."""

__version__ = "0.1.0"
