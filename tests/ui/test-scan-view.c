/* test-scan-view.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DensitoScanView in a real window under Xvfb: fit, zoom steps, zoom
 * about a point, coordinate round trips, panning limits, the message,
 * property notification, and the render nodes snapshot produces.
 */
#include "config.h"

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
        gsk_render_node_get_bounds (node, &c->cairo_bounds[c->n_cairo]);
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
#undef ADD

  return g_test_run ();
}
