#!/usr/bin/env python3
# check-potfiles.py: every source file with translatable strings is listed in
# po/POTFILES.in, and every listed file exists.
#
# Copyright 2026 The Densito authors
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')

# Calls of the gettext family as the glib preset extracts them.
C_MARKERS = re.compile(r'(?<![A-Za-z0-9_])(_|N_|C_|NC_|Q_|ngettext|dngettext|g_dngettext|'
                       r'g_dpgettext2?|g_dcgettext|gettext|dgettext|g_dgettext|pgettext)\s*\(')
C_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def has_strings(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    if path.endswith(('.c', '.h')):
        return C_MARKERS.search(C_COMMENT.sub('', text)) is not None
    if path.endswith('.ui'):
        return 'translatable="yes"' in text
    if path.endswith(('.desktop.in', '.metainfo.xml.in', '.gschema.xml')):
        return True
    return False


def main():
    listed = []
    with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                listed.append(line)
    failures = []
    for name in listed:
        if not os.path.isfile(os.path.join(root, name)):
            failures.append('po/POTFILES.in lists %s, which does not exist' % name)
    listed_set = set(listed)
    for top in ('src', 'ui', 'data'):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d != 'sample')
            for fn in sorted(filenames):
                path = os.path.join(dirpath, fn)
                rel = os.path.relpath(path, root)
                if has_strings(path) and rel not in listed_set:
                    failures.append('%s has translatable strings but is missing from po/POTFILES.in'
                                    % rel)
    for msg in failures:
        print(msg)
    if failures:
        print('%d problem(s); add the files to po/POTFILES.in' % len(failures))
        return 1
    print('po/POTFILES.in lists all %d files with translatable strings' % len(listed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
