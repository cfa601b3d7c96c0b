/* bench-browse.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Browsing scans in the real window (run under Xvfb):
 *
 *   xvfb-run -a dbus-run-session -- bench-browse DATASET [STEPS] [PAUSE_MS] [JUMPS]
 *
 * 1. Steps down the patient list STEPS times (default 500), pausing
 *    PAUSE_MS (default 150) after each scan is shown, as a clinician
 *    pressing Down does; the neighbours are prefetched meanwhile. For
 *    each step it counts the frames painted from the selection until the
 *    new scan is on screen: 1 means the scan was in the first frame.
 * 2. Jumps to JUMPS (default 40) patients far away in the list (a fixed pseudo-random
 *    sequence), so that their scans are not cached: the time from the
 *    selection to the first painted frame that shows the scan.
 * 3. Prints the peak resident set size of the whole run.
 *
 * Patients without a readable image are skipped and counted.
 */
#include "config.h"

#include <sys/resource.h>

#include <gtk/gtk.h>

#include "densito-application.h"
#include "densito-scan-view.h"
#include "densito-window.h"
#include "ui-util.h"

#define find_widget(root, type) ui_find_widget (root, type, NULL, FALSE)

static guint paints;

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  paints++;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static gboolean
keep_source (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

/* Selects @pos and waits for the first painted frame that shows a new
 * texture. Returns FALSE when none comes within two seconds (no image,
 * or an unreadable one). */
static gboolean
step_to (GtkSelectionModel *selection,
         DensitoScanView   *view,
         guint              pos,
         double            *ms,
         guint             *frames)
{
  GdkTexture *before = densito_scan_view_get_texture (view);
  gint64 t0 = g_get_monotonic_time ();
  gint64 end = t0 + 2 * G_USEC_PER_SEC;
  guint start = paints;
  guint wake;
  gboolean shown = FALSE;

  /* Wakes the loop up when nothing else happens. */
  wake = g_timeout_add (50, keep_source, NULL);
  gtk_selection_model_select_item (selection, pos, TRUE);
  while (g_get_monotonic_time () < end)
    {
      guint seen = paints;

      g_main_context_iteration (NULL, TRUE);
      if (paints != seen && densito_scan_view_get_texture (view) != before &&
          densito_scan_view_get_texture (view) != NULL)
        {
          *ms = (g_get_monotonic_time () - t0) / 1000.0;
          *frames = paints - start;
          shown = TRUE;
          break;
        }
    }
  g_source_remove (wake);
  return shown;
}

static void
print_times (const char *mode,
             double     *times,
             guint       n,
             guint       skipped)
{
  if (n == 0)
    {
      g_print ("mode=%s samples=0 skipped=%u\n", mode, skipped);
      return;
    }
  qsort (times, n, sizeof (double), compare_double);
  g_print ("mode=%s samples=%u skipped=%u median_ms=%.1f p90_ms=%.1f max_ms=%.1f\n",
           mode, n, skipped, times[n / 2], times[n * 9 / 10], times[n - 1]);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(DensitoApplication) app = NULL;
  DensitoWindow *window;
  GtkWidget *column_view;
  DensitoScanView *view;
  GtkSelectionModel *selection;
  guint steps = argc > 2 ? (guint)atoi (argv[2]) : 500;
  guint pause_ms = argc > 3 ? (guint)atoi (argv[3]) : 150;
  guint jumps = argc > 4 ? (guint)atoi (argv[4]) : 40;
  g_autofree double *times = NULL;
  guint n = 0, skipped = 0, first_frame = 0, n_items;
  guint32 seed = 12345;
  struct rusage usage;
  gint64 end;

  if (argc < 2)
    {
      g_printerr ("usage: bench-browse DATASET [STEPS] [PAUSE_MS] [JUMPS]\n");
      return 2;
    }
  /* The renderer the app picks on this machine (see main.c). */
  densito_application_choose_renderer ();
  gtk_init ();
  app = densito_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = densito_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  densito_window_open_path (window, argv[1]);

  end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while ((densito_window_is_loading (window) || densito_window_get_dataset (window) == NULL) &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  spin_for (500);

  column_view = find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW);
  view = DENSITO_SCAN_VIEW (find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW));
  if (column_view == NULL || view == NULL)
    {
      g_printerr ("bench-browse: the window has no list or scan view\n");
      return 1;
    }
  selection = gtk_column_view_get_model (GTK_COLUMN_VIEW (column_view));
  n_items = g_list_model_get_n_items (G_LIST_MODEL (selection));
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);

  /* 1. Stepping down, neighbours prefetched. */
  times = g_new (double, MAX (steps, jumps) + 1);
  for (guint pos = 1; pos <= steps && pos < n_items; pos++)
    {
      double ms;
      guint frames;

      if (!step_to (selection, view, pos, &ms, &frames))
        {
          skipped++;
          continue;
        }
      times[n++] = ms;
      if (frames <= 1)
        first_frame++;
      spin_for (pause_ms);
    }
  g_print ("mode=step in_first_frame=%u of %u\n", first_frame, n);
  print_times ("step", times, n, skipped);

  /* 2. Cold: far jumps, nothing cached or prefetched. */
  n = skipped = 0;
  for (guint i = 0; i < jumps; i++)
    {
      double ms;
      guint frames;
      guint pos;

      seed = seed * 1103515245u + 12345u;
      pos = steps + 10 + (seed >> 8) % MAX (n_items - MIN (n_items, steps + 10), 1);
      if (pos >= n_items)
        break;
      if (!step_to (selection, view, pos, &ms, &frames))
        {
          skipped++;
          continue;
        }
      times[n++] = ms;
      spin_for (50);
    }
  print_times ("cold", times, n, skipped);

  getrusage (RUSAGE_SELF, &usage);
  g_print ("peak_rss_mb=%.1f\n", usage.ru_maxrss / 1024.0);
  return 0;
}
