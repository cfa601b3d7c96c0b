/* sidecar-tool.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small driver for tests that need the sidecar code in another process:
 *
 *   sidecar-tool write IMAGE W H       write a sidecar with a box, a rotated box and a polygon
 *   sidecar-tool dump IMAGE W H        print the shapes Densito reads, as JSON
 *   sidecar-tool save-loop IMAGE W H   save version 1, 2, 3, ... until killed
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "densito-sidecar.h"

static int
cmd_write (const char *image,
           guint       w,
           guint       h)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) s = densito_sidecar_load (image, NULL, w, h, NULL, NULL, &error);
  DensitoBox hip = { 250.5, 300.25, 180.0, 240.0, 0.0 };
  DensitoBox neck = { 240.0, 170.0, 49.0, 15.0, -32.5 };
  g_autoptr(DensitoRoi) r1 = densito_roi_new_box ("total_hip", &hip, DENSITO_SOURCE_SYNTHETIC);
  g_autoptr(DensitoRoi) r2 = densito_roi_new_box ("neck", &neck, DENSITO_SOURCE_OPERATOR);

  if (s == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  densito_sidecar_insert_roi (s, 0, r1);
  densito_sidecar_insert_roi (s, 1, r2);
  if (!densito_sidecar_save (s, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}

static void
add_points (JsonBuilder      *b,
            const DensitoRoi *roi)
{
  json_builder_set_member_name (b, "points");
  json_builder_begin_array (b);
  if (roi->kind == DENSITO_SHAPE_BOX && g_strcmp0 (roi->shape_type, "rectangle") == 0)
    {
      json_builder_begin_array (b);
      json_builder_add_double_value (b, roi->box.cx - roi->box.width / 2);
      json_builder_add_double_value (b, roi->box.cy - roi->box.height / 2);
      json_builder_end_array (b);
      json_builder_begin_array (b);
      json_builder_add_double_value (b, roi->box.cx + roi->box.width / 2);
      json_builder_add_double_value (b, roi->box.cy + roi->box.height / 2);
      json_builder_end_array (b);
    }
  else if (roi->kind == DENSITO_SHAPE_BOX)
    {
      double xy[8];
      densito_box_corners (&roi->box, xy);
      for (guint i = 0; i < 4; i++)
        {
          json_builder_begin_array (b);
          json_builder_add_double_value (b, xy[2 * i]);
          json_builder_add_double_value (b, xy[2 * i + 1]);
          json_builder_end_array (b);
        }
    }
  else
    {
      JsonArray *pts = json_object_get_array_member (roi->json, "points");
      for (guint i = 0; i < json_array_get_length (pts); i++)
        json_builder_add_value (b, json_node_copy (json_array_get_element (pts, i)));
    }
  json_builder_end_array (b);
}

static int
cmd_dump (const char *image,
          guint       w,
          guint       h)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoSidecar) s = densito_sidecar_load (image, NULL, w, h, diags, NULL, &error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  if (s == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "broken");
  json_builder_add_boolean_value (b, densito_sidecar_is_broken (s));
  json_builder_set_member_name (b, "shapes");
  json_builder_begin_array (b);
  for (guint i = 0; i < densito_sidecar_get_n_rois (s); i++)
    {
      const DensitoRoi *roi = densito_sidecar_get_roi (s, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, roi->label);
      json_builder_set_member_name (b, "shape_type");
      json_builder_add_string_value (b, roi->shape_type);
      json_builder_set_member_name (b, "box");
      json_builder_add_boolean_value (b, roi->kind == DENSITO_SHAPE_BOX);
      json_builder_set_member_name (b, "angle");
      json_builder_add_double_value (b, roi->kind == DENSITO_SHAPE_BOX ? roi->box.angle : 0.0);
      add_points (b, roi);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
  return 0;
}

/* Each version k has a box at cx = k and the review reason "v<k>", so a
 * reader can tell a whole version from a mixture. */
static int
cmd_save_loop (const char *image,
               guint       w,
               guint       h)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) s = densito_sidecar_load (image, NULL, w, h, NULL, NULL, &error);
  DensitoBox box = { 1, 100, 40, 20, 0 };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box ("L1", &box, DENSITO_SOURCE_OPERATOR);
  guint start = 1;

  if (s == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (densito_sidecar_get_n_rois (s) == 1)
    start = (guint)densito_sidecar_get_roi (s, 0)->box.cx + 1;
  else
    densito_sidecar_insert_roi (s, 0, roi);

  /* Tell the test the loop starts now, so its kill lands in a save and
   * not in process start-up. */
  g_print ("ready\n");
  fflush (stdout);

  for (guint k = start;; k++)
    {
      DensitoReview review = { DENSITO_REVIEW_CORRECTED, NULL, (char *)"kill-test", NULL };
      g_autofree char *reason = g_strdup_printf ("v%u", k);

      box = densito_sidecar_get_roi (s, 0)->box;
      box.cx = k;
      densito_sidecar_set_roi_box (s, 0, &box, NULL);
      review.reason = reason;
      densito_sidecar_set_review (s, &review);
      if (!densito_sidecar_save (s, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  return 0;
}

int
main (int    argc,
      char **argv)
{
  guint w, h;

  if (argc != 5)
    {
      g_printerr ("usage: sidecar-tool write|dump|save-loop IMAGE WIDTH HEIGHT\n");
      return 2;
    }
  w = (guint)atoi (argv[3]);
  h = (guint)atoi (argv[4]);
  if (strcmp (argv[1], "write") == 0)
    return cmd_write (argv[2], w, h);
  if (strcmp (argv[1], "dump") == 0)
    return cmd_dump (argv[2], w, h);
  if (strcmp (argv[1], "save-loop") == 0)
    return cmd_save_loop (argv[2], w, h);
  g_printerr ("unknown command %s\n", argv[1]);
  return 2;
}
