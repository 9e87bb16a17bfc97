"""Where the project lives on disk: the one definition every module and test uses."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
