/* synth-table.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Distributions follow the data descriptor of the Arak release (see
 * /work/shared/DXA-NOTES.md): 3,232 of 3,643 patients are women, scans
 * from May 2019 to January 2023, T-scores spine -1.935 +- 1.435, total hip
 * -1.098 +- 1.134, femoral neck -1.593 +- 1.174, weight 69.6 +- 13.3 kg,
 * height 159.1 +- 13.8 cm. BMD is derived from T with young-adult female
 * references, the way a scanner reports both.
 */
#include <math.h>
#include <string.h>

#include "synth-canvas.h"
#include "synth-table.h"

#define WOMEN_NUM 3232
#define WOMEN_DEN 3643

#define FIRST_SCAN (2019 * 12 + 4)  /* May 2019 */
#define LAST_SCAN  (2023 * 12 + 0)  /* January 2023 */

struct _SynthTable
{
  GRand *rand;
  guint  n_patients;
  guint  next;
  guint  women_left;
};

typedef struct
{
  double t_mean;
  double t_sd;
  double ref_mean;  /* young-adult female reference, g/cm2 */
  double ref_sd;
} SiteModel;

static const SiteModel site_models[DENSITO_N_SITES] = {
  [DENSITO_SITE_SPINE] = { -1.935, 1.435, 1.047, 0.110 },
  [DENSITO_SITE_HIP]   = { -1.098, 1.134, 0.942, 0.122 },
  [DENSITO_SITE_NECK]  = { -1.593, 1.174, 0.858, 0.120 },
};

/* Shares of variance of the standardised T-score: a patient factor common
 * to all sites, a proximal-femur factor shared by hip and neck, and the
 * site's own part. Spine-hip correlate about 0.55, hip-neck about 0.85. */
#define SHARE_PATIENT 0.55
#define SHARE_FEMUR   0.30

SynthTable *
synth_table_new (guint32 seed,
                 guint   n_patients)
{
  SynthTable *table = g_new0 (SynthTable, 1);

  table->rand = g_rand_new_with_seed (seed);
  table->n_patients = n_patients;
  table->women_left = (guint)(((guint64)n_patients * WOMEN_NUM + WOMEN_DEN / 2) / WOMEN_DEN);

  return table;
}

void
synth_table_free (SynthTable *table)
{
  if (table == NULL)
    return;

  g_rand_free (table->rand);
  g_free (table);
}

static int
round_to_int (double v)
{
  return (int)lround (v);
}

/* A normal draw clamped to [lo, hi]. Not CLAMP (synth_gauss (...)): the
 * macro would evaluate, and so draw, more than once. */
static double
gauss_clamped (GRand  *rand,
               double  mean,
               double  sd,
               double  lo,
               double  hi)
{
  double v = synth_gauss (rand, mean, sd);

  return CLAMP (v, lo, hi);
}

static int
floor5 (int v)
{
  return v - ((v % 5) + 5) % 5;
}

static void
draw_sites (GRand        *rand,
            SynthPatient *p)
{
  double u = g_rand_double (rand);
  double age_z = (p->age - 61.0) / 11.0;
  double patient;
  double femur;

  p->have[DENSITO_SITE_SPINE] = TRUE;
  p->have[DENSITO_SITE_HIP] = TRUE;
  p->have[DENSITO_SITE_NECK] = TRUE;

  /* About 3% lack the spine, 2% the proximal femur, a few nothing. */
  if (u < 0.030)
    p->have[DENSITO_SITE_SPINE] = FALSE;
  else if (u < 0.050)
    p->have[DENSITO_SITE_HIP] = p->have[DENSITO_SITE_NECK] = FALSE;
  else if (u < 0.052)
    p->have[DENSITO_SITE_SPINE] = p->have[DENSITO_SITE_HIP] = p->have[DENSITO_SITE_NECK] = FALSE;

  /* Older patients have lower bone density. */
  patient = -0.4 * age_z + sqrt (1.0 - 0.16) * synth_gauss (rand, 0, 1);
  femur = synth_gauss (rand, 0, 1);

  for (guint s = 0; s < DENSITO_N_SITES; s++)
    {
      const SiteModel *m = &site_models[s];
      double own = synth_gauss (rand, 0, 1);
      double z;
      double t;
      double bmd;

      if (s == DENSITO_SITE_SPINE)
        z = sqrt (SHARE_PATIENT) * patient + sqrt (1.0 - SHARE_PATIENT) * own;
      else
        z = sqrt (SHARE_PATIENT) * patient + sqrt (SHARE_FEMUR) * femur +
            sqrt (1.0 - SHARE_PATIENT - SHARE_FEMUR) * own;

      t = CLAMP (m->t_mean + m->t_sd * z, -5.5, 4.5);
      bmd = m->ref_mean + t * m->ref_sd;
      p->bmd_milli[s] = round_to_int (bmd * 1000.0);
      /* The scanner derives T from the BMD it reports. */
      p->t_tenths[s] = round_to_int ((p->bmd_milli[s] / 1000.0 - m->ref_mean) / m->ref_sd * 10.0);
    }
}

/* Returns the birth year. */
static int
draw_dates (GRand        *rand,
            SynthPatient *p)
{
  gint32 main_date = FIRST_SCAN + g_rand_int_range (rand, 0, LAST_SCAN - FIRST_SCAN + 1);
  gint32 spine_date = main_date;

  /* Now and then the spine was scanned on another visit. */
  if (g_rand_double (rand) < 0.05)
    {
      int offset = g_rand_int_range (rand, 1, 7);

      spine_date = main_date + (g_rand_boolean (rand) ? offset : -offset);
      spine_date = CLAMP (spine_date, FIRST_SCAN, LAST_SCAN);
    }

  for (guint s = 0; s < DENSITO_N_SITES; s++)
    {
      if (!p->have[s])
        p->date[s] = DENSITO_DATE_MISSING;
      else
        p->date[s] = s == DENSITO_SITE_SPINE ? spine_date : main_date;
    }

  /* Age and birth year are relative to the main visit, even when that
   * visit lacks a site. */
  return densito_date_year (main_date) - p->age - g_rand_int_range (rand, 0, 2);
}

gboolean
synth_table_next (SynthTable   *table,
                  SynthPatient *p)
{
  GRand *rand = table->rand;
  guint left = table->n_patients - table->next;
  double t[DENSITO_N_SITES];
  gboolean female;
  int birth_year;

  if (left == 0)
    return FALSE;

  memset (p, 0, sizeof *p);
  p->id = SYNTH_FIRST_ID + table->next;

  /* Selection sampling: exactly women_left of the remaining patients are
   * women, without keeping a list. */
  female = g_rand_double (rand) * left < table->women_left;
  if (female)
    table->women_left--;
  table->next++;

  p->sex = female ? DENSITO_SEX_FEMALE : DENSITO_SEX_MALE;
  if (female)
    p->age = round_to_int (gauss_clamped (rand, 61.0, 10.0, 38, 92));
  else
    p->age = round_to_int (gauss_clamped (rand, 57.0, 14.0, 30, 90));

  draw_sites (rand, p);
  birth_year = draw_dates (rand, p);
  p->birth_lo = floor5 (birth_year);

  /* Menopause at 46-56; before it MENOPAUSE_YEAR is 0, as for men. */
  p->menopause_lo = 0;
  if (female)
    {
      int at = round_to_int (gauss_clamped (rand, 50.5, 2.2, 46, 56));

      if (p->age >= at)
        p->menopause_lo = floor5 (birth_year + at);
    }

  /* Taller patients are heavier: 0.45 kg per cm keeps BMI plausible. */
  if (female)
    {
      double height = gauss_clamped (rand, 157.3, 11.0, 130.0, 190.0);

      p->height_tenths = round_to_int (height * 10.0);
      p->weight_tenths = round_to_int (gauss_clamped (rand, 68.3 + 0.45 * (height - 157.3), 11.8,
                                                      38.0, 140.0) * 10.0);
    }
  else
    {
      double height = gauss_clamped (rand, 173.2, 11.0, 145.0, 205.0);

      p->height_tenths = round_to_int (height * 10.0);
      p->weight_tenths = round_to_int (gauss_clamped (rand, 79.6 + 0.45 * (height - 173.2), 11.8,
                                                      45.0, 150.0) * 10.0);
    }
  p->bmi_tenths = round_to_int (densito_compute_bmi (p->weight_tenths / 10.0,
                                                     p->height_tenths / 10.0) * 10.0);

  for (guint s = 0; s < DENSITO_N_SITES; s++)
    t[s] = p->have[s] ? p->t_tenths[s] / 10.0 : NAN;
  p->computed = densito_classify_worst (t, NULL);
  p->label = p->computed;

  /* The release's labels disagree with the T-scores now and then. */
  if (g_rand_double (rand) < 0.03 && p->computed != DENSITO_CLASS_MISSING)
    {
      int shift = g_rand_int_range (rand, 1, 3);

      p->label = DENSITO_CLASS_NORMAL + (p->computed - DENSITO_CLASS_NORMAL + shift) % 3;
    }

  return TRUE;
}

/* Number formatting by hand: integers only, so the text is exact and
 * independent of LC_NUMERIC, and it keeps a million rows fast. */
static void
append_uint (GString *out,
             guint    v)
{
  char buf[16];
  int n = 0;

  do
    {
      buf[sizeof buf - 1 - n++] = (char)('0' + v % 10);
      v /= 10;
    }
  while (v > 0);
  g_string_append_len (out, buf + sizeof buf - n, n);
}

static void
append_fixed (GString *out,
              int      scaled,
              guint    decimals)
{
  guint mag = scaled < 0 ? (guint)-scaled : (guint)scaled;
  guint unit = 1;
  guint frac;

  for (guint i = 0; i < decimals; i++)
    unit *= 10;

  if (scaled < 0)
    g_string_append_c (out, '-');
  append_uint (out, mag / unit);
  g_string_append_c (out, '.');
  frac = mag % unit;
  for (guint u = unit / 10; u > 0; u /= 10)
    {
      g_string_append_c (out, (char)('0' + frac / u));
      frac %= u;
    }
}

static void
append_range (GString *out,
              int      lo,
              int      hi)
{
  append_uint (out, (guint)lo);
  g_string_append_c (out, '-');
  append_uint (out, (guint)hi);
}

static void
append_date (GString *out,
             gint32   date)
{
  int month = densito_date_month (date);

  g_string_append_c (out, (char)('0' + month / 10));
  g_string_append_c (out, (char)('0' + month % 10));
  g_string_append_c (out, '-');
  append_uint (out, (guint)densito_date_year (date));
}

static const char *
label_text (DensitoClass klass)
{
  /* Mixed case, as in the real release. */
  switch (klass)
    {
    case DENSITO_CLASS_NORMAL: return "Normal";
    case DENSITO_CLASS_OSTEOPENIA: return "Osteopenia";
    case DENSITO_CLASS_OSTEOPOROSIS: return "osteoporosis";
    case DENSITO_CLASS_MISSING:
    default: return "";
    }
}

void
synth_table_append_header (GString *out)
{
  g_string_append (out,
                   "IDENTIFIER1,SPINE_SCANDATE,SPINE_BMD,SPINE_TSCORE,"
                   "HIP_SCANDATE,HIP_BMD,HIP_TSCORE,"
                   "HIPNECK_SCANDATE,HIPNECK_BMD,HIPNECK_TSCORE,"
                   "BIRTHDATE,SEX,WEIGHT,HEIGHT,MENOPAUSE_YEAR,BMI,ADJUSTED_AGE,label\n");
}

void
synth_table_append_row (GString            *out,
                        const SynthPatient *p)
{
  int age_lo = floor5 (p->age);

  append_uint (out, p->id);
  for (guint s = 0; s < DENSITO_N_SITES; s++)
    {
      g_string_append_c (out, ',');
      if (!p->have[s])
        {
          g_string_append (out, ",,");
          continue;
        }
      append_date (out, p->date[s]);
      g_string_append_c (out, ',');
      append_fixed (out, p->bmd_milli[s], 3);
      g_string_append_c (out, ',');
      append_fixed (out, p->t_tenths[s], 1);
    }
  g_string_append_c (out, ',');
  append_range (out, p->birth_lo, p->birth_lo + 4);
  g_string_append_c (out, ',');
  g_string_append (out, densito_sex_to_string (p->sex));
  g_string_append_c (out, ',');
  append_fixed (out, p->weight_tenths, 1);
  g_string_append_c (out, ',');
  append_fixed (out, p->height_tenths, 1);
  g_string_append_c (out, ',');
  if (p->menopause_lo == 0)
    g_string_append_c (out, '0');
  else
    append_range (out, p->menopause_lo, p->menopause_lo + 4);
  g_string_append_c (out, ',');
  append_fixed (out, p->bmi_tenths, 1);
  g_string_append_c (out, ',');
  append_range (out, age_lo, age_lo + 5);
  g_string_append_c (out, ',');
  g_string_append (out, label_text (p->label));
  g_string_append_c (out, '\n');
}
