"""Who may use Parley, where, and how it is summoned; each person's choice of model (issue 23)."""
