/* bench-load.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Measures the typed table load against a bare libcsv pass over the same
 * file that only counts fields, read the same way (1 MiB blocks through
 * GIO). Run each mode in its own process so that peak RSS is its own:
 *
 *   bench-load bare FILE
 *   bench-load typed FILE
 *   bench-load query FILE QUERY [REPEAT]
 */
#include "config.h"

#include <csv.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "densito-query.h"
#include "densito-table.h"

#define BLOCK_SIZE (1 << 20)

typedef struct
{
  guint64 fields;
  guint64 records;
} Counts;

static void
count_field (void   *s,
             size_t  len,
             void   *data)
{
  ((Counts *)data)->fields++;
}

static void
count_record (int   c,
              void *data)
{
  ((Counts *)data)->records++;
}

static long
peak_rss_kib (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int
bare (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *buf = g_malloc (BLOCK_SIZE);
  struct csv_parser parser;
  Counts counts = { 0 };
  gint64 start = g_get_monotonic_time ();
  gssize n;

  stream = g_file_read (file, NULL, &error);
  if (stream == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  csv_init (&parser, CSV_APPEND_NULL);
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buf, BLOCK_SIZE, NULL, &error)) > 0)
    csv_parse (&parser, buf, (size_t)n, count_field, count_record, &counts);
  csv_fini (&parser, count_field, count_record, &counts);
  csv_free (&parser);

  g_print ("mode=bare seconds=%.3f fields=%" G_GUINT64_FORMAT " records=%" G_GUINT64_FORMAT " peak_rss_mb=%.1f\n",
           (g_get_monotonic_time () - start) / 1e6, counts.fields, counts.records, peak_rss_kib () / 1024.0);
  return 0;
}

static DensitoTable *
load (const char          *path,
      DensitoDiagnostics **diags_out,
      double              *seconds)
{
  g_autoptr(GError) error = NULL;
  DensitoDiagnostics *diags = densito_diagnostics_new ();
  gint64 start = g_get_monotonic_time ();
  DensitoTable *table = densito_table_load (path, diags, NULL, NULL, NULL, &error);

  *seconds = (g_get_monotonic_time () - start) / 1e6;
  if (table == NULL)
    {
      g_printerr ("%s\n", error->message);
      exit (2);
    }
  *diags_out = diags;
  return table;
}

static int
typed (const char *path)
{
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autoptr(DensitoTable) table = NULL;
  double seconds;

  table = load (path, &diags, &seconds);
  g_print ("mode=typed seconds=%.3f rows=%u columns=%u diagnostics=%u peak_rss_mb=%.1f\n",
           seconds, densito_table_get_n_rows (table), densito_table_get_n_columns (table),
           densito_diagnostics_get_n (diags), peak_rss_kib () / 1024.0);
  return 0;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int
query (const char *path,
       const char *text,
       guint       repeat)
{
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(DensitoQuery) q = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint *rows = NULL;
  g_autofree double *times = g_new (double, repeat);
  double seconds;
  guint n = 0;

  table = load (path, &diags, &seconds);
  q = densito_query_parse (text, &error);
  if (q == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  rows = g_new (guint, densito_table_get_n_rows (table));
  for (guint i = 0; i < repeat; i++)
    {
      gint64 start = g_get_monotonic_time ();
      n = densito_query_filter (q, table, NULL, rows);
      times[i] = (g_get_monotonic_time () - start) / 1e3;
    }
  qsort (times, repeat, sizeof (double), compare_double);
  g_print ("mode=query query=\"%s\" rows=%u matches=%u median_ms=%.2f min_ms=%.2f max_ms=%.2f\n",
           text, densito_table_get_n_rows (table), n, times[repeat / 2], times[0], times[repeat - 1]);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc >= 3 && strcmp (argv[1], "bare") == 0)
    return bare (argv[2]);
  if (argc >= 3 && strcmp (argv[1], "typed") == 0)
    return typed (argv[2]);
  if (argc >= 4 && strcmp (argv[1], "query") == 0)
    return query (argv[2], argv[3], argc >= 5 ? (guint)atoi (argv[4]) : 20);

  g_printerr ("usage: bench-load bare|typed FILE | bench-load query FILE QUERY [REPEAT]\n");
  return 2;
}
