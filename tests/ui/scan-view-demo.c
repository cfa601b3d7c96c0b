/* scan-view-demo.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shows one scan in a DensitoScanView, with the ROIs of its sidecar, so
 * that the view can be looked at and screenshotted on its own:
 *
 *   scan-view-demo data/sample/imge/10001-1.png
 *   scan-view-demo --rois-tsv data/sample/synthetic-rois.tsv IMAGE
 *   scan-view-demo --invert --zoom-at 4,223,230 IMAGE
 *   scan-view-demo --edit hip --select 1 IMAGE
 *
 * The sidecar is IMAGE with .json for .png unless --sidecar names one;
 * --rois-tsv takes the boxes from the sample's synthetic-rois.tsv instead.
 * --edit makes the ROIs editable through an edit stack (nothing is saved:
 * the demo has no save key), with REGION's vocabulary.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <stdlib.h>

#include "densito-diagnostics.h"
#include "densito-edit-stack.h"
#include "densito-scan-view.h"
#include "densito-sidecar.h"

static char *sidecar_path;
static char *rois_tsv;
static char *zoom_at;
static char *message;
static char *size = NULL;
static gboolean invert;
static gboolean hide_rois;
static double brightness;
static double contrast = 1.0;
static char *edit_region;
static int select_roi = -1;

static const GOptionEntry entries[] = {
  { "sidecar", 0, 0, G_OPTION_ARG_FILENAME, &sidecar_path, "Sidecar to load", "PATH" },
  { "rois-tsv", 0, 0, G_OPTION_ARG_FILENAME, &rois_tsv, "Boxes from a synthetic-rois.tsv", "PATH" },
  { "zoom-at", 0, 0, G_OPTION_ARG_STRING, &zoom_at, "Zoom and centre on an image point", "ZOOM,X,Y" },
  { "message", 0, 0, G_OPTION_ARG_STRING, &message, "Show a message instead of the image", "TEXT" },
  { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Window size", "WxH" },
  { "invert", 0, 0, G_OPTION_ARG_NONE, &invert, "Invert the grey levels", NULL },
  { "hide-rois", 0, 0, G_OPTION_ARG_NONE, &hide_rois, "Do not draw the ROIs", NULL },
  { "brightness", 0, 0, G_OPTION_ARG_DOUBLE, &brightness, "Brightness, -1 to 1", "B" },
  { "contrast", 0, 0, G_OPTION_ARG_DOUBLE, &contrast, "Contrast, 0.1 to 4", "C" },
  { "edit", 0, 0, G_OPTION_ARG_STRING, &edit_region, "Edit the ROIs (spine, hip, forearm, lateral)", "REGION" },
  { "select", 0, 0, G_OPTION_ARG_INT, &select_roi, "Select this ROI", "INDEX" },
  { NULL }
};

static DensitoSidecar *
sidecar_from_tsv (const char *image_path,
                  guint       width,
                  guint       height,
                  GError    **error)
{
  g_autofree char *text = NULL;
  g_autofree char *base = g_path_get_basename (image_path);
  g_auto(GStrv) lines = NULL;
  DensitoSidecar *sidecar;

  if (!g_file_get_contents (rois_tsv, &text, NULL, error))
    return NULL;
  sidecar = densito_sidecar_new (image_path, NULL, width, height);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], "\t", -1);
      g_autoptr(DensitoRoi) roi = NULL;
      DensitoBox box;

      if (g_strv_length (f) < 7 || g_strcmp0 (f[0], base) != 0)
        continue;
      box.cx = g_ascii_strtod (f[2], NULL);
      box.cy = g_ascii_strtod (f[3], NULL);
      box.width = g_ascii_strtod (f[4], NULL);
      box.height = g_ascii_strtod (f[5], NULL);
      box.angle = g_ascii_strtod (f[6], NULL);
      roi = densito_roi_new_box (f[1], &box, DENSITO_SOURCE_SYNTHETIC);
      densito_sidecar_insert_roi (sidecar, densito_sidecar_get_n_rois (sidecar), roi);
    }
  return sidecar;
}

static void
update_title (GtkWindow *window)
{
  DensitoScanView *view = g_object_get_data (G_OBJECT (window), "view");
  const char *name = g_object_get_data (G_OBJECT (window), "name");
  g_autofree char *title = NULL;

  title = g_strdup_printf ("%s — %.0f%%%s", name,
                           100.0 * densito_scan_view_get_effective_scale (view),
                           densito_scan_view_get_zoom (view) == 0.0 ? " (fit)" : "");
  gtk_window_set_title (window, title);
}

static void
scale_changed_cb (DensitoScanView *view,
                  GParamSpec      *pspec,
                  GtkWindow       *window)
{
  update_title (window);
}

static gboolean
zoom_at_cb (gpointer data)
{
  DensitoScanView *view = data;
  double z = 1.0, ix = 0.0, iy = 0.0, wx, wy;
  g_auto(GStrv) f = g_strsplit (zoom_at, ",", 3);

  if (g_strv_length (f) == 3)
    {
      z = g_ascii_strtod (f[0], NULL);
      ix = g_ascii_strtod (f[1], NULL);
      iy = g_ascii_strtod (f[2], NULL);
    }
  densito_scan_view_image_to_widget (view, ix, iy, &wx, &wy);
  densito_scan_view_zoom_at (view, z, wx, wy);
  densito_scan_view_pan (view,
                         gtk_widget_get_width (GTK_WIDGET (view)) / 2.0 - wx,
                         gtk_widget_get_height (GTK_WIDGET (view)) / 2.0 - wy);
  return G_SOURCE_REMOVE;
}

static void
activate_cb (GtkApplication *app,
             const char     *image_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(DensitoSidecar) sidecar = NULL;
  g_autoptr(DensitoDiagnostics) diagnostics = densito_diagnostics_new ();
  GtkWidget *window = gtk_application_window_new (app);
  GtkWidget *view = densito_scan_view_new ();
  int w = 1000, h = 800;

  if (size != NULL)
    sscanf (size, "%dx%d", &w, &h);
  gtk_window_set_default_size (GTK_WINDOW (window), w, h);
  gtk_window_set_child (GTK_WINDOW (window), view);
  g_object_set_data (G_OBJECT (window), "view", view);
  g_object_set_data_full (G_OBJECT (window), "name", g_path_get_basename (image_path), g_free);
  g_signal_connect (view, "notify::scale", G_CALLBACK (scale_changed_cb), window);
  g_signal_connect (view, "notify::zoom", G_CALLBACK (scale_changed_cb), window);

  texture = gdk_texture_new_from_filename (image_path, &error);
  if (texture == NULL)
    {
      g_autofree char *name = g_path_get_basename (image_path);
      g_autofree char *title = g_strdup_printf ("Cannot open %s", name);

      densito_scan_view_set_message (DENSITO_SCAN_VIEW (view), title, error->message);
    }
  else
    {
      guint iw = gdk_texture_get_width (texture);
      guint ih = gdk_texture_get_height (texture);

      densito_scan_view_set_texture (DENSITO_SCAN_VIEW (view), texture);
      if (rois_tsv != NULL)
        sidecar = sidecar_from_tsv (image_path, iw, ih, &error);
      else
        sidecar = densito_sidecar_load (image_path, sidecar_path, iw, ih, diagnostics, NULL, &error);
      if (sidecar == NULL)
        g_printerr ("%s\n", error->message);
      for (guint i = 0; i < densito_diagnostics_get_n (diagnostics); i++)
        {
          g_autofree char *line = densito_diagnostic_dup_line (densito_diagnostics_get (diagnostics, i));
          g_printerr ("%s\n", line);
        }
      if (sidecar != NULL)
        g_printerr ("%u ROIs\n", densito_sidecar_get_n_rois (sidecar));
      if (edit_region != NULL && sidecar != NULL)
        {
          g_autoptr(DensitoEditStack) stack = densito_edit_stack_new (sidecar);

          densito_scan_view_set_edit_stack (DENSITO_SCAN_VIEW (view), stack, edit_region);
        }
      else
        densito_scan_view_set_rois (DENSITO_SCAN_VIEW (view), sidecar);
      densito_scan_view_set_selected (DENSITO_SCAN_VIEW (view), select_roi);
    }

  g_object_set (view,
                "invert", invert,
                "brightness", brightness,
                "contrast", contrast,
                "show-rois", !hide_rois,
                NULL);
  if (message != NULL)
    densito_scan_view_set_message (DENSITO_SCAN_VIEW (view), message,
                                   "the PNG file is truncated: it ends after 18 432 of 36 210 bytes");
  if (zoom_at != NULL)
    g_timeout_add (400, zoom_at_cb, view);

  update_title (GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_grab_focus (view);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("IMAGE");
  g_autoptr(GtkApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  char *app_argv[] = { argv[0], NULL };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("usage: %s [OPTION...] IMAGE\n%s\n", g_get_prgname (),
                  error ? error->message : "");
      return EXIT_FAILURE;
    }

  app = gtk_application_new ("io.github.densito.ScanViewDemo", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), argv[1]);
  return g_application_run (G_APPLICATION (app), 1, app_argv);
}
