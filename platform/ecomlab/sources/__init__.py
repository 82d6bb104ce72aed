"""Where data comes from: the shop simulator and importers of public data sets."""
