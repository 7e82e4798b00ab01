"""How fast the media limits refuse what they refuse, against processing an ordinary photo in
the same run (the baseline: a refusal should cost a small fraction of real work).

    .venv/bin/python -m bench.media_limits

Prints, for each case, the median of several runs of ``check_header`` (what an upload pays before
any pixel is decoded) and, for the photo, of ``process_image`` too.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from core.config import load_settings
from media.process import ImageLimits, ImageRejected, check_header, process_image
from tests import images

RUNS = 5


def median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def refused(path: str, limits: ImageLimits):
    def run() -> None:
        try:
            check_header(path, limits)
        except ImageRejected:
            return
        raise AssertionError(f"{path} was not refused")
    return run


def main() -> None:
    limits = ImageLimits.from_settings(load_settings())
    cases = {
        "959-byte GIF, 40 frames of 2000x2000": images.gif_declaring(2000, 2000, 40),
        "GIF declaring 8000x8000, 600,000 frames": images.gif_declaring(8000, 8000, 600_000, delays=False),
        "PNG declaring 50,000x50,000": images.png_declaring(50_000, 50_000),
    }
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp, "photo.jpg")
        photo.write_bytes(images.jpeg(1080, 1080))
        out = Path(tmp, "out")
        out.mkdir()
        header = median_ms(lambda: check_header(str(photo), limits))
        whole = median_ms(lambda: process_image(str(photo), str(out), limits))
        print(f"{'case':<44} {'size':>10} {'refused in':>12}")
        for name, data in cases.items():
            path = Path(tmp, "case.bin")
            path.write_bytes(data)
            ms = median_ms(refused(str(path), limits))
            print(f"{name:<44} {len(data):>10,} {ms:>9.2f} ms  ({ms / whole:.4f}x processing the photo)")
        print(f"\nbaseline, a 1080x1080 JPEG: header check {header:.2f} ms, whole processing {whole:.1f} ms")


if __name__ == "__main__":
    main()
