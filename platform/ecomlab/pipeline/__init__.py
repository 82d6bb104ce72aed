"""Pipelines that chain the stages."""
