"""Event-loop and background-work rules (FL301-FL305)."""
