/* synth-table.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Synthetic patients in the schema of the published Arak table. Every
 * value is kept as the integer that is written (tenths, thousandths), so
 * the label is computed from exactly what a reader parses back.
 */
#pragma once

#include <glib.h>

#include "densito-classify.h"

G_BEGIN_DECLS

#define SYNTH_FIRST_ID 10000

typedef struct
{
  guint        id;
  DensitoSex   sex;
  int          age;                        /* years, at the main scan */
  gboolean     have[DENSITO_N_SITES];
  gint32       date[DENSITO_N_SITES];      /* months since year 0 */
  int          bmd_milli[DENSITO_N_SITES]; /* g/cm2 x 1000 */
  int          t_tenths[DENSITO_N_SITES];
  int          birth_lo;                   /* BIRTHDATE is birth_lo-(birth_lo+4) */
  int          menopause_lo;               /* 0: none */
  int          weight_tenths;              /* kg x 10 */
  int          height_tenths;              /* cm x 10 */
  int          bmi_tenths;
  DensitoClass computed;
  DensitoClass label;                      /* computed, or flipped */
} SynthPatient;

typedef struct _SynthTable SynthTable;

SynthTable *synth_table_new          (guint32             seed,
                                      guint               n_patients);
void        synth_table_free         (SynthTable         *table);
gboolean    synth_table_next         (SynthTable         *table,
                                      SynthPatient       *patient);
void        synth_table_append_header (GString           *out);
void        synth_table_append_row   (GString            *out,
                                      const SynthPatient *patient);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynthTable, synth_table_free)

G_END_DECLS
