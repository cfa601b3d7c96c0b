/* test-table.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The table loader against the rules of the table format: one test per
 * rule, most of them reading a small file from tests/fixtures/. Files that
 * are large or binary are written at test time into a temporary folder.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "densito-table.h"
#include "test-util.h"

/* Helpers */

typedef struct
{
  DensitoDiagCode  code;
  guint32          row;
  const char      *column;  /* must match exactly (NULL too), unless ANY */
  const char      *value;   /* must match exactly (NULL too), unless ANY */
  const char      *detail;  /* NULL: not checked */
} Expect;

static const char any_marker[] = "<any>";
#define ANY any_marker

#define U_FFFD "\xef\xbf\xbd"

static char *
fixture_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
}

/* Assertions do not abort (see main()), so that one failing rule does not
 * hide the others; a test stops early with these when going on would only
 * trip over the same failure. */
#define require(expr)                                                             \
  G_STMT_START {                                                                  \
    if (!(expr))                                                                  \
      {                                                                           \
        g_test_fail_printf ("%s:%d: cannot go on: %s", __FILE__, __LINE__, #expr); \
        return;                                                                   \
      }                                                                           \
  } G_STMT_END

#define require_table(table) require ((table) != NULL)

#define require_rows(table, n)                                                    \
  G_STMT_START {                                                                  \
    g_assert_cmpuint (densito_table_get_n_rows (table), ==, (n));                 \
    require (densito_table_get_n_rows (table) == (n));                            \
  } G_STMT_END

#define require_columns(table, n)                                                 \
  G_STMT_START {                                                                  \
    g_assert_cmpuint (densito_table_get_n_columns (table), ==, (n));              \
    require (densito_table_get_n_columns (table) == (n));                         \
  } G_STMT_END

static DensitoTable *
load_path (const char         *path,
           DensitoDiagnostics *diags)
{
  g_autoptr(GError) error = NULL;
  DensitoTable *table;

  table = densito_table_load (path, diags, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (table);
  return table;
}

static DensitoTable *
load_fixture (const char          *name,
              DensitoDiagnostics **diags_out,
              char               **path_out)
{
  char *path = fixture_path (name);
  DensitoDiagnostics *diags = densito_diagnostics_new ();
  DensitoTable *table = load_path (path, diags);

  *diags_out = diags;
  *path_out = path;
  return table;
}

static char *
escape (const char *s)
{
  g_autofree char *escaped = NULL;

  if (s == NULL)
    return g_strdup ("NULL");
  escaped = g_strescape (s, NULL);
  return g_strdup_printf ("\"%s\"", escaped);
}

static char *
describe_diag (DensitoDiagCode  code,
               guint32          row,
               const char      *column,
               const char      *value,
               const char      *detail)
{
  g_autofree char *c = escape (column);
  g_autofree char *v = escape (value);
  g_autofree char *d = escape (detail);

  return g_strdup_printf ("{ %s, row %u, column %s, value %s, detail %s }",
                          densito_diag_code_to_string (code), row, c, v, d);
}

static gboolean
diag_matches (const DensitoDiagnostic *d,
              const Expect            *e)
{
  return d->code == e->code &&
         d->row == e->row &&
         (e->column == ANY || g_strcmp0 (d->column, e->column) == 0) &&
         (e->value == ANY || g_strcmp0 (d->value, e->value) == 0) &&
         (e->detail == NULL || g_strcmp0 (d->detail, e->detail) == 0);
}

/* Compares the recorded diagnostics with @expected as multisets: every
 * expected one must be there, and nothing else. Returns a description of
 * the difference, or NULL. */
static char *
check_diags (DensitoDiagnostics *diags,
             const char         *path,
             const Expect       *expected,
             guint               n_expected)
{
  guint n = densito_diagnostics_get_n (diags);
  g_autofree gboolean *used = g_new0 (gboolean, n + 1);
  g_autofree char *display = g_filename_display_name (path);
  GString *problems = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      const DensitoDiagnostic *d = densito_diagnostics_get (diags, i);

      if (g_strcmp0 (d->file, display) != 0)
        g_string_append_printf (problems, "\n  diagnostic %u names file “%s”, not “%s”",
                                i, d->file, display);
      if (d->value != NULL && !g_utf8_validate (d->value, -1, NULL))
        g_string_append_printf (problems, "\n  diagnostic %u has a value that is not UTF-8", i);
    }

  for (guint e = 0; e < n_expected; e++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < n && !found; i++)
        if (!used[i] && diag_matches (densito_diagnostics_get (diags, i), &expected[e]))
          found = used[i] = TRUE;

      if (!found)
        {
          g_autofree char *s = describe_diag (expected[e].code, expected[e].row, expected[e].column,
                                              expected[e].value, expected[e].detail);
          g_string_append_printf (problems, "\n  missing:    %s", s);
        }
    }

  for (guint i = 0; i < n; i++)
    if (!used[i])
      {
        const DensitoDiagnostic *d = densito_diagnostics_get (diags, i);
        g_autofree char *s = describe_diag (d->code, d->row, d->column, d->value, d->detail);
        g_string_append_printf (problems, "\n  unexpected: %s", s);
      }

  if (problems->len == 0)
    {
      g_string_free (problems, TRUE);
      return NULL;
    }
  g_string_prepend (problems, "diagnostics differ:");
  return g_string_free (problems, FALSE);
}

#define assert_diags(diags, path, expected, n)                                    \
  G_STMT_START {                                                                  \
    g_autofree char *problem_ = check_diags ((diags), (path), (expected), (n));   \
    if (problem_ != NULL)                                                         \
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, problem_); \
  } G_STMT_END

#define assert_no_diags(diags, path) assert_diags ((diags), (path), NULL, 0)

static const DensitoDiagnostic *
find_diag (DensitoDiagnostics *diags,
           DensitoDiagCode     code,
           guint32             row)
{
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    {
      const DensitoDiagnostic *d = densito_diagnostics_get (diags, i);

      if (d->code == code && d->row == row)
        return d;
    }
  return NULL;
}

static int
column_index (DensitoTable *table,
              const char   *name)
{
  for (guint c = 0; c < densito_table_get_n_columns (table); c++)
    if (g_strcmp0 (densito_table_get_column_name (table, c), name) == 0)
      return (int)c;
  return -1;
}

#define assert_cell(table, row, name, expected)                                   \
  G_STMT_START {                                                                  \
    char buf_[DENSITO_CELL_BUF];                                                  \
    int col_ = column_index ((table), (name));                                    \
    g_assert_cmpint (col_, >=, 0);                                                \
    g_assert_cmpuint ((row), <, densito_table_get_n_rows (table));                \
    if (col_ >= 0 && (row) < densito_table_get_n_rows (table))                    \
      g_assert_cmpstr (densito_table_get_cell ((table), (row), (guint)col_, buf_), \
                       ==, (expected));                                           \
  } G_STMT_END

/* The line of every row, as "2 4 5", so that a failure shows them all. */
static char *
lines_of (DensitoTable *table)
{
  GString *s = g_string_new (NULL);

  for (guint r = 0; r < densito_table_get_n_rows (table); r++)
    g_string_append_printf (s, r ? " %u" : "%u", densito_table_get_line (table, r));
  return g_string_free (s, FALSE);
}

#define assert_lines(table, expected)                                             \
  G_STMT_START {                                                                  \
    g_autofree char *lines_ = lines_of (table);                                   \
    g_assert_cmpstr (lines_, ==, (expected));                                     \
  } G_STMT_END

static void
assert_cells_valid_utf8 (DensitoTable *table)
{
  for (guint c = 0; c < densito_table_get_n_columns (table); c++)
    {
      g_assert_true (g_utf8_validate (densito_table_get_column_name (table, c), -1, NULL));
      for (guint r = 0; r < densito_table_get_n_rows (table); r++)
        {
          char buf[DENSITO_CELL_BUF];
          const char *cell = densito_table_get_cell (table, r, c, buf);

          g_assert_nonnull (cell);
          if (!g_utf8_validate (cell, -1, NULL))
            {
              g_autofree char *msg = g_strdup_printf ("row %u, column %u: cell is not UTF-8", r, c);
              g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
            }
        }
    }
}

static void
assert_load_fails (const char *path,
                   GQuark      domain,
                   int         code)
{
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_path_get_basename (path);

  table = densito_table_load (path, diags, NULL, NULL, NULL, &error);
  g_assert_error (error, domain, code);
  g_assert_null (table);
  require (error != NULL);
  /* One message, which names the file. */
  g_assert_nonnull (strstr (error->message, base));
}

static gboolean
is_missing_range (DensitoRange r)
{
  return r.lo == DENSITO_RANGE_MISSING;
}

#define assert_range(r, l, h)                                                     \
  G_STMT_START {                                                                  \
    DensitoRange r_ = (r);                                                        \
    g_assert_cmpint (r_.lo, ==, (l));                                             \
    g_assert_cmpint (r_.hi, ==, (h));                                             \
  } G_STMT_END

static gint32
ym (int year,
    int month)
{
  return year * 12 + month - 1;
}

/* A fixed pseudo-random byte stream, so failures can be reproduced. */
static void
fill_garbage (guint8 *buf,
              gsize   len,
              guint32 seed)
{
  guint32 x = seed;

  for (gsize i = 0; i < len; i++)
    {
      x = x * 1103515245u + 12345u;
      buf[i] = (guint8)(x >> 16);
    }
}

/* Fatal errors */

static void
test_unreadable (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.csv", NULL);

  assert_load_fails (missing, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE);
  /* A folder cannot be read as a table either. */
  assert_load_fails (dir, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE);
  test_remove_tree (dir);
}

/* No byte at all, a BOM alone, or blank lines only. */
static void
test_empty_file (void)
{
  static const char *names[] = { "empty.csv", "bom-only.csv", "blank-only.csv" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = fixture_path (names[i]);

      g_test_message ("%s", names[i]);
      assert_load_fails (path, DENSITO_ERROR, DENSITO_ERROR_EMPTY);
    }
}

/* Line 1 holds no name at all. */
static void
test_no_header (void)
{
  g_autofree char *path = fixture_path ("no-header-no-rows.csv");
  g_autofree char *path_rows = fixture_path ("no-header.csv");

  assert_load_fails (path, DENSITO_ERROR, DENSITO_ERROR_NO_HEADER);
  /* Data rows below do not make it a header. */
  assert_load_fails (path_rows, DENSITO_ERROR, DENSITO_ERROR_NO_HEADER);
}

static void
test_no_id_column (void)
{
  g_autofree char *path = fixture_path ("no-id-column.csv");
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoTable) table = NULL;

  assert_load_fails (path, DENSITO_ERROR, DENSITO_ERROR_NO_ID_COLUMN);

  /* The message says which names would have been understood. */
  table = densito_table_load (path, diags, NULL, NULL, NULL, &error);
  g_assert_null (table);
  require (error != NULL);
  g_assert_nonnull (strstr (error->message, "IDENTIFIER1"));
}

static void
test_header_only (void)
{
  static const char *names[] = { "header-only.csv", "header-only-no-newline.csv" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(DensitoDiagnostics) diags = NULL;
      g_autofree char *path = NULL;
      g_autoptr(DensitoTable) table = load_fixture (names[i], &diags, &path);

      g_test_message ("%s", names[i]);
      require_table (table);
      g_assert_cmpuint (densito_table_get_n_rows (table), ==, 0);
      g_assert_cmpuint (densito_table_get_n_columns (table), ==, 3);
      g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_ID), ==, 0);
      g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_SEX), ==, 2);
      g_assert_cmpint (densito_table_find_id (table, "1", -1), ==, -1);
      assert_no_diags (diags, path);
    }
}

/* Header names */

static void
test_header_aliases (void)
{
  static const char *id_names[] = {
    "IDENTIFIER1", "IDENTIFIER_1", "ID", "id", "Identifier_1", " identifier1 ",
  };
  static const struct {
    const char   *name;
    DensitoField  field;
  } names[] = {
    { "ADJUSTED_AGE", DENSITO_FIELD_AGE },
    { "AGE_CATEGORY", DENSITO_FIELD_AGE },
    { "AGE", DENSITO_FIELD_AGE },
    { "Age_Category", DENSITO_FIELD_AGE },
    { " adjusted_age ", DENSITO_FIELD_AGE },
    { "SEX", DENSITO_FIELD_SEX },
    { "GENDER", DENSITO_FIELD_SEX },
    { "gender", DENSITO_FIELD_SEX },
    { "label", DENSITO_FIELD_LABEL },
    { "LABEL", DENSITO_FIELD_LABEL },
    { "CLASS", DENSITO_FIELD_LABEL },
    { "DIAGNOSIS", DENSITO_FIELD_LABEL },
    { " Diagnosis ", DENSITO_FIELD_LABEL },
    { "AGES", DENSITO_FIELD_OTHER },
    { "SEXE", DENSITO_FIELD_OTHER },
    { "LABELS", DENSITO_FIELD_OTHER },
    { "IDENTIFIER2", DENSITO_FIELD_OTHER },
  };
  g_autofree char *dir = test_make_tmpdir ();

  for (guint i = 0; i < G_N_ELEMENTS (id_names); i++)
    {
      g_autofree char *text = g_strdup_printf ("%s,SPINE_TSCORE\n7,-1.0\n", id_names[i]);
      g_autofree char *path = test_write_file (dir, "ids.csv", text, -1);
      g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
      g_autoptr(DensitoTable) table = load_path (path, diags);

      g_test_message ("ID column named “%s”", id_names[i]);
      require_table (table);
      require_rows (table, 1);
      g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_ID), ==, 0);
      g_assert_cmpstr (densito_table_get_id (table, 0), ==, "7");
      assert_no_diags (diags, path);
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;
      g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
      g_autoptr(DensitoTable) table = NULL;
      const char *value = names[i].field == DENSITO_FIELD_AGE ? "40-45"
                          : names[i].field == DENSITO_FIELD_SEX ? "F" : "normal";

      g_test_message ("column named “%s”", names[i].name);
      text = g_strdup_printf ("ID,%s\n1,%s\n", names[i].name, value);
      path = test_write_file (dir, "names.csv", text, -1);
      table = load_path (path, diags);

      require_table (table);
      require_rows (table, 1);
      require_columns (table, 2);
      g_assert_cmpint (densito_table_get_column_field (table, 1), ==, names[i].field);
      assert_no_diags (diags, path);

      switch (names[i].field)
        {
        case DENSITO_FIELD_AGE:
          assert_range (densito_table_get_range (table, 0, DENSITO_FIELD_AGE), 40, 45);
          break;
        case DENSITO_FIELD_SEX:
          g_assert_cmpint (densito_table_get_sex (table, 0), ==, DENSITO_SEX_FEMALE);
          break;
        case DENSITO_FIELD_LABEL:
          g_assert_cmpint (densito_table_get_label (table, 0), ==, DENSITO_CLASS_NORMAL);
          break;
        default:
          /* Not understood: kept verbatim as text. */
          g_assert_cmpstr (densito_table_get_column_name (table, 1), ==, names[i].name);
          assert_cell (table, 0, names[i].name, value);
          break;
        }
    }

  test_remove_tree (dir);
}

static void
test_aliases_and_extra_columns (void)
{
  static const char *order[] = {
    "IDENTIFIER_1", "AGE_CATEGORY", "Gender", "SMOKING_STATUS", "PHYSICAL_ACTIVITY_LEVAL",
    "DIET_PLAN", "ALCOHOL_INTAKE",
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("aliases.csv", &diags, &path);

  require_table (table);

  require_columns (table, 9);
  for (guint c = 0; c < G_N_ELEMENTS (order); c++)
    g_assert_cmpstr (densito_table_get_column_name (table, c), ==, order[c]);

  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_ID), ==, 0);
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_AGE), ==, 1);
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_SEX), ==, 2);
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_SPINE_T), ==, 7);
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_LABEL), ==, 8);
  for (guint c = 3; c <= 6; c++)
    g_assert_cmpint (densito_table_get_column_field (table, c), ==, DENSITO_FIELD_OTHER);

  require_rows (table, 2);
  g_assert_cmpstr (densito_table_get_id (table, 0), ==, "101");
  g_assert_cmpstr (densito_table_get_id (table, 1), ==, "102");
  assert_range (densito_table_get_range (table, 0, DENSITO_FIELD_AGE), 50, 55);
  assert_range (densito_table_get_range (table, 1, DENSITO_FIELD_AGE), 40, 45);
  g_assert_cmpint (densito_table_get_sex (table, 0), ==, DENSITO_SEX_FEMALE);
  g_assert_cmpint (densito_table_get_sex (table, 1), ==, DENSITO_SEX_MALE);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.6);
  g_assert_cmpint (densito_table_get_label (table, 0), ==, DENSITO_CLASS_OSTEOPENIA);
  g_assert_cmpint (densito_table_get_label (table, 1), ==, DENSITO_CLASS_NORMAL);

  assert_cell (table, 0, "SMOKING_STATUS", "never");
  assert_cell (table, 0, "PHYSICAL_ACTIVITY_LEVAL", "Low");
  assert_cell (table, 0, "DIET_PLAN", "Mediterranean");
  assert_cell (table, 0, "ALCOHOL_INTAKE", "none");
  assert_cell (table, 1, "SMOKING_STATUS", "current smoker");
  assert_cell (table, 1, "PHYSICAL_ACTIVITY_LEVAL", "High");
  assert_cell (table, 1, "DIET_PLAN", "low carb, high protein");
  assert_cell (table, 1, "ALCOHOL_INTAKE", "2 units/week");
  assert_cell (table, 1, "Gender", "male");
  assert_cell (table, 0, "Class", "Osteopenia");

  assert_no_diags (diags, path);
}

static void
test_header_problems (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_DUPLICATE_COLUMN, 1, NULL, "IDENTIFIER1", NULL },
    { DENSITO_DIAG_EMPTY_COLUMN_NAME, 1, NULL, NULL, "COLUMN_4" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("header-problems.csv", &diags, &path);

  require_table (table);
  require_rows (table, 1);

  require_columns (table, 5);
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_ID), ==, 0);
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_SPINE_T), ==, 1);
  /* A second ID column is kept as an ordinary column. */
  g_assert_cmpint (densito_table_get_column_field (table, 2), ==, DENSITO_FIELD_OTHER);
  g_assert_cmpstr (densito_table_get_column_name (table, 2), ==, "IDENTIFIER1");
  g_assert_cmpstr (densito_table_get_column_name (table, 3), ==, "COLUMN_4");
  g_assert_cmpstr (densito_table_get_column_name (table, 4), ==, "NOTE");

  g_assert_cmpstr (densito_table_get_id (table, 0), ==, "1");
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.0);
  assert_cell (table, 0, "IDENTIFIER1", "x");
  assert_cell (table, 0, "COLUMN_4", "y");
  assert_cell (table, 0, "NOTE", "z");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* Typed values */

static void
test_numbers (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "NaN", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 5, "SPINE_TSCORE", "inf", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 5, "SPINE_BMD", "-inf", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 6, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 6, "SPINE_BMD", "1.2.3", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 7, "SPINE_TSCORE", "-2,x", NULL },
    { DENSITO_DIAG_IMPLAUSIBLE, 9, "SPINE_TSCORE", "15.0", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("numbers.csv", &diags, &path);

  require_table (table);

  require_rows (table, 8);

  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.9);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_BMD), ==, 0.837);

  /* Empty is missing, never 0. */
  g_assert_true (isnan (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_T)));
  g_assert_true (isnan (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_BMD)));
  assert_cell (table, 1, "SPINE_TSCORE", "");

  /* NaN, infinity and garbage are not measurements: missing, and the
   * text is kept. */
  for (guint r = 2; r <= 5; r++)
    g_assert_true (isnan (densito_table_get_number (table, r, DENSITO_FIELD_SPINE_T)));
  g_assert_true (isnan (densito_table_get_number (table, 3, DENSITO_FIELD_SPINE_BMD)));
  g_assert_true (isnan (densito_table_get_number (table, 4, DENSITO_FIELD_SPINE_BMD)));
  assert_cell (table, 2, "SPINE_TSCORE", "NaN");
  assert_cell (table, 3, "SPINE_BMD", "-inf");
  assert_cell (table, 5, "SPINE_TSCORE", "-2,x");
  /* and said to be unreadable, which an empty cell and a number are not */
  g_assert_cmpstr (densito_table_get_unreadable (table, 5, DENSITO_FIELD_SPINE_T), ==, "-2,x");
  g_assert_cmpstr (densito_table_get_unreadable (table, 2, DENSITO_FIELD_SPINE_T), ==, "NaN");
  g_assert_null (densito_table_get_unreadable (table, 1, DENSITO_FIELD_SPINE_T));
  g_assert_null (densito_table_get_unreadable (table, 0, DENSITO_FIELD_SPINE_T));
  g_assert_null (densito_table_get_unreadable (table, 0, DENSITO_FIELD_HIP_T));

  g_assert_cmpfloat (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_BMD), ==, 0.9);
  g_assert_cmpfloat (densito_table_get_number (table, 5, DENSITO_FIELD_SPINE_BMD), ==, 0.5);

  /* Zero is a value, not a missing cell. */
  g_assert_cmpfloat (densito_table_get_number (table, 6, DENSITO_FIELD_SPINE_T), ==, 0.0);
  g_assert_false (signbit (densito_table_get_number (table, 6, DENSITO_FIELD_SPINE_T)));
  g_assert_cmpfloat (densito_table_get_number (table, 6, DENSITO_FIELD_SPINE_BMD), ==, 0.1);

  /* Implausible values are reported but kept. */
  g_assert_cmpfloat (densito_table_get_number (table, 7, DENSITO_FIELD_SPINE_T), ==, 15.0);
  assert_cell (table, 7, "SPINE_TSCORE", "15.0");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_ranges (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_RANGE, 5, "BIRTHDATE", "1979-1975", NULL },
    { DENSITO_DIAG_BAD_RANGE, 5, "ADJUSTED_AGE", "45-40", NULL },
    { DENSITO_DIAG_BAD_RANGE, 6, "BIRTHDATE", "soon", NULL },
    { DENSITO_DIAG_BAD_RANGE, 6, "ADJUSTED_AGE", "forty", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("ranges.csv", &diags, &path);

  require_table (table);

  require_rows (table, 6);
  assert_range (densito_table_get_range (table, 0, DENSITO_FIELD_BIRTH), 1975, 1979);
  assert_range (densito_table_get_range (table, 0, DENSITO_FIELD_AGE), 40, 45);
  assert_range (densito_table_get_range (table, 1, DENSITO_FIELD_BIRTH), 1950, 1954);
  assert_range (densito_table_get_range (table, 1, DENSITO_FIELD_AGE), 80, 85);
  g_assert_true (is_missing_range (densito_table_get_range (table, 2, DENSITO_FIELD_BIRTH)));
  g_assert_true (is_missing_range (densito_table_get_range (table, 2, DENSITO_FIELD_AGE)));
  g_assert_true (is_missing_range (densito_table_get_range (table, 3, DENSITO_FIELD_BIRTH)));
  g_assert_true (is_missing_range (densito_table_get_range (table, 3, DENSITO_FIELD_AGE)));
  g_assert_true (is_missing_range (densito_table_get_range (table, 4, DENSITO_FIELD_BIRTH)));
  g_assert_true (is_missing_range (densito_table_get_range (table, 4, DENSITO_FIELD_AGE)));
  assert_range (densito_table_get_range (table, 5, DENSITO_FIELD_BIRTH), 1960, 1964);
  assert_range (densito_table_get_range (table, 5, DENSITO_FIELD_AGE), 67, 67);

  assert_cell (table, 0, "BIRTHDATE", "1975-1979");
  assert_cell (table, 3, "ADJUSTED_AGE", "45-40");
  assert_cell (table, 4, "BIRTHDATE", "soon");
  assert_cell (table, 5, "BIRTHDATE", "1960 - 1964");
  assert_cell (table, 5, "ADJUSTED_AGE", "67");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_dates (void)
{
  static const DensitoField date_fields[] = {
    DENSITO_FIELD_SPINE_DATE, DENSITO_FIELD_HIP_DATE, DENSITO_FIELD_NECK_DATE,
  };
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_DATE, 4, "SPINE_SCANDATE", "13-2019", NULL },
    { DENSITO_DIAG_BAD_DATE, 4, "HIP_SCANDATE", "2019-13-01", NULL },
    { DENSITO_DIAG_BAD_DATE, 4, "HIPNECK_SCANDATE", "yesterday", NULL },
    { DENSITO_DIAG_BAD_DATE, 5, "SPINE_SCANDATE", "02/30/20", NULL },
    { DENSITO_DIAG_BAD_DATE, 5, "HIP_SCANDATE", "00-2019", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("dates.csv", &diags, &path);

  require_table (table);

  require_rows (table, 4);

  /* MM-YYYY, M/D/YYYY, YYYY-MM-DD, YYYY-MM */
  g_assert_cmpint (densito_table_get_date (table, 0, DENSITO_FIELD_SPINE_DATE), ==, ym (2019, 5));
  g_assert_cmpint (densito_table_get_date (table, 0, DENSITO_FIELD_HIP_DATE), ==, ym (2019, 3));
  g_assert_cmpint (densito_table_get_date (table, 0, DENSITO_FIELD_NECK_DATE), ==, ym (2019, 3));
  g_assert_cmpint (densito_table_get_date (table, 1, DENSITO_FIELD_SPINE_DATE), ==, ym (2019, 3));
  g_assert_cmpint (densito_table_get_date (table, 1, DENSITO_FIELD_HIP_DATE), ==,
                   DENSITO_DATE_MISSING);
  g_assert_cmpint (densito_table_get_date (table, 1, DENSITO_FIELD_NECK_DATE), ==, ym (2020, 12));
  for (guint i = 0; i < G_N_ELEMENTS (date_fields); i++)
    {
      g_assert_cmpint (densito_table_get_date (table, 2, date_fields[i]), ==, DENSITO_DATE_MISSING);
      g_assert_cmpint (densito_table_get_date (table, 3, date_fields[i]), ==, DENSITO_DATE_MISSING);
    }

  assert_cell (table, 0, "SPINE_SCANDATE", "05-2019");
  assert_cell (table, 0, "HIP_SCANDATE", "3/15/2019");
  assert_cell (table, 0, "HIPNECK_SCANDATE", "2019-03-15");
  assert_cell (table, 1, "SPINE_SCANDATE", "2019-03");
  assert_cell (table, 2, "HIPNECK_SCANDATE", "yesterday");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_menopause (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_MENOPAUSE, 10, "MENOPAUSE_YEAR", "sometime", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("menopause.csv", &diags, &path);
  DensitoReason reason;

  require_table (table);

  require_rows (table, 9);

  /* An empty cell, 0, na, none, not applicable: no menopause, so a woman
   * is premenopausal and T-scores do not apply. */
  for (guint r = 0; r <= 6; r++)
    {
      g_test_message ("row %u", r);
      if (r > 0)
        assert_range (densito_table_get_range (table, r, DENSITO_FIELD_MENOPAUSE), 0, 0);
      g_assert_cmpint (densito_table_get_applicability (table, r, &reason), ==,
                       DENSITO_APPLICABLE_NO);
      g_assert_cmpint (reason, ==, DENSITO_REASON_PREMENOPAUSAL);
    }

  assert_range (densito_table_get_range (table, 7, DENSITO_FIELD_MENOPAUSE), 2000, 2004);
  g_assert_cmpint (densito_table_get_applicability (table, 7, &reason), ==, DENSITO_APPLICABLE_YES);
  g_assert_cmpint (reason, ==, DENSITO_REASON_NONE);

  g_assert_true (is_missing_range (densito_table_get_range (table, 8, DENSITO_FIELD_MENOPAUSE)));

  assert_cell (table, 0, "MENOPAUSE_YEAR", "");
  assert_cell (table, 1, "MENOPAUSE_YEAR", "0");
  assert_cell (table, 2, "MENOPAUSE_YEAR", "na");
  assert_cell (table, 4, "MENOPAUSE_YEAR", "not applicable");
  assert_cell (table, 6, "MENOPAUSE_YEAR", "Not Applicable");
  assert_cell (table, 8, "MENOPAUSE_YEAR", "sometime");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_sex (void)
{
  static const DensitoSex sexes[] = {
    DENSITO_SEX_FEMALE, DENSITO_SEX_MALE, DENSITO_SEX_FEMALE, DENSITO_SEX_MALE,
    DENSITO_SEX_FEMALE, DENSITO_SEX_MALE, DENSITO_SEX_FEMALE, DENSITO_SEX_UNKNOWN,
    DENSITO_SEX_UNKNOWN, DENSITO_SEX_UNKNOWN, DENSITO_SEX_UNKNOWN,
  };
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_SEX, 9, "SEX", "x", NULL },
    { DENSITO_DIAG_BAD_SEX, 11, "SEX", "unknown", NULL },
    /* The same bad value again is reported again. */
    { DENSITO_DIAG_BAD_SEX, 12, "SEX", "x", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("sex.csv", &diags, &path);

  require_table (table);

  require_rows (table, G_N_ELEMENTS (sexes));
  for (guint r = 0; r < G_N_ELEMENTS (sexes); r++)
    {
      g_test_message ("row %u", r);
      g_assert_cmpint (densito_table_get_sex (table, r), ==, sexes[r]);
    }
  assert_cell (table, 3, "SEX", "MALE");
  assert_cell (table, 4, "SEX", "Woman");
  assert_cell (table, 7, "SEX", "x");
  assert_cell (table, 8, "SEX", "");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_labels (void)
{
  static const DensitoClass labels[] = {
    DENSITO_CLASS_NORMAL, DENSITO_CLASS_OSTEOPENIA, DENSITO_CLASS_OSTEOPENIA,
    DENSITO_CLASS_OSTEOPOROSIS, DENSITO_CLASS_OSTEOPENIA, DENSITO_CLASS_MISSING,
    DENSITO_CLASS_MISSING,
  };
  static const DensitoAgreement agrees[] = {
    DENSITO_AGREES_YES, DENSITO_AGREES_YES, DENSITO_AGREES_YES, DENSITO_AGREES_YES,
    DENSITO_AGREES_NO, DENSITO_AGREES_UNKNOWN, DENSITO_AGREES_UNKNOWN,
  };
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_LABEL, 8, "label", "healthy", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("labels.csv", &diags, &path);

  require_table (table);

  g_assert_true (densito_table_has_label_column (table));
  require_rows (table, G_N_ELEMENTS (labels));
  for (guint r = 0; r < G_N_ELEMENTS (labels); r++)
    {
      g_test_message ("row %u", r);
      g_assert_cmpint (densito_table_get_label (table, r), ==, labels[r]);
      g_assert_cmpint (densito_table_get_agreement (table, r), ==, agrees[r]);
    }

  /* Normalised for classification, but the text is kept. */
  assert_cell (table, 1, "label", "Osteopenia");
  assert_cell (table, 2, "label", "low bone mass");
  assert_cell (table, 3, "label", "OSTEOPOROSIS");
  assert_cell (table, 4, "label", "Low Bone Mass");
  assert_cell (table, 6, "label", "healthy");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* Lossless cells */

static void
test_lossless (void)
{
  static const char *cells[][11] = {
    { "1", "+1.50", " 0.837", "1e-1", "00.5", "3/15/2019", "40 - 45", "n/a", " f ",
      "  spaced  ", "Low Bone Mass" },
    { "2", "-1.9", "1.50", "0.837", ".5", "05-2019", "40-45", "0", "F",
      "say \"hi\", then, go", "normal" },
    { "3", "-0", "5.", "1.500", "-0.0", "2019-03", "1975-1979", "NONE", "female",
      "x", "osteoporosis" },
    { "4", "70", "-0.50", "0.010", "1E-1", " 05-2019", "80+", "1990-1994", "m",
      "", "OSTEOPENIA" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("lossless.csv", &diags, &path);

  require_table (table);

  require_rows (table, G_N_ELEMENTS (cells));
  require_columns (table, G_N_ELEMENTS (cells[0]));
  for (guint r = 0; r < G_N_ELEMENTS (cells); r++)
    for (guint c = 0; c < G_N_ELEMENTS (cells[0]); c++)
      {
        char buf[DENSITO_CELL_BUF];

        g_test_message ("row %u, column %s", r, densito_table_get_column_name (table, c));
        g_assert_cmpstr (densito_table_get_cell (table, r, c, buf), ==, cells[r][c]);
      }

  /* Non-canonical text still has its value. */
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, 1.5);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_HIP_T), ==, 0.837);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_BMD), ==, 0.1);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_HIP_BMD), ==, 0.5);
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_HIP_BMD), ==, 0.5);
  g_assert_cmpfloat (densito_table_get_number (table, 2, DENSITO_FIELD_HIP_T), ==, 5.0);
  g_assert_cmpfloat (densito_table_get_number (table, 3, DENSITO_FIELD_HIP_BMD), ==, 0.1);
  g_assert_cmpint (densito_table_get_date (table, 0, DENSITO_FIELD_SPINE_DATE), ==, ym (2019, 3));
  g_assert_cmpint (densito_table_get_date (table, 3, DENSITO_FIELD_SPINE_DATE), ==, ym (2019, 5));
  assert_range (densito_table_get_range (table, 0, DENSITO_FIELD_AGE), 40, 45);
  assert_range (densito_table_get_range (table, 0, DENSITO_FIELD_MENOPAUSE), 0, 0);
  assert_range (densito_table_get_range (table, 2, DENSITO_FIELD_MENOPAUSE), 0, 0);
  g_assert_cmpint (densito_table_get_sex (table, 0), ==, DENSITO_SEX_FEMALE);
  g_assert_cmpint (densito_table_get_sex (table, 3), ==, DENSITO_SEX_MALE);

  /* Unusual spellings are not errors (implausible values may be). */
  for (DensitoDiagCode code = DENSITO_DIAG_BAD_NUMBER; code <= DENSITO_DIAG_BAD_MENOPAUSE; code++)
    if (code != DENSITO_DIAG_IMPLAUSIBLE)
      g_assert_cmpuint (densito_diagnostics_count_code (diags, code), ==, 0);
}

/* Numbers are stored as an exact integer mantissa and a count of decimals
 * in 32 bits; those that do not fit are kept aside. Every one of them must
 * still print back as written and keep its value, in either half of a
 * split load. */
static void
test_lossless_wide_numbers (void)
{
  static const char *numbers[] = {
    "0.1", "-2.5", "134217727", "134217728", "-134217728.5", "0.000000000000001",
    "123456789012345", "99999999.99", "-0", "-0.000", "1.50", "4294967296",
    "0.12345678901234", "13421772.7", "13421772.8",
  };
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = NULL;
  g_autoptr(GString) text = g_string_new ("ID,WEIGHT,HIP_TSCORE\n");
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  guint n = 0;

  /* The same cells near the start and near the end, with filler between,
   * so that both halves of a split load hold them. */
  for (guint pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (numbers); i++, n++)
        g_string_append_printf (text, "%u,%s,%s\n", n + 1, numbers[i],
                                numbers[G_N_ELEMENTS (numbers) - 1 - i]);
      for (guint i = 0; pass == 0 && i < 40; i++, n++)
        g_string_append_printf (text, "%u,70.5,-1.0\n", n + 1);
    }
  path = test_write_file (dir, "wide.csv", text->str, (gssize)text->len);
  table = load_path (path, diags);
  require_rows (table, n);

  for (guint r = 0; r < n; r++)
    {
      guint i = r < G_N_ELEMENTS (numbers) ? r : r - (n - G_N_ELEMENTS (numbers));
      char buf[DENSITO_CELL_BUF];

      if (r >= G_N_ELEMENTS (numbers) && r < n - G_N_ELEMENTS (numbers))
        {
          g_assert_cmpstr (densito_table_get_cell (table, r, 1, buf), ==, "70.5");
          g_assert_cmpfloat (densito_table_get_number (table, r, DENSITO_FIELD_WEIGHT), ==, 70.5);
          continue;
        }
      g_test_message ("row %u: %s", r, numbers[i]);
      g_assert_cmpstr (densito_table_get_cell (table, r, 1, buf), ==, numbers[i]);
      g_assert_cmpstr (densito_table_get_cell (table, r, 2, buf), ==,
                       numbers[G_N_ELEMENTS (numbers) - 1 - i]);
      /* The value is the one the text says, to the last bit, sign of
       * zero included. */
      {
        double want = g_ascii_strtod (numbers[i], NULL);
        double got = densito_table_get_number (table, r, DENSITO_FIELD_WEIGHT);

        g_assert_cmpmem (&got, sizeof got, &want, sizeof want);
      }
    }
  g_assert_cmpuint (densito_diagnostics_count_code (diags, DENSITO_DIAG_BAD_NUMBER), ==, 0);
  test_remove_tree (dir);
}

static char *
describe_table (DensitoTable       *table,
                DensitoDiagnostics *diags)
{
  GString *out = g_string_new (NULL);

  for (guint r = 0; r < densito_table_get_n_rows (table); r++)
    {
      DensitoSite site;
      DensitoReason reason;
      DensitoClass klass = densito_table_get_class (table, r, &site);
      DensitoApplicability applicable = densito_table_get_applicability (table, r, &reason);

      g_string_append_printf (out, "%u:", densito_table_get_line (table, r));
      for (guint c = 0; c < densito_table_get_n_columns (table); c++)
        {
          char buf[DENSITO_CELL_BUF];
          g_autofree char *cell = g_strescape (densito_table_get_cell (table, r, c, buf), NULL);

          g_string_append_printf (out, " %s", cell);
        }
      g_string_append_printf (out, " | %g %d %d %d %d %d %d %d %d %d\n",
                              densito_table_get_number (table, r, DENSITO_FIELD_SPINE_T),
                              klass, site, applicable, reason,
                              densito_table_get_agreement (table, r),
                              densito_table_get_sex (table, r), densito_table_get_label (table, r),
                              densito_table_is_duplicate (table, r),
                              densito_table_find_id (table, densito_table_get_id (table, r), -1));
    }
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    {
      g_autofree char *line = densito_diagnostic_dup_line (densito_diagnostics_get (diags, i));
      g_string_append_printf (out, "%s\n", line);
    }
  return g_string_free (out, FALSE);
}

static char *
load_and_describe (const char *path,
                   const char *parallel_min_bytes)
{
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;

  if (parallel_min_bytes != NULL)
    g_setenv ("DENSITO_PARALLEL_MIN_BYTES", parallel_min_bytes, TRUE);
  else
    g_setenv ("DENSITO_PARALLEL_MIN_BYTES", "1000000000", TRUE);
  table = load_path (path, diags);
  return describe_table (table, diags);
}

/* The second half of a split load writes its rows where the first half's
 * line breaks say they may begin; blank lines, rows of empty cells and
 * quoted line breaks in the first half leave fewer rows than that, so the
 * second half moves down. Ragged rows add columns in either half, and the
 * halves intern their text apart. None of it may show. */
static void
test_split_moves_second_half (void)
{
  static const char *eols[] = { "\n", "\r\n", "\r" };
  g_autofree char *saved = g_strdup (g_getenv ("DENSITO_PARALLEL_MIN_BYTES"));
  g_autofree char *dir = test_make_tmpdir ();

  for (guint e = 0; e < G_N_ELEMENTS (eols); e++)
    {
      const char *eol = eols[e];
      g_autoptr(GString) text = g_string_new (NULL);
      g_autofree char *path = NULL;
      g_autofree char *whole = NULL;
      g_autofree char *split = NULL;
      guint n_moves = 0;

      g_string_append_printf (text, "ID,SPINE_TSCORE,SEX,WEIGHT,NOTE,LABEL%s", eol);
      for (guint i = 0; i < 30; i++)
        {
          g_string_append_printf (text, "%u,-%u.%u,%s,%s,%s,%s%s", 100 + i, i % 4, i % 10,
                                  i % 3 ? "F" : "male", i == 7 ? "134217728.25" : "70.5",
                                  i % 5 == 0 ? "\"two\nlines\"" : "plain",
                                  i % 2 ? "normal" : "Osteoporosis", eol);
          if (i % 4 == 0)
            {
              g_string_append (text, eol);
              g_string_append_printf (text, ",,,,,%s", eol);
              n_moves++;
            }
        }
      for (guint i = 0; i < 30; i++)
        g_string_append_printf (text, "%u,-1.%u,%s,%s,%s,%s%s%s", 200 + i, i % 10,
                                i % 2 ? "woman" : "M", i == 3 ? "-0" : "61.25",
                                i % 7 == 0 ? "\"a\r\nb\"" : "note",
                                i % 3 ? "osteopenia" : "weird",
                                i == 11 ? ",extra1,extra2" : "", eol);
      g_assert_cmpuint (n_moves, >, 0);

      path = test_write_file (dir, "moves.csv", text->str, (gssize)text->len);
      whole = load_and_describe (path, NULL);
      split = load_and_describe (path, "0");
      g_test_message ("line breaks %s", eol[0] == '\n' ? "LF" : eol[1] ? "CRLF" : "CR");
      g_assert_cmpstr (split, ==, whole);
    }

  if (saved != NULL)
    g_setenv ("DENSITO_PARALLEL_MIN_BYTES", saved, TRUE);
  else
    g_unsetenv ("DENSITO_PARALLEL_MIN_BYTES");
  test_remove_tree (dir);
}

static void
test_lossless_semicolon (void)
{
  static const char *cells[][5] = {
    { "1", "-0,5", "+1.50", " 0.837", "a,b" },
    { "2", "1e-1", "00.5", "0.900", "x" },
    { "3", "-1,90", "-2.0", "1.000", "" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("lossless-semicolon.csv", &diags, &path);

  require_table (table);

  g_assert_cmpint (densito_table_get_delimiter (table), ==, ';');
  require_rows (table, G_N_ELEMENTS (cells));
  for (guint r = 0; r < G_N_ELEMENTS (cells); r++)
    for (guint c = 0; c < G_N_ELEMENTS (cells[0]); c++)
      {
        char buf[DENSITO_CELL_BUF];

        g_test_message ("row %u, column %s", r, densito_table_get_column_name (table, c));
        g_assert_cmpstr (densito_table_get_cell (table, r, c, buf), ==, cells[r][c]);
      }

  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -0.5);
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_T), ==, 0.1);
  g_assert_cmpfloat (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_T), ==, -1.9);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_HIP_T), ==, 1.5);
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_HIP_T), ==, 0.5);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_BMD), ==, 0.837);
  assert_no_diags (diags, path);
}

/* Delimiters, encodings, line endings */

static void
test_semicolon_decimal_comma (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_BMD", "x,y", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("semicolon.csv", &diags, &path);

  require_table (table);

  g_assert_cmpint (densito_table_get_delimiter (table), ==, ';');
  require_columns (table, 7);
  require_rows (table, 3);

  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.5);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_BMD), ==, 0.837);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_BMI), ==, 24.2);
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_WEIGHT), ==, 65.5);
  g_assert_cmpfloat (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_T), ==, -0.5);
  g_assert_true (isnan (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_BMD)));
  g_assert_true (isnan (densito_table_get_number (table, 2, DENSITO_FIELD_WEIGHT)));

  assert_cell (table, 0, "SPINE_TSCORE", "-1,5");
  assert_cell (table, 0, "BMI", "24,2");
  assert_cell (table, 0, "NOTE", "a,b");
  assert_cell (table, 2, "SPINE_BMD", "x,y");
  assert_cell (table, 2, "NOTE", "c;d");

  /* 70 kg, 170 cm is 24.2; 65.5 kg, 160 cm is 25.6: no BMI mismatch. */
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* In a semicolon file a decimal comma is accepted whatever the first
 * number of the column looked like. */
static void
test_semicolon_mixed_separators (void)
{
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("semicolon-mixed.csv", &diags, &path);

  require_table (table);
  require_rows (table, 3);

  g_assert_cmpint (densito_table_get_delimiter (table), ==, ';');
  assert_cell (table, 0, "SPINE_TSCORE", "-1.5");
  assert_cell (table, 1, "SPINE_TSCORE", "-0,5");
  assert_cell (table, 0, "SPINE_BMD", "0,837");
  assert_cell (table, 1, "SPINE_BMD", "0.900");
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_BMD), ==, 0.837);
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_BMD), ==, 0.9);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.5);
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_T), ==, -0.5);
  assert_no_diags (diags, path);
}

static void
test_tab (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 3, "SPINE_TSCORE", "abc", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("tab.csv", &diags, &path);

  require_table (table);

  g_assert_cmpint (densito_table_get_delimiter (table), ==, '\t');
  require_columns (table, 4);
  require_rows (table, 2);
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.0);
  g_assert_cmpint (densito_table_get_sex (table, 1), ==, DENSITO_SEX_MALE);
  assert_cell (table, 0, "NOTE", "a,b;c");
  assert_cell (table, 1, "NOTE", "quoted\ttab");
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_bom_crlf (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_SEX, 6, "SEX", "X", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("bom-crlf.csv", &diags, &path);

  require_table (table);

  /* The BOM is not part of the first name. */
  g_assert_cmpstr (densito_table_get_column_name (table, 0), ==, "IDENTIFIER1");
  g_assert_cmpint (densito_table_get_field_column (table, DENSITO_FIELD_ID), ==, 0);
  require_columns (table, 4);
  require_rows (table, 3);
  assert_lines (table, "2 4 6");

  /* No CR left at the end of a last cell; the one inside quotes stays. */
  assert_cell (table, 0, "NOTE", "two\r\nlines");
  assert_cell (table, 1, "NOTE", "plain");
  assert_cell (table, 2, "NOTE", "z");
  g_assert_cmpint (densito_table_get_sex (table, 0), ==, DENSITO_SEX_FEMALE);
  g_assert_cmpint (densito_table_get_sex (table, 1), ==, DENSITO_SEX_MALE);
  g_assert_cmpfloat (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_T), ==, -2.0);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_cr_only (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 6, "SPINE_TSCORE", "zz", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("cr-only.csv", &diags, &path);

  require_table (table);

  require_columns (table, 3);
  require_rows (table, 3);
  assert_lines (table, "2 4 6");
  g_assert_cmpstr (densito_table_get_id (table, 2), ==, "3");
  assert_cell (table, 0, "NOTE", "a\rb");
  assert_cell (table, 1, "NOTE", "x");
  assert_cell (table, 2, "NOTE", "y");
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_invalid_utf8 (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_INVALID_UTF8, 1, NULL, "K" U_FFFD "rper", NULL },
    { DENSITO_DIAG_INVALID_UTF8, 2, "NAME", "Jos" U_FFFD, NULL },
    { DENSITO_DIAG_INVALID_UTF8, 3, "SEX", "F" U_FFFD, NULL },
    { DENSITO_DIAG_BAD_SEX, 3, "SEX", "F" U_FFFD, NULL },
    { DENSITO_DIAG_INVALID_UTF8, 4, "NAME", U_FFFD "(bad", NULL },
    { DENSITO_DIAG_INVALID_UTF8, 4, "SPINE_TSCORE", "1.5" U_FFFD, NULL },
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "1.5" U_FFFD, NULL },
    { DENSITO_DIAG_INVALID_UTF8, 5, "ID", U_FFFD "4", NULL },
    { DENSITO_DIAG_INVALID_UTF8, 6, "NAME", "a" U_FFFD "b", NULL },
    { DENSITO_DIAG_INVALID_UTF8, 6, "K" U_FFFD "rper", U_FFFD U_FFFD, NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("invalid-utf8.csv", &diags, &path);

  require_table (table);

  require_rows (table, 5);
  require_columns (table, 5);
  assert_cells_valid_utf8 (table);

  g_assert_cmpstr (densito_table_get_column_name (table, 4), ==, "K" U_FFFD "rper");
  assert_cell (table, 0, "NAME", "Jos" U_FFFD);
  assert_cell (table, 2, "NAME", U_FFFD "(bad");
  assert_cell (table, 2, "SPINE_TSCORE", "1.5" U_FFFD);
  assert_cell (table, 4, "NAME", "a" U_FFFD "b");
  g_assert_cmpstr (densito_table_get_id (table, 3), ==, U_FFFD "4");
  g_assert_cmpint (densito_table_find_id (table, U_FFFD "4", -1), ==, 3);
  g_assert_cmpint (densito_table_get_sex (table, 1), ==, DENSITO_SEX_UNKNOWN);
  g_assert_true (isnan (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_T)));
  g_assert_cmpfloat (densito_table_get_number (table, 3, DENSITO_FIELD_SPINE_T), ==, 0.5);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* A header name over three lines, with a bad byte on the first. */
static void
test_invalid_utf8_multiline_header (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_INVALID_UTF8, 1, NULL, "N" U_FFFD "\nA\nB", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("invalid-utf8-multiline-header.csv", &diags, &path);

  require_table (table);
  require_columns (table, 3);
  require_rows (table, 1);
  assert_lines (table, "4");
  assert_cells_valid_utf8 (table);
  g_assert_cmpstr (densito_table_get_column_name (table, 1), ==, "N" U_FFFD "\nA\nB");
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* The loader reads in blocks of 1 MiB; a cell that starts with a bad byte
 * and ends two blocks later must still be repaired. */
static void
test_invalid_utf8_long_field (void)
{
  const gsize n_fill = 5 * 1024 * 1024 / 2;
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(GString) text = g_string_new ("ID,NOTE\n1,\"\xff");
  g_autofree char *path = NULL;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  char buf[DENSITO_CELL_BUF];
  const char *cell;
  const DensitoDiagnostic *d;

  for (gsize i = 0; i < n_fill; i++)
    g_string_append_c (text, 'a' + (char)(i % 26));
  g_string_append (text, "\"\n2,ok\n");
  path = test_write_file (dir, "long-invalid.csv", text->str, (gssize)text->len);
  table = load_path (path, diags);

  require_table (table);
  require_rows (table, 2);
  cell = densito_table_get_cell (table, 0, 1, buf);
  g_assert_true (g_utf8_validate (cell, -1, NULL));
  g_assert_true (g_str_has_prefix (cell, U_FFFD "abc"));
  g_assert_cmpuint (strlen (cell), ==, strlen (U_FFFD) + n_fill);
  g_assert_cmpuint (densito_diagnostics_count_code (diags, DENSITO_DIAG_INVALID_UTF8), ==, 1);
  d = find_diag (diags, DENSITO_DIAG_INVALID_UTF8, 2);
  require (d != NULL);
  g_assert_cmpstr (d->column, ==, "NOTE");

  test_remove_tree (dir);
}

/* Malformed tables */

static void
test_too_few_fields (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_TOO_FEW_FIELDS, 3, NULL, NULL, "2" },
    { DENSITO_DIAG_TOO_FEW_FIELDS, 5, NULL, NULL, "1" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("too-few-fields.csv", &diags, &path);

  require_table (table);
  require_rows (table, 4);
  require_columns (table, 3);
  assert_lines (table, "2 3 4 5");

  /* What a short row lacks is missing; what it has is kept. */
  g_assert_cmpfloat (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_T), ==, -2.0);
  assert_cell (table, 1, "SEX", "");
  g_assert_cmpint (densito_table_get_sex (table, 1), ==, DENSITO_SEX_UNKNOWN);
  g_assert_cmpstr (densito_table_get_id (table, 3), ==, "4");
  assert_cell (table, 3, "SPINE_TSCORE", "");
  g_assert_true (isnan (densito_table_get_number (table, 3, DENSITO_FIELD_SPINE_T)));

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_too_many_fields (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_TOO_MANY_FIELDS, 3, NULL, NULL, "5" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("too-many-fields.csv", &diags, &path);

  require_table (table);
  require_rows (table, 2);

  /* The extra cells are kept, in columns of their own that earlier rows
   * see as empty. */
  require_columns (table, 5);
  g_assert_cmpstr (densito_table_get_column_name (table, 3), ==, "COLUMN_4");
  g_assert_cmpstr (densito_table_get_column_name (table, 4), ==, "COLUMN_5");
  g_assert_cmpint (densito_table_get_column_field (table, 3), ==, DENSITO_FIELD_OTHER);
  g_assert_cmpint (densito_table_get_column_field (table, 4), ==, DENSITO_FIELD_OTHER);
  assert_cell (table, 1, "COLUMN_4", "extra1");
  assert_cell (table, 1, "COLUMN_5", "extra2");
  assert_cell (table, 0, "COLUMN_4", "");
  assert_cell (table, 0, "COLUMN_5", "");
  g_assert_cmpint (densito_table_get_sex (table, 1), ==, DENSITO_SEX_MALE);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* Short and long rows mixed: once a long row has added columns, a row
 * as wide as the header is still neither short nor long. */
static void
test_ragged_rows (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_TOO_FEW_FIELDS, 3, NULL, NULL, "2" },
    { DENSITO_DIAG_TOO_MANY_FIELDS, 4, NULL, NULL, "5" },
    { DENSITO_DIAG_TOO_FEW_FIELDS, 6, NULL, NULL, "1" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("ragged.csv", &diags, &path);

  require_table (table);
  require_rows (table, 5);
  require_columns (table, 5);
  assert_lines (table, "2 3 4 5 6");

  assert_cell (table, 2, "COLUMN_4", "extra1");
  assert_cell (table, 2, "COLUMN_5", "extra2");
  for (guint r = 0; r < 5; r++)
    if (r != 2)
      {
        assert_cell (table, r, "COLUMN_4", "");
        assert_cell (table, r, "COLUMN_5", "");
      }
  assert_cell (table, 1, "SEX", "");
  g_assert_cmpstr (densito_table_get_id (table, 4), ==, "5");
  g_assert_cmpfloat (densito_table_get_number (table, 3, DENSITO_FIELD_SPINE_T), ==, -0.5);
  g_assert_cmpint (densito_table_get_sex (table, 3), ==, DENSITO_SEX_FEMALE);

  /* Line 5 has as many fields as the header: nothing to report. */
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_empty_rows_skipped (void)
{
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("empty-wide-row.csv", &diags, &path);

  require_table (table);

  /* ",,,," holds no data, however many commas it has. */
  require_rows (table, 2);
  assert_lines (table, "2 4");
  g_assert_cmpstr (densito_table_get_id (table, 1), ==, "2");
  assert_no_diags (diags, path);
  g_assert_cmpuint (densito_table_get_n_columns (table), ==, 2);
}

static void
test_unterminated_quote (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_UNTERMINATED_QUOTE, 3, ANY, ANY, NULL },
    { DENSITO_DIAG_TOO_FEW_FIELDS, 3, NULL, NULL, "2" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("unterminated-quote.csv", &diags, &path);

  require_table (table);

  /* Nothing is lost: the open field runs to the end of the file. */
  require_rows (table, 2);
  assert_lines (table, "2 3");
  assert_cell (table, 0, "NOTE", "ok");
  g_assert_cmpstr (densito_table_get_id (table, 1), ==, "2");
  assert_cell (table, 1, "NOTE", "never closed,-2.0\n3,x,-3.0\n");
  g_assert_true (isnan (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_T)));

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* The quote is open in one cell: the diagnostic names its column. */
static void
test_unterminated_quote_column (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_UNTERMINATED_QUOTE, 3, "NOTE", ANY, NULL },
    { DENSITO_DIAG_TOO_FEW_FIELDS, 3, NULL, NULL, "2" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("unterminated-quote.csv", &diags, &path);

  require_table (table);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_long_field (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 13, "SPINE_TSCORE", ANY, NULL },
    { DENSITO_DIAG_BAD_NUMBER, 14, "SPINE_TSCORE", "abc", NULL },
  };
  const gsize len = 100000;
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *note = g_malloc (len + 1);
  g_autofree char *digits = g_malloc (len + 1);
  g_autofree char *long_id = g_malloc (len + 1);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  const DensitoDiagnostic *d;
  char buf[DENSITO_CELL_BUF];

  /* Letters, commas, and ten newlines, which move the later rows down. */
  for (gsize i = 0; i < len; i++)
    note[i] = i % 10000 == 9999 ? '\n' : i % 100 == 50 ? ',' : (char)('a' + i % 26);
  note[len] = '\0';
  memset (digits, '9', len);
  digits[len] = '\0';
  memset (long_id, 'Z', len);
  long_id[len] = '\0';

  text = g_strdup_printf ("ID,NOTE,SPINE_TSCORE\n"
                          "1,\"%s\",-1.0\n"   /* lines 2-12 */
                          "2,x,%s\n"          /* line 13 */
                          "3,y,abc\n"         /* line 14 */
                          "%s,z,-2.0\n",      /* line 15 */
                          note, digits, long_id);
  path = test_write_file (dir, "long.csv", text, -1);
  table = load_path (path, diags);

  require_table (table);
  require_rows (table, 4);
  assert_lines (table, "2 13 14 15");

  g_assert_cmpstr (densito_table_get_cell (table, 0, 1, buf), ==, note);
  g_assert_cmpstr (densito_table_get_cell (table, 1, 2, buf), ==, digits);
  g_assert_cmpstr (densito_table_get_id (table, 3), ==, long_id);
  g_assert_cmpint (densito_table_find_id (table, long_id, -1), ==, 3);
  g_assert_true (isnan (densito_table_get_number (table, 1, DENSITO_FIELD_SPINE_T)));
  g_assert_cmpfloat (densito_table_get_number (table, 3, DENSITO_FIELD_SPINE_T), ==, -2.0);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));

  /* The diagnostic shortens the value and says how long it was. */
  d = find_diag (diags, DENSITO_DIAG_BAD_NUMBER, 13);
  require (d != NULL && d->value != NULL);
  g_assert_true (g_str_has_prefix (d->value, "999999999"));
  g_assert_cmpuint (strlen (d->value), <, 1000);
  g_assert_nonnull (strstr (d->value, "100000"));

  test_remove_tree (dir);
}

static void
test_binary_garbage (void)
{
  const gsize len = 64 * 1024;
  g_autofree guint8 *garbage = g_malloc (len);
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;

  fill_garbage (garbage, len, 20260101);
  path = test_write_file (dir, "garbage.csv", (const char *)garbage, (gssize)len);

  /* Line 1 names no ID column: refused, with a message, and no crash. */
  table = densito_table_load (path, diags, NULL, NULL, NULL, &error);
  g_assert_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_ID_COLUMN);
  g_assert_null (table);
  if (error != NULL)
    g_assert_true (g_utf8_validate (error->message, -1, NULL));

  test_remove_tree (dir);
}

static void
test_binary_garbage_rows (void)
{
  const gsize len = 256 * 1024;
  const char header[] = "ID,SPINE_TSCORE,SEX,NOTE\n";
  g_autofree guint8 *data = g_malloc (sizeof header - 1 + len);
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = NULL;
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  guint n_lines = 1;

  memcpy (data, header, sizeof header - 1);
  fill_garbage (data + sizeof header - 1, len, 42);
  for (gsize i = 0; i < sizeof header - 1 + len; i++)
    if (data[i] == '\n')
      n_lines++;
  path = test_write_file (dir, "garbage-rows.csv", (const char *)data,
                          (gssize)(sizeof header - 1 + len));
  table = load_path (path, diags);

  require_table (table);
  g_assert_cmpuint (densito_table_get_n_rows (table), >, 0);
  g_assert_cmpuint (densito_table_get_n_columns (table), >=, 4);
  assert_cells_valid_utf8 (table);
  g_assert_cmpuint (densito_diagnostics_count_code (diags, DENSITO_DIAG_INVALID_UTF8), >, 0);
  for (guint r = 0; r < densito_table_get_n_rows (table); r++)
    {
      g_assert_cmpuint (densito_table_get_line (table, r), >=, 2);
      g_assert_cmpuint (densito_table_get_line (table, r), <=, n_lines);
      if (r > 0)
        g_assert_cmpuint (densito_table_get_line (table, r), >=,
                          densito_table_get_line (table, r - 1));
    }
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    {
      const DensitoDiagnostic *d = densito_diagnostics_get (diags, i);

      g_assert_cmpuint (d->row, >=, 2);
      g_assert_cmpuint (d->row, <=, n_lines);
      g_assert_true (d->value == NULL || g_utf8_validate (d->value, -1, NULL));
    }

  test_remove_tree (dir);
}

/* Every prefix of a valid file either loads or fails with a clear error;
 * none crashes or reports a line beyond the end. */
static void
test_truncated_files (void)
{
  g_autofree char *source = fixture_path ("embedded-newlines.csv");
  g_autofree char *contents = NULL;
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr(GError) error = NULL;
  gsize len;

  g_file_get_contents (source, &contents, &len, &error);
  g_assert_no_error (error);
  require (contents != NULL);

  for (gsize n = 0; n <= len; n++)
    {
      g_autofree char *path = test_write_file (dir, "prefix.csv", contents, (gssize)n);
      g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
      g_autoptr(DensitoTable) table = NULL;
      g_autoptr(GError) load_error = NULL;
      guint n_lines = 1;

      for (gsize i = 0; i < n; i++)
        if (contents[i] == '\n')
          n_lines++;

      table = densito_table_load (path, diags, NULL, NULL, NULL, &load_error);
      if (table == NULL)
        {
          int code = n == 0 ? DENSITO_ERROR_EMPTY : DENSITO_ERROR_NO_ID_COLUMN;

          g_assert_error (load_error, DENSITO_ERROR, code);
          /* Only a cut inside the word "ID" loses the ID column. */
          g_assert_cmpuint (n, <=, 1);
          continue;
        }
      g_assert_no_error (load_error);
      for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
        g_assert_cmpuint (densito_diagnostics_get (diags, i)->row, <=, n_lines);
      for (guint r = 0; r < densito_table_get_n_rows (table); r++)
        g_assert_cmpuint (densito_table_get_line (table, r), <=, n_lines);
    }

  test_remove_tree (dir);
}

/* Line numbers */

static void
test_embedded_newlines (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_SEX, 4, "SEX", "Q", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 7, "SPINE_TSCORE", "bad", NULL },
    { DENSITO_DIAG_BAD_DATE, 10, "SPINE_SCANDATE", "13-2019", NULL },
    { DENSITO_DIAG_BAD_RANGE, 13, "ADJUSTED_AGE", "sixty", NULL },
    { DENSITO_DIAG_BAD_LABEL, 16, "LABEL", "weird", NULL },
    { DENSITO_DIAG_BAD_LABEL, 17, "LABEL", "osteo\npenia", NULL },
    { DENSITO_DIAG_BAD_SEX, 20, "SEX", "Z", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 23, "SPINE_TSCORE", "oops", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("embedded-newlines.csv", &diags, &path);

  require_table (table);

  require_rows (table, 14);
  assert_lines (table, "2 4 5 7 8 10 11 13 14 16 17 20 21 23");

  assert_cell (table, 0, "NOTE", "first\nsecond");
  g_assert_cmpstr (densito_table_get_id (table, 2), ==, "3\n");
  assert_cell (table, 4, "SPINE_TSCORE", "\n-2.0");
  g_assert_cmpfloat (densito_table_get_number (table, 4, DENSITO_FIELD_SPINE_T), ==, -2.0);
  assert_cell (table, 6, "SPINE_SCANDATE", "05-2019\n");
  g_assert_cmpint (densito_table_get_date (table, 6, DENSITO_FIELD_SPINE_DATE), ==, ym (2019, 5));
  assert_cell (table, 8, "ADJUSTED_AGE", "60-65\n");
  assert_range (densito_table_get_range (table, 8, DENSITO_FIELD_AGE), 60, 65);
  assert_cell (table, 10, "NOTE", "a \"q\"\nword, comma");
  assert_cell (table, 10, "LABEL", "osteo\npenia");
  assert_cell (table, 12, "SEX", "F\n");
  g_assert_cmpint (densito_table_get_sex (table, 12), ==, DENSITO_SEX_FEMALE);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_embedded_newline_header (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 3, "SPINE_TSCORE", "bad", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("embedded-newline-header.csv", &diags, &path);

  require_table (table);
  require_columns (table, 3);

  g_assert_cmpstr (densito_table_get_column_name (table, 1), ==, "Free\ntext");
  assert_lines (table, "3");
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_blank_lines (void)
{
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_SEX, 7, "SEX", "Q", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 9, "SPINE_TSCORE", "xyz", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("blank-lines.csv", &diags, &path);

  require_table (table);

  /* Blank lines and ",," rows are skipped silently but still counted. */
  require_rows (table, 4);
  assert_lines (table, "2 4 7 9");
  g_assert_cmpstr (densito_table_get_id (table, 3), ==, "4");
  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* Big files are parsed by two threads, split at a line break near the
 * middle that is only a guess (it may fall inside a quoted cell). Moving
 * the middle across every line of a fixture, by padding rows before or
 * after it, must never change a line number, a cell or a diagnostic. */
static void
sweep_split (const char   *fixture,
             const char   *pad_cells,
             const Expect *expected,
             guint         n_expected,
             const char   *lines,
             guint         n_pads)
{
  g_autofree char *source = fixture_path (fixture);
  g_autofree char *contents = NULL;
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *saved = g_strdup (g_getenv ("DENSITO_PARALLEL_MIN_BYTES"));
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) base_lines = g_strsplit (lines, " ", -1);
  const char *eol;
  gsize len;
  gsize header_len;
  guint body_lines = 0;

  g_file_get_contents (source, &contents, &len, &error);
  g_assert_no_error (error);
  require (contents != NULL);

  /* The padding rows end like the fixture's lines do. */
  eol = strstr (contents, "\r\n") ? "\r\n" : strchr (contents, '\n') ? "\n" : "\r";
  header_len = (gsize)(strstr (contents, eol) - contents) + strlen (eol);
  for (const char *q = contents + header_len; (q = strstr (q, eol)) != NULL; q += strlen (eol))
    body_lines++;
  if (!g_str_has_suffix (contents, eol))
    body_lines++;

  g_setenv ("DENSITO_PARALLEL_MIN_BYTES", "0", TRUE);

  for (guint before = 0; before <= n_pads; before++)
    for (guint after = 0; after <= n_pads; after += before == 0 ? 1 : n_pads + 1)
      {
        g_autoptr(GString) text = g_string_new_len (contents, (gssize)header_len);
        g_autoptr(GString) want_lines = g_string_new (NULL);
        g_autofree Expect *shifted = g_new0 (Expect, n_expected + 1);
        g_autofree char *path = NULL;
        g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
        g_autoptr(DensitoTable) table = NULL;
        g_autofree char *got_lines = NULL;
        g_autofree char *problem = NULL;

        for (guint i = 0; i < before; i++)
          {
            g_string_append_printf (text, "pad%u,%s", i, pad_cells);
            g_string_append (text, eol);
            g_string_append_printf (want_lines, "%u ", 2 + i);
          }
        g_string_append (text, contents + header_len);
        if (!g_str_has_suffix (contents, eol))
          g_string_append (text, eol);
        for (guint i = 0; base_lines[i] != NULL; i++)
          g_string_append_printf (want_lines, "%u ",
                                  (guint)g_ascii_strtoull (base_lines[i], NULL, 10) + before);
        for (guint i = 0; i < after; i++)
          {
            g_string_append_printf (text, "pad%u,%s", before + i, pad_cells);
            g_string_append (text, eol);
            g_string_append_printf (want_lines, "%u ", 2 + before + body_lines + i);
          }
        g_string_truncate (want_lines, want_lines->len - 1);

        for (guint e = 0; e < n_expected; e++)
          {
            shifted[e] = expected[e];
            shifted[e].row += before;
          }

        path = test_write_file (dir, fixture, text->str, (gssize)text->len);
        table = load_path (path, diags);
        if (table == NULL)
          break;

        got_lines = lines_of (table);
        problem = check_diags (diags, path, shifted, n_expected);
        if (g_strcmp0 (got_lines, want_lines->str) != 0 || problem != NULL)
          {
            g_test_fail_printf ("%s with %u padding rows before and %u after:\n"
                                "  lines %s\n  want  %s\n  %s",
                                fixture, before, after, got_lines, want_lines->str,
                                problem ? problem : "diagnostics as expected");
            break;
          }
        assert_cells_valid_utf8 (table);
      }

  if (saved != NULL)
    g_setenv ("DENSITO_PARALLEL_MIN_BYTES", saved, TRUE);
  else
    g_unsetenv ("DENSITO_PARALLEL_MIN_BYTES");
  test_remove_tree (dir);
}

static void
test_split_anywhere (void)
{
  const Expect newlines[] = {
    { DENSITO_DIAG_BAD_SEX, 4, "SEX", "Q", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 7, "SPINE_TSCORE", "bad", NULL },
    { DENSITO_DIAG_BAD_DATE, 10, "SPINE_SCANDATE", "13-2019", NULL },
    { DENSITO_DIAG_BAD_RANGE, 13, "ADJUSTED_AGE", "sixty", NULL },
    { DENSITO_DIAG_BAD_LABEL, 16, "LABEL", "weird", NULL },
    { DENSITO_DIAG_BAD_LABEL, 17, "LABEL", "osteo\npenia", NULL },
    { DENSITO_DIAG_BAD_SEX, 20, "SEX", "Z", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 23, "SPINE_TSCORE", "oops", NULL },
  };
  const Expect crlf[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_SEX, 6, "SEX", "X", NULL },
  };
  const Expect cr[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 6, "SPINE_TSCORE", "zz", NULL },
  };
  const Expect blank[] = {
    { DENSITO_DIAG_BAD_NUMBER, 4, "SPINE_TSCORE", "abc", NULL },
    { DENSITO_DIAG_BAD_SEX, 7, "SEX", "Q", NULL },
    { DENSITO_DIAG_BAD_NUMBER, 9, "SPINE_TSCORE", "xyz", NULL },
  };
  const Expect dups[] = {
    { DENSITO_DIAG_DUPLICATE_ID, 4, "ID", "1", NULL },
    { DENSITO_DIAG_DUPLICATE_ID, 6, "ID", "2", NULL },
    { DENSITO_DIAG_DUPLICATE_ID, 7, "ID", "P-7", NULL },
    { DENSITO_DIAG_EMPTY_ID, 9, "ID", NULL, NULL },
    { DENSITO_DIAG_EMPTY_ID, 10, "ID", NULL, NULL },
  };

  sweep_split ("embedded-newlines.csv", "z,F,-1.0,05-2019,60-65,normal",
               newlines, G_N_ELEMENTS (newlines), "2 4 5 7 8 10 11 13 14 16 17 20 21 23", 24);
  sweep_split ("bom-crlf.csv", "-1.0,F,z", crlf, G_N_ELEMENTS (crlf), "2 4 6", 8);
  sweep_split ("cr-only.csv", "-1.0,z", cr, G_N_ELEMENTS (cr), "2 4 6", 8);
  sweep_split ("blank-lines.csv", "-1.0,F", blank, G_N_ELEMENTS (blank), "2 4 7 9", 8);
  sweep_split ("duplicate-ids.csv", "-1.0", dups, G_N_ELEMENTS (dups),
               "2 3 4 5 6 7 8 9 10", 10);
}

/* Identity */

static void
test_duplicate_ids (void)
{
  static const gboolean dup[] = { TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE };
  const Expect expected[] = {
    { DENSITO_DIAG_DUPLICATE_ID, 4, "ID", "1", "2" },
    { DENSITO_DIAG_DUPLICATE_ID, 6, "ID", "2", "3" },
    { DENSITO_DIAG_DUPLICATE_ID, 7, "ID", "P-7", "5" },
    { DENSITO_DIAG_EMPTY_ID, 9, "ID", NULL, NULL },
    { DENSITO_DIAG_EMPTY_ID, 10, "ID", NULL, NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("duplicate-ids.csv", &diags, &path);

  require_table (table);

  /* Both rows of a duplicate are kept, and marked. */
  require_rows (table, G_N_ELEMENTS (dup));
  for (guint r = 0; r < G_N_ELEMENTS (dup); r++)
    {
      g_test_message ("row %u", r);
      g_assert_cmpint (densito_table_is_duplicate (table, r), ==, dup[r]);
    }
  g_assert_cmpfloat (densito_table_get_number (table, 0, DENSITO_FIELD_SPINE_T), ==, -1.0);
  g_assert_cmpfloat (densito_table_get_number (table, 2, DENSITO_FIELD_SPINE_T), ==, -3.0);
  g_assert_cmpint (densito_table_find_id (table, "1", -1), ==, 0);
  g_assert_cmpint (densito_table_find_id (table, "P-7", -1), ==, 3);
  g_assert_cmpint (densito_table_find_id (table, "4", -1), ==, 6);
  g_assert_cmpint (densito_table_find_id (table, "5", -1), ==, -1);

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* Derived facts */

static void
test_bmi_mismatch (void)
{
  static const gboolean mismatch[] = { FALSE, TRUE, TRUE, FALSE, FALSE, FALSE };
  const Expect expected[] = {
    { DENSITO_DIAG_BMI_MISMATCH, 3, "BMI", "26.0", "24.2" },
    { DENSITO_DIAG_BMI_MISMATCH, 4, "BMI", "24.8", "24.2" },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("bmi.csv", &diags, &path);

  require_table (table);

  require_rows (table, G_N_ELEMENTS (mismatch));
  for (guint r = 0; r < G_N_ELEMENTS (mismatch); r++)
    {
      g_test_message ("row %u", r);
      g_assert_cmpint (densito_table_get_bmi_mismatch (table, r), ==, mismatch[r]);
    }
  g_assert_cmpfloat_with_epsilon (densito_table_get_bmi_computed (table, 0),
                                  70.0 / (1.7 * 1.7), 1e-4);
  g_assert_true (isnan (densito_table_get_bmi_computed (table, 4)));
  /* The stated BMI is kept as written. */
  assert_cell (table, 1, "BMI", "26.0");

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

static void
test_classification (void)
{
  static const struct {
    DensitoClass         site[DENSITO_N_SITES];
    DensitoClass         klass;
    DensitoSite          deciding;
    DensitoApplicability applicable;
    DensitoReason        reason;
    DensitoAgreement     agrees;
  } rows[] = {
    { { DENSITO_CLASS_NORMAL, DENSITO_CLASS_OSTEOPOROSIS, DENSITO_CLASS_OSTEOPENIA },
      DENSITO_CLASS_OSTEOPOROSIS, DENSITO_SITE_HIP,
      DENSITO_APPLICABLE_YES, DENSITO_REASON_NONE, DENSITO_AGREES_YES },
    { { DENSITO_CLASS_NORMAL, DENSITO_CLASS_NORMAL, DENSITO_CLASS_NORMAL },
      DENSITO_CLASS_NORMAL, DENSITO_SITE_NECK,
      DENSITO_APPLICABLE_NO, DENSITO_REASON_MALE_UNDER_50, DENSITO_AGREES_NO },
    { { DENSITO_CLASS_MISSING, DENSITO_CLASS_MISSING, DENSITO_CLASS_MISSING },
      DENSITO_CLASS_MISSING, DENSITO_SITE_NONE,
      DENSITO_APPLICABLE_YES, DENSITO_REASON_NONE, DENSITO_AGREES_UNKNOWN },
    { { DENSITO_CLASS_OSTEOPOROSIS, DENSITO_CLASS_OSTEOPOROSIS, DENSITO_CLASS_OSTEOPOROSIS },
      DENSITO_CLASS_OSTEOPOROSIS, DENSITO_SITE_NECK,
      DENSITO_APPLICABLE_UNKNOWN, DENSITO_REASON_AGE_STRADDLES_50, DENSITO_AGREES_YES },
    { { DENSITO_CLASS_OSTEOPENIA, DENSITO_CLASS_MISSING, DENSITO_CLASS_OSTEOPENIA },
      DENSITO_CLASS_OSTEOPENIA, DENSITO_SITE_SPINE,
      DENSITO_APPLICABLE_NO, DENSITO_REASON_PREMENOPAUSAL, DENSITO_AGREES_YES },
    { { DENSITO_CLASS_NORMAL, DENSITO_CLASS_NORMAL, DENSITO_CLASS_MISSING },
      DENSITO_CLASS_NORMAL, DENSITO_SITE_SPINE,
      DENSITO_APPLICABLE_UNKNOWN, DENSITO_REASON_SEX_MISSING, DENSITO_AGREES_YES },
  };
  const Expect expected[] = {
    { DENSITO_DIAG_BAD_SEX, 7, "SEX", "X", NULL },
  };
  g_autoptr(DensitoDiagnostics) diags = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DensitoTable) table = load_fixture ("classification.csv", &diags, &path);

  require_table (table);

  require_rows (table, G_N_ELEMENTS (rows));
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      DensitoSite site = 99;
      DensitoReason reason = 99;

      g_test_message ("row %u", r);
      for (DensitoSite s = DENSITO_SITE_SPINE; s < DENSITO_N_SITES; s++)
        g_assert_cmpint (densito_table_get_site_class (table, r, s), ==, rows[r].site[s]);
      g_assert_cmpint (densito_table_get_class (table, r, &site), ==, rows[r].klass);
      g_assert_cmpint (site, ==, rows[r].deciding);
      g_assert_cmpint (densito_table_get_applicability (table, r, &reason), ==, rows[r].applicable);
      g_assert_cmpint (reason, ==, rows[r].reason);
      g_assert_cmpint (densito_table_get_agreement (table, r), ==, rows[r].agrees);
    }

  assert_diags (diags, path, expected, G_N_ELEMENTS (expected));
}

/* Progress and cancellation */

static char *
write_big_table (const char *dir,
                 guint       n_rows)
{
  GString *text = g_string_new ("ID,SPINE_TSCORE,SEX,NOTE\n");
  char *path;

  for (guint i = 1; i <= n_rows; i++)
    g_string_append_printf (text, "%u,-1.%u,%c,row number %u\n", i, i % 10, i % 2 ? 'F' : 'M', i);
  path = test_write_file (dir, "big.csv", text->str, (gssize)text->len);
  g_string_free (text, TRUE);
  return path;
}

static void
collect_progress_cb (double   fraction,
                     gpointer user_data)
{
  g_array_append_val ((GArray *)user_data, fraction);
}

static void
test_progress (void)
{
  const guint n_rows = 150000;
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = write_big_table (dir, n_rows);
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(GError) error = NULL;

  table = densito_table_load (path, diags, NULL, collect_progress_cb, fractions, &error);
  g_assert_no_error (error);
  require_table (table);
  require_rows (table, n_rows);
  g_assert_cmpuint (densito_table_get_line (table, n_rows - 1), ==, n_rows + 1);

  /* The file is several blocks long: more than one report, never going
   * back, ending at 1. */
  g_assert_cmpuint (fractions->len, >=, 2);
  require (fractions->len >= 1);
  for (guint i = 0; i < fractions->len; i++)
    {
      double f = g_array_index (fractions, double, i);

      g_assert_cmpfloat (f, >=, 0.0);
      g_assert_cmpfloat (f, <=, 1.0);
      if (i > 0)
        g_assert_cmpfloat (f, >=, g_array_index (fractions, double, i - 1));
    }
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), ==, 1.0);

  /* A small file reaches 1 too, and so does one whose BOM is skipped. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *small = fixture_path (i == 0 ? "numbers.csv" : "bom-crlf.csv");
      g_autoptr(DensitoDiagnostics) small_diags = densito_diagnostics_new ();
      g_autoptr(DensitoTable) small_table = NULL;
      g_autoptr(GError) small_error = NULL;

      g_test_message ("%s", small);
      g_array_set_size (fractions, 0);
      small_table = densito_table_load (small, small_diags, NULL, collect_progress_cb, fractions,
                                        &small_error);
      g_assert_no_error (small_error);
      g_assert_cmpuint (fractions->len, >=, 1);
      require (fractions->len >= 1);
      g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), ==, 1.0);
    }

  test_remove_tree (dir);
}

static void
test_cancel_before (void)
{
  g_autofree char *path = fixture_path ("numbers.csv");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  table = densito_table_load (path, diags, cancellable, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (table);
}

typedef struct
{
  GCancellable *cancellable;
  guint         calls;
} CancelData;

static void
cancel_progress_cb (double   fraction,
                    gpointer user_data)
{
  CancelData *data = user_data;

  data->calls++;
  g_cancellable_cancel (data->cancellable);
}

static void
test_cancel_during (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = write_big_table (dir, 150000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoTable) table = NULL;
  g_autoptr(GError) error = NULL;
  CancelData data = { cancellable, 0 };

  table = densito_table_load (path, diags, cancellable, cancel_progress_cb, &data, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (table);
  /* It stopped after the first block rather than reading on. */
  g_assert_cmpuint (data.calls, ==, 1);

  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/table/fatal/unreadable", test_unreadable);
  g_test_add_func ("/table/fatal/empty-file", test_empty_file);
  g_test_add_func ("/table/fatal/no-header", test_no_header);
  g_test_add_func ("/table/fatal/no-id-column", test_no_id_column);
  g_test_add_func ("/table/header/only", test_header_only);
  g_test_add_func ("/table/header/aliases", test_header_aliases);
  g_test_add_func ("/table/header/aliases-and-extra-columns", test_aliases_and_extra_columns);
  g_test_add_func ("/table/header/problems", test_header_problems);
  g_test_add_func ("/table/values/numbers", test_numbers);
  g_test_add_func ("/table/values/ranges", test_ranges);
  g_test_add_func ("/table/values/dates", test_dates);
  g_test_add_func ("/table/values/menopause", test_menopause);
  g_test_add_func ("/table/values/sex", test_sex);
  g_test_add_func ("/table/values/labels", test_labels);
  g_test_add_func ("/table/lossless/comma", test_lossless);
  g_test_add_func ("/table/lossless/wide-numbers", test_lossless_wide_numbers);
  g_test_add_func ("/table/lossless/semicolon", test_lossless_semicolon);
  g_test_add_func ("/table/format/semicolon-decimal-comma", test_semicolon_decimal_comma);
  g_test_add_func ("/table/format/semicolon-mixed-separators", test_semicolon_mixed_separators);
  g_test_add_func ("/table/format/tab", test_tab);
  g_test_add_func ("/table/format/bom-crlf", test_bom_crlf);
  g_test_add_func ("/table/format/cr-only", test_cr_only);
  g_test_add_func ("/table/format/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/table/format/invalid-utf8-multiline-header",
                   test_invalid_utf8_multiline_header);
  g_test_add_func ("/table/format/invalid-utf8-long-field", test_invalid_utf8_long_field);
  g_test_add_func ("/table/malformed/too-few-fields", test_too_few_fields);
  g_test_add_func ("/table/malformed/too-many-fields", test_too_many_fields);
  g_test_add_func ("/table/malformed/ragged-rows", test_ragged_rows);
  g_test_add_func ("/table/malformed/empty-rows-skipped", test_empty_rows_skipped);
  g_test_add_func ("/table/malformed/unterminated-quote", test_unterminated_quote);
  g_test_add_func ("/table/malformed/unterminated-quote-column", test_unterminated_quote_column);
  g_test_add_func ("/table/malformed/long-field", test_long_field);
  g_test_add_func ("/table/malformed/binary-garbage", test_binary_garbage);
  g_test_add_func ("/table/malformed/binary-garbage-rows", test_binary_garbage_rows);
  g_test_add_func ("/table/malformed/truncated", test_truncated_files);
  g_test_add_func ("/table/lines/embedded-newlines", test_embedded_newlines);
  g_test_add_func ("/table/lines/embedded-newline-header", test_embedded_newline_header);
  g_test_add_func ("/table/lines/blank-lines", test_blank_lines);
  g_test_add_func ("/table/lines/split-anywhere", test_split_anywhere);
  g_test_add_func ("/table/lines/split-moves-second-half", test_split_moves_second_half);
  g_test_add_func ("/table/ids/duplicates", test_duplicate_ids);
  g_test_add_func ("/table/derived/bmi-mismatch", test_bmi_mismatch);
  g_test_add_func ("/table/derived/classification", test_classification);
  g_test_add_func ("/table/progress", test_progress);
  g_test_add_func ("/table/cancel/before", test_cancel_before);
  g_test_add_func ("/table/cancel/during", test_cancel_during);

  return g_test_run ();
}
