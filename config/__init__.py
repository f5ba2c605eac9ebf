"""Declarative configuration: departments, routing rules, SLA policies and case settings, loaded from YAML."""

from config.loader import ConfigError, Problem, default_config_dir, load_config
from config.departments import BusinessHours, Department, DepartmentsFile, Override, Person, Rotation
from config.model import SwarmConfig, render_routing_table
from config.routing_rules import DefaultRoute, RoutingFile, Rule, RuleConditions
from config.sla_policy import SlaPolicy, SlaTarget
from config.swarm_file import (
    ChannelSettings,
    CrmSettings,
    JiraProject,
    JiraSettings,
    SalesforceSettings,
    SwarmFile,
    TicketingSettings,
)
from config.values import parse_duration

__all__ = [
    "BusinessHours",
    "ChannelSettings",
    "ConfigError",
    "CrmSettings",
    "DefaultRoute",
    "Department",
    "DepartmentsFile",
    "JiraProject",
    "JiraSettings",
    "Override",
    "Person",
    "Problem",
    "Rotation",
    "RoutingFile",
    "Rule",
    "RuleConditions",
    "SalesforceSettings",
    "SlaPolicy",
    "SlaTarget",
    "SwarmConfig",
    "SwarmFile",
    "TicketingSettings",
    "default_config_dir",
    "load_config",
    "parse_duration",
    "render_routing_table",
]
