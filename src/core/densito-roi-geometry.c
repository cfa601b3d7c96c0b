/* densito-roi-geometry.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The geometry of ROI editing, without GTK, so that it is unit-tested:
 * moving, resizing by a handle, rotating, and the two DXA rules.
 *
 * Every function takes the box as it was when a gesture started and the
 * whole offset since then, never a per-motion step: a drag that ends 20
 * screen pixels away at zoom 2 moves the box by exactly 10.0 image pixels
 * whatever the number of motion events, with no accumulated rounding.
 *
 * The femoral neck box keeps its size: moving and rotating never change
 * width or height (they are copied, not recomputed from corners), the
 * shared-border rule below never touches it, and only an explicit resize
 * does. Hologic's default neck box is 49x15 pixels (ISCD DXA atlas) and an
 * operator who moves it along the neck should not resize it by accident.
 *
 * L1-L4 form a stack. Two vertebra boxes share a border when both are
 * upright (angle 0), their x ranges overlap by at least half of the
 * narrower one, and the bottom edge of the upper one lies within the
 * tolerance of the top edge of the lower one (they touch, or nearly).
 * Dragging that border moves both edges by the same amount, so both
 * neighbours are resized and any small gap between them is kept. Tilted
 * vertebra boxes are left out for now: their edges are not one line.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "densito-roi-geometry.h"
#include "densito-vocabulary.h"

static void
box_axes (const DensitoBox *box,
          double           *c,
          double           *s)
{
  double rad = box->angle * G_PI / 180.0;

  /* Exact for the common upright box. */
  *c = box->angle == 0.0 ? 1.0 : cos (rad);
  *s = box->angle == 0.0 ? 0.0 : sin (rad);
}

/* Image point to the box's own frame: origin at the centre, x along the
 * width, y along the height. */
void
densito_box_to_local (const DensitoBox *box,
                      double            x,
                      double            y,
                      double           *lx,
                      double           *ly)
{
  double c, s;

  box_axes (box, &c, &s);
  x -= box->cx;
  y -= box->cy;
  *lx = x * c + y * s;
  *ly = -x * s + y * c;
}

void
densito_box_from_local (const DensitoBox *box,
                        double            lx,
                        double            ly,
                        double           *x,
                        double           *y)
{
  double c, s;

  box_axes (box, &c, &s);
  *x = box->cx + lx * c - ly * s;
  *y = box->cy + lx * s + ly * c;
}

/* Moves by (@dx, @dy) image pixels; size and angle are copied as they are. */
void
densito_box_move (const DensitoBox *start,
                  double            dx,
                  double            dy,
                  DensitoBox       *out)
{
  DensitoBox b = *start;

  b.cx = start->cx + dx;
  b.cy = start->cy + dy;
  *out = b;
}

/**
 * densito_box_resize:
 * @hx: -1 when the left edge moves, 1 for the right one, 0 for neither
 * @hy: -1 for the top edge, 1 for the bottom one, 0 for neither
 * @dx: how far the handle was dragged, in image pixels
 * @dy:
 * @keep_aspect: scale both sides by the same factor
 *
 * Drags a handle of @start: a corner (both @hx and @hy set) or an edge.
 * The opposite corner or edge stays where it was, also for a rotated box
 * (the drag is taken along the box's own axes). No side gets smaller
 * than %DENSITO_BOX_MIN_SIZE; a handle dragged past the opposite edge
 * stops there rather than flipping the box. With @keep_aspect, an edge
 * handle grows the other side symmetrically about the centre line.
 */
void
densito_box_resize (const DensitoBox *start,
                    int               hx,
                    int               hy,
                    double            dx,
                    double            dy,
                    gboolean          keep_aspect,
                    DensitoBox       *out)
{
  DensitoBox b = *start;
  double c, s, u, v, w, h, lx, ly;

  hx = CLAMP (hx, -1, 1);
  hy = CLAMP (hy, -1, 1);
  box_axes (start, &c, &s);
  u = dx * c + dy * s;      /* the drag along the box's width */
  v = -dx * s + dy * c;     /* and along its height */

  w = hx != 0 ? start->width + hx * u : start->width;
  h = hy != 0 ? start->height + hy * v : start->height;

  if (keep_aspect && start->width > 0.0 && start->height > 0.0)
    {
      double k;

      if (hx != 0 && hy != 0)
        k = MAX (w / start->width, h / start->height);
      else if (hx != 0)
        k = w / start->width;
      else
        k = h / start->height;
      k = MAX (k, DENSITO_BOX_MIN_SIZE / MIN (start->width, start->height));
      w = start->width * k;
      h = start->height * k;
    }
  w = MAX (w, DENSITO_BOX_MIN_SIZE);
  h = MAX (h, DENSITO_BOX_MIN_SIZE);

  /* The fixed edge stays: the centre moves by half the change, along the
   * box's axes. */
  lx = hx * (w - start->width) / 2.0;
  ly = hy * (h - start->height) / 2.0;
  b.cx = start->cx + lx * c - ly * s;
  b.cy = start->cy + lx * s + ly * c;
  b.width = w;
  b.height = h;
  *out = b;
}

/* Turns by @degrees clockwise about the centre; the angle stays in
 * (-180, 180]. Centre and size are copied as they are. */
void
densito_box_rotate (const DensitoBox *start,
                    double            degrees,
                    DensitoBox       *out)
{
  DensitoBox b = *start;
  double a = fmod (start->angle + degrees, 360.0);

  if (a <= -180.0)
    a += 360.0;
  else if (a > 180.0)
    a -= 360.0;
  /* No negative zero in the file. */
  b.angle = a == 0.0 ? 0.0 : a;
  *out = b;
}

/* Keeps the centre inside the image, so that a box cannot be lost off
 * the edge; it only shifts the box, never resizes it. */
void
densito_box_clamp_center (DensitoBox *box,
                          double      image_width,
                          double      image_height)
{
  if (image_width > 0.0)
    box->cx = CLAMP (box->cx, 0.0, image_width);
  if (image_height > 0.0)
    box->cy = CLAMP (box->cy, 0.0, image_height);
}

/**
 * densito_points_bounds:
 * @xy: (array): @n_points x, y pairs, at least one
 *
 * The smallest axis-aligned rectangle around the points.
 */
void
densito_points_bounds (const double *xy,
                       guint         n_points,
                       double       *x0,
                       double       *y0,
                       double       *x1,
                       double       *y1)
{
  g_return_if_fail (xy != NULL && n_points > 0);

  *x0 = *x1 = xy[0];
  *y0 = *y1 = xy[1];
  for (guint i = 1; i < n_points; i++)
    {
      *x0 = MIN (*x0, xy[2 * i]);
      *x1 = MAX (*x1, xy[2 * i]);
      *y0 = MIN (*y0, xy[2 * i + 1]);
      *y1 = MAX (*y1, xy[2 * i + 1]);
    }
}

/**
 * densito_points_move:
 * @xy: (array): @n_points x, y pairs where a move started
 * @out: (array): @n_points pairs, moved by (@dx, @dy); may be @xy
 *
 * Moves a shape given by its points as densito_box_move() and
 * densito_box_clamp_center() move a box: the centre of its bounds stays
 * inside the image (when its size is known, not 0).
 */
void
densito_points_move (const double *xy,
                     guint         n_points,
                     double        dx,
                     double        dy,
                     double        image_width,
                     double        image_height,
                     double       *out)
{
  double x0, x1, y0, y1, cx, cy;

  g_return_if_fail (n_points == 0 || (xy != NULL && out != NULL));
  if (n_points == 0)
    return;

  densito_points_bounds (xy, n_points, &x0, &y0, &x1, &y1);
  cx = (x0 + x1) / 2.0;
  cy = (y0 + y1) / 2.0;
  /* Only at the edge, so that a move inside is exactly (dx, dy). */
  if (image_width > 0.0 && (cx + dx < 0.0 || cx + dx > image_width))
    dx = CLAMP (cx + dx, 0.0, image_width) - cx;
  if (image_height > 0.0 && (cy + dy < 0.0 || cy + dy > image_height))
    dy = CLAMP (cy + dy, 0.0, image_height) - cy;
  for (guint i = 0; i < n_points; i++)
    {
      out[2 * i] = xy[2 * i] + dx;
      out[2 * i + 1] = xy[2 * i + 1] + dy;
    }
}

/* The femoral neck box; see the top of this file. */
gboolean
densito_roi_label_keeps_size (const char *label)
{
  return g_strcmp0 (label, "neck") == 0;
}

gboolean
densito_roi_is_vertebra (const DensitoRoi *roi)
{
  const DensitoRoiLabel *known;

  if (roi == NULL || roi->kind != DENSITO_SHAPE_BOX || roi->label == NULL)
    return FALSE;
  known = densito_vocabulary_lookup (roi->label);
  return known != NULL && known->region == DENSITO_REGION_SPINE &&
         !densito_roi_label_keeps_size (roi->label);
}

/**
 * densito_rois_share_border:
 * @tolerance: how far apart, in image pixels, the bottom edge of @upper
 *   and the top edge of @lower may be
 *
 * Whether @upper sits on @lower as neighbouring vertebrae do; see the
 * definition at the top of this file.
 */
gboolean
densito_rois_share_border (const DensitoRoi *upper,
                           const DensitoRoi *lower,
                           double            tolerance)
{
  const DensitoBox *a, *b;
  double overlap;

  if (upper == lower || !densito_roi_is_vertebra (upper) || !densito_roi_is_vertebra (lower))
    return FALSE;
  a = &upper->box;
  b = &lower->box;
  if (a->angle != 0.0 || b->angle != 0.0)
    return FALSE;
  if (a->cy >= b->cy)
    return FALSE;
  overlap = MIN (a->cx + a->width / 2.0, b->cx + b->width / 2.0) -
            MAX (a->cx - a->width / 2.0, b->cx - b->width / 2.0);
  if (overlap < MIN (a->width, b->width) / 2.0)
    return FALSE;
  return fabs ((a->cy + a->height / 2.0) - (b->cy - b->height / 2.0)) <= tolerance;
}

/* Whether the image point (@x, @y) is on the shared border of @upper and
 * @lower: within @tolerance of both edges and over both boxes. */
gboolean
densito_rois_border_hit (const DensitoRoi *upper,
                         const DensitoRoi *lower,
                         double            x,
                         double            y,
                         double            tolerance)
{
  const DensitoBox *a, *b;
  double x0, x1;

  if (!densito_rois_share_border (upper, lower, tolerance))
    return FALSE;
  a = &upper->box;
  b = &lower->box;
  x0 = MAX (a->cx - a->width / 2.0, b->cx - b->width / 2.0);
  x1 = MIN (a->cx + a->width / 2.0, b->cx + b->width / 2.0);
  return x >= x0 && x <= x1 &&
         fabs (y - (a->cy + a->height / 2.0)) <= tolerance &&
         fabs (y - (b->cy - b->height / 2.0)) <= tolerance;
}

/**
 * densito_boxes_move_border:
 * @dy: how far the border was dragged down, in image pixels
 *
 * Moves the bottom edge of @upper and the top edge of @lower by the same
 * @dy, each box keeping its other edges; @dy is limited so that neither
 * gets shorter than %DENSITO_BOX_MIN_SIZE.
 */
void
densito_boxes_move_border (const DensitoBox *upper,
                           const DensitoBox *lower,
                           double            dy,
                           DensitoBox       *new_upper,
                           DensitoBox       *new_lower)
{
  DensitoBox a = *upper, b = *lower;
  double top = upper->cy - upper->height / 2.0;
  double bottom = lower->cy + lower->height / 2.0;

  dy = MAX (dy, DENSITO_BOX_MIN_SIZE - upper->height);
  dy = MIN (dy, lower->height - DENSITO_BOX_MIN_SIZE);

  a.height = upper->height + dy;
  a.cy = top + a.height / 2.0;
  b.height = lower->height - dy;
  b.cy = bottom - b.height / 2.0;
  *new_upper = a;
  *new_lower = b;
}
