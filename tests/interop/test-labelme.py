#!/usr/bin/python3
# Checks Densito's sidecars against labelme's own reader and writer
# (Debian's labelme package, run with /usr/bin/python3):
#  1. a sidecar written by Densito loads with labelme.label_file.LabelFile,
#     with every shape and point as Densito means them;
#  2. a file written by LabelFile.save loads in Densito with the same shapes.
# Prints TAP.
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    from labelme.label_file import LabelFile
except Exception as e:  # pragma: no cover - missing package
    print(f"1..0 # SKIP labelme is not installed for /usr/bin/python3: {e}")
    sys.exit(0)

TOOL = os.environ["SIDECAR_TOOL"]
W, H = 500, 600
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def png(path, w, h):
    # A tiny valid PNG header is enough: Densito reads only the header; labelme
    # reads imagePath lazily and the shapes do not need the pixels.
    import struct, zlib
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\x00" + b"\x80" * w for _ in range(h))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


def dump(image):
    out = subprocess.run([TOOL, "dump", image, str(W), str(H)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def close(a, b, eps=1e-6):
    return len(a) == len(b) and all(
        len(p) == len(q) and all(abs(x - y) <= eps for x, y in zip(p, q)) for p, q in zip(a, b))


tmp = tempfile.mkdtemp(prefix="densito-labelme-")
try:
    image = os.path.join(tmp, "10002-1.png")
    sidecar = os.path.join(tmp, "10002-1.json")
    png(image, W, H)

    # 1. Densito writes, labelme reads.
    subprocess.run([TOOL, "write", image, str(W), str(H)], check=True)
    ours = dump(image)
    lf = LabelFile(sidecar)
    check("labelme reads the Densito sidecar", lf.shapes is not None)
    check("same number of shapes", len(lf.shapes) == len(ours["shapes"]),
          f"{len(lf.shapes)} vs {len(ours['shapes'])}")
    for i, (theirs, mine) in enumerate(zip(lf.shapes, ours["shapes"])):
        check(f"shape {i} label", theirs["label"] == mine["label"], f"{theirs['label']} vs {mine['label']}")
        check(f"shape {i} type", theirs["shape_type"] == mine["shape_type"],
              f"{theirs['shape_type']} vs {mine['shape_type']}")
        check(f"shape {i} points", close(theirs["points"], mine["points"]),
              f"{theirs['points']} vs {mine['points']}")
    check("imagePath is relative", lf.imagePath == "10002-1.png", lf.imagePath)
    # The rotated neck box is a 4-point polygon whose sides are 49 and 15 pixels.
    neck = [s for s in lf.shapes if s["label"] == "neck"][0]
    p = neck["points"]
    side = lambda a, b: math.hypot(a[0] - b[0], a[1] - b[1])
    check("rotated box as 4-point polygon", neck["shape_type"] == "polygon" and len(p) == 4)
    check("rotated box sides", abs(side(p[0], p[1]) - 49) < 1e-6 and abs(side(p[1], p[2]) - 15) < 1e-6)

    # 2. labelme writes, Densito reads.
    shapes = [
        dict(label="L1", points=[[100.5, 50.25], [180.0, 110.0]], shape_type="rectangle",
             flags={}, group_id=None),
        dict(label="L2", points=[[100.0, 120.0], [140.0, 100.0], [150.0, 120.0], [110.0, 140.0]],
             shape_type="polygon", flags={}, group_id=None),
        dict(label="contour", points=[[1.0, 1.0], [5.0, 1.0], [7.0, 9.0], [2.0, 8.0], [0.0, 4.0]],
             shape_type="polygon", flags={}, group_id=2),
        dict(label="tip", points=[[3.0, 4.0]], shape_type="point", flags={}, group_id=None),
    ]
    out = LabelFile()
    out.save(filename=sidecar, shapes=shapes, imagePath="10002-1.png", imageHeight=H, imageWidth=W,
             imageData=None, otherData={"note": "from labelme"}, flags={"checked": True})
    back = dump(image)
    check("Densito reads the labelme file", not back["broken"])
    check("same number of shapes back", len(back["shapes"]) == len(shapes))
    for i, (s, d) in enumerate(zip(shapes, back["shapes"])):
        check(f"labelme shape {i} label", s["label"] == d["label"])
        check(f"labelme shape {i} type", s["shape_type"] == d["shape_type"])
        # Densito draws boxes from their corners in its own order; compare as sets.
        sp = sorted(map(tuple, s["points"]))
        dp = sorted(map(tuple, d["points"]))
        check(f"labelme shape {i} points", close(sp, dp), f"{sp} vs {dp}")
    check("rectangle is a box", back["shapes"][0]["box"])
    check("rectangular polygon is a rotated box", back["shapes"][1]["box"] and
          abs(back["shapes"][1]["angle"]) > 1)
    check("other polygon kept as it was", not back["shapes"][2]["box"])
finally:
    shutil.rmtree(tmp)

print(f"1..{len(results)}")
for n, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {n} {name}" + ("" if ok or not detail else f" # {detail}"))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
