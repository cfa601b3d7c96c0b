#!/usr/bin/env python3
# check-man.py: data/densito.1 formats without warnings and documents every
# query field (src/core/densito-query.c), every subcommand and every option
# of the command line (src/cli/densito-cli.c). TAP output.
#
# Copyright 2026 The Densito authors
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import shutil
import subprocess
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..'))
page = open(os.path.join(root, 'data', 'densito.1'), encoding='utf-8').read()
# What a reader sees: roff escapes for the hyphen and minus undone.
text = page.replace('\\-', '-').replace('\\e', '\\')
results = []


def check(ok, name, why=''):
    results.append((ok, name, why))


if shutil.which('groff') is None:
    check(False, 'groff formats the page', 'groff is missing: apt-get install groff-base')
else:
    r = subprocess.run(['groff', '-man', '-ww', '-z', os.path.join(root, 'data', 'densito.1')],
                       capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == '', 'groff formats the page without warnings',
          r.stderr.strip())

query_c = open(os.path.join(root, 'src', 'core', 'densito-query.c'), encoding='utf-8').read()
fields = re.findall(r'\{\s*"([a-z_]+)",\s*KEY_', query_c)
check(len(fields) >= 10, 'the query fields are found in densito-query.c (%d)' % len(fields))
for f in fields:
    check(re.search(r'(?<![a-z_])' + re.escape(f) + r'(?![a-z_])', text) is not None,
          'the query field %s is documented' % f)

cli_c = open(os.path.join(root, 'src', 'cli', 'densito-cli.c'), encoding='utf-8').read()
options = sorted(set(re.findall(r'\{\s*"([a-z-]+)",\s*[^,]+,\s*0,\s*G_OPTION_ARG', cli_c)))
check(len(options) >= 5, 'the command-line options are found in densito-cli.c (%d)' % len(options))
for o in options:
    check('--' + o in text, 'the option --%s is documented' % o)
for cmd in ('validate', 'list', 'export'):
    check(re.search(r'^\.TP\n\.BI? "?%s ' % cmd, page, re.M) is not None or
          ('densito %s' % cmd) in text, 'the subcommand %s is documented' % cmd)

print('1..%d' % len(results))
failed = 0
for i, (ok, name, why) in enumerate(results, 1):
    print('%s %d - %s%s' % ('ok' if ok else 'not ok', i, name, '' if ok or not why else ' # ' + why))
    failed += not ok
sys.exit(1 if failed else 0)
