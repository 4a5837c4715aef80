"""Entry point for ``python -m sopkinerja``."""

from sopkinerja.cli import main

if __name__ == "__main__":
    main()
