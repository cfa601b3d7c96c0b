#!/usr/bin/env python3
# check-po.py: every language in po/LINGUAS is complete against the sources as
# they are now: a fresh template (xgettext with meson's glib preset over
# po/POTFILES.in) merged into each .po must leave nothing untranslated or fuzzy,
# pass msgfmt --check, and declare the right plural forms. TAP output.
#
# Copyright 2026 The Densito authors
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import shutil
import subprocess
import sys
import tempfile

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..'))
po_dir = os.path.join(root, 'po')

# The glib preset of meson's i18n module, as po/meson.build uses it.
XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]
PLURAL_FORMS = {
    'fa': 'nplurals=2; plural=(n > 1);',
    'de': 'nplurals=2; plural=(n != 1);',
}

n = 0
failed = 0


def report(ok, name, why=''):
    global n, failed
    n += 1
    failed += not ok
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
    if not ok and why:
        for line in why.rstrip().splitlines():
            print('#   ' + line)


for tool in ('xgettext', 'msgmerge', 'msgfmt', 'msgattrib'):
    if shutil.which(tool) is None:
        report(False, '%s is installed' % tool, 'apt-get install gettext')
        print('1..%d' % n)
        sys.exit(1)

tmp = tempfile.mkdtemp(prefix='densito-po.')
try:
    pot = os.path.join(tmp, 'densito.pot')
    r = subprocess.run(['xgettext', '--package-name=densito', '-D', root,
                        '-f', os.path.join(po_dir, 'POTFILES.in'), '-o', pot] + XGETTEXT_ARGS,
                       capture_output=True, text=True)
    report(r.returncode == 0, 'xgettext extracts the template', r.stderr)
    cut = re.findall(r'^msgid ".*%"$', open(pot, encoding='utf-8').read(), re.M) if r.returncode == 0 else []
    report(not cut, 'no msgid is cut short by a format macro (use %zu, not G_GSIZE_FORMAT)',
           '\n'.join(cut))

    langs = [l.strip() for l in open(os.path.join(po_dir, 'LINGUAS'), encoding='utf-8')
             if l.strip() and not l.startswith('#')]
    for lang in langs:
        po = os.path.join(po_dir, lang + '.po')
        merged = os.path.join(tmp, lang + '.po')
        r = subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged, po, pot],
                           capture_output=True, text=True)
        report(r.returncode == 0, '%s: msgmerge with the fresh template' % lang, r.stderr)
        if r.returncode != 0:
            continue
        r = subprocess.run(['msgfmt', '--check', '--statistics', '-o', os.devnull, merged],
                           capture_output=True, text=True, env=dict(os.environ, LC_ALL='C'))
        stats = r.stderr.strip()
        report(r.returncode == 0, '%s: msgfmt --check' % lang, r.stderr)
        complete = 'untranslated' not in stats and 'fuzzy' not in stats
        missing = ''
        if not complete:
            u = subprocess.run(['msgattrib', '--untranslated', '--no-wrap', merged],
                               capture_output=True, text=True)
            f = subprocess.run(['msgattrib', '--only-fuzzy', '--no-wrap', merged],
                               capture_output=True, text=True)
            ids = re.findall(r'^msgid "(.+)"$', u.stdout + f.stdout, re.M)
            missing = '\n'.join(ids[:40])
        report(complete, '%s: complete (%s)' % (lang, stats), missing)
        header = open(po, encoding='utf-8').read()
        m = re.search(r'"Plural-Forms: *([^\\"]*)', header)
        want = PLURAL_FORMS.get(lang)
        report(m is not None and (want is None or m.group(1).strip() == want),
               '%s: Plural-Forms %s' % (lang, want), 'found %r' % (m.group(1) if m else None))
finally:
    shutil.rmtree(tmp)

print('1..%d' % n)
sys.exit(1 if failed else 0)
