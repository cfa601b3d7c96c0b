/* synth-anatomy.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "synth-canvas.h"

G_BEGIN_DECLS

/* The number is the file name suffix: <ID>-<kind>.png. */
typedef enum
{
  SYNTH_SCAN_HIP = 1,
  SYNTH_SCAN_SPINE = 2,
  SYNTH_SCAN_FOREARM = 3,
  SYNTH_SCAN_LATERAL = 4,
} SynthScanKind;

#define SYNTH_LATERAL_WIDTH  376
#define SYNTH_LATERAL_HEIGHT 1104

/* Draws one scan of patient @id. @tscore (NAN when unknown) darkens or
 * lightens the bone; @osteoporotic allows a wedged vertebra on lateral
 * frames. The true regions of interest are appended to @rois (SynthRoi)
 * and burned into the image as the scanner does. */
cairo_surface_t *synth_scan_draw (SynthScanKind  kind,
                                  guint          id,
                                  GRand         *rand,
                                  double         tscore,
                                  gboolean       osteoporotic,
                                  GArray        *rois);

G_END_DECLS
