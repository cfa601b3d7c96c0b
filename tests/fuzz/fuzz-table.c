/* fuzz-table.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: any bytes as a patient table, through the loader (both
 * the one-thread and the split path) and every accessor.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

#include "densito-query.h"
#include "densito-table.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static char *path;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      int fd = g_file_open_tmp ("densito-fuzz-XXXXXX.csv", &path, NULL);
      close (fd);
      g_setenv ("DENSITO_PARALLEL_MIN_BYTES", "64", TRUE);
    }
  g_file_set_contents (path, (const char *)data, (gssize)size, NULL);

  table = densito_table_load (path, diags, NULL, NULL, NULL, &error);
  if (table != NULL)
    {
      char buf[DENSITO_CELL_BUF];
      guint n = densito_table_get_n_rows (table);
      g_autofree guint *rows = g_new (guint, MAX (n, 1));
      g_autoptr(DensitoQuery) q = densito_query_parse ("sex=F spine_t<=-1 age>=50 1", NULL);

      for (guint r = 0; r < n; r++)
        for (guint c = 0; c < densito_table_get_n_columns (table); c++)
          g_assert_true (g_utf8_validate (densito_table_get_cell (table, r, c, buf), -1, NULL));
      densito_query_filter (q, table, NULL, rows);
    }
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    g_free (densito_diagnostic_dup_line (densito_diagnostics_get (diags, i)));
  return 0;
}
