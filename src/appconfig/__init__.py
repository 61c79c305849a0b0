"""Process settings from the environment and operator-edited YAML files, shared by every package."""
