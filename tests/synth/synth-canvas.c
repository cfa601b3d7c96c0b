/* synth-canvas.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "synth-canvas.h"

struct _SynthCanvas
{
  int    width;
  int    height;
  GRand *rand;
  float *tissue;
  float *bone;
  float *bone_mask;
  float *scratch;
};

/* A 5x7 raster font, one byte per row, bit 4 is the leftmost column. The
 * scanner burns its own raster text into the image; drawing ours from a
 * table keeps the output independent of the fonts installed. */
typedef struct
{
  char   c;
  guint8 rows[7];
} Glyph;

static const Glyph glyphs[] = {
  { '0', { 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e } },
  { '1', { 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e } },
  { '2', { 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f } },
  { '3', { 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e } },
  { '4', { 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 } },
  { '5', { 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e } },
  { '6', { 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e } },
  { '7', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 } },
  { '8', { 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e } },
  { '9', { 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c } },
  { 'A', { 0x0e, 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11 } },
  { 'B', { 0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e } },
  { 'C', { 0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e } },
  { 'D', { 0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c } },
  { 'E', { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f } },
  { 'F', { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10 } },
  { 'G', { 0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f } },
  { 'H', { 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 } },
  { 'I', { 0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e } },
  { 'J', { 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c } },
  { 'K', { 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 } },
  { 'L', { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f } },
  { 'M', { 0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11 } },
  { 'N', { 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 } },
  { 'O', { 0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e } },
  { 'P', { 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10 } },
  { 'Q', { 0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d } },
  { 'R', { 0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11 } },
  { 'S', { 0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e } },
  { 'T', { 0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 } },
  { 'U', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e } },
  { 'V', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04 } },
  { 'W', { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a } },
  { 'X', { 0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11 } },
  { 'Y', { 0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04 } },
  { 'Z', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f } },
  { '-', { 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 } },
  { ':', { 0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00 } },
  { '.', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c } },
  { '/', { 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00 } },
};

double
synth_uniform (GRand  *rand,
               double  lo,
               double  hi)
{
  return lo + (hi - lo) * g_rand_double (rand);
}

/* Box-Muller; one draw per call keeps the stream easy to reason about. */
double
synth_gauss (GRand  *rand,
             double  mean,
             double  sd)
{
  double u = 1.0 - g_rand_double (rand);
  double v = g_rand_double (rand);

  return mean + sd * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

SynthCanvas *
synth_canvas_new (int    width,
                  int    height,
                  GRand *rand)
{
  SynthCanvas *canvas;
  gsize n;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  n = (gsize)width * (gsize)height;
  canvas = g_new0 (SynthCanvas, 1);
  canvas->width = width;
  canvas->height = height;
  canvas->rand = rand;
  canvas->tissue = g_new0 (float, n);
  canvas->bone = g_new0 (float, n);
  canvas->bone_mask = g_new0 (float, n);
  canvas->scratch = g_new0 (float, n);

  return canvas;
}

void
synth_canvas_free (SynthCanvas *canvas)
{
  if (canvas == NULL)
    return;

  g_free (canvas->tissue);
  g_free (canvas->bone);
  g_free (canvas->bone_mask);
  g_free (canvas->scratch);
  g_free (canvas);
}

/* Running-sum box blur along one line, edges clamped. */
static void
blur_line (const float *src,
           float       *dst,
           int          n,
           int          r)
{
  double sum = 0;
  double norm = 1.0 / (2 * r + 1);

  for (int k = -r; k <= r; k++)
    sum += src[CLAMP (k, 0, n - 1)];

  for (int i = 0; i < n; i++)
    {
      dst[i] = (float)(sum * norm);
      sum += src[MIN (i + r + 1, n - 1)] - src[MAX (i - r, 0)];
    }
}

/* Two box passes in each direction come close enough to a Gaussian. The
 * vertical pass runs along rows, keeping one running sum per column, so
 * that it reads memory in order. */
static void
box_blur (float *buf,
          int    width,
          int    height,
          int    r,
          int    passes)
{
  g_autofree float *line = NULL;
  g_autofree float *copy = NULL;
  g_autofree double *sums = NULL;
  double norm = 1.0 / (2 * r + 1);

  if (r <= 0)
    return;

  line = g_new (float, width);
  copy = g_new (float, (gsize)width * height);
  sums = g_new (double, width);

  for (int p = 0; p < passes; p++)
    {
      for (int y = 0; y < height; y++)
        {
          float *row = buf + (gsize)y * width;

          memcpy (line, row, width * sizeof (float));
          blur_line (line, row, width, r);
        }

      memcpy (copy, buf, (gsize)width * height * sizeof (float));
      memset (sums, 0, width * sizeof (double));
      for (int k = -r; k <= r; k++)
        {
          const float *row = copy + (gsize)CLAMP (k, 0, height - 1) * width;

          for (int x = 0; x < width; x++)
            sums[x] += row[x];
        }
      for (int y = 0; y < height; y++)
        {
          float *out = buf + (gsize)y * width;
          const float *add = copy + (gsize)MIN (y + r + 1, height - 1) * width;
          const float *sub = copy + (gsize)MAX (y - r, 0) * width;

          for (int x = 0; x < width; x++)
            {
              out[x] = (float)(sums[x] * norm);
              sums[x] += add[x] - sub[x];
            }
        }
    }
}

/* Value noise: random values on a coarse grid, interpolated bilinearly.
 * Smooth noise looks like the scanner's and compresses far better in PNG
 * than independent per-pixel noise. */
static void
value_noise (GRand *rand,
             float *out,
             int    width,
             int    height,
             int    cell,
             double amplitude)
{
  int gw = width / cell + 2;
  int gh = height / cell + 2;
  g_autofree float *grid = g_new (float, (gsize)gw * gh);

  for (int i = 0; i < gw * gh; i++)
    grid[i] = (float)(amplitude * (g_rand_double (rand) + g_rand_double (rand) - 1.0));

  for (int y = 0; y < height; y++)
    {
      double gy = (double)y / cell;
      int iy = (int)gy;
      double fy = gy - iy;

      for (int x = 0; x < width; x++)
        {
          double gx = (double)x / cell;
          int ix = (int)gx;
          double fx = gx - ix;
          const float *g0 = grid + (gsize)iy * gw + ix;
          const float *g1 = g0 + gw;
          double top = g0[0] + (g0[1] - g0[0]) * fx;
          double bottom = g1[0] + (g1[1] - g1[0]) * fx;

          out[(gsize)y * width + x] = (float)(top + (bottom - top) * fy);
        }
    }
}

/* Integer grain on blocks of @cell pixels: it gives the image the
 * scanner's graininess, while flat blocks keep the PNG small. */
static void
block_noise (GRand *rand,
             float *out,
             int    width,
             int    height,
             int    cell,
             double amplitude)
{
  int gw = (width + cell - 1) / cell;
  int gh = (height + cell - 1) / cell;
  g_autofree float *grid = g_new (float, (gsize)gw * gh);

  for (int i = 0; i < gw * gh; i++)
    grid[i] = (float)lround (synth_gauss (rand, 0, amplitude));

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      out[(gsize)y * width + x] = grid[(gsize)(y / cell) * gw + x / cell];
}

cairo_t *
synth_canvas_begin_mask (SynthCanvas *canvas)
{
  cairo_surface_t *surface;
  cairo_t *cr;

  surface = cairo_image_surface_create (CAIRO_FORMAT_A8, canvas->width, canvas->height);
  cr = cairo_create (surface);
  cairo_surface_destroy (surface);
  cairo_set_source_rgba (cr, 0, 0, 0, 1);

  return cr;
}

/* Reads the mask drawn on @mask into canvas->scratch (0..1) and destroys
 * the context. */
static void
take_mask (SynthCanvas *canvas,
           cairo_t     *mask)
{
  cairo_surface_t *surface = cairo_get_target (mask);
  const guint8 *data;
  int stride;

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);

  for (int y = 0; y < canvas->height; y++)
    for (int x = 0; x < canvas->width; x++)
      canvas->scratch[(gsize)y * canvas->width + x] = data[(gsize)y * stride + x] / 255.0f;

  cairo_destroy (mask);
}

/* @soften blurs the mask first: skin lines and organs have soft edges. */
void
synth_canvas_add_tissue (SynthCanvas *canvas,
                         cairo_t     *mask,
                         double       amount,
                         int          soften)
{
  gsize n = (gsize)canvas->width * canvas->height;

  take_mask (canvas, mask);
  box_blur (canvas->scratch, canvas->width, canvas->height, soften, 2);
  for (gsize i = 0; i < n; i++)
    canvas->tissue[i] += (float)(amount * canvas->scratch[i]);
}

/* Cortical bone shows as a denser rim: inside the mask, where a blurred
 * copy of the mask drops below 1, we add @cortex. */
void
synth_canvas_add_bone (SynthCanvas *canvas,
                       cairo_t     *mask,
                       double       density,
                       double       cortex,
                       int          cortex_radius)
{
  gsize n = (gsize)canvas->width * canvas->height;
  g_autofree float *blurred = g_new (float, n);

  take_mask (canvas, mask);
  memcpy (blurred, canvas->scratch, n * sizeof (float));
  box_blur (blurred, canvas->width, canvas->height, cortex_radius, 2);

  for (gsize i = 0; i < n; i++)
    {
      float m = canvas->scratch[i];
      double rim;

      if (m <= 0)
        continue;

      rim = CLAMP (2.2 * (1.0 - blurred[i]), 0.0, 1.0);
      canvas->bone[i] += (float)(m * (density + cortex * rim));
      canvas->bone_mask[i] = MAX (canvas->bone_mask[i], m);
    }
}

static double
blob_weight (double x,
             double y,
             double cx,
             double cy,
             double rx,
             double ry,
             double c,
             double s)
{
  double dx = x - cx;
  double dy = y - cy;
  double u = (dx * c + dy * s) / rx;
  double v = (-dx * s + dy * c) / ry;

  return exp (-(u * u + v * v));
}

/* Adds a soft elliptic change of density, only where there is bone. */
void
synth_canvas_add_blob (SynthCanvas *canvas,
                       double       cx,
                       double       cy,
                       double       rx,
                       double       ry,
                       double       angle_deg,
                       double       amount)
{
  double c = cos (angle_deg * G_PI / 180.0);
  double s = sin (angle_deg * G_PI / 180.0);
  double reach = 2.5 * MAX (rx, ry);
  int x0 = MAX (0, (int)(cx - reach));
  int x1 = MIN (canvas->width - 1, (int)(cx + reach));
  int y0 = MAX (0, (int)(cy - reach));
  int y1 = MIN (canvas->height - 1, (int)(cy + reach));

  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++)
      {
        gsize i = (gsize)y * canvas->width + x;
        double w;

        if (canvas->bone_mask[i] <= 0)
          continue;
        w = blob_weight (x, y, cx, cy, rx, ry, c, s);
        canvas->bone[i] = (float)MAX (0.0, canvas->bone[i] + amount * w * canvas->bone_mask[i]);
      }
}

/* Soft tissue changes (bowel gas, fat) that ignore the bone mask. */
void
synth_canvas_add_tissue_blob (SynthCanvas *canvas,
                              double       cx,
                              double       cy,
                              double       rx,
                              double       ry,
                              double       amount)
{
  double reach = 2.5 * MAX (rx, ry);
  int x0 = MAX (0, (int)(cx - reach));
  int x1 = MIN (canvas->width - 1, (int)(cx + reach));
  int y0 = MAX (0, (int)(cy - reach));
  int y1 = MIN (canvas->height - 1, (int)(cy + reach));

  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++)
      {
        gsize i = (gsize)y * canvas->width + x;

        canvas->tissue[i] += (float)(amount * blob_weight (x, y, cx, cy, rx, ry, 1, 0));
      }
}

static void
mirror_plane (float *plane,
              int    width,
              int    height)
{
  for (int y = 0; y < height; y++)
    {
      float *row = plane + (gsize)y * width;

      for (int a = 0, b = width - 1; a < b; a++, b--)
        {
          float t = row[a];
          row[a] = row[b];
          row[b] = t;
        }
    }
}

/* Turns a left hip into a right hip, say. */
void
synth_canvas_mirror (SynthCanvas *canvas)
{
  mirror_plane (canvas->tissue, canvas->width, canvas->height);
  mirror_plane (canvas->bone, canvas->width, canvas->height);
  mirror_plane (canvas->bone_mask, canvas->width, canvas->height);
}

cairo_surface_t *
synth_canvas_render (SynthCanvas     *canvas,
                     const SynthLook *look)
{
  int w = canvas->width;
  int h = canvas->height;
  gsize n = (gsize)w * h;
  g_autofree float *grey = g_new (float, n);
  g_autofree float *texture = g_new0 (float, n);
  g_autofree float *noise = g_new0 (float, n);
  cairo_surface_t *surface;
  guint8 *data;
  int stride;

  if (look->texture > 0)
    value_noise (canvas->rand, texture, w, h, MAX (1, look->texture_cell), look->texture);
  if (look->noise > 0)
    block_noise (canvas->rand, noise, w, h, MAX (1, look->noise_cell), look->noise);

  for (int y = 0; y < h; y++)
    {
      double base = look->background + look->gradient * y / h;

      for (int x = 0; x < w; x++)
        {
          gsize i = (gsize)y * w + x;
          double bone = canvas->bone[i] * (1.0 + texture[i] * canvas->bone_mask[i]);

          grey[i] = (float)(base - look->tissue_gain * canvas->tissue[i] - look->bone_gain * bone);
        }
    }

  box_blur (grey, w, h, look->blur, 1);

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);

  for (int y = 0; y < h; y++)
    {
      guint32 *row = (guint32 *)(gpointer)(data + (gsize)y * stride);

      for (int x = 0; x < w; x++)
        {
          gsize i = (gsize)y * w + x;
          int g = (int)lround (grey[i]) + (int)noise[i];
          guint32 v = (guint32)CLAMP (g, 0, 255);

          row[x] = 0xff000000u | (v << 16) | (v << 8) | v;
        }
    }
  cairo_surface_mark_dirty (surface);

  return surface;
}

void
synth_roi_set (SynthRoi   *roi,
               const char *label,
               double      cx,
               double      cy,
               double      width,
               double      height,
               double      angle_deg)
{
  g_strlcpy (roi->label, label, sizeof roi->label);
  roi->cx = cx;
  roi->cy = cy;
  roi->width = width;
  roi->height = height;
  roi->angle_deg = angle_deg;
}

/* An axis-aligned box. Edges are snapped to pixel centres (k + 0.5) so that
 * the burned-in one-pixel frame is crisp and covers exactly the edge. */
void
synth_roi_set_box (SynthRoi   *roi,
                   const char *label,
                   double      left,
                   double      top,
                   double      right,
                   double      bottom)
{
  double l = floor (left) + 0.5;
  double t = floor (top) + 0.5;
  double r = floor (right) + 0.5;
  double b = floor (bottom) + 0.5;

  synth_roi_set (roi, label, (l + r) / 2, (t + b) / 2, r - l, b - t, 0);
}

void
synth_roi_corners (const SynthRoi *roi,
                   SynthPoint      corners[4])
{
  static const double sx[4] = { -1, 1, 1, -1 };
  static const double sy[4] = { -1, -1, 1, 1 };
  double c = cos (roi->angle_deg * G_PI / 180.0);
  double s = sin (roi->angle_deg * G_PI / 180.0);

  for (int k = 0; k < 4; k++)
    {
      double u = sx[k] * roi->width / 2;
      double v = sy[k] * roi->height / 2;

      corners[k].x = roi->cx + u * c - v * s;
      corners[k].y = roi->cy + u * s + v * c;
    }
}

void
synth_roi_mirror (SynthRoi *roi,
                  int       image_width)
{
  roi->cx = image_width - roi->cx;
  roi->angle_deg = roi->angle_deg == 0 ? 0 : -roi->angle_deg;
}

void
synth_path_rotated_rect (cairo_t        *cr,
                         const SynthRoi *roi)
{
  SynthPoint p[4];

  synth_roi_corners (roi, p);
  cairo_move_to (cr, p[0].x, p[0].y);
  for (int k = 1; k < 4; k++)
    cairo_line_to (cr, p[k].x, p[k].y);
  cairo_close_path (cr);
}

void
synth_path_ellipse (cairo_t *cr,
                    double   cx,
                    double   cy,
                    double   rx,
                    double   ry,
                    double   angle_deg)
{
  cairo_save (cr);
  cairo_translate (cr, cx, cy);
  cairo_rotate (cr, angle_deg * G_PI / 180.0);
  cairo_scale (cr, rx, ry);
  cairo_new_sub_path (cr);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_close_path (cr);
  cairo_restore (cr);
}

void
synth_draw_roi_frame (cairo_t        *cr,
                      const SynthRoi *roi)
{
  cairo_save (cr);
  cairo_set_line_width (cr, 1.0);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  synth_path_rotated_rect (cr, roi);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static const Glyph *
find_glyph (char c)
{
  c = g_ascii_toupper (c);
  for (guint i = 0; i < G_N_ELEMENTS (glyphs); i++)
    if (glyphs[i].c == c)
      return &glyphs[i];
  return NULL;
}

double
synth_text_width (int         scale,
                  const char *text)
{
  gsize n = strlen (text);

  return n == 0 ? 0 : (double)scale * (6 * n - 1);
}

/* Draws @text with its top-left corner at (x, y) in the current source. */
void
synth_draw_text (cairo_t    *cr,
                 double      x,
                 double      y,
                 int         scale,
                 const char *text)
{
  for (const char *p = text; *p != '\0'; p++, x += 6 * scale)
    {
      const Glyph *g = find_glyph (*p);

      if (g == NULL)
        continue;
      for (int row = 0; row < 7; row++)
        for (int col = 0; col < 5; col++)
          if (g->rows[row] & (0x10 >> col))
            cairo_rectangle (cr, x + col * scale, y + row * scale, scale, scale);
    }
  cairo_fill (cr);
}

/* A solid black square with white text, as the scanner labels vertebrae. */
void
synth_draw_label_box (cairo_t    *cr,
                      double      x,
                      double      y,
                      double      size,
                      const char *text)
{
  int scale = size >= 20 ? 2 : 1;

  cairo_save (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_rectangle (cr, x, y, size, size);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  synth_draw_text (cr,
                   floor (x + (size - synth_text_width (scale, text)) / 2),
                   floor (y + (size - 7 * scale) / 2),
                   scale, text);
  cairo_restore (cr);
}
