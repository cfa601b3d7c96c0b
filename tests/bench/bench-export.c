/* bench-export.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-export DATASET [RUNS] [--remove-between]: exports every patient
 * of DATASET with densito_export(), in copy mode and in hard-link mode, and
 * times it against `cp -r` of the same files (the image folder and the
 * table), alone and followed by `sync`, since the export flushes its files
 * to disk before it renames the folder. The runs alternate, so the page
 * cache is equally warm for all. Prints medians in seconds: wall time, and
 * CPU time (user + system, all threads; for cp its child processes), which
 * other work on a shared machine disturbs less than the wall clock.
 *
 * Every copy stays until the end: on ext4 without a journal, creating a
 * file skips (one by one) every inode freed in the last half minute, so
 * removing each copy before the next one tripled all the times and made
 * them depend on which run came after which removal. --remove-between
 * does that anyway, to show it.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "densito-dataset.h"
#include "densito-export.h"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
median (GArray *a)
{
  qsort (a->data, a->len, sizeof (double), compare_doubles);
  return g_array_index (a, double, a->len / 2);
}

static double
cpu_seconds (int who)
{
  struct rusage ru;

  getrusage (who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
remove_tree (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static double
time_export (DensitoDataset     *dataset,
             const char         *target,
             DensitoExportFlags  flags,
             guint              *n_linked,
             double             *cpu)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoExportResult) result = NULL;
  gint64 t0 = g_get_monotonic_time ();
  double c0 = cpu_seconds (RUSAGE_SELF);

  result = densito_export (dataset, NULL, target, flags, NULL, NULL, NULL, &error);
  if (result == NULL)
    g_error ("export failed: %s", error->message);
  *n_linked = densito_export_result_get_n_linked (result);
  *cpu = cpu_seconds (RUSAGE_SELF) - c0;
  return (g_get_monotonic_time () - t0) / 1e6;
}

static double
time_cp (const char *images,
         const char *table,
         const char *target,
         gboolean    sync,
         double     *cpu)
{
  gint64 t0 = g_get_monotonic_time ();
  double c0 = cpu_seconds (RUSAGE_CHILDREN);
  g_autofree char *cmd = g_strdup_printf ("mkdir '%s' && cp -r '%s' '%s' '%s'%s", target, images, table,
                                          target, sync ? " && sync" : "");
  const char *argv[] = { "sh", "-c", cmd, NULL };
  int status;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("cp failed");
  *cpu = cpu_seconds (RUSAGE_CHILDREN) - c0;
  return (g_get_monotonic_time () - t0) / 1e6;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDataset) dataset = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GArray) t_copy = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_link = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_cp = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_cp_sync = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) c_copy = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) c_link = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) c_cp = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ratio = g_array_new (FALSE, FALSE, sizeof (double));
  DensitoExportSummary summary;
  guint runs = argc > 2 ? (guint)atoi (argv[2]) : 5;
  gboolean remove_between = argc > 3 && g_str_equal (argv[3], "--remove-between");
  gint64 t0;
  double t_open;

  if (argc < 2)
    {
      g_printerr ("usage: bench-export DATASET [RUNS] [--remove-between]\n");
      return 2;
    }

  t0 = g_get_monotonic_time ();
  dataset = densito_dataset_open (argv[1], NULL, NULL, NULL, NULL, &error);
  if (dataset == NULL)
    g_error ("%s", error->message);
  t_open = (g_get_monotonic_time () - t0) / 1e6;
  densito_export_summarize (dataset, NULL, DENSITO_EXPORT_DEFAULT, &summary);

  /* Beside the dataset, so that hard links are possible. */
  tmp = g_build_filename (argv[1], "..", "bench-export-XXXXXX", NULL);
  if (g_mkdtemp (tmp) == NULL)
    g_error ("cannot make a folder beside %s", argv[1]);

  for (guint i = 0; i < runs; i++)
    {
      const char *images = densito_image_index_get_directory (densito_dataset_get_images (dataset));
      const char *table = densito_table_get_path (densito_dataset_get_table (dataset));
      g_autofree char *copy_out = g_strdup_printf ("%s/copy-%u", tmp, i);
      g_autofree char *link_out = g_strdup_printf ("%s/link-%u", tmp, i);
      g_autofree char *cp_out = g_strdup_printf ("%s/cp-%u", tmp, i);
      g_autofree char *cp_sync_out = g_strdup_printf ("%s/cp-sync-%u", tmp, i);
      double t, c, t_export;
      guint n_linked;

      t_export = t = time_export (dataset, copy_out, DENSITO_EXPORT_COPY, &n_linked, &c);
      g_array_append_val (t_copy, t);
      g_array_append_val (c_copy, c);
      g_assert (n_linked == 0);
      if (remove_between)
        remove_tree (copy_out);

      t = time_export (dataset, link_out, DENSITO_EXPORT_DEFAULT, &n_linked, &c);
      g_array_append_val (t_link, t);
      g_array_append_val (c_link, c);
      g_assert (n_linked == summary.images);
      if (remove_between)
        remove_tree (link_out);

      t = time_cp (images, table, cp_out, FALSE, &c);
      g_array_append_val (t_cp, t);
      g_array_append_val (c_cp, c);
      /* each copy-mode export against the cp -r right after it */
      t_export /= t;
      g_array_append_val (ratio, t_export);
      if (remove_between)
        remove_tree (cp_out);

      t = time_cp (images, table, cp_sync_out, TRUE, &c);
      g_array_append_val (t_cp_sync, t);
      if (remove_between)
        remove_tree (cp_sync_out);
    }
  remove_tree (tmp);

  printf ("patients %u images %u annotated %u (dataset opened in %.3f s)\n",
          summary.patients, summary.images, summary.annotated, t_open);
  printf ("median of %u runs, seconds:\n", runs);
  printf ("  export, copies      %.3f  (%.2fx cp -r, %.2fx cp -r + sync)\n", median (t_copy),
          median (t_copy) / median (t_cp), median (t_copy) / median (t_cp_sync));
  printf ("  export, hard links  %.3f  (%.2fx cp -r, %.2fx cp -r + sync)\n", median (t_link),
          median (t_link) / median (t_cp), median (t_link) / median (t_cp_sync));
  printf ("  cp -r               %.3f\n", median (t_cp));
  printf ("  cp -r && sync       %.3f\n", median (t_cp_sync));
  {
    double m = median (ratio);   /* sorts */

    printf ("  copy-mode export / cp -r of the same round: median %.2fx, from %.2fx to %.2fx\n",
            m, g_array_index (ratio, double, 0), g_array_index (ratio, double, ratio->len - 1));
  }
  printf ("CPU seconds (user + system), median:\n");
  printf ("  export, copies      %.3f  (%.2fx cp -r)\n", median (c_copy), median (c_copy) / median (c_cp));
  printf ("  export, hard links  %.3f  (%.2fx cp -r)\n", median (c_link), median (c_link) / median (c_cp));
  printf ("  cp -r               %.3f\n", median (c_cp));
  return 0;
}
