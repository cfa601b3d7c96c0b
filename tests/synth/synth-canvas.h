/* synth-canvas.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A tiny "attenuation" raster for the synthetic DXA scans. Anatomy is
 * drawn as cairo masks (soft tissue, bone layers); the canvas adds them
 * up, derives cortical edges from each bone mask, and renders the sum as
 * dark bone on a light background, like the exported scanner images.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double x;
  double y;
} SynthPoint;

/* A region of interest as written to synthetic-rois.tsv: centre and size in
 * image pixels, angle in degrees clockwise (y points down) of the width
 * axis against the image x axis. */
typedef struct
{
  char   label[24];
  double cx;
  double cy;
  double width;
  double height;
  double angle_deg;
} SynthRoi;

typedef struct
{
  double background;    /* grey level of air, 0..255 */
  double gradient;      /* added from top (0) to bottom (this value) */
  double tissue_gain;   /* grey levels per unit of soft tissue */
  double bone_gain;     /* grey levels per unit of bone */
  double texture;       /* relative amplitude of the trabecular texture */
  int    texture_cell;  /* size in pixels of the texture grid */
  double noise;         /* standard deviation in grey levels of the grain */
  int    noise_cell;    /* size in pixels of a grain block */
  int    blur;          /* radius of the final softening, 0 for none */
} SynthLook;

typedef struct _SynthCanvas SynthCanvas;

SynthCanvas     *synth_canvas_new          (int                width,
                                            int                height,
                                            GRand             *rand);
void             synth_canvas_free         (SynthCanvas       *canvas);
cairo_t         *synth_canvas_begin_mask   (SynthCanvas       *canvas);
void             synth_canvas_add_tissue   (SynthCanvas       *canvas,
                                            cairo_t           *mask,
                                            double             amount,
                                            int                soften);
void             synth_canvas_add_bone     (SynthCanvas       *canvas,
                                            cairo_t           *mask,
                                            double             density,
                                            double             cortex,
                                            int                cortex_radius);
void             synth_canvas_add_blob     (SynthCanvas       *canvas,
                                            double             cx,
                                            double             cy,
                                            double             rx,
                                            double             ry,
                                            double             angle_deg,
                                            double             amount);
void             synth_canvas_add_tissue_blob (SynthCanvas    *canvas,
                                            double             cx,
                                            double             cy,
                                            double             rx,
                                            double             ry,
                                            double             amount);
void             synth_canvas_mirror       (SynthCanvas       *canvas);
cairo_surface_t *synth_canvas_render       (SynthCanvas       *canvas,
                                            const SynthLook   *look);

void             synth_path_rotated_rect   (cairo_t           *cr,
                                            const SynthRoi    *roi);
void             synth_path_ellipse        (cairo_t           *cr,
                                            double             cx,
                                            double             cy,
                                            double             rx,
                                            double             ry,
                                            double             angle_deg);
void             synth_draw_roi_frame      (cairo_t           *cr,
                                            const SynthRoi    *roi);
void             synth_draw_text           (cairo_t           *cr,
                                            double             x,
                                            double             y,
                                            int                scale,
                                            const char        *text);
double           synth_text_width          (int                scale,
                                            const char        *text);
void             synth_draw_label_box      (cairo_t           *cr,
                                            double             x,
                                            double             y,
                                            double             size,
                                            const char        *text);

void             synth_roi_set             (SynthRoi          *roi,
                                            const char        *label,
                                            double             cx,
                                            double             cy,
                                            double             width,
                                            double             height,
                                            double             angle_deg);
void             synth_roi_set_box         (SynthRoi          *roi,
                                            const char        *label,
                                            double             left,
                                            double             top,
                                            double             right,
                                            double             bottom);
void             synth_roi_corners         (const SynthRoi    *roi,
                                            SynthPoint         corners[4]);
void             synth_roi_mirror          (SynthRoi          *roi,
                                            int                image_width);

double           synth_gauss               (GRand             *rand,
                                            double             mean,
                                            double             sd);
double           synth_uniform             (GRand             *rand,
                                            double             lo,
                                            double             hi);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynthCanvas, synth_canvas_free)

G_END_DECLS
