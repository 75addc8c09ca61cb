"""pockg: the knowledge graph of protection-of-civilians strategies in UN peacekeeping."""

__version__ = "0.1.0"
