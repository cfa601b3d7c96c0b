/* test-cli.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real `densito` binary and checks exit codes and output.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "test-util.h"

static const char clean_table[] =
  "IDENTIFIER_1,SPINE_TSCORE,HIP_TSCORE,HIPNECK_TSCORE,SEX,AGE_CATEGORY,MENOPAUSE_YEAR,label,SMOKING_STATUS\n"
  "10001,-3.1,-1.5,-2.0,F,65-70,2000-2004,osteoporosis,no\n"
  "10002,-0.4,0.2,-0.9,M,45-50,0,Osteopenia,\"yes, daily\"\n"
  "10003,,-1.2,-1.8,F,40-45,0,osteopenia,no\n";

typedef struct
{
  int   status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

static Result
run (const char *first,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *bin = g_getenv ("DENSITO_BIN");
  Result r = { 0 };
  const char *arg;
  va_list ap;
  int wait_status;

  g_assert_nonnull (bin);
  g_ptr_array_add (argv, (gpointer)bin);
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r.out, &r.err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r.status = WEXITSTATUS (wait_status);
  return r;
}

static guint
count_lines (const char *s)
{
  guint n = 0;

  for (; *s; s++)
    if (*s == '\n')
      n++;
  return n;
}

static void
test_help_version_errors (void)
{
  Result r;

  r = run ("--version", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "densito " PACKAGE_VERSION));
  result_clear (&r);

  r = run ("--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "validate PATH"));
  g_assert_nonnull (strstr (r.out, "list PATH"));
  result_clear (&r);

  r = run ("--bogus", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  g_assert_nonnull (strstr (r.err, "--bogus"));
  result_clear (&r);

  r = run ("validate", "--frobnicate", "x", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  g_assert_nonnull (strstr (r.err, "frobnicate"));
  result_clear (&r);

  r = run ("validate", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  result_clear (&r);

  r = run ("validate", "/nonexistent/dataset", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  g_assert_nonnull (strstr (r.err, "/nonexistent/dataset"));
  result_clear (&r);

  r = run ("list", "/nonexistent/dataset", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  result_clear (&r);
}

static void
test_validate_exit_codes (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *bad_dir = test_make_tmpdir ();
  g_autofree char *empty_dir = test_make_tmpdir ();
  Result r;

  g_free (test_write_file (dir, "osteo.csv", clean_table, -1));
  g_free (test_write_png (dir, "imge/10001-1.png", 500, 600, FALSE));
  r = run ("validate", dir, NULL);
  g_test_message ("%s%s", r.out, r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "3 patients"));
  g_assert_nonnull (strstr (r.out, "0 problems found"));
  result_clear (&r);

  g_free (test_write_file (bad_dir, "osteo.csv",
                           "ID,SPINE_TSCORE,SEX\n1,-2.x,F\n2,-1.0,Q\n", -1));
  r = run ("validate", bad_dir, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.out, "2 problems found"));
  g_assert_nonnull (strstr (r.out, "osteo.csv:2: column SPINE_TSCORE: “-2.x” is not a number"));
  g_assert_nonnull (strstr (r.out, "osteo.csv:3: column SEX: “Q”"));
  result_clear (&r);

  g_free (test_write_file (empty_dir, "osteo.csv", "", 0));
  r = run ("validate", empty_dir, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  result_clear (&r);
  {
    g_autofree char *csv = g_build_filename (empty_dir, "osteo.csv", NULL);
    r = run ("validate", csv, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "empty"));
    result_clear (&r);
  }

  test_remove_tree (dir);
  test_remove_tree (bad_dir);
  test_remove_tree (empty_dir);
}

static JsonObject *
object_member (JsonObject *o,
               const char *name)
{
  g_assert_true (json_object_has_member (o, name));
  return json_object_get_object_member (o, name);
}

static void
test_validate_json (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *images, *classes;
  JsonArray *diags, *unknown;
  Result r;

  g_free (test_write_file (dir, "osteo.csv",
                           "IDENTIFIER1,SPINE_TSCORE,HIP_TSCORE,SEX,ADJUSTED_AGE,MENOPAUSE_YEAR,label,DIET_PLAN\n"
                           "10001,-2.6,-1.1,F,60-65,2005-2009,Normal,none\n"
                           "10002,abc,-0.5,M,40-45,0,normal,keto\n"
                           "10003,-1.2,,F,55-60,2010-2014,osteopenia,\n", -1));
  g_free (test_write_png (dir, "imge/10001-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/10001-2.png", 500, 600, TRUE));
  g_free (test_write_png (dir, "imge/55555-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/0012345679.png", 500, 600, FALSE));

  r = run ("validate", "--json", dir, NULL);
  g_assert_cmpint (r.status, ==, 1);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpint (json_object_get_int_member (root, "patients"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "columns")), ==, 8);
  unknown = json_object_get_array_member (root, "unknown_columns");
  g_assert_cmpuint (json_array_get_length (unknown), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (unknown, 0), ==, "DIET_PLAN");

  images = object_member (root, "images");
  g_assert_cmpint (json_object_get_int_member (images, "total"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (images, "linked"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (images, "unlinked"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (images, "unreadable"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (images, "possible_personal_id"), ==, 1);

  classes = object_member (root, "classes");
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "spine"), "osteoporosis"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "spine"), "osteopenia"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "spine"), "missing"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "hip"), "normal"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "neck"), "missing"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "overall"), "osteoporosis"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object_member (classes, "overall"), "normal"), ==, 1);

  /* 10001 is osteoporosis but labelled Normal. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "label_disagreements")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (root, "label_disagreements"), 0), ==, "10001");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "not_applicable")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (root, "not_applicable"), 0), ==, "10002");

  diags = json_object_get_array_member (root, "diagnostics");
  /* abc; the truncated image; the unlinked 55555; the personal-ID name. */
  g_assert_cmpuint (json_array_get_length (diags), ==, 4);
  {
    JsonObject *d = json_array_get_object_element (diags, 0);
    g_assert_nonnull (strstr (json_object_get_string_member (d, "file"), "osteo.csv"));
    g_assert_cmpint (json_object_get_int_member (d, "row"), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (d, "column"), ==, "SPINE_TSCORE");
    g_assert_cmpstr (json_object_get_string_member (d, "value"), ==, "abc");
    g_assert_nonnull (strstr (json_object_get_string_member (d, "message"), "not a number"));
  }

  result_clear (&r);
  test_remove_tree (dir);
}

static void
test_list (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *rows;
  Result r;

  g_free (test_write_file (dir, "osteo.csv", clean_table, -1));
  g_free (test_write_png (dir, "imge/10001-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/10001-2.png", 500, 600, FALSE));

  r = run ("list", dir, "--where", "sex=F", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==,
                   "IDENTIFIER_1,SPINE_TSCORE,HIP_TSCORE,HIPNECK_TSCORE,SEX,AGE_CATEGORY,MENOPAUSE_YEAR,label,SMOKING_STATUS,"
                   "WHO_CLASS,WHO_SITE,TSCORE_APPLICABLE,LABEL_AGREES,IMAGES\n"
                   "10001,-3.1,-1.5,-2.0,F,65-70,2000-2004,osteoporosis,no,osteoporosis,spine,yes,yes,2\n"
                   "10003,,-1.2,-1.8,F,40-45,0,osteopenia,no,osteopenia,neck,no,yes,0\n");
  result_clear (&r);

  /* Quoted cells come back quoted; every original column in file order. */
  r = run ("list", dir, "--where", "10002", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "\n10002,-0.4,0.2,-0.9,M,45-50,0,Osteopenia,\"yes, daily\",normal,neck,unknown,no,0\n"));
  result_clear (&r);

  r = run ("list", dir, "--where", "class=osteoporosis", "--format", "tsv", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "\n10001\t-3.1\t-1.5\t-2.0\tF\t65-70\t2000-2004\tosteoporosis\tno\tosteoporosis\tspine\tyes\tyes\t2\n"));
  g_assert_cmpuint (count_lines (r.out), ==, 2);
  result_clear (&r);

  r = run ("list", dir, "--format", "json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  rows = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 1), "SMOKING_STATUS"), ==, "yes, daily");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rows, 0), "IMAGES"), ==, 2);
  result_clear (&r);

  r = run ("list", dir, "--where", "sex=F spine_t<=x", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  g_assert_nonnull (strstr (r.err, "Term 2"));
  result_clear (&r);

  r = run ("list", dir, "--format", "xml", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "xml"));
  result_clear (&r);

  test_remove_tree (dir);
}

static void
test_validate_annotations (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *ann = g_build_filename (dir, "ann", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *a, *review;
  Result r;

  g_free (test_write_file (dir, "osteo.csv", clean_table, -1));
  g_free (test_write_png (dir, "imge/10001-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/10002-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/10003-1.png", 500, 600, FALSE));
  g_free (test_write_file (dir, "imge/10001-1.json",
                           "{\"shapes\": [{\"label\": \"neck\", \"points\": [[10, 10], [59, 25]], "
                           "\"shape_type\": \"rectangle\"}, {\"label\": \"total_hip\", "
                           "\"points\": [[5, 5], [200, 300]], \"shape_type\": \"rectangle\"}], "
                           "\"densito\": {\"review\": {\"status\": \"accepted\"}}}", -1));
  g_free (test_write_file (dir, "imge/10002-1.json", "{ broken", -1));

  r = run ("validate", "--json", dir, NULL);
  g_assert_cmpint (r.status, ==, 1);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  a = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "annotations");
  g_assert_cmpint (json_object_get_int_member (a, "images_with_sidecar"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (a, "rois"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (a, "broken"), ==, 1);
  review = json_object_get_object_member (a, "review");
  g_assert_cmpint (json_object_get_int_member (review, "accepted"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (review, "unreviewed"), ==, 2);
  g_assert_nonnull (strstr (r.out, "10002-1.json"));
  result_clear (&r);

  /* The same sidecars in an annotations folder. */
  g_mkdir (ann, 0755);
  {
    g_autofree char *from = g_build_filename (dir, "imge", "10001-1.json", NULL);
    g_autofree char *to = g_build_filename (ann, "10001-1.json", NULL);
    g_autofree char *broken = g_build_filename (dir, "imge", "10002-1.json", NULL);
    g_rename (from, to);
    g_unlink (broken);
  }
  r = run ("validate", "--annotations", ann, dir, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "1 images with a sidecar, 2 ROIs, 0 unreadable; reviewed: 1 accepted"));
  result_clear (&r);

  r = run ("validate", "--annotations", "/nonexistent/ann", dir, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (count_lines (r.err), ==, 1);
  result_clear (&r);

  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/help-version-errors", test_help_version_errors);
  g_test_add_func ("/cli/validate-exit-codes", test_validate_exit_codes);
  g_test_add_func ("/cli/validate-json", test_validate_json);
  g_test_add_func ("/cli/list", test_list);
  g_test_add_func ("/cli/validate-annotations", test_validate_annotations);

  return g_test_run ();
}
