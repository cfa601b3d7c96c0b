/* densito-export-dialog.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Export dialog: the query the window shows, a new target folder, what
 * to include, and a live summary; then densito_export_async() with a
 * progress bar and a cancel button, and a notice with Open Folder (and
 * Save Mapping… for an anonymised export) when done.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "densito-application.h"
#include "densito-export.h"
#include "densito-export-dialog.h"
#include "densito-query.h"

struct _DensitoExportDialog
{
  GtkWindow                 parent_instance;

  GtkLabel                 *summary_label;
  GtkLabel                 *pii_label;
  GtkWidget                *options_box;
  GtkLabel                 *query_label;
  GtkWidget                *folder_button;
  GtkLabel                 *folder_title;
  GtkLabel                 *folder_subtitle;
  GtkListBoxRow            *folder_row;
  GtkSwitch                *images_switch;
  GtkSwitch                *links_switch;
  GtkSwitch                *annotations_switch;
  GtkSwitch                *coco_switch;
  GtkSwitch                *anonymize_switch;
  GtkListBoxRow            *images_row;
  GtkListBoxRow            *links_row;
  GtkListBoxRow            *annotations_row;
  GtkListBoxRow            *coco_row;
  GtkListBoxRow            *anonymize_row;
  GtkWidget                *cancel_button;
  GtkWidget                *export_button;
  GtkStack                 *status_stack;
  GtkProgressBar           *progress_bar;
  GtkLabel                 *progress_label;
  GtkLabel                 *done_label;
  GtkWidget                *mapping_button;
  GtkWidget                *close_button;
  GtkWidget                *stop_button;
  GtkLabel                 *error_title;
  GtkLabel                 *error_label;

  DensitoDataset           *dataset;
  char                     *query_text;   /* "" for every patient */
  char                     *target;
  DensitoExportDialogState  state;
  DensitoExportResult      *result;
  char                     *message;      /* the last error or notice */

  GCancellable             *summary_cancellable;
  gboolean                  summary_ready;
  guint                     n_patients;     /* in the last summary */
  guint                     annotations_poll;

  GCancellable             *export_cancellable;
  gboolean                  close_when_done;
  GApplication             *held_app;       /* held while an export runs */
  gboolean                  disposed;       /* callbacks that come later touch nothing */
  GtkNativeDialog          *chooser;

  /* Written by the export's worker thread, read by one idle callback. */
  GMutex                    progress_mutex;
  DensitoExportProgress     progress;
  gboolean                  progress_pending;
  gboolean                  flushing;       /* the running export waits for the disk */
};

G_DEFINE_FINAL_TYPE (DensitoExportDialog, densito_export_dialog, GTK_TYPE_WINDOW)

static void update_summary (DensitoExportDialog *self);

/* Helpers */

static DensitoExportFlags
get_flags (DensitoExportDialog *self)
{
  DensitoExportFlags flags = DENSITO_EXPORT_DEFAULT;

  if (!gtk_switch_get_active (self->images_switch))
    flags |= DENSITO_EXPORT_NO_IMAGES;
  else
    {
      if (!gtk_switch_get_active (self->links_switch))
        flags |= DENSITO_EXPORT_COPY;
      /* COCO is made from the annotations. */
      if (!gtk_switch_get_active (self->annotations_switch))
        flags |= DENSITO_EXPORT_NO_ANNOTATIONS;
      else if (gtk_switch_get_active (self->coco_switch))
        flags |= DENSITO_EXPORT_COCO;
    }
  if (gtk_switch_get_active (self->anonymize_switch))
    flags |= DENSITO_EXPORT_ANONYMIZE;
  return flags;
}

static gboolean
has_images (DensitoExportDialog *self)
{
  DensitoImageIndex *index = densito_dataset_get_images (self->dataset);

  return index != NULL && densito_image_index_get_n_images (index) > 0;
}

/* ~/densito-export-2026-11-30, or -2, -3... when that exists. */
static char *
suggest_target (const char *parent)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *base = g_strdup_printf ("densito-export-%s", date);

  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup (base) : g_strdup_printf ("%s-%u", base, n);
      g_autofree char *path = g_build_filename (parent, name, NULL);
      g_autofree char *partial = g_strconcat (path, ".partial", NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (partial, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&path);
    }
  return g_build_filename (parent, base, NULL);
}

static gboolean
is_empty_folder (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) == NULL;
}

static void
update_sensitivity (DensitoExportDialog *self)
{
  gboolean idle = self->state == DENSITO_EXPORT_DIALOG_IDLE ||
                  self->state == DENSITO_EXPORT_DIALOG_FAILED;
  gboolean images = gtk_switch_get_active (self->images_switch);
  gboolean annotations = images && gtk_switch_get_active (self->annotations_switch);

  gtk_widget_set_sensitive (self->options_box, idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->images_row), has_images (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->links_row), images);
  gtk_widget_set_sensitive (GTK_WIDGET (self->annotations_row), images);
  gtk_widget_set_sensitive (GTK_WIDGET (self->coco_row), annotations);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.start",
                                 idle && self->summary_ready && self->n_patients > 0 &&
                                 self->target != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.cancel",
                                 self->state == DENSITO_EXPORT_DIALOG_RUNNING && !self->flushing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.choose-folder", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.open-folder",
                                 self->state == DENSITO_EXPORT_DIALOG_DONE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.save-mapping",
                                 self->state == DENSITO_EXPORT_DIALOG_DONE &&
                                 self->result != NULL && self->chooser == NULL &&
                                 densito_export_result_get_n_files (self->result) > 0);

  /* One way out at a time: Cancel before and during, Close after. */
  gtk_widget_set_visible (self->cancel_button, self->state != DENSITO_EXPORT_DIALOG_DONE &&
                                               self->state != DENSITO_EXPORT_DIALOG_RUNNING);
  gtk_widget_set_visible (self->export_button, self->state != DENSITO_EXPORT_DIALOG_DONE);
}

static void
set_target (DensitoExportDialog *self,
            const char          *path)
{
  g_autofree char *display = NULL;

  g_free (self->target);
  self->target = path ? g_canonicalize_filename (path, NULL) : NULL;
  display = self->target ? g_filename_display_name (self->target) : g_strdup ("");
  gtk_label_set_text (self->folder_subtitle, display);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->folder_subtitle), display);
  /* an empty folder chosen in the chooser is written into, not made */
  gtk_label_set_text (self->folder_title, self->target && g_file_test (self->target, G_FILE_TEST_IS_DIR)
                                          ? _("Empty Folder") : _("New Folder"));
  update_sensitivity (self);
}

static void
show_status (DensitoExportDialog *self,
             const char          *page)
{
  gtk_widget_set_visible (GTK_WIDGET (self->status_stack), page != NULL);
  if (page != NULL)
    gtk_stack_set_visible_child_name (self->status_stack, page);
}

static void
show_error (DensitoExportDialog *self,
            const char          *title,
            const char          *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
  gtk_label_set_text (self->error_title, title);
  gtk_label_set_text (self->error_label, message);
  show_status (self, "error");
  /* Screen readers hear the reason without hunting for it. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
}

/* Under the finished export's summary, in place of the last notice. */
static void
show_notice (DensitoExportDialog *self,
             const char          *text)
{
  g_free (self->message);
  self->message = g_strdup (text);
  gtk_label_set_text (self->done_label, text);
  update_sensitivity (self);
}

/* "312 patients, 347 images, 290 annotated", as far as @flags include them */
static char *
format_summary (const DensitoExportSummary *s,
                DensitoExportFlags          flags)
{
  g_autofree char *patients = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u patient", "%'u patients", s->patients),
                                               s->patients);
  g_autofree char *n_images = NULL;
  g_autofree char *annotated = NULL;

  if (flags & DENSITO_EXPORT_NO_IMAGES)
    /* Translators: "312 patients, no images" */
    return g_strdup_printf (_("%s, no images"), patients);
  n_images = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u image", "%'u images", s->images), s->images);
  if (flags & DENSITO_EXPORT_NO_ANNOTATIONS)
    /* Translators: patients, images: "312 patients, 347 images, no annotations" */
    return g_strdup_printf (_("%s, %s, no annotations"), patients, n_images);
  annotated = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u annotated", "%'u annotated", s->annotated), s->annotated);
  /* Translators: patients, images, annotated images: "312 patients, 347 images, 290 annotated" */
  return g_strdup_printf (_("%s, %s, %s"), patients, n_images, annotated);
}

static char *
format_pii (const DensitoExportSummary *s)
{
  GString *out = g_string_new (NULL);

  if (s->pii_renamed > 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%'u image named like a national ID number gets a new name.",
                                           "%'u images named like a national ID number get a new name.",
                                           s->pii_renamed), s->pii_renamed);
  if (s->pii_left_out > 0)
    {
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%'u image named like a national ID number is left out.",
                                             "%'u images named like a national ID number are left out.",
                                             s->pii_left_out), s->pii_left_out);
    }
  if (s->pii_patient_ids > 0)
    {
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%'u patient ID looks like a national ID number; "
                                             "turn on Anonymise to replace it.",
                                             "%'u patient IDs look like a national ID number; "
                                             "turn on Anonymise to replace them.",
                                             s->pii_patient_ids), s->pii_patient_ids);
    }
  return g_string_free (out, FALSE);
}

/* The summary, counted in a worker thread: a million rows took 0.2-0.6 s
 * (2.4-2.7 s anonymised) before densito_export_summarize() stopped naming
 * files, 7-19 ms since; the query alone can still take longer than a frame. */

typedef struct
{
  DensitoDataset     *dataset;
  char               *query_text;
  DensitoExportFlags  flags;
} SummaryData;

static void
summary_data_free (gpointer data)
{
  SummaryData *d = data;

  g_clear_object (&d->dataset);
  g_free (d->query_text);
  g_free (d);
}

static void
summary_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SummaryData *d = task_data;
  g_autoptr(DensitoQuery) query = NULL;
  g_autofree DensitoExportSummary *summary = g_new0 (DensitoExportSummary, 1);
  GError *error = NULL;

  if (*d->query_text != '\0' && (query = densito_query_parse (d->query_text, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  densito_export_summarize (d->dataset, query, d->flags, summary);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, g_steal_pointer (&summary), g_free);
}

static void
summary_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DensitoExportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree DensitoExportSummary *summary = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *text = NULL;
  g_autofree char *pii = NULL;

  if (summary == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_label_set_text (self->summary_label, error->message);
      self->summary_ready = FALSE;
      update_sensitivity (self);
      return;
    }
  if (summary->patients == 0)
    text = g_strdup (_("No patients to export: the query matches none"));
  else
    text = format_summary (summary, get_flags (self));
  gtk_label_set_text (self->summary_label, text);
  self->n_patients = summary->patients;
  pii = format_pii (summary);
  gtk_label_set_text (self->pii_label, pii);
  gtk_widget_set_visible (GTK_WIDGET (self->pii_label), *pii != '\0');
  self->summary_ready = TRUE;
  update_sensitivity (self);
}

static gboolean
annotations_poll_cb (gpointer user_data)
{
  DensitoExportDialog *self = user_data;

  if (!densito_dataset_get_annotations_read (self->dataset))
    return G_SOURCE_CONTINUE;
  self->annotations_poll = 0;
  update_summary (self);
  return G_SOURCE_REMOVE;
}

static void
update_summary (DensitoExportDialog *self)
{
  g_autoptr(GTask) task = NULL;
  SummaryData *d;

  g_cancellable_cancel (self->summary_cancellable);
  g_clear_object (&self->summary_cancellable);
  self->summary_ready = FALSE;
  update_sensitivity (self);

  /* The window reads the sidecars after it shows the list; until then the
   * annotated count is unknown, and the dataset swaps its counts in from
   * the main thread, which a summary or export thread must not race. */
  if (!densito_dataset_get_annotations_read (self->dataset))
    {
      gtk_label_set_text (self->summary_label, _("Reading the annotations…"));
      if (self->annotations_poll == 0)
        self->annotations_poll = g_timeout_add (200, annotations_poll_cb, self);
      return;
    }

  gtk_label_set_text (self->summary_label, _("Counting…"));
  self->summary_cancellable = g_cancellable_new ();
  d = g_new0 (SummaryData, 1);
  d->dataset = g_object_ref (self->dataset);
  d->query_text = g_strdup (self->query_text);
  d->flags = get_flags (self);
  task = g_task_new (NULL, self->summary_cancellable, summary_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, update_summary);
  g_task_set_task_data (task, d, summary_data_free);
  g_task_run_in_thread (task, summary_thread);
}

/* Progress, from the export's worker thread */

static gboolean
progress_idle_cb (gpointer user_data)
{
  DensitoExportDialog *self = user_data;
  DensitoExportProgress p;
  g_autofree char *text = NULL;

  g_mutex_lock (&self->progress_mutex);
  p = self->progress;
  self->progress_pending = FALSE;
  g_mutex_unlock (&self->progress_mutex);

  if (self->disposed || self->state != DENSITO_EXPORT_DIALOG_RUNNING)
    return G_SOURCE_REMOVE;
  /* After the wait for the disk only the end comes, which done_cb shows. */
  if (self->flushing)
    return G_SOURCE_REMOVE;
  gtk_progress_bar_set_fraction (self->progress_bar, p.fraction);
  if (p.flushing)
    {
      /* syncfs() cannot be interrupted; the export finishes. */
      gtk_label_set_text (self->progress_label, _("Writing to disk…"));
      self->flushing = TRUE;
      if (gtk_widget_has_focus (self->stop_button))
        gtk_window_set_focus (GTK_WINDOW (self), NULL);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.cancel", FALSE);
      return G_SOURCE_REMOVE;
    }
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u of %'u file", "%'u of %'u files", p.n_files),
                          p.files_done, p.n_files);
  gtk_label_set_text (self->progress_label, text);
  return G_SOURCE_REMOVE;
}

/* Worker thread: never touches a widget; at most one idle is queued. */
static void
progress_cb (const DensitoExportProgress *progress,
             gpointer                     user_data)
{
  DensitoExportDialog *self = user_data;

  g_mutex_lock (&self->progress_mutex);
  self->progress = *progress;
  if (!self->progress_pending)
    {
      self->progress_pending = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT, progress_idle_cb, g_object_ref (self), g_object_unref);
    }
  g_mutex_unlock (&self->progress_mutex);
}

/* Export */

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(DensitoExportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  DensitoExportResult *res = densito_export_finish (result, &error);

  /* The export has finished, its .partial folder removed: the
   * application may quit now. */
  if (self->held_app != NULL)
    {
      g_application_release (self->held_app);
      g_clear_object (&self->held_app);
    }
  if (self->disposed)
    {
      densito_export_result_free (res);
      return;
    }
  g_clear_object (&self->export_cancellable);

  if (res == NULL)
    {
      self->state = DENSITO_EXPORT_DIALOG_FAILED;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Export Cancelled"),
                    _("Nothing was exported, and the unfinished folder was removed."));
      else
        show_error (self, _("Export Failed"), error->message);
      update_sensitivity (self);
      gtk_widget_grab_focus (self->folder_button);
      if (self->close_when_done)
        gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  self->result = res;
  self->state = DENSITO_EXPORT_DIALOG_DONE;
  {
    g_autofree char *what = format_summary (densito_export_result_get_summary (res), get_flags (self));
    g_autofree char *display = g_filename_display_name (densito_export_result_get_target (res));
    gboolean anonymized = (get_flags (self) & DENSITO_EXPORT_ANONYMIZE) != 0;
    g_autofree char *text = NULL;

    if (anonymized)
      /* Translators: the summary line, then the folder */
      text = g_strdup_printf (_("%s in %s.\nThe ID mapping is not in the export: save it now if "
                                "you need to trace patients back; it cannot be made again later."),
                              what, display);
    else
      /* Translators: the summary line, then the folder */
      text = g_strdup_printf (_("%s in %s."), what, display);
    if (densito_export_result_get_unreadable (res)->len > 0)
      {
        guint n = densito_export_result_get_unreadable (res)->len;
        g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                              "%u annotation file could not be read and was left out; "
                                                              "its image has no ROIs in the export (the problems list says why).",
                                                              "%u annotation files could not be read and were left out; "
                                                              "their images have no ROIs in the export (the problems list says why).",
                                                              n), n);
        char *joined = g_strconcat (text, "\n", more, NULL);

        g_free (text);
        text = joined;
      }
    show_notice (self, text);
    gtk_widget_set_visible (self->mapping_button, anonymized);
  }
  show_status (self, "done");
  update_sensitivity (self);
  if (self->close_when_done)
    gtk_window_destroy (GTK_WINDOW (self));
  else
    gtk_widget_grab_focus (self->close_button);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (widget);
  g_autoptr(DensitoQuery) query = NULL;
  g_autoptr(GError) error = NULL;

  if (self->target == NULL || self->state == DENSITO_EXPORT_DIALOG_RUNNING)
    return;
  if (*self->query_text != '\0' && (query = densito_query_parse (self->query_text, &error)) == NULL)
    {
      self->state = DENSITO_EXPORT_DIALOG_FAILED;
      show_error (self, _("Export Failed"), error->message);
      update_sensitivity (self);
      return;
    }

  densito_export_result_free (g_steal_pointer (&self->result));
  self->state = DENSITO_EXPORT_DIALOG_RUNNING;
  self->flushing = FALSE;
  self->export_cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->progress_label, _("Preparing…"));
  show_status (self, "progress");
  update_sensitivity (self);
  gtk_widget_grab_focus (self->stop_button);

  /* Quitting (or closing the main window) cancels the export; the
   * application stays until it has cleaned up. */
  if (gtk_window_get_application (GTK_WINDOW (self)) != NULL)
    {
      self->held_app = g_object_ref (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))));
      g_application_hold (self->held_app);
    }
  densito_export_async (self->dataset, query, self->target, get_flags (self),
                        self->export_cancellable, progress_cb, self,
                        export_done_cb, g_object_ref (self));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (widget);

  g_cancellable_cancel (self->export_cancellable);
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (widget);
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;

  if (self->result == NULL)
    return;
  file = g_file_new_for_path (densito_export_result_get_target (self->result));
  uri = g_file_get_uri (file);
  /* GTK 4.8 has no GtkFileLauncher; gtk_show_uri() would pass on the
   * renderer the app chose for itself. */
  densito_application_launch_uri (GTK_WIDGET (self), uri);
}

/* The target folder */

static void
folder_chosen_cb (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  DensitoExportDialog *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      /* An empty folder (one just made in the chooser) is the target; any
       * other folder gets a new one inside it, so nothing there is touched. */
      if (path != NULL && is_empty_folder (path))
        set_target (self, path);
      else if (path != NULL)
        {
          g_autofree char *inside = suggest_target (path);
          set_target (self, inside);
        }
    }
  g_clear_object (&self->chooser);
  update_sensitivity (self);
}

static void
choose_folder_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (widget);
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Choose Where to Export"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (self->target != NULL)
    {
      g_autofree char *parent = g_path_get_dirname (self->target);
      g_autoptr(GFile) folder = g_file_new_for_path (parent);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
    }
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (folder_chosen_cb), self);
  gtk_native_dialog_show (self->chooser);
}

/* The ID mapping, saved outside the export */

static void
save_mapping_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  DensitoExportDialog *self = source_object;
  GError *error = NULL;

  /* The result stays put: the dialog keeps it until it is disposed, and
   * this task holds the dialog. */
  if (densito_export_result_save_mapping (self->result, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
mapping_saved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (source);
  g_autoptr(GError) error = NULL;
  const char *path = g_task_get_task_data (G_TASK (result));
  g_autofree char *display = g_filename_display_name (path);
  g_autofree char *text = NULL;

  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    text = g_strdup_printf (_("The ID mapping was not saved: %s"), error->message);
  else
    text = g_strdup_printf (_("The ID mapping was saved to %s. Keep it apart from the export."),
                            display);
  show_notice (self, text);
}

static void
mapping_chosen_cb (GtkNativeDialog *chooser,
                   int              response,
                   gpointer         user_data)
{
  DensitoExportDialog *self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  path = file ? g_file_get_path (file) : NULL;
  if (path == NULL || self->result == NULL)
    {
      update_sensitivity (self);
      return;
    }
  if (!densito_export_check_mapping_path (densito_export_result_get_target (self->result), path, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The ID mapping was not saved: %s"), error->message);
      show_notice (self, text);
      return;
    }
  {
    g_autoptr(GTask) task = g_task_new (self, NULL, mapping_saved_cb, NULL);
    g_task_set_source_tag (task, mapping_chosen_cb);
    g_task_set_task_data (task, g_steal_pointer (&path), g_free);
    g_task_run_in_thread (task, save_mapping_thread);
  }
  update_sensitivity (self);
}

static void
save_mapping_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GFile) folder = NULL;

  if (self->result == NULL || self->chooser != NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Save the ID Mapping"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  parent = g_path_get_dirname (densito_export_result_get_target (self->result));
  base = g_path_get_basename (densito_export_result_get_target (self->result));
  /* Translators: a file name; %s is the export folder's name */
  name = g_strdup_printf (_("%s-id-mapping.csv"), base);
  folder = g_file_new_for_path (parent);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (mapping_chosen_cb), self);
  gtk_native_dialog_show (self->chooser);
  update_sensitivity (self);
}

/* Callbacks */

static void
row_activated_cb (GtkListBox    *box,
                  GtkListBoxRow *row,
                  gpointer       user_data)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (user_data);
  GtkSwitch *sw = NULL;

  if (row == self->folder_row)
    gtk_widget_activate_action (GTK_WIDGET (self), "export.choose-folder", NULL);
  else if (row == self->images_row)
    sw = self->images_switch;
  else if (row == self->links_row)
    sw = self->links_switch;
  else if (row == self->annotations_row)
    sw = self->annotations_switch;
  else if (row == self->coco_row)
    sw = self->coco_switch;
  else if (row == self->anonymize_row)
    sw = self->anonymize_switch;
  if (sw != NULL && gtk_widget_is_sensitive (GTK_WIDGET (sw)))
    gtk_switch_set_active (sw, !gtk_switch_get_active (sw));
}

static void
option_changed_cb (DensitoExportDialog *self)
{
  if (self->state == DENSITO_EXPORT_DIALOG_FAILED)
    {
      self->state = DENSITO_EXPORT_DIALOG_IDLE;
      show_status (self, NULL);
    }
  update_summary (self);
}

static gboolean
close_request_cb (GtkWindow *window)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (window);

  /* Closing while the export runs cancels it; the window goes once the
   * export has removed its .partial folder. Once it waits for the disk it
   * can no longer be cancelled, and the window stays to say it is done. */
  if (self->state == DENSITO_EXPORT_DIALOG_RUNNING && self->flushing)
    return TRUE;
  if (self->state == DENSITO_EXPORT_DIALOG_RUNNING)
    {
      self->close_when_done = TRUE;
      g_cancellable_cancel (self->export_cancellable);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      return TRUE;
    }
  return FALSE;
}

/* Overrides */

static void
densito_export_dialog_dispose (GObject *object)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->summary_cancellable);
  g_clear_object (&self->summary_cancellable);
  g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  g_clear_handle_id (&self->annotations_poll, g_source_remove);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), DENSITO_TYPE_EXPORT_DIALOG);
  g_clear_object (&self->dataset);

  G_OBJECT_CLASS (densito_export_dialog_parent_class)->dispose (object);
}

static void
densito_export_dialog_finalize (GObject *object)
{
  DensitoExportDialog *self = DENSITO_EXPORT_DIALOG (object);

  g_free (self->query_text);
  g_free (self->target);
  g_free (self->message);
  densito_export_result_free (self->result);
  g_mutex_clear (&self->progress_mutex);

  G_OBJECT_CLASS (densito_export_dialog_parent_class)->finalize (object);
}

static void
densito_export_dialog_class_init (DensitoExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = densito_export_dialog_dispose;
  object_class->finalize = densito_export_dialog_finalize;
  window_class->close_request = close_request_cb;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/densito/Densito/densito-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, pii_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, options_box);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, query_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, folder_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, folder_title);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, folder_subtitle);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, images_switch);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, links_switch);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, annotations_switch);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, coco_switch);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, anonymize_switch);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, images_row);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, links_row);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, annotations_row);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, coco_row);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, anonymize_row);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, status_stack);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, done_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, mapping_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, close_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, stop_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, error_title);
  gtk_widget_class_bind_template_child (widget_class, DensitoExportDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "export.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "export.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "export.choose-folder", NULL, choose_folder_action);
  gtk_widget_class_install_action (widget_class, "export.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (widget_class, "export.save-mapping", NULL, save_mapping_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
densito_export_dialog_init (DensitoExportDialog *self)
{
  g_mutex_init (&self->progress_mutex);
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->images_switch, "notify::active", G_CALLBACK (option_changed_cb), self);
  g_signal_connect_swapped (self->links_switch, "notify::active", G_CALLBACK (option_changed_cb), self);
  g_signal_connect_swapped (self->annotations_switch, "notify::active", G_CALLBACK (option_changed_cb), self);
  g_signal_connect_swapped (self->coco_switch, "notify::active", G_CALLBACK (option_changed_cb), self);
  g_signal_connect_swapped (self->anonymize_switch, "notify::active", G_CALLBACK (option_changed_cb), self);
}

/* Public API */

/**
 * densito_export_dialog_new:
 * @query_text: the query that drives the window's list; "" for every patient
 *
 * A modal dialog that exports the patients @query_text selects.
 */
GtkWidget *
densito_export_dialog_new (GtkWindow      *parent,
                           DensitoDataset *dataset,
                           const char     *query_text)
{
  DensitoExportDialog *self;
  g_autofree char *suggestion = NULL;
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), NULL);

  self = g_object_new (DENSITO_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  self->dataset = g_object_ref (dataset);
  stripped = g_strstrip (g_strdup (query_text ? query_text : ""));
  self->query_text = g_steal_pointer (&stripped);
  if (*self->query_text != '\0')
    {
      /* Translators: %s is a query such as sex=F class=osteoporosis */
      g_autofree char *text = g_strdup_printf (_("Patients matching “%s”"), self->query_text);
      gtk_label_set_text (self->query_label, text);
    }
  else
    gtk_label_set_text (self->query_label, _("Every patient in the dataset"));

  if (!has_images (self))
    gtk_switch_set_active (self->images_switch, FALSE);

  suggestion = suggest_target (g_get_home_dir ());
  set_target (self, suggestion);
  update_summary (self);
  gtk_widget_grab_focus (self->export_button);
  return GTK_WIDGET (self);
}

const char *
densito_export_dialog_get_target (DensitoExportDialog *self)
{
  g_return_val_if_fail (DENSITO_IS_EXPORT_DIALOG (self), NULL);
  return self->target;
}

/* Sets the folder the export creates, as choosing it would (but as it is:
 * a non-empty folder is taken as given, and refused by the export). */
void
densito_export_dialog_set_target (DensitoExportDialog *self,
                                  const char          *path)
{
  g_return_if_fail (DENSITO_IS_EXPORT_DIALOG (self));
  g_return_if_fail (self->state != DENSITO_EXPORT_DIALOG_RUNNING);
  set_target (self, path);
}

DensitoExportDialogState
densito_export_dialog_get_state (DensitoExportDialog *self)
{
  g_return_val_if_fail (DENSITO_IS_EXPORT_DIALOG (self), DENSITO_EXPORT_DIALOG_IDLE);
  return self->state;
}

gboolean
densito_export_dialog_is_summary_ready (DensitoExportDialog *self)
{
  g_return_val_if_fail (DENSITO_IS_EXPORT_DIALOG (self), FALSE);
  return self->summary_ready;
}

const char *
densito_export_dialog_get_summary_text (DensitoExportDialog *self)
{
  g_return_val_if_fail (DENSITO_IS_EXPORT_DIALOG (self), NULL);
  return gtk_label_get_text (self->summary_label);
}

/* The error, or the notice, the dialog shows last. */
const char *
densito_export_dialog_get_message (DensitoExportDialog *self)
{
  g_return_val_if_fail (DENSITO_IS_EXPORT_DIALOG (self), NULL);
  return self->message;
}
