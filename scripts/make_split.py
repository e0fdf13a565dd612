"""Write the content-hash split manifest of a task: data/splits/<task>.csv (sha256, class, split).

    python scripts/make_split.py --task twelve_lead --data ../shared/data/ecg-images
"""

from __future__ import annotations

import argparse

from ecg_pipeline.io.data import SPLIT_FRACTIONS, list_labelled_images, make_split, manifest_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=sorted(SPLIT_FRACTIONS))
    parser.add_argument("--data", required=True, help="folder of class folders")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    images = list_labelled_images(args.data, args.task)
    split = make_split(images, SPLIT_FRACTIONS[args.task], args.seed)
    out = manifest_path(args.task)
    out.parent.mkdir(parents=True, exist_ok=True)
    split.to_csv(out, index=False)
    print(f"{len(split)} distinct images -> {out}")
    print(split.groupby(["class", "split"]).size().unstack(fill_value=0).to_string())


if __name__ == "__main__":
    main()
