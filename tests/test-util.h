/* test-util.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char  *test_make_tmpdir    (void);
void   test_remove_tree    (const char *path);
char  *test_write_file     (const char *dir,
                            const char *name,
                            const char *contents,
                            gssize      len);
char  *test_write_png      (const char *dir,
                            const char *name,
                            guint       width,
                            guint       height,
                            gboolean    truncated);
char  *test_write_jpeg     (const char *dir,
                            const char *name,
                            guint       width,
                            guint       height);

G_END_DECLS
