/* test-dataset.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "densito-dataset.h"
#include "test-util.h"

#define TABLE "IDENTIFIER1,SPINE_TSCORE,SEX\n10001,-2.6,F\n10002,-1.2,M\n10003,0.1,F\n"

static void
test_find_table_by_content (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *small = NULL;
  g_autofree char *large = NULL;

  /* A CSV without an ID column is passed over, whatever its size. */
  g_free (test_write_file (dir, "aaa-notes.csv", "NOTE,TEXT\na,b\nc,d\ne,f\ng,h\ni,j\nk,l\n", -1));
  small = test_write_file (dir, "old.csv", "ID,SEX\n1,F\n", -1);
  large = test_write_file (dir, "tables/TableFinal-OSTEO.csv", TABLE, -1);

  found = densito_dataset_find_table (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, large);

  test_remove_tree (dir);
}

static void
test_find_table_none (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;

  found = densito_dataset_find_table (dir, &error);
  g_assert_null (found);
  g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_TABLE);
  g_clear_error (&error);

  g_free (test_write_file (dir, "notes.csv", "NOTE,TEXT\na,b\n", -1));
  found = densito_dataset_find_table (dir, &error);
  g_assert_null (found);
  g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_TABLE);
  g_assert_nonnull (strstr (error->message, "notes.csv"));

  test_remove_tree (dir);
}

static void
test_find_image_dir (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *found = NULL;
  g_autofree char *expected = g_build_filename (dir, "release", "imge", NULL);

  g_free (test_write_png (dir, "cover.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "release/imge/10001-1.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "release/imge/10002-1.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "release/imge/10003-2.PNG", 10, 10, FALSE));
  g_free (test_write_png (dir, "thumbs/a.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "thumbs/b.png", 10, 10, FALSE));
  /* Three levels down is too deep. */
  g_free (test_write_png (dir, "a/b/c/1.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "a/b/c/2.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "a/b/c/3.png", 10, 10, FALSE));
  g_free (test_write_png (dir, "a/b/c/4.png", 10, 10, FALSE));

  found = densito_dataset_find_image_dir (dir);
  g_assert_cmpstr (found, ==, expected);

  test_remove_tree (dir);
}

static void
test_open_folder_and_csv (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *csv = test_write_file (dir, "osteo.csv", TABLE, -1);
  g_autofree char *other = NULL;
  g_autoptr(DensitoDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  DensitoImageCounts counts;

  g_free (test_write_png (dir, "Images/10001-1.png", 100, 120, FALSE));
  g_free (test_write_png (dir, "Images/10002-2.png", 100, 120, FALSE));
  g_free (test_write_png (dir, "other/10003-1.png", 100, 120, FALSE));
  other = g_build_filename (dir, "other", NULL);

  ds = densito_dataset_open (dir, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (densito_table_get_n_rows (densito_dataset_get_table (ds)), ==, 3);
  densito_image_index_get_counts (densito_dataset_get_images (ds), &counts);
  g_assert_cmpuint (counts.total, ==, 2);
  g_assert_cmpuint (counts.linked, ==, 2);
  g_assert_cmpuint (densito_diagnostics_get_n (densito_dataset_get_diagnostics (ds)), ==, 0);
  g_clear_object (&ds);

  /* A CSV path: images are looked for beside it. */
  ds = densito_dataset_open (csv, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (densito_table_get_path (densito_dataset_get_table (ds)), ==, csv);
  densito_image_index_get_counts (densito_dataset_get_images (ds), &counts);
  g_assert_cmpuint (counts.total, ==, 2);
  g_clear_object (&ds);

  /* --images overrides the search. */
  ds = densito_dataset_open (dir, other, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (densito_image_index_get_directory (densito_dataset_get_images (ds)), ==, other);
  densito_image_index_get_counts (densito_dataset_get_images (ds), &counts);
  g_assert_cmpuint (counts.total, ==, 1);
  g_assert_cmpuint (densito_image_index_count_for_row (densito_dataset_get_images (ds), 2), ==, 1);

  test_remove_tree (dir);
}

static void
test_open_errors (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(DensitoDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);

  ds = densito_dataset_open (missing, NULL, NULL, NULL, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);

  g_free (test_write_file (dir, "t.csv", TABLE, -1));
  ds = densito_dataset_open (dir, missing, NULL, NULL, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_INVALID_ARGUMENT);

  test_remove_tree (dir);
}

typedef struct
{
  GMainLoop      *loop;
  DensitoDataset *dataset;
  GError         *error;
  double          last_progress;
  guint           progress_calls;
} AsyncState;

static void
progress_cb (double   fraction,
             gpointer user_data)
{
  AsyncState *state = user_data;

  /* Called from the worker thread; only plain numbers are touched. */
  g_assert_cmpfloat (fraction, >=, state->last_progress);
  state->last_progress = fraction;
  g_atomic_int_inc (&state->progress_calls);
}

static void
open_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AsyncState *state = user_data;

  state->dataset = densito_dataset_open_finish (result, &state->error);
  g_main_loop_quit (state->loop);
}

static void
test_open_async (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  AsyncState state = { 0 };

  g_free (test_write_file (dir, "osteo.csv", TABLE, -1));
  state.loop = g_main_loop_new (NULL, FALSE);
  densito_dataset_open_async (dir, NULL, DENSITO_DATASET_OPEN_DEFAULT, NULL, progress_cb, &state, open_cb, &state);
  g_main_loop_run (state.loop);

  g_assert_no_error (state.error);
  g_assert_nonnull (state.dataset);
  g_assert_cmpuint (densito_table_get_n_rows (densito_dataset_get_table (state.dataset)), ==, 3);
  g_assert_cmpfloat (state.last_progress, ==, 1.0);
  g_assert_cmpuint (state.progress_calls, >=, 2);
  g_assert_null (densito_dataset_get_images (state.dataset));

  g_object_unref (state.dataset);
  g_main_loop_unref (state.loop);
  test_remove_tree (dir);
}

static void
test_open_async_cancelled (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsyncState state = { 0 };

  g_free (test_write_file (dir, "osteo.csv", TABLE, -1));
  state.loop = g_main_loop_new (NULL, FALSE);
  g_cancellable_cancel (cancellable);
  densito_dataset_open_async (dir, NULL, DENSITO_DATASET_OPEN_DEFAULT, cancellable, NULL, NULL, open_cb, &state);
  g_main_loop_run (state.loop);

  g_assert_null (state.dataset);
  g_assert_error (state.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&state.error);
  g_main_loop_unref (state.loop);
  test_remove_tree (dir);
}

static void
annotations_read_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  AsyncState *state = user_data;

  g_assert_true (densito_dataset_read_annotations_finish (DENSITO_DATASET (source), result, &state->error));
  g_main_loop_quit (state->loop);
}

static void
test_defer_annotations (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  AsyncState state = { 0 };
  DensitoAnnotationCounts counts;

  g_free (test_write_file (dir, "osteo.csv", TABLE, -1));
  g_free (test_write_png (dir, "imge/10001-1.png", 100, 100, FALSE));
  g_free (test_write_png (dir, "imge/10002-1.png", 100, 100, FALSE));
  g_free (test_write_file (dir, "imge/10001-1.json",
                           "{\"shapes\": [{\"label\": \"neck\", \"points\": [[10, 10], [59, 25]], "
                           "\"shape_type\": \"rectangle\"}], \"densito\": {\"review\": {\"status\": \"accepted\"}}}", -1));
  g_free (test_write_file (dir, "imge/10002-1.json", "{ broken", -1));

  state.loop = g_main_loop_new (NULL, FALSE);
  densito_dataset_open_async (dir, NULL, DENSITO_DATASET_OPEN_DEFER_ANNOTATIONS, NULL, NULL, NULL, open_cb, &state);
  g_main_loop_run (state.loop);
  g_assert_no_error (state.error);

  /* Opened without reading sidecars: everything unreviewed, no problems yet. */
  g_assert_false (densito_dataset_get_annotations_read (state.dataset));
  densito_dataset_get_annotation_counts (state.dataset, &counts);
  g_assert_cmpuint (counts.with_sidecar, ==, 0);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_UNREVIEWED], ==, 2);
  g_assert_cmpuint (densito_diagnostics_get_n (densito_dataset_get_diagnostics (state.dataset)), ==, 0);

  densito_dataset_read_annotations_async (state.dataset, NULL, annotations_read_cb, &state);
  g_main_loop_run (state.loop);
  g_assert_no_error (state.error);
  g_assert_true (densito_dataset_get_annotations_read (state.dataset));
  densito_dataset_get_annotation_counts (state.dataset, &counts);
  g_assert_cmpuint (counts.with_sidecar, ==, 2);
  g_assert_cmpuint (counts.broken, ==, 1);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_ACCEPTED], ==, 1);
  g_assert_cmpint (densito_dataset_get_image_review (state.dataset, 0), ==, DENSITO_REVIEW_ACCEPTED);
  g_assert_cmpuint (densito_dataset_get_image_n_rois (state.dataset, 0), ==, 1);
  g_assert_cmpuint (densito_diagnostics_get_n (densito_dataset_get_diagnostics (state.dataset)), ==, 1);

  g_object_unref (state.dataset);
  g_main_loop_unref (state.loop);
  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dataset/find-table-by-content", test_find_table_by_content);
  g_test_add_func ("/dataset/find-table-none", test_find_table_none);
  g_test_add_func ("/dataset/find-image-dir", test_find_image_dir);
  g_test_add_func ("/dataset/open-folder-and-csv", test_open_folder_and_csv);
  g_test_add_func ("/dataset/open-errors", test_open_errors);
  g_test_add_func ("/dataset/open-async", test_open_async);
  g_test_add_func ("/dataset/open-async-cancelled", test_open_async_cancelled);
  g_test_add_func ("/dataset/defer-annotations", test_defer_annotations);

  return g_test_run ();
}
