"""Fixes: the steps (fixes/steps/), the plan made of them (plan.py, rules/plans.yaml), running it (execute.py),
backups and restore (backup.py)."""
