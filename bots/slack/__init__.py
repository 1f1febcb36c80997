"""The Slack adapter: slack-bolt's AsyncApp in front of the core (``python -m bots.slack``)."""
