#!/usr/bin/python3
# Loads a CSV with pandas.read_csv and prints the time and peak RSS, for
# comparison with bench-load (Debian's python3-pandas; run with /usr/bin/python3).
import resource
import sys
import time

import pandas

start = time.monotonic()
frame = pandas.read_csv(sys.argv[1])
seconds = time.monotonic() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(f"mode=pandas seconds={seconds:.3f} rows={len(frame)} peak_rss_mb={peak:.1f}")
