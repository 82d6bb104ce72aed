"""The e-commerce indicator system: DWD -> DWS summaries -> ADS indicators -> results mart.

The catalog (catalog.yaml) names and defines every indicator; definitions.py computes them.
"""
