#!/usr/bin/python3
# End to end, editing: the real densito binary on a copy of the sample,
# driven with xdotool (real pointer and key events) under the test X
# server. The sidecar on disk is the judge; the window's state file
# (DENSITO_STATE_FILE) says where the ROIs are on screen. Prints TAP.
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ["DENSITO_BIN"]
SAMPLE = os.environ["DENSITO_SAMPLE"]
SHOTS = os.environ.get("DENSITO_SCREENSHOT_DIR")
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def finish():
    print(f"1..{len(results)}")
    for n, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} {name}" + ("" if ok or not detail else f" # {detail}"))
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)


if not os.environ.get("DISPLAY") or not shutil.which("xdotool"):
    print("1..0 # SKIP needs an X display and xdotool")
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="densito-e2e-edit-")
data = os.path.join(tmp, "sample")
shutil.copytree(SAMPLE, data)
sidecar = os.path.join(data, "imge", "10003-1.json")
with open(sidecar, "rb") as f:
    original = f.read()
state_file = os.path.join(tmp, "state.json")
env = dict(os.environ, DENSITO_STATE_FILE=state_file, GSETTINGS_BACKEND="memory")


def state():
    try:
        with open(state_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def wait_for(pred, timeout=15.0):
    end = time.monotonic() + timeout
    s = None
    while time.monotonic() < end:
        s = state()
        try:
            if s is not None and pred(s):
                return s
        except (KeyError, IndexError, TypeError):
            pass
        time.sleep(0.05)
    return s


def xdo(*args):
    return subprocess.run(["xdotool", *args], check=False, capture_output=True, text=True)


def disk_neck(path=sidecar):
    """The neck box of the sidecar on disk, as the core reads it back:
    (centre x, centre y, angle), from the 4 corners or the 2 points."""
    with open(path) as f:
        doc = json.load(f)
    for shape in doc["shapes"]:
        if shape["label"] != "neck":
            continue
        pts = shape["points"]
        if len(pts) == 2:
            (x0, y0), (x1, y1) = pts
            return ((x0 + x1) / 2, (y0 + y1) / 2, 0.0)
        import math
        cx = sum(p[0] for p in pts) / 4
        cy = sum(p[1] for p in pts) / 4
        ang = math.degrees(math.atan2(pts[1][1] - pts[0][1], pts[1][0] - pts[0][0]))
        return (cx, cy, ang)
    return None


def centres(raw):
    """Each shape's label and centre, from a sidecar's bytes."""
    out = []
    for shape in json.loads(raw)["shapes"]:
        pts = shape["points"]
        out.append((sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts), shape["label"]))
    return out


def neck(s):
    return next(r for r in s["rois"] if r["label"] == "neck")


def shot(name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        subprocess.run(["import", "-window", "root", os.path.join(SHOTS, name)], check=False)


def start():
    try:
        os.unlink(state_file)
    except OSError:
        pass
    p = subprocess.Popen([BIN, data], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = wait_for(lambda s: s["total"] == 48 and s["editing"])
    found = xdo("search", "--sync", "--onlyvisible", "--name", "Densito")
    wid = found.stdout.split()[0] if found.stdout.split() else None
    return p, s, wid


def origin(wid):
    geo = xdo("getwindowgeometry", "--shell", wid).stdout
    g = dict(line.split("=", 1) for line in geo.split() if "=" in line)
    return int(g.get("X", 0)), int(g.get("Y", 0))


def open_patient(wid, pid, image):
    xdo("key", "--window", wid, "ctrl+f")
    time.sleep(0.2)
    xdo("key", "--window", wid, "ctrl+a")
    xdo("type", "--window", wid, "--delay", "20", pid)
    return wait_for(lambda s: s["editing"] == image and s["rois"])


def drag(x0, y0, dx, dy):
    xdo("mousemove", "--sync", str(x0), str(y0))
    time.sleep(0.15)
    xdo("mousedown", "1")
    time.sleep(0.1)
    # Several steps, as a hand would, ending exactly dx, dy away.
    for k in range(1, 5):
        xdo("mousemove", "--sync", str(x0 + dx * k // 4), str(y0 + dy * k // 4))
        time.sleep(0.05)
    time.sleep(0.1)
    xdo("mouseup", "1")
    time.sleep(0.3)


proc, s, wid = start()
try:
    check("the window opens a copy of the sample", s and s["total"] == 48, str(s))
    check("xdotool finds the window", wid is not None)
    if not wid:
        finish()
    xdo("windowactivate", "--sync", wid)
    xdo("windowfocus", "--sync", wid)
    time.sleep(0.3)
    wx, wy = origin(wid)

    open_patient(wid, "10003", "10003-1.png")
    time.sleep(0.5)
    s = state()
    check("the hip scan 10003-1 is shown with its ROIs", s and any(r["label"] == "neck" for r in s["rois"]), str(s))
    before = disk_neck()

    # Zoom 1:1: focus the scan with a click on its dark margin, then "1".
    n = neck(s)
    xdo("mousemove", "--sync", str(wx + int(n["sx"])), str(wy + 150))
    xdo("click", "1")
    time.sleep(0.2)
    xdo("key", "--window", wid, "Escape", "1")
    s = wait_for(lambda s: abs(s["zoom"] - 1.0) < 1e-9)
    check("zoom is 1:1", s and abs(s["zoom"] - 1.0) < 1e-9, str(s and s["zoom"]))

    # Drag the neck box by 20 screen pixels to the right, then Ctrl+S.
    n = neck(s)
    drag(wx + round(n["sx"]), wy + round(n["sy"]), 20, 0)
    xdo("key", "--window", wid, "ctrl+s")
    s = wait_for(lambda s: not s["modified"] and neck(s)["cx"] != before[0])
    after = disk_neck()
    dx = after[0] - before[0]
    check("at 1:1 a 20 px drag moves the neck box 20 +- 1 image px on disk", abs(dx - 20) <= 1 and
          abs(after[1] - before[1]) <= 1, f"moved {dx:.3f}, {after[1] - before[1]:.3f}")
    shot("e2e-edit-zoom1.png")

    # Zoom 2 around the neck box (Ctrl+scroll twice: steps of sqrt 2).
    n = neck(s)
    xdo("mousemove", "--sync", str(wx + round(n["sx"])), str(wy + round(n["sy"])))
    time.sleep(0.1)
    for _ in range(4):
        z = state()["zoom"]
        if z >= 2.0 - 1e-9:
            break
        xdo("keydown", "ctrl")
        xdo("click", "4")
        xdo("keyup", "ctrl")
        wait_for(lambda s: s["zoom"] != z, timeout=3)
    s = wait_for(lambda s: abs(s["zoom"] - 2.0) < 1e-9)
    check("zoom is 2", s and abs(s["zoom"] - 2.0) < 1e-9, str(s and s["zoom"]))
    time.sleep(0.3)
    s = state()
    before2 = disk_neck()
    n = neck(s)
    drag(wx + round(n["sx"]), wy + round(n["sy"]), 20, 0)
    xdo("key", "--window", wid, "ctrl+s")
    s = wait_for(lambda s: not s["modified"])
    after2 = disk_neck()
    dx2 = after2[0] - before2[0]
    check("at zoom 2 a 20 px drag moves it 10 +- 1 image px on disk", abs(dx2 - 10) <= 1 and
          abs(after2[1] - before2[1]) <= 1, f"moved {dx2:.3f}, {after2[1] - before2[1]:.3f}")
    shot("e2e-edit-zoom2.png")

    # Down and Up move the selected box (they step patients only when no
    # ROI is selected).
    s = state()
    y0, pid = neck(s)["cy"], s["selected"]
    xdo("key", "--window", wid, "Down", "Down")
    s = wait_for(lambda s: abs(neck(s)["cy"] - y0 - 2) < 1e-6, timeout=5)
    check("Down moves the selected ROI, not to another patient",
          s and abs(neck(s)["cy"] - y0 - 2) < 1e-6 and s["selected"] == pid,
          str(s and (neck(s)["cy"] - y0, s["selected"])))
    xdo("key", "--window", wid, "Up", "Up")
    s = wait_for(lambda s: abs(neck(s)["cy"] - y0) < 1e-6, timeout=5)
    check("Up moves it back", s and abs(neck(s)["cy"] - y0) < 1e-6 and s["selected"] == pid,
          str(s and (neck(s)["cy"] - y0, s["selected"])))

    # Rotate with ] five times (the neck box is selected after the drag).
    s = state()
    a0 = neck(s)["angle"]
    for _ in range(5):
        xdo("key", "--window", wid, "bracketright")
        time.sleep(0.08)
    xdo("key", "--window", wid, "ctrl+s")
    s = wait_for(lambda s: not s["modified"] and abs(neck(s)["angle"] - a0) > 1)
    rot = disk_neck()
    da = (rot[2] - before2[2] + 180) % 360 - 180
    check("] five times rotates the neck box by 5 degrees on disk", abs(abs(da) - 5) < 0.01,
          f"angle {before2[2]:.3f} -> {rot[2]:.3f}")
    shot("e2e-edit-rotated.png")

    # Undo everything (Ctrl+Z until nothing is left), save: the original file.
    for _ in range(40):
        s = state()
        if not s["can_undo"]:
            break
        xdo("key", "--window", wid, "ctrl+z")
        time.sleep(0.1)
    s = state()
    check("everything can be undone", s and not s["can_undo"], str(s and s["can_undo"]))
    xdo("key", "--window", wid, "ctrl+s")
    wait_for(lambda s: not s["modified"])
    time.sleep(0.2)
    with open(sidecar, "rb") as f:
        now = f.read()
    check("after undoing everything and saving, the file equals the original", now == original,
          f"{len(now)} vs {len(original)} bytes")

    # Kill right after an edit that autosave writes on switching images:
    # once at once, once as soon as the next patient shows.
    for attempt, wait_switch in (("at once", False), ("after the switch", True)):
        if attempt != "at once":
            proc, s, wid = start()
            xdo("windowactivate", "--sync", wid)
            xdo("windowfocus", "--sync", wid)
            time.sleep(0.3)
            wx, wy = origin(wid)
            open_patient(wid, "10003", "10003-1.png")
            time.sleep(0.5)     # the view fits the scan after it shows
            s = state()
            n = neck(s)
            xdo("mousemove", "--sync", str(wx + round(n["sx"])), str(wy + round(n["sy"])))
            xdo("click", "1")
            time.sleep(0.3)
        old = open(sidecar, "rb").read()
        xdo("key", "--window", wid, "Tab")
        time.sleep(0.1)
        xdo("key", "--window", wid, "Right", "Right", "Right")
        s = wait_for(lambda s: s["modified"], timeout=5)
        check(f"SIGKILL {attempt}: the arrow keys edited the selected ROI", s and s["modified"],
              str(s and {k: s[k] for k in ("editing", "selected_roi", "modified")}))
        xdo("key", "--window", wid, "ctrl+f")
        xdo("key", "--window", wid, "ctrl+a")
        xdo("type", "--window", wid, "--delay", "0", "10004")
        at_kill = None
        if wait_switch:
            # "shown" changes once the window has left 10003 and queued its
            # autosave ("selected" may change before, while the list filters).
            at_kill = wait_for(lambda s: s["shown"] == "10004" and s["saving"] == 0, timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        new = open(sidecar, "rb").read()
        try:
            json.loads(new)
            parses = True
        except ValueError:
            parses = False
        check(f"SIGKILL {attempt}: the sidecar parses", parses)
        # The new version: the same shapes, one of them 3 px to the right.
        is_new = False
        if parses and new != old:
            a, b = centres(old), centres(new)
            moved = [(p, q) for p, q in zip(a, b) if p != q]
            is_new = len(a) == len(b) and len(moved) == 1 and \
                abs(moved[0][1][0] - moved[0][0][0] - 3) < 1e-6 and abs(moved[0][1][1] - moved[0][0][1]) < 1e-6
        check(f"SIGKILL {attempt}: the sidecar is the old version or the new one", new == old or is_new,
              f"{len(old)} -> {len(new)} bytes")
        if wait_switch:
            check("SIGKILL after the switch: autosave had written the edit", new != old,
                  str(at_kill and {k: at_kill[k] for k in ("selected", "shown", "saving", "save_problem")}))
        print(f"# SIGKILL {attempt}: the file was the {'new' if new != old else 'old'} version",
              file=sys.stderr)
finally:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(tmp, ignore_errors=True)

finish()
