/* densito-sidecar.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One annotation file per image, `<image stem>.json` beside it, in
 * labelme's own format so that labelme and the converters that read it
 * see the same boxes. Densito's own data sits under one top-level key,
 * "densito"; every other key, at the top and in shapes, is kept as it was.
 *
 * Saving is atomic (g_file_set_contents_full() writes a temporary file in
 * the same folder, syncs it and renames it over the old one) and refuses
 * to overwrite a file that changed on disk since it was loaded. A file
 * that cannot be read as a sidecar is never overwritten before a copy of
 * it is kept beside it.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "densito-sidecar.h"

#define DENSITO_FORMAT_VERSION 1
#define LABELME_VERSION "5.1.1"

struct _DensitoSidecar
{
  GObject        parent_instance;

  char          *path;
  char          *image_path;
  guint          image_width;
  guint          image_height;
  char          *image_sha256;       /* computed on first save */

  GPtrArray     *rois;               /* DensitoRoi */
  DensitoReview  review;
  JsonObject    *root;               /* the document as read, for unknown keys */
  char          *operator_name;
  guint          next_key;

  /* What was on disk when loaded or last saved, to detect other writers. */
  gboolean       on_disk;
  goffset        disk_size;
  gint64         disk_mtime_us;
  GBytes        *disk_data;          /* the bytes, for files Densito reads */
  char          *disk_sha256;        /* for files too big to read */

  gboolean       broken;
  char          *backup_path;
  gboolean       image_mismatch;
  char          *theirs_data;        /* the other writer's file, after a conflict */
  gsize          theirs_len;
};

G_DEFINE_FINAL_TYPE (DensitoSidecar, densito_sidecar, G_TYPE_OBJECT)

G_DEFINE_QUARK (densito-sidecar-error-quark, densito_sidecar_error)

static gboolean is_number (JsonNode *n);

static const char *review_names[] = { "unreviewed", "accepted", "corrected", "excluded" };
static const char *source_names[] = { "scanner", "synthetic", "operator", "imported" };

/* ROIs and boxes */

void
densito_roi_free (DensitoRoi *roi)
{
  if (roi == NULL)
    return;
  g_free (roi->key);
  g_free (roi->label);
  g_free (roi->shape_type);
  g_clear_pointer (&roi->json, json_object_unref);
  g_free (roi->by);
  g_free (roi->at);
  g_free (roi);
}

DensitoRoi *
densito_roi_copy (const DensitoRoi *roi)
{
  DensitoRoi *copy;

  g_return_val_if_fail (roi != NULL, NULL);

  copy = g_memdup2 (roi, sizeof *roi);
  copy->key = g_strdup (roi->key);
  copy->label = g_strdup (roi->label);
  copy->shape_type = g_strdup (roi->shape_type);
  copy->json = roi->json ? json_object_ref (roi->json) : NULL;
  copy->by = g_strdup (roi->by);
  copy->at = g_strdup (roi->at);
  return copy;
}

DensitoRoi *
densito_roi_new_box (const char       *label,
                     const DensitoBox *box,
                     DensitoSource     source)
{
  DensitoRoi *roi = g_new0 (DensitoRoi, 1);

  roi->label = g_strdup (label);
  roi->kind = DENSITO_SHAPE_BOX;
  roi->box = *box;
  roi->shape_type = g_strdup (box->angle == 0.0 ? "rectangle" : "polygon");
  roi->source = source;
  return roi;
}

/* Corners in order: top-left, top-right, bottom-right, bottom-left of the
 * unrotated box, turned clockwise by the angle (y points down). */
void
densito_box_corners (const DensitoBox *box,
                     double            xy[8])
{
  static const double sx[4] = { -0.5, 0.5, 0.5, -0.5 };
  static const double sy[4] = { -0.5, -0.5, 0.5, 0.5 };
  double rad = box->angle * G_PI / 180.0;
  double c = box->angle == 0.0 ? 1.0 : cos (rad);
  double s = box->angle == 0.0 ? 0.0 : sin (rad);

  for (guint i = 0; i < 4; i++)
    {
      double x = sx[i] * box->width;
      double y = sy[i] * box->height;
      xy[2 * i] = box->cx + x * c - y * s;
      xy[2 * i + 1] = box->cy + x * s + y * c;
    }
}

/**
 * densito_box_from_polygon:
 *
 * Recognises four points that form a rectangle (in either winding) as a
 * rotated box. Returns %FALSE for any other polygon.
 */
gboolean
densito_box_from_polygon (const double *xy,
                          guint         n_points,
                          DensitoBox   *box)
{
  double ax, ay, bx, by, cx, cy, dx, dy;
  double w, h, scale, dot, angle;

  if (n_points != 4)
    return FALSE;

  ax = xy[2] - xy[0]; ay = xy[3] - xy[1];   /* p0 -> p1 */
  bx = xy[4] - xy[2]; by = xy[5] - xy[3];   /* p1 -> p2 */
  cx = xy[6] - xy[4]; cy = xy[7] - xy[5];   /* p2 -> p3 */
  dx = xy[0] - xy[6]; dy = xy[1] - xy[7];   /* p3 -> p0 */
  w = hypot (ax, ay);
  h = hypot (bx, by);
  scale = MAX (1.0, MAX (w, h));
  if (w < 1e-9 || h < 1e-9)
    return FALSE;

  /* Opposite sides equal and opposite, adjacent sides perpendicular. */
  if (fabs (ax + cx) > 1e-6 * scale || fabs (ay + cy) > 1e-6 * scale ||
      fabs (bx + dx) > 1e-6 * scale || fabs (by + dy) > 1e-6 * scale)
    return FALSE;
  dot = ax * bx + ay * by;
  if (fabs (dot) > 1e-6 * w * h)
    return FALSE;

  /* Counter-clockwise winding on screen: start the box at p1 instead. */
  if (ax * by - ay * bx < 0)
    {
      double t = w;
      w = h;
      h = t;
      angle = atan2 (by, bx) * 180.0 / G_PI;
      angle += 180.0;
    }
  else
    angle = atan2 (ay, ax) * 180.0 / G_PI;

  while (angle <= -180.0)
    angle += 360.0;
  while (angle > 180.0)
    angle -= 360.0;

  box->cx = (xy[0] + xy[2] + xy[4] + xy[6]) / 4.0;
  box->cy = (xy[1] + xy[3] + xy[5] + xy[7]) / 4.0;
  box->width = w;
  box->height = h;
  box->angle = angle;
  return TRUE;
}

/**
 * densito_roi_dup_points:
 * @n_points: (out): the number of points
 *
 * The points of a ROI in image pixels: a box's four corners, or the
 * points another shape was read with (its centre and a point on the rim
 * for a circle). Points that are not pairs of numbers are skipped.
 *
 * Returns: (transfer full) (nullable): x, y pairs, or %NULL when there are
 *   none
 */
double *
densito_roi_dup_points (const DensitoRoi *roi,
                        guint            *n_points)
{
  JsonNode *node;
  JsonArray *points;
  double *xy;
  guint n = 0;

  g_return_val_if_fail (roi != NULL, NULL);
  g_return_val_if_fail (n_points != NULL, NULL);

  *n_points = 0;
  if (roi->kind == DENSITO_SHAPE_BOX)
    {
      xy = g_new (double, 8);
      densito_box_corners (&roi->box, xy);
      *n_points = 4;
      return xy;
    }
  node = roi->json ? json_object_get_member (roi->json, "points") : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  points = json_node_get_array (node);
  xy = g_new (double, 2 * MAX (json_array_get_length (points), 1));
  for (guint i = 0; i < json_array_get_length (points); i++)
    {
      JsonNode *pn = json_array_get_element (points, i);
      JsonArray *pt = JSON_NODE_HOLDS_ARRAY (pn) ? json_node_get_array (pn) : NULL;

      if (pt == NULL || json_array_get_length (pt) != 2 ||
          !is_number (json_array_get_element (pt, 0)) || !is_number (json_array_get_element (pt, 1)))
        continue;
      xy[2 * n] = json_array_get_double_element (pt, 0);
      xy[2 * n + 1] = json_array_get_double_element (pt, 1);
      if (!isfinite (xy[2 * n]) || !isfinite (xy[2 * n + 1]))
        continue;
      n++;
    }
  if (n == 0)
    {
      g_free (xy);
      return NULL;
    }
  *n_points = n;
  return xy;
}

/* GObject */

static void
densito_sidecar_finalize (GObject *object)
{
  DensitoSidecar *self = DENSITO_SIDECAR (object);

  g_free (self->path);
  g_free (self->image_path);
  g_free (self->image_sha256);
  g_clear_pointer (&self->rois, g_ptr_array_unref);
  g_free (self->review.reason);
  g_free (self->review.by);
  g_free (self->review.at);
  g_clear_pointer (&self->root, json_object_unref);
  g_free (self->operator_name);
  g_free (self->disk_sha256);
  g_clear_pointer (&self->disk_data, g_bytes_unref);
  g_free (self->backup_path);
  g_free (self->theirs_data);

  G_OBJECT_CLASS (densito_sidecar_parent_class)->finalize (object);
}

static void
densito_sidecar_class_init (DensitoSidecarClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_sidecar_finalize;
}

static void
densito_sidecar_init (DensitoSidecar *self)
{
  self->rois = g_ptr_array_new_with_free_func ((GDestroyNotify)densito_roi_free);
  self->next_key = 1;
  self->operator_name = g_strdup (g_get_user_name ());
}

/**
 * densito_sidecar_path_for_image:
 * @annotations_dir: (nullable): a folder for sidecars, when the image
 *   folder is read-only or the user asked for one
 *
 * Returns: `<image stem>.json` beside the image, or in @annotations_dir
 */
char *
densito_sidecar_path_for_image (const char *image_path,
                                const char *annotations_dir)
{
  g_autofree char *base = g_path_get_basename (image_path);
  g_autofree char *dir = annotations_dir ? g_strdup (annotations_dir) : g_path_get_dirname (image_path);
  char *dot = strrchr (base, '.');
  g_autofree char *name = NULL;

  if (dot != NULL && dot != base)
    *dot = '\0';
  name = g_strconcat (base, ".json", NULL);
  return g_build_filename (dir, name, NULL);
}

DensitoSidecar *
densito_sidecar_new (const char *image_path,
                     const char *sidecar_path,
                     guint       image_width,
                     guint       image_height)
{
  DensitoSidecar *self;

  g_return_val_if_fail (image_path != NULL, NULL);

  self = g_object_new (DENSITO_TYPE_SIDECAR, NULL);
  self->image_path = g_strdup (image_path);
  self->path = sidecar_path ? g_strdup (sidecar_path) : densito_sidecar_path_for_image (image_path, NULL);
  self->image_width = image_width;
  self->image_height = image_height;
  return self;
}

static char *
sha256_hex (const char *data,
            gsize       len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)data, len);
}

static char *
make_key (DensitoSidecar *self)
{
  for (;;)
    {
      char *key = g_strdup_printf ("r%u", self->next_key++);
      if (densito_sidecar_find_roi (self, key) < 0)
        return key;
      g_free (key);
    }
}

/* The fingerprint ties a shape in "shapes" to its entry under
 * "densito": it survives reordering, and a shape that another tool
 * changed no longer matches, so stale provenance is never applied. */
static inline guint64
fnv1a (guint64      h,
       const void  *data,
       gsize        len)
{
  const guint8 *p = data;

  for (gsize i = 0; i < len; i++)
    h = (h ^ p[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return h;
}

static char *
fingerprint (const char  *label,
             JsonArray   *points)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  /* The label, then each coordinate's bits in little-endian order: the
   * same text always parses to the same doubles, and hashing bits is far
   * cheaper than printing them. Not cryptographic: it only has to tell
   * shapes apart within one file. */
  h = fnv1a (h, label, strlen (label) + 1);
  for (guint i = 0; points && i < json_array_get_length (points); i++)
    {
      JsonArray *pt = json_array_get_array_element (points, i);
      for (guint k = 0; pt && k < json_array_get_length (pt); k++)
        {
          double v = json_array_get_double_element (pt, k);
          guint64 bits;

          memcpy (&bits, &v, sizeof bits);
          bits = GUINT64_TO_LE (bits);
          h = fnv1a (h, &bits, sizeof bits);
        }
    }
  return g_strdup_printf ("%016" G_GINT64_MODIFIER "x", h);
}

/* Loading */

static gboolean
read_box (DensitoRoi  *roi,
          JsonArray   *points,
          double      *pts,
          guint        n)
{
  if (g_strcmp0 (roi->shape_type, "rectangle") == 0 && n == 2)
    {
      roi->box.cx = (pts[0] + pts[2]) / 2.0;
      roi->box.cy = (pts[1] + pts[3]) / 2.0;
      roi->box.width = fabs (pts[2] - pts[0]);
      roi->box.height = fabs (pts[3] - pts[1]);
      roi->box.angle = 0.0;
      return TRUE;
    }
  if ((g_strcmp0 (roi->shape_type, "polygon") == 0 ||
       g_strcmp0 (roi->shape_type, "oriented_rectangle") == 0) && n == 4)
    return densito_box_from_polygon (pts, 4, &roi->box);
  return FALSE;
}

/* The box that labelme points say, read as loading reads them; FALSE
 * when they are not a box. */
static gboolean
box_from_points (const char *shape_type,
                 JsonArray  *points,
                 DensitoBox *box)
{
  DensitoRoi probe = { 0 };
  guint n = points ? json_array_get_length (points) : 0;
  g_autofree double *pts = g_new0 (double, 2 * MAX (n, 1));

  for (guint k = 0; k < n; k++)
    {
      JsonNode *pn = json_array_get_element (points, k);
      JsonArray *pt = JSON_NODE_HOLDS_ARRAY (pn) ? json_node_get_array (pn) : NULL;

      if (pt == NULL || json_array_get_length (pt) != 2)
        return FALSE;
      pts[2 * k] = json_array_get_double_element (pt, 0);
      pts[2 * k + 1] = json_array_get_double_element (pt, 1);
    }
  probe.shape_type = (char *)shape_type;
  if (!read_box (&probe, points, pts, n))
    return FALSE;
  *box = probe.box;
  return TRUE;
}

/* Whether @stored is the box that @points were written from: the box read
 * back from corners may differ from it in the last bits (about 1e-13 for a
 * rotated box), never by more. */
static gboolean
box_matches_points (const DensitoBox *stored,
                    const char       *shape_type,
                    JsonArray        *points)
{
  DensitoBox read;
  double scale, turn;

  if (!box_from_points (shape_type, points, &read))
    return FALSE;
  scale = MAX (1.0, MAX (fabs (read.cx), MAX (fabs (read.cy), MAX (read.width, read.height))));
  turn = fmod (fabs (stored->angle - read.angle), 360.0);
  return fabs (stored->cx - read.cx) <= 1e-6 * scale && fabs (stored->cy - read.cy) <= 1e-6 * scale &&
         fabs (stored->width - read.width) <= 1e-6 * scale &&
         fabs (stored->height - read.height) <= 1e-6 * scale &&
         MIN (turn, 360.0 - turn) <= 1e-6;
}

static gboolean
is_number (JsonNode *n)
{
  GType t;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  return t == G_TYPE_DOUBLE || t == G_TYPE_INT64;
}

static gboolean
parse_box_json (JsonObject *o,
                DensitoBox *box)
{
  if (o == NULL)
    return FALSE;
  for (guint i = 0; i < 5; i++)
    {
      static const char *names[] = { "cx", "cy", "width", "height", "angle" };
      if (!is_number (json_object_get_member (o, names[i])))
        return FALSE;
    }
  box->cx = json_object_get_double_member (o, "cx");
  box->cy = json_object_get_double_member (o, "cy");
  box->width = json_object_get_double_member (o, "width");
  box->height = json_object_get_double_member (o, "height");
  box->angle = json_object_get_double_member (o, "angle");
  return TRUE;
}

static const char *
string_member (JsonObject *o,
               const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}


/* Fills the sidecar from a parsed document; on any problem returns FALSE
 * with *why set, and the caller treats the file as broken. */
static gboolean
parse_document (DensitoSidecar *self,
                JsonNode       *root_node,
                char          **why)
{
  JsonObject *root;
  JsonNode *shapes_node;
  JsonArray *shapes;
  JsonObject *densito;
  JsonObject *prov;
  g_autoptr(GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_shapes;

  if (!JSON_NODE_HOLDS_OBJECT (root_node))
    {
      *why = g_strdup (_("the file is not a JSON object"));
      return FALSE;
    }
  root = json_node_get_object (root_node);

  shapes_node = json_object_get_member (root, "shapes");
  if (shapes_node != NULL && !JSON_NODE_HOLDS_ARRAY (shapes_node) && !JSON_NODE_HOLDS_NULL (shapes_node))
    {
      *why = g_strdup (_("“shapes” is not a list"));
      return FALSE;
    }
  shapes = shapes_node && JSON_NODE_HOLDS_ARRAY (shapes_node) ? json_node_get_array (shapes_node) : NULL;
  n_shapes = shapes ? json_array_get_length (shapes) : 0;
  if (n_shapes > DENSITO_SIDECAR_MAX_SHAPES)
    {
      *why = g_strdup_printf (_("it has %u shapes, more than the %u Densito reads"),
                              n_shapes, DENSITO_SIDECAR_MAX_SHAPES);
      return FALSE;
    }

  densito = json_object_has_member (root, "densito") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "densito"))
            ? json_object_get_object_member (root, "densito") : NULL;
  prov = densito && json_object_has_member (densito, "shapes") &&
         JSON_NODE_HOLDS_OBJECT (json_object_get_member (densito, "shapes"))
         ? json_object_get_object_member (densito, "shapes") : NULL;

  /* The image the sidecar was made for. */
  if (densito != NULL && json_object_has_member (densito, "image") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (densito, "image")))
    {
      JsonObject *img = json_object_get_object_member (densito, "image");
      if (is_number (json_object_get_member (img, "width")) && is_number (json_object_get_member (img, "height")) &&
          self->image_width > 0 &&
          ((guint)json_object_get_int_member (img, "width") != self->image_width ||
           (guint)json_object_get_int_member (img, "height") != self->image_height))
        self->image_mismatch = TRUE;
    }
  if (self->image_width > 0 && is_number (json_object_get_member (root, "imageWidth")) &&
      is_number (json_object_get_member (root, "imageHeight")) &&
      ((guint)json_object_get_int_member (root, "imageWidth") != self->image_width ||
       (guint)json_object_get_int_member (root, "imageHeight") != self->image_height))
    self->image_mismatch = TRUE;

  for (guint i = 0; i < n_shapes; i++)
    {
      JsonNode *node = json_array_get_element (shapes, i);
      JsonObject *shape;
      JsonNode *points_node;
      JsonArray *points;
      const char *label;
      const char *type;
      g_autofree double *pts = NULL;
      g_autofree char *fp = NULL;
      guint n_points;
      DensitoRoi *roi;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          *why = g_strdup_printf (_("shape %u is not an object"), i + 1);
          return FALSE;
        }
      shape = json_node_get_object (node);
      label = string_member (shape, "label");
      if (label == NULL)
        {
          *why = g_strdup_printf (_("shape %u has no text label"), i + 1);
          return FALSE;
        }
      type = json_object_has_member (shape, "shape_type") ? string_member (shape, "shape_type") : "polygon";
      if (type == NULL)
        {
          *why = g_strdup_printf (_("shape %u (%s): “shape_type” is not text"), i + 1, label);
          return FALSE;
        }
      points_node = json_object_get_member (shape, "points");
      if (points_node == NULL || !JSON_NODE_HOLDS_ARRAY (points_node))
        {
          *why = g_strdup_printf (_("shape %u (%s): “points” is not a list"), i + 1, label);
          return FALSE;
        }
      points = json_node_get_array (points_node);
      n_points = json_array_get_length (points);
      pts = g_new0 (double, 2 * MAX (n_points, 1));
      for (guint k = 0; k < n_points; k++)
        {
          JsonNode *pn = json_array_get_element (points, k);
          JsonArray *pt = JSON_NODE_HOLDS_ARRAY (pn) ? json_node_get_array (pn) : NULL;

          if (pt == NULL || json_array_get_length (pt) != 2 ||
              !is_number (json_array_get_element (pt, 0)) || !is_number (json_array_get_element (pt, 1)))
            {
              *why = g_strdup_printf (_("shape %u (%s): point %u is not a pair of numbers"), i + 1, label, k + 1);
              return FALSE;
            }
          pts[2 * k] = json_array_get_double_element (pt, 0);
          pts[2 * k + 1] = json_array_get_double_element (pt, 1);
          if (!isfinite (pts[2 * k]) || !isfinite (pts[2 * k + 1]) ||
              (self->image_width > 0 &&
               (pts[2 * k] < -(double)self->image_width || pts[2 * k] > 2.0 * self->image_width ||
                pts[2 * k + 1] < -(double)self->image_height || pts[2 * k + 1] > 2.0 * self->image_height)))
            {
              *why = g_strdup_printf (_("shape %u (%s): point %u (%g, %g) is far outside the %u×%u image"),
                                      i + 1, label, k + 1, pts[2 * k], pts[2 * k + 1],
                                      self->image_width, self->image_height);
              return FALSE;
            }
        }

      roi = g_new0 (DensitoRoi, 1);
      roi->label = g_strdup (label);
      roi->shape_type = g_strdup (type);
      roi->json = json_object_ref (shape);
      roi->kind = read_box (roi, points, pts, n_points) ? DENSITO_SHAPE_BOX : DENSITO_SHAPE_OTHER;
      roi->source = DENSITO_SOURCE_IMPORTED;
      g_ptr_array_add (self->rois, roi);

      if (roi->kind == DENSITO_SHAPE_BOX && (roi->box.width < 0.5 || roi->box.height < 0.5))
        {
          *why = g_strdup_printf (_("shape %u (%s) is a degenerate box of %g×%g pixels"),
                                  i + 1, label, roi->box.width, roi->box.height);
          return FALSE;
        }

      /* Provenance, matched by fingerprint. */
      fp = fingerprint (label, points);
      if (prov != NULL)
        {
          g_autoptr(GList) keys = json_object_get_members (prov);
          for (GList *l = keys; l; l = l->next)
            {
              JsonNode *pn = json_object_get_member (prov, l->data);
              JsonObject *p = JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn) : NULL;
              const char *src;

              if (p == NULL || g_hash_table_contains (used, l->data) ||
                  g_strcmp0 (string_member (p, "fingerprint"), fp) != 0)
                continue;
              g_hash_table_add (used, l->data);
              roi->key = g_strdup (l->data);
              src = string_member (p, "source");
              for (guint s = 0; src && s < G_N_ELEMENTS (source_names); s++)
                if (strcmp (src, source_names[s]) == 0)
                  roi->source = s;
              roi->by = g_strdup (string_member (p, "by"));
              roi->at = g_strdup (string_member (p, "at"));
              if (json_object_has_member (p, "original") &&
                  JSON_NODE_HOLDS_OBJECT (json_object_get_member (p, "original")))
                roi->has_original = parse_box_json (json_object_get_object_member (p, "original"),
                                                    &roi->original);
              /* The exact box these points were written from. */
              if (roi->kind == DENSITO_SHAPE_BOX && json_object_has_member (p, "box") &&
                  JSON_NODE_HOLDS_OBJECT (json_object_get_member (p, "box")))
                {
                  DensitoBox stored;

                  if (parse_box_json (json_object_get_object_member (p, "box"), &stored) &&
                      box_matches_points (&stored, type, points))
                    roi->box = stored;
                }
              break;
            }
        }
    }

  /* Keys for shapes without provenance, after the matched ones are known. */
  for (guint i = 0; i < self->rois->len; i++)
    {
      DensitoRoi *roi = g_ptr_array_index (self->rois, i);
      if (roi->key == NULL)
        roi->key = make_key (self);
    }

  if (densito != NULL && json_object_has_member (densito, "review") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (densito, "review")))
    {
      JsonObject *r = json_object_get_object_member (densito, "review");
      DensitoReviewStatus status;

      if (densito_review_status_from_string (string_member (r, "status"), &status))
        self->review.status = status;
      self->review.reason = g_strdup (string_member (r, "reason"));
      self->review.by = g_strdup (string_member (r, "by"));
      self->review.at = g_strdup (string_member (r, "at"));
    }

  self->root = json_object_ref (root);
  return TRUE;
}

/* Every number finite (JSON has no NaN, but 1e999 parses to infinity and
 * could not be written back), and no absurd nesting. */
static gboolean
check_numbers (JsonNode  *node,
               guint      depth,
               char     **why)
{
  if (depth > 64)
    {
      *why = g_strdup (_("it is nested more than 64 levels deep"));
      return FALSE;
    }
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          if (!check_numbers (member, depth + 1, why))
            return FALSE;
      }
      return TRUE;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!check_numbers (json_array_get_element (array, i), depth + 1, why))
            return FALSE;
      }
      return TRUE;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE && !isfinite (json_node_get_double (node)))
        {
          *why = g_strdup (_("a number in it is too large"));
          return FALSE;
        }
      return TRUE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

static void
mark_broken (DensitoSidecar     *self,
             DensitoDiagnostics *diagnostics,
             const char         *why)
{
  g_autofree char *display = g_filename_display_name (self->path);
  g_autofree char *detail = g_strdup_printf (_("cannot read the annotations (%s); they open empty, and the file "
                                               "is kept as a .broken copy before it is ever overwritten"), why);

  self->broken = TRUE;
  g_ptr_array_set_size (self->rois, 0);
  g_clear_pointer (&self->root, json_object_unref);
  if (diagnostics != NULL)
    densito_diagnostics_add (diagnostics, DENSITO_DIAG_IO, display, 0, NULL, NULL, 0, detail);
}

/**
 * densito_sidecar_load_from_data:
 *
 * Like densito_sidecar_load(), from bytes already read. Never fails: a
 * document that is not a valid sidecar gives an empty, broken sidecar
 * and a diagnostic.
 */
DensitoSidecar *
densito_sidecar_load_from_data (const char         *data,
                                gsize               len,
                                const char         *image_path,
                                const char         *sidecar_path,
                                guint               image_width,
                                guint               image_height,
                                DensitoDiagnostics *diagnostics)
{
  g_autoptr(DensitoSidecar) self = densito_sidecar_new (image_path, sidecar_path, image_width, image_height);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;

  self->on_disk = TRUE;
  self->disk_size = (goffset)len;
  self->disk_data = g_bytes_new (data, len);

  if (len > DENSITO_SIDECAR_MAX_BYTES)
    why = g_strdup_printf (_("it is %zu bytes, more than the 16 MiB Densito reads"), len);
  else if (!json_parser_load_from_data (parser, data, (gssize)len, &error))
    why = g_strdup_printf (_("not valid JSON: %s"), error->message);
  else if (json_parser_get_root (parser) == NULL)
    why = g_strdup (_("the file is empty"));
  else if (!check_numbers (json_parser_get_root (parser), 0, &why))
    g_assert (why != NULL);
  else if (!parse_document (self, json_parser_get_root (parser), &why))
    g_assert (why != NULL);

  if (why != NULL)
    mark_broken (self, diagnostics, why);
  else if (self->image_mismatch && diagnostics != NULL)
    {
      g_autofree char *display = g_filename_display_name (self->path);
      densito_diagnostics_add (diagnostics, DENSITO_DIAG_IO, display, 0, NULL, NULL, 0,
                               _("the annotations were made for an image of another size; check them "
                                 "before you trust them"));
    }

  return g_steal_pointer (&self);
}

static gboolean
stat_file (const char *path,
           goffset    *size,
           gint64     *mtime_us,
           gboolean   *exists,
           GError    **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GFileInfo) info = g_file_query_info (file,
                                                 G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                                 G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                                                 G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                                                 G_FILE_QUERY_INFO_NONE, NULL, &local_error);

  if (info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          *exists = FALSE;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *exists = TRUE;
  *size = g_file_info_get_size (info);
  *mtime_us = (gint64)g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED) * G_USEC_PER_SEC +
              g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);
  return TRUE;
}

/**
 * densito_sidecar_load:
 * @sidecar_path: (nullable): default: `<image stem>.json` beside the image
 * @image_width: the image's size, or 0 when unknown
 *
 * Reads the sidecar of an image. A missing file gives an empty sidecar;
 * a file that is not a valid sidecar gives an empty, broken one and a
 * diagnostic. Fails only when the file exists but cannot be read.
 */
DensitoSidecar *
densito_sidecar_load (const char          *image_path,
                      const char          *sidecar_path,
                      guint                image_width,
                      guint                image_height,
                      DensitoDiagnostics  *diagnostics,
                      GCancellable        *cancellable,
                      GError             **error)
{
  g_autofree char *path = sidecar_path ? g_strdup (sidecar_path) : densito_sidecar_path_for_image (image_path, NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  DensitoSidecar *self;
  gboolean exists = FALSE;
  goffset size = 0;
  gint64 mtime = 0;
  gsize len = 0;

  g_return_val_if_fail (image_path != NULL, NULL);

  if (!stat_file (path, &size, &mtime, &exists, &local_error))
    goto unreadable;
  if (!exists)
    return densito_sidecar_new (image_path, path, image_width, image_height);

  if (size > DENSITO_SIDECAR_MAX_BYTES)
    {
      /* Not read at all; only hashed, so a later save can tell whether it changed. */
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GFileInputStream) in = g_file_read (file, cancellable, &local_error);
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      g_autofree guchar *buf = g_malloc (1 << 16);
      g_autofree char *why = NULL;
      gssize n;

      if (in == NULL)
        goto unreadable;
      while ((n = g_input_stream_read (G_INPUT_STREAM (in), buf, 1 << 16, cancellable, &local_error)) > 0)
        g_checksum_update (sum, buf, (gsize)n);
      if (n < 0)
        goto unreadable;

      self = densito_sidecar_new (image_path, path, image_width, image_height);
      self->on_disk = TRUE;
      self->disk_size = size;
      self->disk_mtime_us = mtime;
      self->disk_sha256 = g_strdup (g_checksum_get_string (sum));
      why = g_strdup_printf (_("it is %zu bytes, more than the 16 MiB Densito reads"), (gsize)size);
      mark_broken (self, diagnostics, why);
      return self;
    }

  if (!g_file_get_contents (path, &data, &len, &local_error))
    goto unreadable;

  self = densito_sidecar_load_from_data (data, len, image_path, path, image_width, image_height, diagnostics);
  self->disk_mtime_us = mtime;
  return self;

unreadable:
  {
    g_autofree char *display = g_filename_display_name (path);
    g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_WRITE,
                 _("%s: cannot read the annotations: %s"), display, local_error->message);
    return NULL;
  }
}

/* Saving */

static JsonNode *
box_to_json (const DensitoBox *box)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cx");
  json_builder_add_double_value (b, box->cx);
  json_builder_set_member_name (b, "cy");
  json_builder_add_double_value (b, box->cy);
  json_builder_set_member_name (b, "width");
  json_builder_add_double_value (b, box->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_double_value (b, box->height);
  json_builder_set_member_name (b, "angle");
  json_builder_add_double_value (b, box->angle);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonArray *
points_for_box (const DensitoBox *box,
                gboolean          rectangle)
{
  JsonArray *points = json_array_new ();
  double xy[8];
  guint n = rectangle ? 2 : 4;

  if (rectangle)
    {
      xy[0] = box->cx - box->width / 2.0;
      xy[1] = box->cy - box->height / 2.0;
      xy[2] = box->cx + box->width / 2.0;
      xy[3] = box->cy + box->height / 2.0;
    }
  else
    densito_box_corners (box, xy);

  for (guint i = 0; i < n; i++)
    {
      JsonArray *pt = json_array_new ();
      json_array_add_double_element (pt, xy[2 * i]);
      json_array_add_double_element (pt, xy[2 * i + 1]);
      json_array_add_array_element (points, pt);
    }
  return points;
}

/* The shape as labelme writes it, keeping every key it had; points are
 * written anew only when the box differs from what they say, so an
 * unedited file saves back byte for byte. */
static JsonObject *
shape_to_json (const DensitoRoi *roi)
{
  JsonObject *shape = json_object_new ();
  JsonArray *old_points = NULL;
  gboolean keep_points = FALSE;
  const char *type = roi->shape_type ? roi->shape_type : "polygon";

  if (roi->json != NULL)
    {
      JsonNode *pn = json_object_get_member (roi->json, "points");
      old_points = pn && JSON_NODE_HOLDS_ARRAY (pn) ? json_node_get_array (pn) : NULL;
    }

  if (roi->kind == DENSITO_SHAPE_OTHER)
    keep_points = TRUE;
  else if (old_points != NULL)
    {
      DensitoBox read;

      keep_points = box_from_points (type, old_points, &read) &&
                    memcmp (&read, &roi->box, sizeof roi->box) == 0;
    }

  if (!keep_points)
    {
      /* An axis-aligned box is labelme's rectangle; a rotated one is the
       * polygon of its four corners, which every labelme reads. */
      if (roi->box.angle == 0.0 && (roi->json == NULL || g_strcmp0 (type, "rectangle") == 0 ||
                                    g_strcmp0 (type, "polygon") == 0))
        type = "rectangle";
      else if (g_strcmp0 (type, "oriented_rectangle") != 0)
        type = "polygon";
    }

  /* Known keys in labelme's order first, then the rest as they were. */
  json_object_set_string_member (shape, "label", roi->label);
  if (keep_points)
    json_object_set_array_member (shape, "points", json_array_ref (old_points));
  else
    json_object_set_array_member (shape, "points", points_for_box (&roi->box, strcmp (type, "rectangle") == 0));
  if (roi->json != NULL && json_object_has_member (roi->json, "group_id"))
    json_object_set_member (shape, "group_id", json_node_copy (json_object_get_member (roi->json, "group_id")));
  else
    json_object_set_null_member (shape, "group_id");
  json_object_set_string_member (shape, "shape_type", type);
  if (roi->json != NULL && json_object_has_member (roi->json, "flags"))
    json_object_set_member (shape, "flags", json_node_copy (json_object_get_member (roi->json, "flags")));
  else
    json_object_set_object_member (shape, "flags", json_object_new ());

  if (roi->json != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (roi->json);
      for (GList *l = members; l; l = l->next)
        if (!json_object_has_member (shape, l->data))
          json_object_set_member (shape, l->data, json_node_copy (json_object_get_member (roi->json, l->data)));
    }
  return shape;
}

static JsonObject *
densito_to_json (DensitoSidecar *self,
                 JsonArray      *shapes)
{
  JsonObject *d = json_object_new ();
  JsonObject *image = json_object_new ();
  JsonObject *review = json_object_new ();
  JsonObject *prov = json_object_new ();

  json_object_set_int_member (d, "version", DENSITO_FORMAT_VERSION);

  json_object_set_int_member (image, "width", self->image_width);
  json_object_set_int_member (image, "height", self->image_height);
  if (self->image_sha256 != NULL)
    json_object_set_string_member (image, "sha256", self->image_sha256);
  else
    json_object_set_null_member (image, "sha256");
  json_object_set_object_member (d, "image", image);

  json_object_set_string_member (review, "status", review_names[self->review.status]);
  json_object_set_string_member (review, "reason", self->review.reason);
  json_object_set_string_member (review, "by", self->review.by);
  json_object_set_string_member (review, "at", self->review.at);
  json_object_set_object_member (d, "review", review);

  for (guint i = 0; i < self->rois->len; i++)
    {
      DensitoRoi *roi = g_ptr_array_index (self->rois, i);
      JsonObject *shape = json_array_get_object_element (shapes, i);
      JsonObject *p = json_object_new ();
      g_autofree char *fp = fingerprint (roi->label, json_object_get_array_member (shape, "points"));

      json_object_set_string_member (p, "fingerprint", fp);
      json_object_set_string_member (p, "source", source_names[roi->source]);
      json_object_set_string_member (p, "by", roi->by);
      json_object_set_string_member (p, "at", roi->at);
      if (roi->has_original)
        json_object_set_member (p, "original", box_to_json (&roi->original));
      /* Corners computed from a rotated box read back a few bits off:
       * the box itself is kept here, so that it reloads exactly. */
      if (roi->kind == DENSITO_SHAPE_BOX)
        {
          DensitoBox read;

          if (!box_from_points (json_object_get_string_member (shape, "shape_type"),
                                json_object_get_array_member (shape, "points"), &read) ||
              memcmp (&read, &roi->box, sizeof read) != 0)
            json_object_set_member (p, "box", box_to_json (&roi->box));
        }
      json_object_set_object_member (prov, roi->key, p);
    }
  json_object_set_object_member (d, "shapes", prov);
  return d;
}

/* The document as text, as labelme writes it (two-space indent). */
static char *
generate (JsonNode *node,
          gsize    *len)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  return json_generator_to_data (gen, len);
}

/**
 * densito_sidecar_to_data:
 *
 * Returns: (transfer full): the sidecar as labelme JSON
 */
char *
densito_sidecar_to_data (DensitoSidecar *self,
                         gsize          *len)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *root = json_object_new ();
  JsonArray *shapes = json_array_new ();
  g_autofree char *image_name = g_path_get_basename (self->image_path);
  g_autofree char *sidecar_dir = g_path_get_dirname (self->path);
  g_autofree char *image_dir = g_path_get_dirname (self->image_path);
  g_autofree char *image_rel = NULL;
  static const char *order[] = { "version", "flags", "shapes", "imagePath", "imageData",
                                 "imageHeight", "imageWidth", "densito" };

  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);

  for (guint i = 0; i < self->rois->len; i++)
    json_array_add_object_element (shapes, shape_to_json (g_ptr_array_index (self->rois, i)));

  /* imagePath is relative to the sidecar's folder, as labelme writes it. */
  if (g_strcmp0 (sidecar_dir, image_dir) == 0)
    image_rel = g_strdup (image_name);
  else
    {
      g_autoptr(GFile) from = g_file_new_for_path (sidecar_dir);
      g_autoptr(GFile) to = g_file_new_for_path (self->image_path);
      image_rel = g_file_get_relative_path (from, to);
      if (image_rel == NULL)
        {
          /* Not below the sidecar's folder: walk up with "..". */
          g_autoptr(GString) rel = g_string_new (NULL);
          g_autoptr(GFile) dir = g_file_new_for_path (sidecar_dir);
          while (dir != NULL && (image_rel = g_file_get_relative_path (dir, to)) == NULL)
            {
              GFile *parent = g_file_get_parent (dir);
              g_string_append (rel, "../");
              g_object_unref (dir);
              dir = parent;
            }
          if (image_rel != NULL)
            {
              g_string_append (rel, image_rel);
              g_free (image_rel);
              image_rel = g_strdup (rel->str);
            }
          else
            image_rel = g_strdup (self->image_path);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const char *k = order[i];

      if (strcmp (k, "version") == 0)
        {
          const char *v = string_member (self->root, "version");
          json_object_set_string_member (root, k, v ? v : LABELME_VERSION);
        }
      else if (strcmp (k, "flags") == 0)
        {
          if (self->root && json_object_has_member (self->root, k))
            json_object_set_member (root, k, json_node_copy (json_object_get_member (self->root, k)));
          else
            json_object_set_object_member (root, k, json_object_new ());
        }
      else if (strcmp (k, "shapes") == 0)
        json_object_set_array_member (root, k, json_array_ref (shapes));
      else if (strcmp (k, "imagePath") == 0)
        json_object_set_string_member (root, k, image_rel);
      else if (strcmp (k, "imageData") == 0)
        {
          /* Kept as a labelme user embedded it. */
          if (self->root && json_object_has_member (self->root, k))
            json_object_set_member (root, k, json_node_copy (json_object_get_member (self->root, k)));
          else
            json_object_set_null_member (root, k);
        }
      else if (strcmp (k, "imageHeight") == 0)
        json_object_set_int_member (root, k, self->image_height);
      else if (strcmp (k, "imageWidth") == 0)
        json_object_set_int_member (root, k, self->image_width);
      else
        json_object_set_object_member (root, k, densito_to_json (self, shapes));
    }

  if (self->root != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (self->root);
      for (GList *l = members; l; l = l->next)
        if (!json_object_has_member (root, l->data))
          json_object_set_member (root, l->data, json_node_copy (json_object_get_member (self->root, l->data)));
    }

  json_array_unref (shapes);
  json_node_take_object (node, root);
  return generate (node, len);
}

/**
 * densito_sidecar_check_image_hash:
 *
 * Compares the image's SHA-256 with the one the sidecar was saved with.
 * Returns %FALSE with @error set when they differ.
 */
gboolean
densito_sidecar_check_image_hash (DensitoSidecar  *self,
                                  GError         **error)
{
  const char *stored = NULL;
  JsonObject *d = self->root && json_object_has_member (self->root, "densito") &&
                  JSON_NODE_HOLDS_OBJECT (json_object_get_member (self->root, "densito"))
                  ? json_object_get_object_member (self->root, "densito") : NULL;
  g_autofree char *data = NULL;
  g_autofree char *actual = NULL;
  gsize len;

  if (d != NULL && json_object_has_member (d, "image") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (d, "image")))
    stored = string_member (json_object_get_object_member (d, "image"), "sha256");
  if (stored == NULL)
    return TRUE;
  if (!g_file_get_contents (self->image_path, &data, &len, error))
    return FALSE;
  actual = sha256_hex (data, len);
  if (strcmp (actual, stored) != 0)
    {
      g_autofree char *display = g_filename_display_name (self->path);
      self->image_mismatch = TRUE;
      g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT,
                   _("%s: the annotations were saved for another version of the image"), display);
      return FALSE;
    }
  return TRUE;
}

/* Saving: a snapshot of the document and of what was on disk is taken on
 * the sidecar's thread; a worker writes it; what the write found (the
 * file's new facts, another writer's version) is applied back on the
 * sidecar's thread. The worker touches nothing but the snapshot. */
struct _DensitoSidecarSnapshot
{
  gconstpointer  owner;            /* the sidecar, only compared */
  char          *path;
  char          *image_path;
  char          *data;             /* the document */
  gsize          len;
  gboolean       needs_image_hash;

  /* What was on disk when the sidecar was loaded or last saved. */
  gboolean       on_disk;
  goffset        disk_size;
  gint64         disk_mtime_us;
  GBytes        *disk_data;
  char          *disk_sha256;
  gboolean       keep_broken;      /* copy the unreadable file away first */

  /* What the write did or found. */
  gboolean       written;
  gboolean       deleted;          /* someone else deleted the file */
  char          *image_sha256;
  char          *backup_path;
  char          *theirs_data;
  gsize          theirs_len;
  JsonObject    *root;             /* the document written, parsed */
  goffset        new_size;
  gint64         new_mtime_us;
};

void
densito_sidecar_snapshot_free (DensitoSidecarSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->path);
  g_free (snapshot->image_path);
  g_free (snapshot->data);
  g_clear_pointer (&snapshot->disk_data, g_bytes_unref);
  g_free (snapshot->disk_sha256);
  g_free (snapshot->image_sha256);
  g_free (snapshot->backup_path);
  g_free (snapshot->theirs_data);
  g_clear_pointer (&snapshot->root, json_object_unref);
  g_free (snapshot);
}

/**
 * densito_sidecar_snapshot_new:
 *
 * Takes what a save writes (the document as it is now) and what it
 * checks (the file as it was loaded or last saved). Cheap, no I/O. Take
 * one at a time: a second snapshot taken before the first is applied
 * would see the first one's write as someone else's.
 *
 * Returns: (transfer full): for densito_sidecar_snapshot_write()
 */
DensitoSidecarSnapshot *
densito_sidecar_snapshot_new (DensitoSidecar *self)
{
  DensitoSidecarSnapshot *snapshot;

  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);

  snapshot = g_new0 (DensitoSidecarSnapshot, 1);
  snapshot->owner = self;
  snapshot->path = g_strdup (self->path);
  snapshot->image_path = g_strdup (self->image_path);
  snapshot->data = densito_sidecar_to_data (self, &snapshot->len);
  snapshot->needs_image_hash = self->image_sha256 == NULL;
  snapshot->on_disk = self->on_disk;
  snapshot->disk_size = self->disk_size;
  snapshot->disk_mtime_us = self->disk_mtime_us;
  snapshot->disk_data = self->disk_data ? g_bytes_ref (self->disk_data) : NULL;
  snapshot->disk_sha256 = g_strdup (self->disk_sha256);
  snapshot->keep_broken = self->broken && self->on_disk && self->backup_path == NULL;
  return snapshot;
}

/* TRUE when the file on disk is still the one loaded or last saved. On a
 * change the other writer's bytes are kept for densito_sidecar_dup_theirs(). */
static gboolean
check_disk (DensitoSidecarSnapshot  *snapshot,
            GError                 **error)
{
  g_autofree char *display = g_filename_display_name (snapshot->path);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gboolean exists = FALSE;
  gboolean same;
  goffset size = 0;
  gint64 mtime = 0;
  gsize len = 0;

  if (!stat_file (snapshot->path, &size, &mtime, &exists, &local_error))
    {
      g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_WRITE,
                   _("%s: cannot check the file before saving: %s"), display, local_error->message);
      return FALSE;
    }

  if (!exists && !snapshot->on_disk)
    return TRUE;
  if (!exists)
    {
      g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT,
                   _("%s was deleted by someone else since it was opened; save again to write it anew"),
                   display);
      snapshot->deleted = TRUE;
      return FALSE;
    }

  if (!g_file_get_contents (snapshot->path, &data, &len, &local_error))
    {
      g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_WRITE,
                   _("%s: cannot check the file before saving: %s"), display, local_error->message);
      return FALSE;
    }
  /* Size, time and content must all be as they were. */
  if (snapshot->disk_data != NULL)
    same = g_bytes_get_size (snapshot->disk_data) == len &&
           (len == 0 || memcmp (g_bytes_get_data (snapshot->disk_data, NULL), data, len) == 0);
  else
    {
      g_autofree char *hash = sha256_hex (data, len);
      same = g_strcmp0 (hash, snapshot->disk_sha256) == 0;
    }
  if (snapshot->on_disk && size == snapshot->disk_size && mtime == snapshot->disk_mtime_us && same)
    return TRUE;

  snapshot->theirs_data = g_steal_pointer (&data);
  snapshot->theirs_len = len;
  g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT,
               _("%s was changed by someone else since it was opened; your changes were not written"),
               display);
  return FALSE;
}

static gboolean
keep_broken_copy (DensitoSidecarSnapshot  *snapshot,
                  GError                 **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *backup = g_strdup_printf ("%s.broken-%s", snapshot->path, stamp);
  g_autoptr(GFile) from = g_file_new_for_path (snapshot->path);
  g_autoptr(GFile) to = g_file_new_for_path (backup);
  g_autoptr(GError) local_error = NULL;

  if (!g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &local_error))
    {
      g_autofree char *display = g_filename_display_name (backup);
      g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_WRITE,
                   _("%s: cannot keep a copy of the unreadable annotations, so they were not "
                     "overwritten: %s"), display, local_error->message);
      return FALSE;
    }
  snapshot->backup_path = g_steal_pointer (&backup);
  return TRUE;
}

/* Parses the document about to be written (it becomes the source of
 * unknown keys), and on the first save records the image's SHA-256 in it,
 * which needs the image read. */
static void
complete_document (DensitoSidecarSnapshot *snapshot)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *image = NULL;
  JsonObject *root, *densito, *img;
  gsize image_len;

  if (!json_parser_load_from_data (parser, snapshot->data, (gssize)snapshot->len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  root = json_node_get_object (json_parser_get_root (parser));
  snapshot->root = json_object_ref (root);
  if (!snapshot->needs_image_hash ||
      !g_file_get_contents (snapshot->image_path, &image, &image_len, NULL))
    return;
  snapshot->image_sha256 = sha256_hex (image, image_len);
  densito = json_object_get_object_member (root, "densito");
  img = densito ? json_object_get_object_member (densito, "image") : NULL;
  if (img == NULL)
    return;
  json_object_set_string_member (img, "sha256", snapshot->image_sha256);
  g_free (snapshot->data);
  snapshot->data = generate (json_parser_get_root (parser), &snapshot->len);
}

/**
 * densito_sidecar_snapshot_write:
 *
 * Writes the snapshot atomically, in any thread. Fails with
 * %DENSITO_SIDECAR_ERROR_CONFLICT when the file changed on disk since it
 * was loaded (see densito_sidecar_dup_theirs() once applied), and with
 * %DENSITO_SIDECAR_ERROR_READ_ONLY when its folder cannot be written.
 * Apply it to the sidecar afterwards, whatever the outcome.
 */
gboolean
densito_sidecar_snapshot_write (DensitoSidecarSnapshot  *snapshot,
                                GCancellable            *cancellable,
                                GError                 **error)
{
  g_autofree char *display = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean exists;

  g_return_val_if_fail (snapshot != NULL, FALSE);
  g_return_val_if_fail (!snapshot->written, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!check_disk (snapshot, error))
    return FALSE;
  if (snapshot->keep_broken && !keep_broken_copy (snapshot, error))
    return FALSE;

  complete_document (snapshot);
  display = g_filename_display_name (snapshot->path);
  if (!g_file_set_contents_full (snapshot->path, snapshot->data, (gssize)snapshot->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ||
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_PERM) ||
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ROFS))
        g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_READ_ONLY,
                     _("%s: the folder cannot be written (%s); choose an annotations folder to keep "
                       "annotations elsewhere"), display, local_error->message);
      else
        g_set_error (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_WRITE,
                     _("%s: cannot save the annotations: %s"), display, local_error->message);
      return FALSE;
    }

  snapshot->written = TRUE;
  snapshot->new_size = (goffset)snapshot->len;
  if (!stat_file (snapshot->path, &snapshot->new_size, &snapshot->new_mtime_us, &exists, NULL))
    snapshot->new_mtime_us = 0;
  return TRUE;
}

/**
 * densito_sidecar_snapshot_apply:
 * @self: the sidecar the snapshot was taken of
 *
 * Records what densito_sidecar_snapshot_write() did: after a write, the
 * file holds the snapshot (edits made since stay unsaved for the caller
 * to track); after a conflict, the other writer's version is kept.
 */
void
densito_sidecar_snapshot_apply (DensitoSidecarSnapshot *snapshot,
                                DensitoSidecar         *self)
{
  g_return_if_fail (snapshot != NULL);
  g_return_if_fail (DENSITO_IS_SIDECAR (self));
  g_return_if_fail (snapshot->owner == (gconstpointer)self);

  if (snapshot->image_sha256 != NULL && self->image_sha256 == NULL)
    self->image_sha256 = g_strdup (snapshot->image_sha256);
  if (snapshot->backup_path != NULL)
    {
      g_free (self->backup_path);
      self->backup_path = g_steal_pointer (&snapshot->backup_path);
    }
  if (snapshot->theirs_data != NULL)
    {
      g_free (self->theirs_data);
      self->theirs_data = g_steal_pointer (&snapshot->theirs_data);
      self->theirs_len = snapshot->theirs_len;
    }
  if (snapshot->deleted)
    {
      g_clear_pointer (&self->theirs_data, g_free);
      self->on_disk = FALSE;
      g_clear_pointer (&self->disk_sha256, g_free);
      g_clear_pointer (&self->disk_data, g_bytes_unref);
    }
  if (!snapshot->written)
    return;

  g_clear_pointer (&self->disk_sha256, g_free);
  g_clear_pointer (&self->disk_data, g_bytes_unref);
  self->disk_data = g_bytes_new (snapshot->data, snapshot->len);
  self->disk_size = snapshot->new_size;
  self->disk_mtime_us = snapshot->new_mtime_us;
  self->on_disk = TRUE;
  self->broken = FALSE;
  /* What was written is now what unknown keys come from. */
  if (snapshot->root != NULL)
    {
      g_clear_pointer (&self->root, json_object_unref);
      self->root = g_steal_pointer (&snapshot->root);
    }
}

/**
 * densito_sidecar_save:
 *
 * Writes the sidecar atomically, here; see densito_sidecar_snapshot_write()
 * for the errors.
 */
gboolean
densito_sidecar_save (DensitoSidecar  *self,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_autoptr(DensitoSidecarSnapshot) snapshot = NULL;
  gboolean ok;

  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), FALSE);

  snapshot = densito_sidecar_snapshot_new (self);
  ok = densito_sidecar_snapshot_write (snapshot, cancellable, error);
  densito_sidecar_snapshot_apply (snapshot, self);
  return ok;
}

/* Accessors */

const char *
densito_sidecar_get_path (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);
  return self->path;
}

const char *
densito_sidecar_get_image_path (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);
  return self->image_path;
}

gboolean
densito_sidecar_exists_on_disk (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), FALSE);
  return self->on_disk;
}

gboolean
densito_sidecar_is_broken (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), FALSE);
  return self->broken;
}

const char *
densito_sidecar_get_backup_path (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);
  return self->backup_path;
}

gboolean
densito_sidecar_get_image_mismatch (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), FALSE);
  return self->image_mismatch;
}

guint
densito_sidecar_get_n_rois (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), 0);
  return self->rois->len;
}

const DensitoRoi *
densito_sidecar_get_roi (DensitoSidecar *self,
                         guint           i)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);
  g_return_val_if_fail (i < self->rois->len, NULL);
  return g_ptr_array_index (self->rois, i);
}

int
densito_sidecar_find_roi (DensitoSidecar *self,
                          const char     *key)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), -1);

  for (guint i = 0; i < self->rois->len; i++)
    if (g_strcmp0 (((DensitoRoi *)g_ptr_array_index (self->rois, i))->key, key) == 0)
      return (int)i;
  return -1;
}

const DensitoReview *
densito_sidecar_get_review (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);
  return &self->review;
}

/**
 * densito_sidecar_dup_theirs:
 *
 * Returns: (transfer full) (nullable): after a conflict, the version on
 * disk that someone else wrote
 */
DensitoSidecar *
densito_sidecar_dup_theirs (DensitoSidecar *self)
{
  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), NULL);

  if (self->theirs_data == NULL)
    return NULL;
  return densito_sidecar_load_from_data (self->theirs_data, self->theirs_len, self->image_path,
                                         self->path, self->image_width, self->image_height, NULL);
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format_iso8601 (now);
}

/**
 * densito_sidecar_insert_roi:
 *
 * Inserts a copy of @roi; a ROI without a key gets one, and one without
 * an author is credited to the operator now.
 *
 * Returns: the position it was inserted at
 */
guint
densito_sidecar_insert_roi (DensitoSidecar   *self,
                            guint             position,
                            const DensitoRoi *roi)
{
  DensitoRoi *copy;

  g_return_val_if_fail (DENSITO_IS_SIDECAR (self), 0);
  g_return_val_if_fail (roi != NULL, 0);

  copy = densito_roi_copy (roi);
  if (copy->key == NULL || densito_sidecar_find_roi (self, copy->key) >= 0)
    {
      g_free (copy->key);
      copy->key = make_key (self);
    }
  if (copy->by == NULL && copy->source == DENSITO_SOURCE_OPERATOR)
    {
      copy->by = g_strdup (self->operator_name);
      copy->at = now_iso8601 ();
    }
  position = MIN (position, self->rois->len);
  g_ptr_array_insert (self->rois, (gint)position, copy);
  return position;
}

void
densito_sidecar_remove_roi (DensitoSidecar  *self,
                            guint            i,
                            DensitoRoi     **removed)
{
  g_return_if_fail (DENSITO_IS_SIDECAR (self));
  g_return_if_fail (i < self->rois->len);

  if (removed != NULL)
    *removed = g_ptr_array_steal_index (self->rois, i);
  else
    g_ptr_array_remove_index (self->rois, i);
}

/**
 * densito_sidecar_set_roi_box:
 * @label: (nullable): a new label, or %NULL to keep it
 *
 * Changes a box. The first change by an operator keeps the geometry it
 * replaced as the original, for provenance.
 */
void
densito_sidecar_set_roi_box (DensitoSidecar   *self,
                             guint             i,
                             const DensitoBox *box,
                             const char       *label)
{
  DensitoRoi *roi;

  g_return_if_fail (DENSITO_IS_SIDECAR (self));
  g_return_if_fail (i < self->rois->len);

  roi = g_ptr_array_index (self->rois, i);
  if (box != NULL && memcmp (box, &roi->box, sizeof *box) != 0)
    {
      if (!roi->has_original && roi->source != DENSITO_SOURCE_OPERATOR)
        {
          roi->has_original = TRUE;
          roi->original = roi->box;
        }
      roi->box = *box;
      roi->kind = DENSITO_SHAPE_BOX;
    }
  if (label != NULL && g_strcmp0 (label, roi->label) != 0)
    {
      g_free (roi->label);
      roi->label = g_strdup (label);
    }
  g_free (roi->by);
  g_free (roi->at);
  roi->by = g_strdup (self->operator_name);
  roi->at = now_iso8601 ();
}

/**
 * densito_sidecar_set_roi_points:
 * @xy: (array): @n_points x, y pairs
 *
 * Gives a shape that is not a box (a polygon, line, point or circle) new
 * points, keeping the rest of it as it was read; for moving it.
 */
void
densito_sidecar_set_roi_points (DensitoSidecar *self,
                                guint           i,
                                const double   *xy,
                                guint           n_points)
{
  DensitoRoi *roi;
  JsonObject *json;
  JsonArray *points;

  g_return_if_fail (DENSITO_IS_SIDECAR (self));
  g_return_if_fail (i < self->rois->len);
  g_return_if_fail (xy != NULL || n_points == 0);

  roi = g_ptr_array_index (self->rois, i);
  g_return_if_fail (roi->kind == DENSITO_SHAPE_OTHER);

  points = json_array_sized_new (n_points);
  for (guint k = 0; k < n_points; k++)
    {
      JsonArray *pt = json_array_sized_new (2);
      json_array_add_double_element (pt, xy[2 * k]);
      json_array_add_double_element (pt, xy[2 * k + 1]);
      json_array_add_array_element (points, pt);
    }
  /* A new object: undo steps hold the old one. Members keep their order. */
  json = json_object_new ();
  if (roi->json != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (roi->json);
      for (GList *l = members; l; l = l->next)
        if (strcmp (l->data, "points") == 0)
          json_object_set_array_member (json, "points", json_array_ref (points));
        else
          json_object_set_member (json, l->data, json_node_copy (json_object_get_member (roi->json, l->data)));
    }
  if (!json_object_has_member (json, "points"))
    json_object_set_array_member (json, "points", json_array_ref (points));
  json_array_unref (points);
  g_clear_pointer (&roi->json, json_object_unref);
  roi->json = json;
  g_free (roi->by);
  g_free (roi->at);
  roi->by = g_strdup (self->operator_name);
  roi->at = now_iso8601 ();
}

/* Replaces a ROI wholesale, for undo and redo: provenance is restored
 * with it, bit for bit. */
void
densito_sidecar_replace_roi (DensitoSidecar   *self,
                             guint             i,
                             const DensitoRoi *roi)
{
  g_return_if_fail (DENSITO_IS_SIDECAR (self));
  g_return_if_fail (i < self->rois->len);

  densito_roi_free (g_ptr_array_index (self->rois, i));
  g_ptr_array_index (self->rois, i) = densito_roi_copy (roi);
}

void
densito_sidecar_set_review (DensitoSidecar      *self,
                            const DensitoReview *review)
{
  g_return_if_fail (DENSITO_IS_SIDECAR (self));
  g_return_if_fail (review != NULL);

  self->review.status = review->status;
  g_free (self->review.reason);
  g_free (self->review.by);
  g_free (self->review.at);
  self->review.reason = g_strdup (review->reason);
  self->review.by = g_strdup (review->by);
  self->review.at = g_strdup (review->at);
}

void
densito_sidecar_set_operator (DensitoSidecar *self,
                              const char     *name)
{
  g_return_if_fail (DENSITO_IS_SIDECAR (self));

  g_free (self->operator_name);
  self->operator_name = g_strdup (name);
}

const char *
densito_review_status_to_string (DensitoReviewStatus status)
{
  return (guint)status < G_N_ELEMENTS (review_names) ? review_names[status] : "unreviewed";
}

gboolean
densito_review_status_from_string (const char          *text,
                                   DensitoReviewStatus *status)
{
  for (guint i = 0; text && i < G_N_ELEMENTS (review_names); i++)
    if (g_ascii_strcasecmp (text, review_names[i]) == 0)
      {
        *status = i;
        return TRUE;
      }
  return FALSE;
}

const char *
densito_source_to_string (DensitoSource source)
{
  return (guint)source < G_N_ELEMENTS (source_names) ? source_names[source] : "imported";
}
