/* test-query.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "densito-dataset.h"
#include "densito-query.h"
#include "test-util.h"

static const char table_text[] =
  "IDENTIFIER1,SPINE_SCANDATE,SPINE_BMD,SPINE_TSCORE,HIP_SCANDATE,HIP_TSCORE,HIPNECK_TSCORE,SEX,WEIGHT,HEIGHT,BMI,ADJUSTED_AGE,MENOPAUSE_YEAR,label\n"
  /* 10001: woman 65-70, spine osteoporosis, label agrees */
  "10001,05-2019,0.700,-3.1,05-2019,-1.5,-2.0,F,60,160,23.4,65-70,2000-2004,osteoporosis\n"
  /* 10002: man 45-50 (straddles), normal, label disagrees */
  "10002,06-2021,1.000,-0.4,06-2021,0.2,-0.9,M,80,175,26.1,45-50,0,Osteopenia\n"
  /* 10003: woman 40-45 premenopausal, osteopenia, label agrees */
  "10003,,,,01-2023,-1.2,-1.8,F,95,160,37.1,40-45,0,osteopenia\n"
  /* 10004: man 30-35, no T-scores at all, no label */
  "10004,,,,,,,M,70,180,21.6,30-35,0,\n"
  /* 20010: woman 80-85, hip decides */
  "20010,12-2020,0.900,-1.0,12-2020,-2.6,-2.4,female,50,150,22.2,80-85,1990-1994,Osteoporosis\n";

static DensitoDataset *
make_dataset (char **dir_out)
{
  g_autoptr(GError) error = NULL;
  char *dir = test_make_tmpdir ();
  DensitoDataset *ds;

  g_free (test_write_file (dir, "t.csv", table_text, -1));
  g_free (test_write_png (dir, "img/10001-1.png", 100, 100, FALSE));
  g_free (test_write_png (dir, "img/10001-2.png", 100, 100, FALSE));
  g_free (test_write_png (dir, "img/10003-1.png", 100, 100, FALSE));
  g_free (test_write_png (dir, "img/20010-2.png", 100, 100, FALSE));

  ds = densito_dataset_open (dir, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  *dir_out = dir;
  return ds;
}

static char *
run_query (DensitoDataset *ds,
           const char     *text)
{
  DensitoTable *table = densito_dataset_get_table (ds);
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoQuery) q = densito_query_parse (text, &error);
  g_autofree guint *rows = g_new (guint, densito_table_get_n_rows (table));
  GString *ids = g_string_new (NULL);
  guint n;

  g_assert_no_error (error);
  n = densito_query_filter (q, table, densito_dataset_get_images (ds), rows);
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (densito_query_matches (q, table, densito_dataset_get_images (ds), rows[i]));
      g_string_append_printf (ids, "%s%s", i ? " " : "", densito_table_get_id (table, rows[i]));
    }
  return g_string_free (ids, FALSE);
}

/* The same through the dataset, which knows the sidecars. */
static char *
run_query_ds (DensitoDataset *ds,
              const char     *text)
{
  DensitoTable *table = densito_dataset_get_table (ds);
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoQuery) q = densito_query_parse (text, &error);
  g_autofree guint *rows = g_new (guint, densito_table_get_n_rows (table));
  GString *ids = g_string_new (NULL);
  guint n;

  g_assert_no_error (error);
  n = densito_query_filter_dataset (q, ds, rows);
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (densito_query_matches_dataset (q, ds, rows[i]));
      g_string_append_printf (ids, "%s%s", i ? " " : "", densito_table_get_id (table, rows[i]));
    }
  for (guint r = 0, k = 0; r < densito_table_get_n_rows (table); r++)
    {
      if (k < n && rows[k] == r)
        k++;
      else
        g_assert_false (densito_query_matches_dataset (q, ds, r));
    }
  return g_string_free (ids, FALSE);
}

#define assert_query_ds(ds, text, expected) \
  G_STMT_START { \
    g_autofree char *got = run_query_ds (ds, text); \
    g_test_message ("%s -> %s", text, got); \
    g_assert_cmpstr (got, ==, expected); \
  } G_STMT_END

#define assert_query(ds, text, expected) \
  G_STMT_START { \
    g_autofree char *got = run_query (ds, text); \
    g_test_message ("%s -> %s", text, got); \
    g_assert_cmpstr (got, ==, expected); \
  } G_STMT_END

static void
test_terms (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(DensitoDataset) ds = make_dataset (&dir);

  assert_query (ds, "", "10001 10002 10003 10004 20010");
  assert_query (ds, "   ", "10001 10002 10003 10004 20010");
  assert_query (ds, "sex=F", "10001 10003 20010");
  assert_query (ds, "SEX=female", "10001 10003 20010");
  assert_query (ds, "sex!=F", "10002 10004");
  assert_query (ds, "class=osteoporosis", "10001 20010");
  assert_query (ds, "class=normal", "10002");
  assert_query (ds, "class=unknown", "10004");
  assert_query (ds, "label=osteopenia", "10002 10003");
  assert_query (ds, "label=Osteoporosis", "10001 20010");
  assert_query (ds, "agrees=no", "10002");
  assert_query (ds, "agrees=yes", "10001 10003 20010");
  assert_query (ds, "applicable=no", "10003 10004");
  assert_query (ds, "applicable=unknown", "10002");
  assert_query (ds, "applicable=yes", "10001 20010");
  assert_query (ds, "spine_t<=-2.5", "10001");
  assert_query (ds, "spine_t>-1", "10002");
  assert_query (ds, "spine_t>=-1", "10002 20010");
  assert_query (ds, "hip_t<-2.5", "20010");
  assert_query (ds, "neck_t=-2.4", "20010");
  assert_query (ds, "spine_bmd<0.8", "10001");
  assert_query (ds, "bmi>=30", "10003");
  assert_query (ds, "weight>75 height>=175", "10002");
  /* Missing values never match, not even != */
  assert_query (ds, "spine_t!=-3.1", "10002 20010");
  assert_query (ds, "age>=65", "10001 20010");
  assert_query (ds, "age<50", "10003 10004");
  assert_query (ds, "age<=50", "10002 10003 10004");
  assert_query (ds, "age=67", "10001");
  assert_query (ds, "age=45", "10002 10003");
  assert_query (ds, "year=2021", "10002");
  assert_query (ds, "year>=2020", "10002 10003 20010");
  assert_query (ds, "images>=2", "10001");
  assert_query (ds, "images=0", "10002 10004");
  assert_query (ds, "images=1", "10003 20010");
  assert_query (ds, "1000", "10001 10002 10003 10004");
  assert_query (ds, "0010", "20010");
  assert_query (ds, "sex=F class=osteoporosis spine_t<=-2.5", "10001");
  assert_query (ds, "sex=F 2001", "20010");
  assert_query (ds, "sex=M 2001", "");

  test_remove_tree (dir);
}

/* Writes a sidecar beside @image with @n_rois boxes and @status. */
static void
write_sidecar (const char          *dir,
               const char          *image,
               guint                n_rois,
               DensitoReviewStatus  status)
{
  g_autofree char *image_path = g_build_filename (dir, image, NULL);
  g_autofree char *path = densito_sidecar_path_for_image (image_path, NULL);
  g_autoptr(DensitoSidecar) sidecar = densito_sidecar_new (image_path, path, 100, 100);
  g_autoptr(GError) error = NULL;
  DensitoReview review = { status, (char *)(status == DENSITO_REVIEW_EXCLUDED ? "motion" : NULL), NULL, NULL };

  for (guint i = 0; i < n_rois; i++)
    {
      DensitoBox box = { 20 + i, 30, 10, 8, 0 };
      g_autoptr(DensitoRoi) roi = densito_roi_new_box ("neck", &box, DENSITO_SOURCE_OPERATOR);
      densito_sidecar_insert_roi (sidecar, i, roi);
    }
  densito_sidecar_set_review (sidecar, &review);
  densito_sidecar_save (sidecar, NULL, &error);
  g_assert_no_error (error);
}

static guint
find_image (DensitoDataset *ds,
            const char     *name)
{
  DensitoImageIndex *images = densito_dataset_get_images (ds);

  for (guint i = 0; i < densito_image_index_get_n_images (images); i++)
    if (g_strcmp0 (densito_image_index_get_image (images, i)->name, name) == 0)
      return i;
  g_assert_not_reached ();
}

static void
test_annotations (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(DensitoDataset) first = make_dataset (&dir);
  g_autoptr(DensitoDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  DensitoAnnotationCounts counts;

  /* 10001-1 accepted with 2 boxes, 10001-2 no sidecar, 10003-1 excluded
   * with none, 20010-2 corrected with 4. */
  write_sidecar (dir, "img/10001-1.png", 2, DENSITO_REVIEW_ACCEPTED);
  write_sidecar (dir, "img/10003-1.png", 0, DENSITO_REVIEW_EXCLUDED);
  write_sidecar (dir, "img/20010-2.png", 4, DENSITO_REVIEW_CORRECTED);
  ds = densito_dataset_open (dir, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  assert_query_ds (ds, "review=unreviewed", "10001");
  assert_query_ds (ds, "review=accepted", "10001");
  assert_query_ds (ds, "review=Excluded", "10003");
  assert_query_ds (ds, "review=corrected", "20010");
  /* != : no image in that state; patients without images match. */
  assert_query_ds (ds, "review!=unreviewed", "10002 10003 10004 20010");
  assert_query_ds (ds, "review!=accepted", "10002 10003 10004 20010");
  assert_query_ds (ds, "rois>=2", "10001 20010");
  assert_query_ds (ds, "rois>=3", "20010");
  assert_query_ds (ds, "rois>2", "20010");
  assert_query_ds (ds, "rois=4", "20010");
  assert_query_ds (ds, "rois=0", "10001 10003");
  assert_query_ds (ds, "rois<1", "10001 10003");
  assert_query_ds (ds, "rois<=2", "10001 10003");
  assert_query_ds (ds, "rois!=0", "10001 20010");
  assert_query_ds (ds, "rois>4", "");
  assert_query_ds (ds, "sex=F review=unreviewed rois>=1", "10001");
  assert_query_ds (ds, "review=unreviewed images>=2", "10001");

  /* Without the dataset's sidecar facts: every image unreviewed, no ROI. */
  assert_query (ds, "review=unreviewed", "10001 10003 20010");
  assert_query (ds, "rois=0", "10001 10003 20010");
  /* The first dataset was opened before the sidecars existed. */
  assert_query_ds (first, "review=unreviewed", "10001 10003 20010");

  /* A save reports the new facts; queries and counts follow. */
  densito_dataset_get_annotation_counts (ds, &counts);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_UNREVIEWED], ==, 1);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_EXCLUDED], ==, 1);
  g_assert_cmpuint (counts.rois, ==, 6);
  densito_dataset_update_image_annotation (ds, find_image (ds, "10003-1.png"), DENSITO_REVIEW_ACCEPTED, 3);
  densito_dataset_update_image_annotation (ds, find_image (ds, "10001-2.png"), DENSITO_REVIEW_CORRECTED, 1);
  assert_query_ds (ds, "review=excluded", "");
  assert_query_ds (ds, "review=accepted", "10001 10003");
  assert_query_ds (ds, "review=unreviewed", "");
  assert_query_ds (ds, "rois>=3", "10003 20010");
  assert_query_ds (ds, "rois=0", "");
  densito_dataset_get_annotation_counts (ds, &counts);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_UNREVIEWED], ==, 0);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_EXCLUDED], ==, 0);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_ACCEPTED], ==, 2);
  g_assert_cmpuint (counts.review[DENSITO_REVIEW_CORRECTED], ==, 2);
  g_assert_cmpuint (counts.rois, ==, 10);

  {
    g_autoptr(DensitoQuery) q = densito_query_parse ("rois>=1 sex=F", NULL);
    g_autoptr(DensitoQuery) p = densito_query_parse ("sex=F images>=1", NULL);
    g_assert_true (densito_query_uses_annotations (q));
    g_assert_false (densito_query_uses_annotations (p));
  }

  test_remove_tree (dir);
}

static void
test_errors (void)
{
  static const struct {
    const char *text;
    guint       term;
    guint       column;
    const char *fragment;
  } cases[] = {
    { "colour=red", 1, 1, "not a field" },
    { "sex=F spine_t<=abc", 2, 7, "“abc” is not a number" },
    { "sex=X", 1, 1, "not one of" },
    { "class>normal", 1, 1, "only = and !=" },
    { "bmi>=", 1, 1, "missing" },
    { "sex=F  age=>5", 2, 8, "is not a number" },
    { "age=~3", 1, 1, "not a number" },
    { "=5", 1, 1, "starts with a name" },
    { "spine_t=<3", 1, 1, "not a number" },
    { "hip_t>-1 agrees=maybe", 2, 10, "not one of yes, no, none" },
    { "sex=F review=done", 2, 7, "“done” is not one of unreviewed, accepted, corrected, excluded" },
    { "review>accepted", 1, 1, "only = and !=" },
    { "rois>=many", 1, 1, "“many” is not a number" },
    { "sex=M  rois<", 2, 8, "missing" },
    { "rois=>2", 1, 1, "not a number" },
    { "reviews=accepted", 1, 1, "review, rois" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DensitoQuery) q = densito_query_parse (cases[i].text, &error);
      g_autofree char *where = g_strdup_printf ("Term %u (at character %u)", cases[i].term, cases[i].column);

      g_test_message ("%s", cases[i].text);
      g_assert_null (q);
      g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_QUERY);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, where));
      g_assert_nonnull (strstr (error->message, cases[i].fragment));
    }

  /* Invalid UTF-8 in the query text. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DensitoQuery) q = densito_query_parse ("sex=\xff", &error);
    g_assert_null (q);
    g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_QUERY);
  }
}

/* The start of a field name that no ID contains: the window keeps its
 * list while the term is typed. */
static void
test_pending_field (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(DensitoDataset) ds = make_dataset (&dir);
  DensitoTable *table = densito_dataset_get_table (ds);
  static const struct { const char *text; const char *names; } cases[] = {
    { "s", "sex, spine_t, spine_bmd" },
    { "SPI", "spine_t, spine_bmd" },
    { "sex=F cl", "class" },
    { "spine_", "spine_t, spine_bmd" },
    { "h", "hip_t, hip_bmd, height" },
    { "sex=F cl ", NULL },      /* a space: the word is done, an ID search */
    { "", NULL },
    { "100", NULL },            /* digits: an ID */
    { "xyz", NULL },            /* no field begins so */
    { "sex", "sex" },
    { "sex=", NULL },           /* an operator: a term (or its error) */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *names = densito_query_pending_field (cases[i].text, table);

      g_test_message ("“%s”", cases[i].text);
      g_assert_cmpstr (names, ==, cases[i].names);
    }
  test_remove_tree (dir);
}

/* An ID that contains the word: it is an ID search after all. */
static void
test_pending_field_id (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = test_write_file (dir, "t.csv", "ID,SEX\nsea1,F\nB2,M\n", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDataset) ds = densito_dataset_open (path, NULL, NULL, NULL, NULL, &error);
  DensitoTable *table;
  g_autofree char *se = NULL;
  g_autofree char *sp = NULL;

  g_assert_no_error (error);
  table = densito_dataset_get_table (ds);
  se = densito_query_pending_field ("se", table);
  sp = densito_query_pending_field ("sp", table);
  g_assert_null (se);
  g_assert_cmpstr (sp, ==, "spine_t, spine_bmd");
  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/query/terms", test_terms);
  g_test_add_func ("/query/annotations", test_annotations);
  g_test_add_func ("/query/errors", test_errors);
  g_test_add_func ("/query/pending-field", test_pending_field);
  g_test_add_func ("/query/pending-field-id", test_pending_field_id);

  return g_test_run ();
}
