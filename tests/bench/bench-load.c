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
 *   bench-load pairs FILE [N]          N bare/typed pairs in one process: every ratio and the median
 *   bench-load populate MB [N]         faulting in MB of fresh memory, N times (the VM's share of a load)
 *   bench-load query FILE QUERY [REPEAT]
 *   bench-load make-sidecars DIR N     N images (headers only) with a sidecar of 8 ROIs each
 *   bench-load sidecars DIR            read every sidecar of the images in DIR
 *   bench-load save DIR [REPEAT]       atomic saves of one sidecar, with their flush to disk
 */
#include "config.h"

#include <csv.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "densito-dataset.h"
#include "densito-query.h"
#include "densito-sidecar.h"
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

static double
bare_pass (const char *path,
           Counts     *counts)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *buf = g_malloc (BLOCK_SIZE);
  struct csv_parser parser;
  gint64 start = g_get_monotonic_time ();
  gssize n;

  stream = g_file_read (file, NULL, &error);
  if (stream == NULL)
    {
      g_printerr ("%s\n", error->message);
      exit (2);
    }
  csv_init (&parser, CSV_APPEND_NULL);
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buf, BLOCK_SIZE, NULL, &error)) > 0)
    csv_parse (&parser, buf, (size_t)n, count_field, count_record, counts);
  csv_fini (&parser, count_field, count_record, counts);
  csv_free (&parser);
  return (g_get_monotonic_time () - start) / 1e6;
}

static int
bare (const char *path)
{
  Counts counts = { 0 };
  double seconds = bare_pass (path, &counts);

  g_print ("mode=bare seconds=%.3f fields=%" G_GUINT64_FORMAT " records=%" G_GUINT64_FORMAT " peak_rss_mb=%.1f\n",
           seconds, counts.fields, counts.records, peak_rss_kib () / 1024.0);
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

/* Alternating pairs in one process. The first typed load faults in fresh
 * memory; later ones get back the pages the previous table gave up. On
 * this VM that difference alone is 7 ms against 120-240 ms for 128 MB
 * (see `populate`), so the first pair is printed apart from the rest. */
static int
pairs (const char *path,
       guint       n)
{
  g_autofree double *ratios = g_new0 (double, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      Counts counts = { 0 };
      g_autoptr(DensitoDiagnostics) diags = NULL;
      double b = bare_pass (path, &counts);
      double t;
      DensitoTable *table = load (path, &diags, &t);

      g_object_unref (table);
      ratios[i] = t / b;
      g_print ("pair=%u bare_seconds=%.3f typed_seconds=%.3f ratio=%.2f%s\n",
               i + 1, b, t, ratios[i], i == 0 ? " (first: fresh memory)" : "");
    }
  if (n > 1)
    {
      qsort (ratios + 1, n - 1, sizeof (double), compare_double);
      g_print ("mode=pairs n=%u first_ratio=%.2f median_ratio_after_first=%.2f min=%.2f max=%.2f peak_rss_mb=%.1f\n",
               n, ratios[0], ratios[1 + (n - 1) / 2], ratios[1], ratios[n - 1], peak_rss_kib () / 1024.0);
    }
  return 0;
}

/* The cost of faulting in @mb MiB of new anonymous memory the way the
 * table's big arrays are (huge pages, one MADV_POPULATE_WRITE). */
static int
populate (guint mb,
          guint n)
{
  for (guint i = 0; i < n; i++)
    {
      gsize len = (gsize)mb << 20;
      gint64 start = g_get_monotonic_time ();
      void *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      if (p == MAP_FAILED)
        return 2;
#ifdef MADV_HUGEPAGE
      madvise (p, len, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
      madvise (p, len, MADV_POPULATE_WRITE);
#else
      memset (p, 1, len);
#endif
      g_print ("mode=populate mb=%u ms=%.1f\n", mb, (g_get_monotonic_time () - start) / 1e3);
      munmap (p, len);
      g_usleep (G_USEC_PER_SEC);
    }
  return 0;
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

static void
write_png_header (const char *path,
                  guint       w,
                  guint       h)
{
  /* Signature, IHDR, IEND: enough for the image index and the sidecars. */
  guint8 png[8 + 25 + 12] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                              0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  static const guint8 iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

  png[16] = w >> 24; png[17] = w >> 16; png[18] = w >> 8; png[19] = w;
  png[20] = h >> 24; png[21] = h >> 16; png[22] = h >> 8; png[23] = h;
  png[24] = 8;
  memcpy (png + 33, iend, 12);
  g_file_set_contents (path, (const char *)png, sizeof png, NULL);
}

static int
make_sidecars (const char *dir,
               guint       n)
{
  static const char *labels[] = { "L1", "L2", "L3", "L4", "neck", "wards", "trochanter", "total_hip" };

  g_mkdir_with_parents (dir, 0755);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u-%u.png", 10000 + i / 2, 1 + i % 2);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(DensitoSidecar) s = NULL;
      g_autoptr(GError) error = NULL;

      write_png_header (path, 500, 600);
      s = densito_sidecar_new (path, NULL, 500, 600);
      for (guint k = 0; k < G_N_ELEMENTS (labels); k++)
        {
          DensitoBox box = { 100 + 30 * k, 100 + 40 * k, 49, 15 + k, k % 3 == 0 ? -30.0 + k : 0.0 };
          g_autoptr(DensitoRoi) roi = densito_roi_new_box (labels[k], &box, DENSITO_SOURCE_SYNTHETIC);
          densito_sidecar_insert_roi (s, k, roi);
        }
      if (!densito_sidecar_save (s, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
    }
  g_print ("wrote %u images with sidecars to %s\n", n, dir);
  return 0;
}

static int
read_sidecars (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint rois = 0;
  gint64 start;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".png"))
      g_ptr_array_add (images, g_build_filename (dir, name, NULL));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < images->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DensitoSidecar) s = densito_sidecar_load (g_ptr_array_index (images, i), NULL, 500, 600,
                                                          diags, NULL, &error);
      if (s != NULL)
        rois += densito_sidecar_get_n_rois (s);
    }
  g_print ("mode=sidecars images=%u rois=%u diagnostics=%u seconds=%.3f\n", images->len, rois,
           densito_diagnostics_get_n (diags), (g_get_monotonic_time () - start) / 1e6);
  return 0;
}

static int
save_sidecar (const char *dir,
              guint       repeat)
{
  g_autofree char *image = g_build_filename (dir, "10000-1.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) s = densito_sidecar_load (image, NULL, 500, 600, NULL, NULL, &error);
  g_autofree double *times = g_new (double, repeat);

  if (s == NULL || densito_sidecar_get_n_rois (s) == 0)
    {
      g_printerr ("run make-sidecars first\n");
      return 2;
    }
  for (guint i = 0; i < repeat; i++)
    {
      DensitoBox box = densito_sidecar_get_roi (s, 0)->box;
      gint64 start;

      box.cx += 1;
      densito_sidecar_set_roi_box (s, 0, &box, NULL);
      start = g_get_monotonic_time ();
      if (!densito_sidecar_save (s, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      times[i] = (g_get_monotonic_time () - start) / 1e3;
    }
  qsort (times, repeat, sizeof (double), compare_double);
  g_print ("mode=save rois=%u repeat=%u median_ms=%.2f min_ms=%.2f max_ms=%.2f\n",
           densito_sidecar_get_n_rois (s), repeat, times[repeat / 2], times[0], times[repeat - 1]);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc >= 4 && strcmp (argv[1], "make-sidecars") == 0)
    return make_sidecars (argv[2], (guint)atoi (argv[3]));
  if (argc >= 3 && strcmp (argv[1], "sidecars") == 0)
    return read_sidecars (argv[2]);
  if (argc >= 3 && strcmp (argv[1], "save") == 0)
    return save_sidecar (argv[2], argc >= 4 ? (guint)atoi (argv[3]) : 100);
  if (argc >= 3 && strcmp (argv[1], "bare") == 0)
    return bare (argv[2]);
  if (argc >= 3 && strcmp (argv[1], "typed") == 0)
    return typed (argv[2]);
  if (argc >= 3 && strcmp (argv[1], "pairs") == 0)
    return pairs (argv[2], argc >= 4 ? (guint)atoi (argv[3]) : 6);
  if (argc >= 3 && strcmp (argv[1], "populate") == 0)
    return populate ((guint)atoi (argv[2]), argc >= 4 ? (guint)atoi (argv[3]) : 5);
  if (argc >= 4 && strcmp (argv[1], "query") == 0)
    return query (argv[2], argv[3], argc >= 5 ? (guint)atoi (argv[4]) : 20);

  g_printerr ("usage: bench-load bare|typed FILE | bench-load pairs FILE [N] | bench-load populate MB [N] | bench-load query FILE QUERY [REPEAT]\n");
  return 2;
}
