/* densito-classify.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sources for the rules below:
 *  - WHO Study Group, "Assessment of fracture risk and its application to
 *    screening for postmenopausal osteoporosis", WHO Technical Report
 *    Series 843 (1994): T >= -1.0 normal, -2.5 < T < -1.0 osteopenia (low
 *    bone mass), T <= -2.5 osteoporosis.
 *  - ISCD Official Positions (Adult): diagnose from the lowest T-score of
 *    lumbar spine, total hip and femoral neck; T-score categories apply to
 *    postmenopausal women and men aged 50 and over; premenopausal women
 *    and men under 50 need Z-scores instead.
 * Clinics report T to one decimal and classify the rounded value, so we
 * round half away from zero to tenths before comparing.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "densito-classify.h"

/* T-scores are read from decimal text, so the double may sit just beside
 * the decimal value (-1.05 is -1.0500000000000000444). Going through an
 * integer number of millionths first recovers the decimal digits exactly
 * for every input of up to six decimals, and the rounding to tenths is
 * then done in integers. */
int
densito_tscore_tenths (double t)
{
  gint64 micro;
  gint64 mag;

  g_return_val_if_fail (isfinite (t), 0);

  /* A T-score beyond +-1,000,000 is nonsense that the table already
   * reports; clamp so that the conversion below stays within gint64
   * (converting an out-of-range double is undefined behaviour). */
  t = CLAMP (t, -1e6, 1e6);

  /* Round half away from zero; a cast truncates toward zero. */
  micro = (gint64)(t * 1e6 + (t < 0 ? -0.5 : 0.5));
  mag = micro < 0 ? -micro : micro;
  mag = (mag + 50000) / 100000;
  return (int)(micro < 0 ? -mag : mag);
}

DensitoClass
densito_classify_tscore (double t)
{
  int tenths;

  if (!isfinite (t))
    return DENSITO_CLASS_MISSING;

  tenths = densito_tscore_tenths (t);
  if (tenths <= -25)
    return DENSITO_CLASS_OSTEOPOROSIS;
  if (tenths < -10)
    return DENSITO_CLASS_OSTEOPENIA;
  return DENSITO_CLASS_NORMAL;
}

DensitoClass
densito_classify_worst (const double  t[DENSITO_N_SITES],
                        DensitoSite  *deciding_site)
{
  DensitoClass worst = DENSITO_CLASS_MISSING;
  DensitoSite site = DENSITO_SITE_NONE;
  int lowest = G_MAXINT;

  for (guint i = 0; i < DENSITO_N_SITES; i++)
    {
      DensitoClass c = densito_classify_tscore (t[i]);
      int tenths;

      if (c == DENSITO_CLASS_MISSING)
        continue;

      /* The deciding site is the one with the lowest T-score; on a tie the
       * first in spine, hip, neck order wins. */
      tenths = densito_tscore_tenths (t[i]);
      if (tenths < lowest)
        {
          lowest = tenths;
          worst = c;
          site = i;
        }
    }

  if (deciding_site != NULL)
    *deciding_site = site;

  return worst;
}

DensitoApplicability
densito_classify_applicability (DensitoSex     sex,
                                DensitoRange   age,
                                gboolean       have_menopause_column,
                                DensitoRange   menopause,
                                DensitoReason *reason)
{
  DensitoReason r = DENSITO_REASON_NONE;
  DensitoApplicability a = DENSITO_APPLICABLE_YES;

  if (sex == DENSITO_SEX_UNKNOWN)
    {
      r = DENSITO_REASON_SEX_MISSING;
      a = DENSITO_APPLICABLE_UNKNOWN;
    }
  else if (sex == DENSITO_SEX_MALE)
    {
      if (age.lo == DENSITO_RANGE_MISSING)
        {
          r = DENSITO_REASON_AGE_MISSING;
          a = DENSITO_APPLICABLE_UNKNOWN;
        }
      else if (age.hi < 50)
        {
          r = DENSITO_REASON_MALE_UNDER_50;
          a = DENSITO_APPLICABLE_NO;
        }
      else if (age.lo < 50)
        {
          r = DENSITO_REASON_AGE_STRADDLES_50;
          a = DENSITO_APPLICABLE_UNKNOWN;
        }
    }
  else
    {
      /* Women: postmenopausal when MENOPAUSE_YEAR holds a range; an empty
       * cell, 0 or "na" means none, that is premenopausal. */
      if (!have_menopause_column)
        {
          r = DENSITO_REASON_MENOPAUSE_MISSING;
          a = DENSITO_APPLICABLE_UNKNOWN;
        }
      else if (menopause.lo == DENSITO_RANGE_MISSING ||
               (menopause.lo == 0 && menopause.hi == 0))
        {
          r = DENSITO_REASON_PREMENOPAUSAL;
          a = DENSITO_APPLICABLE_NO;
        }
    }

  if (reason != NULL)
    *reason = r;

  return a;
}

DensitoAgreement
densito_classify_agreement (DensitoClass computed,
                            DensitoClass label)
{
  /* Without a label, or without a single T-score, there is nothing to
   * compare. */
  if (label == DENSITO_CLASS_MISSING || computed == DENSITO_CLASS_MISSING)
    return DENSITO_AGREES_UNKNOWN;
  return computed == label ? DENSITO_AGREES_YES : DENSITO_AGREES_NO;
}

double
densito_compute_bmi (double weight_kg,
                     double height_cm)
{
  double m;

  if (!isfinite (weight_kg) || !isfinite (height_cm) || weight_kg <= 0 || height_cm <= 0)
    return NAN;

  m = height_cm / 100.0;
  return weight_kg / (m * m);
}

const char *
densito_class_to_string (DensitoClass klass)
{
  switch (klass)
    {
    case DENSITO_CLASS_NORMAL: return "normal";
    case DENSITO_CLASS_OSTEOPENIA: return "osteopenia";
    case DENSITO_CLASS_OSTEOPOROSIS: return "osteoporosis";
    case DENSITO_CLASS_MISSING:
    default: return "unknown";
    }
}

const char *
densito_class_display_name (DensitoClass klass)
{
  switch (klass)
    {
    case DENSITO_CLASS_NORMAL: return _("Normal");
    case DENSITO_CLASS_OSTEOPENIA: return _("Osteopenia");
    case DENSITO_CLASS_OSTEOPOROSIS: return _("Osteoporosis");
    case DENSITO_CLASS_MISSING:
    default: return _("Unknown");
    }
}

const char *
densito_site_to_string (DensitoSite site)
{
  switch (site)
    {
    case DENSITO_SITE_SPINE: return "spine";
    case DENSITO_SITE_HIP: return "hip";
    case DENSITO_SITE_NECK: return "neck";
    case DENSITO_N_SITES:
    case DENSITO_SITE_NONE:
    default: return "";
    }
}

const char *
densito_site_display_name (DensitoSite site)
{
  switch (site)
    {
    case DENSITO_SITE_SPINE: return _("Lumbar spine (L1–L4)");
    case DENSITO_SITE_HIP: return _("Total hip");
    case DENSITO_SITE_NECK: return _("Femoral neck");
    case DENSITO_N_SITES:
    case DENSITO_SITE_NONE:
    default: return _("None");
    }
}

const char *
densito_applicability_to_string (DensitoApplicability a)
{
  switch (a)
    {
    case DENSITO_APPLICABLE_YES: return "yes";
    case DENSITO_APPLICABLE_NO: return "no";
    case DENSITO_APPLICABLE_UNKNOWN:
    default: return "unknown";
    }
}

const char *
densito_reason_message (DensitoReason reason)
{
  switch (reason)
    {
    case DENSITO_REASON_MALE_UNDER_50:
      return _("Man under 50: T-score categories do not apply; Z-scores are needed.");
    case DENSITO_REASON_PREMENOPAUSAL:
      return _("Woman before menopause: T-score categories do not apply; Z-scores are needed.");
    case DENSITO_REASON_SEX_MISSING:
      return _("Sex is missing, so applicability of T-score categories is unknown.");
    case DENSITO_REASON_AGE_MISSING:
      return _("Age is missing, so applicability of T-score categories is unknown.");
    case DENSITO_REASON_AGE_STRADDLES_50:
      return _("The age group spans 50, so applicability of T-score categories is unknown.");
    case DENSITO_REASON_MENOPAUSE_MISSING:
      return _("The table has no menopause column, so applicability is unknown.");
    case DENSITO_REASON_NONE:
    default:
      return "";
    }
}

const char *
densito_agreement_to_string (DensitoAgreement a)
{
  switch (a)
    {
    case DENSITO_AGREES_YES: return "yes";
    case DENSITO_AGREES_NO: return "no";
    case DENSITO_AGREES_UNKNOWN:
    default: return "";
    }
}

const char *
densito_sex_to_string (DensitoSex sex)
{
  switch (sex)
    {
    case DENSITO_SEX_FEMALE: return "F";
    case DENSITO_SEX_MALE: return "M";
    case DENSITO_SEX_UNKNOWN:
    default: return "";
    }
}
