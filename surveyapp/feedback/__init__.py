"""Hall feedback: findings of released visits, rectification, appeals and the hall manager's home."""
