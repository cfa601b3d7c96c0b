/* densito-application.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "densito-application.h"
#include "densito-export-dialog.h"
#include "densito-window.h"

struct _DensitoApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (DensitoApplication, densito_application, GTK_TYPE_APPLICATION)

static gint64 start_time;

/* When the process started, for DENSITO_BENCH=startup. */
gint64
densito_application_get_start_time (void)
{
  return start_time;
}

/**
 * densito_application_dup_sample_path:
 *
 * The bundled synthetic sample: $DENSITO_SAMPLE, the installed copy, or
 * the one in the source tree when running uninstalled.
 */
char *
densito_application_dup_sample_path (void)
{
  const char *env = g_getenv ("DENSITO_SAMPLE");
  g_autofree char *installed = g_build_filename (PKGDATADIR, "sample", NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return g_strdup (SOURCE_SAMPLEDIR);
}

static DensitoWindow *
get_window (DensitoApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (densito_window_new (self));
  return DENSITO_WINDOW (window);
}

static void
densito_application_activate (GApplication *app)
{
  DensitoApplication *self = DENSITO_APPLICATION (app);
  gboolean fresh = gtk_application_get_active_window (GTK_APPLICATION (app)) == NULL;
  DensitoWindow *window = get_window (self);

  if (fresh)
    densito_window_open_default (window);
  gtk_window_present (GTK_WINDOW (window));
}

static void
densito_application_open (GApplication  *app,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  DensitoWindow *window = get_window (DENSITO_APPLICATION (app));

  if (n_files > 0)
    {
      g_autofree char *path = g_file_get_path (files[0]);
      densito_window_open_path (window, path);
    }
  gtk_window_present (GTK_WINDOW (window));
}

static void
densito_application_startup (GApplication *app)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *details_accels[] = { "F9", NULL };
  static const char *export_accels[] = { "<Control>e", NULL };

  G_APPLICATION_CLASS (densito_application_parent_class)->startup (app);

  /* A plain GtkApplication does not load style.css by itself. */
  gtk_css_provider_load_from_resource (css, "/io/github/densito/Densito/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-details", details_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.export", export_accels);
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *authors[] = { "The Densito authors", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("Densito"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Browse, check and annotate DXA bone-densitometry scans"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows = gtk_application_get_windows (app);

  /* Close windows so they save their state. */
  for (GList *l = windows; l != NULL; l = windows)
    {
      windows = l->next;
      gtk_window_close (GTK_WINDOW (l->data));
    }
}

/* The export dialog for the main window that is active, or the last one
 * used, over the patients its list shows. */
static void
export_activated (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  DensitoWindow *window = NULL;
  GtkWidget *dialog;

  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (DENSITO_IS_EXPORT_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      {
        /* Ctrl+E in the dialog itself, or again: one export at a time. */
        gtk_window_present (l->data);
        return;
      }
  for (GList *l = gtk_application_get_windows (app); l != NULL && window == NULL; l = l->next)
    if (DENSITO_IS_WINDOW (l->data))
      window = l->data;
  if (window == NULL || densito_window_get_dataset (window) == NULL || densito_window_is_loading (window))
    {
      if (window != NULL)
        gtk_widget_error_bell (GTK_WIDGET (window));
      return;
    }
  dialog = densito_export_dialog_new (GTK_WINDOW (window), densito_window_get_dataset (window),
                                      densito_window_get_query_text (window));
  /* The application waits for a running export when it quits. */
  gtk_window_set_application (GTK_WINDOW (dialog), app);
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry app_actions[] = {
  { "about", about_activated },
  { "export", export_activated },
  { "quit", quit_activated },
};

static void
densito_application_class_init (DensitoApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = densito_application_activate;
  app_class->open = densito_application_open;
  app_class->startup = densito_application_startup;
}

static void
densito_application_init (DensitoApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
}

DensitoApplication *
densito_application_new (void)
{
  if (start_time == 0)
    start_time = g_get_monotonic_time ();
  return g_object_new (DENSITO_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/io/github/densito/Densito",
                       NULL);
}
