"""Cleaning: the five-stage data-quality framework, ods -> dwd."""
