"""fastlint: a static-analysis linter for FastAPI + SQLAlchemy back ends."""

__version__ = "0.1.0"
