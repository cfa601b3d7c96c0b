/* test-classify.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "densito-classify.h"

static void
test_borders (void)
{
  /* T-scores are rounded half away from zero to one decimal, then
   * classified (WHO 1994). */
  static const struct {
    double       t;
    DensitoClass expected;
    int          tenths;
  } cases[] = {
    { 0.0, DENSITO_CLASS_NORMAL, 0 },
    { -0.95, DENSITO_CLASS_NORMAL, -10 },   /* rounds to -1.0: normal */
    { -1.0, DENSITO_CLASS_NORMAL, -10 },
    { -1.04, DENSITO_CLASS_NORMAL, -10 },   /* rounds to -1.0 */
    { -1.05, DENSITO_CLASS_OSTEOPENIA, -11 }, /* rounds away from zero to -1.1 */
    { -1.1, DENSITO_CLASS_OSTEOPENIA, -11 },
    { -2.44, DENSITO_CLASS_OSTEOPENIA, -24 },
    { -2.45, DENSITO_CLASS_OSTEOPOROSIS, -25 }, /* rounds to -2.5 */
    { -2.5, DENSITO_CLASS_OSTEOPOROSIS, -25 },
    { -2.55, DENSITO_CLASS_OSTEOPOROSIS, -26 },
    { -4.0, DENSITO_CLASS_OSTEOPOROSIS, -40 },
    { 1.05, DENSITO_CLASS_NORMAL, 11 },
    { -0.949, DENSITO_CLASS_NORMAL, -9 },
    /* Absurd values from a broken table: clamped, no overflow (UBSan). */
    { -1e300, DENSITO_CLASS_OSTEOPOROSIS, -10000000 },
    { 1e300, DENSITO_CLASS_NORMAL, 10000000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("T = %g", cases[i].t);
      g_assert_cmpint (densito_tscore_tenths (cases[i].t), ==, cases[i].tenths);
      g_assert_cmpint (densito_classify_tscore (cases[i].t), ==, cases[i].expected);
    }

  g_assert_cmpint (densito_classify_tscore (NAN), ==, DENSITO_CLASS_MISSING);
}

static void
test_worst_site (void)
{
  double t1[3] = { -1.2, -2.6, -0.5 };
  double t2[3] = { NAN, NAN, -1.5 };
  double t3[3] = { NAN, NAN, NAN };
  double t4[3] = { -2.5, -2.5, -3.0 };
  double t5[3] = { -1.05, -1.1, NAN };
  DensitoSite site;

  g_assert_cmpint (densito_classify_worst (t1, &site), ==, DENSITO_CLASS_OSTEOPOROSIS);
  g_assert_cmpint (site, ==, DENSITO_SITE_HIP);
  g_assert_cmpint (densito_classify_worst (t2, &site), ==, DENSITO_CLASS_OSTEOPENIA);
  g_assert_cmpint (site, ==, DENSITO_SITE_NECK);
  g_assert_cmpint (densito_classify_worst (t3, &site), ==, DENSITO_CLASS_MISSING);
  g_assert_cmpint (site, ==, DENSITO_SITE_NONE);
  g_assert_cmpint (densito_classify_worst (t4, &site), ==, DENSITO_CLASS_OSTEOPOROSIS);
  g_assert_cmpint (site, ==, DENSITO_SITE_NECK);
  /* Both round to -1.1: the tie goes to the first site, the spine. */
  g_assert_cmpint (densito_classify_worst (t5, &site), ==, DENSITO_CLASS_OSTEOPENIA);
  g_assert_cmpint (site, ==, DENSITO_SITE_SPINE);
}

static void
test_applicability (void)
{
  DensitoRange age_40_45 = { 40, 45 };
  DensitoRange age_45_50 = { 45, 50 };
  DensitoRange age_65_70 = { 65, 70 };
  DensitoRange missing = { DENSITO_RANGE_MISSING, DENSITO_RANGE_MISSING };
  DensitoRange none = { 0, 0 };
  DensitoRange meno = { 2000, 2004 };
  DensitoReason reason;

  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_MALE, age_40_45, TRUE, none, &reason),
                   ==, DENSITO_APPLICABLE_NO);
  g_assert_cmpint (reason, ==, DENSITO_REASON_MALE_UNDER_50);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_MALE, age_65_70, TRUE, none, &reason),
                   ==, DENSITO_APPLICABLE_YES);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_MALE, age_45_50, TRUE, none, &reason),
                   ==, DENSITO_APPLICABLE_UNKNOWN);
  g_assert_cmpint (reason, ==, DENSITO_REASON_AGE_STRADDLES_50);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_MALE, missing, TRUE, none, &reason),
                   ==, DENSITO_APPLICABLE_UNKNOWN);
  g_assert_cmpint (reason, ==, DENSITO_REASON_AGE_MISSING);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_FEMALE, age_65_70, TRUE, meno, &reason),
                   ==, DENSITO_APPLICABLE_YES);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_FEMALE, age_40_45, TRUE, none, &reason),
                   ==, DENSITO_APPLICABLE_NO);
  g_assert_cmpint (reason, ==, DENSITO_REASON_PREMENOPAUSAL);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_FEMALE, age_40_45, TRUE, missing, &reason),
                   ==, DENSITO_APPLICABLE_NO);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_FEMALE, age_65_70, FALSE, missing, &reason),
                   ==, DENSITO_APPLICABLE_UNKNOWN);
  g_assert_cmpint (reason, ==, DENSITO_REASON_MENOPAUSE_MISSING);
  g_assert_cmpint (densito_classify_applicability (DENSITO_SEX_UNKNOWN, age_65_70, TRUE, meno, &reason),
                   ==, DENSITO_APPLICABLE_UNKNOWN);
  g_assert_cmpint (reason, ==, DENSITO_REASON_SEX_MISSING);
  g_assert_cmpstr (densito_reason_message (DENSITO_REASON_MALE_UNDER_50), !=, "");
}

static void
test_agreement_and_bmi (void)
{
  g_assert_cmpint (densito_classify_agreement (DENSITO_CLASS_NORMAL, DENSITO_CLASS_NORMAL), ==, DENSITO_AGREES_YES);
  g_assert_cmpint (densito_classify_agreement (DENSITO_CLASS_NORMAL, DENSITO_CLASS_OSTEOPENIA), ==, DENSITO_AGREES_NO);
  g_assert_cmpint (densito_classify_agreement (DENSITO_CLASS_NORMAL, DENSITO_CLASS_MISSING), ==, DENSITO_AGREES_UNKNOWN);
  g_assert_cmpint (densito_classify_agreement (DENSITO_CLASS_MISSING, DENSITO_CLASS_NORMAL), ==, DENSITO_AGREES_UNKNOWN);

  g_assert_cmpfloat_with_epsilon (densito_compute_bmi (70.0, 160.0), 27.34375, 1e-9);
  g_assert_true (isnan (densito_compute_bmi (70.0, 0.0)));
  g_assert_true (isnan (densito_compute_bmi (NAN, 160.0)));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/classify/borders", test_borders);
  g_test_add_func ("/classify/worst-site", test_worst_site);
  g_test_add_func ("/classify/applicability", test_applicability);
  g_test_add_func ("/classify/agreement-bmi", test_agreement_and_bmi);

  return g_test_run ();
}
