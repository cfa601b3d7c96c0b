/* densito-values.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cell parsers. Each reports whether the text is in the canonical form
 * that the matching formatter writes back; the table keeps the raw text
 * of every other cell, so nothing a user typed is ever lost.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "densito-values.h"

static const double pow10_table[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define MANTISSA_EXACT_LIMIT (G_GUINT64_CONSTANT (1) << 53)

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void
trim (const char **s,
      gsize       *len)
{
  while (*len > 0 && is_space ((*s)[0]))
    {
      (*s)++;
      (*len)--;
    }
  while (*len > 0 && is_space ((*s)[*len - 1]))
    (*len)--;
}

static gboolean
equal_nocase (const char *s,
              gsize       len,
              const char *word)
{
  gsize wlen = strlen (word);

  return wlen == len && g_ascii_strncasecmp (s, word, len) == 0;
}

/* Slow path for exponents and other forms: a NUL-terminated copy through
 * g_ascii_strtod, which ignores the locale. */
static gboolean
parse_number_slow (const char *s,
                   gsize       len,
                   char        decimal_sep,
                   double     *value,
                   guint8     *decimals)
{
  char buf[64];
  char *end = NULL;
  double v;

  if (len == 0 || len >= sizeof buf)
    return FALSE;

  memcpy (buf, s, len);
  buf[len] = '\0';
  if (decimal_sep != '.')
    for (gsize i = 0; i < len; i++)
      if (buf[i] == decimal_sep)
        buf[i] = '.';

  /* g_ascii_strtod accepts "nan", "inf" and hex; none is a measurement. */
  for (gsize i = 0; i < len; i++)
    if (!(g_ascii_isdigit (buf[i]) || buf[i] == '.' || buf[i] == '-' ||
          buf[i] == '+' || buf[i] == 'e' || buf[i] == 'E'))
      return FALSE;

  v = g_ascii_strtod (buf, &end);
  if (end == buf || *end != '\0' || !isfinite (v))
    return FALSE;

  *value = v;
  *decimals = 0;
  for (guint d = 0; d <= 10; d++)
    {
      double scaled = v * pow10_table[d];
      if (fabs (scaled - nearbyint (scaled)) < 1e-6 * fmax (1.0, fabs (scaled)))
        {
          *decimals = d;
          break;
        }
      *decimals = d;
    }
  return TRUE;
}

/**
 * densito_parse_number:
 * @decimal_sep: '.' or ','; '.' is always accepted, and a number is
 *   canonical only when it uses @decimal_sep
 *
 * Parses a decimal number. Returns %FALSE for text that is not a finite
 * number; NaN and infinity are not measurements and are refused too. The
 * fast path builds the value from an integer mantissa divided by a power
 * of ten, which is correctly rounded, so it equals what strtod gives.
 */
gboolean
densito_parse_number (const char *s,
                      gsize       len,
                      char        decimal_sep,
                      double     *value,
                      guint8     *decimals,
                      gboolean   *canonical)
{
  const char *p;
  const char *end;
  const char *int_start;
  guint64 mantissa = 0;
  gboolean neg = FALSE;
  gboolean canon = TRUE;
  guint n_int = 0;
  guint n_frac = 0;
  gsize orig_len = len;

  trim (&s, &len);
  if (len != orig_len)
    canon = FALSE;
  if (len == 0)
    return FALSE;

  p = s;
  end = s + len;

  if (*p == '-' || *p == '+')
    {
      neg = *p == '-';
      if (*p == '+')
        canon = FALSE;
      p++;
    }

  int_start = p;
  while (p < end && *p >= '0' && *p <= '9')
    {
      mantissa = mantissa * 10 + (guint64)(*p - '0');
      n_int++;
      p++;
      if (mantissa >= MANTISSA_EXACT_LIMIT)
        goto slow;
    }
  if (n_int > 1 && *int_start == '0')
    canon = FALSE;
  if (n_int == 0)
    canon = FALSE;

  if (p < end && (*p == '.' || *p == decimal_sep))
    {
      if (*p != decimal_sep)
        canon = FALSE;
      p++;
      while (p < end && *p >= '0' && *p <= '9')
        {
          mantissa = mantissa * 10 + (guint64)(*p - '0');
          n_frac++;
          p++;
          if (mantissa >= MANTISSA_EXACT_LIMIT || n_frac >= G_N_ELEMENTS (pow10_table))
            goto slow;
        }
      if (n_frac == 0)
        canon = FALSE;
    }

  if (p != end)
    goto slow;
  if (n_int == 0 && n_frac == 0)
    return FALSE;

  *value = (double)mantissa / pow10_table[n_frac];
  if (neg)
    *value = -*value;
  *decimals = (guint8)n_frac;
  *canonical = canon;
  return TRUE;

slow:
  *canonical = FALSE;
  return parse_number_slow (s, len, decimal_sep, value, decimals);
}

/* Writes the canonical text of a number with @decimals digits after the
 * separator, independent of the locale. Returns the length written. */
gsize
densito_format_number (char   *buf,
                       gsize   size,
                       double  value,
                       guint8  decimals,
                       char    decimal_sep)
{
  char tmp[48];
  guint64 mantissa;
  gsize n = 0;
  gsize out = 0;
  double scaled;

  g_return_val_if_fail (size >= 2, 0);

  if (!isfinite (value))
    {
      buf[0] = '\0';
      return 0;
    }

  scaled = fabs (value) * (decimals < G_N_ELEMENTS (pow10_table) ? pow10_table[decimals] : 1e22);
  if (decimals >= G_N_ELEMENTS (pow10_table) || scaled >= (double)MANTISSA_EXACT_LIMIT)
    {
      char fmt[16];
      g_snprintf (fmt, sizeof fmt, "%%.%uf", (guint)MIN (decimals, 20));
      g_ascii_formatd (buf, (int)size, fmt, value);
      return strlen (buf);
    }

  mantissa = (guint64)llround (scaled);
  do
    {
      tmp[n++] = (char)('0' + mantissa % 10);
      mantissa /= 10;
    }
  while (mantissa > 0 || n <= decimals);

  if (signbit (value) && out + 1 < size)
    buf[out++] = '-';
  while (n > 0 && out + 1 < size)
    {
      if (n == decimals && decimals > 0)
        {
          buf[out++] = decimal_sep;
          if (out + 1 >= size)
            break;
        }
      buf[out++] = tmp[--n];
    }
  buf[out] = '\0';
  return out;
}

static gboolean
parse_int (const char **p,
           const char  *end,
           int         *out,
           guint       *n_digits)
{
  int v = 0;
  guint n = 0;

  while (*p < end && **p >= '0' && **p <= '9' && n < 6)
    {
      v = v * 10 + (**p - '0');
      (*p)++;
      n++;
    }
  if (n == 0 || (*p < end && **p >= '0' && **p <= '9'))
    return FALSE;
  *out = v;
  if (n_digits)
    *n_digits = n;
  return TRUE;
}

static void
skip_spaces (const char **p,
             const char  *end,
             gboolean    *canonical)
{
  while (*p < end && **p == ' ')
    {
      (*p)++;
      *canonical = FALSE;
    }
}

/**
 * densito_parse_range:
 *
 * Accepts "1975-1979", "40-45", "40 - 45", "40–45" (en dash), "40_45",
 * a single number "67", and an open range "80+" (upper end 150).
 */
gboolean
densito_parse_range (const char   *s,
                     gsize         len,
                     DensitoRange *range,
                     gboolean     *canonical)
{
  const char *p;
  const char *end;
  int lo, hi;
  guint nd;
  gboolean canon = TRUE;
  gsize orig_len = len;

  trim (&s, &len);
  if (len != orig_len)
    canon = FALSE;
  if (len == 0)
    return FALSE;

  p = s;
  end = s + len;
  if (!parse_int (&p, end, &lo, &nd) || (nd > 1 && *s == '0'))
    return FALSE;

  skip_spaces (&p, end, &canon);
  if (p == end)
    {
      hi = lo;
    }
  else if (*p == '+' && p + 1 == end)
    {
      hi = 150;
      canon = FALSE;
    }
  else
    {
      if (*p == '-')
        p++;
      else if (*p == '_')
        {
          p++;
          canon = FALSE;
        }
      else if (end - p >= 3 && memcmp (p, "\xe2\x80\x93", 3) == 0)
        {
          p += 3;
          canon = FALSE;
        }
      else
        return FALSE;
      skip_spaces (&p, end, &canon);
      if (!parse_int (&p, end, &hi, NULL) || p != end)
        return FALSE;
    }

  if (lo > hi || hi > 3000)
    return FALSE;

  range->lo = (gint16)lo;
  range->hi = (gint16)hi;
  *canonical = canon;
  return TRUE;
}

gsize
densito_format_range (char         *buf,
                      gsize         size,
                      DensitoRange  range)
{
  if (range.lo == DENSITO_RANGE_MISSING)
    {
      buf[0] = '\0';
      return 0;
    }
  if (range.lo == range.hi)
    return (gsize)g_snprintf (buf, size, "%d", range.lo);
  return (gsize)g_snprintf (buf, size, "%d-%d", range.lo, range.hi);
}

/**
 * densito_parse_menopause:
 *
 * "0", "na", "n/a", "none", "not applicable", "-" mean there was no
 * menopause (range 0-0). Anything else must be a range. An empty cell is
 * left to the caller: it is missing, which the classifier reads as none.
 */
gboolean
densito_parse_menopause (const char   *s,
                         gsize         len,
                         DensitoRange *range,
                         gboolean     *canonical)
{
  static const char *none_words[] = { "na", "n/a", "none", "not applicable", "-", "no" };
  gsize orig_len = len;

  trim (&s, &len);
  if (len == 1 && s[0] == '0')
    {
      range->lo = range->hi = 0;
      *canonical = len == orig_len;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (none_words); i++)
    if (equal_nocase (s, len, none_words[i]))
      {
        range->lo = range->hi = 0;
        *canonical = FALSE;
        return TRUE;
      }

  if (!densito_parse_range (s, len, range, canonical))
    return FALSE;
  if (len != orig_len)
    *canonical = FALSE;
  return TRUE;
}

static gboolean
valid_ym (int year,
          int month)
{
  return year >= 1900 && year <= 2100 && month >= 1 && month <= 12;
}

/**
 * densito_parse_date:
 *
 * Accepts MM-YYYY (canonical), M-YYYY, MM/YYYY, M/D/YYYY, YYYY-MM-DD and
 * YYYY-MM. Only the month is kept; the raw text of non-canonical cells is
 * kept by the table.
 */
gboolean
densito_parse_date (const char *s,
                    gsize       len,
                    gint32     *date,
                    gboolean   *canonical)
{
  const char *p;
  const char *end;
  int a, b, c;
  guint na, nb, nc;
  char sep;
  gboolean canon = TRUE;
  gsize orig_len = len;

  trim (&s, &len);
  if (len != orig_len)
    canon = FALSE;
  if (len == 0)
    return FALSE;

  p = s;
  end = s + len;
  if (!parse_int (&p, end, &a, &na) || p == end)
    return FALSE;
  sep = *p++;
  if (sep != '-' && sep != '/' && sep != '.')
    return FALSE;
  if (!parse_int (&p, end, &b, &nb))
    return FALSE;

  if (p == end)
    {
      if (na == 4)
        {
          /* YYYY-MM */
          if (!valid_ym (a, b))
            return FALSE;
          *date = a * 12 + b - 1;
          *canonical = FALSE;
          return TRUE;
        }
      /* MM-YYYY */
      if (nb != 4 || !valid_ym (b, a))
        return FALSE;
      if (na != 2 || sep != '-')
        canon = FALSE;
      *date = b * 12 + a - 1;
      *canonical = canon;
      return TRUE;
    }

  if (*p++ != sep || !parse_int (&p, end, &c, &nc) || p != end)
    return FALSE;

  if (na == 4)
    {
      /* YYYY-MM-DD */
      if (!valid_ym (a, b) || c < 1 || c > 31)
        return FALSE;
      *date = a * 12 + b - 1;
    }
  else
    {
      /* M/D/YYYY */
      if (nc != 4 || !valid_ym (c, a) || b < 1 || b > 31)
        return FALSE;
      *date = c * 12 + a - 1;
    }
  *canonical = FALSE;
  return TRUE;
}

gsize
densito_format_date (char   *buf,
                     gsize   size,
                     gint32  date)
{
  if (date == DENSITO_DATE_MISSING)
    {
      buf[0] = '\0';
      return 0;
    }
  return (gsize)g_snprintf (buf, size, "%02d-%04d", densito_date_month (date), densito_date_year (date));
}

gboolean
densito_parse_sex (const char *s,
                   gsize       len,
                   DensitoSex *sex,
                   gboolean   *canonical)
{
  gsize orig_len = len;

  trim (&s, &len);
  *canonical = len == orig_len && len == 1 && (s[0] == 'F' || s[0] == 'M');
  if (equal_nocase (s, len, "f") || equal_nocase (s, len, "female") || equal_nocase (s, len, "woman"))
    {
      *sex = DENSITO_SEX_FEMALE;
      return TRUE;
    }
  if (equal_nocase (s, len, "m") || equal_nocase (s, len, "male") || equal_nocase (s, len, "man"))
    {
      *sex = DENSITO_SEX_MALE;
      return TRUE;
    }
  *sex = DENSITO_SEX_UNKNOWN;
  return FALSE;
}

gboolean
densito_parse_label (const char   *s,
                     gsize         len,
                     DensitoClass *label)
{
  static const struct {
    const char *text;
    DensitoClass klass;
  } words[] = {
    { "normal", DENSITO_CLASS_NORMAL },
    { "osteopenia", DENSITO_CLASS_OSTEOPENIA },
    { "osteopenic", DENSITO_CLASS_OSTEOPENIA },
    { "low bone mass", DENSITO_CLASS_OSTEOPENIA },
    { "osteoporosis", DENSITO_CLASS_OSTEOPOROSIS },
    { "osteoporotic", DENSITO_CLASS_OSTEOPOROSIS },
  };

  trim (&s, &len);
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (equal_nocase (s, len, words[i].text))
      {
        *label = words[i].klass;
        return TRUE;
      }
  *label = DENSITO_CLASS_MISSING;
  return FALSE;
}

/**
 * densito_national_code_valid:
 *
 * The Iranian national code: ten digits, the last a check digit. With
 * s = sum of digit[i] * (10 - i) over the first nine and r = s mod 11, the
 * check digit is r when r < 2 and 11 - r otherwise. Codes of one repeated
 * digit are not issued.
 */
gboolean
densito_national_code_valid (const char *s)
{
  int sum = 0;
  int r;
  gboolean all_same = TRUE;

  g_return_val_if_fail (s != NULL, FALSE);

  for (guint i = 0; i < 10; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      if (s[i] != s[0])
        all_same = FALSE;
    }
  if (s[10] != '\0' || all_same)
    return FALSE;

  for (guint i = 0; i < 9; i++)
    sum += (s[i] - '0') * (int)(10 - i);
  r = sum % 11;
  return (s[9] - '0') == (r < 2 ? r : 11 - r);
}
