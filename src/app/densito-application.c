/* densito-application.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "densito-application.h"
#include "densito-dataset.h"
#include "densito-export-dialog.h"
#include "densito-window.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

/* The progress of a preload, which the worker reports before any window
 * can show it: kept here, and handed on to the window that claims it. */
typedef struct
{
  GMutex               lock;
  double               fraction;
  DensitoProgressFunc  func;
  gpointer             data;
  GDestroyNotify       data_destroy;
} PreloadProgress;

struct _DensitoApplication
{
  GtkApplication parent_instance;

  /* The dataset the first window will open, loading while GTK starts. */
  char                *preload_path;
  GCancellable        *preload_cancellable;
  PreloadProgress     *preload_progress;
  GAsyncResult        *preload_result;     /* once loaded, until claimed */
  GAsyncReadyCallback  preload_callback;   /* once claimed, until loaded */
  gpointer             preload_user_data;
};

G_DEFINE_FINAL_TYPE (DensitoApplication, densito_application, GTK_TYPE_APPLICATION)

static gint64 start_time;

/* The variables densito_application_choose_renderer() set, which programs
 * the app launches must not inherit. */
static struct {
  const char *name;
  const char *value;
  gboolean    set;
} renderer_variables[] = {
  { "GSK_RENDERER", "cairo", FALSE },
  { "GDK_DEBUG", "gl-disable", FALSE },
};

/* When the process started, for DENSITO_BENCH=startup. */
gint64
densito_application_get_start_time (void)
{
  return start_time;
}

/**
 * densito_application_choose_renderer:
 *
 * Call before GTK initialises (main() and the GUI benchmarks).
 *
 * GTK 4.8 draws with OpenGL by default. Where no GPU device node exists
 * (virtual machines, remote desktops), Mesa can only give llvmpipe, a
 * software rasteriser that compiles its shaders with LLVM: on the 2-core
 * development VM that was about 40% of the CPU time to the first frame
 * and most of the peak memory (tests/bench/README.md, issue 4), where
 * GTK's cairo renderer draws the same window in far less. A GSK_RENDERER
 * that the user set wins.
 *
 * Choosing the cairo renderer is not enough: GDK 4.8 on X11 still loads
 * and initialises Mesa's GL (LLVM included) when it opens the display.
 * With no GPU that costs 120-130 ms to the first frame and 60 MB of
 * resident memory for nothing (the bare GTK window of the startup bench:
 * 362 -> 245 ms, 94 -> 34 MB), so GL is switched off as well, unless the
 * user set GDK_DEBUG themselves. */
void
densito_application_choose_renderer (void)
{
#ifdef __linux__
  g_autoptr(GDir) dri = NULL;
  const char *name;

  if (g_file_test ("/dev/nvidia0", G_FILE_TEST_EXISTS))
    return;
  dri = g_dir_open ("/dev/dri", 0, NULL);
  while (dri != NULL && (name = g_dir_read_name (dri)) != NULL)
    if (g_str_has_prefix (name, "renderD") || g_str_has_prefix (name, "card"))
      return;
  densito_application_choose_software_renderer ();
#endif
}

/**
 * densito_application_choose_software_renderer:
 *
 * What densito_application_choose_renderer() does where there is no GPU
 * device (tests call it to have that case on any machine): GTK's cairo
 * renderer with GL off, for this process, unless the user set
 * GSK_RENDERER (then nothing) or GDK_DEBUG (kept).
 */
void
densito_application_choose_software_renderer (void)
{
  if (g_getenv ("GSK_RENDERER") != NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (renderer_variables); i++)
    if (g_getenv (renderer_variables[i].name) == NULL)
      renderer_variables[i].set = g_setenv (renderer_variables[i].name, renderer_variables[i].value, FALSE);
}

/**
 * densito_application_new_launch_context:
 *
 * A launch context for programs the app starts (the file manager after an
 * export, a link's browser): the process's environment without what
 * densito_application_choose_renderer() set for this process alone, so a
 * browser on a machine with a GPU still draws with it. What the user set
 * is passed on.
 *
 * Returns: (transfer full): a new launch context
 */
GAppLaunchContext *
densito_application_new_launch_context (GdkDisplay *display)
{
  GAppLaunchContext *context = G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (display));

  for (guint i = 0; i < G_N_ELEMENTS (renderer_variables); i++)
    if (renderer_variables[i].set)
      g_app_launch_context_unsetenv (context, renderer_variables[i].name);
  return context;
}

static void
launched_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autofree char *uri = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_warning ("Cannot open %s: %s", uri, error->message);
}

/**
 * densito_application_launch_uri:
 *
 * Opens @uri with its default application, in the environment of
 * densito_application_new_launch_context(), for @widget's window.
 */
void
densito_application_launch_uri (GtkWidget  *widget,
                                const char *uri)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GAppLaunchContext) context = NULL;

  /* In a sandbox the program starts outside it, through the portal, in
   * its own environment; GTK gives the portal the parent window. */
  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
      G_GNUC_END_IGNORE_DEPRECATIONS
      return;
    }

  context = densito_application_new_launch_context (gtk_widget_get_display (widget));
  gdk_app_launch_context_set_timestamp (GDK_APP_LAUNCH_CONTEXT (context), GDK_CURRENT_TIME);
#ifdef GDK_WINDOWING_X11
  {
    GdkSurface *surface = GTK_IS_NATIVE (root) ? gtk_native_get_surface (GTK_NATIVE (root)) : NULL;

    /* As gtk_show_uri() says which window asked, for a dialog the
     * launched program shows. */
    if (surface != NULL && GDK_IS_X11_SURFACE (surface))
      {
        g_autofree char *id = g_strdup_printf ("x11:%lx", (unsigned long)gdk_x11_surface_get_xid (surface));
        g_app_launch_context_setenv (context, "PARENT_WINDOW_ID", id);
      }
  }
#endif
  g_app_info_launch_default_for_uri_async (uri, context, NULL, launched_cb, g_strdup (uri));
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

/**
 * densito_application_dup_default_path:
 *
 * What a window opens when it is given nothing: the dataset opened last,
 * if it is still there, or the bundled sample.
 */
char *
densito_application_dup_default_path (GSettings *settings)
{
  g_autofree char *last = g_settings_get_string (settings, "last-dataset");

  if (last != NULL && *last != '\0' && g_file_test (last, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&last);
  return densito_application_dup_sample_path ();
}

static void
preload_progress_cb (double   fraction,
                     gpointer data)
{
  PreloadProgress *p = data;

  g_mutex_lock (&p->lock);
  p->fraction = fraction;
  if (p->func != NULL)
    p->func (fraction, p->data);
  g_mutex_unlock (&p->lock);
}

/* Once the load is over, nothing calls the claimer's function again. */
static void
preload_progress_forget (PreloadProgress *p)
{
  gpointer data;
  GDestroyNotify destroy;

  g_mutex_lock (&p->lock);
  data = g_steal_pointer (&p->data);
  destroy = g_steal_pointer (&p->data_destroy);
  p->func = NULL;
  g_mutex_unlock (&p->lock);
  if (destroy != NULL)
    destroy (data);
}

static void
preload_progress_free (PreloadProgress *p)
{
  preload_progress_forget (p);
  g_mutex_clear (&p->lock);
}

/* Hands the loaded dataset (or the error) to the window that claimed it. */
static gboolean
deliver_preload_cb (gpointer data)
{
  DensitoApplication *self = data;
  g_autoptr(GAsyncResult) result = g_steal_pointer (&self->preload_result);
  GAsyncReadyCallback callback = self->preload_callback;

  self->preload_callback = NULL;
  g_clear_pointer (&self->preload_path, g_free);
  callback (NULL, result, self->preload_user_data);
  return G_SOURCE_REMOVE;
}

/* What a preload's task holds until it is over: its progress may be
 * reported until then, even after the preload was dropped. */
typedef struct
{
  DensitoApplication *app;
  PreloadProgress    *progress;
  GCancellable       *cancellable;
} PreloadTask;

static void
preload_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PreloadTask *t = user_data;
  DensitoApplication *self = t->app;

  preload_progress_forget (t->progress);
  /* Not a dropped one's. */
  if (self->preload_path != NULL && self->preload_cancellable == t->cancellable)
    {
      self->preload_result = g_object_ref (result);
      if (self->preload_callback != NULL)
        deliver_preload_cb (self);
    }
  g_rc_box_release_full (t->progress, (GDestroyNotify)preload_progress_free);
  g_object_unref (t->cancellable);
  g_object_unref (t->app);
  g_free (t);
}

/**
 * densito_application_preload:
 * @path: the dataset the first window will open
 *
 * Starts loading @path in a worker thread, so that the table is read
 * while GTK starts and the window is built, instead of after. The first
 * window takes it over with densito_application_claim_preload().
 */
void
densito_application_preload (DensitoApplication *self,
                             const char         *path)
{
  PreloadTask *t;

  g_return_if_fail (DENSITO_IS_APPLICATION (self));
  g_return_if_fail (self->preload_path == NULL);

  /* An earlier preload was delivered or dropped; its task keeps what it
   * still uses. */
  g_clear_object (&self->preload_cancellable);
  g_clear_object (&self->preload_result);
  if (self->preload_progress != NULL)
    g_rc_box_release_full (self->preload_progress, (GDestroyNotify)preload_progress_free);
  self->preload_path = g_strdup (path);
  self->preload_cancellable = g_cancellable_new ();
  self->preload_progress = g_rc_box_new0 (PreloadProgress);
  g_mutex_init (&self->preload_progress->lock);

  t = g_new0 (PreloadTask, 1);
  t->app = g_object_ref (self);
  t->progress = g_rc_box_acquire (self->preload_progress);
  t->cancellable = g_object_ref (self->preload_cancellable);
  /* Sidecars are read after the first frame, as for any opening. */
  densito_dataset_open_async (path, NULL, DENSITO_DATASET_OPEN_DEFER_ANNOTATIONS,
                              self->preload_cancellable,
                              preload_progress_cb, t->progress,
                              preload_done_cb, t);
}

/**
 * densito_application_preload_args:
 *
 * Preloads what the command line (no argument, or one dataset) will make
 * the first window open.
 */
void
densito_application_preload_args (DensitoApplication *self,
                                  int                 argc,
                                  char              **argv)
{
  g_autofree char *path = NULL;

  if (argc == 1)
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);
      path = densito_application_dup_default_path (settings);
    }
  else if (argc == 2)
    {
      /* As GApplication will hand it to "open". */
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (argv[1]);
      path = g_file_get_path (file);
    }
  if (path != NULL)
    densito_application_preload (self, path);
}

/**
 * densito_application_claim_preload:
 * @progress: (nullable): where the load's progress goes from now on (from
 *   the worker thread, as for densito_dataset_open_async())
 * @progress_data_destroy: (nullable): frees @progress_data once the load
 *   is over
 * @callback: called as densito_dataset_open_async() calls it
 *
 * Takes over the preload of @path, if there is one not yet claimed.
 * @callback is never called before this returns.
 *
 * Returns: (transfer full) (nullable): the cancellable of the load, or
 *   %NULL when @path is not being preloaded (open it as usual)
 */
GCancellable *
densito_application_claim_preload (DensitoApplication  *self,
                                   const char          *path,
                                   DensitoProgressFunc  progress,
                                   gpointer             progress_data,
                                   GDestroyNotify       progress_data_destroy,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GCancellable *cancellable;
  PreloadProgress *p;

  g_return_val_if_fail (DENSITO_IS_APPLICATION (self), NULL);

  p = self->preload_progress;
  if (self->preload_path == NULL || self->preload_callback != NULL ||
      g_strcmp0 (self->preload_path, path) != 0)
    {
      /* The first window opens something else: the preload would only
       * hold memory, and later serve the file as it was. */
      if (self->preload_path != NULL && self->preload_callback == NULL)
        {
          g_cancellable_cancel (self->preload_cancellable);
          g_clear_object (&self->preload_result);
          g_clear_pointer (&self->preload_path, g_free);
        }
      if (progress_data_destroy != NULL)
        progress_data_destroy (progress_data);
      return NULL;
    }

  cancellable = g_object_ref (self->preload_cancellable);
  if (self->preload_result != NULL)
    {
      /* Over: no more progress. */
      if (progress_data_destroy != NULL)
        progress_data_destroy (progress_data);
    }
  else
    {
      g_mutex_lock (&p->lock);
      p->func = progress;
      p->data = progress_data;
      p->data_destroy = progress_data_destroy;
      if (progress != NULL && p->fraction > 0)
        progress (p->fraction, progress_data);
      g_mutex_unlock (&p->lock);
    }

  self->preload_callback = callback;
  self->preload_user_data = user_data;
  /* Loaded already: the callback runs from the main loop, as it would
   * for any opening, and before the next frame is drawn. */
  if (self->preload_result != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, deliver_preload_cb, g_object_ref (self), g_object_unref);
  return cancellable;
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
  static const char *help_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (densito_application_parent_class)->startup (app);

  /* A plain GtkApplication does not load style.css by itself. */
  gtk_css_provider_load_from_resource (css, "/io/github/densito/Densito/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-details", details_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.export", export_accels);
  /* What GTK sets for a gtk/help-overlay.ui; ours is built on demand. */
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay", help_accels);
}

static gboolean
about_link_cb (GtkAboutDialog *about,
               const char     *uri,
               gpointer        user_data)
{
  densito_application_launch_uri (GTK_WIDGET (about), uri);
  return TRUE;
}

static void
about_destroyed_cb (GtkWidget *about,
                    GObject   *parent)
{
  if (g_object_get_data (parent, "densito-about") == about)
    g_object_set_data (parent, "densito-about", NULL);
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *authors[] = { "The Densito authors", NULL };
  GtkWindow *parent = gtk_application_get_active_window (app);
  GtkWidget *about = parent != NULL ? g_object_get_data (G_OBJECT (parent), "densito-about") : NULL;

  /* One per window, kept when closed (as gtk_show_about_dialog() does). */
  if (about != NULL)
    {
      gtk_window_present (GTK_WINDOW (about));
      return;
    }
  about = g_object_new (GTK_TYPE_ABOUT_DIALOG,
                        "transient-for", parent,
                        "modal", TRUE,
                        "destroy-with-parent", TRUE,
                        "hide-on-close", TRUE,
                        "program-name", _("Densito"),
                        "logo-icon-name", APP_ID,
                        "version", PACKAGE_VERSION,
                        "comments", _("Browse, check and annotate DXA bone-densitometry scans"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "authors", authors,
                        "translator-credits", _("translator-credits"),
                        NULL);

  /* The licence link opens in the launched browser's own renderer. */
  g_signal_connect (about, "activate-link", G_CALLBACK (about_link_cb), NULL);
  if (parent != NULL)
    {
      g_object_set_data (G_OBJECT (parent), "densito-about", about);
      g_signal_connect_object (about, "destroy", G_CALLBACK (about_destroyed_cb), parent, 0);
    }
  gtk_window_present (GTK_WINDOW (about));
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
densito_application_finalize (GObject *object)
{
  DensitoApplication *self = DENSITO_APPLICATION (object);

  if (self->preload_cancellable != NULL)
    g_cancellable_cancel (self->preload_cancellable);
  g_clear_object (&self->preload_cancellable);
  g_clear_object (&self->preload_result);
  g_clear_pointer (&self->preload_path, g_free);
  if (self->preload_progress != NULL)
    g_rc_box_release_full (self->preload_progress, (GDestroyNotify)preload_progress_free);

  G_OBJECT_CLASS (densito_application_parent_class)->finalize (object);
}

static void
densito_application_class_init (DensitoApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = densito_application_finalize;

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
