/* test-scan-view.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DensitoScanView in a real window under Xvfb: fit, zoom steps, zoom
 * about a point, coordinate round trips, panning limits, the message,
 * property notification, the render nodes snapshot produces, and ROI
 * editing through an edit stack: keys and pointer drags sent through the
 * X server with xdotool, the toolbar actions and the label popovers.
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "densito-scan-view.h"

#define IMAGE_W 640
#define IMAGE_H 480

typedef struct
{
  GtkWidget       *window;
  DensitoScanView *view;
  GdkTexture      *texture;
} Fixture;

static GdkTexture *
make_texture (int width,
              int height)
{
  g_autoptr(GBytes) bytes = NULL;
  guchar *data = g_malloc ((gsize)width * height * 3);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar v = (guchar)((x + y) & 0xff);

        data[(y * width + x) * 3] = v;
        data[(y * width + x) * 3 + 1] = v;
        data[(y * width + x) * 3 + 2] = v;
      }
  bytes = g_bytes_new_take (data, (gsize)width * height * 3);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, (gsize)width * 3);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until the view has the size asked for. */
static void
set_view_size (Fixture *f,
               int      width,
               int      height)
{
  gboolean timed_out = FALSE;
  guint id;

  gtk_widget_set_size_request (GTK_WIDGET (f->view), width, height);
  id = g_timeout_add (5000, timeout_cb, &timed_out);
  while (!timed_out &&
         (gtk_widget_get_width (GTK_WIDGET (f->view)) != width ||
          gtk_widget_get_height (GTK_WIDGET (f->view)) != height))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->view)), ==, width);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (f->view)), ==, height);
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  f->window = gtk_window_new ();
  f->view = DENSITO_SCAN_VIEW (densito_scan_view_new ());
  /* Placed at the top left with exactly the size requested, whatever
   * the window ends up as. */
  gtk_widget_set_halign (GTK_WIDGET (f->view), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (f->view), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->view));
  gtk_window_set_child (GTK_WINDOW (f->window), box);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 100, 100);
  f->texture = make_texture (IMAGE_W, IMAGE_H);
  densito_scan_view_set_texture (f->view, f->texture);
  gtk_window_present (GTK_WINDOW (f->window));
  set_view_size (f, 400, 300);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  /* Destroying the window finalizes the view: nothing else holds it. */
  g_object_add_weak_pointer (G_OBJECT (f->view), (gpointer *)&f->view);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_null (f->view);
  g_assert_cmpuint (G_OBJECT (f->texture)->ref_count, ==, 1);
  g_clear_object (&f->texture);
}

static void
assert_round_trip (DensitoScanView *view,
                   double           wx,
                   double           wy)
{
  double ix, iy, wx2, wy2, ix2, iy2;

  densito_scan_view_widget_to_image (view, wx, wy, &ix, &iy);
  densito_scan_view_image_to_widget (view, ix, iy, &wx2, &wy2);
  g_assert_cmpfloat_with_epsilon (wx2, wx, 1e-9);
  g_assert_cmpfloat_with_epsilon (wy2, wy, 1e-9);

  /* And the other way, from an image point. */
  densito_scan_view_image_to_widget (view, wx, wy, &ix, &iy);
  densito_scan_view_widget_to_image (view, ix, iy, &ix2, &iy2);
  g_assert_cmpfloat_with_epsilon (ix2, wx, 1e-9);
  g_assert_cmpfloat_with_epsilon (iy2, wy, 1e-9);
}

static void
test_fit (Fixture       *f,
          gconstpointer  data)
{
  static const int sizes[][2] = { { 400, 300 }, { 640, 480 }, { 800, 300 }, { 300, 900 }, { 1001, 777 }, { 64, 48 } };

  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 0.0);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int w = sizes[i][0], h = sizes[i][1];
      double expected = MIN ((double)w / IMAGE_W, (double)h / IMAGE_H);
      double wx, wy, s;

      set_view_size (f, w, h);
      s = densito_scan_view_get_effective_scale (f->view);
      g_assert_cmpfloat_with_epsilon (s, expected, 1e-12);

      /* Centred, and filling one dimension exactly. */
      densito_scan_view_image_to_widget (f->view, IMAGE_W / 2.0, IMAGE_H / 2.0, &wx, &wy);
      g_assert_cmpfloat_with_epsilon (wx, w / 2.0, 1e-9);
      g_assert_cmpfloat_with_epsilon (wy, h / 2.0, 1e-9);
      densito_scan_view_image_to_widget (f->view, IMAGE_W, IMAGE_H, &wx, &wy);
      g_assert_true (fabs (wx - w) < 1e-9 || fabs (wy - h) < 1e-9);
      g_assert_cmpfloat (wx, <=, w + 1e-9);
      g_assert_cmpfloat (wy, <=, h + 1e-9);
    }
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 0.0);
}

static void
test_zoom_steps (Fixture       *f,
                 gconstpointer  data)
{
  double s;

  /* 400x300 fits 640x480 at 0.625; the next step up is 2^(-1/2). */
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 0.625, 1e-12);
  densito_scan_view_zoom_in (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 1.0 / G_SQRT2, 1e-12);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), >, 0.0);

  densito_scan_view_zoom_one (f->view);
  g_assert_cmpfloat (densito_scan_view_get_effective_scale (f->view), ==, 1.0);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 1.0);

  densito_scan_view_zoom_in (f->view);
  s = densito_scan_view_get_effective_scale (f->view);
  g_assert_cmpfloat_with_epsilon (s, G_SQRT2, 1e-12);
  densito_scan_view_zoom_in (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 2.0, 1e-12);
  densito_scan_view_zoom_out (f->view);
  densito_scan_view_zoom_out (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 1.0, 1e-12);
  densito_scan_view_zoom_out (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 1.0 / G_SQRT2, 1e-12);

  /* Limits */
  densito_scan_view_set_zoom (f->view, 1000.0);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, DENSITO_SCAN_VIEW_MAX_ZOOM);
  densito_scan_view_zoom_in (f->view);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, DENSITO_SCAN_VIEW_MAX_ZOOM);
  densito_scan_view_set_zoom (f->view, 0.001);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, DENSITO_SCAN_VIEW_MIN_ZOOM);
  densito_scan_view_zoom_out (f->view);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, DENSITO_SCAN_VIEW_MIN_ZOOM);

  densito_scan_view_zoom_fit (f->view);
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 0.0);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 0.625, 1e-12);

  /* A step is at least 10%: from just under one power of √2, the next
   * (the e2e test's fitted scan was at 0.702, and + went to 0.707). */
  densito_scan_view_set_zoom (f->view, 0.702);
  densito_scan_view_zoom_in (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 1.0, 1e-12);
  densito_scan_view_set_zoom (f->view, 1.02);
  densito_scan_view_zoom_out (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 1.0 / G_SQRT2, 1e-12);
  densito_scan_view_set_zoom (f->view, 0.75);
  densito_scan_view_zoom_out (f->view);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 0.5, 1e-12);
  densito_scan_view_zoom_fit (f->view);

  /* The widget's own actions, which the keys are bound to. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan-view.zoom-one", NULL));
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 1.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan-view.zoom-in", NULL));
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_zoom (f->view), G_SQRT2, 1e-12);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan-view.zoom-fit", NULL));
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 0.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan-view.show-rois", NULL));
  g_assert_false (densito_scan_view_get_show_rois (f->view));
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  static const double zooms[] = { 0.0, 0.05, 0.37, 1.0, 2.0 / 3.0, 7.3, 32.0 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < G_N_ELEMENTS (zooms); i++)
    {
      densito_scan_view_set_zoom (f->view, zooms[i]);
      densito_scan_view_pan (f->view, g_rand_double_range (rand, -200, 200), g_rand_double_range (rand, -200, 200));
      for (guint k = 0; k < 200; k++)
        assert_round_trip (f->view, g_rand_double_range (rand, -1000, 1000), g_rand_double_range (rand, -1000, 1000));
    }
}

static void
test_zoom_about_point (Fixture       *f,
                       gconstpointer  data)
{
  static const struct { double zoom, wx, wy; } steps[] = {
    { 3.0, 100.0, 80.0 },
    { 0.8, 250.0, 200.0 },
    { 11.5, 399.0, 40.0 },
    { 7.0, 123.25, 277.75 },
    { 7.0 * 1.189207115002721, 31.5, 299.0 },
  };
  double ix, iy, wx, wy;

  densito_scan_view_zoom_one (f->view);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      densito_scan_view_widget_to_image (f->view, steps[i].wx, steps[i].wy, &ix, &iy);
      densito_scan_view_zoom_at (f->view, steps[i].zoom, steps[i].wx, steps[i].wy);
      g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), steps[i].zoom, 1e-12);
      densito_scan_view_image_to_widget (f->view, ix, iy, &wx, &wy);
      g_assert_cmpfloat_with_epsilon (wx, steps[i].wx, 1e-9);
      g_assert_cmpfloat_with_epsilon (wy, steps[i].wy, 1e-9);
    }

  /* From fit too, where the image is centred. */
  densito_scan_view_zoom_fit (f->view);
  densito_scan_view_widget_to_image (f->view, 150.0, 120.0, &ix, &iy);
  densito_scan_view_zoom_at (f->view, 2.5, 150.0, 120.0);
  densito_scan_view_image_to_widget (f->view, ix, iy, &wx, &wy);
  g_assert_cmpfloat_with_epsilon (wx, 150.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (wy, 120.0, 1e-9);
}

static void
test_pan (Fixture       *f,
          gconstpointer  data)
{
  double x0, y0, x1, y1, before_x, before_y;

  /* Nothing to pan while the whole image fits. */
  densito_scan_view_image_to_widget (f->view, 0, 0, &before_x, &before_y);
  densito_scan_view_pan (f->view, 50, 50);
  densito_scan_view_image_to_widget (f->view, 0, 0, &x0, &y0);
  g_assert_cmpfloat (x0, ==, before_x);
  g_assert_cmpfloat (y0, ==, before_y);

  densito_scan_view_set_zoom (f->view, 2.0);
  densito_scan_view_image_to_widget (f->view, 0, 0, &before_x, &before_y);
  densito_scan_view_pan (f->view, 30, -20);
  densito_scan_view_image_to_widget (f->view, 0, 0, &x0, &y0);
  g_assert_cmpfloat_with_epsilon (x0 - before_x, 30.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (y0 - before_y, -20.0, 1e-9);

  /* However far it is pushed, half the view still shows image. */
  for (int dir = 0; dir < 4; dir++)
    {
      double d = 1e6 * (dir % 2 ? 1 : -1);

      densito_scan_view_pan (f->view, dir < 2 ? d : 0, dir < 2 ? 0 : d);
      densito_scan_view_pan (f->view, dir < 2 ? 0 : d, dir < 2 ? d : 0);
      densito_scan_view_image_to_widget (f->view, 0, 0, &x0, &y0);
      densito_scan_view_image_to_widget (f->view, IMAGE_W, IMAGE_H, &x1, &y1);
      g_assert_cmpfloat (MIN (x1, 400) - MAX (x0, 0), >=, 200 - 1e-9);
      g_assert_cmpfloat (MIN (y1, 300) - MAX (y0, 0), >=, 150 - 1e-9);
    }

  /* A small image may move, but half of it stays in view. */
  densito_scan_view_set_zoom (f->view, 0.25);
  densito_scan_view_pan (f->view, 1e6, 1e6);
  densito_scan_view_image_to_widget (f->view, 0, 0, &x0, &y0);
  densito_scan_view_image_to_widget (f->view, IMAGE_W, IMAGE_H, &x1, &y1);
  g_assert_cmpfloat (MIN (x1, 400) - MAX (x0, 0), >=, IMAGE_W * 0.25 / 2 - 1e-9);
  g_assert_cmpfloat (MIN (y1, 300) - MAX (y0, 0), >=, IMAGE_H * 0.25 / 2 - 1e-9);
  g_assert_cmpfloat (x0, >, 0.0);
}

static void
test_resize_keeps_center (Fixture       *f,
                          gconstpointer  data)
{
  double ix, iy, ix2, iy2;

  densito_scan_view_zoom_at (f->view, 3.0, 120, 90);
  densito_scan_view_widget_to_image (f->view, 200, 150, &ix, &iy);
  set_view_size (f, 500, 350);
  g_assert_cmpfloat (densito_scan_view_get_effective_scale (f->view), ==, 3.0);
  densito_scan_view_widget_to_image (f->view, 250, 175, &ix2, &iy2);
  g_assert_cmpfloat_with_epsilon (ix2, ix, 1e-9);
  g_assert_cmpfloat_with_epsilon (iy2, iy, 1e-9);
}

static void
test_message (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GdkTexture) other = make_texture (320, 200);
  GtkWidget *message = gtk_widget_get_first_child (GTK_WIDGET (f->view));

  g_assert_nonnull (message);
  g_assert_null (densito_scan_view_get_message_title (f->view));
  g_assert_false (gtk_widget_get_visible (message));

  densito_scan_view_set_message (f->view, "Cannot open 10002-1.png", "the PNG file is truncated");
  g_assert_cmpstr (densito_scan_view_get_message_title (f->view), ==, "Cannot open 10002-1.png");
  g_assert_true (gtk_widget_get_visible (message));

  densito_scan_view_set_texture (f->view, other);
  g_assert_null (densito_scan_view_get_message_title (f->view));
  g_assert_false (gtk_widget_get_visible (message));
  g_assert_true (densito_scan_view_get_texture (f->view) == other);
  g_assert_cmpfloat_with_epsilon (densito_scan_view_get_effective_scale (f->view), 1.25, 1e-12);

  densito_scan_view_set_message (f->view, "No scan", NULL);
  g_assert_true (gtk_widget_get_visible (message));
  densito_scan_view_set_message (f->view, NULL, NULL);
  g_assert_null (densito_scan_view_get_message_title (f->view));
  g_assert_false (gtk_widget_get_visible (message));
  g_assert_true (densito_scan_view_get_texture (f->view) == other);

  densito_scan_view_set_texture (f->view, NULL);
  g_assert_null (densito_scan_view_get_texture (f->view));
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  GHashTable *counts = data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, pspec->name));

  g_hash_table_insert (counts, (gpointer)pspec->name, GUINT_TO_POINTER (n + 1));
}

static guint
count (GHashTable *counts,
       const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

static void
test_notify (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  double d;
  gboolean b;

  g_signal_connect (f->view, "notify", G_CALLBACK (count_notify_cb), counts);

  g_object_set (f->view, "brightness", 0.25, NULL);
  g_object_set (f->view, "brightness", 0.25, NULL);
  g_assert_cmpuint (count (counts, "brightness"), ==, 1);
  g_object_get (f->view, "brightness", &d, NULL);
  g_assert_cmpfloat (d, ==, 0.25);

  densito_scan_view_set_contrast (f->view, 2.0);
  g_assert_cmpuint (count (counts, "contrast"), ==, 1);
  densito_scan_view_set_invert (f->view, TRUE);
  densito_scan_view_set_invert (f->view, TRUE);
  g_assert_cmpuint (count (counts, "invert"), ==, 1);
  g_object_get (f->view, "invert", &b, NULL);
  g_assert_true (b);

  densito_scan_view_reset_adjustments (f->view);
  g_assert_cmpuint (count (counts, "brightness"), ==, 2);
  g_assert_cmpuint (count (counts, "contrast"), ==, 2);
  g_assert_cmpuint (count (counts, "invert"), ==, 2);
  g_assert_cmpfloat (densito_scan_view_get_brightness (f->view), ==, 0.0);
  g_assert_cmpfloat (densito_scan_view_get_contrast (f->view), ==, 1.0);
  g_assert_false (densito_scan_view_get_invert (f->view));
  densito_scan_view_reset_adjustments (f->view);
  g_assert_cmpuint (count (counts, "brightness"), ==, 2);

  g_object_set (f->view, "show-rois", FALSE, NULL);
  g_object_set (f->view, "show-rois", FALSE, NULL);
  g_assert_cmpuint (count (counts, "show-rois"), ==, 1);

  densito_scan_view_zoom_one (f->view);
  g_assert_cmpuint (count (counts, "zoom"), ==, 1);
  g_assert_cmpuint (count (counts, "scale"), ==, 1);
  densito_scan_view_zoom_one (f->view);
  g_assert_cmpuint (count (counts, "zoom"), ==, 1);
  g_object_set (f->view, "zoom", 0.0, NULL);
  g_assert_cmpuint (count (counts, "zoom"), ==, 2);
  g_assert_cmpuint (count (counts, "scale"), ==, 2);

  /* While fitting, a resize changes the scale and says so. */
  set_view_size (f, 200, 300);
  spin (50);
  g_assert_cmpuint (count (counts, "scale"), ==, 3);
  g_object_get (f->view, "scale", &d, NULL);
  g_assert_cmpfloat_with_epsilon (d, 200.0 / IMAGE_W, 1e-12);
  g_assert_cmpuint (count (counts, "zoom"), ==, 2);

  /* Out-of-range values are clamped. */
  densito_scan_view_set_contrast (f->view, 100.0);
  g_assert_cmpfloat (densito_scan_view_get_contrast (f->view), ==, 4.0);
  densito_scan_view_set_brightness (f->view, -3.0);
  g_assert_cmpfloat (densito_scan_view_get_brightness (f->view), ==, -1.0);

  g_signal_handlers_disconnect_by_func (f->view, count_notify_cb, counts);
}

/* Render nodes */

typedef struct
{
  guint           n_textures;
  guint           n_cairo;
  guint           n_color_matrix;
  graphene_rect_t texture_bounds;
  graphene_rect_t cairo_bounds[16];
  GskRenderNode  *cairo_nodes[16];   /* compared only, not held */
} NodeCount;

static void
count_nodes (GskRenderNode *node,
             NodeCount     *c)
{
  switch ((int)gsk_render_node_get_node_type (node))
    {
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        count_nodes (gsk_container_node_get_child (node, i), c);
      break;
    case GSK_TEXTURE_NODE:
      gsk_render_node_get_bounds (node, &c->texture_bounds);
      c->n_textures++;
      break;
    case GSK_CAIRO_NODE:
      if (c->n_cairo < G_N_ELEMENTS (c->cairo_bounds))
        {
          gsk_render_node_get_bounds (node, &c->cairo_bounds[c->n_cairo]);
          c->cairo_nodes[c->n_cairo] = node;
        }
      c->n_cairo++;
      break;
    case GSK_COLOR_MATRIX_NODE:
      c->n_color_matrix++;
      count_nodes (gsk_color_matrix_node_get_child (node), c);
      break;
    case GSK_CLIP_NODE:
      count_nodes (gsk_clip_node_get_child (node), c);
      break;
    case GSK_TRANSFORM_NODE:
      count_nodes (gsk_transform_node_get_child (node), c);
      break;
    case GSK_DEBUG_NODE:
      count_nodes (gsk_debug_node_get_child (node), c);
      break;
    default:
      break;
    }
}

static void
snapshot_view (Fixture   *f,
               NodeCount *c)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;

  GTK_WIDGET_GET_CLASS (f->view)->snapshot (GTK_WIDGET (f->view), snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  memset (c, 0, sizeof *c);
  if (node != NULL)
    count_nodes (node, c);
}

static void
add_box (DensitoSidecar *sidecar,
         const char     *label,
         double          cx,
         double          cy,
         double          w,
         double          h,
         double          angle)
{
  DensitoBox box = { cx, cy, w, h, angle };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box (label, &box, DENSITO_SOURCE_OPERATOR);

  densito_sidecar_insert_roi (sidecar, densito_sidecar_get_n_rois (sidecar), roi);
}

static void
test_nodes (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(DensitoSidecar) sidecar = densito_sidecar_new ("/nonexistent/scan.png", NULL, IMAGE_W, IMAGE_H);
  static const char polyline[] =
    "{\"shapes\": [{\"label\": \"axis\", \"shape_type\": \"linestrip\","
    " \"points\": [[10, 10], [50, 60], [90, 40]]}]}";
  g_autoptr(DensitoSidecar) other = NULL;
  graphene_rect_t view = GRAPHENE_RECT_INIT (0, 0, 400, 300);
  NodeCount c;
  double xy[8];

  /* Fit at 0.625: the texture fills the view exactly. */
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_textures, ==, 1);
  g_assert_cmpuint (c.n_cairo, ==, 0);
  g_assert_cmpuint (c.n_color_matrix, ==, 0);
  g_assert_true (graphene_rect_equal (&c.texture_bounds, &GRAPHENE_RECT_INIT (0, 0, 400, 300)));

  add_box (sidecar, "total_hip", 320, 240, 200, 220, 0.0);
  add_box (sidecar, "neck", 300, 200, 96, 30, -35.0);
  add_box (sidecar, "L1", 100, 100, 80, 60, 0.0);
  densito_scan_view_set_rois (f->view, sidecar);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 3);

  for (guint i = 0; i < 3; i++)
    {
      /* Each node covers its own ROI, not the whole view. */
      g_assert_true (graphene_rect_contains_rect (&view, &c.cairo_bounds[i]));
      g_assert_cmpfloat (c.cairo_bounds[i].size.width * c.cairo_bounds[i].size.height, <, 0.5 * 400 * 300);
    }

  /* The rotated neck box's corners all lie in one of the nodes. */
  {
    DensitoBox neck = { 300, 200, 96, 30, -35.0 };
    gboolean found = FALSE;

    densito_box_corners (&neck, xy);
    for (guint i = 0; i < 3 && !found; i++)
      {
        gboolean all = TRUE;

        for (guint k = 0; k < 4; k++)
          {
            double wx, wy;

            densito_scan_view_image_to_widget (f->view, xy[2 * k], xy[2 * k + 1], &wx, &wy);
            all = all && graphene_rect_contains_point (&c.cairo_bounds[i], &GRAPHENE_POINT_INIT (wx, wy));
          }
        found = all;
      }
    g_assert_true (found);
  }

  /* Zoomed in on L1, the ROIs out of view get no node, and no node
   * reaches past the view. */
  {
    double wx, wy;

    densito_scan_view_image_to_widget (f->view, 100, 100, &wx, &wy);
    densito_scan_view_zoom_at (f->view, 8.0, wx, wy);
    snapshot_view (f, &c);
    g_assert_cmpuint (c.n_cairo, ==, 1);
    g_assert_true (graphene_rect_contains_rect (&view, &c.cairo_bounds[0]));
  }

  densito_scan_view_set_show_rois (f->view, FALSE);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 0);
  densito_scan_view_set_show_rois (f->view, TRUE);
  densito_scan_view_zoom_fit (f->view);

  /* Adjustments are one colour-matrix node, and only when needed. */
  densito_scan_view_set_invert (f->view, TRUE);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_color_matrix, ==, 1);
  g_assert_cmpuint (c.n_textures, ==, 1);
  densito_scan_view_set_invert (f->view, FALSE);
  densito_scan_view_set_contrast (f->view, 1.5);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_color_matrix, ==, 1);
  densito_scan_view_reset_adjustments (f->view);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_color_matrix, ==, 0);

  /* Edits show after rois_changed. */
  densito_sidecar_remove_roi (sidecar, 0, NULL);
  densito_scan_view_rois_changed (f->view);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 2);

  /* Shapes that are not boxes are drawn too. */
  other = densito_sidecar_load_from_data (polyline, sizeof polyline - 1, "/nonexistent/scan.png", NULL,
                                          IMAGE_W, IMAGE_H, NULL);
  g_assert_cmpuint (densito_sidecar_get_n_rois (other), ==, 1);
  g_assert_cmpint (densito_sidecar_get_roi (other, 0)->kind, ==, DENSITO_SHAPE_OTHER);
  densito_scan_view_set_rois (f->view, other);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 1);

  densito_scan_view_set_rois (f->view, NULL);
  g_assert_null (densito_scan_view_get_rois (f->view));
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 0);

  /* A message replaces the image. */
  densito_scan_view_set_message (f->view, "Cannot open", NULL);
  spin (100);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_textures, ==, 0);
}


/* The whole X screen, popovers included, into DENSITO_SCREENSHOT_DIR. */
static void
save_screenshot (Fixture    *f,
                 const char *name)
{
  const char *dir = g_getenv ("DENSITO_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autofree char *cmd = NULL;
  int status = 0;

  if (dir == NULL || !g_find_program_in_path ("import"))
    return;
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  cmd = g_strdup_printf ("import -window root %s", path);
  spin (100);
  if (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL))
    g_test_message ("screenshot: %s", path);
}

/* Editing. Keys and pointer drags go through the X server with xdotool,
 * as a user's would (the suite runs under Xvfb with GDK_BACKEND=x11). */

typedef struct
{
  DensitoSidecar   *sidecar;
  DensitoEditStack *stack;
} Editing;

static void
editing_set_up (Fixture *f,
                Editing *e)
{
  e->sidecar = densito_sidecar_new ("/nonexistent/10002-2.png", NULL, IMAGE_W, IMAGE_H);
  add_box (e->sidecar, "L1", 320, 100, 116, 80, 0.0);     /* y 60..140 */
  add_box (e->sidecar, "L2", 320, 185, 116, 90, 0.0);     /* y 140..230, shares L1's bottom */
  add_box (e->sidecar, "neck", 150, 380, 49, 15, 0.0);
  e->stack = densito_edit_stack_new (e->sidecar);
  densito_scan_view_set_edit_stack (f->view, e->stack, "spine");
}

static void
editing_tear_down (Editing *e)
{
  g_clear_object (&e->stack);
  g_clear_object (&e->sidecar);
}

static void
assert_box_same (const DensitoBox *a,
                 const DensitoBox *b)
{
  g_assert_cmpfloat (a->cx, ==, b->cx);
  g_assert_cmpfloat (a->cy, ==, b->cy);
  g_assert_cmpfloat (a->width, ==, b->width);
  g_assert_cmpfloat (a->height, ==, b->height);
  g_assert_cmpfloat (a->angle, ==, b->angle);
}

static const DensitoBox *
box_of (Editing *e,
        guint    i)
{
  g_assert_cmpuint (i, <, densito_sidecar_get_n_rois (e->sidecar));
  return &densito_sidecar_get_roi (e->sidecar, i)->box;
}

static gulong
x_window (Fixture *f)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (f->window));

  return gdk_x11_surface_get_xid (surface);
}

static void
run_xdotool (const char *args)
{
  g_autofree char *cmd = g_strdup_printf ("xdotool %s", args);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Gives the window the keyboard focus and the view the GTK focus. */
static void
focus_view (Fixture *f)
{
  g_autofree char *args = g_strdup_printf ("windowfocus --sync %lu", x_window (f));

  run_xdotool (args);
  gtk_widget_grab_focus (GTK_WIDGET (f->view));
  spin (50);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (f->view)));
}

/* Sends keys and lets GTK handle them. */
static void
press (Fixture    *f,
       const char *keys)
{
  g_autofree char *args = g_strdup_printf ("key --delay 20 --window %lu %s", x_window (f), keys);

  run_xdotool (args);
  spin (120);
}

/* Widget coordinates to the X window's. */
static void
view_to_window (Fixture *f,
                double   wx,
                double   wy,
                int     *x,
                int     *y)
{
  graphene_point_t p;
  double sx, sy;

  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (f->view), GTK_WIDGET (f->window),
                                           &GRAPHENE_POINT_INIT (wx, wy), &p));
  gtk_native_get_surface_transform (GTK_NATIVE (f->window), &sx, &sy);
  *x = (int)round (p.x + sx);
  *y = (int)round (p.y + sy);
}

/* A primary-button drag from (@wx, @wy) by (@dx, @dy) widget pixels,
 * in several motion steps. */
static void drag_button (Fixture *f, double wx, double wy, int dx, int dy, gboolean shift, int button);

static void
drag (Fixture *f,
      double   wx,
      double   wy,
      int      dx,
      int      dy,
      gboolean shift)
{
  drag_button (f, wx, wy, dx, dy, shift, 1);
}

static void
drag_button (Fixture *f,
             double   wx,
             double   wy,
             int      dx,
             int      dy,
             gboolean shift,
             int      button)
{
  g_autofree char *args = NULL;
  gulong xid = x_window (f);
  int x, y;

  view_to_window (f, wx, wy, &x, &y);
  args = g_strdup_printf ("mousemove --window %lu %d %d sleep 0.05 %s mousedown %d sleep 0.05 "
                          "mousemove --window %lu %d %d sleep 0.03 "
                          "mousemove --window %lu %d %d sleep 0.03 "
                          "mousemove --window %lu %d %d sleep 0.05 mouseup %d %s",
                          xid, x, y, shift ? "keydown shift" : "", button,
                          xid, x + dx / 3, y + dy / 3,
                          xid, x + dx + 3, y + dy - 2,
                          xid, x + dx, y + dy, button, shift ? "keyup shift" : "");
  run_xdotool (args);
  spin (150);
}

static void
centre_of (Fixture          *f,
           const DensitoBox *b,
           double           *wx,
           double           *wy)
{
  densito_scan_view_image_to_widget (f->view, b->cx, b->cy, wx, wy);
}

static void
count_selected_cb (GObject    *object,
                   GParamSpec *pspec,
                   guint      *count)
{
  (*count)++;
}

static void
test_edit_contract (Fixture       *f,
                    gconstpointer  data)
{
  Editing e;
  NodeCount c;
  guint notified = 0;
  double hx, hy;

  g_assert_null (densito_scan_view_get_edit_stack (f->view));
  editing_set_up (f, &e);
  /* Nothing selected: delete does nothing. */
  gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.delete", NULL);
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 3);
  g_assert_true (densito_scan_view_get_edit_stack (f->view) == e.stack);
  g_assert_true (densito_scan_view_get_rois (f->view) == e.sidecar);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 3);

  /* The view follows the stack without being told. */
  densito_edit_stack_delete (e.stack, 2);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 2);
  densito_edit_stack_undo (e.stack);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 3);

  /* Selection: a property; the handles go into the ROI's own node. */
  g_signal_connect (f->view, "notify::selected", G_CALLBACK (count_selected_cb), &notified);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);
  densito_scan_view_set_selected (f->view, 1);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 1);
  g_assert_cmpuint (notified, ==, 1);
  densito_scan_view_set_selected (f->view, 1);
  g_assert_cmpuint (notified, ==, 1);
  snapshot_view (f, &c);
  g_assert_cmpuint (c.n_cairo, ==, 3);
  densito_scan_view_get_rotation_handle_point (f->view, &hx, &hy);
  {
    gboolean found = FALSE;

    for (guint i = 0; i < c.n_cairo; i++)
      found = found || graphene_rect_contains_point (&c.cairo_bounds[i], &GRAPHENE_POINT_INIT (hx, hy));
    g_assert_true (found);
    for (guint i = 0; i < c.n_cairo; i++)
      g_assert_cmpfloat (c.cairo_bounds[i].size.width * c.cairo_bounds[i].size.height, <, 0.5 * 400 * 300);
  }
  g_assert_null (gtk_test_accessible_check_property (GTK_ACCESSIBLE (f->view),
                                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                     "L2 vertebra, x 262, y 140, 116 by 90 pixels"));

  /* A frame with nothing changed appends the very same ROI nodes, so
   * GTK redraws nothing; moving one ROI gives that ROI a new node only. */
  {
    NodeCount again;
    guint same = 0;
    DensitoBox b = *box_of (&e, 2);

    snapshot_view (f, &again);
    g_assert_cmpuint (again.n_cairo, ==, c.n_cairo);
    for (guint i = 0; i < c.n_cairo; i++)
      g_assert_true (again.cairo_nodes[i] == c.cairo_nodes[i]);
    b.cx += 5;
    densito_edit_stack_set_box (e.stack, 2, &b, 0);
    snapshot_view (f, &again);
    for (guint i = 0; i < again.n_cairo; i++)
      for (guint j = 0; j < c.n_cairo; j++)
        same += again.cairo_nodes[i] == c.cairo_nodes[j];
    g_assert_cmpuint (same, ==, 2);
    densito_edit_stack_undo (e.stack);
  }

  /* Deleting the selected ROI through the stack drops the selection. */
  densito_edit_stack_delete (e.stack, 1);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);
  g_assert_cmpuint (notified, ==, 2);
  densito_edit_stack_undo (e.stack);

  /* Out of range means none. */
  densito_scan_view_set_selected (f->view, 99);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);

  /* Actions for the toolbar. */
  densito_scan_view_set_selected (f->view, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.duplicate", NULL));
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 4);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 3);
  g_assert_cmpfloat (box_of (&e, 3)->cx, ==, 160.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.delete", NULL));
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 3);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.add-roi", "s", "wards"));
  g_assert_true (densito_scan_view_get_adding (f->view));

  /* Without a stack: read-only, nothing shown. */
  densito_scan_view_set_edit_stack (f->view, NULL, NULL);
  g_assert_null (densito_scan_view_get_edit_stack (f->view));
  g_assert_null (densito_scan_view_get_rois (f->view));
  g_assert_false (densito_scan_view_get_adding (f->view));
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);
  /* The handler ran for the reset above; nothing holds the stack. */
  g_signal_handlers_disconnect_by_func (f->view, count_selected_cb, &notified);
  g_object_add_weak_pointer (G_OBJECT (e.stack), (gpointer *)&e.stack);
  g_object_unref (e.stack);
  g_assert_null (e.stack);
  editing_tear_down (&e);

  /* set_rois still shows ROIs read-only. */
  {
    g_autoptr(DensitoSidecar) ro = densito_sidecar_new ("/nonexistent/x.png", NULL, IMAGE_W, IMAGE_H);

    add_box (ro, "L3", 100, 100, 50, 50, 0.0);
    densito_scan_view_set_rois (f->view, ro);
    snapshot_view (f, &c);
    g_assert_cmpuint (c.n_cairo, ==, 1);
    /* Read-only: the edit actions do nothing. */
    gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.add-roi", "s", "L4");
    g_assert_false (densito_scan_view_get_adding (f->view));
    densito_scan_view_set_selected (f->view, 0);
    gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.delete", NULL);
    g_assert_cmpuint (densito_sidecar_get_n_rois (ro), ==, 1);
    densito_scan_view_set_rois (f->view, NULL);
  }
}

static void
test_edit_keys (Fixture       *f,
                gconstpointer  data)
{
  Editing e;
  DensitoBox start;

  editing_set_up (f, &e);
  densito_scan_view_zoom_one (f->view);
  focus_view (f);

  /* Tab and Shift+Tab cycle; past the last one the focus moves on. */
  press (f, "Tab");
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 0);
  press (f, "Tab Tab");
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 2);
  press (f, "shift+Tab");
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 1);
  press (f, "Escape");
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);
  press (f, "Tab Tab Tab");
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 2);
  g_assert_null (gtk_test_accessible_check_property (GTK_ACCESSIBLE (f->view),
                                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                     "Femoral neck, x 126, y 372, 49 by 15 pixels"));

  /* Arrows move 1 image pixel, Shift 10, at zoom 1 and at zoom 2. */
  start = *box_of (&e, 2);
  press (f, "Right Right Down");
  g_assert_cmpfloat (box_of (&e, 2)->cx, ==, start.cx + 2);
  g_assert_cmpfloat (box_of (&e, 2)->cy, ==, start.cy + 1);
  densito_scan_view_set_zoom (f->view, 2.0);
  press (f, "shift+Left shift+Up");
  g_assert_cmpfloat (box_of (&e, 2)->cx, ==, start.cx - 8);
  g_assert_cmpfloat (box_of (&e, 2)->cy, ==, start.cy - 9);
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, 49.0);
  g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, 5);

  /* Ctrl+arrows resize: right and down grow, left and up shrink; the
   * top-left corner stays. */
  start = *box_of (&e, 2);
  press (f, "ctrl+Right ctrl+Right ctrl+shift+Down ctrl+Up");
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, 51.0);
  g_assert_cmpfloat (box_of (&e, 2)->height, ==, 24.0);
  g_assert_cmpfloat (box_of (&e, 2)->cx - 25.5, ==, start.cx - 24.5);
  g_assert_cmpfloat (box_of (&e, 2)->cy - 12.0, ==, start.cy - 7.5);
  press (f, "ctrl+shift+Left");
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, 41.0);

  /* ] five times: 5 degrees; Shift+[ takes 5 back. */
  press (f, "bracketright bracketright bracketright bracketright bracketright");
  g_assert_cmpfloat (box_of (&e, 2)->angle, ==, 5.0);
  g_assert_null (gtk_test_accessible_check_property (GTK_ACCESSIBLE (f->view),
                                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                     "Femoral neck, x 118, y 364, 41 by 24 pixels, rotated 5 degrees"));
  press (f, "shift+bracketleft");
  g_assert_cmpfloat (box_of (&e, 2)->angle, ==, 0.0);

  /* Ctrl+D duplicates 10 px away and selects the copy; Delete removes it. */
  press (f, "ctrl+d");
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 4);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 3);
  g_assert_cmpfloat (box_of (&e, 3)->cx, ==, box_of (&e, 2)->cx + 10);
  g_assert_cmpfloat (box_of (&e, 3)->cy, ==, box_of (&e, 2)->cy + 10);
  press (f, "Delete");
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 3);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);

  /* Everything undoes step by step to the start. */
  while (densito_edit_stack_undo (e.stack))
    ;
  g_assert_cmpfloat (box_of (&e, 2)->cx, ==, 150.0);
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, 49.0);

  /* The view keys still work: 0 fits, O hides the ROIs. */
  press (f, "0");
  g_assert_cmpfloat (densito_scan_view_get_zoom (f->view), ==, 0.0);
  press (f, "o");
  g_assert_false (densito_scan_view_get_show_rois (f->view));
  press (f, "o");
  editing_tear_down (&e);
}

static void
test_edit_drags (Fixture       *f,
                 gconstpointer  data)
{
  Editing e;
  DensitoBox start;
  double wx, wy;
  guint depth;

  editing_set_up (f, &e);
  densito_scan_view_zoom_one (f->view);
  densito_scan_view_pan (f->view, 100, -40);
  focus_view (f);

  /* A click selects; a drag of 20 px at zoom 1 moves by 20.0, one step. */
  start = *box_of (&e, 2);
  centre_of (f, &start, &wx, &wy);
  drag (f, wx, wy, 20, -7, FALSE);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 2);
  g_assert_cmpfloat (box_of (&e, 2)->cx, ==, start.cx + 20.0);
  g_assert_cmpfloat (box_of (&e, 2)->cy, ==, start.cy - 7.0);
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, 49.0);
  g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, 1);

  /* Escape in the middle of a drag puts the box back, with no step. */
  {
    DensitoBox here = *box_of (&e, 2);
    g_autofree char *args = NULL;
    gulong xid = x_window (f);
    int x, y;

    centre_of (f, &here, &wx, &wy);
    view_to_window (f, wx, wy, &x, &y);
    args = g_strdup_printf ("mousemove --window %lu %d %d sleep 0.05 mousedown 1 sleep 0.05 "
                            "mousemove --window %lu %d %d sleep 0.1 key Escape sleep 0.1 "
                            "mousemove --window %lu %d %d sleep 0.05 mouseup 1",
                            xid, x, y, xid, x + 15, y + 4, xid, x + 25, y + 8);
    run_xdotool (args);
    spin (150);
    assert_box_same (box_of (&e, 2), &here);
    g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, 1);
    g_assert_false (densito_edit_stack_can_redo (e.stack));
  }

  /* At zoom 2 the same drag moves by 10.0. */
  start = *box_of (&e, 2);
  centre_of (f, &start, &wx, &wy);
  densito_scan_view_zoom_at (f->view, 2.0, wx, wy);
  centre_of (f, &start, &wx, &wy);
  drag (f, wx, wy, 20, 0, FALSE);
  g_assert_cmpfloat (box_of (&e, 2)->cx, ==, start.cx + 10.0);
  g_assert_cmpfloat (box_of (&e, 2)->cy, ==, start.cy);
  g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, 2);

  /* The right handle widens it, the left edge staying put. */
  densito_scan_view_get_handle_point (f->view, 1, 0, &wx, &wy);
  drag (f, wx, wy, 12, 5, FALSE);
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, 55.0);
  g_assert_cmpfloat (box_of (&e, 2)->height, ==, 15.0);
  g_assert_cmpfloat (box_of (&e, 2)->cx - box_of (&e, 2)->width / 2, ==, start.cx + 10.0 - 24.5);
  g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, 3);

  /* The rotation handle turns it about its centre. */
  start = *box_of (&e, 2);
  densito_scan_view_get_rotation_handle_point (f->view, &wx, &wy);
  drag (f, wx, wy, 30, 0, FALSE);
  g_assert_cmpfloat (box_of (&e, 2)->angle, >, 10.0);
  g_assert_cmpfloat (box_of (&e, 2)->angle, <, 80.0);
  g_assert_cmpfloat (box_of (&e, 2)->cx, ==, start.cx);
  g_assert_cmpfloat (box_of (&e, 2)->width, ==, start.width);
  g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, 4);

  /* The border between L1 and L2, 9 widget px down at zoom 1: both
   * resized, one step. */
  densito_scan_view_zoom_one (f->view);
  densito_scan_view_image_to_widget (f->view, 300, 140, &wx, &wy);
  densito_scan_view_pan (f->view, 200 - wx, 150 - wy);
  densito_scan_view_image_to_widget (f->view, 300, 140, &wx, &wy);
  g_assert_cmpfloat (wx, ==, 200);
  depth = densito_edit_stack_get_depth (e.stack);
  drag (f, wx, wy, 0, 9, FALSE);
  g_assert_cmpfloat (box_of (&e, 0)->cy + box_of (&e, 0)->height / 2, ==, 149.0);
  g_assert_cmpfloat (box_of (&e, 0)->cy - box_of (&e, 0)->height / 2, ==, 60.0);
  g_assert_cmpfloat (box_of (&e, 1)->cy - box_of (&e, 1)->height / 2, ==, 149.0);
  g_assert_cmpfloat (box_of (&e, 1)->cy + box_of (&e, 1)->height / 2, ==, 230.0);
  g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, depth + 1);
  densito_edit_stack_undo (e.stack);
  g_assert_cmpfloat (box_of (&e, 0)->height, ==, 80.0);
  g_assert_cmpfloat (box_of (&e, 1)->height, ==, 90.0);

  /* Add: the action, then a drag draws the box. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.add-roi", "s", "L3"));
  densito_scan_view_image_to_widget (f->view, 280, 240, &wx, &wy);
  drag (f, wx, wy, 60, 40, FALSE);
  g_assert_false (densito_scan_view_get_adding (f->view));
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 4);
  g_assert_cmpstr (densito_sidecar_get_roi (e.sidecar, 3)->label, ==, "L3");
  g_assert_cmpfloat (box_of (&e, 3)->cx, ==, 310.0);
  g_assert_cmpfloat (box_of (&e, 3)->cy, ==, 260.0);
  g_assert_cmpfloat (box_of (&e, 3)->width, ==, 60.0);
  g_assert_cmpfloat (box_of (&e, 3)->height, ==, 40.0);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 3);

  /* A click adds nothing and leaves the add pending; Escape cancels it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.add-roi", "s", "L4"));
  drag (f, 20, 250, 0, 0, FALSE);
  g_assert_true (densito_scan_view_get_adding (f->view));
  g_assert_cmpuint (densito_sidecar_get_n_rois (e.sidecar), ==, 4);
  press (f, "Escape");
  g_assert_false (densito_scan_view_get_adding (f->view));
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 3);

  /* Shift on a corner keeps the aspect ratio: L1 is 116 x 80, dragged
   * 29 px right from its bottom-right corner it becomes 145 x 100, its
   * top-left corner staying at (262, 60). */
  densito_scan_view_set_selected (f->view, 0);
  densito_scan_view_get_handle_point (f->view, 1, 1, &wx, &wy);
  drag (f, wx, wy, 29, 3, TRUE);
  g_assert_cmpfloat (box_of (&e, 0)->width, ==, 145.0);
  g_assert_cmpfloat (box_of (&e, 0)->height, ==, 100.0);
  g_assert_cmpfloat (box_of (&e, 0)->cx - 72.5, ==, 262.0);
  g_assert_cmpfloat (box_of (&e, 0)->cy - 50.0, ==, 60.0);

  /* Shift on the rotation handle snaps to 15 degrees. */
  densito_scan_view_get_rotation_handle_point (f->view, &wx, &wy);
  drag (f, wx, wy, 40, 9, TRUE);
  g_assert_cmpfloat (fmod (box_of (&e, 0)->angle, 15.0), ==, 0.0);
  g_assert_cmpfloat (box_of (&e, 0)->angle, >, 0.0);
  g_assert_cmpfloat (box_of (&e, 0)->width, ==, 145.0);

  /* The middle button still pans, and edits nothing. */
  depth = densito_edit_stack_get_depth (e.stack);
  {
    DensitoBox before = *box_of (&e, 0);
    double ix0, iy0, ix1, iy1;

    densito_scan_view_widget_to_image (f->view, 200, 150, &ix0, &iy0);
    drag_button (f, 200, 150, 30, -20, FALSE, 2);
    densito_scan_view_widget_to_image (f->view, 200, 150, &ix1, &iy1);
    g_assert_cmpfloat (ix1, ==, ix0 - 30);
    g_assert_cmpfloat (iy1, ==, iy0 + 20);
    g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, depth);
    g_assert_cmpfloat (box_of (&e, 0)->cx, ==, before.cx);

    /* So does Space with the primary button, even over an ROI. */
    densito_scan_view_image_to_widget (f->view, before.cx, before.cy, &wx, &wy);
    densito_scan_view_widget_to_image (f->view, wx, wy, &ix0, &iy0);
    {
      g_autofree char *down = g_strdup_printf ("keydown --window %lu space", x_window (f));
      g_autofree char *up = g_strdup_printf ("keyup --window %lu space", x_window (f));

      run_xdotool (down);
      spin (80);
      drag (f, wx, wy, -16, 10, FALSE);
      run_xdotool (up);
      spin (80);
    }
    densito_scan_view_widget_to_image (f->view, wx, wy, &ix1, &iy1);
    g_assert_cmpfloat (ix1, ==, ix0 + 16);
    g_assert_cmpfloat (iy1, ==, iy0 - 10);
    g_assert_cmpuint (densito_edit_stack_get_depth (e.stack), ==, depth);
    g_assert_cmpfloat (box_of (&e, 0)->cx, ==, before.cx);
  }

  /* A click on nothing deselects. */
  drag (f, 2, 2, 0, 0, FALSE);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, -1);
  editing_tear_down (&e);
}

static void
test_edit_popovers (Fixture       *f,
                    gconstpointer  data)
{
  Editing e;
  GtkWidget *popover;
  GtkWidget *child;
  guint n_buttons = 0;
  GtkWidget *l4 = NULL;

  editing_set_up (f, &e);
  set_view_size (f, 640, 480);
  densito_scan_view_zoom_one (f->view);
  densito_scan_view_set_selected (f->view, 1);
  spin (100);
  save_screenshot (f, "scan-view-selected.png");

  /* The add menu lists the spine's vocabulary. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "scan.add-menu", NULL));
  popover = densito_scan_view_get_popover (f->view);
  g_assert_nonnull (popover);
  spin (300);
  g_assert_true (gtk_widget_get_visible (popover));
  for (child = gtk_widget_get_first_child (gtk_popover_get_child (GTK_POPOVER (popover))); child;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_BUTTON (child))
      {
        const char *id = g_object_get_data (G_OBJECT (child), "densito-label");

        n_buttons++;
        if (g_strcmp0 (id, "L4") == 0)
          l4 = child;
      }
  g_assert_cmpuint (n_buttons, ==, 4);
  g_assert_nonnull (l4);
  save_screenshot (f, "scan-view-add-popover.png");
  /* Choosing one starts an add with it. */
  g_signal_emit_by_name (l4, "clicked");
  spin (200);
  g_assert_true (densito_scan_view_get_adding (f->view));
  g_assert_false (gtk_widget_get_visible (popover));
  press (f, "Escape");

  /* Relabel: the same list, and a free label in the entry. */
  focus_view (f);
  press (f, "Escape");
  densito_scan_view_set_selected (f->view, 1);
  press (f, "F2");
  g_assert_true (gtk_widget_get_visible (popover));
  save_screenshot (f, "scan-view-relabel-popover.png");
  for (child = gtk_widget_get_first_child (gtk_popover_get_child (GTK_POPOVER (popover))); child;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_ENTRY (child))
      {
        gtk_editable_set_text (GTK_EDITABLE (child), "  T12  ");
        g_signal_emit_by_name (child, "activate");
      }
  spin (200);
  g_assert_cmpstr (densito_sidecar_get_roi (e.sidecar, 1)->label, ==, "T12");
  g_assert_false (gtk_widget_get_visible (popover));
  densito_edit_stack_undo (e.stack);
  g_assert_cmpstr (densito_sidecar_get_roi (e.sidecar, 1)->label, ==, "L2");
  editing_tear_down (&e);
}

static double
point_x (DensitoSidecar *sidecar,
         guint           i,
         guint           k,
         double         *y)
{
  guint n = 0;
  g_autofree double *xy = densito_roi_dup_points (densito_sidecar_get_roi (sidecar, i), &n);

  g_assert_cmpuint (k, <, n);
  *y = xy[2 * k + 1];
  return xy[2 * k];
}

/* A labelme polygon is selected, moved by arrows and by dragging its
 * body, and deleted; it offers no handles, and says so. */
static void
test_edit_polygon (Fixture       *f,
                   gconstpointer  data)
{
  static const char doc[] =
    "{\"shapes\": [{\"label\": \"bone\", \"shape_type\": \"polygon\","
    " \"points\": [[200, 150], [260, 140], [290, 190], [250, 250], [195, 220]]}]}";
  g_autoptr(DensitoSidecar) sidecar = densito_sidecar_load_from_data (doc, sizeof doc - 1,
                                                                      "/nonexistent/10002-1.png", NULL,
                                                                      IMAGE_W, IMAGE_H, NULL);
  g_autoptr(DensitoEditStack) stack = densito_edit_stack_new (sidecar);
  double x0, y0, x, y, wx, wy, hx, hy;

  g_assert_cmpint (densito_sidecar_get_roi (sidecar, 0)->kind, ==, DENSITO_SHAPE_OTHER);
  densito_scan_view_set_edit_stack (f->view, stack, "hip");
  densito_scan_view_zoom_one (f->view);
  focus_view (f);
  x0 = point_x (sidecar, 0, 0, &y0);

  press (f, "Tab");
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 0);
  g_assert_null (gtk_test_accessible_check_property (GTK_ACCESSIBLE (f->view),
                                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                     "bone, a shape of 5 points, x 195, y 140, 95 by 110 pixels. "
                                                     "It can be moved with the arrow keys or deleted; only boxes "
                                                     "can be resized or rotated."));
  /* No resize or rotation handles. */
  densito_scan_view_get_handle_point (f->view, 1, 1, &hx, &hy);
  g_assert_cmpfloat (hx, ==, -1.0);
  densito_scan_view_get_rotation_handle_point (f->view, &hx, &hy);
  g_assert_cmpfloat (hx, ==, -1.0);
  save_screenshot (f, "scan-view-polygon-selected.png");

  /* Arrows move it (Shift: 10); Ctrl+arrows and [ ] do nothing to it. */
  press (f, "Right Right Down shift+Left");
  x = point_x (sidecar, 0, 0, &y);
  g_assert_cmpfloat (x, ==, x0 - 8);
  g_assert_cmpfloat (y, ==, y0 + 1);
  g_assert_cmpuint (densito_edit_stack_get_depth (stack), ==, 4);
  press (f, "ctrl+Right bracketright");
  g_assert_cmpfloat (point_x (sidecar, 0, 0, &y), ==, x0 - 8);
  g_assert_cmpuint (densito_edit_stack_get_depth (stack), ==, 4);

  /* A drag of its body by 20 widget px at zoom 1: 20 image px, one step;
   * the other points follow. */
  densito_scan_view_image_to_widget (f->view, 240 - 8, 190 + 1, &wx, &wy);
  drag (f, wx, wy, 20, -10, FALSE);
  x = point_x (sidecar, 0, 0, &y);
  g_assert_cmpfloat (x, ==, x0 - 8 + 20);
  g_assert_cmpfloat (y, ==, y0 + 1 - 10);
  x = point_x (sidecar, 0, 3, &y);
  g_assert_cmpfloat (x, ==, 250 - 8 + 20);
  g_assert_cmpfloat (y, ==, 250 + 1 - 10);
  g_assert_cmpuint (densito_edit_stack_get_depth (stack), ==, 5);
  g_assert_cmpint (densito_scan_view_get_selected (f->view), ==, 0);
  save_screenshot (f, "scan-view-polygon-moved.png");

  /* Undo puts it back; Delete removes it. */
  densito_edit_stack_undo (stack);
  g_assert_cmpfloat (point_x (sidecar, 0, 0, &y), ==, x0 - 8);
  press (f, "Delete");
  g_assert_cmpuint (densito_sidecar_get_n_rois (sidecar), ==, 0);
  densito_edit_stack_undo (stack);
  g_assert_cmpuint (densito_sidecar_get_n_rois (sidecar), ==, 1);

  densito_scan_view_set_edit_stack (f->view, NULL, NULL);
}

static void
test_accessible (Fixture       *f,
                 gconstpointer  data)
{
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (f->view)));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (f->view)), ==, GTK_ACCESSIBLE_ROLE_IMG);
  g_assert_cmpstr (gtk_widget_get_css_name (GTK_WIDGET (f->view)), ==, "scanview");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/scan-view/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("fit", test_fit);
  ADD ("zoom-steps", test_zoom_steps);
  ADD ("round-trip", test_round_trip);
  ADD ("zoom-about-point", test_zoom_about_point);
  ADD ("pan", test_pan);
  ADD ("resize-keeps-center", test_resize_keeps_center);
  ADD ("message", test_message);
  ADD ("notify", test_notify);
  ADD ("nodes", test_nodes);
  ADD ("accessible", test_accessible);
  ADD ("edit-contract", test_edit_contract);
  ADD ("edit-keys", test_edit_keys);
  ADD ("edit-drags", test_edit_drags);
  ADD ("edit-popovers", test_edit_popovers);
  ADD ("edit-polygon", test_edit_polygon);
#undef ADD

  return g_test_run ();
}
