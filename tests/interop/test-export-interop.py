#!/usr/bin/python3
# Checks what `densito export` writes against the clients that read it:
#  1. every exported sidecar loads with labelme's own LabelFile (Debian's
#     labelme, run with /usr/bin/python3), its imagePath names the exported
#     image beside it, and its shapes are the ones of the source sidecar;
#  2. annotations.coco.json follows the COCO field rules: unique ids, every
#     annotation's image and category exist, bbox inside the image,
#     segmentation of 8 numbers, sizes and patient IDs on every image.
# Both with and without --anonymize; and with --no-annotations, no sidecar,
# no COCO and a true manifest. Prints TAP.
import json
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

DENSITO = os.environ["DENSITO_BIN"]
SAMPLE = os.environ["DENSITO_SAMPLE"]
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def check_coco(tag, root, patient_ids):
    with open(os.path.join(root, "annotations.coco.json")) as f:
        coco = json.load(f)
    for key in ("images", "annotations", "categories"):
        check(f"{tag}: coco has {key}", isinstance(coco.get(key), list))
    images = {im["id"]: im for im in coco["images"]}
    cats = {c["id"]: c for c in coco["categories"]}
    anns = coco["annotations"]
    check(f"{tag}: image ids unique", len(images) == len(coco["images"]))
    check(f"{tag}: category ids unique", len(cats) == len(coco["categories"]))
    check(f"{tag}: category names unique",
          len({c["name"] for c in coco["categories"]}) == len(cats))
    check(f"{tag}: annotation ids unique", len({a["id"] for a in anns}) == len(anns))
    check(f"{tag}: some annotations", len(anns) > 0, len(anns))
    bad = []
    for im in coco["images"]:
        if not (isinstance(im.get("width"), int) and im["width"] > 0 and
                isinstance(im.get("height"), int) and im["height"] > 0):
            bad.append(("size", im))
        if im.get("patient_id") not in patient_ids:
            bad.append(("patient", im.get("patient_id")))
        if not os.path.isfile(os.path.join(root, "images", im["file_name"])):
            bad.append(("file", im["file_name"]))
    check(f"{tag}: every image has a size, a known patient and a file", not bad, bad[:3])
    bad = []
    for a in anns:
        im = images.get(a["image_id"])
        if im is None or a["category_id"] not in cats:
            bad.append(("dangling", a["id"]))
            continue
        x, y, w, h = a["bbox"]
        if not (w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= im["width"] + 1e-9
                and y + h <= im["height"] + 1e-9):
            bad.append(("bbox", a["id"], a["bbox"], im["width"], im["height"]))
        seg = a.get("segmentation")
        if not (isinstance(seg, list) and len(seg) == 1 and len(seg[0]) == 8 and
                all(isinstance(v, (int, float)) for v in seg[0])):
            bad.append(("segmentation", a["id"]))
        if a.get("iscrowd") != 0 or not a.get("area", 0) > 0:
            bad.append(("area/iscrowd", a["id"]))
    check(f"{tag}: every annotation valid (image, category, bbox, 8-number segmentation)",
          not bad, bad[:3])
    return len(anns)


def check_export(tag, args):
    tmp = tempfile.mkdtemp(prefix="densito-export-interop-")
    try:
        out = os.path.join(tmp, "out")
        run = subprocess.run([DENSITO, "export", SAMPLE, "--to", out, "--coco"] + args,
                             capture_output=True, text=True)
        check(f"{tag}: densito export exits 0", run.returncode == 0, run.stderr)
        if run.returncode != 0:
            return
        images_dir = os.path.join(out, "images")
        sidecars = sorted(n for n in os.listdir(images_dir) if n.endswith(".json"))
        check(f"{tag}: some sidecars exported", len(sidecars) > 5, len(sidecars))
        n_boxes = 0
        bad = []
        for name in sidecars:
            path = os.path.join(images_dir, name)
            with open(path) as f:
                raw = json.load(f)
            try:
                lf = LabelFile(path)
            except Exception as e:
                bad.append((name, "LabelFile", str(e)))
                continue
            image = os.path.join(images_dir, lf.imagePath)
            if os.path.dirname(lf.imagePath) or not os.path.isfile(image):
                bad.append((name, "imagePath", lf.imagePath))
            if os.path.splitext(lf.imagePath)[0] != os.path.splitext(name)[0]:
                bad.append((name, "imagePath stem", lf.imagePath))
            if len(lf.shapes) != len(raw["shapes"]):
                bad.append((name, "shapes", len(lf.shapes), len(raw["shapes"])))
            for s, r in zip(lf.shapes, raw["shapes"]):
                if s["label"] != r["label"] or [list(p) for p in s["points"]] != r["points"]:
                    bad.append((name, "shape", s["label"]))
                if s["shape_type"] == "rectangle" or (s["shape_type"] == "polygon" and len(s["points"]) == 4):
                    n_boxes += 1
        check(f"{tag}: every sidecar loads in labelme with its image beside it", not bad, bad[:3])
        with open(os.path.join(out, "patients.csv")) as f:
            ids = {line.split(",", 1)[0] for line in f.read().splitlines()[1:]}
        n_anns = check_coco(tag, out, ids)
        check(f"{tag}: one COCO annotation per box", n_anns == n_boxes, (n_anns, n_boxes))
        if "--anonymize" in args:
            check(f"{tag}: anonymised IDs", all(i.startswith("P0") for i in ids), sorted(ids)[:3])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


check_export("plain", [])
check_export("anonymised", ["--anonymize", "--copy"])


def check_no_annotations():
    """--no-annotations: the images, no sidecar, no COCO; the manifest true."""
    import hashlib
    tmp = tempfile.mkdtemp(prefix="densito-export-interop-")
    try:
        out = os.path.join(tmp, "out")
        run = subprocess.run([DENSITO, "export", SAMPLE, "--to", out, "--no-annotations"],
                             capture_output=True, text=True)
        check("no-annotations: densito export exits 0", run.returncode == 0, run.stderr)
        if run.returncode != 0:
            return
        names = os.listdir(os.path.join(out, "images"))
        check("no-annotations: images exported, no sidecar among them",
              names and not any(n.endswith(".json") for n in names), names[:5])
        check("no-annotations: no COCO file",
              not os.path.exists(os.path.join(out, "annotations.coco.json")))
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        check("no-annotations: manifest says so",
              manifest["options"]["annotations"] is False and manifest["counts"]["sidecars"] == 0,
              manifest["options"])
        bad = []
        for entry in manifest["files"]:
            with open(os.path.join(out, entry["path"]), "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != entry["sha256"]:
                    bad.append(entry["path"])
        check("no-annotations: every file in the manifest has its hash",
              not bad and len(manifest["files"]) == len(names) + 1, bad[:3])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


check_no_annotations()

print(f"1..{len(results)}")
failed = 0
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        failed += 1
        print(f"# {detail}")
sys.exit(1 if failed else 0)
