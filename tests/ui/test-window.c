/* test-window.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Drives the real main window under Xvfb: open the sample, filter, select,
 * step through images, and open a dataset with a broken image and a bad
 * cell. Results are read from widget state.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "densito-application.h"
#include "densito-query.h"
#include "densito-problems-window.h"
#include "densito-scan-view.h"
#include "densito-window.h"
#include "test-util.h"

static DensitoApplication *app;

static void
wait_until (gboolean (*done) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (!done (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (done (data));
}

static gboolean
loaded (gpointer data)
{
  DensitoWindow *window = data;
  return !densito_window_is_loading (window) && densito_window_get_dataset (window) != NULL;
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *css_class)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type) && (css_class == NULL || gtk_widget_has_css_class (c, css_class)))
        return c;
      if ((found = find_widget (c, type, css_class)) != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_label_with (GtkWidget  *root,
                 const char *fragment)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (c) && gtk_widget_get_mapped (c) &&
          strstr (gtk_label_get_text (GTK_LABEL (c)), fragment) != NULL)
        return c;
      if ((found = find_label_with (c, fragment)) != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  GtkWidget  *root;
  const char *fragment;
} LabelWait;

static gboolean
label_shown (gpointer data)
{
  LabelWait *w = data;
  return find_label_with (w->root, w->fragment) != NULL;
}

/* Waits for a label (a banner slides in, a count updates after a delay). */
static GtkWidget *
wait_for_label (GtkWidget  *root,
                const char *fragment)
{
  LabelWait w = { root, fragment };

  wait_until (label_shown, &w, 5000);
  return find_label_with (root, fragment);
}

static DensitoWindow *
open_window (const char *path)
{
  DensitoWindow *window = densito_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  densito_window_open_path (window, path);
  wait_until (loaded, window, 20000);
  /* Past the page crossfade, so screenshots show the window at rest. */
  spin (500);
  return window;
}

static void
set_query (DensitoWindow *window,
           const char    *text)
{
  GtkWidget *entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY, NULL);

  g_assert_nonnull (entry);
  /* As a paste over the old text would: never through "" (a search entry
   * reports "" at once, which shows every patient for a moment). */
  if (*text == '\0')
    gtk_editable_delete_text (GTK_EDITABLE (entry), 0, -1);
  else
    {
      int pos = 0;
      gtk_editable_insert_text (GTK_EDITABLE (entry), text, -1, &pos);
      gtk_editable_delete_text (GTK_EDITABLE (entry), g_utf8_strlen (text, -1), -1);
    }
  /* The entry waits search-delay before it reports a change. */
  spin (400);
}

static char *
screenshot_path (const char *name)
{
  const char *dir = g_getenv ("DENSITO_SCREENSHOT_DIR");
  return dir ? g_build_filename (dir, name, NULL) : NULL;
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autofree char *path = screenshot_path (name);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer;
  int w, h;

  if (path == NULL)
    return;
  {
    g_autofree char *dir = g_path_get_dirname (path);
    g_mkdir_with_parents (dir, 0755);
  }
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  if (node == NULL || renderer == NULL)
    return;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  gdk_texture_save_to_png (texture, path);
  g_test_message ("screenshot: %s", path);
}

static void
test_sample (void)
{
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  DensitoWindow *window;
  DensitoTable *table;
  GtkWidget *error_label;
  GtkWidget *count;
  const char *first_image;
  g_autofree char *first_id = NULL;

  g_assert_nonnull (sample);
  window = open_window (sample);
  table = densito_dataset_get_table (densito_window_get_dataset (window));
  g_assert_cmpuint (densito_window_get_n_visible (window), ==, densito_table_get_n_rows (table));
  g_assert_cmpuint (densito_window_get_n_visible (window), ==, 48);
  /* The first patient is selected and its scan is shown. */
  g_assert_cmpstr (densito_window_get_selected_id (window), ==, "10000");
  count = wait_for_label (GTK_WIDGET (window), "48 patients");
  g_assert_nonnull (count);
  g_assert_nonnull (wait_for_label (GTK_WIDGET (window), "synthetic sample"));
  save_screenshot (GTK_WIDGET (window), "window-sample.png");

  /* The next patient's scan was decoded ahead: selecting it shows it at
   * once, before the main loop runs again. */
  spin (800);
  {
    GtkColumnView *cv = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
    GtkSingleSelection *sel = GTK_SINGLE_SELECTION (gtk_column_view_get_model (cv));
    DensitoScanView *view = DENSITO_SCAN_VIEW (find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW, NULL));
    GdkTexture *before = densito_scan_view_get_texture (view);

    g_assert_nonnull (before);
    gtk_single_selection_set_selected (sel, 1);
    g_assert_cmpstr (densito_window_get_selected_id (window), ==, "10001");
    g_assert_nonnull (densito_scan_view_get_texture (view));
    g_assert_true (densito_scan_view_get_texture (view) != before);
    g_assert_cmpstr (densito_window_get_image_name (window), ==, "10001-1.png");
    gtk_single_selection_set_selected (sel, 0);
    spin (300);
  }

  /* A query, as the command line would run it. */
  set_query (window, "sex=M");
  {
    g_autoptr(DensitoQuery) q = densito_query_parse ("sex=M", NULL);
    g_autofree guint *rows = g_new (guint, densito_table_get_n_rows (table));
    guint expected = densito_query_filter (q, table, densito_dataset_get_images (densito_window_get_dataset (window)), rows);
    g_autofree char *text = g_strdup_printf ("%u of 48 patients", expected);

    g_assert_cmpuint (expected, >, 0);
    g_assert_cmpuint (densito_window_get_n_visible (window), ==, expected);
    g_assert_nonnull (wait_for_label (GTK_WIDGET (window), text));
  }
  /* The quick filter reflects the text. */
  {
    GtkWidget *root = GTK_WIDGET (window);
    GtkWidget *dd = find_widget (root, GTK_TYPE_DROP_DOWN, NULL);
    g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (dd)), ==, 2);
  }

  /* A bad term: the error is shown inline, the list keeps the last good filter. */
  {
    guint men = densito_window_get_n_visible (window);

    set_query (window, "sex=M spine_t<=abc");
    g_assert_cmpuint (densito_window_get_n_visible (window), ==, men);
  }
  error_label = wait_for_label (GTK_WIDGET (window), "Term 2");
  g_assert_nonnull (error_label);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (error_label)), "not a number"));
  save_screenshot (GTK_WIDGET (window), "window-query-error.png");

  set_query (window, "");
  g_assert_null (find_label_with (GTK_WIDGET (window), "Term 2"));
  g_assert_cmpuint (densito_window_get_n_visible (window), ==, 48);

  /* Select a patient with two scans and step through them. */
  set_query (window, "images>=2");
  g_assert_cmpuint (densito_window_get_n_visible (window), >, 0);
  first_id = g_strdup (densito_window_get_selected_id (window));
  g_assert_nonnull (first_id);
  spin (500);
  g_assert_nonnull (wait_for_label (GTK_WIDGET (window), "WHO classification"));
  {
    g_autofree char *heading = g_strdup_printf ("Patient %s", first_id);
    g_assert_nonnull (wait_for_label (GTK_WIDGET (window), heading));
  }
  first_image = densito_window_get_image_name (window);
  g_assert_nonnull (first_image);
  {
    g_autofree char *before = g_strdup (first_image);
    gtk_widget_activate_action (GTK_WIDGET (window), "win.next-image", NULL);
    spin (300);
    g_assert_cmpstr (densito_window_get_image_name (window), !=, before);
    gtk_widget_activate_action (GTK_WIDGET (window), "win.previous-image", NULL);
    spin (300);
    g_assert_cmpstr (densito_window_get_image_name (window), ==, before);
  }
  save_screenshot (GTK_WIDGET (window), "window-two-scans.png");

  /* A patient whose hip scan has a sidecar: its ROIs reach the view, shown. */
  set_query (window, "10003");
  spin (600);
  {
    DensitoScanView *view = DENSITO_SCAN_VIEW (find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW, NULL));
    g_assert_true (densito_scan_view_get_show_rois (view));
    g_assert_nonnull (densito_scan_view_get_rois (view));
    g_assert_cmpuint (densito_sidecar_get_n_rois (densito_scan_view_get_rois (view)), ==, 5);
  }
  save_screenshot (GTK_WIDGET (window), "window-hip-rois.png");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_broken_dataset (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  DensitoWindow *window;
  DensitoScanView *view;

  g_free (test_write_file (dir, "osteo.csv",
                           "IDENTIFIER1,SPINE_TSCORE,HIP_TSCORE,SEX,ADJUSTED_AGE,MENOPAUSE_YEAR,label\n"
                           "10001,-2.6,-1.x,F,60-65,2005-2009,osteoporosis\n"
                           "10002,-0.5,0.1,M,65-70,0,Normal\n", -1));
  g_free (test_write_png (dir, "imge/10001-1.png", 200, 240, TRUE));
  g_free (test_write_png (dir, "imge/10002-1.png", 200, 240, FALSE));

  window = open_window (dir);
  g_assert_cmpuint (densito_window_get_n_visible (window), ==, 2);
  /* One bad cell and one truncated image. */
  g_assert_nonnull (wait_for_label (GTK_WIDGET (window), "2 problems found"));

  g_assert_cmpstr (densito_window_get_selected_id (window), ==, "10001");
  view = DENSITO_SCAN_VIEW (find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW, NULL));
  g_assert_nonnull (view);
  g_assert_nonnull (densito_scan_view_get_message_title (view));
  g_assert_nonnull (strstr (densito_scan_view_get_message_title (view), "10001-1.png"));
  save_screenshot (GTK_WIDGET (window), "window-broken.png");

  /* The banner's button lists every problem with its line, column and value. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-problems", NULL);
  spin (500);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    GtkWidget *problems = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);
        if (G_TYPE_CHECK_INSTANCE_TYPE (w, DENSITO_TYPE_PROBLEMS_WINDOW))
          problems = w;
      }
    g_assert_nonnull (problems);
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (problems)), ==, "2 Problems");
    g_assert_nonnull (wait_for_label (problems, "“-1.x” is not a number"));
    g_assert_nonnull (wait_for_label (problems, "HIP_TSCORE"));
    g_assert_nonnull (wait_for_label (problems, "IEND"));
    save_screenshot (problems, "problems.png");
    gtk_window_destroy (GTK_WINDOW (problems));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);

  app = densito_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);

  g_test_add_func ("/window/sample", test_sample);
  g_test_add_func ("/window/broken-dataset", test_broken_dataset);

  ret = g_test_run ();
  g_clear_object (&app);
  return ret;
}
