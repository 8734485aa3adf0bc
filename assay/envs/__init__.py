"""Environments: seeded, deterministic Python classes an agent acts in (see docs/agents.md)."""

from assay.envs.base import (Action, Environment, MultiAgentEnvironment, SimulatorError, StepResult, ToolError,
                             tool_schema)
from assay.envs.registry import env_class, env_names, register_env

__all__ = ["Action", "Environment", "MultiAgentEnvironment", "SimulatorError", "StepResult", "ToolError",
           "env_class", "env_names", "register_env", "tool_schema"]
