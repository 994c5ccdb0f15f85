"""GovPlatform: the shared components every public body needs, in one self-hostable service."""

__version__ = "0.1.0"
