"""A seeded, deterministic e-commerce shop simulator with planted truth and dirty data."""

from ecomlab.sources.simulator.generator import SimulationResult, SimulatorConfig, SimulatorError, simulate

__all__ = ["SimulationResult", "SimulatorConfig", "SimulatorError", "simulate"]
