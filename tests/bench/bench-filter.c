/* bench-filter.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * From a change of the filter text to the next painted frame that shows
 * the new list, in the real window (run under Xvfb):
 *
 *   xvfb-run -a bench-filter DATASET [REPEAT]
 *
 * Beside the wall clock it prints the main thread's CPU time for the same
 * span, which other work on a shared machine disturbs far less.
 *
 * BENCH_SORT=1 first sorts the list by ID, descending (as a click on the
 * column's title twice does), and prints how long that took and the
 * resident memory after it.
 *
 * BENCH_QUERIES="1234;" replaces the queries typed in turn (separated by
 * semicolons; an empty one clears the search). Each may be a query being
 * typed ("s;se;sex;sex=;sex=F"): the time is to the next frame once the
 * window has taken the text, whatever came of it.
 *
 * BENCH_PER_QUERY=1 also prints each query's median and worst time.
 *
 * BENCH_PHASES=1 prints each sample's split: until the window has taken
 * the text (the refilter), the frame clock's wait, layout and paint, and
 * "settled": until the rows GTK had past a narrowed list's end are gone
 * (after the frame, a few a frame; see densito-list-selection.c).
 *
 * BENCH_SCROLL=1 scrolls the list halfway down before each query.
 *
 * Between two queries the main loop runs on for BENCH_PAUSE_MS (default
 * 250, a quick typist's pace), so that what the window does after a
 * frame (the list growing to its full length) is done, as it would be
 * between keystrokes, and not counted against the next query.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "densito-application.h"
#include "densito-list-selection.h"
#include "densito-window.h"
#include "ui-util.h"

#define find_widget(root, type) ui_find_widget (root, type, NULL, FALSE)

static gboolean painted;
static gint64 phase[4];  /* handled, frame start, layout done, paint done */

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  painted = TRUE;
}

static void
phase_cb (GdkFrameClock *clock,
          gpointer       data)
{
  phase[GPOINTER_TO_INT (data)] = g_get_monotonic_time ();
}

/* The window has taken the entry's text, whatever came of it: a new
 * list, an error, or a term still being typed (the list kept). */
static gboolean handled;
static const char *typed;

static void
search_handled_cb (GtkSearchEntry *entry,
                   gpointer        data)
{
  /* not the empty text a replacement passes through (see the window's
   * search_changed_cb) */
  if (strcmp (gtk_editable_get_text (GTK_EDITABLE (entry)), typed) == 0)
    {
      handled = TRUE;
      phase[0] = g_get_monotonic_time ();
    }
}

static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int
main (int    argc,
      char **argv)
{
  static const char *default_queries[] = { "sex=F", "sex=F class=osteoporosis", "spine_t<=-2.5", "", "age>=65", "1234", "", NULL };
  const char *custom_text = g_getenv ("BENCH_QUERIES");
  g_auto(GStrv) custom = custom_text != NULL && *custom_text != '\0' ? g_strsplit (custom_text, ";", -1) : NULL;
  const char * const *queries = custom != NULL ? (const char * const *)custom : default_queries;
  guint n_queries = g_strv_length ((char **)queries);
  g_autoptr(DensitoApplication) app = NULL;
  DensitoWindow *window;
  GtkWidget *entry;
  GdkFrameClock *clock;
  guint repeat = argc > 2 ? (guint)atoi (argv[2]) : 5;
  g_autofree double *times = NULL;
  g_autofree double *cpu = NULL;
  g_autofree double *settled = NULL;
  DensitoListSelection *selection;
  guint n = 0;
  gint64 end;
  const char *pause_text = g_getenv ("BENCH_PAUSE_MS");
  guint pause_ms = pause_text != NULL ? (guint)atoi (pause_text) : 250;

  if (argc < 2)
    {
      g_printerr ("usage: bench-filter DATASET [REPEAT]\n");
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
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);

  /* Every column, as the list had before some were hidden by default:
   * the cost grows with the cells on screen. */
  if (g_getenv ("BENCH_ALL_COLUMNS") != NULL)
    {
      static const char *hidden[] = { "label", "images", "review" };

      for (guint i = 0; i < G_N_ELEMENTS (hidden); i++)
        {
          g_autofree char *name = g_strdup_printf ("column-%s", hidden[i]);
          GAction *action = g_action_map_lookup_action (G_ACTION_MAP (window), name);

          if (action != NULL)
            g_action_change_state (action, g_variant_new_boolean (TRUE));
        }
      for (guint i = 0; i < 50; i++)
        g_main_context_iteration (NULL, FALSE);
    }

  if (g_getenv ("BENCH_SORT") != NULL)
    {
      GtkColumnView *cv = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW));
      g_autoptr(GtkColumnViewColumn) id_column = g_list_model_get_item (gtk_column_view_get_columns (cv), 0);
      gint64 t0 = g_get_monotonic_time ();
      struct rusage ru;

      gtk_column_view_sort_by_column (cv, id_column, GTK_SORT_DESCENDING);
      painted = FALSE;
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint", G_CALLBACK (after_paint_cb), NULL);
      while (!painted)
        g_main_context_iteration (NULL, TRUE);
      getrusage (RUSAGE_SELF, &ru);
      g_print ("mode=sort sort_to_frame_ms=%.1f peak_rss_mb=%.1f\n",
               (g_get_monotonic_time () - t0) / 1000.0, ru.ru_maxrss / 1024.0);
      g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (GTK_WIDGET (window)), after_paint_cb, NULL);
    }

  entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  g_signal_connect (clock, "before-paint", G_CALLBACK (phase_cb), GINT_TO_POINTER (1));
  g_signal_connect_after (clock, "layout", G_CALLBACK (phase_cb), GINT_TO_POINTER (2));
  g_signal_connect_after (clock, "paint", G_CALLBACK (phase_cb), GINT_TO_POINTER (3));
  /* after the window's own handler, which applies the query */
  g_signal_connect_after (entry, "search-changed", G_CALLBACK (search_handled_cb), NULL);
  times = g_new (double, repeat * n_queries);
  cpu = g_new (double, repeat * n_queries);
  settled = g_new (double, repeat * n_queries);
  selection = DENSITO_LIST_SELECTION (gtk_column_view_get_model (GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW))));

  for (guint r = 0; r < repeat; r++)
    for (guint q = 0; q < n_queries; q++)
      {
        gint64 split[4];
        gint64 t0, t_painted, pause_end = g_get_monotonic_time () + pause_ms * 1000;
        double c0;

        while (g_get_monotonic_time () < pause_end)
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (1000);
        /* BENCH_SCROLL=1: each query typed with the list scrolled halfway down. */
        if (g_getenv ("BENCH_SCROLL") != NULL)
          {
            GtkWidget *cv = find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW);
            GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (cv));

            gtk_adjustment_set_value (adj, (gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj)) / 2);
            pause_end = g_get_monotonic_time () + pause_ms * 1000;
            while (g_get_monotonic_time () < pause_end)
              if (!g_main_context_iteration (NULL, FALSE))
                g_usleep (1000);
          }
        t0 = g_get_monotonic_time ();
        c0 = thread_cpu_ms ();

        /* The search entry reports the change at once below 200,000
         * patients and after a pause in typing above; the frame painted
         * after the window applied the query shows the new list. */
        handled = FALSE;
        typed = queries[q];
        gtk_editable_set_text (GTK_EDITABLE (entry), queries[q]);
        while (!handled)
          g_main_context_iteration (NULL, TRUE);
        painted = FALSE;
        while (!painted)
          g_main_context_iteration (NULL, TRUE);
        cpu[n] = thread_cpu_ms () - c0;
        times[n++] = (g_get_monotonic_time () - t0) / 1000.0;
        t_painted = g_get_monotonic_time ();
        memcpy (split, phase, sizeof phase);
        /* The rows GTK had past a narrowed list's end go after that
         * frame, a few a frame (see densito-list-selection.c). */
        while (densito_list_selection_get_n_vacant (selection) > 0)
          g_main_context_iteration (NULL, TRUE);
        settled[n - 1] = (g_get_monotonic_time () - t0) / 1000.0;
        if (g_getenv ("BENCH_PHASES") != NULL)
          g_print ("query=\"%s\" total_ms=%.1f settled_ms=%.1f handled=%.1f wait=%.1f layout=%.1f paint=%.1f after=%.1f\n",
                   queries[q], times[n - 1], settled[n - 1], (split[0] - t0) / 1000.0, (split[1] - split[0]) / 1000.0,
                   (split[2] - split[1]) / 1000.0, (split[3] - split[2]) / 1000.0,
                   (t_painted - split[3]) / 1000.0);
      }

  if (g_getenv ("BENCH_PER_QUERY") != NULL)
    for (guint q = 0; q < n_queries; q++)
      {
        g_autofree double *mine = g_new (double, repeat);

        for (guint r = 0; r < repeat; r++)
          mine[r] = times[r * n_queries + q];
        qsort (mine, repeat, sizeof (double), compare_double);
        g_print ("query=\"%s\" median_ms=%.1f max_ms=%.1f\n", queries[q], mine[repeat / 2], mine[repeat - 1]);
      }

  qsort (times, n, sizeof (double), compare_double);
  qsort (cpu, n, sizeof (double), compare_double);
  qsort (settled, n, sizeof (double), compare_double);
  g_print ("mode=filter patients=%u samples=%u median_ms=%.1f p90_ms=%.1f max_ms=%.1f "
           "cpu_median_ms=%.1f cpu_p90_ms=%.1f settled_median_ms=%.1f settled_max_ms=%.1f\n",
           densito_table_get_n_rows (densito_dataset_get_table (densito_window_get_dataset (window))),
           n, times[n / 2], times[n * 9 / 10], times[n - 1], cpu[n / 2], cpu[n * 9 / 10],
           settled[n / 2], settled[n - 1]);
  return 0;
}
