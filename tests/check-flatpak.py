#!/usr/bin/env python3
# check-flatpak.py: what can be checked of the Flatpak manifest without
# downloading a runtime: it parses, names files that exist, pins libcsv, keeps
# the sandbox narrow, and passes the app's meson options as meson_options.txt
# declares them. TAP output.
#
# Copyright 2026 The Densito authors
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..'))
manifest_path = os.path.join(root, 'flatpak', 'io.github.densito.Densito.json')
APP_ID = 'io.github.densito.Densito'
LIBCSV_URL = 'https://github.com/rgamble/libcsv.git'
LIBCSV_COMMIT = 'b1d5212831842ee5869d99bc208a21837e4037d5'
ALLOWED_FINISH_ARGS = {'--socket=wayland', '--socket=fallback-x11', '--share=ipc', '--device=dri'}

results = []


def check(name, ok, why=''):
    results.append((name, bool(ok), why))


def meson_options(path):
    """name -> (type, choices or None) from meson_options.txt."""
    text = open(path, encoding='utf-8').read()
    opts = {}
    for m in re.finditer(r"option\s*\(\s*'([^']+)'\s*,(.*?)\)\s*(?:\n|$)", text, re.S):
        body = m.group(2)
        t = re.search(r"type\s*:\s*'([^']+)'", body)
        ch = re.search(r"choices\s*:\s*\[([^\]]*)\]", body)
        choices = re.findall(r"'([^']*)'", ch.group(1)) if ch else None
        opts[m.group(1)] = (t.group(1) if t else None, choices)
    return opts


def valid_value(kind, choices, value):
    if kind == 'boolean':
        return value in ('true', 'false')
    if kind == 'combo':
        return choices is not None and value in choices
    if kind == 'feature':
        return value in ('enabled', 'disabled', 'auto')
    if kind == 'integer':
        return re.fullmatch(r'-?[0-9]+', value) is not None
    return True


try:
    manifest = json.load(open(manifest_path, encoding='utf-8'))
    check('the manifest parses as JSON', True)
except (OSError, ValueError) as e:
    print('1..1\nnot ok 1 - the manifest parses as JSON # %s' % e)
    sys.exit(1)

check('the app ID is ' + APP_ID, manifest.get('id', manifest.get('app-id')) == APP_ID,
      'id is %r' % manifest.get('id'))
check('the runtime is the GNOME platform with its SDK',
      manifest.get('runtime') == 'org.gnome.Platform' and manifest.get('sdk') == 'org.gnome.Sdk')
version = str(manifest.get('runtime-version', ''))
check('the runtime version is 47 or newer',
      re.fullmatch(r'[0-9]+', version) is not None and int(version) >= 47, 'runtime-version %r' % version)
check('the command is densito', manifest.get('command') == 'densito')

finish = manifest.get('finish-args', [])
extra = [a for a in finish if a not in ALLOWED_FINISH_ARGS]
check('finish-args stay narrow (Wayland, X11 fallback, IPC, DRI)', not extra,
      'also asks for %s' % ', '.join(extra))
check('finish-args give Wayland with the X11 fallback',
      '--socket=wayland' in finish and '--socket=fallback-x11' in finish and '--socket=x11' not in finish)

modules = {m.get('name'): m for m in manifest.get('modules', []) if isinstance(m, dict)}
libcsv = modules.get('libcsv')
check('libcsv is a module built with autotools', libcsv is not None and libcsv.get('buildsystem') == 'autotools')
git = [s for s in (libcsv or {}).get('sources', []) if s.get('type') == 'git']
check('libcsv comes from its upstream git repository at the pinned commit',
      len(git) == 1 and git[0].get('url') == LIBCSV_URL and git[0].get('commit') == LIBCSV_COMMIT,
      'sources %r' % git)
check('json-glib comes from the runtime', 'json-glib' not in modules)

app = modules.get('densito')
check('the last module is densito, built with meson',
      app is not None and manifest['modules'][-1] is app and app.get('buildsystem') == 'meson')
manifest_dir = os.path.dirname(manifest_path)
missing = []
for module in manifest.get('modules', []):
    for source in module.get('sources', []) if isinstance(module, dict) else []:
        if 'path' in source:
            target = os.path.normpath(os.path.join(manifest_dir, source['path']))
            if not os.path.exists(target):
                missing.append(source['path'])
check('every local source the manifest names exists', not missing, 'missing: %s' % missing)
dirs = [s for s in (app or {}).get('sources', []) if s.get('type') == 'dir']
check('the app is built from this checkout',
      len(dirs) == 1 and os.path.normpath(os.path.join(manifest_dir, dirs[0]['path'])) == root and
      os.path.isfile(os.path.join(root, 'meson.build')))

options = meson_options(os.path.join(root, 'meson_options.txt'))
opts = (app or {}).get('config-opts', [])
given = {}
bad = []
for o in opts:
    m = re.fullmatch(r'-D([A-Za-z0-9_-]+)=(.*)', o)
    if m is None:
        bad.append('%s is not -Dname=value' % o)
        continue
    name, value = m.groups()
    if name not in options:
        bad.append('-D%s is not in meson_options.txt' % name)
    elif not valid_value(options[name][0], options[name][1], value):
        bad.append('-D%s=%s is not a valid %s' % (name, value, options[name][0]))
    given[name] = value
check('every config-opt names an option of meson_options.txt with a valid value', not bad, '; '.join(bad))
unset = sorted(set(options) - set(given))
check('every option of meson_options.txt is decided in config-opts', not unset,
      'not given: %s' % ', '.join(unset))

print('1..%d' % len(results))
failed = 0
for i, (name, ok, why) in enumerate(results, 1):
    print('%s %d - %s%s' % ('ok' if ok else 'not ok', i, name, '' if ok or not why else ' # ' + why))
    failed += not ok
sys.exit(1 if failed else 0)
