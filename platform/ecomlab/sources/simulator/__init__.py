"""A seeded, deterministic e-commerce shop simulator with planted truth and dirty data."""

from ecomlab.sources.simulator.generator import (
    SimulationResult,
    SimulatorConfig,
    SimulatorError,
    read_simulation,
    simulate,
)

__all__ = ["SimulationResult", "SimulatorConfig", "SimulatorError", "read_simulation", "simulate"]
