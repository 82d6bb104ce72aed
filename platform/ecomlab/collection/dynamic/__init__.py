"""The dynamic crawler: a Node program (playwright-core + Chromium) supervised from Python."""
