/* densito-roi-geometry.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "densito-sidecar.h"

G_BEGIN_DECLS

/* The smallest side a box may be given by a resize, in image pixels. */
#define DENSITO_BOX_MIN_SIZE 1.0

void     densito_box_move                (const DensitoBox *start,
                                          double            dx,
                                          double            dy,
                                          DensitoBox       *out);
void     densito_box_resize              (const DensitoBox *start,
                                          int               hx,
                                          int               hy,
                                          double            dx,
                                          double            dy,
                                          gboolean          keep_aspect,
                                          DensitoBox       *out);
void     densito_box_rotate              (const DensitoBox *start,
                                          double            degrees,
                                          DensitoBox       *out);
void     densito_box_clamp_center        (DensitoBox       *box,
                                          double            image_width,
                                          double            image_height);
void     densito_box_to_local            (const DensitoBox *box,
                                          double            x,
                                          double            y,
                                          double           *lx,
                                          double           *ly);
void     densito_box_from_local          (const DensitoBox *box,
                                          double            lx,
                                          double            ly,
                                          double           *x,
                                          double           *y);

void     densito_points_bounds           (const double     *xy,
                                          guint             n_points,
                                          double           *x0,
                                          double           *y0,
                                          double           *x1,
                                          double           *y1);
void     densito_points_move             (const double     *xy,
                                          guint             n_points,
                                          double            dx,
                                          double            dy,
                                          double            image_width,
                                          double            image_height,
                                          double           *out);

gboolean densito_roi_label_keeps_size    (const char       *label);
gboolean densito_roi_is_vertebra         (const DensitoRoi *roi);
gboolean densito_rois_share_border       (const DensitoRoi *upper,
                                          const DensitoRoi *lower,
                                          double            tolerance);
gboolean densito_rois_border_hit         (const DensitoRoi *upper,
                                          const DensitoRoi *lower,
                                          double            x,
                                          double            y,
                                          double            tolerance);
void     densito_boxes_move_border       (const DensitoBox *upper,
                                          const DensitoBox *lower,
                                          double            dy,
                                          DensitoBox       *new_upper,
                                          DensitoBox       *new_lower);

G_END_DECLS
