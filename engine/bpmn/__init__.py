"""BPMN handling on top of SpiffWorkflow: safe parsing and validation at deploy, the spec cache, serialization."""
