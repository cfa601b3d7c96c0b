/* test-export.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The export: what it writes reopens in Densito with the same records,
 * the manifest is true, personal data stays out, and a cancelled, failed
 * or killed export never leaves anything under the final name.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "densito-dataset.h"
#include "densito-export.h"
#include "densito-query.h"
#include "test-util.h"

static DensitoDataset *
open_dataset (const char *path)
{
  g_autoptr(GError) error = NULL;
  DensitoDataset *dataset = densito_dataset_open (path, NULL, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dataset);
  return dataset;
}

static DensitoExportResult *
export_ok (DensitoDataset     *dataset,
           const char         *where,
           const char         *target,
           DensitoExportFlags  flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoQuery) query = densito_query_parse (where, &error);
  DensitoExportResult *result;

  g_assert_no_error (error);
  result = densito_export (dataset, query, target, flags, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static JsonObject *
read_json (const char *path,
           JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static gboolean
exists (const char *dir,
        const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Every file under @dir, relative, sorted. */
static void
list_tree (const char *root,
           const char *rel,
           GPtrArray  *out)
{
  g_autofree char *path = rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        list_tree (root, child_rel, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child_rel));
    }
}

/* A dataset of @n patients, each with a hip and a spine image; half of
 * the images have a sidecar with two boxes, one of them rotated. */
static char *
make_dataset (guint        n,
              const char  *extra_rows)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *imge = g_build_filename (dir, "imge", NULL);
  g_autoptr(GString) csv = g_string_new ("IDENTIFIER_1,SPINE_TSCORE,HIP_TSCORE,HIPNECK_TSCORE,SEX,"
                                         "AGE_CATEGORY,MENOPAUSE_YEAR,label,NOTE\n");
  g_autofree char *table = NULL;

  g_assert_cmpint (g_mkdir (imge, 0755), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      guint id = 10000 + i;
      g_autofree char *hip = g_strdup_printf ("%u-1.png", id);
      g_autofree char *spine = g_strdup_printf ("%u-2.png", id);
      g_autofree char *hip_path = NULL;

      g_string_append_printf (csv, "%u,%.1f,%.1f,-1.%u,%s,60-65,2005-2009,osteopenia,n%u\n",
                              id, -3.0 + (i % 7) * 0.5, -1.5 + (i % 3) * 0.5, i % 10,
                              i % 4 == 0 ? "M" : "F", i);
      hip_path = test_write_png (imge, hip, 400, 500, FALSE);
      g_free (test_write_png (imge, spine, 300, 600, FALSE));
      if (i % 2 == 0)
        {
          g_autoptr(DensitoSidecar) sc = densito_sidecar_new (hip_path, NULL, 400, 500);
          g_autoptr(GError) error = NULL;
          DensitoBox neck = { 200, 250, 49, 15, 30 };
          DensitoBox total = { 200, 250, 150, 200, 0 };
          g_autoptr(DensitoRoi) a = densito_roi_new_box ("neck", &neck, DENSITO_SOURCE_SYNTHETIC);
          g_autoptr(DensitoRoi) b = densito_roi_new_box ("total_hip", &total, DENSITO_SOURCE_SYNTHETIC);

          densito_sidecar_insert_roi (sc, 0, a);
          densito_sidecar_insert_roi (sc, 1, b);
          densito_sidecar_save (sc, NULL, &error);
          g_assert_no_error (error);
        }
    }
  if (extra_rows)
    g_string_append (csv, extra_rows);
  table = test_write_file (dir, "osteo.csv", csv->str, -1);
  return g_steal_pointer (&dir);
}

/* A valid Iranian national code, so the image index flags it. */
static char *
national_code (guint seed)
{
  for (guint n = seed;; n++)
    {
      g_autofree char *s = g_strdup_printf ("00%08u", n);
      if (densito_national_code_valid (s))
        return g_steal_pointer (&s);
    }
}

static void
test_reopen (void)
{
  g_autofree char *tmp = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (tmp, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (g_getenv ("DENSITO_SAMPLE"));
  g_autoptr(DensitoDataset) back = NULL;
  g_autoptr(DensitoQuery) query = densito_query_parse ("sex=F", NULL);
  g_autoptr(DensitoExportResult) result = export_ok (src, "sex=F", target, DENSITO_EXPORT_DEFAULT);
  DensitoTable *st = densito_dataset_get_table (src);
  DensitoTable *bt;
  g_autofree guint *rows = g_new (guint, densito_table_get_n_rows (st));
  guint n = densito_query_filter (query, st, densito_dataset_get_images (src), rows);

  g_assert_cmpuint (n, >, 10);
  g_assert_cmpuint (densito_export_result_get_summary (result)->patients, ==, n);
  back = open_dataset (target);
  bt = densito_dataset_get_table (back);
  g_assert_cmpuint (densito_table_get_n_rows (bt), ==, n);
  /* the originals and five added columns */
  g_assert_cmpuint (densito_table_get_n_columns (bt), ==, densito_table_get_n_columns (st) + 5);

  for (guint i = 0; i < n; i++)
    {
      DensitoSite s1, s2;

      g_assert_cmpstr (densito_table_get_id (bt, i), ==, densito_table_get_id (st, rows[i]));
      for (guint c = 0; c < densito_table_get_n_columns (st); c++)
        {
          char b1[DENSITO_CELL_BUF], b2[DENSITO_CELL_BUF];
          g_assert_cmpstr (densito_table_get_column_name (bt, c), ==, densito_table_get_column_name (st, c));
          g_assert_cmpstr (densito_table_get_cell (bt, i, c, b1), ==, densito_table_get_cell (st, rows[i], c, b2));
        }
      g_assert_cmpint (densito_table_get_class (bt, i, &s1), ==, densito_table_get_class (st, rows[i], &s2));
      g_assert_cmpint (s1, ==, s2);
      g_assert_cmpint (densito_table_get_applicability (bt, i, NULL), ==,
                       densito_table_get_applicability (st, rows[i], NULL));
      g_assert_cmpuint (densito_image_index_count_for_row (densito_dataset_get_images (back), i), ==,
                        densito_image_index_count_for_row (densito_dataset_get_images (src), rows[i]));
    }
  /* the sidecars came along, with every ROI */
  {
    DensitoAnnotationCounts a;
    guint rois = 0;

    for (guint i = 0; i < n; i++)
      {
        guint n_images;
        const guint *images = densito_image_index_get_for_row (densito_dataset_get_images (src), rows[i], &n_images);
        for (guint k = 0; k < n_images; k++)
          rois += densito_dataset_get_image_n_rois (src, images[k]);
      }
    densito_dataset_get_annotation_counts (back, &a);
    g_assert_cmpuint (a.with_sidecar, >=, densito_export_result_get_summary (result)->annotated);
    g_assert_cmpuint (a.rois, ==, rois);
    g_assert_cmpuint (rois, >, 0);
    g_assert_cmpuint (a.broken, ==, 0);
  }
  g_assert_false (exists (tmp, "out.partial"));
  test_remove_tree (tmp);
}

static void
test_manifest (void)
{
  g_autofree char *tmp = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (tmp, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (g_getenv ("DENSITO_SAMPLE"));
  g_autoptr(DensitoExportResult) result = export_ok (src, "", target, DENSITO_EXPORT_COCO);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *manifest_path = g_build_filename (target, "manifest.json", NULL);
  JsonObject *manifest = read_json (manifest_path, parser);
  JsonArray *files = json_object_get_array_member (manifest, "files");
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpstr (json_object_get_string_member (manifest, "format"), ==, "densito-export");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (manifest, "app"), "version"),
                   ==, PACKAGE_VERSION);
  g_assert_true (json_object_has_member (manifest, "created"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (manifest, "counts"), "patients"),
                   ==, 48);

  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonObject *f = json_array_get_object_element (files, i);
      const char *rel = json_object_get_string_member (f, "path");
      g_autofree char *path = g_build_filename (target, rel, NULL);
      g_autofree char *data = NULL;
      g_autofree char *sum = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)data, len);
      g_assert_cmpstr (sum, ==, json_object_get_string_member (f, "sha256"));
      g_assert_cmpint (len, ==, json_object_get_int_member (f, "bytes"));
      g_hash_table_add (listed, (gpointer)rel);
    }
  /* and every file written is listed, but the manifest itself */
  list_tree (target, NULL, tree);
  g_assert_cmpuint (tree->len, ==, json_array_get_length (files) + 1);
  g_assert_cmpuint (densito_export_result_get_n_files (result), ==, tree->len);
  for (guint i = 0; i < tree->len; i++)
    if (strcmp (tree->pdata[i], "manifest.json") != 0)
      g_assert_true (g_hash_table_contains (listed, tree->pdata[i]));
  g_assert_true (exists (target, "annotations.coco.json"));
  g_assert_false (exists (target, DENSITO_EXPORT_MARKER));
  test_remove_tree (tmp);
}

/* Images and annotations go separately: without the annotations, the
 * images alone (no sidecar, no COCO even when asked), and the summary's
 * annotated count follows; without the images, neither. */
static void
test_no_annotations (void)
{
  g_autofree char *dir = make_dataset (6, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *with = g_build_filename (dir, "with", NULL);
  g_autofree char *table_only = g_build_filename (dir, "table-only", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  DensitoExportFlags flags = DENSITO_EXPORT_NO_ANNOTATIONS | DENSITO_EXPORT_COCO;
  g_autoptr(DensitoExportResult) result = NULL;
  g_autoptr(DensitoExportResult) full = NULL;
  g_autoptr(DensitoExportResult) bare = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *manifest_path = g_build_filename (target, "manifest.json", NULL);
  g_autofree char *csv = NULL;
  JsonObject *manifest;
  JsonObject *options;
  DensitoExportSummary summary;
  guint n_png = 0;

  densito_export_summarize (src, NULL, flags, &summary);
  g_assert_cmpuint (summary.patients, ==, 6);
  g_assert_cmpuint (summary.images, ==, 12);
  g_assert_cmpuint (summary.annotated, ==, 0);

  result = export_ok (src, "", target, flags);
  g_assert_cmpmem (densito_export_result_get_summary (result), sizeof summary, &summary, sizeof summary);
  list_tree (target, NULL, tree);
  for (guint i = 0; i < tree->len; i++)
    {
      g_assert_false (g_str_has_suffix (tree->pdata[i], ".json") &&
                      strcmp (tree->pdata[i], "manifest.json") != 0);
      n_png += g_str_has_suffix (tree->pdata[i], ".png");
    }
  g_assert_cmpuint (n_png, ==, 12);
  g_assert_false (exists (target, "annotations.coco.json"));
  /* patients.csv, the images and the manifest */
  g_assert_cmpuint (densito_export_result_get_n_files (result), ==, 14);
  g_assert_cmpuint (tree->len, ==, 14);
  manifest = read_json (manifest_path, parser);
  options = json_object_get_object_member (manifest, "options");
  g_assert_true (json_object_get_boolean_member (options, "images"));
  g_assert_false (json_object_get_boolean_member (options, "annotations"));
  g_assert_false (json_object_get_boolean_member (options, "coco"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (manifest, "counts"), "sidecars"),
                   ==, 0);
  /* The table still names every image. */
  csv = read_text (target, "patients.csv");
  g_assert_nonnull (strstr (csv, "10000-1.png;10000-2.png"));

  /* The same dataset with the annotations: three sidecars, counted. */
  densito_export_summarize (src, NULL, DENSITO_EXPORT_DEFAULT, &summary);
  g_assert_cmpuint (summary.annotated, ==, 3);
  full = export_ok (src, "", with, DENSITO_EXPORT_DEFAULT);
  g_assert_cmpuint (densito_export_result_get_summary (full)->annotated, ==, 3);
  g_assert_true (exists (with, "images/10000-1.json"));
  g_assert_cmpuint (densito_export_result_get_n_files (full), ==, 17);

  /* No images: no annotations either, whatever else is asked. */
  densito_export_summarize (src, NULL, DENSITO_EXPORT_NO_IMAGES | DENSITO_EXPORT_COCO, &summary);
  g_assert_cmpuint (summary.images, ==, 0);
  g_assert_cmpuint (summary.annotated, ==, 0);
  bare = export_ok (src, "", table_only, DENSITO_EXPORT_NO_IMAGES | DENSITO_EXPORT_COCO);
  g_assert_false (exists (table_only, "images"));
  g_assert_false (exists (table_only, "annotations.coco.json"));
  g_assert_cmpuint (densito_export_result_get_n_files (bare), ==, 2);
  test_remove_tree (dir);
}

/* An unreadable sidecar is left out and counted; the others, read by the
 * writer threads, reach the export, the COCO file and the counts. */
static void
test_unreadable_sidecar (void)
{
  g_autofree char *dir = make_dataset (6, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *broken = test_write_file (dir, "imge/10002-1.json", "{ \"shapes\": [ not json", -1);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(DensitoExportResult) result = export_ok (src, "", target, DENSITO_EXPORT_COCO);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) coco_parser = json_parser_new ();
  g_autofree char *manifest_path = g_build_filename (target, "manifest.json", NULL);
  g_autofree char *coco_path = g_build_filename (target, "annotations.coco.json", NULL);
  JsonObject *manifest = read_json (manifest_path, parser);
  JsonObject *counts = json_object_get_object_member (manifest, "counts");
  JsonObject *coco = read_json (coco_path, coco_parser);
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpint (json_object_get_int_member (counts, "sidecars"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (counts, "sidecars_unreadable_left_out"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (counts, "rois"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (counts, "coco_annotations"), ==, 4);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (coco, "annotations")), ==, 4);
  g_assert_true (exists (target, "images/10000-1.json"));
  g_assert_true (exists (target, "images/10004-1.json"));
  g_assert_false (exists (target, "images/10002-1.json"));
  g_assert_true (exists (target, "images/10002-1.png"));
  /* and the caller is told which */
  g_assert_cmpuint (densito_export_result_get_unreadable (result)->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (densito_export_result_get_unreadable (result), 0), ==, broken);
  list_tree (target, NULL, tree);
  g_assert_cmpuint (densito_export_result_get_n_files (result), ==, tree->len);
  g_assert_cmpuint (tree->len, ==, json_array_get_length (json_object_get_array_member (manifest, "files")) + 1);
  test_remove_tree (dir);
}

static gboolean
tree_mentions (const char *root,
               const char *needle)
{
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);

  list_tree (root, NULL, tree);
  for (guint i = 0; i < tree->len; i++)
    {
      g_autofree char *text = read_text (root, tree->pdata[i]);
      if (strstr (tree->pdata[i], needle) != NULL ||
          (g_str_has_suffix (tree->pdata[i], ".png") == FALSE && strstr (text, needle) != NULL))
        return TRUE;
    }
  return FALSE;
}

/* Whether an original patient ID survives where an ID could be: file
 * names, patients.csv, the sidecars' imagePath, COCO's patient IDs and
 * file names. (Not anywhere in the text: a SHA-256 may contain "10003".) */
static gboolean
export_names_id (const char *root,
                 const char *id)
{
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *csv = read_text (root, "patients.csv");
  g_autoptr(GString) field = g_string_new (NULL);

  g_string_printf (field, "\n%s,", id);
  if (strstr (csv, field->str) != NULL)
    return TRUE;
  list_tree (root, NULL, tree);
  for (guint i = 0; i < tree->len; i++)
    {
      const char *rel = tree->pdata[i];
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *path = g_build_filename (root, rel, NULL);
      JsonObject *o;

      if (strstr (rel, id) != NULL)
        return TRUE;
      if (!g_str_has_suffix (rel, ".json") || strcmp (rel, "manifest.json") == 0)
        continue;
      o = read_json (path, parser);
      if (json_object_has_member (o, "imagePath") &&
          strstr (json_object_get_string_member (o, "imagePath"), id) != NULL)
        return TRUE;
      if (json_object_has_member (o, "images"))
        {
          JsonArray *images = json_object_get_array_member (o, "images");
          for (guint k = 0; k < json_array_get_length (images); k++)
            {
              JsonObject *img = json_array_get_object_element (images, k);
              if (strcmp (json_object_get_string_member (img, "patient_id"), id) == 0 ||
                  strstr (json_object_get_string_member (img, "file_name"), id) != NULL)
                return TRUE;
            }
        }
    }
  return FALSE;
}

static void
test_personal_id_images (void)
{
  g_autofree char *code = national_code (1234567);
  g_autofree char *code2 = national_code (7654321);
  g_autofree char *row = g_strdup_printf ("%s,-2.0,-1.0,-1.0,F,60-65,2005-2009,osteopenia,x\n", code);
  g_autofree char *dir = make_dataset (4, row);
  g_autofree char *imge = g_build_filename (dir, "imge", NULL);
  g_autofree char *linked = g_strdup_printf ("%s-1.png", code);
  g_autofree char *unlinked = g_strdup_printf ("%s.png", code2);
  g_autofree char *plain = g_build_filename (dir, "plain", NULL);
  g_autofree char *anon = g_build_filename (dir, "anon", NULL);
  g_autoptr(DensitoDataset) src = NULL;
  g_autoptr(DensitoExportResult) r1 = NULL;
  g_autoptr(DensitoExportResult) r2 = NULL;
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  g_autofree char *m1_path = NULL;
  g_autofree char *m2_path = NULL;
  JsonObject *pii;

  g_free (test_write_png (imge, linked, 400, 500, FALSE));
  g_free (test_write_png (imge, unlinked, 400, 500, FALSE));
  src = open_dataset (dir);

  /* Without anonymise the patient's only name is the national code
   * itself: the image is left out and the manifest says so. */
  r1 = export_ok (src, "", plain, DENSITO_EXPORT_DEFAULT);
  g_assert_cmpuint (densito_export_result_get_summary (r1)->pii_left_out, ==, 1);
  g_assert_cmpuint (densito_export_result_get_summary (r1)->pii_renamed, ==, 0);
  g_assert_cmpuint (densito_export_result_get_summary (r1)->pii_patient_ids, ==, 1);
  g_assert_cmpuint (densito_export_result_get_summary (r1)->images, ==, 8);
  {
    /* What the dialog's summary counts is what the export did. */
    DensitoExportSummary counted;

    densito_export_summarize (src, NULL, DENSITO_EXPORT_DEFAULT, &counted);
    g_assert_cmpmem (&counted, sizeof counted, densito_export_result_get_summary (r1), sizeof counted);
  }
  {
    g_autofree char *img = g_build_filename ("images", linked, NULL);
    g_assert_false (exists (plain, img));
  }
  m1_path = g_build_filename (plain, "manifest.json", NULL);
  pii = json_object_get_object_member (read_json (m1_path, p1), "personal_id_images");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (pii, "left_out")), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (pii, "renamed")), ==, 0);
  {
    g_autofree char *manifest = read_text (plain, "manifest.json");
    g_assert_null (strstr (manifest, code));
    g_assert_null (strstr (manifest, code2));
  }

  /* With anonymise it is renamed, and the code appears nowhere. */
  r2 = export_ok (src, "", anon, DENSITO_EXPORT_ANONYMIZE | DENSITO_EXPORT_COCO);
  g_assert_cmpuint (densito_export_result_get_summary (r2)->pii_renamed, ==, 1);
  g_assert_cmpuint (densito_export_result_get_summary (r2)->pii_left_out, ==, 0);
  g_assert_cmpuint (densito_export_result_get_summary (r2)->images, ==, 9);
  {
    DensitoExportSummary counted;

    densito_export_summarize (src, NULL, DENSITO_EXPORT_ANONYMIZE | DENSITO_EXPORT_COCO, &counted);
    g_assert_cmpmem (&counted, sizeof counted, densito_export_result_get_summary (r2), sizeof counted);
  }
  m2_path = g_build_filename (anon, "manifest.json", NULL);
  pii = json_object_get_object_member (read_json (m2_path, p2), "personal_id_images");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (pii, "renamed")), ==, 1);
  {
    const char *file = json_object_get_string_member (
      json_array_get_object_element (json_object_get_array_member (pii, "renamed"), 0), "file");
    g_autofree char *expect = g_strdup_printf ("images/%s-1.png", densito_export_result_lookup_id (r2, code));
    g_assert_cmpstr (file, ==, expect);
    g_assert_true (exists (anon, file));
  }
  g_assert_false (tree_mentions (anon, code));
  g_assert_false (tree_mentions (anon, code2));
  test_remove_tree (dir);
}

static void
test_formula_injection (void)
{
  g_autofree char *dir = make_dataset (1,
    "20001,-2.5,+1.0,-1.0,F,60-65,2005-2009,osteopenia,\"=HYPERLINK(\"\"http://x\"\")\"\n"
    "20002,-2.6,-0.5,-1.0,F,60-65,2005-2009,osteopenia,+cmd|' /C calc'!A0\n"
    "20003,-2.7,-0.5,-1.0,F,60-65,2005-2009,osteopenia,@SUM(A1)\n"
    "20004,-2.8,-0.5,-1.0,F,60-65,2005-2009,osteopenia,-2+3\n"
    "20005,-2.9,-0.5,-1.0,F,60-65,2005-2009,osteopenia,-7.25\n");
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(DensitoExportResult) result = export_ok (src, "", target, DENSITO_EXPORT_NO_IMAGES);
  g_autofree char *csv = read_text (target, "patients.csv");
  g_autoptr(DensitoDataset) back = open_dataset (target);
  DensitoTable *bt = densito_dataset_get_table (back);
  int note = -1;
  char buf[DENSITO_CELL_BUF];

  g_assert_nonnull (strstr (csv, "\"'=HYPERLINK(\"\"http://x\"\")\""));
  g_assert_nonnull (strstr (csv, ",'+cmd|' /C calc'!A0,"));
  g_assert_nonnull (strstr (csv, ",'@SUM(A1),"));
  g_assert_nonnull (strstr (csv, ",'-2+3,"));
  /* numbers stay numbers */
  g_assert_nonnull (strstr (csv, "20001,-2.5,+1.0,-1.0,"));
  g_assert_nonnull (strstr (csv, ",-7.25,"));
  g_assert_false (exists (target, "images"));

  for (guint c = 0; c < densito_table_get_n_columns (bt); c++)
    if (strcmp (densito_table_get_column_name (bt, c), "NOTE") == 0)
      note = (int)c;
  g_assert_cmpint (note, >=, 0);
  g_assert_cmpuint (densito_table_get_n_rows (bt), ==, 6);
  g_assert_cmpstr (densito_table_get_cell (bt, 1, note, buf), ==, "'=HYPERLINK(\"http://x\")");
  g_assert_cmpstr (densito_table_get_cell (bt, 5, note, buf), ==, "-7.25");
  g_assert_cmpfloat_with_epsilon (densito_table_get_number (bt, 1, DENSITO_FIELD_SPINE_T), -2.5, 1e-9);
  g_assert_cmpint (densito_table_get_class (bt, 1, NULL), ==, DENSITO_CLASS_OSTEOPOROSIS);
  g_assert_true (densito_csv_needs_neutralizing ("=1+1"));
  g_assert_true (densito_csv_needs_neutralizing ("-"));
  g_assert_false (densito_csv_needs_neutralizing ("-2,5"));
  g_assert_false (densito_csv_needs_neutralizing ("a=b"));
  g_assert_false (densito_csv_needs_neutralizing (""));
  test_remove_tree (dir);
}

static void
test_anonymize_mapping (void)
{
  g_autofree char *dir = make_dataset (12, NULL);
  g_autofree char *target = g_build_filename (dir, "anon", NULL);
  g_autofree char *inside = g_build_filename (target, "map.csv", NULL);
  g_autofree char *outside = g_build_filename (dir, "map.csv", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(DensitoExportResult) result = export_ok (src, "", target,
                                                     DENSITO_EXPORT_ANONYMIZE | DENSITO_EXPORT_COCO);
  g_autoptr(DensitoDataset) back = open_dataset (target);
  DensitoTable *st = densito_dataset_get_table (src);
  DensitoTable *bt = densito_dataset_get_table (back);
  g_autoptr(GError) error = NULL;
  g_autofree char *mapping = NULL;
  g_autofree char *manifest = read_text (target, "manifest.json");
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpuint (densito_table_get_n_rows (bt), ==, 12);
  for (guint r = 0; r < 12; r++)
    {
      const char *orig = densito_table_get_id (st, r);
      const char *id = densito_export_result_lookup_id (result, orig);
      int back_row;
      char b1[DENSITO_CELL_BUF], b2[DENSITO_CELL_BUF];

      g_assert_nonnull (id);
      g_assert_true (g_str_has_prefix (id, "P000"));
      back_row = densito_table_find_id (bt, id, -1);
      g_assert_cmpint (back_row, >=, 0);
      /* the same record under its new ID, with its images renamed */
      g_assert_cmpstr (densito_table_get_cell (bt, back_row, 1, b1), ==, densito_table_get_cell (st, r, 1, b2));
      g_assert_cmpint (densito_table_get_class (bt, back_row, NULL), ==, densito_table_get_class (st, r, NULL));
      g_assert_cmpuint (densito_image_index_count_for_row (densito_dataset_get_images (back), back_row), ==, 2);
      /* no original ID in a name or in the table */
      g_assert_false (export_names_id (target, orig));
    }
  g_assert_null (strstr (manifest, dir));   /* no source path either */

  list_tree (target, NULL, tree);
  for (guint i = 0; i < tree->len; i++)
    g_assert_false (strstr (tree->pdata[i], "map") != NULL && !g_str_has_suffix (tree->pdata[i], ".png"));

  /* the mapping goes only where the caller says, outside the export */
  g_assert_false (densito_export_result_save_mapping (result, inside, &error));
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_MAPPING);
  g_clear_error (&error);
  g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
  g_assert_true (densito_export_result_save_mapping (result, outside, &error));
  g_assert_no_error (error);
  g_file_get_contents (outside, &mapping, NULL, NULL);
  g_assert_true (g_str_has_prefix (mapping, "ORIGINAL_ID,EXPORT_ID\n"));
  {
    g_autofree char *line = g_strdup_printf ("10003,%s\n", densito_export_result_lookup_id (result, "10003"));
    GStatBuf st_buf;
    g_assert_nonnull (strstr (mapping, line));
    g_assert_cmpint (g_stat (outside, &st_buf), ==, 0);
    g_assert_cmpint (st_buf.st_mode & 0777, ==, 0600);
  }
  test_remove_tree (dir);
}

static void
test_target_exists (void)
{
  g_autofree char *tmp = test_make_tmpdir ();
  g_autofree char *full = g_build_filename (tmp, "full", NULL);
  g_autofree char *empty = g_build_filename (tmp, "empty", NULL);
  g_autofree char *file = NULL;
  g_autofree char *keep = NULL;
  g_autoptr(DensitoDataset) src = open_dataset (g_getenv ("DENSITO_SAMPLE"));
  g_autoptr(DensitoExportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_mkdir (full, 0755);
  keep = test_write_file (full, "keep.txt", "mine", -1);
  file = test_write_file (tmp, "file", "x", -1);

  result = densito_export (src, NULL, full, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_TARGET_EXISTS);
  g_assert_nonnull (strstr (error->message, "not an empty folder"));
  g_clear_error (&error);
  g_file_get_contents (keep, &text, NULL, NULL);
  g_assert_cmpstr (text, ==, "mine");
  g_assert_false (exists (full, "patients.csv"));
  g_assert_false (exists (tmp, "full.partial"));

  result = densito_export (src, NULL, file, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_TARGET_EXISTS);
  g_clear_error (&error);

  /* a query that matches nobody: refused, nothing made */
  {
    g_autoptr(DensitoQuery) nobody = densito_query_parse ("spine_t<-20", NULL);
    g_autofree char *none = g_build_filename (tmp, "none", NULL);

    result = densito_export (src, nobody, none, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error);
    g_assert_null (result);
    g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_NO_PATIENTS);
    g_clear_error (&error);
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
    g_assert_false (exists (tmp, "none.partial"));
  }

  /* an empty folder is fine */
  g_mkdir (empty, 0755);
  result = export_ok (src, "", empty, DENSITO_EXPORT_NO_IMAGES);
  g_assert_true (exists (empty, "patients.csv"));
  test_remove_tree (tmp);
}

/* An existing empty folder (a mount point, a folder in a parent the
 * user cannot write, a private folder) is written into, not renamed
 * over: it keeps its inode and permissions, and no .partial goes beside
 * it. */
static void
test_target_empty_folder (void)
{
  g_autofree char *tmp = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (tmp, "private", NULL);
  g_autofree char *inside = g_build_filename (target, DENSITO_EXPORT_INSIDE_PARTIAL, NULL);
  g_autofree char *marker = NULL;
  g_autofree char *link = g_build_filename (tmp, "link", NULL);
  g_autofree char *linked = g_build_filename (tmp, "linked", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (g_getenv ("DENSITO_SAMPLE"));
  g_autoptr(DensitoExportResult) result = NULL;
  g_autoptr(DensitoExportResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  GStatBuf before, after;

  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);
  g_assert_cmpint (g_stat (target, &before), ==, 0);

  /* left there by an export into it that was killed: ours, removed */
  g_assert_cmpint (g_mkdir (inside, 0755), ==, 0);
  marker = test_write_file (inside, DENSITO_EXPORT_MARKER, "", -1);
  g_free (test_write_file (inside, "patients.csv", "half", -1));

  result = export_ok (src, "", target, DENSITO_EXPORT_DEFAULT);
  g_assert_cmpint (g_stat (target, &after), ==, 0);
  g_assert_cmpuint (after.st_ino, ==, before.st_ino);
  g_assert_cmpuint (after.st_mode & 07777, ==, 0700);
  g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
  g_assert_false (exists (tmp, "private.partial"));
  list_tree (target, NULL, files);
  g_assert_true (g_ptr_array_find_with_equal_func (files, "patients.csv", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (files, "manifest.json", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (files, "images/10000-2.png", g_str_equal, NULL));
  g_assert_cmpstr (densito_export_result_get_target (result), ==, target);

  /* now it is not empty */
  g_assert_null (densito_export (src, NULL, target, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error));
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_TARGET_EXISTS);
  g_clear_error (&error);

  /* a .partial inside that is not ours is refused, and kept */
  test_remove_tree (target);
  g_assert_cmpint (g_mkdir (target, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (inside, 0755), ==, 0);
  g_free (test_write_file (inside, "thesis.tex", "precious", -1));
  g_assert_null (densito_export (src, NULL, target, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error));
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_PARTIAL_FOREIGN);
  g_clear_error (&error);
  g_assert_true (exists (inside, "thesis.tex"));

  /* a link to an empty folder is that folder; the link stays a link */
  g_assert_cmpint (g_mkdir (linked, 0755), ==, 0);
  g_assert_cmpint (symlink (linked, link), ==, 0);
  result2 = export_ok (src, "", link, DENSITO_EXPORT_NO_IMAGES);
  g_assert_true (exists (linked, "patients.csv"));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  test_remove_tree (tmp);
}

/* An image that is a symbolic link is exported as the file it points at
 * (a hard link to that file, or a copy), never as a link that would
 * dangle in the export or lead back into the dataset. */
static void
test_symlinked_image (void)
{
  g_autofree char *dir = make_dataset (2, NULL);
  g_autofree char *store = g_build_filename (dir, "store", NULL);
  g_autofree char *image = g_build_filename (dir, "imge", "10001-2.png", NULL);
  g_autofree char *stored = g_build_filename (store, "orig.png", NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *exported = g_build_filename (target, "images", "10001-2.png", NULL);
  g_autofree char *original = NULL;
  g_autofree char *copy = NULL;
  gsize original_len, copy_len;
  g_autoptr(DensitoDataset) src = NULL;
  g_autoptr(DensitoExportResult) result = NULL;
  GStatBuf st;

  g_assert_cmpint (g_mkdir (store, 0755), ==, 0);
  g_assert_cmpint (g_rename (image, stored), ==, 0);
  g_assert_cmpint (symlink ("../store/orig.png", image), ==, 0);
  src = open_dataset (dir);

  result = export_ok (src, "", target, DENSITO_EXPORT_DEFAULT);
  g_assert_cmpint (g_lstat (exported, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_true (g_file_get_contents (stored, &original, &original_len, NULL));
  g_assert_true (g_file_get_contents (exported, &copy, &copy_len, NULL));
  g_assert_cmpmem (copy, copy_len, original, original_len);
  test_remove_tree (dir);
}

/* An export made inside the dataset folder (the dialog's default when
 * the dataset folder is chosen) does not take the dataset's place when
 * the folder is opened again, even with as many rows as the table. */
static void
test_export_inside_dataset (void)
{
  g_autofree char *dir = make_dataset (3, NULL);
  g_autofree char *target = g_build_filename (dir, "a-export", NULL);
  g_autofree char *table = g_build_filename (dir, "osteo.csv", NULL);
  g_autofree char *imge = g_build_filename (dir, "imge", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(DensitoDataset) again = NULL;
  g_autoptr(DensitoExportResult) result = NULL;

  result = export_ok (src, "", target, DENSITO_EXPORT_ANONYMIZE);
  again = open_dataset (dir);
  g_assert_cmpstr (densito_table_get_path (densito_dataset_get_table (again)), ==, table);
  g_assert_cmpstr (densito_table_get_id (densito_dataset_get_table (again), 0), ==, "10000");
  g_assert_cmpstr (densito_image_index_get_directory (densito_dataset_get_images (again)), ==, imge);
  g_clear_object (&again);

  /* nor does one left half-written by a killed export, with more rows */
  {
    g_autofree char *partial = g_build_filename (dir, "b.partial", NULL);
    g_autofree char *rows = g_strdup ("ID,SEX\n1,F\n2,F\n3,F\n4,F\n5,F\n6,F\n");

    g_free (test_write_file (partial, "patients.csv", rows, -1));
    g_free (test_write_file (partial, DENSITO_EXPORT_MARKER, "", -1));
    again = open_dataset (dir);
    g_assert_cmpstr (densito_table_get_path (densito_dataset_get_table (again)), ==, table);
    g_clear_object (&again);
    test_remove_tree (partial);
  }

  /* but a folder that holds nothing but an export opens it */
  {
    g_autofree char *only = g_build_filename (dir, "only", NULL);
    g_autofree char *moved = g_build_filename (only, "study1", NULL);
    g_autofree char *expected = g_build_filename (moved, "patients.csv", NULL);
    g_autofree char *expected_images = g_build_filename (moved, "images", NULL);

    g_assert_cmpint (g_mkdir (only, 0755), ==, 0);
    g_assert_cmpint (g_rename (target, moved), ==, 0);
    again = open_dataset (only);
    g_assert_cmpstr (densito_table_get_path (densito_dataset_get_table (again)), ==, expected);
    g_assert_cmpstr (densito_image_index_get_directory (densito_dataset_get_images (again)), ==, expected_images);
  }
  test_remove_tree (dir);
}

/* Renamed files of one patient that share a number (10000-1.png,
 * 10000_1.png, ...) keep the new ID and that number, so they still read
 * as the same region; and none is lost. */
static void
test_anonymize_same_number (void)
{
  static const char * const extra[] = { "10000_1.png", "10000 (1).png", "10000-01.png", "10000_01.png",
                                        "10000 (01).png", "10000-001.png", "10000_001.png",
                                        "10000 (001).png", "10000-0001.png", "10000_0001.png",
                                        "10000 (0001).png", "10000-1.PNG", "10000.png", "10000_0.png" };
  g_autofree char *dir = make_dataset (1, NULL);
  g_autofree char *imge = g_build_filename (dir, "imge", NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *out_images = g_build_filename (target, "images", NULL);
  g_autoptr(DensitoDataset) src = NULL;
  g_autoptr(DensitoExportResult) result = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *new_id;
  guint n_hip = 0, n_none = 0, n_other = 0;

  for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
    g_free (test_write_png (imge, extra[i], 400, 500, FALSE));
  src = open_dataset (dir);
  result = export_ok (src, "", target, DENSITO_EXPORT_ANONYMIZE | DENSITO_EXPORT_NO_ANNOTATIONS);
  new_id = densito_export_result_lookup_id (result, "10000");
  g_assert_nonnull (new_id);
  /* 10000-1.png, 10000-2.png and the others */
  g_assert_cmpuint (densito_export_result_get_summary (result)->images, ==, 2 + G_N_ELEMENTS (extra));

  list_tree (out_images, NULL, files);
  g_assert_cmpuint (files->len, ==, 2 + G_N_ELEMENTS (extra));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *id = NULL;
      int suffix;

      g_assert_true (densito_image_name_parse (files->pdata[i], &id, &suffix));
      g_assert_cmpstr (id, ==, new_id);
      if (suffix == 1)
        n_hip++;
      else if (suffix == 0 || suffix == -1)
        n_none++;
      else if (suffix != 2)
        n_other++;
    }
  /* 12 spellings of number 1; the 13th file gets a number of its own */
  g_assert_cmpuint (n_hip, ==, 12);
  g_assert_cmpuint (n_none, ==, 2);
  g_assert_cmpuint (n_other, ==, 1);
  test_remove_tree (dir);
}

static void
test_partial_left_over (void)
{
  g_autofree char *tmp = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (tmp, "out", NULL);
  g_autofree char *partial = g_build_filename (tmp, "out.partial", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (g_getenv ("DENSITO_SAMPLE"));
  g_autoptr(DensitoExportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  int fd;

  /* Not ours: refused, untouched. */
  g_mkdir (partial, 0755);
  g_free (test_write_file (partial, "thesis.tex", "precious", -1));
  result = densito_export (src, NULL, target, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_PARTIAL_FOREIGN);
  g_assert_nonnull (strstr (error->message, "not left by a Densito export"));
  g_clear_error (&error);
  g_assert_true (exists (partial, "thesis.tex"));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));

  /* Ours, but another export holds the lock: refused. */
  marker = test_write_file (partial, DENSITO_EXPORT_MARKER, "", -1);
  fd = g_open (marker, O_RDONLY, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
  result = densito_export (src, NULL, target, DENSITO_EXPORT_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (exists (partial, "thesis.tex"));

  /* Left by a killed export (marker, no lock): cleaned up. */
  close (fd);
  result = export_ok (src, "", target, DENSITO_EXPORT_DEFAULT);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_true (exists (target, "patients.csv"));
  g_assert_false (exists (target, "thesis.tex"));
  test_remove_tree (tmp);
}

/* A JPEG of about @kib KiB: its header, then comment segments. */
static void
write_big_jpeg (const char *dir,
                const char *name,
                guint       kib)
{
  g_autofree char *path = test_write_jpeg (dir, name, 300, 400);
  g_autoptr(GByteArray) a = g_byte_array_new ();
  g_autofree char *data = NULL;
  gsize len;
  guint8 seg[4 + 16384];

  g_file_get_contents (path, &data, &len, NULL);
  g_byte_array_append (a, (guint8 *)data, len - 2);   /* without EOI */
  memset (seg, 0x5a, sizeof seg);
  seg[0] = 0xff; seg[1] = 0xfe; seg[2] = (16384 + 2) >> 8; seg[3] = (16384 + 2) & 0xff;
  for (guint i = 0; i < kib / 16; i++)
    g_byte_array_append (a, seg, sizeof seg);
  g_byte_array_append (a, (const guint8 *)"\xff\xd9", 2);
  g_assert_true (g_file_set_contents (path, (char *)a->data, a->len, NULL));
}

static void
test_killed_export (void)
{
  g_autofree char *dir = make_dataset (0, NULL);
  g_autofree char *imge = g_build_filename (dir, "imge", NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *partial = g_build_filename (dir, "out.partial", NULL);
  g_autofree char *marker = g_build_filename (partial, DENSITO_EXPORT_MARKER, NULL);
  g_autoptr(GString) csv = g_string_new ("IDENTIFIER_1,SPINE_TSCORE,SEX\n");
  g_autoptr(GError) error = NULL;
  const char *bin = g_getenv ("DENSITO_BIN");
  const char *argv[] = { bin, "export", dir, "--to", target, "--copy", NULL };
  GPid pid;
  int status;
  gboolean killed = FALSE;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u-1.jpg", 30000 + i);
      g_string_append_printf (csv, "%u,-1.0,F\n", 30000 + i);
      write_big_jpeg (imge, name, 384);
    }
  g_free (test_write_file (dir, "osteo.csv", csv->str, -1));

  for (guint attempt = 0; attempt < 5 && !killed; attempt++)
    {
      test_remove_tree (partial);
      g_spawn_async (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, &pid, &error);
      g_assert_no_error (error);
      /* Kill it once it has started writing. */
      for (guint t = 0; t < 20000 && !g_file_test (marker, G_FILE_TEST_EXISTS); t++)
        g_usleep (500);
      g_usleep (10000);
      kill (pid, SIGKILL);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_spawn_close_pid (pid);
      killed = WIFSIGNALED (status);
      if (!killed)
        test_remove_tree (target);
    }
  if (!killed)
    {
      g_test_skip ("the export always finished before the kill");
      test_remove_tree (dir);
      return;
    }

  /* Only the .partial folder is left, never the target. */
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));

  /* The next export cleans it up and finishes. */
  {
    g_autoptr(DensitoDataset) src = open_dataset (dir);
    g_autoptr(DensitoExportResult) result = export_ok (src, "", target, DENSITO_EXPORT_DEFAULT);

    g_assert_cmpuint (densito_export_result_get_summary (result)->images, ==, 300);
    g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
    g_assert_true (exists (target, "manifest.json"));
  }
  test_remove_tree (dir);
}

typedef struct
{
  GCancellable *cancellable;
  guint         calls;
  double        last;
  gboolean      off_main;
  GThread      *main_thread;
  guint         flushing;     /* reports of the wait for the disk */
} ProgressLog;

static void
cancel_progress_cb (const DensitoExportProgress *p,
                    gpointer                     user_data)
{
  ProgressLog *log = user_data;

  /* The wait for the disk comes once every file is written; after it only
   * the end. */
  if (p->flushing || log->flushing > 0)
    {
      g_assert_cmpuint (p->files_done, ==, p->n_files);
      g_assert_cmpfloat (p->fraction, ==, 1.0);
    }
  if (p->flushing)
    log->flushing++;
  g_assert_cmpfloat (p->fraction, >=, log->last);
  g_assert_cmpfloat (p->fraction, <=, 1.0);
  log->last = p->fraction;
  log->calls++;
  if (g_thread_self () != log->main_thread)
    log->off_main = TRUE;
  /* The first call comes once .partial is made, before any image. */
  if (log->cancellable)
    g_cancellable_cancel (log->cancellable);
}

static void
test_cancel (void)
{
  g_autofree char *dir = make_dataset (300, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoExportResult) result = NULL;
  ProgressLog log = { cancellable, 0, 0, FALSE, g_thread_self () };

  result = densito_export (src, NULL, target, DENSITO_EXPORT_COPY, cancellable, cancel_progress_cb, &log, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (log.calls, >=, 1);
  g_assert_cmpuint (log.flushing, ==, 0);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_false (exists (dir, "out.partial"));
  test_remove_tree (dir);
}

static void
cancel_when_flushing_cb (const DensitoExportProgress *p,
                         gpointer                     user_data)
{
  if (p->flushing)
    g_cancellable_cancel (user_data);
}

/* Once every file is written and the export waits for the disk, a cancel
 * comes too late: the dialog says so and disables Cancel, so the export
 * must then finish. */
static void
test_cancel_while_flushing (void)
{
  g_autofree char *dir = make_dataset (10, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoExportResult) result = NULL;

  result = densito_export (src, NULL, target, DENSITO_EXPORT_COPY, cancellable, cancel_when_flushing_cb,
                           cancellable, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  g_assert_true (exists (dir, "out/manifest.json"));
  g_assert_false (exists (dir, "out.partial"));
  test_remove_tree (dir);
}

static void
test_write_error (void)
{
  g_autofree char *dir = make_dataset (20, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *gone = g_build_filename (dir, "imge", "10013-2.png", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoExportResult) result = NULL;

  /* The image vanishes between opening and exporting. */
  g_assert_cmpint (g_unlink (gone), ==, 0);
  result = densito_export (src, NULL, target, DENSITO_EXPORT_COCO, NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, "10013-2.png"));
  g_assert_nonnull (strstr (error->message, "Nothing was exported"));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_false (exists (dir, "out.partial"));
  test_remove_tree (dir);
}

typedef struct
{
  GMainLoop           *loop;
  DensitoExportResult *result;
  GError              *error;
} AsyncRun;

static void
async_done_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  AsyncRun *run = user_data;

  run->result = densito_export_finish (res, &run->error);
  g_main_loop_quit (run->loop);
}

static void
test_async_and_summary (void)
{
  g_autofree char *dir = make_dataset (40, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(DensitoQuery) query = densito_query_parse ("sex=F", NULL);
  ProgressLog log = { NULL, 0, 0, FALSE, g_thread_self () };
  AsyncRun run = { loop, NULL, NULL };
  DensitoExportSummary summary;
  g_autoptr(DensitoExportResult) result = NULL;

  densito_export_summarize (src, query, DENSITO_EXPORT_DEFAULT, &summary);
  g_assert_cmpuint (summary.patients, ==, 30);
  g_assert_cmpuint (summary.images, ==, 60);
  g_assert_cmpuint (summary.annotated, ==, 10);

  densito_export_async (src, query, target, DENSITO_EXPORT_COCO, NULL, cancel_progress_cb, &log,
                        async_done_cb, &run);
  g_main_loop_run (loop);
  g_assert_no_error (run.error);
  result = run.result;
  g_assert_nonnull (result);
  g_assert_cmpmem (densito_export_result_get_summary (result), sizeof summary, &summary, sizeof summary);
  g_assert_true (log.off_main);
  g_assert_cmpfloat (log.last, ==, 1.0);
  g_assert_cmpuint (log.flushing, ==, 1);
  g_assert_cmpuint (densito_export_result_get_n_linked (result) + densito_export_result_get_n_copied (result),
                    ==, 60);
  test_remove_tree (dir);
}

/* A cancel that comes after the export has renamed its folder does not
 * undo it; the result must then say it was exported, not cancelled, or a
 * caller would report "nothing was exported" over a finished export. */
static void
test_async_cancel_too_late (void)
{
  g_autofree char *dir = make_dataset (10, NULL);
  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autoptr(DensitoDataset) src = open_dataset (dir);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsyncRun run = { loop, NULL, NULL };
  g_autoptr(DensitoExportResult) result = NULL;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  densito_export_async (src, NULL, target, DENSITO_EXPORT_DEFAULT, cancellable, NULL, NULL,
                        async_done_cb, &run);
  /* The callback cannot run before the main loop does. */
  while (!g_file_test (target, G_FILE_TEST_IS_DIR) && g_get_monotonic_time () < end)
    g_usleep (1000);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  g_cancellable_cancel (cancellable);
  g_main_loop_run (loop);
  g_assert_no_error (run.error);
  result = run.result;
  g_assert_nonnull (result);
  g_assert_true (exists (target, "manifest.json"));
  test_remove_tree (dir);
}

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static Run
run_cli (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Run r = { 0 };
  int wait_status;

  g_ptr_array_add (argv, (gpointer)g_getenv ("DENSITO_BIN"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r.status = WEXITSTATUS (wait_status);
  return r;
}

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

static void
test_cli (void)
{
  g_autofree char *tmp = test_make_tmpdir ();
  g_autofree char *target = g_build_filename (tmp, "out", NULL);
  g_autofree char *map = g_build_filename (tmp, "map.csv", NULL);
  g_autofree char *map_inside = g_build_filename (target, "map.csv", NULL);
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  Run r;

  r = run_cli ((const char *[]){ "export", sample, NULL });
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--to"));
  run_clear (&r);
  r = run_cli ((const char *[]){ "export", sample, "--where", "sex=X", "--to", target, NULL });
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = run_cli ((const char *[]){ "export", sample, "--mapping", map, "--to", target, NULL });
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = run_cli ((const char *[]){ "export", sample, "--anonymize", "--mapping", map_inside, "--to", target, NULL });
  g_assert_cmpint (r.status, ==, 2);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  run_clear (&r);

  /* A mapping that could not be saved after the export is refused before
   * it: a missing folder, an existing file (never replaced). */
  {
    g_autofree char *nowhere = g_build_filename (tmp, "nowhere", "map.csv", NULL);
    g_autofree char *taken = test_write_file (tmp, "taken.csv", "mine", -1);
    g_autofree char *text = NULL;

    r = run_cli ((const char *[]){ "export", sample, "--anonymize", "--mapping", nowhere, "--to", target, NULL });
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "does not exist"));
    g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
    run_clear (&r);
    r = run_cli ((const char *[]){ "export", sample, "--anonymize", "--mapping", taken, "--to", target, NULL });
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "already exists"));
    g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
    run_clear (&r);
    g_assert_true (g_file_get_contents (taken, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "mine");
  }

  /* A query that matches nobody exports nothing, and says so. */
  r = run_cli ((const char *[]){ "export", sample, "--where", "spine_t<-20", "--to", target, NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no patients match"));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  run_clear (&r);

  r = run_cli ((const char *[]){ "export", sample, "--where", "class=osteoporosis", "--to", target,
                                 "--anonymize", "--mapping", map, "--coco", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Exported"));
  g_assert_cmpstr (r.err, ==, "");   /* no progress when stderr is not a terminal */
  g_assert_true (exists (target, "annotations.coco.json"));
  g_assert_true (g_file_test (map, G_FILE_TEST_EXISTS));
  run_clear (&r);

  r = run_cli ((const char *[]){ "export", sample, "--to", target, NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "not an empty folder"));
  run_clear (&r);

  /* --no-annotations: the images without sidecars; COCO with it is refused. */
  {
    g_autofree char *bare = g_build_filename (tmp, "bare", NULL);
    g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);
    guint n_json = 0;

    r = run_cli ((const char *[]){ "export", sample, "--to", bare, "--no-annotations", "--coco", NULL });
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "--no-annotations"));
    g_assert_false (g_file_test (bare, G_FILE_TEST_EXISTS));
    run_clear (&r);
    r = run_cli ((const char *[]){ "export", sample, "--to", bare, "--no-annotations", NULL });
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "(0 annotated)"));
    run_clear (&r);
    list_tree (bare, NULL, tree);
    for (guint i = 0; i < tree->len; i++)
      n_json += g_str_has_suffix (tree->pdata[i], ".json");
    g_assert_cmpuint (n_json, ==, 1);   /* the manifest */
    g_assert_true (exists (bare, "images"));
  }

  /* An annotation file that cannot be read is named on stderr. */
  {
    g_autofree char *dir = make_dataset (3, NULL);
    g_autofree char *out = g_build_filename (dir, "out", NULL);
    g_autofree char *broken = test_write_file (dir, "imge/10002-1.json", "{ \"shapes\": [ not json", -1);

    r = run_cli ((const char *[]){ "export", dir, "--to", out, NULL });
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.err, "1 annotation file could not be read"));
    g_assert_nonnull (strstr (r.err, broken));
    run_clear (&r);
    test_remove_tree (dir);
  }
  test_remove_tree (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/export/reopen", test_reopen);
  g_test_add_func ("/export/manifest", test_manifest);
  g_test_add_func ("/export/no-annotations", test_no_annotations);
  g_test_add_func ("/export/unreadable-sidecar", test_unreadable_sidecar);
  g_test_add_func ("/export/personal-id-images", test_personal_id_images);
  g_test_add_func ("/export/formula-injection", test_formula_injection);
  g_test_add_func ("/export/anonymize-mapping", test_anonymize_mapping);
  g_test_add_func ("/export/target-exists", test_target_exists);
  g_test_add_func ("/export/target-empty-folder", test_target_empty_folder);
  g_test_add_func ("/export/symlinked-image", test_symlinked_image);
  g_test_add_func ("/export/inside-dataset", test_export_inside_dataset);
  g_test_add_func ("/export/anonymize-same-number", test_anonymize_same_number);
  g_test_add_func ("/export/partial-left-over", test_partial_left_over);
  g_test_add_func ("/export/killed", test_killed_export);
  g_test_add_func ("/export/cancel", test_cancel);
  g_test_add_func ("/export/cancel-while-flushing", test_cancel_while_flushing);
  g_test_add_func ("/export/write-error", test_write_error);
  g_test_add_func ("/export/async-summary", test_async_and_summary);
  g_test_add_func ("/export/async-cancel-too-late", test_async_cancel_too_late);
  g_test_add_func ("/export/cli", test_cli);

  return g_test_run ();
}
