"""``user_project`` runs in a directory of its own (test_pytest_plugin.py), not collected here."""

collect_ignore = ["user_project"]
