"""Test helpers the project ships: a tiny locally built model and a fake OpenAI-compatible server (a test double)."""
