"""The naive script a planner would write: pandas.read_excel (default engine) on every
file, concat, DataFrame.to_excel."""

import sys
import warnings
from pathlib import Path

import pandas as pd


def main(inbox: str, target: str) -> None:
    warnings.simplefilter("ignore")  # pandas announces its next default engine on every file
    frames = [pd.read_excel(path, sheet_name="Data Kinerja", header=7) for path in sorted(Path(inbox).iterdir())]
    pd.concat(frames, ignore_index=True).to_excel(target, index=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
