"""The catalogue: departments, halls (大厅) and service items (事项) with their guides (办事指南)."""
