/* test-launch.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Programs the app starts (the file manager after an export, the browser
 * for the About window's licence link) do not inherit the renderer it chose
 * for itself; what the user set, they do. main() sets the environment up
 * before GTK starts any thread, as densito's own main() does.
 */
#include "config.h"

#include <gtk/gtk.h>

#include "densito-application.h"
#include "densito-window.h"
#include "ui-util.h"

#define spin ui_spin

static DensitoApplication *app;

static void
test_environment (void)
{
  g_autoptr(GAppLaunchContext) context = densito_application_new_launch_context (gdk_display_get_default ());
  g_auto(GStrv) env = g_app_launch_context_get_environment (context);

  /* Chosen for this process... */
  g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "cairo");
  /* ...and not for the launched one. */
  g_assert_null (g_environ_getenv (env, "GSK_RENDERER"));
  /* The user's own GDK_DEBUG was kept, and is passed on. */
  g_assert_cmpstr (g_getenv ("GDK_DEBUG"), ==, "nograbs");
  g_assert_cmpstr (g_environ_getenv (env, "GDK_DEBUG"), ==, "nograbs");
  g_assert_cmpstr (g_environ_getenv (env, "PATH"), ==, g_getenv ("PATH"));
}

static GtkAboutDialog *
find_about (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkAboutDialog *about = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_ABOUT_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        about = GTK_ABOUT_DIALOG (w);
    }
  return about;
}

/* The About window opens its licence link that way; it is one per window. */
static void
test_about (void)
{
  DensitoWindow *window = densito_window_new (app);
  GtkAboutDialog *about;

  gtk_window_present (GTK_WINDOW (window));
  spin (200);
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  spin (200);
  about = find_about ();
  g_assert_nonnull (about);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (about)) == GTK_WINDOW (window));
  g_assert_cmpint (gtk_about_dialog_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  g_assert_true (g_signal_handler_find (about, G_SIGNAL_MATCH_ID,
                                        g_signal_lookup ("activate-link", GTK_TYPE_ABOUT_DIALOG),
                                        0, NULL, NULL, NULL) != 0);

  /* Closed, then asked for again: the same one comes back. */
  gtk_window_close (GTK_WINDOW (about));
  spin (100);
  g_assert_null (find_about ());
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  spin (200);
  g_assert_true (find_about () == about);

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  g_assert_null (find_about ());
}

int
main (int    argc,
      char **argv)
{
  int ret;

  /* A machine without a GPU, and a user who set GDK_DEBUG. */
  g_unsetenv ("GSK_RENDERER");
  g_setenv ("GDK_DEBUG", "nograbs", TRUE);
  densito_application_choose_software_renderer ();

  gtk_test_init (&argc, &argv, NULL);
  app = densito_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);

  g_test_add_func ("/launch/environment", test_environment);
  g_test_add_func ("/launch/about", test_about);
  ret = g_test_run ();
  g_clear_object (&app);
  return ret;
}
