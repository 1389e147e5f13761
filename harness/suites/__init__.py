"""Suites: tasks x models x variants from one YAML file, run by the engine into one results folder, resumable."""
