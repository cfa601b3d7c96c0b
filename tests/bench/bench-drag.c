/* bench-drag.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Frame intervals while an ROI is dragged: a 1000x1000 scan with 20 ROIs
 * in a DensitoScanView with an edit stack; from the frame clock's tick
 * callback, each frame moves one ROI a little further from where it
 * started, through the stack with one merge id, as a pointer drag does
 * (the stack's "changed" signal makes the view rebuild and redraw). The
 * intervals are the frame clock's own frame times, after a warm-up.
 *
 *   GSK_RENDERER=cairo xvfb-run -a -s "-screen 0 1400x1100x24" bench-drag [FRAMES [drag|baseline [VIEW]]]
 *
 * "baseline" only redraws the view every frame without moving anything:
 * the floor that the machine and renderer give. VIEW is the side of the
 * square view in pixels (default 1000: the scan at 1:1).
 */
#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>

#include "densito-edit-stack.h"
#include "densito-roi-geometry.h"
#include "densito-scan-view.h"

#define SIZE   1000
#define WARMUP 15

typedef struct
{
  DensitoEditStack *stack;
  DensitoBox        start;
  guint             merge;
  guint             frames;
  guint             wanted;
  gint64            last;
  GArray           *intervals;   /* double, ms */
  GMainLoop        *loop;
  gboolean          baseline;    /* only redraw, move nothing */
  int               view_size;   /* the view is square; the scan is fitted */
} Bench;

/* Something like a scan: a soft vertical band of "bone" on grey, with
 * noise, so the texture is not trivially compressible. */
static GdkTexture *
make_scan (void)
{
  g_autoptr(GBytes) bytes = NULL;
  guchar *data = g_malloc ((gsize)SIZE * SIZE * 3);
  guint32 seed = 12345;

  for (int y = 0; y < SIZE; y++)
    for (int x = 0; x < SIZE; x++)
      {
        double d = (x - SIZE / 2.0) / 180.0;
        int v = 200 - (int)(120.0 * exp (-d * d)) + (int)((y % 97) / 8);

        seed = seed * 1103515245u + 12345u;
        v += (int)((seed >> 16) % 12) - 6;
        v = CLAMP (v, 0, 255);
        data[((gsize)y * SIZE + x) * 3] = data[((gsize)y * SIZE + x) * 3 + 1] =
          data[((gsize)y * SIZE + x) * 3 + 2] = (guchar)v;
      }
  bytes = g_bytes_new_take (data, (gsize)SIZE * SIZE * 3);
  return gdk_memory_texture_new (SIZE, SIZE, GDK_MEMORY_R8G8B8, bytes, (gsize)SIZE * 3);
}

static DensitoSidecar *
make_rois (void)
{
  static const char *labels[] = { "L1", "L2", "L3", "L4", "neck", "total_hip", "wards",
                                  "trochanter", "intertrochanter", "radius_33" };
  DensitoSidecar *s = densito_sidecar_new ("/nonexistent/bench.png", NULL, SIZE, SIZE);

  for (guint i = 0; i < 20; i++)
    {
      DensitoBox box = { 120 + (i % 5) * 180, 120 + (i / 5) * 220, 116, 80 + (i % 3) * 10,
                         i % 4 == 3 ? -20.0 : 0.0 };
      g_autoptr(DensitoRoi) roi = densito_roi_new_box (labels[i % G_N_ELEMENTS (labels)], &box,
                                                       DENSITO_SOURCE_SCANNER);

      densito_sidecar_insert_roi (s, i, roi);
    }
  return s;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  Bench *b = data;
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  DensitoBox box;
  double t;

  if (b->last != 0 && b->frames > WARMUP)
    {
      double ms = (now - b->last) / 1000.0;
      g_array_append_val (b->intervals, ms);
    }
  b->last = now;
  b->frames++;

  /* A to-and-fro drag of up to 200 px, in whole and half pixels. */
  t = b->frames * 2.5;
  t = fmod (t, 400.0);
  t = t < 200.0 ? t : 400.0 - t;
  if (b->baseline)
    gtk_widget_queue_draw (widget);
  else
    {
      densito_box_move (&b->start, t, t / 2.0, &box);
      densito_edit_stack_set_box (b->stack, 7, &box, b->merge);
    }

  if (b->intervals->len >= b->wanted)
    {
      g_main_loop_quit (b->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(DensitoSidecar) sidecar = NULL;
  GtkWidget *window, *view;
  GskRenderer *renderer;
  Bench b = { 0 };
  double sum = 0.0, worst = 0.0;
  guint over17 = 0, over20 = 0;
  g_autoptr(GArray) sorted = NULL;

  gtk_init ();
  b.wanted = argc > 1 ? (guint)atoi (argv[1]) : 180;
  b.baseline = argc > 2 && g_str_equal (argv[2], "baseline");
  b.view_size = argc > 3 ? CLAMP (atoi (argv[3]), 100, 4000) : SIZE;
  if (b.wanted < 10)
    b.wanted = 10;
  b.intervals = g_array_new (FALSE, FALSE, sizeof (double));
  b.loop = g_main_loop_new (NULL, FALSE);

  texture = make_scan ();
  sidecar = make_rois ();
  b.stack = densito_edit_stack_new (sidecar);
  b.start = densito_sidecar_get_roi (sidecar, 7)->box;
  b.merge = densito_edit_stack_new_merge_id (b.stack);

  window = gtk_window_new ();
  view = densito_scan_view_new ();
  gtk_widget_set_size_request (view, b.view_size, b.view_size);
  gtk_window_set_child (GTK_WINDOW (window), view);
  densito_scan_view_set_texture (DENSITO_SCAN_VIEW (view), texture);
  densito_scan_view_set_edit_stack (DENSITO_SCAN_VIEW (view), b.stack, "spine");
  densito_scan_view_set_selected (DENSITO_SCAN_VIEW (view), 7);
  gtk_window_present (GTK_WINDOW (window));

  gtk_widget_add_tick_callback (view, tick_cb, &b, NULL);
  g_main_loop_run (b.loop);

  renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  sorted = g_array_copy (b.intervals);
  g_array_sort (sorted, compare_double);
  for (guint i = 0; i < b.intervals->len; i++)
    {
      double ms = g_array_index (b.intervals, double, i);

      sum += ms;
      worst = MAX (worst, ms);
      over17 += ms > 17.0;
      over20 += ms > 20.0;
    }
  g_print ("mode=%s renderer=%s view=%dx%d scale=%.3f rois=%u frames=%u mean_ms=%.2f p50_ms=%.2f p95_ms=%.2f "
           "worst_ms=%.2f over_17ms=%u over_20ms=%u undo_steps=%u\n",
           b.baseline ? "baseline" : "drag",
           renderer ? G_OBJECT_TYPE_NAME (renderer) : "none",
           gtk_widget_get_width (view), gtk_widget_get_height (view),
           densito_scan_view_get_effective_scale (DENSITO_SCAN_VIEW (view)),
           densito_sidecar_get_n_rois (sidecar), b.intervals->len, sum / b.intervals->len,
           g_array_index (sorted, double, sorted->len / 2),
           g_array_index (sorted, double, (sorted->len * 95) / 100),
           worst, over17, over20, densito_edit_stack_get_depth (b.stack));

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&b.stack);
  g_array_unref (b.intervals);
  g_main_loop_unref (b.loop);
  return 0;
}
