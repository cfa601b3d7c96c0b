/* test-export-dialog.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Drives the Export dialog under Xvfb: opened through app.export over the
 * window's query, it exports into a new folder (checked on disk) and opens
 * it, is cancelled half way (nothing left under either name), closed while
 * running, refuses a folder that is not empty (nothing written), leaves
 * out the annotations or the images as switched (the summary follows), and
 * saves an anonymised export's ID mapping where chosen, never inside it.
 *
 * Open Folder goes through GIO's default application for folders: main()
 * points XDG_DATA_HOME and XDG_CONFIG_HOME at a temporary folder whose
 * default for inode/directory is a script that appends the URI it is given
 * to a file. Save Mapping… uses GtkFileChooserNative, which outside a
 * sandbox shows a GtkFileChooserDialog in this process: the test finds it,
 * sets the file and answers it, as a user would.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>
#include <sys/stat.h>

#include "densito-application.h"
#include "densito-export.h"
#include "densito-export-dialog.h"
#include "densito-query.h"
#include "densito-window.h"
#include "test-util.h"
#include "ui-util.h"

#define spin ui_spin
#define find_widget(root, type) ui_find_widget (root, type, NULL, FALSE)
#define save_screenshot(widget, name) ui_save_screenshot (widget, name)

static DensitoApplication *app;
static char *handler_dir;   /* the folder handler's home, see main() */
static char *opened_log;    /* the URIs it was given, one a line */

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
  return !densito_window_is_loading (window) && densito_window_get_dataset (window) != NULL &&
         densito_dataset_get_annotations_read (densito_window_get_dataset (window));
}

static gboolean
summary_ready (gpointer data)
{
  return densito_export_dialog_is_summary_ready (data);
}

static gboolean
not_running (gpointer data)
{
  return densito_export_dialog_get_state (data) != DENSITO_EXPORT_DIALOG_RUNNING;
}

/* The n-th switch (from 1) in the order the dialog shows them. */
static GtkWidget *
find_nth_switch (GtkWidget *root,
                 guint      n)
{
  guint seen = 0;
  GtkWidget *w = root;

  /* Depth first, in widget order. */
  while (w != NULL)
    {
      if (GTK_IS_SWITCH (w) && ++seen == n)
        return w;
      if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != root && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = w == root ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  return NULL;
}

static void
painted_cb (GdkFrameClock *clock,
            gboolean      *painted)
{
  *painted = TRUE;
}

/* Until the next frame is painted, so that a screenshot shows the state
 * just set (a growing dialog is laid out again first). */
static void
wait_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (painted_cb), &painted);
  gint64 end = g_get_monotonic_time () + 500 * 1000;

  gtk_widget_queue_draw (widget);
  while (!painted && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_signal_handler_disconnect (clock, id);
}

static DensitoWindow *
open_window (const char *path)
{
  DensitoWindow *window = densito_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  densito_window_open_path (window, path);
  wait_until (loaded, window, 20000);
  spin (300);
  return window;
}

/* As a paste over the old text would (see test-window.c). */
static void
set_query (DensitoWindow *window,
           const char    *text)
{
  GtkWidget *entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
  int pos = 0;

  g_assert_nonnull (entry);
  gtk_editable_insert_text (GTK_EDITABLE (entry), text, -1, &pos);
  gtk_editable_delete_text (GTK_EDITABLE (entry), g_utf8_strlen (text, -1), -1);
  spin (400);
  g_assert_cmpstr (densito_window_get_query_text (window), ==, text);
}

/* Opens the dialog as Ctrl+E does and waits for its summary. */
static DensitoExportDialog *
open_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  DensitoExportDialog *dialog = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "export", NULL);
  spin (200);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);
      if (DENSITO_IS_EXPORT_DIALOG (w))
        dialog = DENSITO_EXPORT_DIALOG (w);
    }
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  wait_until (summary_ready, dialog, 10000);
  return dialog;
}

/* The summary line for what the core counts: LC_ALL=C.UTF-8, no digit grouping. */
static char *
expected_summary_for (DensitoDataset     *dataset,
                      const char         *query_text,
                      DensitoExportFlags  flags)
{
  g_autoptr(DensitoQuery) query = densito_query_parse (query_text, NULL);
  DensitoExportSummary s;
  g_autofree char *patients = NULL;

  g_assert_nonnull (query);
  densito_export_summarize (dataset, query, flags, &s);
  patients = g_strdup_printf ("%u %s", s.patients, s.patients == 1 ? "patient" : "patients");
  if (flags & DENSITO_EXPORT_NO_IMAGES)
    return g_strdup_printf ("%s, no images", patients);
  if (flags & DENSITO_EXPORT_NO_ANNOTATIONS)
    return g_strdup_printf ("%s, %u %s, no annotations", patients, s.images, s.images == 1 ? "image" : "images");
  return g_strdup_printf ("%s, %u %s, %u annotated", patients, s.images, s.images == 1 ? "image" : "images",
                          s.annotated);
}

static char *
expected_summary (DensitoDataset *dataset,
                  const char     *query_text)
{
  return expected_summary_for (dataset, query_text, DENSITO_EXPORT_DEFAULT);
}

static gboolean
exists (const char *path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
file_has_text (gpointer data)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (data, &text, NULL, NULL) && strchr (text, '\n') != NULL;
}

static void
test_export (void)
{
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *partial = g_strconcat (target, ".partial", NULL);
  g_autofree char *csv = g_build_filename (target, "patients.csv", NULL);
  g_autofree char *manifest = g_build_filename (target, "manifest.json", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(DensitoDataset) exported = NULL;
  g_autoptr(GError) error = NULL;
  DensitoWindow *window;
  DensitoExportDialog *dialog;
  const char *suggested;
  guint visible;

  g_assert_nonnull (sample);
  window = open_window (sample);
  set_query (window, "sex=F");
  visible = densito_window_get_n_visible (window);
  g_assert_cmpuint (visible, >, 0);
  g_assert_cmpuint (visible, <, 48);

  dialog = open_dialog ();
  /* The summary is the core's count for the window's query. */
  expected = expected_summary (densito_window_get_dataset (window), "sex=F");
  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==, expected);
  {
    g_autofree char *prefix = g_strdup_printf ("%u patients,", visible);
    g_assert_true (g_str_has_prefix (expected, prefix));
  }
  /* The suggested folder does not exist yet. */
  suggested = densito_export_dialog_get_target (dialog);
  g_assert_nonnull (suggested);
  g_assert_false (exists (suggested));
  g_assert_nonnull (strstr (suggested, "densito-export-"));
  /* Nothing to open before the export: Open Folder's action is off. */
  g_assert_false (gtk_widget_get_sensitive (ui_find_action_button (GTK_WIDGET (dialog), "export.open-folder")));
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-idle.png");

  densito_export_dialog_set_target (dialog, target);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_RUNNING);
  wait_until (not_running, dialog, 30000);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_DONE);
  spin (200);
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-done.png");
  g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), target));

  /* On disk: the folder under its final name, the CSV with the window's
   * patients, the manifest, and no .partial. */
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  g_assert_false (exists (partial));
  g_assert_true (exists (manifest));
  exported = densito_dataset_open (csv, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (densito_table_get_n_rows (densito_dataset_get_table (exported)), ==, visible);
  {
    g_autoptr(DensitoQuery) men = densito_query_parse ("sex=M", NULL);
    g_autofree guint *rows = g_new (guint, visible);
    DensitoTable *table = densito_dataset_get_table (exported);

    /* Only the query's patients went out. */
    g_assert_cmpuint (densito_query_filter (men, table, NULL, rows), ==, 0);
  }

  /* Open Folder shows the finished folder, not the .partial one. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (target);
    GtkWidget *open = ui_find_action_button (GTK_WIDGET (dialog), "export.open-folder");

    g_assert_nonnull (open);
    g_assert_true (gtk_widget_get_mapped (open));
    g_assert_true (gtk_widget_is_sensitive (open));
    g_assert_false (exists (opened_log));
    gtk_widget_activate (open);
    wait_until (file_has_text, opened_log, 20000);
    {
      g_autofree char *opened = NULL;
      g_autoptr(GFile) opened_file = NULL;

      /* One line: a URI or a path (GIO gives %u a path for a local file). */
      g_assert_true (g_file_get_contents (opened_log, &opened, NULL, NULL));
      g_assert_true (g_str_has_suffix (opened, "\n"));
      g_assert_true (strchr (opened, '\n') == opened + strlen (opened) - 1);
      opened[strlen (opened) - 1] = '\0';
      opened_file = g_file_new_for_commandline_arg (opened);
      g_assert_true (g_file_equal (opened_file, file));
    }
    g_unlink (opened_log);
  }

  /* Exporting is over: Close and Open Folder, no second Export. */
  g_assert_false (gtk_widget_is_sensitive (find_widget (GTK_WIDGET (dialog), GTK_TYPE_SWITCH)));
  gtk_window_close (GTK_WINDOW (dialog));
  spin (100);
  gtk_window_destroy (GTK_WINDOW (window));
  test_remove_tree (dir);
}

/* A PNG the image index accepts, padded to @size bytes with a private
 * chunk, so that copying takes long enough to cancel half way. */
static void
write_big_png (const char *dir,
               const char *name,
               gsize       size)
{
  g_autofree char *small = test_write_png (dir, name, 300, 300, FALSE);
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GByteArray) a = g_byte_array_new ();
  guint32 pad = (guint32)(size - 200);
  guint8 be[4] = { pad >> 24, pad >> 16, pad >> 8, pad };
  g_autofree guint8 *zeros = g_malloc0 (pad + 4);

  g_assert_true (g_file_get_contents (small, &data, &len, NULL));
  g_byte_array_append (a, (const guint8 *)data, 33);              /* signature, IHDR */
  g_byte_array_append (a, be, 4);
  g_byte_array_append (a, (const guint8 *)"prVt", 4);
  g_byte_array_append (a, zeros, pad + 4);                         /* data, CRC unchecked */
  g_byte_array_append (a, (const guint8 *)data + 33, (guint)(len - 33));  /* IDAT, IEND */
  g_assert_true (g_file_set_contents (small, (const char *)a->data, (gssize)a->len, NULL));
}

static char *
make_big_dataset (guint n_patients,
                  gsize image_size)
{
  char *dir = test_make_tmpdir ();
  g_autoptr(GString) csv = g_string_new ("IDENTIFIER1,SPINE_TSCORE,HIP_TSCORE,SEX,ADJUSTED_AGE,MENOPAUSE_YEAR\n");

  for (guint i = 0; i < n_patients; i++)
    {
      g_autofree char *name = g_strdup_printf ("imge/%u-1.png", 20000 + i);

      g_string_append_printf (csv, "%u,-2.%u,-1.%u,F,60-65,2005-2009\n", 20000 + i, i % 10, i % 7);
      write_big_png (dir, name, image_size);
    }
  g_free (test_write_file (dir, "osteo.csv", csv->str, (gssize)csv->len));
  return dir;
}

typedef struct
{
  DensitoExportDialog *dialog;
  GtkProgressBar      *bar;
} ProgressWait;

static gboolean
progress_shown (gpointer data)
{
  ProgressWait *w = data;
  return densito_export_dialog_get_state (w->dialog) != DENSITO_EXPORT_DIALOG_RUNNING ||
         gtk_progress_bar_get_fraction (w->bar) > 0.15;
}

static void
test_cancel (void)
{
  g_autofree char *data = make_big_dataset (24, 4 << 20);
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *partial = g_strconcat (target, ".partial", NULL);
  DensitoWindow *window = open_window (data);
  DensitoExportDialog *dialog = open_dialog ();
  GtkSwitch *links;
  ProgressWait pw = { dialog, NULL };

  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==,
                   "24 patients, 24 images, 0 annotated");
  /* Copies, not hard links, so that the export takes a while. The second
   * switch is Hard Links (Images, Hard Links, Annotations, COCO, Anonymise). */
  links = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 2));
  g_assert_nonnull (links);
  g_assert_true (gtk_switch_get_active (links));
  gtk_switch_set_active (links, FALSE);
  wait_until (summary_ready, dialog, 10000);

  /* Cancelled at once: nothing under either name, the options open again. */
  densito_export_dialog_set_target (dialog, target);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_RUNNING);
  /* The options cannot change under a running export. */
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (links)));
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.cancel", NULL);
  wait_until (not_running, dialog, 20000);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_FAILED);
  g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), "Nothing was exported"));
  g_assert_false (exists (target));
  g_assert_false (exists (partial));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (links)));
  spin (200);
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-cancelled.png");

  /* Cancelled half way, once the progress bar has moved. How far it gets
   * before the main loop sees it depends on the machine: the export may
   * also finish first, and then it must be complete. */
  {
    g_autofree char *second = g_build_filename (dir, "second", NULL);
    g_autofree char *second_partial = g_strconcat (second, ".partial", NULL);
    g_autofree char *manifest = g_build_filename (second, "manifest.json", NULL);

    densito_export_dialog_set_target (dialog, second);
    pw.bar = GTK_PROGRESS_BAR (find_widget (GTK_WIDGET (dialog), GTK_TYPE_PROGRESS_BAR));
    gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
    wait_until (progress_shown, &pw, 20000);
    if (densito_export_dialog_get_state (dialog) == DENSITO_EXPORT_DIALOG_RUNNING)
      {
        wait_frame (GTK_WIDGET (dialog));
        save_screenshot (GTK_WIDGET (dialog), "export-running.png");
        gtk_widget_activate_action (GTK_WIDGET (dialog), "export.cancel", NULL);
      }
    else
      g_test_message ("the export finished before the progress bar was seen");
    wait_until (not_running, dialog, 20000);
    g_assert_false (exists (second_partial));
    if (densito_export_dialog_get_state (dialog) == DENSITO_EXPORT_DIALOG_DONE)
      g_assert_true (exists (manifest));
    else
      {
        g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_FAILED);
        g_assert_false (exists (second));
      }
    if (densito_export_dialog_get_state (dialog) == DENSITO_EXPORT_DIALOG_DONE)
      {
        /* Start over in a fresh dialog for the last part. */
        gtk_window_destroy (GTK_WINDOW (dialog));
        dialog = open_dialog ();
        links = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 2));
        gtk_switch_set_active (links, FALSE);
        wait_until (summary_ready, dialog, 10000);
        densito_export_dialog_set_target (dialog, target);
      }
  }

  /* Closing the dialog while it runs cancels the export, and the dialog
   * goes once the .partial folder is gone. */
  {
    GtkWidget *weak = GTK_WIDGET (dialog);

    g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&weak);
    densito_export_dialog_set_target (dialog, target);
    gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
    g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_RUNNING);
    gtk_window_close (GTK_WINDOW (dialog));
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
    for (gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
         weak != NULL && g_get_monotonic_time () < end;)
      g_main_context_iteration (NULL, FALSE);
    g_assert_null (weak);
    g_assert_false (exists (target));
    g_assert_false (exists (partial));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  test_remove_tree (dir);
  test_remove_tree (data);
}

static void
test_target_not_empty (void)
{
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "busy", NULL);
  g_autofree char *partial = g_strconcat (target, ".partial", NULL);
  g_autofree char *keep = NULL;
  DensitoWindow *window;
  DensitoExportDialog *dialog;

  g_free (test_write_file (target, "keep.txt", "mine\n", -1));
  keep = g_build_filename (target, "keep.txt", NULL);
  window = open_window (sample);
  dialog = open_dialog ();
  densito_export_dialog_set_target (dialog, target);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  wait_until (not_running, dialog, 20000);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_FAILED);
  /* The core's reason, in the dialog. */
  g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), "already exists and is not an empty folder"));
  spin (100);
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-error.png");

  /* Nothing written: the folder holds only what it held, no .partial. */
  {
    g_autoptr(GDir) d = g_dir_open (target, 0, NULL);
    g_assert_cmpstr (g_dir_read_name (d), ==, "keep.txt");
    g_assert_null (g_dir_read_name (d));
  }
  g_assert_false (exists (partial));

  /* A query that matches nobody: nothing to export, Export disabled. */
  gtk_window_destroy (GTK_WINDOW (dialog));
  set_query (window, "99999999");
  g_assert_cmpuint (densito_window_get_n_visible (window), ==, 0);
  dialog = open_dialog ();
  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==,
                   "No patients to export: the query matches none");
  g_assert_false (gtk_widget_get_sensitive (ui_find_action_button (GTK_WIDGET (dialog), "export.start")));
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_IDLE);
  gtk_window_destroy (GTK_WINDOW (dialog));
  set_query (window, "sex=F");
  dialog = open_dialog ();

  /* Another folder clears the error and exports. */
  {
    g_autofree char *fresh = g_build_filename (dir, "fresh", NULL);

    densito_export_dialog_set_target (dialog, fresh);
    gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
    wait_until (not_running, dialog, 20000);
    g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_DONE);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  test_remove_tree (dir);
}

/* An existing empty folder (as a folder just made in the chooser, or a
 * USB stick) is written into and keeps its permissions; an annotation
 * file that cannot be read is said in the done notice. */
static void
test_empty_folder_unreadable (void)
{
  g_autofree char *data = make_big_dataset (3, 4096);
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "mine", NULL);
  g_autofree char *broken = test_write_file (data, "imge/20001-1.json", "{ \"shapes\": [ not json", -1);
  g_autofree char *sidecar_out = g_build_filename (target, "images", "20001-1.json", NULL);
  g_autofree char *image_out = g_build_filename (target, "images", "20001-1.png", NULL);
  DensitoWindow *window;
  DensitoExportDialog *dialog;
  GStatBuf st;

  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);
  window = open_window (data);
  dialog = open_dialog ();
  densito_export_dialog_set_target (dialog, target);
  /* the row says what will happen to it */
  {
    GtkWidget *title = ui_find_label (GTK_WIDGET (dialog), "Empty Folder");

    g_assert_nonnull (title);
  }
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  wait_until (not_running, dialog, 20000);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_DONE);
  g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog),
                            "1 annotation file could not be read and was left out"));
  g_assert_true (exists (image_out));
  g_assert_false (exists (sidecar_out));
  g_assert_cmpint (g_stat (target, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0700);
  spin (100);
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-done-unreadable.png");

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  test_remove_tree (dir);
  test_remove_tree (data);
}

/* Images and annotations are switched separately; the summary follows,
 * and so does what is written. */
static void
test_include (void)
{
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "bare", NULL);
  g_autofree char *images_dir = g_build_filename (target, "images", NULL);
  g_autofree char *manifest = g_build_filename (target, "manifest.json", NULL);
  g_autofree char *coco_file = g_build_filename (target, "annotations.coco.json", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  DensitoWindow *window = open_window (sample);
  DensitoDataset *dataset = densito_window_get_dataset (window);
  DensitoExportDialog *dialog;
  GtkSwitch *images, *annotations, *coco;
  DensitoExportSummary s;
  guint n_png = 0;

  set_query (window, "sex=F");
  densito_export_summarize (dataset, NULL, DENSITO_EXPORT_DEFAULT, &s);
  g_assert_cmpuint (s.annotated, >, 0);
  dialog = open_dialog ();
  /* Images, Hard Links, Annotations, COCO, Anonymise */
  images = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 1));
  annotations = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 3));
  coco = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 4));
  g_assert_true (gtk_switch_get_active (images));
  g_assert_true (gtk_switch_get_active (annotations));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (coco)));
  expected = expected_summary (dataset, "sex=F");
  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==, expected);

  /* Without the annotations: the images only, and no COCO to make. */
  gtk_switch_set_active (annotations, FALSE);
  wait_until (summary_ready, dialog, 10000);
  g_free (expected);
  expected = expected_summary_for (dataset, "sex=F", DENSITO_EXPORT_NO_ANNOTATIONS);
  g_assert_true (g_str_has_suffix (expected, ", no annotations"));
  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==, expected);
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (coco)));
  gtk_switch_set_active (coco, TRUE);   /* an insensitive switch set anyway */
  wait_until (summary_ready, dialog, 10000);
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-no-annotations.png");

  densito_export_dialog_set_target (dialog, target);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  wait_until (not_running, dialog, 30000);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_DONE);
  g_assert_true (g_str_has_prefix (densito_export_dialog_get_message (dialog), expected));
  {
    g_autoptr(GDir) d = g_dir_open (images_dir, 0, NULL);
    const char *name;

    g_assert_nonnull (d);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_false (g_str_has_suffix (name, ".json"));
        n_png += g_str_has_suffix (name, ".png");
      }
  }
  g_assert_cmpuint (n_png, >, 0);
  g_assert_false (exists (coco_file));
  g_assert_true (g_file_get_contents (manifest, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"annotations\" : false"));
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Without the images: no annotations either, and the summary says so. */
  dialog = open_dialog ();
  images = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 1));
  annotations = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 3));
  gtk_switch_set_active (images, FALSE);
  wait_until (summary_ready, dialog, 10000);
  g_free (expected);
  expected = expected_summary_for (dataset, "sex=F", DENSITO_EXPORT_NO_IMAGES);
  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==, expected);
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (annotations)));
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-no-images.png");

  /* Back on: the full count again. */
  gtk_switch_set_active (images, TRUE);
  wait_until (summary_ready, dialog, 10000);
  g_free (expected);
  expected = expected_summary (dataset, "sex=F");
  g_assert_cmpstr (densito_export_dialog_get_summary_text (dialog), ==, expected);

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  test_remove_tree (dir);
}

static guint
count_dialogs (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);
      if (DENSITO_IS_EXPORT_DIALOG (w) && gtk_widget_get_visible (w))
        n++;
    }
  return n;
}

static GtkWidget *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_FILE_CHOOSER_DIALOG (w) && gtk_widget_get_visible (w))
        return w;
    }
  return NULL;
}

static gboolean
chooser_shown (gpointer data)
{
  return find_file_chooser () != NULL;
}

typedef struct
{
  DensitoExportDialog *dialog;
  char                *before;   /* the message before Save Mapping… */
} MappingWait;

/* A new answer about the mapping, saved or not. */
static gboolean
mapping_answered (gpointer data)
{
  MappingWait *w = data;
  const char *message = densito_export_dialog_get_message (w->dialog);

  return message != NULL && g_strcmp0 (message, w->before) != 0 &&
         strstr (message, "ID mapping was") != NULL;
}

/* Clicks Save Mapping…, and in the file chooser it opens picks @path and
 * answers Save, as a user would; then waits for the dialog's answer. */
static void
save_mapping (DensitoExportDialog *dialog,
              const char          *path)
{
  MappingWait wait = { dialog, g_strdup (densito_export_dialog_get_message (dialog)) };
  GtkWidget *button = ui_find_action_button (GTK_WIDGET (dialog), "export.save-mapping");
  GtkWidget *chooser;

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  gtk_widget_activate (button);
  wait_until (chooser_shown, NULL, 10000);
  chooser = find_file_chooser ();
  /* Offered beside the export, under the export's name. */
  {
    g_autofree char *name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
    g_assert_true (g_str_has_suffix (name, "-id-mapping.csv"));
  }
  /* One chooser at a time: Save Mapping… waits for this one. */
  g_assert_false (gtk_widget_is_sensitive (button));
  /* A full path typed into the name field: gtk_file_chooser_set_file()
   * did not take in this dialog under the test (it stayed in /tmp). */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), path);
  spin (200);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  wait_until (mapping_answered, &wait, 20000);
  g_free (wait.before);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    n++;
  return n;
}

/* Anonymised: new IDs in patients.csv, the mapping offered separately and
 * not written into the export; Ctrl+E again does not open a second dialog. */
static void
test_anonymize (void)
{
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "anon", NULL);
  g_autofree char *csv_path = g_build_filename (target, "patients.csv", NULL);
  g_autofree char *csv = NULL;
  DensitoWindow *window = open_window (sample);
  DensitoExportDialog *dialog;
  GtkSwitch *anonymize;
  GtkWidget *mapping_button = NULL;

  set_query (window, "class=osteoporosis");
  dialog = open_dialog ();
  g_action_group_activate_action (G_ACTION_GROUP (app), "export", NULL);
  spin (100);
  g_assert_cmpuint (count_dialogs (), ==, 1);

  anonymize = GTK_SWITCH (find_nth_switch (GTK_WIDGET (dialog), 5));
  g_assert_false (gtk_switch_get_active (anonymize));
  gtk_switch_set_active (anonymize, TRUE);
  wait_until (summary_ready, dialog, 10000);
  densito_export_dialog_set_target (dialog, target);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  wait_until (not_running, dialog, 30000);
  g_assert_cmpint (densito_export_dialog_get_state (dialog), ==, DENSITO_EXPORT_DIALOG_DONE);
  g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), "ID mapping is not in the export"));
  spin (200);
  wait_frame (GTK_WIDGET (dialog));
  save_screenshot (GTK_WIDGET (dialog), "export-done-anonymised.png");

  /* The Save Mapping… button is shown and can act. */
  mapping_button = ui_find_action_button (GTK_WIDGET (dialog), "export.save-mapping");
  g_assert_nonnull (mapping_button);
  g_assert_true (gtk_widget_get_mapped (mapping_button));
  g_assert_true (gtk_widget_is_sensitive (mapping_button));

  /* New IDs only: no original ID of the sample (100xx) in the table. */
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_nonnull (strstr (csv, "\nP00001"));
  g_assert_null (strstr (csv, "\n100"));

  /* Save Mapping… into the export is refused, and nothing is written. */
  {
    g_autofree char *inside = g_build_filename (target, "ids.csv", NULL);

    save_mapping (dialog, inside);
    g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), "was not saved"));
    g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), "inside the anonymised export"));
    g_assert_false (exists (inside));
    spin (100);
    wait_frame (GTK_WIDGET (dialog));
    save_screenshot (GTK_WIDGET (dialog), "export-mapping-refused.png");
  }

  /* ...and beside it, it is saved where chosen, for the owner only, with
   * every new ID of patients.csv against an original one. */
  {
    g_autofree char *outside = g_build_filename (dir, "ids.csv", NULL);
    g_autofree char *mapping = NULL;
    g_auto(GStrv) lines = NULL;
    GStatBuf st;

    save_mapping (dialog, outside);
    g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), "was saved to"));
    g_assert_nonnull (strstr (densito_export_dialog_get_message (dialog), outside));
    g_assert_true (g_file_get_contents (outside, &mapping, NULL, NULL));
    g_assert_cmpint (g_stat (outside, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    lines = g_strsplit (mapping, "\n", -1);
    g_assert_cmpstr (lines[0], ==, "ORIGINAL_ID,EXPORT_ID");
    /* header, one line per patient, the empty string after the last \n */
    g_assert_cmpuint (g_strv_length (lines), ==, count_lines (csv) + 1);
    for (guint i = 1; lines[i][0] != '\0'; i++)
      {
        const char *comma = strchr (lines[i], ',');
        g_autofree char *row = NULL;

        g_assert_nonnull (comma);
        g_assert_true (g_str_has_prefix (lines[i], "100"));
        row = g_strconcat ("\n", comma + 1, ",", NULL);
        g_assert_nonnull (strstr (csv, row));
      }
    spin (100);
    wait_frame (GTK_WIDGET (dialog));
    save_screenshot (GTK_WIDGET (dialog), "export-mapping-saved.png");
  }

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  g_assert_cmpuint (count_dialogs (), ==, 0);
  test_remove_tree (dir);
}

/* Before GIO reads any application list: see the top of this file. */
static void
install_folder_handler (void)
{
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  g_autofree char *script = NULL;
  g_autofree char *script_text = NULL;
  g_autofree char *desktop = NULL;

  handler_dir = test_make_tmpdir ();
  data = g_build_filename (handler_dir, "data", NULL);
  config = g_build_filename (handler_dir, "config", NULL);
  opened_log = g_build_filename (handler_dir, "opened.txt", NULL);
  script_text = g_strdup_printf ("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", opened_log);
  script = test_write_file (handler_dir, "record-uri", script_text, -1);
  g_assert_cmpint (g_chmod (script, 0755), ==, 0);
  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Record URI\nExec=%s %%u\n"
                             "MimeType=inode/directory;\nNoDisplay=true\n", script);
  g_free (test_write_file (data, "applications/densito-test-open.desktop", desktop, -1));
  g_free (test_write_file (config, "mimeapps.list",
                           "[Default Applications]\ninode/directory=densito-test-open.desktop\n", -1));
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  install_folder_handler ();
  gtk_test_init (&argc, &argv, NULL);

  app = densito_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);

  g_test_add_func ("/export-dialog/export", test_export);
  g_test_add_func ("/export-dialog/cancel", test_cancel);
  g_test_add_func ("/export-dialog/target-not-empty", test_target_not_empty);
  g_test_add_func ("/export-dialog/empty-folder-unreadable", test_empty_folder_unreadable);
  g_test_add_func ("/export-dialog/anonymize", test_anonymize);
  g_test_add_func ("/export-dialog/include", test_include);

  ret = g_test_run ();
  g_clear_object (&app);
  test_remove_tree (handler_dir);
  g_free (handler_dir);
  g_free (opened_log);
  return ret;
}
