/* test-edit.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ROI edit commands of DensitoEditStack with undo and redo of each,
 * the geometry of moving, resizing and rotating, the DXA rules (the neck
 * box keeps its size, L1-L4 share borders) and exact coordinates through
 * a save and a reload.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "densito-edit-stack.h"
#include "densito-roi-geometry.h"
#include "densito-sidecar.h"
#include "test-util.h"

#define W 1000
#define H 1000

typedef struct
{
  char             *dir;
  char             *image;
  DensitoSidecar   *sidecar;
  DensitoEditStack *stack;
  guint             changed;
} Fixture;

static void
changed_cb (DensitoEditStack *stack,
            Fixture          *f)
{
  f->changed++;
}

static void
add_plain (DensitoSidecar *s,
           const char     *label,
           double          cx,
           double          cy,
           double          w,
           double          h,
           double          angle)
{
  DensitoBox box = { cx, cy, w, h, angle };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box (label, &box, DENSITO_SOURCE_SCANNER);

  densito_sidecar_insert_roi (s, densito_sidecar_get_n_rois (s), roi);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->dir = test_make_tmpdir ();
  f->image = test_write_png (f->dir, "10002-2.png", W, H, FALSE);
  f->sidecar = densito_sidecar_new (f->image, NULL, W, H);
  /* A spine: L1 on top of L2 (touching), L3 one pixel below L2, L4 off to
   * the side; and a neck box. */
  add_plain (f->sidecar, "L1", 500, 200, 116, 80, 0);     /* y 160..240 */
  add_plain (f->sidecar, "L2", 500, 285, 116, 90, 0);     /* y 240..330 */
  add_plain (f->sidecar, "L3", 505, 381, 110, 100, 0);    /* y 331..431 */
  add_plain (f->sidecar, "L4", 800, 480, 116, 98, 0);
  add_plain (f->sidecar, "neck", 300, 700, 49, 15, -35);
  f->stack = densito_edit_stack_new (f->sidecar);
  g_signal_connect (f->stack, "changed", G_CALLBACK (changed_cb), f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->stack);
  g_clear_object (&f->sidecar);
  test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->image);
}

static const DensitoRoi *
roi_at (Fixture *f,
        guint    i)
{
  return densito_sidecar_get_roi (f->sidecar, i);
}

static void
assert_box_equal (const DensitoBox *a,
                  const DensitoBox *b)
{
  g_assert_cmpfloat (a->cx, ==, b->cx);
  g_assert_cmpfloat (a->cy, ==, b->cy);
  g_assert_cmpfloat (a->width, ==, b->width);
  g_assert_cmpfloat (a->height, ==, b->height);
  g_assert_cmpfloat (a->angle, ==, b->angle);
}

/* Every ROI's label and box, to compare whole states. */
static char *
state (Fixture *f)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < densito_sidecar_get_n_rois (f->sidecar); i++)
    {
      const DensitoRoi *r = roi_at (f, i);
      g_string_append_printf (s, "%s %s %.17g %.17g %.17g %.17g %.17g\n", r->key, r->label,
                              r->box.cx, r->box.cy, r->box.width, r->box.height, r->box.angle);
    }
  return g_string_free (s, FALSE);
}

static void
test_add (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *before = state (f);
  g_autofree char *after = NULL;
  g_autofree char *redone = NULL;
  DensitoBox box = { 320, 660, 20, 20, 0 };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box ("wards", &box, DENSITO_SOURCE_OPERATOR);

  g_assert_cmpuint (densito_edit_stack_add (f->stack, roi), ==, 5);
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 6);
  g_assert_cmpstr (roi_at (f, 5)->label, ==, "wards");
  g_assert_nonnull (roi_at (f, 5)->by);
  after = state (f);

  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_cmpuint (f->changed, ==, 2);
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 5);
  {
    g_autofree char *now = state (f);
    g_assert_cmpstr (now, ==, before);
  }
  g_assert_true (densito_edit_stack_redo (f->stack));
  g_assert_cmpuint (f->changed, ==, 3);
  redone = state (f);
  g_assert_cmpstr (redone, ==, after);
}

static void
test_add_many (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *before = state (f);
  g_autofree char *after = NULL;
  DensitoRoi rois[3];
  guint first;

  /* Copies of three ROIs of "the previous image", keys and all. */
  for (guint k = 0; k < 3; k++)
    {
      rois[k] = *roi_at (f, k);
      rois[k].box.cx += 1.5;
    }
  first = densito_edit_stack_add_many (f->stack, rois, 3);
  g_assert_cmpuint (first, ==, 5);
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 8);
  for (guint k = 0; k < 3; k++)
    {
      g_assert_cmpstr (roi_at (f, 5 + k)->label, ==, roi_at (f, k)->label);
      g_assert_cmpfloat (roi_at (f, 5 + k)->box.cx, ==, roi_at (f, k)->box.cx + 1.5);
      /* Keys stay unique in one sidecar. */
      g_assert_cmpstr (roi_at (f, 5 + k)->key, !=, roi_at (f, k)->key);
    }
  after = state (f);

  /* One undo takes all three away. */
  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_false (densito_edit_stack_can_undo (f->stack));
  {
    g_autofree char *now = state (f);
    g_assert_cmpstr (now, ==, before);
  }
  g_assert_true (densito_edit_stack_redo (f->stack));
  {
    g_autofree char *now = state (f);
    g_assert_cmpstr (now, ==, after);
  }
  g_assert_cmpuint (densito_edit_stack_add_many (f->stack, NULL, 0), ==, 8);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
}

static void
test_delete (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *before = state (f);
  g_autofree char *key = g_strdup (roi_at (f, 1)->key);

  densito_edit_stack_delete (f->stack, 1);
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 4);
  g_assert_cmpint (densito_sidecar_find_roi (f->sidecar, key), ==, -1);
  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_cmpint (densito_sidecar_find_roi (f->sidecar, key), ==, 1);
  {
    g_autofree char *now = state (f);
    g_assert_cmpstr (now, ==, before);
  }
  g_assert_true (densito_edit_stack_redo (f->stack));
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 4);
}

/* A drag sends the whole offset since it began; at zoom z, N screen
 * pixels are N / z image pixels, whatever the motion events were. */
static void
drag_move (Fixture *f,
           guint    i,
           double   zoom,
           double   total_x,
           double   total_y,
           guint    n_events)
{
  DensitoBox start = roi_at (f, i)->box;
  guint merge = densito_edit_stack_new_merge_id (f->stack);

  for (guint k = 1; k <= n_events; k++)
    {
      /* Uneven, fractional steps as a real pointer gives. */
      double t = (double)k / n_events;
      double ox = k == n_events ? total_x : total_x * t * t + 0.37;
      double oy = k == n_events ? total_y : total_y * sqrt (t) - 0.21;
      DensitoBox b;

      densito_box_move (&start, ox / zoom, oy / zoom, &b);
      densito_edit_stack_set_box (f->stack, i, &b, merge);
    }
}

static void
test_move_exact (Fixture       *f,
                 gconstpointer  data)
{
  DensitoBox start = roi_at (f, 3)->box;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) back = NULL;
  g_autoptr(DensitoSidecar) back2 = NULL;

  /* Zoom 1: 20 screen px = 20.0 image px, one undo step for 57 events. */
  drag_move (f, 3, 1.0, 20.0, 0.0, 57);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
  g_assert_cmpfloat (roi_at (f, 3)->box.cx, ==, start.cx + 20.0);
  g_assert_cmpfloat (roi_at (f, 3)->box.cy, ==, start.cy);
  g_assert_cmpfloat (roi_at (f, 3)->box.width, ==, start.width);

  /* Zoom 2: the same 20 screen px are 10.0 image px; a new step. */
  drag_move (f, 3, 2.0, 20.0, -20.0, 31);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 2);
  g_assert_cmpfloat (roi_at (f, 3)->box.cx, ==, start.cx + 30.0);
  g_assert_cmpfloat (roi_at (f, 3)->box.cy, ==, start.cy - 10.0);

  /* Save and reload: the same numbers, bit for bit. */
  g_assert_true (densito_edit_stack_save (f->stack, NULL, &error));
  g_assert_no_error (error);
  back = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_box_equal (&densito_sidecar_get_roi (back, 3)->box, &roi_at (f, 3)->box);
  g_assert_cmpfloat (densito_sidecar_get_roi (back, 3)->box.cx, ==, 830.0);
  g_assert_cmpfloat (densito_sidecar_get_roi (back, 3)->box.cy, ==, 470.0);

  /* No drift over many save and reload cycles. */
  back2 = g_object_ref (back);
  for (guint k = 0; k < 5; k++)
    {
      g_autoptr(DensitoSidecar) again = NULL;

      g_assert_true (densito_sidecar_save (back2, NULL, &error));
      again = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);
      g_assert_no_error (error);
      assert_box_equal (&densito_sidecar_get_roi (again, 3)->box, &roi_at (f, 3)->box);
      g_set_object (&back2, again);
    }
  g_clear_object (&back2);

  /* Undo both drags: where it started. */
  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_true (densito_edit_stack_undo (f->stack));
  assert_box_equal (&roi_at (f, 3)->box, &start);
  g_assert_true (densito_edit_stack_redo (f->stack));
  g_assert_cmpfloat (roi_at (f, 3)->box.cx, ==, start.cx + 20.0);
}

/* A rotated box is saved as the polygon of its corners, which reads back
 * a few bits off; it reloads exactly, through any number of saves, and an
 * unedited file saves back byte for byte. */
static void
test_rotate_exact (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) back = NULL;
  g_autofree char *first = NULL;
  g_autofree char *json = NULL;
  DensitoBox b;

  /* The neck box at -35 degrees, turned by ] five times. */
  for (guint k = 0; k < 5; k++)
    {
      densito_box_rotate (&roi_at (f, 4)->box, 1.0, &b);
      densito_edit_stack_set_box (f->stack, 4, &b, 0);
    }
  g_assert_cmpfloat (roi_at (f, 4)->box.angle, ==, -30.0);
  g_assert_true (densito_edit_stack_save (f->stack, NULL, &error));
  g_assert_no_error (error);
  json = densito_sidecar_path_for_image (f->image, NULL);
  g_assert_true (g_file_get_contents (json, &first, NULL, NULL));

  back = g_object_ref (f->sidecar);
  for (guint k = 0; k < 4; k++)
    {
      g_autoptr(DensitoSidecar) again = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (densito_sidecar_get_roi (again, 4)->shape_type, ==, "polygon");
      assert_box_equal (&densito_sidecar_get_roi (again, 4)->box, &roi_at (f, 4)->box);
      g_assert_cmpfloat (densito_sidecar_get_roi (again, 4)->box.angle, ==, -30.0);
      g_assert_cmpfloat (densito_sidecar_get_roi (again, 4)->box.width, ==, 49.0);
      g_assert_true (densito_sidecar_save (again, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (json, &text, NULL, NULL));
      g_assert_cmpstr (text, ==, first);
      g_set_object (&back, again);
    }

  /* Points moved by another tool (1 px right) win over the kept box,
   * which no longer matches them. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(JsonGenerator) gen = json_generator_new ();
    g_autoptr(DensitoSidecar) theirs = NULL;
    g_autofree char *edited = NULL;
    JsonObject *shape;
    JsonArray *points, *moved = json_array_new ();

    g_assert_true (json_parser_load_from_data (parser, first, -1, NULL));
    shape = json_array_get_object_element (json_object_get_array_member (
              json_node_get_object (json_parser_get_root (parser)), "shapes"), 4);
    points = json_object_get_array_member (shape, "points");
    for (guint k = 0; k < json_array_get_length (points); k++)
      {
        JsonArray *pt = json_array_get_array_element (points, k);
        JsonArray *to = json_array_new ();

        json_array_add_double_element (to, json_array_get_double_element (pt, 0) + 1.0);
        json_array_add_double_element (to, json_array_get_double_element (pt, 1));
        json_array_add_array_element (moved, to);
      }
    json_object_set_array_member (shape, "points", moved);
    json_generator_set_root (gen, json_parser_get_root (parser));
    edited = json_generator_to_data (gen, NULL);
    theirs = densito_sidecar_load_from_data (edited, strlen (edited), f->image, NULL, W, H, NULL);
    g_assert_false (densito_sidecar_is_broken (theirs));
    g_assert_cmpfloat_with_epsilon (densito_sidecar_get_roi (theirs, 4)->box.cx, roi_at (f, 4)->box.cx + 1.0, 1e-9);
    g_assert_cmpfloat (densito_sidecar_get_roi (theirs, 4)->box.cx, !=, roi_at (f, 4)->box.cx);
  }
}

static void
test_resize (Fixture       *f,
             gconstpointer  data)
{
  DensitoBox up = { 100, 100, 40, 20, 0 };
  DensitoBox tilted = { 100, 100, 40, 20, 30 };
  DensitoBox b;
  double before[8], after[8];

  /* Right edge 10 px out: width 50, the left edge stays at 80. */
  densito_box_resize (&up, 1, 0, 10, 7, FALSE, &b);
  g_assert_cmpfloat (b.width, ==, 50.0);
  g_assert_cmpfloat (b.height, ==, 20.0);
  g_assert_cmpfloat (b.cx - b.width / 2, ==, 80.0);
  g_assert_cmpfloat (b.cy, ==, 100.0);

  /* Top-left corner in by (5, 4): 35 x 16, bottom-right stays at (120, 110). */
  densito_box_resize (&up, -1, -1, 5, 4, FALSE, &b);
  g_assert_cmpfloat (b.width, ==, 35.0);
  g_assert_cmpfloat (b.height, ==, 16.0);
  g_assert_cmpfloat (b.cx + b.width / 2, ==, 120.0);
  g_assert_cmpfloat (b.cy + b.height / 2, ==, 110.0);

  /* Past the opposite edge: stops at the minimum, no flip. */
  densito_box_resize (&up, 1, 0, -500, 0, FALSE, &b);
  g_assert_cmpfloat (b.width, ==, DENSITO_BOX_MIN_SIZE);
  g_assert_cmpfloat (b.cx - b.width / 2, ==, 80.0);

  /* Shift keeps the aspect ratio, from a corner or an edge. */
  densito_box_resize (&up, 1, 1, 40, 0, TRUE, &b);
  g_assert_cmpfloat (b.width, ==, 80.0);
  g_assert_cmpfloat (b.height, ==, 40.0);
  g_assert_cmpfloat (b.cx - b.width / 2, ==, 80.0);
  g_assert_cmpfloat (b.cy - b.height / 2, ==, 90.0);
  densito_box_resize (&up, 0, 1, 0, 20, TRUE, &b);
  g_assert_cmpfloat (b.width, ==, 80.0);
  g_assert_cmpfloat (b.height, ==, 40.0);
  g_assert_cmpfloat (b.cx, ==, 100.0);

  /* A rotated box: dragged along its own width axis, the opposite
   * corners (top-left, bottom-left) stay put. */
  densito_box_corners (&tilted, before);
  densito_box_resize (&tilted, 1, 0, 10 * cos (G_PI / 6), 10 * sin (G_PI / 6), FALSE, &b);
  g_assert_cmpfloat_with_epsilon (b.width, 50.0, 1e-9);
  g_assert_cmpfloat (b.angle, ==, 30.0);
  densito_box_corners (&b, after);
  g_assert_cmpfloat_with_epsilon (after[0], before[0], 1e-9);
  g_assert_cmpfloat_with_epsilon (after[1], before[1], 1e-9);
  g_assert_cmpfloat_with_epsilon (after[6], before[6], 1e-9);
  g_assert_cmpfloat_with_epsilon (after[7], before[7], 1e-9);

  /* Through the stack, a resize drag is one step and undoes exactly. */
  {
    DensitoBox start = roi_at (f, 3)->box;
    guint merge = densito_edit_stack_new_merge_id (f->stack);

    for (guint k = 1; k <= 10; k++)
      {
        densito_box_resize (&start, 1, 1, k * 1.5, k * 0.5, FALSE, &b);
        densito_edit_stack_set_box (f->stack, 3, &b, merge);
      }
    g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
    g_assert_cmpfloat (roi_at (f, 3)->box.width, ==, start.width + 15.0);
    g_assert_cmpfloat (roi_at (f, 3)->box.height, ==, start.height + 5.0);
    g_assert_true (densito_edit_stack_undo (f->stack));
    assert_box_equal (&roi_at (f, 3)->box, &start);
    g_assert_true (densito_edit_stack_redo (f->stack));
    g_assert_cmpfloat (roi_at (f, 3)->box.width, ==, start.width + 15.0);
  }
}

static void
test_rotate (Fixture       *f,
             gconstpointer  data)
{
  DensitoBox start = roi_at (f, 0)->box;
  DensitoBox b;

  /* "]" five times: five steps, 5 degrees. */
  for (guint k = 0; k < 5; k++)
    {
      densito_box_rotate (&roi_at (f, 0)->box, 1.0, &b);
      densito_edit_stack_set_box (f->stack, 0, &b, 0);
    }
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 5);
  g_assert_cmpfloat (roi_at (f, 0)->box.angle, ==, 5.0);
  g_assert_cmpfloat (roi_at (f, 0)->box.cx, ==, start.cx);
  g_assert_cmpfloat (roi_at (f, 0)->box.width, ==, start.width);
  while (densito_edit_stack_undo (f->stack))
    ;
  assert_box_equal (&roi_at (f, 0)->box, &start);

  /* The angle stays in (-180, 180]. */
  b = start;
  b.angle = 178.0;
  densito_box_rotate (&b, 5.0, &b);
  g_assert_cmpfloat_with_epsilon (b.angle, -177.0, 1e-9);
  densito_box_rotate (&b, -3.0, &b);
  g_assert_cmpfloat_with_epsilon (b.angle, 180.0, 1e-9);
  b.angle = 2.0;
  densito_box_rotate (&b, -2.0, &b);
  g_assert_cmpfloat (b.angle, ==, 0.0);
  g_assert_false (signbit (b.angle));
}

static void
test_relabel (Fixture       *f,
              gconstpointer  data)
{
  densito_edit_stack_relabel (f->stack, 3, "L5 (free)");
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpstr (roi_at (f, 3)->label, ==, "L5 (free)");
  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_cmpstr (roi_at (f, 3)->label, ==, "L4");
  g_assert_true (densito_edit_stack_redo (f->stack));
  g_assert_cmpstr (roi_at (f, 3)->label, ==, "L5 (free)");
}

static void
test_duplicate (Fixture       *f,
                gconstpointer  data)
{
  DensitoBox neck = roi_at (f, 4)->box;
  guint i = densito_edit_stack_duplicate (f->stack, 4, 10, 10);
  const DensitoRoi *copy;

  g_assert_cmpuint (i, ==, 5);
  copy = roi_at (f, 5);
  g_assert_cmpstr (copy->label, ==, "neck");
  g_assert_cmpstr (copy->key, !=, roi_at (f, 4)->key);
  g_assert_cmpint (copy->source, ==, DENSITO_SOURCE_OPERATOR);
  g_assert_false (copy->has_original);
  g_assert_cmpfloat (copy->box.cx, ==, neck.cx + 10);
  g_assert_cmpfloat (copy->box.cy, ==, neck.cy + 10);
  g_assert_cmpfloat (copy->box.width, ==, neck.width);
  g_assert_cmpfloat (copy->box.angle, ==, neck.angle);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 5);
  g_assert_true (densito_edit_stack_redo (f->stack));
  g_assert_cmpuint (densito_sidecar_get_n_rois (f->sidecar), ==, 6);
}

static void
test_neck_keeps_size (Fixture       *f,
                      gconstpointer  data)
{
  const DensitoBox start = roi_at (f, 4)->box;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) back = NULL;
  DensitoBox b = start;

  g_assert_true (densito_roi_label_keeps_size ("neck"));
  g_assert_false (densito_roi_label_keeps_size ("L1"));
  g_assert_false (densito_roi_label_keeps_size ("total_hip"));

  /* Moved along the neck and turned, many times: 49 x 15, exactly. */
  for (guint k = 0; k < 200; k++)
    {
      densito_box_move (&b, 0.37 * cos (k), -0.91 * sin (k), &b);
      densito_box_rotate (&b, 1.7, &b);
      g_assert_cmpfloat (b.width, ==, 49.0);
      g_assert_cmpfloat (b.height, ==, 15.0);
    }
  /* Pushed off the image: it shifts back, never shrinks. */
  densito_box_move (&start, -5000, 9000, &b);
  densito_box_clamp_center (&b, W, H);
  g_assert_cmpfloat (b.cx, ==, 0.0);
  g_assert_cmpfloat (b.cy, ==, H);
  g_assert_cmpfloat (b.width, ==, 49.0);
  g_assert_cmpfloat (b.height, ==, 15.0);

  /* A neck box is never part of a shared border, even touching a
   * vertebra box. */
  {
    DensitoBox nb = { 500, 152.5, 49, 15, 0 };    /* bottom edge at 160, L1's top */
    g_autoptr(DensitoRoi) n = densito_roi_new_box ("neck", &nb, DENSITO_SOURCE_OPERATOR);

    g_assert_false (densito_rois_share_border (n, roi_at (f, 0), 2.0));
  }

  /* Rotated, saved and reloaded through labelme's polygon. */
  densito_box_rotate (&start, 3.0, &b);
  densito_box_move (&b, 20, 0, &b);
  densito_edit_stack_set_box (f->stack, 4, &b, 0);
  g_assert_true (densito_edit_stack_save (f->stack, NULL, &error));
  g_assert_no_error (error);
  back = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (densito_sidecar_get_roi (back, 4)->box.width, 49.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (densito_sidecar_get_roi (back, 4)->box.height, 15.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (densito_sidecar_get_roi (back, 4)->box.angle, -32.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (densito_sidecar_get_roi (back, 4)->box.cx, 320.0, 1e-9);

  /* A rotated box goes through labelme's four corners, so the first
   * reload may differ in the last bits; after that it does not drift. */
  {
    DensitoBox first = densito_sidecar_get_roi (back, 4)->box;
    g_autoptr(DensitoSidecar) cur = g_object_ref (back);

    g_test_message ("rotated neck after a save and reload: width %.17g, height %.17g, angle %.17g",
                    first.width, first.height, first.angle);
    for (guint k = 0; k < 5; k++)
      {
        g_autoptr(DensitoSidecar) again = NULL;

        g_assert_true (densito_sidecar_save (cur, NULL, &error));
        g_assert_no_error (error);
        again = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);
        g_assert_no_error (error);
        assert_box_equal (&densito_sidecar_get_roi (again, 4)->box, &first);
        g_set_object (&cur, again);
      }
  }
}

static void
test_shared_border (Fixture       *f,
                    gconstpointer  data)
{
  const DensitoRoi *l1 = roi_at (f, 0), *l2 = roi_at (f, 1), *l3 = roi_at (f, 2), *l4 = roi_at (f, 3);
  DensitoBox a0 = l1->box, b0 = l2->box;
  DensitoBox boxes[2];
  guint indices[2] = { 0, 1 };
  guint merge;

  /* L1 sits on L2 (touching); L2 on L3 with a 1 px gap; L4 is aside. */
  g_assert_true (densito_rois_share_border (l1, l2, 0.5));
  g_assert_false (densito_rois_share_border (l2, l1, 0.5));    /* order matters */
  g_assert_false (densito_rois_share_border (l2, l3, 0.5));
  g_assert_true (densito_rois_share_border (l2, l3, 1.0));
  g_assert_false (densito_rois_share_border (l3, l4, 200.0));  /* no x overlap */
  g_assert_false (densito_rois_share_border (l1, l1, 10.0));

  g_assert_true (densito_rois_border_hit (l1, l2, 500, 241, 2.0));
  g_assert_true (densito_rois_border_hit (l1, l2, 443, 239, 2.0));
  g_assert_false (densito_rois_border_hit (l1, l2, 500, 244, 2.0));
  g_assert_false (densito_rois_border_hit (l1, l2, 600, 240, 2.0));   /* beyond both boxes */

  /* A tilted vertebra box is not part of the stack (its edge is no line). */
  {
    DensitoBox t = l2->box;
    g_autoptr(DensitoRoi) tilted = densito_roi_new_box ("L2", &t, DENSITO_SOURCE_OPERATOR);

    tilted->box.angle = 4.0;
    g_assert_false (densito_rois_share_border (l1, tilted, 2.0));
  }

  /* Drag the L1/L2 border 12 px down in steps: both resized, one step. */
  merge = densito_edit_stack_new_merge_id (f->stack);
  for (guint k = 1; k <= 12; k++)
    {
      densito_boxes_move_border (&a0, &b0, k, &boxes[0], &boxes[1]);
      densito_edit_stack_set_boxes (f->stack, indices, boxes, 2, merge);
    }
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
  l1 = roi_at (f, 0);
  l2 = roi_at (f, 1);
  g_assert_cmpfloat (l1->box.cy - l1->box.height / 2, ==, 160.0);   /* top kept */
  g_assert_cmpfloat (l1->box.cy + l1->box.height / 2, ==, 252.0);
  g_assert_cmpfloat (l2->box.cy - l2->box.height / 2, ==, 252.0);
  g_assert_cmpfloat (l2->box.cy + l2->box.height / 2, ==, 330.0);   /* bottom kept */
  g_assert_cmpfloat (l1->box.width, ==, 116.0);
  g_assert_true (densito_rois_share_border (l1, l2, 0.0));

  /* Undo puts both back, redo both again. */
  g_assert_true (densito_edit_stack_undo (f->stack));
  assert_box_equal (&roi_at (f, 0)->box, &a0);
  assert_box_equal (&roi_at (f, 1)->box, &b0);
  g_assert_true (densito_edit_stack_redo (f->stack));
  g_assert_cmpfloat (roi_at (f, 1)->box.height, ==, 78.0);

  /* Dragged past a neighbour's far edge: it stops at the minimum size. */
  densito_boxes_move_border (&a0, &b0, 500, &boxes[0], &boxes[1]);
  g_assert_cmpfloat (boxes[1].height, ==, DENSITO_BOX_MIN_SIZE);
  g_assert_cmpfloat (boxes[0].cy + boxes[0].height / 2, ==, 329.0);
  densito_boxes_move_border (&a0, &b0, -500, &boxes[0], &boxes[1]);
  g_assert_cmpfloat (boxes[0].height, ==, DENSITO_BOX_MIN_SIZE);
  g_assert_cmpfloat (boxes[1].cy - boxes[1].height / 2, ==, 161.0);
}

static void
test_cancel_drag (Fixture       *f,
                  gconstpointer  data)
{
  DensitoBox start = roi_at (f, 0)->box;
  DensitoBox b;
  guint merge = densito_edit_stack_new_merge_id (f->stack);

  /* An earlier step stays. */
  densito_edit_stack_relabel (f->stack, 3, "T12");
  for (guint k = 1; k <= 5; k++)
    {
      densito_box_move (&start, k, k, &b);
      densito_edit_stack_set_box (f->stack, 0, &b, merge);
    }
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 2);
  g_assert_false (densito_edit_stack_cancel_merge (f->stack, merge + 1));
  g_assert_true (densito_edit_stack_cancel_merge (f->stack, merge));
  assert_box_equal (&roi_at (f, 0)->box, &start);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);
  g_assert_false (densito_edit_stack_can_redo (f->stack));
  g_assert_cmpstr (roi_at (f, 3)->label, ==, "T12");
  /* Only the last step, and only once. */
  g_assert_false (densito_edit_stack_cancel_merge (f->stack, merge));
  g_assert_true (densito_edit_stack_undo (f->stack));
  g_assert_false (densito_edit_stack_is_modified (f->stack));
}

static void
test_changed_signal (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  DensitoBox b = roi_at (f, 0)->box;
  guint merge = densito_edit_stack_new_merge_id (f->stack);

  g_assert_cmpuint (merge, !=, 0);
  g_assert_cmpuint (densito_edit_stack_new_merge_id (f->stack), !=, merge);

  b.cx += 1;
  densito_edit_stack_set_box (f->stack, 0, &b, merge);
  b.cx += 1;
  densito_edit_stack_set_box (f->stack, 0, &b, merge);    /* merged, still a change */
  g_assert_cmpuint (f->changed, ==, 2);
  densito_edit_stack_set_review (f->stack, DENSITO_REVIEW_ACCEPTED, NULL);
  g_assert_cmpuint (f->changed, ==, 3);
  densito_edit_stack_mark_saved (f->stack);
  g_assert_cmpuint (f->changed, ==, 4);
  densito_edit_stack_undo (f->stack);
  densito_edit_stack_redo (f->stack);
  g_assert_cmpuint (f->changed, ==, 6);
  g_assert_true (densito_edit_stack_save (f->stack, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changed, ==, 7);
  /* Nothing to undo or redo: no signal. */
  while (densito_edit_stack_undo (f->stack))
    ;
  g_assert_cmpuint (f->changed, ==, 9);
  densito_edit_stack_undo (f->stack);
  g_assert_cmpuint (f->changed, ==, 9);
}

/* A labelme polygon (five points: not a box) and a line, with keys of
 * their own. */
static const char polygon_doc[] =
  "{\"version\": \"5.1.1\", \"flags\": {}, \"shapes\": ["
  "{\"label\": \"bone\", \"points\": [[100, 100], [160, 90], [190, 140], [150, 200], [95, 170]], "
  "\"group_id\": 3, \"shape_type\": \"polygon\", \"flags\": {\"k\": true}, \"description\": \"femur\"},"
  "{\"label\": \"axis\", \"points\": [[300.25, 400.5], [350.75, 380.125]], \"group_id\": null, "
  "\"shape_type\": \"line\", \"flags\": {}}], "
  "\"imagePath\": \"10002-2.png\", \"imageData\": null, \"imageHeight\": 1000, \"imageWidth\": 1000}";

static char *
points_text (const DensitoRoi *roi)
{
  g_autofree double *xy = NULL;
  GString *s = g_string_new (NULL);
  guint n = 0;

  xy = densito_roi_dup_points (roi, &n);
  for (guint k = 0; k < n; k++)
    g_string_append_printf (s, "%.17g,%.17g ", xy[2 * k], xy[2 * k + 1]);
  return g_string_free (s, FALSE);
}

/* Shapes that are not boxes move (as one step per drag, undone bit for
 * bit) and are deleted; the file keeps their type and every key. */
static void
test_polygon_move (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *json = test_write_file (f->dir, "10002-2.json", polygon_doc, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) sidecar = densito_sidecar_load (f->image, json, W, H, NULL, NULL, &error);
  g_autoptr(DensitoEditStack) stack = densito_edit_stack_new (sidecar);
  g_autoptr(DensitoSidecar) back = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree double *xy = NULL;
  double moved[10];
  guint n = 0, merge;

  g_assert_cmpuint (densito_sidecar_get_n_rois (sidecar), ==, 2);
  g_assert_cmpint (densito_sidecar_get_roi (sidecar, 0)->kind, ==, DENSITO_SHAPE_OTHER);
  g_assert_cmpint (densito_sidecar_get_roi (sidecar, 1)->kind, ==, DENSITO_SHAPE_OTHER);
  before = points_text (densito_sidecar_get_roi (sidecar, 0));
  xy = densito_roi_dup_points (densito_sidecar_get_roi (sidecar, 0), &n);
  g_assert_cmpuint (n, ==, 5);

  /* A drag in three steps is one undo step, from where it started. */
  merge = densito_edit_stack_new_merge_id (stack);
  for (int step = 1; step <= 3; step++)
    {
      densito_points_move (xy, n, 7.5 * step, -2.0 * step, W, H, moved);
      densito_edit_stack_set_points (stack, 0, moved, n, merge);
    }
  g_assert_cmpuint (densito_edit_stack_get_depth (stack), ==, 1);
  {
    g_autofree double *now = densito_roi_dup_points (densito_sidecar_get_roi (sidecar, 0), &n);
    for (guint k = 0; k < n; k++)
      {
        g_assert_cmpfloat (now[2 * k], ==, xy[2 * k] + 22.5);
        g_assert_cmpfloat (now[2 * k + 1], ==, xy[2 * k + 1] - 6.0);
      }
  }
  after = points_text (densito_sidecar_get_roi (sidecar, 0));
  g_assert_true (densito_edit_stack_undo (stack));
  {
    g_autofree char *undone = points_text (densito_sidecar_get_roi (sidecar, 0));
    g_assert_cmpstr (undone, ==, before);
  }
  g_assert_true (densito_edit_stack_redo (stack));

  /* Saved and read back: the same points exactly, still a polygon with
   * its keys, and provenance says the operator moved it. */
  g_assert_true (densito_edit_stack_save (stack, NULL, &error));
  g_assert_no_error (error);
  back = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);
  g_assert_no_error (error);
  {
    const DensitoRoi *roi = densito_sidecar_get_roi (back, 0);
    g_autofree char *read = points_text (roi);

    g_assert_cmpstr (read, ==, after);
    g_assert_cmpstr (roi->shape_type, ==, "polygon");
    g_assert_cmpint (json_object_get_int_member (roi->json, "group_id"), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (roi->json, "description"), ==, "femur");
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (roi->json, "flags"), "k"));
    g_assert_cmpint (roi->source, ==, DENSITO_SOURCE_IMPORTED);
    g_assert_nonnull (roi->by);
  }
  g_clear_object (&back);

  /* Near the edge the centre of its bounds stays in the image. */
  densito_points_move (xy, n, -500.0, 0.0, W, H, moved);
  g_assert_cmpfloat ((moved[0] + moved[4]) / 2.0 - 47.5, <, 1e-9);
  g_assert_cmpfloat (MIN (moved[0], moved[8]), ==, -47.5);

  /* The line moves too; deleting it is undone with its keys. */
  {
    g_autofree double *line = densito_roi_dup_points (densito_sidecar_get_roi (sidecar, 1), &n);
    g_autofree char *line_before = NULL;

    g_assert_cmpuint (n, ==, 2);
    densito_points_move (line, n, 1.0, 1.0, W, H, line);
    densito_edit_stack_set_points (stack, 1, line, n, 0);
    line_before = points_text (densito_sidecar_get_roi (sidecar, 1));
    g_assert_cmpstr (line_before, ==, "301.25,401.5 351.75,381.125 ");
    densito_edit_stack_delete (stack, 1);
    g_assert_cmpuint (densito_sidecar_get_n_rois (sidecar), ==, 1);
    densito_edit_stack_undo (stack);
    {
      g_autofree char *again = points_text (densito_sidecar_get_roi (sidecar, 1));
      g_assert_cmpstr (again, ==, line_before);
      g_assert_cmpstr (densito_sidecar_get_roi (sidecar, 1)->shape_type, ==, "line");
    }
  }
}

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
  GError    *error;
} SaveWait;

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  SaveWait *w = data;

  w->ok = densito_edit_stack_save_finish (DENSITO_EDIT_STACK (source), result, &w->error);
  g_main_loop_quit (w->loop);
}

/* Waits for a save started with densito_edit_stack_save_async(). */
static void
wait_save (SaveWait *w)
{
  g_main_loop_run (w->loop);
  g_assert_no_error (w->error);
  g_assert_true (w->ok);
}

static double
disk_cx (Fixture *f,
         guint    i)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) disk = densito_sidecar_load (f->image, NULL, W, H, NULL, NULL, &error);

  g_assert_no_error (error);
  return densito_sidecar_get_roi (disk, i)->box.cx;
}

/* A save runs in a worker from a snapshot: edits made before it ends stay
 * unsaved (a drag that goes on, undo and a new edit at the same depth),
 * and the file holds what the snapshot held. */
static void
test_save_async_edits (Fixture       *f,
                       gconstpointer  data)
{
  SaveWait w = { g_main_loop_new (NULL, FALSE), FALSE, NULL };
  DensitoBox b = roi_at (f, 0)->box;
  double x0 = b.cx;
  guint merge = densito_edit_stack_new_merge_id (f->stack);
  guint64 generation;

  /* A drag: saved midway, it goes on while the file is written. */
  b.cx = x0 + 5;
  densito_edit_stack_set_box (f->stack, 0, &b, merge);
  generation = densito_edit_stack_get_generation (f->stack);
  densito_edit_stack_save_async (f->stack, NULL, saved_cb, &w);
  b.cx = x0 + 8;
  densito_edit_stack_set_box (f->stack, 0, &b, merge);
  g_assert_cmpuint (densito_edit_stack_get_generation (f->stack), !=, generation);
  wait_save (&w);
  g_assert_cmpfloat (disk_cx (f, 0), ==, x0 + 5);
  g_assert_cmpfloat (roi_at (f, 0)->box.cx, ==, x0 + 8);
  g_assert_true (densito_edit_stack_is_modified (f->stack));
  /* The merged drag is one step, whose state was never written. */
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 1);

  /* Saved again with nothing going on: the file follows, nothing unsaved;
   * the file saved last is the one checked for other writers. */
  densito_edit_stack_save_async (f->stack, NULL, saved_cb, &w);
  wait_save (&w);
  g_assert_false (densito_edit_stack_is_modified (f->stack));
  g_assert_cmpfloat (disk_cx (f, 0), ==, x0 + 8);

  /* Undo and another edit at the same depth while it is written: the
   * depth is the one saved, the state is not. */
  b.cx = x0 + 20;
  densito_edit_stack_set_box (f->stack, 0, &b, 0);
  densito_edit_stack_save_async (f->stack, NULL, saved_cb, &w);
  densito_edit_stack_undo (f->stack);
  b.cx = x0 + 30;
  densito_edit_stack_set_box (f->stack, 0, &b, 0);
  g_assert_cmpuint (densito_edit_stack_get_depth (f->stack), ==, 2);
  wait_save (&w);
  g_assert_cmpfloat (disk_cx (f, 0), ==, x0 + 20);
  g_assert_true (densito_edit_stack_is_modified (f->stack));

  /* Undo while it is written, then redo back to the written state. */
  densito_edit_stack_save_async (f->stack, NULL, saved_cb, &w);
  densito_edit_stack_undo (f->stack);
  wait_save (&w);
  g_assert_cmpfloat (disk_cx (f, 0), ==, x0 + 30);
  g_assert_true (densito_edit_stack_is_modified (f->stack));
  densito_edit_stack_redo (f->stack);
  g_assert_false (densito_edit_stack_is_modified (f->stack));

  g_main_loop_unref (w.loop);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/edit/add", test_add);
  ADD ("/edit/add-many", test_add_many);
  ADD ("/edit/delete", test_delete);
  ADD ("/edit/move-exact", test_move_exact);
  ADD ("/edit/resize", test_resize);
  ADD ("/edit/rotate", test_rotate);
  ADD ("/edit/rotate-exact", test_rotate_exact);
  ADD ("/edit/relabel", test_relabel);
  ADD ("/edit/duplicate", test_duplicate);
  ADD ("/edit/neck-keeps-size", test_neck_keeps_size);
  ADD ("/edit/shared-border", test_shared_border);
  ADD ("/edit/cancel-drag", test_cancel_drag);
  ADD ("/edit/changed-signal", test_changed_signal);
  ADD ("/edit/save-async-edits", test_save_async_edits);
  ADD ("/edit/polygon-move", test_polygon_move);
#undef ADD

  return g_test_run ();
}
