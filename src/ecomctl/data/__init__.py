"""The Olist data: its files, the generator, the landing zone and its publication to a lake."""
