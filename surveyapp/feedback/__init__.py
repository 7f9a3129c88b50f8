"""Hall feedback: findings of released visits, rectification, appeals, the hall manager's home and the inbox."""
