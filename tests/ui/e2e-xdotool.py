#!/usr/bin/python3
# End to end: launch the real densito binary under the X server the test
# suite runs in, drive it with xdotool (real key and pointer events), and
# read what the window shows from the state file it writes
# (DENSITO_STATE_FILE). Prints TAP.
import json
import os
import shutil
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


if not os.environ.get("DISPLAY") or not shutil.which("xdotool"):
    print("1..0 # SKIP needs an X display and xdotool")
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="densito-e2e-")
state_file = os.path.join(tmp, "state.json")
env = dict(os.environ, DENSITO_STATE_FILE=state_file, GSETTINGS_BACKEND="memory")


def state():
    try:
        with open(state_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def wait_for(pred, timeout=20.0):
    end = time.monotonic() + timeout
    s = None
    while time.monotonic() < end:
        s = state()
        if s is not None and pred(s):
            return s
        time.sleep(0.05)
    return s


def settled_zoom(quiet=0.5, timeout=10.0):
    """The scan's zoom once it has not changed for @quiet seconds."""
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end:
        s = state()
        zoom = s and s["zoom"]
        if zoom != last:
            last, since = zoom, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.05)
    return last


def xdo(*args):
    return subprocess.run(["xdotool", *args], check=False, capture_output=True, text=True)


def expected_count(query):
    out = subprocess.run([BIN, "list", SAMPLE, "--where", query], check=True, capture_output=True, text=True)
    return len(out.stdout.strip().splitlines()) - 1


proc = subprocess.Popen([BIN, SAMPLE], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    s = wait_for(lambda s: s["total"] == 48 and s["selected"])
    check("the window opens the sample with 48 patients", s and s["total"] == 48, str(s))
    check("the first patient is selected", s and s["selected"] == "10000", str(s))

    found = xdo("search", "--sync", "--onlyvisible", "--name", "Densito")
    wid = found.stdout.split()[0] if found.stdout.split() else None
    check("xdotool finds the window", wid is not None, found.stderr)
    if wid:
        xdo("windowactivate", "--sync", wid)
        xdo("windowfocus", "--sync", wid)
        time.sleep(0.3)
        # Real key events: Ctrl+F, then type a query.
        xdo("key", "--window", wid, "ctrl+f")
        time.sleep(0.2)
        xdo("type", "--window", wid, "--delay", "30", "sex=M class=osteoporosis")
        want = expected_count("sex=M class=osteoporosis")
        s = wait_for(lambda s: s["query"] == "sex=M class=osteoporosis" and s["visible"] == want)
        check("typed query filters the list like the command line", s and s["visible"] == want,
              f"{s} vs {want}")

        # Clear it again with real keys.
        xdo("key", "--window", wid, "ctrl+a", "BackSpace")
        s = wait_for(lambda s: s["query"] == "" and s["visible"] == 48)
        check("clearing the query shows every patient", s and s["visible"] == 48, str(s))

        # Down and Up in the search entry change the patient; the caret
        # stays in the entry.
        ids = [line.split(",")[0] for line in subprocess.run(
            [BIN, "list", SAMPLE], check=True, capture_output=True, text=True).stdout.strip().splitlines()[1:]]
        start = state()["selected"]
        xdo("key", "--window", wid, "Down", "Down")
        want = ids[ids.index(start) + 2]
        s = wait_for(lambda s: s["selected"] == want and s["shown"] == want)
        check("Down in the search entry steps to the next patients", s and s["selected"] == want,
              f"{start} -> {s and s['selected']}, want {want}")
        xdo("key", "--window", wid, "Up")
        want = ids[ids.index(start) + 1]
        s = wait_for(lambda s: s["selected"] == want)
        check("Up in the search entry steps back", s and s["selected"] == want, f"{s and s['selected']}, want {want}")
        xdo("type", "--window", wid, "1")
        s = wait_for(lambda s: s["query"] == "1")
        check("the caret stayed in the search entry", s and s["query"] == "1", str(s and s["query"]))
        xdo("key", "--window", wid, "BackSpace")
        wait_for(lambda s: s["query"] == "" and s["visible"] == 48)

        # A click on the third row of the list selects that patient.
        geo = xdo("getwindowgeometry", "--shell", wid).stdout
        g = dict(line.split("=", 1) for line in geo.split() if "=" in line)
        x, y = int(g.get("X", 0)), int(g.get("Y", 0))
        before = state()["selected"]
        # The list starts below the filter bar (search, two rows of quick
        # filters, the column titles: about 232 px from the window's top
        # with the sample's banner); rows are about 20 px high. Clicks
        # stay below the titles, which would sort the list.
        for row_y in (262, 292, 322):
            xdo("mousemove", "--sync", str(x + 60), str(y + row_y))
            xdo("click", "1")
            time.sleep(0.4)
            if state()["selected"] != before:
                break
        s = state()
        check("a click on a row selects another patient", s and s["selected"] and s["selected"] != before,
              f"{before} -> {s}")
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            subprocess.run(["import", "-window", "root", os.path.join(SHOTS, "e2e-after-click.png")],
                           check=False)

        # With the list focused, the scan's keys still work: + zooms in,
        # 0 fits again, o hides the ROIs. First the clicked patient's scan
        # is shown and fitted (its image decodes in a worker: a key before
        # that zoomed the old image, and the new one came in fitted).
        wait_for(lambda s: s["shown"] == s["selected"] and s["image"].startswith(s["selected"]))
        zoom = settled_zoom()
        xdo("key", "--window", wid, "plus")
        s = wait_for(lambda s: s["zoom"] > zoom * 1.1)
        check("+ zooms the scan with the list focused", s and s["zoom"] > zoom * 1.1, f"{zoom} -> {s and s['zoom']}")
        xdo("key", "--window", wid, "0")
        s = wait_for(lambda s: abs(s["zoom"] - zoom) < 1e-6)
        check("0 fits the scan again with the list focused", s and abs(s["zoom"] - zoom) < 1e-6,
              f"{zoom} -> {s and s['zoom']}")

        # A click on the scan focuses it; Down there steps to the next patient.
        before = state()["selected"]
        xdo("mousemove", "--sync", str(x + 670), str(y + 600))
        xdo("click", "1")
        time.sleep(0.4)
        s = state()
        if s["selected_roi"] is not None and s["selected_roi"] >= 0:
            xdo("key", "--window", wid, "Escape")
            time.sleep(0.2)
        xdo("key", "--window", wid, "Down")
        want = ids[ids.index(before) + 1]
        s = wait_for(lambda s: s["selected"] == want)
        check("Down on the scan steps to the next patient", s and s["selected"] == want,
              f"{before} -> {s and s['selected']}, want {want}")
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(tmp, ignore_errors=True)

print(f"1..{len(results)}")
for n, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {n} {name}" + ("" if ok or not detail else f" # {detail}"))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
