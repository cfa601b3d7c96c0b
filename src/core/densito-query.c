/* densito-query.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one filter engine of the GUI and the command line. A query is
 * terms separated by spaces, all of which must hold:
 *
 *   sex=F  class=osteoporosis  label=normal  agrees=no  applicable=no
 *   spine_t<=-2.5  hip_t>-1  neck_t  spine_bmd  hip_bmd  neck_bmd
 *   bmi>=30  weight  height  age>=65  year=2021  images>=2  images=0
 *   review=unreviewed  rois>=3  rois=0
 *   10002  (a bare word matches the patient ID by substring)
 *
 * review and rois look at each of the patient's images: review=S (and
 * rois OP N) match when any image has that state (that count); review!=S
 * matches when none has. A patient without images never matches them,
 * except review!=S. They need the sidecars' facts, which the dataset
 * holds: densito_query_filter_dataset(); without a dataset every image
 * counts as unreviewed with no ROI.
 *
 * Evaluation runs term by term over the column arrays, narrowing a list
 * of rows, so no per-row object is ever made.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "densito-dataset.h"
#include "densito-query.h"
#include "densito-table-private.h"

typedef enum
{
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
} Op;

typedef enum
{
  KEY_ID_SUBSTRING,
  KEY_SEX,
  KEY_CLASS,
  KEY_LABEL,
  KEY_AGREES,
  KEY_APPLICABLE,
  KEY_NUMBER,
  KEY_AGE,
  KEY_YEAR,
  KEY_IMAGES,
  KEY_REVIEW,
  KEY_ROIS,
} Key;

typedef struct
{
  Key           key;
  Op            op;
  DensitoField  field;   /* KEY_NUMBER */
  double        number;
  int           code;    /* enumerated keys */
  char         *text;    /* KEY_ID_SUBSTRING */
} Term;

struct _DensitoQuery
{
  char   *text;
  GArray *terms;
};

static const struct {
  const char   *name;
  Key           key;
  DensitoField  field;
} keys[] = {
  { "sex", KEY_SEX, 0 },
  { "class", KEY_CLASS, 0 },
  { "label", KEY_LABEL, 0 },
  { "agrees", KEY_AGREES, 0 },
  { "applicable", KEY_APPLICABLE, 0 },
  { "spine_t", KEY_NUMBER, DENSITO_FIELD_SPINE_T },
  { "hip_t", KEY_NUMBER, DENSITO_FIELD_HIP_T },
  { "neck_t", KEY_NUMBER, DENSITO_FIELD_NECK_T },
  { "spine_bmd", KEY_NUMBER, DENSITO_FIELD_SPINE_BMD },
  { "hip_bmd", KEY_NUMBER, DENSITO_FIELD_HIP_BMD },
  { "neck_bmd", KEY_NUMBER, DENSITO_FIELD_NECK_BMD },
  { "bmi", KEY_NUMBER, DENSITO_FIELD_BMI },
  { "weight", KEY_NUMBER, DENSITO_FIELD_WEIGHT },
  { "height", KEY_NUMBER, DENSITO_FIELD_HEIGHT },
  { "age", KEY_AGE, 0 },
  { "year", KEY_YEAR, 0 },
  { "images", KEY_IMAGES, 0 },
  { "review", KEY_REVIEW, 0 },
  { "rois", KEY_ROIS, 0 },
};

static const struct {
  const char *word;
  int         code;
} sex_words[] = {
  { "f", DENSITO_SEX_FEMALE }, { "female", DENSITO_SEX_FEMALE }, { "woman", DENSITO_SEX_FEMALE },
  { "m", DENSITO_SEX_MALE }, { "male", DENSITO_SEX_MALE }, { "man", DENSITO_SEX_MALE },
  { "unknown", DENSITO_SEX_UNKNOWN },
}, class_words[] = {
  { "normal", DENSITO_CLASS_NORMAL },
  { "osteopenia", DENSITO_CLASS_OSTEOPENIA },
  { "osteoporosis", DENSITO_CLASS_OSTEOPOROSIS },
  { "unknown", DENSITO_CLASS_MISSING },
  { "none", DENSITO_CLASS_MISSING },
}, agrees_words[] = {
  { "yes", DENSITO_AGREES_YES }, { "no", DENSITO_AGREES_NO }, { "none", DENSITO_AGREES_UNKNOWN },
}, applicable_words[] = {
  { "yes", DENSITO_APPLICABLE_YES }, { "no", DENSITO_APPLICABLE_NO },
  { "unknown", DENSITO_APPLICABLE_UNKNOWN },
}, review_words[] = {
  { "unreviewed", DENSITO_REVIEW_UNREVIEWED }, { "accepted", DENSITO_REVIEW_ACCEPTED },
  { "corrected", DENSITO_REVIEW_CORRECTED }, { "excluded", DENSITO_REVIEW_EXCLUDED },
};

static void
term_clear (gpointer data)
{
  Term *term = data;

  g_free (term->text);
}

void
densito_query_free (DensitoQuery *query)
{
  if (query == NULL)
    return;
  g_free (query->text);
  g_array_unref (query->terms);
  g_free (query);
}

static void
set_term_error (GError     **error,
                guint        index,
                gsize        column,
                const char  *term,
                const char  *why)
{
  g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_QUERY,
               _("Term %u (at character %zu) “%s”: %s"),
               index, column, term, why);
}

static gboolean
parse_op (const char **p,
          Op          *op)
{
  const char *s = *p;

  if (s[0] == '<' && s[1] == '=') { *op = OP_LE; *p += 2; }
  else if (s[0] == '>' && s[1] == '=') { *op = OP_GE; *p += 2; }
  else if (s[0] == '!' && s[1] == '=') { *op = OP_NE; *p += 2; }
  else if (s[0] == '=' && s[1] == '=') { *op = OP_EQ; *p += 2; }
  else if (s[0] == '<') { *op = OP_LT; *p += 1; }
  else if (s[0] == '>') { *op = OP_GT; *p += 1; }
  else if (s[0] == '=') { *op = OP_EQ; *p += 1; }
  else return FALSE;
  return TRUE;
}

static char *
word_list (const char *first,
           ...)
{
  GString *s = g_string_new (first);
  va_list ap;
  const char *w;

  va_start (ap, first);
  while ((w = va_arg (ap, const char *)) != NULL)
    g_string_append_printf (s, ", %s", w);
  va_end (ap);
  return g_string_free (s, FALSE);
}

static gboolean
parse_term (const char  *term_text,
            guint        index,
            gsize        column,
            Term        *term,
            GError     **error)
{
  const char *p = term_text;
  const char *key_end;
  g_autofree char *key = NULL;
  const char *value;
  gboolean found = FALSE;

  while (*p && (g_ascii_isalnum (*p) || *p == '_'))
    p++;
  key_end = p;

  if (*p == '\0')
    {
      /* A bare word: the patient ID contains it. */
      term->key = KEY_ID_SUBSTRING;
      term->text = g_strdup (term_text);
      return TRUE;
    }

  if (key_end == term_text)
    {
      set_term_error (error, index, column, term_text, _("a term starts with a name such as sex, class or spine_t"));
      return FALSE;
    }

  key = g_ascii_strdown (term_text, key_end - term_text);
  if (!parse_op (&p, &term->op))
    {
      if (strchr (term_text, '=') || strchr (term_text, '<') || strchr (term_text, '>'))
        set_term_error (error, index, column, term_text, _("the comparison is not one of =, !=, <, <=, >, >="));
      else
        {
          /* A bare word with punctuation, such as an ID "P-001". */
          term->key = KEY_ID_SUBSTRING;
          term->text = g_strdup (term_text);
          return TRUE;
        }
      return FALSE;
    }
  value = p;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strcmp (keys[i].name, key) == 0)
      {
        term->key = keys[i].key;
        term->field = keys[i].field;
        found = TRUE;
        break;
      }

  if (!found)
    {
      g_autofree char *why = g_strdup_printf (_("“%s” is not a field; use one of sex, class, label, agrees, applicable, "
                                                "spine_t, hip_t, neck_t, spine_bmd, hip_bmd, neck_bmd, bmi, weight, "
                                                "height, age, year, images, review, rois"), key);
      set_term_error (error, index, column, term_text, why);
      return FALSE;
    }

  if (*value == '\0')
    {
      set_term_error (error, index, column, term_text, _("the value after the comparison is missing"));
      return FALSE;
    }

  switch (term->key)
    {
    case KEY_SEX:
    case KEY_CLASS:
    case KEY_LABEL:
    case KEY_AGREES:
    case KEY_APPLICABLE:
    case KEY_REVIEW:
      {
        const __typeof__ (sex_words[0]) *words;
        guint n_words;
        g_autofree char *allowed = NULL;

        if (term->key == KEY_SEX)
          {
            words = sex_words;
            n_words = G_N_ELEMENTS (sex_words);
            allowed = word_list ("F", "M", "unknown", NULL);
          }
        else if (term->key == KEY_AGREES)
          {
            words = agrees_words;
            n_words = G_N_ELEMENTS (agrees_words);
            allowed = word_list ("yes", "no", "none", NULL);
          }
        else if (term->key == KEY_APPLICABLE)
          {
            words = applicable_words;
            n_words = G_N_ELEMENTS (applicable_words);
            allowed = word_list ("yes", "no", "unknown", NULL);
          }
        else if (term->key == KEY_REVIEW)
          {
            words = review_words;
            n_words = G_N_ELEMENTS (review_words);
            allowed = word_list ("unreviewed", "accepted", "corrected", "excluded", NULL);
          }
        else
          {
            words = class_words;
            n_words = G_N_ELEMENTS (class_words);
            allowed = word_list ("normal", "osteopenia", "osteoporosis", "unknown", NULL);
          }

        if (term->op != OP_EQ && term->op != OP_NE)
          {
            set_term_error (error, index, column, term_text, _("only = and != compare words"));
            return FALSE;
          }
        for (guint i = 0; i < n_words; i++)
          if (g_ascii_strcasecmp (words[i].word, value) == 0)
            {
              term->code = words[i].code;
              return TRUE;
            }
        {
          g_autofree char *why = g_strdup_printf (_("“%s” is not one of %s"), value, allowed);
          set_term_error (error, index, column, term_text, why);
        }
        return FALSE;
      }

    case KEY_NUMBER:
    case KEY_AGE:
    case KEY_YEAR:
    case KEY_IMAGES:
    case KEY_ROIS:
      {
        guint8 decimals;
        gboolean canonical;

        if (!densito_parse_number (value, strlen (value), '.', &term->number, &decimals, &canonical))
          {
            g_autofree char *why = g_strdup_printf (_("“%s” is not a number"), value);
            set_term_error (error, index, column, term_text, why);
            return FALSE;
          }
        return TRUE;
      }

    case KEY_ID_SUBSTRING:
    default:
      break;
    }
  g_return_val_if_reached (FALSE);
}

/**
 * densito_query_parse:
 *
 * Returns: (transfer full): the query, or %NULL with @error naming the
 * bad term, its number and the character it starts at
 */
DensitoQuery *
densito_query_parse (const char  *text,
                     GError     **error)
{
  g_autoptr(DensitoQuery) query = g_new0 (DensitoQuery, 1);
  const char *p;
  guint index = 0;

  g_return_val_if_fail (text != NULL, NULL);

  query->text = g_strdup (text);
  query->terms = g_array_new (FALSE, TRUE, sizeof (Term));
  g_array_set_clear_func (query->terms, term_clear);

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_QUERY, _("The query is not valid UTF-8"));
      return NULL;
    }

  p = text;
  while (*p)
    {
      const char *start;
      g_autofree char *word = NULL;
      Term term = { 0 };

      while (*p && g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        break;
      start = p;
      while (*p && !g_ascii_isspace (*p))
        p++;

      word = g_strndup (start, (gsize)(p - start));
      index++;
      if (!parse_term (word, index, (gsize)g_utf8_pointer_to_offset (text, start) + 1, &term, error))
        {
          term_clear (&term);
          return NULL;
        }
      g_array_append_val (query->terms, term);
    }

  return g_steal_pointer (&query);
}

const char *
densito_query_get_text (DensitoQuery *query)
{
  g_return_val_if_fail (query != NULL, NULL);
  return query->text;
}

guint
densito_query_get_n_terms (DensitoQuery *query)
{
  g_return_val_if_fail (query != NULL, 0);
  return query->terms->len;
}

static inline gboolean
compare (double a,
         Op     op,
         double b)
{
  switch (op)
    {
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    default: return FALSE;
    }
}

/* age OP n over an age-group range lo-hi: >= and > ask that the whole
 * range satisfies it (lo >= 65), < and <= likewise (hi < 50), = asks that
 * the range contains n. */
static inline gboolean
age_matches (DensitoRange r,
             Op           op,
             double       n)
{
  if (r.lo == DENSITO_RANGE_MISSING)
    return FALSE;
  switch (op)
    {
    case OP_GE: return r.lo >= n;
    case OP_GT: return r.lo > n;
    case OP_LE: return r.hi <= n;
    case OP_LT: return r.hi < n;
    case OP_EQ: return r.lo <= n && n <= r.hi;
    case OP_NE: return !(r.lo <= n && n <= r.hi);
    default: return FALSE;
    }
}

static const DensitoField date_fields[] = {
  DENSITO_FIELD_SPINE_DATE, DENSITO_FIELD_HIP_DATE, DENSITO_FIELD_NECK_DATE,
};

static DensitoColumn *
get_column (DensitoTable *table,
            DensitoField  field)
{
  int c = table->field_column[field];

  return c < 0 ? NULL : g_ptr_array_index (table->columns, c);
}

/* review=S, rois OP N: does any image of @row match? review!=S: does none
 * have S? Without @dataset every image is unreviewed with no ROI. */
static gboolean
annotations_match (const Term        *term,
                   DensitoImageIndex *images,
                   DensitoDataset    *dataset,
                   guint              row)
{
  const guint *idx;
  guint n = 0;

  idx = images ? densito_image_index_get_for_row (images, row, &n) : NULL;
  if (term->key == KEY_REVIEW)
    {
      gboolean any = FALSE;

      for (guint i = 0; i < n && !any; i++)
        {
          DensitoReviewStatus s = dataset ? densito_dataset_get_image_review (dataset, idx[i])
                                          : DENSITO_REVIEW_UNREVIEWED;
          any = (int)s == term->code;
        }
      return term->op == OP_EQ ? any : !any;
    }

  for (guint i = 0; i < n; i++)
    {
      guint rois = dataset ? densito_dataset_get_image_n_rois (dataset, idx[i]) : 0;
      if (compare (rois, term->op, term->number))
        return TRUE;
    }
  return FALSE;
}

/* Keeps the rows of @rows[0..n) that satisfy @term; returns the new n. */
static guint
filter_term (const Term        *term,
             DensitoTable      *table,
             DensitoImageIndex *images,
             DensitoDataset    *dataset,
             guint             *rows,
             guint              n)
{
  guint out = 0;

#define KEEP_IF(cond) \
  for (guint i = 0; i < n; i++) { guint r = rows[i]; if (cond) rows[out++] = r; }

  switch (term->key)
    {
    case KEY_ID_SUBSTRING:
      KEEP_IF (strstr (table->id_buf + table->id_off[r], term->text) != NULL);
      break;

    case KEY_SEX:
      KEEP_IF ((table->sex[r] == term->code) == (term->op == OP_EQ));
      break;

    case KEY_CLASS:
      KEEP_IF ((table->klass[r] == term->code) == (term->op == OP_EQ));
      break;

    case KEY_LABEL:
      KEEP_IF ((table->label[r] == term->code) == (term->op == OP_EQ));
      break;

    case KEY_AGREES:
      KEEP_IF ((table->agrees[r] == term->code) == (term->op == OP_EQ));
      break;

    case KEY_APPLICABLE:
      KEEP_IF ((table->applicable[r] == term->code) == (term->op == OP_EQ));
      break;

    case KEY_NUMBER:
      {
        DensitoColumn *col = get_column (table, term->field);
        double v;

        if (col == NULL || col->kind != DENSITO_KIND_NUMBER)
          return 0;
        /* Missing values (NaN) never match, not even !=. */
        KEEP_IF ((v = densito_column_number (col, r, NULL), !isnan (v) && compare (v, term->op, term->number)));
      }
      break;

    case KEY_AGE:
      {
        DensitoColumn *col = get_column (table, DENSITO_FIELD_AGE);

        if (col == NULL)
          return 0;
        KEEP_IF (age_matches (col->v.range[r], term->op, term->number));
      }
      break;

    case KEY_YEAR:
      {
        const gint32 *d[G_N_ELEMENTS (date_fields)];
        guint nd = 0;

        for (guint k = 0; k < G_N_ELEMENTS (date_fields); k++)
          {
            DensitoColumn *col = get_column (table, date_fields[k]);
            if (col != NULL)
              d[nd++] = col->v.date;
          }
        for (guint i = 0; i < n; i++)
          {
            guint r = rows[i];
            for (guint k = 0; k < nd; k++)
              if (d[k][r] != DENSITO_DATE_MISSING &&
                  compare (densito_date_year (d[k][r]), term->op, term->number))
                {
                  rows[out++] = r;
                  break;
                }
          }
      }
      break;

    case KEY_IMAGES:
      KEEP_IF (compare (images ? densito_image_index_count_for_row (images, r) : 0, term->op, term->number));
      break;

    case KEY_REVIEW:
    case KEY_ROIS:
      KEEP_IF (annotations_match (term, images, dataset, r));
      break;

    default:
      g_return_val_if_reached (0);
    }

#undef KEEP_IF

  return out;
}

static guint
filter (DensitoQuery      *query,
        DensitoTable      *table,
        DensitoImageIndex *images,
        DensitoDataset    *dataset,
        guint             *rows)
{
  guint n;

  g_return_val_if_fail (query != NULL, 0);
  g_return_val_if_fail (DENSITO_IS_TABLE (table), 0);
  g_return_val_if_fail (rows != NULL || table->n_rows == 0, 0);

  n = table->n_rows;
  for (guint i = 0; i < n; i++)
    rows[i] = i;

  for (guint t = 0; t < query->terms->len && n > 0; t++)
    n = filter_term (&g_array_index (query->terms, Term, t), table, images, dataset, rows, n);

  return n;
}

static gboolean
matches (DensitoQuery      *query,
         DensitoTable      *table,
         DensitoImageIndex *images,
         DensitoDataset    *dataset,
         guint              row)
{
  guint r = row;

  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (DENSITO_IS_TABLE (table), FALSE);
  g_return_val_if_fail (row < table->n_rows, FALSE);

  for (guint t = 0; t < query->terms->len; t++)
    if (filter_term (&g_array_index (query->terms, Term, t), table, images, dataset, &r, 1) == 0)
      return FALSE;
  return TRUE;
}

/**
 * densito_query_filter:
 * @images: (nullable): the dataset's images, for the images term
 * @rows: (out caller-allocates) (array): room for every row of @table
 *
 * Without the dataset, review and rois terms see every image unreviewed
 * and without ROIs; densito_query_filter_dataset() knows the sidecars.
 *
 * Returns: the number of matching rows written to @rows, in table order
 */
guint
densito_query_filter (DensitoQuery      *query,
                      DensitoTable      *table,
                      DensitoImageIndex *images,
                      guint             *rows)
{
  return filter (query, table, images, NULL, rows);
}

gboolean
densito_query_matches (DensitoQuery      *query,
                       DensitoTable      *table,
                       DensitoImageIndex *images,
                       guint              row)
{
  return matches (query, table, images, NULL, row);
}

/**
 * densito_query_pending_field:
 * @text: a query as typed so far
 *
 * While a term is being typed, its first letters ("s", "spi") are a bare
 * word, which matches patient IDs, and usually none: the list would empty
 * at each keystroke and come back at the next. This says when that is so:
 * the last word of @text (no space after it) is the start of one or more
 * field names and no patient ID in @table contains it.
 *
 * Returns: (transfer full) (nullable): those field names ("sex, spine_t,
 *   spine_bmd"), or %NULL
 */
char *
densito_query_pending_field (const char   *text,
                             DensitoTable *table)
{
  const char *word;
  gsize len;
  g_autoptr(GString) names = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (DENSITO_IS_TABLE (table), NULL);

  len = strlen (text);
  if (len == 0 || g_ascii_isspace (text[len - 1]))
    return NULL;
  word = text + len;
  while (word > text && !g_ascii_isspace (word[-1]))
    word--;
  len = strlen (word);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalpha (word[i]) && word[i] != '_')
      return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_ascii_strncasecmp (keys[i].name, word, len) == 0)
      {
        if (names == NULL)
          names = g_string_new (NULL);
        else
          g_string_append (names, ", ");
        g_string_append (names, keys[i].name);
      }
  if (names == NULL)
    return NULL;

  for (guint r = 0; r < table->n_rows; r++)
    if (strstr (table->id_buf + table->id_off[r], word) != NULL)
      return NULL;
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/**
 * densito_query_filter_dataset:
 * @rows: (out caller-allocates) (array): room for every row of the table
 *
 * Filters the dataset's table, with its images and their sidecars' review
 * states and ROI counts.
 */
guint
densito_query_filter_dataset (DensitoQuery   *query,
                              DensitoDataset *dataset,
                              guint          *rows)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), 0);
  return filter (query, densito_dataset_get_table (dataset), densito_dataset_get_images (dataset),
                 dataset, rows);
}

gboolean
densito_query_matches_dataset (DensitoQuery   *query,
                               DensitoDataset *dataset,
                               guint           row)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), FALSE);
  return matches (query, densito_dataset_get_table (dataset), densito_dataset_get_images (dataset),
                  dataset, row);
}

/* Whether the result depends on the sidecars (review, rois), so that a
 * save can change it. */
gboolean
densito_query_uses_annotations (DensitoQuery *query)
{
  g_return_val_if_fail (query != NULL, FALSE);

  for (guint t = 0; t < query->terms->len; t++)
    {
      Key key = g_array_index (query->terms, Term, t).key;
      if (key == KEY_REVIEW || key == KEY_ROIS)
        return TRUE;
    }
  return FALSE;
}
