"""Auth and security rules (FL401-FL409)."""
