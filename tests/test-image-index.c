/* test-image-index.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "densito-image-index.h"
#include "test-util.h"

static void
test_name_parse (void)
{
  static const struct {
    const char *name;
    gboolean    ok;
    const char *id;
    int         suffix;
  } cases[] = {
    { "10002.png", TRUE, "10002", -1 },
    { "10002-1.png", TRUE, "10002", 1 },
    { "10002-2.PNG", TRUE, "10002", 2 },
    { "10002_3.png", TRUE, "10002", 3 },
    { "10002 (4).png", TRUE, "10002", 4 },
    { "10002-1.jpg", TRUE, "10002", 1 },
    { "10002-1.JpEg", TRUE, "10002", 1 },
    { "P-001-2.png", TRUE, "P-001", 2 },
    { "0012345679.png", TRUE, "0012345679", -1 },
    { "10002-1.json", FALSE, NULL, 0 },
    { "notes.txt", FALSE, NULL, 0 },
    { ".png", FALSE, NULL, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = NULL;
      int suffix = 0;
      gboolean ok = densito_image_name_parse (cases[i].name, &id, &suffix);

      g_test_message ("%s", cases[i].name);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        continue;
      g_assert_cmpstr (id, ==, cases[i].id);
      g_assert_cmpint (suffix, ==, cases[i].suffix);
    }
}

static void
test_region_guess (void)
{
  g_assert_cmpint (densito_region_guess (1, 600, 700), ==, DENSITO_REGION_HIP);
  g_assert_cmpint (densito_region_guess (2, 600, 700), ==, DENSITO_REGION_SPINE);
  g_assert_cmpint (densito_region_guess (3, 600, 700), ==, DENSITO_REGION_UNKNOWN);
  g_assert_cmpint (densito_region_guess (-1, 600, 700), ==, DENSITO_REGION_UNKNOWN);
  /* A lateral VFA frame wins over the suffix. */
  g_assert_cmpint (densito_region_guess (2, 376, 1104), ==, DENSITO_REGION_LATERAL);
  g_assert_cmpint (densito_region_guess (-1, 376, 1104), ==, DENSITO_REGION_LATERAL);
}

static void
test_headers (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *png = test_write_png (dir, "a.png", 640, 480, FALSE);
  g_autofree char *trunc = test_write_png (dir, "b.png", 640, 480, TRUE);
  g_autofree char *jpg = test_write_jpeg (dir, "c.jpg", 320, 200);
  g_autofree char *empty = test_write_file (dir, "d.png", "", 0);
  g_autofree char *text = test_write_file (dir, "e.png", "hello, I am not a picture", -1);
  g_autofree char *half = NULL;
  g_autofree char *missing = g_build_filename (dir, "nope.png", NULL);
  guint w, h;
  char *problem = NULL;

  g_assert_true (densito_image_read_header (png, &w, &h, &problem));
  g_assert_cmpuint (w, ==, 640);
  g_assert_cmpuint (h, ==, 480);
  g_assert_null (problem);

  g_assert_true (densito_image_read_header (jpg, &w, &h, &problem));
  g_assert_cmpuint (w, ==, 320);
  g_assert_cmpuint (h, ==, 200);

  g_assert_false (densito_image_read_header (trunc, &w, &h, &problem));
  g_assert_nonnull (strstr (problem, "truncated"));
  g_clear_pointer (&problem, g_free);

  g_assert_false (densito_image_read_header (empty, &w, &h, &problem));
  g_assert_nonnull (strstr (problem, "empty"));
  g_clear_pointer (&problem, g_free);

  g_assert_false (densito_image_read_header (text, &w, &h, &problem));
  g_assert_nonnull (strstr (problem, "not a PNG or JPEG"));
  g_clear_pointer (&problem, g_free);

  g_assert_false (densito_image_read_header (missing, &w, &h, &problem));
  g_assert_nonnull (strstr (problem, "cannot open"));
  g_clear_pointer (&problem, g_free);

  /* Cut inside the IHDR chunk. */
  half = test_write_file (dir, "f.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0", 18);
  g_assert_false (densito_image_read_header (half, &w, &h, &problem));
  g_assert_nonnull (strstr (problem, "truncated"));
  g_clear_pointer (&problem, g_free);

  test_remove_tree (dir);
}

static void
test_scan_and_link (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *csv = test_write_file (dir, "t.csv",
                                          "IDENTIFIER1,SEX\n10001,F\n10002,M\n10003,F\n", -1);
  g_autofree char *imgdir = g_build_filename (dir, "imge", NULL);
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(DensitoImageIndex) index = NULL;
  g_autoptr(GError) error = NULL;
  DensitoImageCounts counts;
  const guint *rows;
  guint n;

  g_free (test_write_png (dir, "imge/10001-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/10001-2.png", 420, 640, FALSE));
  g_free (test_write_png (dir, "imge/10002 (4).png", 376, 1104, FALSE));
  g_free (test_write_png (dir, "imge/10003-1.png", 500, 600, TRUE));
  g_free (test_write_png (dir, "imge/99999-1.png", 500, 600, FALSE));
  g_free (test_write_png (dir, "imge/0012345679.png", 500, 600, FALSE));
  g_free (test_write_file (dir, "imge/readme.txt", "not an image", -1));
  {
    g_autofree char *subdir = g_build_filename (imgdir, "sub.png", NULL);
    g_autofree char *dirlink = g_build_filename (imgdir, "dirlink.png", NULL);
    g_autofree char *filelink = g_build_filename (imgdir, "10003-2.png", NULL);

    g_mkdir (subdir, 0755);
    /* A link to a folder is no image; a link to a scan is one. */
    g_assert_cmpint (symlink ("sub.png", dirlink), ==, 0);
    g_assert_cmpint (symlink ("10001-2.png", filelink), ==, 0);
    /* A pipe named like a scan is none (reading it would block). */
    {
      g_autofree char *fifo = g_build_filename (imgdir, "10002-5.png", NULL);
      g_autofree char *problem = NULL;
      guint w, h;

      g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
      /* Asked for by name, it is refused at once. */
      g_assert_false (densito_image_read_header (fifo, &w, &h, &problem));
      g_assert_nonnull (problem);
    }
  }

  table = densito_table_load (csv, diags, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  index = densito_image_index_scan (imgdir, table, diags, NULL, &error);
  g_assert_no_error (error);

  densito_image_index_get_counts (index, &counts);
  g_assert_cmpuint (counts.total, ==, 7);
  g_assert_cmpuint (counts.linked, ==, 5);
  g_assert_cmpuint (counts.unlinked, ==, 2);
  g_assert_cmpuint (counts.unreadable, ==, 1);
  g_assert_cmpuint (counts.possible_personal_id, ==, 1);

  rows = densito_image_index_get_for_row (index, 0, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (densito_image_index_get_image (index, rows[0])->name, ==, "10001-1.png");
  g_assert_cmpint (densito_image_index_get_image (index, rows[0])->region, ==, DENSITO_REGION_HIP);
  g_assert_cmpint (densito_image_index_get_image (index, rows[1])->region, ==, DENSITO_REGION_SPINE);
  g_assert_cmpuint (densito_image_index_get_image (index, rows[1])->width, ==, 420);

  rows = densito_image_index_get_for_row (index, 1, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (densito_image_index_get_image (index, rows[0])->region, ==, DENSITO_REGION_LATERAL);
  g_assert_cmpuint (densito_image_index_count_for_row (index, 2), ==, 2);
  rows = densito_image_index_get_for_row (index, 2, &n);
  g_assert_cmpstr (densito_image_index_get_image (index, rows[1])->name, ==, "10003-2.png");
  g_assert_cmpuint (densito_image_index_get_image (index, rows[1])->width, ==, 420);

  /* One diagnostic each: the truncated file, the unlinked one, the personal ID. */
  g_assert_cmpuint (densito_diagnostics_count_code (diags, DENSITO_DIAG_IMAGE_UNREADABLE), ==, 1);
  g_assert_cmpuint (densito_diagnostics_count_code (diags, DENSITO_DIAG_IMAGE_UNLINKED), ==, 1);
  g_assert_cmpuint (densito_diagnostics_count_code (diags, DENSITO_DIAG_PERSONAL_ID), ==, 1);
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    {
      const DensitoDiagnostic *d = densito_diagnostics_get (diags, i);
      if (d->code == DENSITO_DIAG_IMAGE_UNREADABLE)
        {
          g_assert_nonnull (strstr (d->file, "10003-1.png"));
          g_assert_nonnull (strstr (d->detail, "IEND"));
        }
    }

  test_remove_tree (dir);
}

/* A link to nothing named like a scan is no silent loss: it is listed and
 * reported as unreadable. */
static void
test_scan_broken_link (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *imgdir = g_build_filename (dir, "imge", NULL);
  g_autofree char *link = g_build_filename (imgdir, "10001-2.png", NULL);
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoImageIndex) index = NULL;
  g_autoptr(GError) error = NULL;
  DensitoImageCounts counts;
  const DensitoDiagnostic *d = NULL;

  g_free (test_write_png (dir, "imge/10001-1.png", 500, 600, FALSE));
  g_assert_cmpint (symlink ("gone.png", link), ==, 0);
  index = densito_image_index_scan (imgdir, NULL, diags, NULL, &error);
  g_assert_no_error (error);
  densito_image_index_get_counts (index, &counts);
  g_assert_cmpuint (counts.total, ==, 2);
  g_assert_cmpuint (counts.unreadable, ==, 1);
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    if (densito_diagnostics_get (diags, i)->code == DENSITO_DIAG_IMAGE_UNREADABLE)
      d = densito_diagnostics_get (diags, i);
  g_assert_nonnull (d);
  g_assert_nonnull (strstr (d->file, "10001-2.png"));
  test_remove_tree (dir);
}

static void
test_scan_missing_dir (void)
{
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoImageIndex) index = densito_image_index_scan ("/nonexistent/densito", NULL, diags, NULL, &error);

  g_assert_null (index);
  g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE);
  g_assert_nonnull (strstr (error->message, "/nonexistent/densito"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image-index/name-parse", test_name_parse);
  g_test_add_func ("/image-index/region-guess", test_region_guess);
  g_test_add_func ("/image-index/headers", test_headers);
  g_test_add_func ("/image-index/scan-and-link", test_scan_and_link);
  g_test_add_func ("/image-index/broken-link", test_scan_broken_link);
  g_test_add_func ("/image-index/missing-dir", test_scan_missing_dir);

  return g_test_run ();
}
