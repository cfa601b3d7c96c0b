/* test-values.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "densito-values.h"

static gboolean
number (const char *s,
        char        sep,
        double     *v,
        guint8     *dec,
        gboolean   *canonical)
{
  return densito_parse_number (s, strlen (s), sep, v, dec, canonical);
}

static void
test_numbers (void)
{
  static const struct {
    const char *text;
    char        sep;
    gboolean    ok;
    double      value;
    guint8      decimals;
    gboolean    canonical;
  } cases[] = {
    { "0.837", '.', TRUE, 0.837, 3, TRUE },
    { "-2.5", '.', TRUE, -2.5, 1, TRUE },
    { "-1.90", '.', TRUE, -1.9, 2, TRUE },
    { "70", '.', TRUE, 70, 0, TRUE },
    { "0", '.', TRUE, 0, 0, TRUE },
    { "+1.5", '.', TRUE, 1.5, 1, FALSE },
    { " 0.837", '.', TRUE, 0.837, 3, FALSE },
    { "00.5", '.', TRUE, 0.5, 1, FALSE },
    { ".5", '.', TRUE, 0.5, 1, FALSE },
    { "5.", '.', TRUE, 5, 0, FALSE },
    { "1e-1", '.', TRUE, 0.1, 1, FALSE },
    { "-0,5", ',', TRUE, -0.5, 1, TRUE },
    { "-0.5", ',', TRUE, -0.5, 1, FALSE },
    { "1,5", '.', FALSE, 0, 0, FALSE },
    { "NaN", '.', FALSE, 0, 0, FALSE },
    { "inf", '.', FALSE, 0, 0, FALSE },
    { "-inf", '.', FALSE, 0, 0, FALSE },
    { "1e999", '.', FALSE, 0, 0, FALSE },
    { "abc", '.', FALSE, 0, 0, FALSE },
    { "-2,x", '.', FALSE, 0, 0, FALSE },
    { "-", '.', FALSE, 0, 0, FALSE },
    { "", '.', FALSE, 0, 0, FALSE },
    { "0x10", '.', FALSE, 0, 0, FALSE },
    { "12345678901234567890", '.', TRUE, 12345678901234567890.0, 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double v = -99;
      guint8 dec = 99;
      gboolean canonical = TRUE;
      gboolean ok = number (cases[i].text, cases[i].sep, &v, &dec, &canonical);

      g_test_message ("“%s”", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        continue;
      g_assert_cmpfloat (v, ==, cases[i].value);
      g_assert_cmpint (dec, ==, cases[i].decimals);
      g_assert_cmpint (canonical, ==, cases[i].canonical);
    }
}

/* The fast path must give exactly what strtod gives. */
static void
test_numbers_match_strtod (void)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < 100000; i++)
    {
      char text[32];
      double v, expected;
      guint8 dec;
      gboolean canonical;
      int decimals = g_rand_int_range (rand, 0, 7);
      double x = g_rand_double_range (rand, -1000, 1000);

      g_snprintf (text, sizeof text, "%.*f", decimals, x);
      g_assert_true (number (text, '.', &v, &dec, &canonical));
      expected = g_ascii_strtod (text, NULL);
      g_assert_cmpfloat (v, ==, expected);

      /* And print back exactly. */
      if (canonical)
        {
          char back[64];
          densito_format_number (back, sizeof back, v, dec, '.');
          g_assert_cmpstr (back, ==, text);
        }
    }
  g_rand_free (rand);
}

static void
test_format_number (void)
{
  char buf[64];

  densito_format_number (buf, sizeof buf, -1.9, 2, '.');
  g_assert_cmpstr (buf, ==, "-1.90");
  densito_format_number (buf, sizeof buf, 0.5, 3, ',');
  g_assert_cmpstr (buf, ==, "0,500");
  densito_format_number (buf, sizeof buf, 70, 0, '.');
  g_assert_cmpstr (buf, ==, "70");
  densito_format_number (buf, sizeof buf, -0.05, 2, '.');
  g_assert_cmpstr (buf, ==, "-0.05");
  densito_format_number (buf, sizeof buf, NAN, 2, '.');
  g_assert_cmpstr (buf, ==, "");
}

static void
test_ranges (void)
{
  static const struct {
    const char *text;
    gboolean    ok;
    int         lo, hi;
    gboolean    canonical;
  } cases[] = {
    { "1975-1979", TRUE, 1975, 1979, TRUE },
    { "40-45", TRUE, 40, 45, TRUE },
    { "67", TRUE, 67, 67, TRUE },
    { "40 - 45", TRUE, 40, 45, FALSE },
    { "40\xe2\x80\x93" "45", TRUE, 40, 45, FALSE },
    { "80+", TRUE, 80, 150, FALSE },
    { "45-40", FALSE, 0, 0, FALSE },
    { "forty", FALSE, 0, 0, FALSE },
    { "40-", FALSE, 0, 0, FALSE },
    { "-45", FALSE, 0, 0, FALSE },
    { "1975-1979-1980", FALSE, 0, 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      DensitoRange r = { 0, 0 };
      gboolean canonical = TRUE;
      gboolean ok = densito_parse_range (cases[i].text, strlen (cases[i].text), &r, &canonical);

      g_test_message ("“%s”", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        continue;
      g_assert_cmpint (r.lo, ==, cases[i].lo);
      g_assert_cmpint (r.hi, ==, cases[i].hi);
      g_assert_cmpint (canonical, ==, cases[i].canonical);
    }
}

static void
test_menopause (void)
{
  const char *none[] = { "0", "na", "NA", "n/a", "none", "None", "not applicable", "Not Applicable", "-" };
  DensitoRange r;
  gboolean canonical;

  for (guint i = 0; i < G_N_ELEMENTS (none); i++)
    {
      g_assert_true (densito_parse_menopause (none[i], strlen (none[i]), &r, &canonical));
      g_assert_cmpint (r.lo, ==, 0);
      g_assert_cmpint (r.hi, ==, 0);
      g_assert_cmpint (canonical, ==, i == 0);
    }
  g_assert_true (densito_parse_menopause ("2000-2004", 9, &r, &canonical));
  g_assert_cmpint (r.lo, ==, 2000);
  g_assert_cmpint (r.hi, ==, 2004);
  g_assert_true (canonical);
  g_assert_false (densito_parse_menopause ("yes", 3, &r, &canonical));
}

static void
test_dates (void)
{
  static const struct {
    const char *text;
    gboolean    ok;
    int         year, month;
    gboolean    canonical;
  } cases[] = {
    { "05-2019", TRUE, 2019, 5, TRUE },
    { "5-2019", TRUE, 2019, 5, FALSE },
    { "12/31/2020", TRUE, 2020, 12, FALSE },
    { "1/2/2021", TRUE, 2021, 1, FALSE },
    { "2022-01-15", TRUE, 2022, 1, FALSE },
    { "2022-11", TRUE, 2022, 11, FALSE },
    { "13-2019", FALSE, 0, 0, FALSE },
    { "00-2019", FALSE, 0, 0, FALSE },
    { "2022-13", FALSE, 0, 0, FALSE },
    { "2/30x/2020", FALSE, 0, 0, FALSE },
    { "yesterday", FALSE, 0, 0, FALSE },
    { "05-19", FALSE, 0, 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint32 d = 0;
      gboolean canonical = TRUE;
      gboolean ok = densito_parse_date (cases[i].text, strlen (cases[i].text), &d, &canonical);

      g_test_message ("“%s”", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        continue;
      g_assert_cmpint (densito_date_year (d), ==, cases[i].year);
      g_assert_cmpint (densito_date_month (d), ==, cases[i].month);
      g_assert_cmpint (canonical, ==, cases[i].canonical);
    }
}

static void
test_sex_and_label (void)
{
  const char *female[] = { "F", "f", "female", "FEMALE", "Woman", " F " };
  const char *male[] = { "M", "m", "Male", "man", "MAN" };
  const char *bad[] = { "X", "", "fem", "2", "women" };
  DensitoSex sex;
  DensitoClass label;
  gboolean canonical;

  for (guint i = 0; i < G_N_ELEMENTS (female); i++)
    {
      g_assert_true (densito_parse_sex (female[i], strlen (female[i]), &sex, &canonical));
      g_assert_cmpint (sex, ==, DENSITO_SEX_FEMALE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (male); i++)
    {
      g_assert_true (densito_parse_sex (male[i], strlen (male[i]), &sex, &canonical));
      g_assert_cmpint (sex, ==, DENSITO_SEX_MALE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (densito_parse_sex (bad[i], strlen (bad[i]), &sex, &canonical));
      g_assert_cmpint (sex, ==, DENSITO_SEX_UNKNOWN);
    }

  g_assert_true (densito_parse_label ("Normal", 6, &label));
  g_assert_cmpint (label, ==, DENSITO_CLASS_NORMAL);
  g_assert_true (densito_parse_label ("osteoporosis", 12, &label));
  g_assert_cmpint (label, ==, DENSITO_CLASS_OSTEOPOROSIS);
  g_assert_true (densito_parse_label ("OSTEOPENIA", 10, &label));
  g_assert_cmpint (label, ==, DENSITO_CLASS_OSTEOPENIA);
  g_assert_true (densito_parse_label ("Low bone mass", 13, &label));
  g_assert_cmpint (label, ==, DENSITO_CLASS_OSTEOPENIA);
  g_assert_false (densito_parse_label ("sick", 4, &label));
  g_assert_cmpint (label, ==, DENSITO_CLASS_MISSING);
}

static void
test_national_code (void)
{
  /* Check digits computed by hand: 001234567x: s = 0*10+0*9+1*8+2*7+3*6+4*5+5*4+6*3+7*2 = 112,
   * 112 % 11 = 2, check = 11 - 2 = 9. */
  g_assert_true (densito_national_code_valid ("0012345679"));
  g_assert_false (densito_national_code_valid ("0012345678"));
  /* r < 2: 1000000001? s = 1*10 = 10, 10 % 11 = 10 -> check 1. */
  g_assert_true (densito_national_code_valid ("1000000001"));
  g_assert_false (densito_national_code_valid ("1000000000"));
  /* r = 0: 0000110000: s = 1*6 + 1*5 = 11, r = 0, check 0. */
  g_assert_true (densito_national_code_valid ("0000110000"));
  g_assert_false (densito_national_code_valid ("0000110001"));
  g_assert_false (densito_national_code_valid ("1111111111"));
  g_assert_false (densito_national_code_valid ("12345"));
  g_assert_false (densito_national_code_valid ("00123456790"));
  g_assert_false (densito_national_code_valid ("00123a5679"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/values/numbers", test_numbers);
  g_test_add_func ("/values/numbers-match-strtod", test_numbers_match_strtod);
  g_test_add_func ("/values/format-number", test_format_number);
  g_test_add_func ("/values/ranges", test_ranges);
  g_test_add_func ("/values/menopause", test_menopause);
  g_test_add_func ("/values/dates", test_dates);
  g_test_add_func ("/values/sex-label", test_sex_and_label);
  g_test_add_func ("/values/national-code", test_national_code);

  return g_test_run ();
}
