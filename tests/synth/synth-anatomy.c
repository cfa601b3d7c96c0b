/* synth-anatomy.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cartoon DXA anatomy: a proximal femur, an AP lumbar spine, a distal
 * forearm and a lateral (VFA) spine frame. Shapes are coarse but keep the
 * landmarks that ROI placement relies on: femoral head, neck, trochanters;
 * T12 to L5 with the iliac crests at L4/L5; radius and ulna with the
 * ulnar styloid. ROI conventions follow the ISCD DXA atlas as summarised
 * in /work/shared/DXA-NOTES.md.
 */
#include <math.h>

#include "synth-anatomy.h"

#define DEG (G_PI / 180.0)

static SynthPoint
pt (double x,
    double y)
{
  SynthPoint p = { x, y };
  return p;
}

/* o + u * d + v * n: a point in the frame of an axis. */
static SynthPoint
along (SynthPoint o,
       SynthPoint d,
       double     u,
       SynthPoint n,
       double     v)
{
  return pt (o.x + u * d.x + v * n.x, o.y + u * d.y + v * n.y);
}

static SynthPoint
offset (SynthPoint p,
        double     dx,
        double     dy)
{
  return pt (p.x + dx, p.y + dy);
}

/* Catmull-Rom spline through @p, as cubic Béziers. */
static void
path_spline (cairo_t          *cr,
             const SynthPoint *p,
             int               n,
             gboolean          closed)
{
  int segments = closed ? n : n - 1;

  cairo_move_to (cr, p[0].x, p[0].y);
  for (int i = 0; i < segments; i++)
    {
      SynthPoint p0 = p[closed ? (i - 1 + n) % n : MAX (i - 1, 0)];
      SynthPoint p1 = p[i];
      SynthPoint p2 = p[(i + 1) % n];
      SynthPoint p3 = p[closed ? (i + 2) % n : MIN (i + 2, n - 1)];

      cairo_curve_to (cr,
                      p1.x + (p2.x - p0.x) / 6, p1.y + (p2.y - p0.y) / 6,
                      p2.x - (p3.x - p1.x) / 6, p2.y - (p3.y - p1.y) / 6,
                      p2.x, p2.y);
    }
  if (closed)
    cairo_close_path (cr);
}

static double
density_from_tscore (double tscore)
{
  if (!isfinite (tscore))
    return 0.92;
  return CLAMP (1.0 + 0.05 * tscore, 0.75, 1.12);
}

static void
draw_header (cairo_t    *cr,
             int         width,
             gboolean    at_right,
             const char *title,
             guint       id)
{
  char line[32];
  double x;

  g_snprintf (line, sizeof line, "ID %u", id);
  cairo_save (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  x = at_right ? width - 8 - synth_text_width (2, title) : 8;
  synth_draw_text (cr, x, 8, 2, title);
  x = at_right ? width - 8 - synth_text_width (2, line) : 8;
  synth_draw_text (cr, x, 28, 2, line);
  cairo_restore (cr);
}

static void
roi_append (GArray         *rois,
            const SynthRoi *roi)
{
  g_array_append_vals (rois, roi, 1);
}

/* Proximal femur, drawn as a left hip (head on the image's left) and
 * mirrored for a right hip. */
static cairo_surface_t *
draw_hip (guint   id,
          GRand  *rand,
          double  density,
          GArray *rois)
{
  int w = 2 * g_rand_int_range (rand, 240, 271);
  int h = 2 * g_rand_int_range (rand, 290, 331);
  double s = w / 500.0;
  double r = synth_uniform (rand, 50, 56) * s;
  double axis_deg = synth_uniform (rand, 34, 44);
  SynthPoint d = pt (cos (axis_deg * DEG), sin (axis_deg * DEG));
  SynthPoint n = pt (-d.y, d.x);  /* across the neck, pointing inferiorly */
  double head_x = synth_uniform (rand, 150, 175) * s;
  double head_y = synth_uniform (rand, 165, 195) * s;
  SynthPoint head = pt (head_x, head_y);
  gboolean right_hip = g_rand_double (rand) < 0.2;
  SynthLook look = { 0 };
  g_autoptr(SynthCanvas) canvas = synth_canvas_new (w, h, rand);
  SynthPoint f[15];
  SynthPoint S2, G1, G2, G3, L1, L2, M2, LT, I1, I2;
  SynthRoi neck, wards, total, troch, inter;
  SynthPoint corners[4];
  SynthPoint axis0, axis1;
  double neck_u = 1.25 * r;
  double neck_w, neck_h, wards_side, wards_u, wards_v;
  double lo_x = G_MAXDOUBLE, lo_y = G_MAXDOUBLE, hi_x = -G_MAXDOUBLE;
  cairo_pattern_t *pattern;
  cairo_surface_t *surface;
  cairo_t *cr;
  guint first_roi = rois->len;

  /* Soft tissue: the thigh, thicker towards the pelvis, with the lateral
   * skin line near the right edge. */
  cr = synth_canvas_begin_mask (canvas);
  {
    double skin = synth_uniform (rand, 0.90, 0.97) * w;
    SynthPoint thigh[] = {
      pt (-20, -20), pt (skin + 10 * s, -20), pt (skin, h * 0.5), pt (skin - 12 * s, h + 20),
      pt (-20, h + 20),
    };
    path_spline (cr, thigh, G_N_ELEMENTS (thigh), TRUE);
    cairo_fill (cr);
  }
  synth_canvas_add_tissue (canvas, cr, 0.8, (int)(4 * s));

  cr = synth_canvas_begin_mask (canvas);
  pattern = cairo_pattern_create_linear (0, 0, w, h);
  cairo_pattern_add_color_stop_rgba (pattern, 0, 0, 0, 0, 1);
  cairo_pattern_add_color_stop_rgba (pattern, 1, 0, 0, 0, 0);
  cairo_set_source (cr, pattern);
  cairo_paint (cr);
  cairo_pattern_destroy (pattern);
  synth_canvas_add_tissue (canvas, cr, 0.5, 0);

  /* Pelvis: the ilium above the acetabulum, the teardrop, and the pubic
   * and ischial rami around the obturator foramen. */
  cr = synth_canvas_begin_mask (canvas);
  {
    double R = 1.10 * r;

    cairo_move_to (cr, -20, -20);
    cairo_line_to (cr, head.x + 2.1 * r, -20);
    cairo_curve_to (cr, head.x + 1.75 * r, head.y - 1.4 * r,
                    head.x + 1.45 * r, head.y - 0.9 * r,
                    head.x + R * cos (-20 * DEG) + 0.15 * r, head.y + R * sin (-20 * DEG));
    cairo_arc_negative (cr, head.x, head.y, R, -20 * DEG, -160 * DEG);
    cairo_curve_to (cr, head.x - 1.2 * r, head.y + 0.05 * r,
                    head.x - 1.15 * r, head.y + 0.65 * r,
                    head.x - 1.40 * r, head.y + 0.85 * r);
    cairo_curve_to (cr, head.x - 1.8 * r, head.y + 1.0 * r,
                    head.x - 2.4 * r, head.y + 0.9 * r,
                    -20, head.y + 1.2 * r);
    cairo_close_path (cr);
    cairo_fill (cr);

    /* Rami: an outer ring minus an off-centre foramen, so the ischium
     * below is thicker than the pubic ramus above. */
    cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
    synth_path_ellipse (cr, head.x - 1.55 * r, head.y + 2.15 * r, 1.50 * r, 1.30 * r, -12);
    synth_path_ellipse (cr, head.x - 1.55 * r, head.y + 2.15 * r, 1.00 * r, 0.75 * r, -20);
    cairo_fill (cr);
    cairo_set_fill_rule (cr, CAIRO_FILL_RULE_WINDING);

    /* The body of the ischium joins the rami to the acetabulum. */
    cairo_move_to (cr, head.x - 1.50 * r, head.y + 0.60 * r);
    cairo_curve_to (cr, head.x - 1.10 * r, head.y + 0.70 * r,
                    head.x - 0.80 * r, head.y + 0.90 * r,
                    head.x - 0.55 * r, head.y + 1.30 * r);
    cairo_line_to (cr, head.x - 0.50 * r, head.y + 1.60 * r);
    cairo_line_to (cr, head.x - 1.30 * r, head.y + 1.20 * r);
    cairo_close_path (cr);
    cairo_fill (cr);
  }
  synth_canvas_add_bone (canvas, cr, 0.42, 0.35, (int)(5 * s));
  /* The ilium is thickest just above the acetabulum. */
  synth_canvas_add_blob (canvas, head.x - 0.2 * r, head.y - 1.5 * r, 1.3 * r, 0.7 * r, -10, 0.18);

  /* Acetabular roof (sourcil) and the walls over the upper head. */
  cr = synth_canvas_begin_mask (canvas);
  cairo_set_line_width (cr, 0.12 * r);
  cairo_arc (cr, head.x, head.y, 1.16 * r, -150 * DEG, -25 * DEG);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 0.14 * r);
  cairo_arc (cr, head.x + 0.05 * r, head.y + 0.15 * r, 0.95 * r, 200 * DEG, 320 * DEG);
  cairo_stroke (cr);
  synth_canvas_add_bone (canvas, cr, 0.22, 0.10, (int)(3 * s));

  /* Femur outline: superior neck, greater trochanter, lateral shaft,
   * medial shaft, lesser trochanter, calcar, inferior neck. */
  S2 = along (head, d, 2.05 * r, n, -0.80 * r);
  G1 = offset (S2, 0.80 * r, -0.50 * r);
  G2 = offset (G1, 0.70 * r, 0.18 * r);
  G3 = offset (G2, 0.32 * r, 0.90 * r);
  L1 = offset (G3, -0.10 * r, 1.40 * r);
  L2 = pt (L1.x - 0.07 * (h + 30 - L1.y), h + 30);
  M2 = pt (L1.x - 1.42 * r, L1.y + 1.10 * r);
  LT = offset (M2, -0.40 * r, -0.42 * r);
  I1 = along (head, d, 1.25 * r, n, 0.60 * r);
  I2 = along (head, d, 2.15 * r, n, 0.95 * r);

  f[0] = along (head, d, 0.20 * r, n, -0.90 * r);
  f[1] = along (head, d, 1.25 * r, n, -0.62 * r);
  f[2] = S2;
  f[3] = offset (S2, 0.35 * r, -0.10 * r);
  f[4] = G1;
  f[5] = G2;
  f[6] = G3;
  f[7] = L1;
  f[8] = L2;
  f[9] = pt (L2.x - 1.45 * r, h + 30);
  f[10] = M2;
  f[11] = LT;
  f[12] = I2;
  f[13] = I1;
  f[14] = along (head, d, 0.20 * r, n, 0.90 * r);

  cr = synth_canvas_begin_mask (canvas);
  path_spline (cr, f, G_N_ELEMENTS (f), TRUE);
  cairo_fill (cr);
  cairo_new_sub_path (cr);
  cairo_arc (cr, head.x, head.y, r, 0, 2 * G_PI);
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 1.05 * density, 0.55, (int)(7 * s));

  /* Density pattern: dense head and compressive trabeculae, Ward's
   * triangle and the trochanter lighter, a hollow shaft. */
  synth_canvas_add_blob (canvas, head.x, head.y, 0.8 * r, 0.8 * r, 0, 0.15);
  {
    SynthPoint mid = pt ((head.x + I2.x) / 2, (head.y + I2.y) / 2);
    double ang = atan2 (I2.y - head.y, I2.x - head.x) / DEG;

    synth_canvas_add_blob (canvas, mid.x, mid.y, 1.1 * r, 0.22 * r, ang, 0.15);
  }
  {
    SynthPoint ward = along (head, d, 1.85 * r, n, 0.25 * r);

    synth_canvas_add_blob (canvas, ward.x, ward.y, 0.38 * r, 0.30 * r, axis_deg, -0.25);
  }
  synth_canvas_add_blob (canvas, G2.x - 0.15 * r, G2.y + 0.55 * r, 0.55 * r, 0.6 * r, 0, -0.18);
  synth_canvas_add_blob (canvas, (L2.x + M2.x) / 2 + 0.05 * r, h, 0.30 * r, 2.8 * r, 0, -0.30);

  look.background = synth_uniform (rand, 222, 232);
  look.gradient = -4;
  look.tissue_gain = synth_uniform (rand, 22, 30);
  look.bone_gain = 130;
  look.texture = 0.12;
  look.texture_cell = 3;
  look.noise = 1.6;
  look.noise_cell = 3;
  look.blur = 2;

  /* Regions of interest. The neck box (49x15 at Hologic's scale) sits
   * across the narrowest part of the neck, its long side perpendicular
   * to the axis; Ward's square touches its distal edge at the bottom. */
  neck_w = 2 * 0.62 * r * 1.5;
  neck_h = neck_w * 15.0 / 49.0;
  {
    SynthPoint c = along (head, d, neck_u, n, 0);
    synth_roi_set (&neck, "neck", c.x, c.y, neck_w, neck_h, axis_deg - 90);
  }
  wards_side = neck_h;
  wards_u = neck_u + neck_h / 2 + wards_side / 2;
  /* Inferior neck outline between I1 and I2, less half the square. */
  wards_v = 0.60 * r + 0.35 * r * (wards_u - 1.25 * r) / (0.90 * r) - wards_side / 2 - 3 * s;
  {
    SynthPoint c = along (head, d, wards_u, n, wards_v);
    synth_roi_set (&wards, "wards", c.x, c.y, wards_side, wards_side, axis_deg - 90);
  }

  /* Total hip: about 5 pixels outside bone, the bottom 10 pixels below
   * the lesser trochanter; the neck box lies inside it. Trochanter and
   * intertrochanter split it distal to the neck box at Ward's level. */
  synth_roi_corners (&neck, corners);
  for (int k = 0; k < 4; k++)
    {
      lo_x = MIN (lo_x, corners[k].x);
      lo_y = MIN (lo_y, corners[k].y);
      hi_x = MAX (hi_x, corners[k].x);
    }
  synth_roi_set_box (&total, "total_hip",
                     lo_x - 1,
                     MIN (lo_y, G1.y - 0.05 * r) - 5 * s,
                     MAX (G3.x, hi_x) + 5 * s,
                     LT.y + 0.45 * r + 10 * s);
  synth_roi_set_box (&troch, "trochanter",
                     hi_x, total.cy - total.height / 2,
                     total.cx + total.width / 2, wards.cy);
  synth_roi_set_box (&inter, "intertrochanter",
                     hi_x, wards.cy,
                     total.cx + total.width / 2, total.cy + total.height / 2);

  roi_append (rois, &neck);
  roi_append (rois, &troch);
  roi_append (rois, &inter);
  roi_append (rois, &wards);
  roi_append (rois, &total);

  axis0 = along (head, d, -0.3 * r, n, 0);
  axis1 = along (head, d, 3.0 * r, n, 0);

  if (right_hip)
    {
      synth_canvas_mirror (canvas);
      for (guint i = first_roi; i < rois->len; i++)
        synth_roi_mirror (&g_array_index (rois, SynthRoi, i), w);
      axis0.x = w - axis0.x;
      axis1.x = w - axis1.x;
    }

  surface = synth_canvas_render (canvas, &look);

  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = first_roi; i < rois->len; i++)
    synth_draw_roi_frame (cr, &g_array_index (rois, SynthRoi, i));
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, axis0.x, axis0.y);
  cairo_line_to (cr, axis1.x, axis1.y);
  cairo_stroke (cr);
  draw_header (cr, w, !right_hip, "HIP", id);
  cairo_destroy (cr);

  return surface;
}

/* A vertebral body seen from the front: endplates and concave sides. */
static void
path_vertebra_ap (cairo_t *cr,
                  double   cx,
                  double   cy,
                  double   width,
                  double   height,
                  double   tilt_deg)
{
  double l = -width / 2;
  double r = width / 2;
  double t = -height / 2;
  double b = height / 2;
  double c = MIN (width, height) * 0.09;
  double waist = width * 0.06;

  cairo_save (cr);
  cairo_translate (cr, cx, cy);
  cairo_rotate (cr, tilt_deg * DEG);
  cairo_move_to (cr, l + c, t);
  cairo_curve_to (cr, l + width * 0.35, t - height * 0.02,
                  r - width * 0.35, t - height * 0.02, r - c, t);
  cairo_curve_to (cr, r, t, r + 0.01 * width, t + c * 0.3, r, t + c);
  cairo_curve_to (cr, r - waist, t + height * 0.35, r - waist, b - height * 0.35, r, b - c);
  cairo_curve_to (cr, r + 0.01 * width, b - c * 0.3, r, b, r - c, b);
  cairo_curve_to (cr, r - width * 0.35, b + height * 0.02,
                  l + width * 0.35, b + height * 0.02, l + c, b);
  cairo_curve_to (cr, l, b, l - 0.01 * width, b - c * 0.3, l, b - c);
  cairo_curve_to (cr, l + waist, b - height * 0.35, l + waist, t + height * 0.35, l, t + c);
  cairo_curve_to (cr, l - 0.01 * width, t + c * 0.3, l, t, l + c, t);
  cairo_close_path (cr);
  cairo_restore (cr);
}

#define SPINE_LEVELS 6  /* T12, L1, L2, L3, L4, L5 */

static cairo_surface_t *
draw_spine (guint   id,
            GRand  *rand,
            double  density,
            GArray *rois)
{
  static const double body_h[SPINE_LEVELS] = { 70, 80, 84, 88, 90, 88 };
  static const double body_w[SPINE_LEVELS] = { 108, 114, 120, 126, 132, 138 };
  static const double disc_h[SPINE_LEVELS] = { 14, 15, 16, 17, 17, 16 };
  static const double process_len[SPINE_LEVELS] = { 0.10, 0.20, 0.32, 0.42, 0.30, 0.26 };
  static const char *names[4] = { "L1", "L2", "L3", "L4" };
  int w = 2 * g_rand_int_range (rand, 200, 226);
  int h = 2 * g_rand_int_range (rand, 310, 341);
  double s = w / 420.0;
  double k = synth_uniform (rand, 0.94, 1.06) * s;
  double shift = synth_uniform (rand, -12, 12) * s;
  double sway = synth_uniform (rand, 0, 9) * s;
  double phase = synth_uniform (rand, 0, 2 * G_PI);
  double top[SPINE_LEVELS], bottom[SPINE_LEVELS], cx[SPINE_LEVELS], tilt[SPINE_LEVELS];
  double sacrum_top, crest_y, box_cx = 0, box_w, label_side;
  SynthLook look = { 0 };
  g_autoptr(SynthCanvas) canvas = synth_canvas_new (w, h, rand);
  cairo_surface_t *surface;
  cairo_pattern_t *pattern;
  cairo_t *cr;
  guint first_roi = rois->len;

  bottom[0] = synth_uniform (rand, 42, 62) * s;
  top[0] = bottom[0] - body_h[0] * k;
  for (int i = 1; i < SPINE_LEVELS; i++)
    {
      top[i] = bottom[i - 1] + disc_h[i - 1] * k;
      bottom[i] = top[i] + body_h[i] * k;
    }
  sacrum_top = bottom[SPINE_LEVELS - 1] + disc_h[SPINE_LEVELS - 1] * k;
  for (int i = 0; i < SPINE_LEVELS; i++)
    {
      double y = (top[i] + bottom[i]) / 2;

      cx[i] = w / 2.0 + shift + sway * sin (2 * G_PI * y / (1.6 * h) + phase);
      tilt[i] = synth_uniform (rand, -2.5, 2.5);
    }
  crest_y = (bottom[4] + top[5]) / 2 + synth_uniform (rand, -0.3, 0.2) * body_h[4] * k;

  /* Soft tissue: the abdomen, paraspinal muscles, some bowel gas. */
  cr = synth_canvas_begin_mask (canvas);
  cairo_paint (cr);
  synth_canvas_add_tissue (canvas, cr, 1.0, 0);

  cr = synth_canvas_begin_mask (canvas);
  for (int side = -1; side <= 1; side += 2)
    {
      double mx = cx[3] + side * 0.95 * body_w[3] * k;
      double half = 0.6 * body_w[3] * k;

      pattern = cairo_pattern_create_linear (mx - half, 0, mx + half, 0);
      cairo_pattern_add_color_stop_rgba (pattern, 0, 0, 0, 0, 0);
      cairo_pattern_add_color_stop_rgba (pattern, 0.5, 0, 0, 0, 1);
      cairo_pattern_add_color_stop_rgba (pattern, 1, 0, 0, 0, 0);
      cairo_set_source (cr, pattern);
      cairo_rectangle (cr, mx - half, 0, 2 * half, h);
      cairo_fill (cr);
      cairo_pattern_destroy (pattern);
    }
  synth_canvas_add_tissue (canvas, cr, 0.45, 0);

  /* One draw per statement: the order in which C evaluates arguments is
   * unspecified, and the images must not depend on the compiler. */
  for (int g = g_rand_int_range (rand, 2, 6); g > 0; g--)
    {
      double gx = synth_uniform (rand, 0.05, 0.95) * w;
      double gy = synth_uniform (rand, 0.35, 0.95) * h;
      double rx = synth_uniform (rand, 10, 30) * s;
      double ry = synth_uniform (rand, 8, 22) * s;
      double amount = synth_uniform (rand, 0.2, 0.45);

      synth_canvas_add_tissue_blob (canvas, gx, gy, rx, ry, -amount);
    }

  /* Iliac wings, thin plates with a dense crest, and the sacrum. */
  cr = synth_canvas_begin_mask (canvas);
  for (int side = -1; side <= 1; side += 2)
    {
      double wl5 = body_w[5] * k;
      double bh = body_h[4] * k;
      double base = cx[5];
      SynthPoint wing[] = {
        pt (base + side * 0.60 * wl5, h + 30),
        pt (base + side * 0.66 * wl5, crest_y + 1.3 * bh),
        pt (base + side * 0.85 * wl5, crest_y + 0.45 * bh),
        pt (base + side * 1.15 * wl5, crest_y + 0.06 * bh),
        pt (base + side * 1.50 * wl5, crest_y),
        pt (base + side * 1.90 * wl5, crest_y + 0.22 * bh),
        pt (base + side * 2.30 * wl5, crest_y + 0.85 * bh),
        pt (base + side * 2.50 * wl5, h + 30),
      };
      path_spline (cr, wing, G_N_ELEMENTS (wing), TRUE);
      cairo_fill (cr);
    }
  {
    double wl5 = body_w[5] * k;
    SynthPoint sacrum[] = {
      pt (cx[5] - 0.60 * wl5, sacrum_top + 5 * s),
      pt (cx[5], sacrum_top - 2 * s),
      pt (cx[5] + 0.60 * wl5, sacrum_top + 5 * s),
      pt (cx[5] + 0.66 * wl5, h + 30),
      pt (cx[5] - 0.66 * wl5, h + 30),
    };
    path_spline (cr, sacrum, G_N_ELEMENTS (sacrum), TRUE);
    cairo_fill (cr);
  }
  synth_canvas_add_bone (canvas, cr, 0.30, 0.55, (int)(6 * s));

  /* Posterior elements: tapering transverse processes, spinous processes,
   * the 12th ribs. */
  cr = synth_canvas_begin_mask (canvas);
  for (int i = 0; i < SPINE_LEVELS; i++)
    {
      double bw = body_w[i] * k;
      double bh = body_h[i] * k;
      double y = top[i] + 0.36 * bh;

      for (int side = -1; side <= 1; side += 2)
        {
          double tip = cx[i] + side * (0.5 + process_len[i]) * bw;

          cairo_move_to (cr, cx[i] + side * 0.38 * bw, y - 0.10 * bh);
          cairo_curve_to (cr, cx[i] + side * 0.5 * bw, y - 0.07 * bh,
                          tip - side * 0.1 * bw, y - 0.09 * bh, tip, y - 0.06 * bh);
          cairo_curve_to (cr, tip + side * 0.03 * bw, y - 0.04 * bh,
                          tip + side * 0.03 * bw, y + 0.02 * bh, tip, y + 0.03 * bh);
          cairo_curve_to (cr, tip - side * 0.1 * bw, y + 0.04 * bh,
                          cx[i] + side * 0.5 * bw, y + 0.08 * bh,
                          cx[i] + side * 0.38 * bw, y + 0.12 * bh);
          cairo_close_path (cr);
        }
      synth_path_ellipse (cr, cx[i], bottom[i] - 0.02 * bh, 0.065 * bw, 0.26 * bh, 0);
    }
  cairo_fill (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_width (cr, 0.12 * body_h[0] * k);
  for (int side = -1; side <= 1; side += 2)
    {
      double bw = body_w[0] * k;

      cairo_move_to (cr, cx[0] + side * 0.45 * bw, top[0] + 0.45 * body_h[0] * k);
      cairo_curve_to (cr, cx[0] + side * 0.8 * bw, top[0] + 0.6 * body_h[0] * k,
                      cx[0] + side * 1.05 * bw, bottom[0] + 0.3 * body_h[1] * k,
                      cx[0] + side * 1.25 * bw, bottom[0] + 0.75 * body_h[1] * k);
    }
  cairo_stroke (cr);
  synth_canvas_add_bone (canvas, cr, 0.22, 0.22, (int)(3 * s));

  /* Pedicles: oval rings in the upper half of each body. */
  cr = synth_canvas_begin_mask (canvas);
  for (int i = 0; i < SPINE_LEVELS; i++)
    for (int side = -1; side <= 1; side += 2)
      synth_path_ellipse (cr, cx[i] + side * 0.31 * body_w[i] * k, top[i] + 0.32 * body_h[i] * k,
                          0.08 * body_w[i] * k, 0.14 * body_h[i] * k, 0);
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.06, 0.45, (int)(3 * s));

  cr = synth_canvas_begin_mask (canvas);
  for (int i = 0; i < SPINE_LEVELS; i++)
    path_vertebra_ap (cr, cx[i], (top[i] + bottom[i]) / 2, body_w[i] * k, body_h[i] * k, tilt[i]);
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 1.05 * density, 0.40, (int)(5 * s));
  for (int i = 0; i < SPINE_LEVELS; i++)
    synth_canvas_add_blob (canvas, cx[i], (top[i] + bottom[i]) / 2,
                           0.3 * body_w[i] * k, 0.3 * body_h[i] * k, 0, -0.06);

  look.background = synth_uniform (rand, 224, 234);
  look.gradient = 0;
  look.tissue_gain = synth_uniform (rand, 20, 26);
  look.bone_gain = 125;
  look.texture = 0.12;
  look.texture_cell = 3;
  look.noise = 1.6;
  look.noise_cell = 3;
  look.blur = 2;

  surface = synth_canvas_render (canvas, &look);

  /* One analysis box, split by intervertebral lines placed mid-disc. */
  for (int i = 1; i <= 4; i++)
    box_cx += cx[i] / 4;
  box_w = 1.55 * body_w[4] * k;
  for (int i = 1; i <= 4; i++)
    {
      SynthRoi roi;

      synth_roi_set_box (&roi, names[i - 1],
                         box_cx - box_w / 2, (bottom[i - 1] + top[i]) / 2,
                         box_cx + box_w / 2, (bottom[i] + top[i + 1]) / 2);
      roi_append (rois, &roi);
    }

  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);
  label_side = floor (22 * s);
  for (guint i = first_roi; i < rois->len; i++)
    {
      const SynthRoi *roi = &g_array_index (rois, SynthRoi, i);

      synth_draw_roi_frame (cr, roi);
      synth_draw_label_box (cr,
                            floor (roi->cx - roi->width / 2 - 6 * s - label_side),
                            floor (roi->cy - label_side / 2),
                            label_side, roi->label);
    }
  draw_header (cr, w, FALSE, "AP SPINE", id);
  cairo_destroy (cr);

  return surface;
}

/* A bone outline given as knots (y, left x, right x) from top to bottom,
 * with extra points closing it at the bottom. */
typedef struct
{
  double y;
  double left;
  double right;
} Knot;

static double
knot_edge (const Knot *knots,
           int         n,
           double      y,
           gboolean    right)
{
  if (y <= knots[0].y)
    return right ? knots[0].right : knots[0].left;
  for (int i = 1; i < n; i++)
    if (y <= knots[i].y)
      {
        double f = (y - knots[i - 1].y) / (knots[i].y - knots[i - 1].y);
        double a = right ? knots[i - 1].right : knots[i - 1].left;
        double b = right ? knots[i].right : knots[i].left;

        return a + f * (b - a);
      }
  return right ? knots[n - 1].right : knots[n - 1].left;
}

static void
path_long_bone (cairo_t          *cr,
                const Knot       *knots,
                int               n,
                const SynthPoint *end,
                int               n_end)
{
  SynthPoint p[32];
  int m = 0;

  g_assert (2 * n + n_end <= (int)G_N_ELEMENTS (p));

  for (int i = 0; i < n; i++)
    p[m++] = pt (knots[i].left, knots[i].y);
  for (int i = 0; i < n_end; i++)
    p[m++] = end[i];
  for (int i = n - 1; i >= 0; i--)
    p[m++] = pt (knots[i].right, knots[i].y);
  path_spline (cr, p, m, TRUE);
}

/* Distal forearm, radius on the left, wrist at the bottom. */
static cairo_surface_t *
draw_forearm (guint   id,
              GRand  *rand,
              double  density,
              GArray *rois)
{
  int w = 2 * g_rand_int_range (rand, 160, 181);
  int h = 2 * g_rand_int_range (rand, 320, 361);
  double s = w / 340.0;
  double dx = synth_uniform (rand, -10, 10) * s;
  Knot radius[] = {
    { -0.05, 104, 134 }, { 0.30, 103, 135 }, { 0.55, 101, 138 }, { 0.66, 97, 143 },
    { 0.74, 88, 151 }, { 0.80, 80, 159 }, { 0.83, 76, 163 },
  };
  Knot ulna[] = {
    { -0.05, 205, 238 }, { 0.30, 202, 233 }, { 0.55, 197, 227 }, { 0.70, 188, 220 },
    { 0.78, 176, 221 }, { 0.815, 173, 226 },
  };
  SynthPoint radius_end[3], ulna_end[3];
  double tip_y, y33, len, ppm, h33, hud, ud_bottom, ud_top;
  SynthLook look = { 0 };
  g_autoptr(SynthCanvas) canvas = synth_canvas_new (w, h, rand);
  cairo_surface_t *surface;
  cairo_t *cr;
  guint first_roi = rois->len;

  for (guint i = 0; i < G_N_ELEMENTS (radius); i++)
    {
      radius[i].y *= h;
      radius[i].left = radius[i].left * s + dx;
      radius[i].right = radius[i].right * s + dx;
    }
  for (guint i = 0; i < G_N_ELEMENTS (ulna); i++)
    {
      ulna[i].y *= h;
      ulna[i].left = ulna[i].left * s + dx;
      ulna[i].right = ulna[i].right * s + dx;
    }
  radius_end[0] = pt (80 * s + dx, 0.866 * h);   /* radial styloid */
  radius_end[1] = pt (120 * s + dx, 0.852 * h);
  radius_end[2] = pt (158 * s + dx, 0.838 * h);
  ulna_end[0] = pt (184 * s + dx, 0.836 * h);
  ulna_end[1] = pt (206 * s + dx, 0.845 * h);
  ulna_end[2] = pt (222 * s + dx, 0.862 * h);    /* ulnar styloid */
  tip_y = 0.862 * h;

  cr = synth_canvas_begin_mask (canvas);
  {
    SynthPoint arm[] = {
      pt (40 * s + dx, -20), pt (300 * s + dx, -20), pt (292 * s + dx, 0.6 * h),
      pt (282 * s + dx, 0.85 * h), pt (292 * s + dx, h + 20),
      pt (45 * s + dx, h + 20), pt (56 * s + dx, 0.85 * h), pt (48 * s + dx, 0.6 * h),
    };
    path_spline (cr, arm, G_N_ELEMENTS (arm), TRUE);
    cairo_fill (cr);
  }
  synth_canvas_add_tissue (canvas, cr, 1.0, (int)(4 * s));

  /* Proximal carpal row and the start of the distal one. */
  cr = synth_canvas_begin_mask (canvas);
  synth_path_ellipse (cr, 98 * s + dx, 0.902 * h, 29 * s, 17 * s, -30);  /* scaphoid */
  synth_path_ellipse (cr, 145 * s + dx, 0.897 * h, 22 * s, 18 * s, 0);   /* lunate */
  synth_path_ellipse (cr, 186 * s + dx, 0.908 * h, 19 * s, 15 * s, 20);  /* triquetrum */
  synth_path_ellipse (cr, 78 * s + dx, 0.966 * h, 22 * s, 18 * s, 10);   /* trapezium */
  synth_path_ellipse (cr, 113 * s + dx, 0.974 * h, 16 * s, 16 * s, 0);   /* trapezoid */
  synth_path_ellipse (cr, 148 * s + dx, 0.976 * h, 21 * s, 24 * s, 0);   /* capitate */
  synth_path_ellipse (cr, 189 * s + dx, 0.970 * h, 21 * s, 20 * s, 0);   /* hamate */
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.50, 0.35, (int)(4 * s));
  cr = synth_canvas_begin_mask (canvas);
  synth_path_ellipse (cr, 202 * s + dx, 0.926 * h, 12 * s, 11 * s, 0);   /* pisiform */
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.30, 0.25, (int)(3 * s));

  cr = synth_canvas_begin_mask (canvas);
  path_long_bone (cr, ulna, G_N_ELEMENTS (ulna), ulna_end, G_N_ELEMENTS (ulna_end));
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.62 * density, 0.65, (int)(6 * s));

  cr = synth_canvas_begin_mask (canvas);
  path_long_bone (cr, radius, G_N_ELEMENTS (radius), radius_end, G_N_ELEMENTS (radius_end));
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.66 * density, 0.70, (int)(6 * s));
  /* The ultradistal radius is trabecular: fuller inside, thinner cortex. */
  synth_canvas_add_blob (canvas, 120 * s + dx, 0.80 * h, 32 * s, 0.05 * h, 0, 0.25);

  look.background = synth_uniform (rand, 224, 232);
  look.gradient = 0;
  look.tissue_gain = synth_uniform (rand, 22, 30);
  look.bone_gain = 120;
  look.texture = 0.10;
  look.texture_cell = 3;
  look.noise = 1.6;
  look.noise_cell = 3;
  look.blur = 2;

  surface = synth_canvas_render (canvas, &look);

  /* Sites by fractions of the ulna length, measured from the styloid:
   * 33% (20 mm high), ultradistal (15 mm, just proximal to the endplate)
   * and mid between them. We see only the distal part of the ulna, so its
   * length follows from where the 33% site falls. */
  y33 = synth_uniform (rand, 0.20, 0.27) * h;
  len = 3 * (tip_y - y33);
  ppm = len / 255.0;
  h33 = 20 * ppm;
  hud = 15 * ppm;
  ud_bottom = radius_end[2].y - 0.015 * h;
  ud_top = ud_bottom - hud;
  {
    struct { const char *label; double top; double bottom; } sites[] = {
      { "radius_33", y33 - h33 / 2, y33 + h33 / 2 },
      { "radius_mid", y33 + h33 / 2, ud_top },
      { "radius_ud", ud_top, ud_bottom },
    };

    for (guint i = 0; i < G_N_ELEMENTS (sites); i++)
      {
        double lo = MIN (knot_edge (radius, G_N_ELEMENTS (radius), sites[i].top, FALSE),
                         knot_edge (radius, G_N_ELEMENTS (radius), sites[i].bottom, FALSE));
        double hi = MAX (knot_edge (radius, G_N_ELEMENTS (radius), sites[i].top, TRUE),
                         knot_edge (radius, G_N_ELEMENTS (radius), sites[i].bottom, TRUE));
        SynthRoi roi;

        synth_roi_set_box (&roi, sites[i].label,
                           lo - 6 * s, sites[i].top, hi + 6 * s, sites[i].bottom);
        roi_append (rois, &roi);
      }
  }

  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = first_roi; i < rois->len; i++)
    synth_draw_roi_frame (cr, &g_array_index (rois, SynthRoi, i));
  draw_header (cr, w, TRUE, "FOREARM", id);
  cairo_destroy (cr);

  return surface;
}

/* Lateral spine (VFA), T4 to L5, anterior on the left. */
#define LATERAL_LEVELS 14

static double
lateral_centre_x (double y,
                  double phase)
{
  double h = SYNTH_LATERAL_HEIGHT;
  double lumbar = MAX (0.0, (y - 0.69 * h) / (0.31 * h));

  return 182 + 30 * sin (G_PI * y / (0.69 * h) + phase) - 38 * lumbar * lumbar;
}

static cairo_surface_t *
draw_lateral (guint     id,
              GRand    *rand,
              double    density,
              gboolean  osteoporotic,
              GArray   *rois)
{
  int w = SYNTH_LATERAL_WIDTH;
  int h = SYNTH_LATERAL_HEIGHT;
  double phase = synth_uniform (rand, -0.15, 0.15);
  double k = synth_uniform (rand, 0.95, 1.03);
  double y = synth_uniform (rand, 55, 80);
  int wedged = -1;
  SynthLook look = { 0 };
  g_autoptr(SynthCanvas) canvas = synth_canvas_new (w, h, rand);
  double yc[LATERAL_LEVELS], xc[LATERAL_LEVELS], vh[LATERAL_LEVELS], vd[LATERAL_LEVELS];
  double angle[LATERAL_LEVELS];
  cairo_surface_t *surface;
  cairo_t *cr;

  /* An osteoporotic spine may show a wedge fracture, T7 to L1. */
  if (osteoporotic && g_rand_double (rand) < 0.6)
    wedged = g_rand_int_range (rand, 3, 10);  /* T4 is level 0 */

  for (int i = 0; i < LATERAL_LEVELS; i++)
    {
      double f = i / (double)(LATERAL_LEVELS - 1);
      double disc = (11 + 6 * f) * k;
      double dxdy;

      vh[i] = (44 + 26 * f) * k;
      vd[i] = (66 + 36 * f) * k;
      yc[i] = y + vh[i] / 2;
      xc[i] = lateral_centre_x (yc[i], phase);
      dxdy = (lateral_centre_x (yc[i] + 1, phase) - lateral_centre_x (yc[i] - 1, phase)) / 2;
      angle[i] = -atan (dxdy) / DEG;
      y += vh[i] + disc;
    }

  /* Soft tissue: lungs above the diaphragm, abdomen below, back muscles. */
  cr = synth_canvas_begin_mask (canvas);
  cairo_paint (cr);
  synth_canvas_add_tissue (canvas, cr, 0.55, 0);

  cr = synth_canvas_begin_mask (canvas);
  {
    double dome = synth_uniform (rand, 0.48, 0.56) * h;

    cairo_move_to (cr, -10, dome + 30);
    cairo_curve_to (cr, w * 0.3, dome - 50, w * 0.6, dome - 30, w + 10, dome + 60);
    cairo_line_to (cr, w + 10, h + 10);
    cairo_line_to (cr, -10, h + 10);
    cairo_close_path (cr);
    cairo_fill (cr);
  }
  synth_canvas_add_tissue (canvas, cr, 0.55, 10);

  cr = synth_canvas_begin_mask (canvas);
  {
    cairo_pattern_t *pattern = cairo_pattern_create_linear (260, 0, w, 0);

    cairo_pattern_add_color_stop_rgba (pattern, 0, 0, 0, 0, 0);
    cairo_pattern_add_color_stop_rgba (pattern, 1, 0, 0, 0, 1);
    cairo_set_source (cr, pattern);
    cairo_paint (cr);
    cairo_pattern_destroy (pattern);
  }
  synth_canvas_add_tissue (canvas, cr, 0.35, 0);

  /* Posterior ribs crossing the thoracic spine. */
  cr = synth_canvas_begin_mask (canvas);
  for (int i = 0; i < 9; i++)
    {
      double x0 = xc[i] + 0.9 * vd[i];
      double sag = synth_uniform (rand, 100, 140);

      cairo_set_line_width (cr, synth_uniform (rand, 6, 9));
      cairo_move_to (cr, x0, yc[i]);
      cairo_curve_to (cr, x0 - 60, yc[i] + 10, xc[i] - 80, yc[i] + 0.4 * sag,
                      xc[i] - 150, yc[i] + sag);
      cairo_stroke (cr);
    }
  synth_canvas_add_bone (canvas, cr, 0.07, 0.12, 3);

  /* Posterior elements: pedicle, lamina and spinous process. */
  cr = synth_canvas_begin_mask (canvas);
  for (int i = 0; i < LATERAL_LEVELS; i++)
    {
      double d = vd[i];
      double hh = vh[i];

      cairo_save (cr);
      cairo_translate (cr, xc[i], yc[i]);
      cairo_rotate (cr, angle[i] * DEG);
      cairo_rectangle (cr, d / 2 - 2, -0.42 * hh, 0.32 * d, 0.36 * hh);
      cairo_move_to (cr, d / 2 + 0.25 * d, -0.45 * hh);
      cairo_line_to (cr, d / 2 + 0.75 * d, 0.15 * hh);
      cairo_line_to (cr, d / 2 + 0.70 * d, 0.45 * hh);
      cairo_line_to (cr, d / 2 + 0.22 * d, 0.05 * hh);
      cairo_close_path (cr);
      cairo_restore (cr);
    }
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.16, 0.18, 3);

  cr = synth_canvas_begin_mask (canvas);
  for (int i = 0; i < LATERAL_LEVELS; i++)
    {
      double d = vd[i];
      double hh = vh[i];
      double front = i == wedged ? 0.62 : 1.0;

      cairo_save (cr);
      cairo_translate (cr, xc[i], yc[i]);
      cairo_rotate (cr, angle[i] * DEG);
      cairo_move_to (cr, -d / 2 + 4, -hh / 2 + (1 - front) * hh);
      cairo_line_to (cr, d / 2 - 4, -hh / 2);
      cairo_curve_to (cr, d / 2, -hh / 2, d / 2, -hh / 2, d / 2, -hh / 2 + 4);
      cairo_line_to (cr, d / 2, hh / 2 - 4);
      cairo_curve_to (cr, d / 2, hh / 2, d / 2, hh / 2, d / 2 - 4, hh / 2);
      cairo_line_to (cr, -d / 2 + 4, hh / 2);
      cairo_curve_to (cr, -d / 2 - 1, hh / 2, -d / 2 - 1, hh / 2, -d / 2 - 1, hh / 2 - 4);
      cairo_curve_to (cr, -d / 2 + 3, 0.2 * hh, -d / 2 + 3, -0.2 * hh * front, -d / 2 - 1,
                      -hh / 2 + (1 - front) * hh + 4);
      cairo_close_path (cr);
      cairo_restore (cr);
    }
  cairo_fill (cr);
  synth_canvas_add_bone (canvas, cr, 0.85 * density, 0.40, 4);

  look.background = synth_uniform (rand, 210, 220);
  look.gradient = 6;
  look.tissue_gain = 30;
  look.bone_gain = 100;
  look.texture = 0.10;
  look.texture_cell = 3;
  look.noise = 3.0;
  look.noise_cell = 2;
  look.blur = 1;

  surface = synth_canvas_render (canvas, &look);

  cr = cairo_create (surface);
  draw_header (cr, w, FALSE, "LATERAL", id);
  cairo_destroy (cr);

  return surface;
}

cairo_surface_t *
synth_scan_draw (SynthScanKind  kind,
                 guint          id,
                 GRand         *rand,
                 double         tscore,
                 gboolean       osteoporotic,
                 GArray        *rois)
{
  double density = density_from_tscore (tscore);

  switch (kind)
    {
    case SYNTH_SCAN_HIP:
      return draw_hip (id, rand, density, rois);
    case SYNTH_SCAN_SPINE:
      return draw_spine (id, rand, density, rois);
    case SYNTH_SCAN_FOREARM:
      return draw_forearm (id, rand, density, rois);
    case SYNTH_SCAN_LATERAL:
      return draw_lateral (id, rand, density, osteoporotic, rois);
    default:
      g_assert_not_reached ();
    }
  return NULL;
}
