/* densito-diagnostics.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A compact list of problems found while loading. Entries hold codes and
 * interned strings; the sentence for a user is made when it is asked for,
 * so a million bad cells cost a million small structs, not a million
 * formatted messages.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "densito-diagnostics.h"

#define MAX_VALUE_BYTES 200

struct _DensitoDiagnostics
{
  GObject       parent_instance;
  GMutex        mutex;
  GArray       *items;
  GStringChunk *strings;
};

G_DEFINE_FINAL_TYPE (DensitoDiagnostics, densito_diagnostics, G_TYPE_OBJECT)

static void
densito_diagnostics_finalize (GObject *object)
{
  DensitoDiagnostics *self = DENSITO_DIAGNOSTICS (object);

  g_clear_pointer (&self->items, g_array_unref);
  g_clear_pointer (&self->strings, g_string_chunk_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (densito_diagnostics_parent_class)->finalize (object);
}

static void
densito_diagnostics_class_init (DensitoDiagnosticsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_diagnostics_finalize;
}

static void
densito_diagnostics_init (DensitoDiagnostics *self)
{
  g_mutex_init (&self->mutex);
  self->items = g_array_new (FALSE, FALSE, sizeof (DensitoDiagnostic));
  self->strings = g_string_chunk_new (4096);
}

DensitoDiagnostics *
densito_diagnostics_new (void)
{
  return g_object_new (DENSITO_TYPE_DIAGNOSTICS, NULL);
}

static const char *
intern (DensitoDiagnostics *self,
        const char         *s)
{
  return s ? g_string_chunk_insert_const (self->strings, s) : NULL;
}

/**
 * densito_diagnostics_add:
 * @value_len: length of @value, or -1 when it is NUL-terminated
 *
 * Records one problem. A value longer than 200 bytes is shortened in the
 * diagnostic only; the table keeps the whole cell. Safe to call from any
 * thread.
 */
void
densito_diagnostics_add (DensitoDiagnostics *self,
                         DensitoDiagCode     code,
                         const char         *file,
                         guint32             row,
                         const char         *column,
                         const char         *value,
                         gssize              value_len,
                         const char         *detail)
{
  DensitoDiagnostic d = { 0 };

  g_return_if_fail (DENSITO_IS_DIAGNOSTICS (self));

  g_mutex_lock (&self->mutex);

  d.code = code;
  d.row = row;
  d.file = intern (self, file);
  d.column = intern (self, column);
  d.detail = intern (self, detail);

  if (value != NULL)
    {
      gsize len = value_len < 0 ? strlen (value) : (gsize)value_len;
      gboolean shortened = len > MAX_VALUE_BYTES;
      gsize keep = MIN (len, MAX_VALUE_BYTES);
      const char *valid_end = NULL;
      g_autofree char *safe = NULL;

      /* Cut on a character boundary, and never pass invalid UTF-8 on. */
      if (!g_utf8_validate (value, (gssize)keep, &valid_end))
        {
          if (shortened && valid_end != NULL && keep - (gsize)(valid_end - value) < 4)
            keep = (gsize)(valid_end - value);
        }
      safe = g_utf8_make_valid (value, (gssize)keep);
      for (char *p = safe; *p; p++)
        if (*p == '\0')
          *p = ' ';
      if (shortened)
        {
          g_autofree char *tmp = g_strdup_printf (_("%s… (%zu bytes in all)"), safe, len);
          d.value = g_string_chunk_insert (self->strings, tmp);
        }
      else
        d.value = g_string_chunk_insert_const (self->strings, safe);
    }

  g_array_append_val (self->items, d);

  g_mutex_unlock (&self->mutex);
}

/**
 * densito_diagnostics_append:
 * @row_offset: added to the row of each diagnostic that has one
 *
 * Appends a copy of every diagnostic of @other.
 */
void
densito_diagnostics_append (DensitoDiagnostics *self,
                            DensitoDiagnostics *other,
                            guint32             row_offset)
{
  g_return_if_fail (DENSITO_IS_DIAGNOSTICS (self));

  if (other == NULL)
    return;
  for (guint i = 0; i < other->items->len; i++)
    {
      const DensitoDiagnostic *d = &g_array_index (other->items, DensitoDiagnostic, i);
      densito_diagnostics_add (self, d->code, d->file, d->row ? d->row + row_offset : 0,
                               d->column, d->value, -1, d->detail);
    }
}

guint
densito_diagnostics_get_n (DensitoDiagnostics *self)
{
  guint n;

  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (self), 0);

  g_mutex_lock (&self->mutex);
  n = self->items->len;
  g_mutex_unlock (&self->mutex);
  return n;
}

/* The returned pointer is valid until the next densito_diagnostics_add(). */
const DensitoDiagnostic *
densito_diagnostics_get (DensitoDiagnostics *self,
                         guint               i)
{
  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (self), NULL);
  g_return_val_if_fail (i < self->items->len, NULL);

  return &g_array_index (self->items, DensitoDiagnostic, i);
}

guint
densito_diagnostics_count_code (DensitoDiagnostics *self,
                                DensitoDiagCode     code)
{
  guint n = 0;

  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (g_array_index (self->items, DensitoDiagnostic, i).code == code)
      n++;
  return n;
}

const char *
densito_diag_code_to_string (DensitoDiagCode code)
{
  static const char *names[] = {
    [DENSITO_DIAG_BAD_NUMBER] = "bad-number",
    [DENSITO_DIAG_IMPLAUSIBLE] = "implausible",
    [DENSITO_DIAG_BAD_RANGE] = "bad-range",
    [DENSITO_DIAG_BAD_DATE] = "bad-date",
    [DENSITO_DIAG_BAD_SEX] = "bad-sex",
    [DENSITO_DIAG_BAD_LABEL] = "bad-label",
    [DENSITO_DIAG_BAD_MENOPAUSE] = "bad-menopause",
    [DENSITO_DIAG_INVALID_UTF8] = "invalid-utf8",
    [DENSITO_DIAG_TOO_FEW_FIELDS] = "too-few-fields",
    [DENSITO_DIAG_TOO_MANY_FIELDS] = "too-many-fields",
    [DENSITO_DIAG_EMPTY_ID] = "empty-id",
    [DENSITO_DIAG_DUPLICATE_ID] = "duplicate-id",
    [DENSITO_DIAG_DUPLICATE_COLUMN] = "duplicate-column",
    [DENSITO_DIAG_EMPTY_COLUMN_NAME] = "empty-column-name",
    [DENSITO_DIAG_UNTERMINATED_QUOTE] = "unterminated-quote",
    [DENSITO_DIAG_BMI_MISMATCH] = "bmi-mismatch",
    [DENSITO_DIAG_IMAGE_UNREADABLE] = "image-unreadable",
    [DENSITO_DIAG_IMAGE_UNLINKED] = "image-unlinked",
    [DENSITO_DIAG_PERSONAL_ID] = "possible-personal-id",
    [DENSITO_DIAG_IO] = "io",
  };

  if ((guint)code < G_N_ELEMENTS (names) && names[code] != NULL)
    return names[code];
  return "unknown";
}

/**
 * densito_diagnostic_dup_message:
 *
 * The sentence for a user, without the file and row (see
 * densito_diagnostic_dup_line() for the whole line).
 */
char *
densito_diagnostic_dup_message (const DensitoDiagnostic *d)
{
  const char *v = d->value ? d->value : "";
  const char *detail = d->detail ? d->detail : "";

  switch (d->code)
    {
    case DENSITO_DIAG_BAD_NUMBER:
      return g_strdup_printf (_("“%s” is not a number"), v);
    case DENSITO_DIAG_IMPLAUSIBLE:
      return g_strdup_printf (_("%s is outside the plausible range %s; kept as written"), v, detail);
    case DENSITO_DIAG_BAD_RANGE:
      return g_strdup_printf (_("“%s” is not a range such as 1975-1979 or 40-45"), v);
    case DENSITO_DIAG_BAD_DATE:
      return g_strdup_printf (_("“%s” is not a date (expected MM-YYYY, M/D/YYYY, YYYY-MM-DD or YYYY-MM)"), v);
    case DENSITO_DIAG_BAD_SEX:
      return g_strdup_printf (_("“%s” is not a sex (expected F or M); sex is unknown for this patient"), v);
    case DENSITO_DIAG_BAD_LABEL:
      return g_strdup_printf (_("“%s” is not a known label (Normal, Osteopenia, Osteoporosis); kept as written"), v);
    case DENSITO_DIAG_BAD_MENOPAUSE:
      return g_strdup_printf (_("“%s” is not a menopause year range nor 0"), v);
    case DENSITO_DIAG_INVALID_UTF8:
      return g_strdup_printf (_("the cell is not valid UTF-8; invalid bytes were replaced: “%s”"), v);
    case DENSITO_DIAG_TOO_FEW_FIELDS:
      return g_strdup_printf (_("the row has %s fields, fewer than the header; the missing cells are empty"), detail);
    case DENSITO_DIAG_TOO_MANY_FIELDS:
      return g_strdup_printf (_("the row has %s fields, more than the header; the extra cells are kept in extra columns"), detail);
    case DENSITO_DIAG_EMPTY_ID:
      return g_strdup (_("the patient ID is empty; the row is kept"));
    case DENSITO_DIAG_DUPLICATE_ID:
      return g_strdup_printf (_("patient ID “%s” appears more than once (also on line %s); both rows are kept and marked"), v, detail);
    case DENSITO_DIAG_DUPLICATE_COLUMN:
      return g_strdup_printf (_("column “%s” appears twice; the second one is kept as an extra column"), v);
    case DENSITO_DIAG_EMPTY_COLUMN_NAME:
      return g_strdup_printf (_("a column has no name; it is kept as “%s”"), detail);
    case DENSITO_DIAG_UNTERMINATED_QUOTE:
      return g_strdup (_("a quoted field is never closed; the rest of the file was read as that one field"));
    case DENSITO_DIAG_BMI_MISMATCH:
      return g_strdup_printf (_("stated BMI %s differs from weight / height² = %s by more than 0.5"), v, detail);
    case DENSITO_DIAG_IMAGE_UNREADABLE:
      return g_strdup_printf (_("the image cannot be read: %s"), detail);
    case DENSITO_DIAG_IMAGE_UNLINKED:
      return g_strdup (_("no patient in the table matches this image"));
    case DENSITO_DIAG_PERSONAL_ID:
      return g_strdup (_("the file name looks like a national ID number (personal data)"));
    case DENSITO_DIAG_IO:
    default:
      return g_strdup (detail);
    }
}

/* "file:row: column: message", the form used on the command line. */
char *
densito_diagnostic_dup_line (const DensitoDiagnostic *d)
{
  g_autofree char *msg = densito_diagnostic_dup_message (d);
  GString *s = g_string_new (d->file ? d->file : "");

  if (d->row > 0)
    g_string_append_printf (s, ":%u", d->row);
  g_string_append (s, ": ");
  if (d->column != NULL)
    g_string_append_printf (s, _("column %s: "), d->column);
  g_string_append (s, msg);
  return g_string_free (s, FALSE);
}
