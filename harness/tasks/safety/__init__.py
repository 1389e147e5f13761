"""Safety benchmarks that produce best-of-N attack data: HarmBench and StrongREJECT with their official judges.

Modules: prompts (official judge prompts), parsing (official judge-output rules), judge (the judge adapter a task
owns, and the gold test double), safety_task (the shared solve/score flow), tasks (the registered tasks).
"""
