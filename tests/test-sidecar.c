/* test-sidecar.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "densito-dataset.h"
#include "densito-edit-stack.h"
#include "densito-sidecar.h"
#include "densito-vocabulary.h"
#include "test-util.h"

#define W 500
#define H 600

typedef struct
{
  char *dir;
  char *image;
  char *json;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->dir = test_make_tmpdir ();
  f->image = test_write_png (f->dir, "10002-1.png", W, H, FALSE);
  f->json = g_build_filename (f->dir, "10002-1.json", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->image);
  g_free (f->json);
}

static DensitoSidecar *
load (Fixture            *f,
      DensitoDiagnostics *diags)
{
  g_autoptr(GError) error = NULL;
  DensitoSidecar *s = densito_sidecar_load (f->image, NULL, W, H, diags, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, NULL, &error);
  g_assert_no_error (error);
  return data;
}

static void
assert_box_equal (const DensitoBox *a,
                  const DensitoBox *b)
{
  /* Bit for bit. */
  g_assert_cmpmem (a, sizeof *a, b, sizeof *b);
}

static void
test_path_for_image (void)
{
  g_autofree char *a = densito_sidecar_path_for_image ("/data/imge/10002-1.png", NULL);
  g_autofree char *b = densito_sidecar_path_for_image ("/data/imge/10002-1.PNG", "/tmp/ann");
  g_autofree char *c = densito_sidecar_path_for_image ("/data/imge/scan.v2.jpg", NULL);

  g_assert_cmpstr (a, ==, "/data/imge/10002-1.json");
  g_assert_cmpstr (b, ==, "/tmp/ann/10002-1.json");
  g_assert_cmpstr (c, ==, "/data/imge/scan.v2.json");
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(DensitoSidecar) s = load (f, NULL);
  g_autoptr(DensitoSidecar) back = NULL;
  g_autoptr(GError) error = NULL;
  DensitoBox neck = { 251.25, 180.5, 49.0, 15.0, -35.0 };
  DensitoBox hip = { 250.0, 300.0, 200.0, 260.0, 0.0 };
  g_autoptr(DensitoRoi) r1 = densito_roi_new_box ("total_hip", &hip, DENSITO_SOURCE_SYNTHETIC);
  g_autoptr(DensitoRoi) r2 = densito_roi_new_box ("neck", &neck, DENSITO_SOURCE_OPERATOR);
  DensitoReview review = { DENSITO_REVIEW_EXCLUDED, (char *)"motion artefact", (char *)"dr-a", (char *)"2026-11-30T10:00:00Z" };
  const DensitoRoi *roi;

  g_assert_false (densito_sidecar_exists_on_disk (s));
  densito_sidecar_insert_roi (s, 0, r1);
  densito_sidecar_insert_roi (s, 1, r2);
  densito_sidecar_set_review (s, &review);
  g_assert_true (densito_sidecar_save (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (f->json, G_FILE_TEST_EXISTS));

  back = load (f, NULL);
  g_assert_false (densito_sidecar_is_broken (back));
  g_assert_cmpuint (densito_sidecar_get_n_rois (back), ==, 2);

  roi = densito_sidecar_get_roi (back, 0);
  g_assert_cmpstr (roi->label, ==, "total_hip");
  g_assert_cmpstr (roi->shape_type, ==, "rectangle");
  g_assert_cmpint (roi->source, ==, DENSITO_SOURCE_SYNTHETIC);
  assert_box_equal (&roi->box, &hip);

  roi = densito_sidecar_get_roi (back, 1);
  g_assert_cmpstr (roi->label, ==, "neck");
  g_assert_cmpstr (roi->shape_type, ==, "polygon");
  g_assert_cmpint (roi->kind, ==, DENSITO_SHAPE_BOX);
  g_assert_cmpint (roi->source, ==, DENSITO_SOURCE_OPERATOR);
  g_assert_nonnull (roi->by);
  g_assert_cmpfloat_with_epsilon (roi->box.cx, neck.cx, 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.cy, neck.cy, 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.width, neck.width, 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.height, neck.height, 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.angle, neck.angle, 1e-9);

  g_assert_cmpint (densito_sidecar_get_review (back)->status, ==, DENSITO_REVIEW_EXCLUDED);
  g_assert_cmpstr (densito_sidecar_get_review (back)->reason, ==, "motion artefact");
  g_assert_cmpstr (densito_sidecar_get_review (back)->by, ==, "dr-a");
}

/* Saving what was loaded, unchanged, writes the same bytes. */
static void
test_idempotent_save (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(DensitoSidecar) s = load (f, NULL);
  g_autoptr(DensitoSidecar) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  DensitoBox box = { 100.125, 200.0625, 33.3, 44.4, 12.5 };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box ("L1", &box, DENSITO_SOURCE_SCANNER);

  densito_sidecar_insert_roi (s, 0, roi);
  g_assert_true (densito_sidecar_save (s, NULL, &error));
  first = read_file (f->json);

  again = load (f, NULL);
  g_assert_true (densito_sidecar_save (again, NULL, &error));
  g_assert_no_error (error);
  second = read_file (f->json);
  g_assert_cmpstr (first, ==, second);
}

static const char labelme_doc[] =
  "{\n"
  "  \"version\": \"5.1.1\",\n"
  "  \"flags\": {\"reviewed\": true},\n"
  "  \"shapes\": [\n"
  "    {\"label\": \"neck\", \"points\": [[10.5, 20.25], [60.5, 35.25]], \"group_id\": 3,\n"
  "     \"shape_type\": \"rectangle\", \"flags\": {\"occluded\": false}, \"extra_key\": {\"a\": [1, 2]}},\n"
  "    {\"label\": \"contour\", \"points\": [[1, 1], [5, 1], [7, 9], [2, 8], [0, 4]],\n"
  "     \"group_id\": null, \"shape_type\": \"polygon\", \"flags\": {}},\n"
  "    {\"label\": \"tip\", \"points\": [[3, 4]], \"group_id\": null, \"shape_type\": \"point\", \"flags\": {}},\n"
  "    {\"label\": \"L2\", \"points\": [[100, 100], [140, 120], [130, 140], [90, 120]],\n"
  "     \"group_id\": null, \"shape_type\": \"polygon\", \"flags\": {}}\n"
  "  ],\n"
  "  \"imagePath\": \"10002-1.png\",\n"
  "  \"imageData\": \"iVBORw0KGgo=\",\n"
  "  \"imageHeight\": 600,\n"
  "  \"imageWidth\": 500,\n"
  "  \"lineColor\": [0, 255, 0, 128],\n"
  "  \"custom\": {\"site\": \"Arak\", \"n\": 7}\n"
  "}\n";

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (p, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (p));
}

static void
assert_member_equal (JsonObject *a,
                     JsonObject *b,
                     const char *name)
{
  g_test_message ("member %s", name);
  g_assert_true (json_object_has_member (a, name));
  g_assert_true (json_object_has_member (b, name));
  g_assert_true (json_node_equal (json_object_get_member (a, name), json_object_get_member (b, name)));
}

static void
test_unknown_keys_survive (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(DensitoSidecar) s = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) before = parse (labelme_doc);
  g_autoptr(JsonNode) after = NULL;
  g_autofree char *saved = NULL;
  JsonObject *a, *b;
  JsonArray *sa, *sb;
  const DensitoRoi *roi;
  DensitoBox moved;

  g_file_set_contents (f->json, labelme_doc, -1, &error);
  g_assert_no_error (error);
  s = load (f, NULL);
  g_assert_false (densito_sidecar_is_broken (s));
  g_assert_cmpuint (densito_sidecar_get_n_rois (s), ==, 4);

  roi = densito_sidecar_get_roi (s, 0);
  g_assert_cmpint (roi->kind, ==, DENSITO_SHAPE_BOX);
  g_assert_cmpfloat (roi->box.cx, ==, 35.5);
  g_assert_cmpfloat (roi->box.width, ==, 50.0);
  g_assert_cmpint (densito_sidecar_get_roi (s, 1)->kind, ==, DENSITO_SHAPE_OTHER);
  g_assert_cmpint (densito_sidecar_get_roi (s, 2)->kind, ==, DENSITO_SHAPE_OTHER);
  /* A rotated rectangle written as a polygon is recognised. */
  roi = densito_sidecar_get_roi (s, 3);
  g_assert_cmpint (roi->kind, ==, DENSITO_SHAPE_BOX);
  g_assert_cmpfloat_with_epsilon (roi->box.cx, 115.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.cy, 120.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.width, sqrt (40 * 40 + 20 * 20), 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.height, sqrt (10 * 10 + 20 * 20), 1e-9);
  g_assert_cmpfloat_with_epsilon (roi->box.angle, atan2 (20, 40) * 180 / G_PI, 1e-9);

  /* Edit one box, then save. */
  moved = densito_sidecar_get_roi (s, 0)->box;
  moved.cx += 5;
  densito_sidecar_set_roi_box (s, 0, &moved, NULL);
  g_assert_true (densito_sidecar_save (s, NULL, &error));
  g_assert_no_error (error);

  saved = read_file (f->json);
  after = parse (saved);
  a = json_node_get_object (before);
  b = json_node_get_object (after);
  assert_member_equal (a, b, "flags");
  assert_member_equal (a, b, "imageData");
  assert_member_equal (a, b, "lineColor");
  assert_member_equal (a, b, "custom");
  assert_member_equal (a, b, "imagePath");
  g_assert_true (json_object_has_member (b, "densito"));

  sa = json_object_get_array_member (a, "shapes");
  sb = json_object_get_array_member (b, "shapes");
  g_assert_cmpuint (json_array_get_length (sb), ==, 4);
  /* The edited shape keeps its other keys; its points moved by 5. */
  assert_member_equal (json_array_get_object_element (sa, 0), json_array_get_object_element (sb, 0), "extra_key");
  assert_member_equal (json_array_get_object_element (sa, 0), json_array_get_object_element (sb, 0), "group_id");
  assert_member_equal (json_array_get_object_element (sa, 0), json_array_get_object_element (sb, 0), "flags");
  {
    JsonArray *pts = json_object_get_array_member (json_array_get_object_element (sb, 0), "points");
    g_assert_cmpfloat (json_array_get_double_element (json_array_get_array_element (pts, 0), 0), ==, 15.5);
    g_assert_cmpfloat (json_array_get_double_element (json_array_get_array_element (pts, 1), 0), ==, 65.5);
    g_assert_cmpfloat (json_array_get_double_element (json_array_get_array_element (pts, 0), 1), ==, 20.25);
  }
  /* Untouched shapes are written back as they were, polygon and point alike. */
  for (guint i = 1; i < 4; i++)
    g_assert_true (json_node_equal (json_array_get_element (sa, i), json_array_get_element (sb, i)));
}

static void
test_conflict (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(DensitoSidecar) mine = NULL;
  g_autoptr(DensitoSidecar) theirs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  DensitoBox box = { 50, 50, 20, 20, 0 };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box ("L3", &box, DENSITO_SOURCE_OPERATOR);
  const char *other = "{\"version\": \"5.1.1\", \"flags\": {}, \"shapes\": [{\"label\": \"L4\", "
                      "\"points\": [[1, 2], [30, 40]], \"group_id\": null, \"shape_type\": \"rectangle\", "
                      "\"flags\": {}}], \"imagePath\": \"10002-1.png\", \"imageData\": null, "
                      "\"imageHeight\": 600, \"imageWidth\": 500}";

  g_file_set_contents (f->json, labelme_doc, -1, &error);
  g_assert_no_error (error);
  mine = load (f, NULL);
  densito_sidecar_insert_roi (mine, 0, roi);

  /* Someone else writes the file in between. */
  g_usleep (10000);
  g_file_set_contents (f->json, other, -1, &error);
  g_assert_no_error (error);

  g_assert_false (densito_sidecar_save (mine, NULL, &error));
  g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);
  g_clear_error (&error);
  on_disk = read_file (f->json);
  g_assert_cmpstr (on_disk, ==, other);

  theirs = densito_sidecar_dup_theirs (mine);
  g_assert_nonnull (theirs);
  g_assert_cmpuint (densito_sidecar_get_n_rois (theirs), ==, 1);
  g_assert_cmpstr (densito_sidecar_get_roi (theirs, 0)->label, ==, "L4");

  /* Same size, same second, other bytes: still a conflict (the hash tells). */
  {
    g_autoptr(DensitoSidecar) s2 = load (f, NULL);
    g_autofree char *same_len = g_strdup (other);
    same_len[strlen (same_len) - 2] = ' ';
    g_file_set_contents (f->json, same_len, -1, &error);
    g_assert_no_error (error);
    g_assert_false (densito_sidecar_save (s2, NULL, &error));
    g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);
    g_clear_error (&error);
  }

  /* Deleted by someone else: a conflict too, then the next save writes. */
  {
    g_autoptr(DensitoSidecar) s3 = load (f, NULL);
    g_unlink (f->json);
    g_assert_false (densito_sidecar_save (s3, NULL, &error));
    g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_true (densito_sidecar_save (s3, NULL, &error));
    g_assert_no_error (error);
  }

  /* Created by someone else while we had none. */
  {
    g_autoptr(DensitoSidecar) s4 = NULL;
    g_unlink (f->json);
    s4 = load (f, NULL);
    g_file_set_contents (f->json, other, -1, &error);
    g_assert_false (densito_sidecar_save (s4, NULL, &error));
    g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);
  }
}

static guint
count_backups (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (strstr (name, ".json.broken-") != NULL)
      n++;
  return n;
}

static void
check_broken (Fixture    *f,
              const char *contents,
              gssize      len,
              const char *fragment)
{
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoSidecar) s = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *message = NULL;
  gsize backup_len = 0;
  DensitoBox box = { 50, 50, 20, 20, 0 };
  g_autoptr(DensitoRoi) roi = densito_roi_new_box ("L1", &box, DENSITO_SOURCE_OPERATOR);

  g_file_set_contents (f->json, contents, len, &error);
  g_assert_no_error (error);

  s = load (f, diags);
  g_assert_true (densito_sidecar_is_broken (s));
  g_assert_cmpuint (densito_sidecar_get_n_rois (s), ==, 0);
  g_assert_cmpuint (densito_diagnostics_get_n (diags), ==, 1);
  message = densito_diagnostic_dup_message (densito_diagnostics_get (diags, 0));
  g_test_message ("%s", message);
  g_assert_nonnull (strstr (message, fragment));

  /* The first save keeps the broken file, whole, beside the new one. */
  densito_sidecar_insert_roi (s, 0, roi);
  g_assert_true (densito_sidecar_save (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (densito_sidecar_get_backup_path (s));
  g_file_get_contents (densito_sidecar_get_backup_path (s), &backup, &backup_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (backup, backup_len, contents, len < 0 ? strlen (contents) : (gsize)len);
  g_assert_cmpuint (count_backups (f->dir), ==, 1);

  {
    g_autoptr(DensitoSidecar) back = load (f, NULL);
    g_assert_false (densito_sidecar_is_broken (back));
    g_assert_cmpuint (densito_sidecar_get_n_rois (back), ==, 1);
  }
  g_unlink (densito_sidecar_get_backup_path (s));
}

static void
test_broken_files (Fixture       *f,
                   gconstpointer  data)
{
  GString *many;
  g_autofree char *big = NULL;
  gsize big_len = 17 * 1024 * 1024;

  check_broken (f, "", 0, "empty");
  check_broken (f, "   \n", -1, "empty");
  check_broken (f, "{\"shapes\": [], \"custom\": {\"big\": 1e999}}", -1, "too large");
  check_broken (f, "{\"shapes\": [], \"deep\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", -1, "nested");
  check_broken (f, "{ this is not json", -1, "not valid JSON");
  check_broken (f, "[1, 2, 3]", -1, "not a JSON object");
  check_broken (f, "{\"shapes\": {\"a\": 1}}", -1, "not a list");
  check_broken (f, "{\"shapes\": [{\"label\": 5, \"points\": [], \"shape_type\": \"polygon\"}]}", -1, "no text label");
  check_broken (f, "{\"shapes\": [{\"label\": \"L1\", \"points\": [[1, \"a\"], [2, 3]], \"shape_type\": \"rectangle\"}]}",
                -1, "not a pair of numbers");
  check_broken (f, "{\"shapes\": [{\"label\": \"L1\", \"points\": [[NaN, 1], [2, 3]], \"shape_type\": \"rectangle\"}]}",
                -1, "not valid JSON");
  check_broken (f, "{\"shapes\": [{\"label\": \"L1\", \"points\": [[1, 1], [99999, 3]], \"shape_type\": \"rectangle\"}]}",
                -1, "far outside");
  check_broken (f, "{\"shapes\": [{\"label\": \"L1\", \"points\": [[10, 10], [10, 30]], \"shape_type\": \"rectangle\"}]}",
                -1, "degenerate");
  check_broken (f, "\xff\xfe garbage \x01\x02", -1, "not valid JSON");

  many = g_string_new ("{\"shapes\": [");
  for (guint i = 0; i <= DENSITO_SIDECAR_MAX_SHAPES; i++)
    g_string_append_printf (many, "%s{\"label\": \"p\", \"points\": [[1, 1]], \"shape_type\": \"point\"}",
                            i ? "," : "");
  g_string_append (many, "]}");
  check_broken (f, many->str, (gssize)many->len, "shapes, more than");
  g_string_free (many, TRUE);

  big = g_malloc (big_len);
  memset (big, ' ', big_len);
  big[0] = '{';
  big[big_len - 1] = '}';
  check_broken (f, big, (gssize)big_len, "more than the 16 MiB");
}

static void
test_read_only (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *ro = g_build_filename (f->dir, "ro", NULL);
  g_autofree char *img = test_write_png (f->dir, "ro/1-1.png", W, H, FALSE);

  g_chmod (f->dir, 0755);
  g_chmod (ro, 0555);

  if (g_test_subprocess ())
    {
      g_autoptr(DensitoSidecar) s = NULL;
      g_autoptr(GError) error = NULL;

      /* Root writes anywhere; drop to nobody so the folder is read-only
       * for us too (CI runs as root). */
      if (getuid () == 0 && (setgid (65534) != 0 || setuid (65534) != 0))
        g_error ("cannot drop to nobody");
      s = densito_sidecar_load (img, NULL, W, H, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_false (densito_sidecar_save (s, NULL, &error));
      g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_READ_ONLY);
      g_assert_nonnull (strstr (error->message, "annotations folder"));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_chmod (ro, 0755);
}

static void
test_annotations_dir (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *ann = g_build_filename (f->dir, "ann", NULL);
  g_autofree char *path = densito_sidecar_path_for_image (f->image, ann);
  g_autoptr(DensitoSidecar) s = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  g_mkdir (ann, 0755);
  s = densito_sidecar_load (f->image, path, W, H, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (densito_sidecar_save (s, NULL, &error));
  g_assert_no_error (error);
  text = read_file (path);
  node = parse (text);
  /* imagePath stays relative to the sidecar, as labelme needs. */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "imagePath"), ==, "../10002-1.png");
}

static void
test_polygon_recognition (void)
{
  DensitoBox box;
  DensitoBox in = { 200, 150, 49, 15, 30 };
  double xy[8];
  double ccw[8];
  const double square_ish[8] = { 0, 0, 10, 0, 10, 10, 0, 11 };
  const double five[10] = { 0, 0, 1, 0, 1, 1, 0, 1, 0, 0.5 };

  densito_box_corners (&in, xy);
  g_assert_true (densito_box_from_polygon (xy, 4, &box));
  g_assert_cmpfloat_with_epsilon (box.cx, in.cx, 1e-9);
  g_assert_cmpfloat_with_epsilon (box.cy, in.cy, 1e-9);
  g_assert_cmpfloat_with_epsilon (box.width, in.width, 1e-9);
  g_assert_cmpfloat_with_epsilon (box.height, in.height, 1e-9);
  g_assert_cmpfloat_with_epsilon (box.angle, in.angle, 1e-9);

  /* The same corners wound the other way describe the same rectangle. */
  for (guint i = 0; i < 4; i++)
    {
      ccw[2 * i] = xy[2 * ((4 - i) % 4)];
      ccw[2 * i + 1] = xy[2 * ((4 - i) % 4) + 1];
    }
  g_assert_true (densito_box_from_polygon (ccw, 4, &box));
  g_assert_cmpfloat_with_epsilon (box.cx, in.cx, 1e-9);
  g_assert_cmpfloat_with_epsilon (box.width * box.height, in.width * in.height, 1e-6);

  g_assert_false (densito_box_from_polygon (square_ish, 4, &box));
  g_assert_false (densito_box_from_polygon (five, 5, &box));
}

static gboolean
roi_equal (const DensitoRoi *a,
           const DensitoRoi *b)
{
  return g_strcmp0 (a->key, b->key) == 0 && g_strcmp0 (a->label, b->label) == 0 &&
         memcmp (&a->box, &b->box, sizeof a->box) == 0 && a->has_original == b->has_original &&
         (!a->has_original || memcmp (&a->original, &b->original, sizeof a->original) == 0) &&
         a->source == b->source;
}

static GPtrArray *
snapshot (DensitoSidecar *s)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)densito_roi_free);

  for (guint i = 0; i < densito_sidecar_get_n_rois (s); i++)
    g_ptr_array_add (copy, densito_roi_copy (densito_sidecar_get_roi (s, i)));
  return copy;
}

static void
assert_same (DensitoSidecar *s,
             GPtrArray      *snap)
{
  g_assert_cmpuint (densito_sidecar_get_n_rois (s), ==, snap->len);
  for (guint i = 0; i < snap->len; i++)
    g_assert_true (roi_equal (densito_sidecar_get_roi (s, i), g_ptr_array_index (snap, i)));
}

static void
test_undo_redo (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) s = NULL;
  g_autoptr(DensitoEditStack) stack = NULL;
  g_autoptr(GPtrArray) start = NULL;
  g_autoptr(GPtrArray) end = NULL;
  g_autofree char *original = NULL;
  g_autofree char *after_undo = NULL;
  DensitoBox b;
  guint depth;

  g_file_set_contents (f->json, labelme_doc, -1, &error);
  g_assert_no_error (error);
  s = load (f, NULL);
  /* Save once so the file is in Densito's own layout. */
  g_assert_true (densito_sidecar_save (s, NULL, &error));
  original = read_file (f->json);
  g_clear_object (&s);
  s = load (f, NULL);

  stack = densito_edit_stack_new (s);
  start = snapshot (s);
  g_assert_false (densito_edit_stack_is_modified (stack));
  g_assert_false (densito_edit_stack_can_undo (stack));

  /* A drag: 30 small moves with one merge id make one command. */
  b = densito_sidecar_get_roi (s, 0)->box;
  for (guint i = 0; i < 30; i++)
    {
      b.cx += 0.1;
      b.cy -= 0.3;
      densito_edit_stack_set_box (stack, 0, &b, 7);
    }
  g_assert_cmpuint (densito_edit_stack_get_depth (stack), ==, 1);
  g_assert_true (densito_edit_stack_is_modified (stack));
  g_assert_true (densito_sidecar_get_roi (s, 0)->has_original);

  /* Rotate five times one degree (separate commands). */
  for (guint i = 0; i < 5; i++)
    {
      b.angle += 1.0;
      densito_edit_stack_set_box (stack, 0, &b, 0);
    }
  densito_edit_stack_relabel (stack, 3, "L3");
  {
    DensitoBox nb = { 300, 400, 20, 30, 0 };
    g_autoptr(DensitoRoi) roi = densito_roi_new_box ("wards", &nb, DENSITO_SOURCE_OPERATOR);
    g_assert_cmpuint (densito_edit_stack_add (stack, roi), ==, 4);
  }
  densito_edit_stack_delete (stack, 1);
  densito_edit_stack_set_review (stack, DENSITO_REVIEW_CORRECTED, NULL);
  depth = densito_edit_stack_get_depth (stack);
  g_assert_cmpuint (depth, ==, 1 + 5 + 1 + 1 + 1 + 1);
  g_assert_cmpfloat (densito_sidecar_get_roi (s, 0)->box.angle, ==, start->len ? ((DensitoRoi *)start->pdata[0])->box.angle + 5.0 : 0);
  end = snapshot (s);

  while (densito_edit_stack_undo (stack))
    ;
  assert_same (s, start);
  g_assert_cmpint (densito_sidecar_get_review (s)->status, ==, DENSITO_REVIEW_UNREVIEWED);
  g_assert_false (densito_edit_stack_is_modified (stack));

  while (densito_edit_stack_redo (stack))
    ;
  assert_same (s, end);
  g_assert_cmpint (densito_sidecar_get_review (s)->status, ==, DENSITO_REVIEW_CORRECTED);

  /* Save, then undo everything and save again: the file is the original. */
  g_assert_true (densito_edit_stack_save (stack, NULL, &error));
  g_assert_false (densito_edit_stack_is_modified (stack));
  densito_edit_stack_undo (stack);
  g_assert_true (densito_edit_stack_is_modified (stack));
  densito_edit_stack_redo (stack);
  g_assert_false (densito_edit_stack_is_modified (stack));
  while (densito_edit_stack_undo (stack))
    ;
  g_assert_true (densito_edit_stack_save (stack, NULL, &error));
  g_assert_no_error (error);
  after_undo = read_file (f->json);
  g_assert_cmpstr (after_undo, ==, original);

  /* A new edit after undo drops the redo branch. */
  b.cx = 1.0;
  densito_edit_stack_set_box (stack, 0, &b, 0);
  g_assert_false (densito_edit_stack_can_redo (stack));
}

static void
test_image_mismatch (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(DensitoSidecar) s = load (f, NULL);
  g_autoptr(DensitoSidecar) other_size = NULL;
  g_autoptr(DensitoSidecar) back = NULL;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (densito_sidecar_save (s, NULL, &error));
  back = load (f, NULL);
  g_assert_true (densito_sidecar_check_image_hash (back, &error));
  g_assert_no_error (error);
  g_assert_false (densito_sidecar_get_image_mismatch (back));

  /* The image is replaced by another of the same size: the hash tells. */
  g_free (test_write_png (f->dir, "10002-1.png", W, H, TRUE));
  g_assert_false (densito_sidecar_check_image_hash (back, &error));
  g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);
  g_assert_true (densito_sidecar_get_image_mismatch (back));

  /* Of another size: seen at load, with a diagnostic. */
  other_size = densito_sidecar_load (f->image, NULL, W + 10, H, diags, NULL, &error);
  g_assert_nonnull (other_size);
  g_assert_true (densito_sidecar_get_image_mismatch (other_size));
  g_assert_cmpuint (densito_diagnostics_get_n (diags), ==, 1);
}

static void
test_vocabulary (void)
{
  const DensitoRoiLabel *labels[32];
  guint n;

  n = densito_vocabulary_for_region (DENSITO_REGION_SPINE, labels, G_N_ELEMENTS (labels));
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpstr (labels[0]->id, ==, "L1");
  g_assert_cmpstr (labels[3]->id, ==, "L4");
  g_assert_cmpuint (densito_vocabulary_for_region (DENSITO_REGION_LATERAL, labels, 32), ==, 4);

  n = densito_vocabulary_for_region (DENSITO_REGION_HIP, labels, G_N_ELEMENTS (labels));
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpstr (labels[0]->id, ==, "neck");
  g_assert_cmpstr (labels[4]->id, ==, "total_hip");

  n = densito_vocabulary_for_region (DENSITO_REGION_FOREARM, labels, G_N_ELEMENTS (labels));
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpstr (labels[0]->id, ==, "radius_33");

  g_assert_cmpuint (densito_vocabulary_for_region (DENSITO_REGION_UNKNOWN, labels, 32), ==, 12);
  g_assert_cmpstr (densito_roi_label_display_name ("wards"), ==, "Ward’s area");
  /* A free label is kept and shown as it is. */
  g_assert_cmpstr (densito_roi_label_display_name ("my-box"), ==, "my-box");
  g_assert_null (densito_vocabulary_lookup ("my-box"));
}

static guint
image_named (DensitoDataset *dataset,
             const char     *name)
{
  DensitoImageIndex *images = densito_dataset_get_images (dataset);

  for (guint i = 0; i < densito_image_index_get_n_images (images); i++)
    if (g_strcmp0 (densito_image_index_get_image (images, i)->name, name) == 0)
      return i;
  g_assert_not_reached ();
}

/* The dataset's counts follow saves: a scan's first sidecar counts among
 * the images with one, an unreadable one that a save replaces no longer
 * counts as broken, and a sidecar deleted by someone else stops counting. */
static void
test_dataset_counts (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *png1 = NULL, *png2 = NULL, *png3 = NULL;
  g_autoptr(DensitoDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  DensitoAnnotationCounts c;
  DensitoBox box = { 50, 60, 40, 20, 0 };
  guint i1, i2, i3;

  g_free (test_write_file (dir, "osteo.csv", "IDENTIFIER1,SPINE_TSCORE,SEX\n10001,-2.6,F\n10002,-1.2,M\n"
                                             "10003,0.1,F\n", -1));
  png1 = test_write_png (dir, "imge/10001-1.png", 100, 100, FALSE);
  png2 = test_write_png (dir, "imge/10002-1.png", 100, 100, FALSE);
  png3 = test_write_png (dir, "imge/10003-1.png", 100, 100, FALSE);
  g_free (test_write_file (dir, "imge/10001-1.json",
                           "{\"shapes\": [{\"label\": \"neck\", \"points\": [[10, 10], [59, 25]], "
                           "\"shape_type\": \"rectangle\"}]}", -1));
  g_free (test_write_file (dir, "imge/10003-1.json", "{ broken", -1));
  dataset = densito_dataset_open (dir, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  i1 = image_named (dataset, "10001-1.png");
  i2 = image_named (dataset, "10002-1.png");
  i3 = image_named (dataset, "10003-1.png");
  densito_dataset_get_annotation_counts (dataset, &c);
  g_assert_cmpuint (c.with_sidecar, ==, 2);
  g_assert_cmpuint (c.broken, ==, 1);
  g_assert_cmpuint (c.rois, ==, 1);

  /* 10002-1 gets its first sidecar through an edit and a save. */
  {
    g_autofree char *path = densito_dataset_dup_sidecar_path (dataset, i2);
    g_autoptr(DensitoSidecar) sidecar = densito_sidecar_load (png2, path, 100, 100, NULL, NULL, &error);
    g_autoptr(DensitoEditStack) stack = densito_edit_stack_new (sidecar);
    g_autoptr(DensitoRoi) roi = densito_roi_new_box ("neck", &box, DENSITO_SOURCE_OPERATOR);

    g_assert_no_error (error);
    densito_edit_stack_add (stack, roi);
    densito_edit_stack_set_review (stack, DENSITO_REVIEW_CORRECTED, NULL);
    /* Edited, not saved: the facts follow, the file does not exist yet. */
    densito_dataset_update_image_sidecar (dataset, i2, sidecar);
    densito_dataset_get_annotation_counts (dataset, &c);
    g_assert_cmpuint (c.with_sidecar, ==, 2);
    g_assert_cmpuint (c.rois, ==, 2);
    g_assert_cmpuint (c.review[DENSITO_REVIEW_CORRECTED], ==, 1);
    g_assert_true (densito_edit_stack_save (stack, NULL, &error));
    g_assert_no_error (error);
    densito_dataset_update_image_sidecar (dataset, i2, sidecar);
    densito_dataset_update_image_sidecar (dataset, i2, sidecar);    /* twice counts once */
    densito_dataset_get_annotation_counts (dataset, &c);
    g_assert_cmpuint (c.with_sidecar, ==, 3);
    g_assert_cmpuint (c.rois, ==, 2);
    g_assert_cmpuint (c.review[DENSITO_REVIEW_CORRECTED], ==, 1);
    g_assert_cmpuint (c.review[DENSITO_REVIEW_UNREVIEWED], ==, 2);
  }

  /* The broken one is replaced by a save (a .broken copy is kept). */
  {
    g_autofree char *path = densito_dataset_dup_sidecar_path (dataset, i3);
    g_autoptr(DensitoSidecar) sidecar = densito_sidecar_load (png3, path, 100, 100, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (densito_sidecar_is_broken (sidecar));
    g_assert_true (densito_sidecar_save (sidecar, NULL, &error));
    g_assert_no_error (error);
    densito_dataset_update_image_sidecar (dataset, i3, sidecar);
    densito_dataset_get_annotation_counts (dataset, &c);
    g_assert_cmpuint (c.with_sidecar, ==, 3);
    g_assert_cmpuint (c.broken, ==, 0);
  }

  /* Someone else deletes 10001-1's sidecar; a save finds out. */
  {
    g_autofree char *path = densito_dataset_dup_sidecar_path (dataset, i1);
    g_autoptr(DensitoSidecar) sidecar = densito_sidecar_load (png1, path, 100, 100, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (g_unlink (path), ==, 0);
    g_assert_false (densito_sidecar_save (sidecar, NULL, &error));
    g_assert_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_null (densito_sidecar_dup_theirs (sidecar));
    densito_dataset_update_image_sidecar (dataset, i1, sidecar);
    densito_dataset_get_annotation_counts (dataset, &c);
    g_assert_cmpuint (c.with_sidecar, ==, 2);
    /* Its shape is still in memory, to be saved anew. */
    g_assert_cmpuint (c.rois, ==, 2);
  }

  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sidecar/path-for-image", test_path_for_image);
  g_test_add_func ("/sidecar/polygon-recognition", test_polygon_recognition);
  g_test_add_func ("/sidecar/vocabulary", test_vocabulary);
  g_test_add_func ("/sidecar/dataset-counts", test_dataset_counts);
  g_test_add ("/sidecar/round-trip", Fixture, NULL, fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/sidecar/idempotent-save", Fixture, NULL, fixture_set_up, test_idempotent_save, fixture_tear_down);
  g_test_add ("/sidecar/unknown-keys", Fixture, NULL, fixture_set_up, test_unknown_keys_survive, fixture_tear_down);
  g_test_add ("/sidecar/conflict", Fixture, NULL, fixture_set_up, test_conflict, fixture_tear_down);
  g_test_add ("/sidecar/broken-files", Fixture, NULL, fixture_set_up, test_broken_files, fixture_tear_down);
  g_test_add ("/sidecar/read-only", Fixture, NULL, fixture_set_up, test_read_only, fixture_tear_down);
  g_test_add ("/sidecar/annotations-dir", Fixture, NULL, fixture_set_up, test_annotations_dir, fixture_tear_down);
  g_test_add ("/sidecar/image-mismatch", Fixture, NULL, fixture_set_up, test_image_mismatch, fixture_tear_down);
  g_test_add ("/sidecar/undo-redo", Fixture, NULL, fixture_set_up, test_undo_redo, fixture_tear_down);

  return g_test_run ();
}
