"""The auditors' workbench models arrive with the audit issue; the baseline is in base.py."""
