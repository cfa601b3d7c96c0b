/* densito-scan-view.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One scan with its regions of interest drawn over it. The image is a
 * texture node that GTK uploads once; brightness, contrast and inversion
 * are a colour-matrix node over it, so changing them costs nothing per
 * pixel on the CPU. Each ROI is its own small cairo node, bounded to the
 * ROI and its label and clipped to the view: one cairo node over the whole
 * view was measured to drop frames under the GL renderer.
 *
 * The view state is the zoom (0 while fitting) and the image point shown
 * at the centre of the widget; a resize therefore keeps the centre where
 * it was. Everything that turns widget pixels into image pixels goes
 * through get_transform(), so drawing, hit testing and the public
 * conversion functions agree at every zoom.
 *
 * Editing: with an edit stack (densito_scan_view_set_edit_stack()) every
 * change goes through the stack, and the view redraws on its "changed"
 * signal. A pointer drag keeps the box it started from and the whole
 * offset since the press, and sends the box computed from those two to
 * the stack with one merge id, so a drag is one undo step and a drag of
 * N widget pixels at zoom z moves a box by exactly N / z image pixels.
 * The handles of the selected ROI are drawn in that ROI's own node.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "densito-roi-geometry.h"
#include "densito-scan-view.h"
#include "densito-vocabulary.h"

struct _DensitoScanView
{
  GtkWidget       parent_instance;

  GdkTexture     *texture;
  DensitoSidecar *sidecar;
  GArray         *entries;          /* RoiEntry, largest first */
  guint           pango_serial;

  GtkWidget      *message_box;
  GtkWidget      *message_title;
  GtkWidget      *message_detail;
  char           *title;

  double          zoom;             /* 0 while fitting */
  double          center_x;         /* the image point at the widget centre, */
  double          center_y;         /* when not fitting */
  double          notified_scale;
  guint           notify_scale_id;

  double          brightness;
  double          contrast;
  guint           invert : 1;
  guint           show_rois : 1;

  /* Editing */
  DensitoEditStack *stack;
  gulong          stack_changed_id;
  DensitoRegion   region;
  int             selected;         /* sidecar index, -1 for none */
  char           *selected_key;     /* followed through edits that renumber */
  char           *add_label;        /* the next primary drag draws this ROI */
  GtkWidget      *popover;
  gboolean        popover_adds;     /* choosing a label starts an add */
  GHashTable     *layouts;          /* label -> PangoLayout, shared by entries */
  GHashTable     *node_cache;       /* ROI key -> NodeCache */
  guint           frame;

  int             edit_drag;        /* EditDrag */
  int             drag_hx;
  int             drag_hy;
  guint           drag_index;
  guint           drag_index2;
  DensitoBox      drag_box;
  DensitoBox      drag_box2;
  double         *drag_points;     /* where a shape that is not a box started */
  guint           drag_n_points;
  guint           drag_merge;
  double          drag_scale;
  double          drag_ix;          /* image point pressed */
  double          drag_iy;
  double          drag_dx;          /* offset so far, image pixels */
  double          drag_dy;
  gboolean        drag_shift;

  /* Interaction */
  guint           pointer_inside : 1;
  guint           space_held : 1;
  guint           panning : 1;
  double          pointer_x;
  double          pointer_y;
  double          drag_center_x;
  double          drag_center_y;
  double          pinch_start_scale;
};

G_DEFINE_FINAL_TYPE (DensitoScanView, densito_scan_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ZOOM,
  PROP_SCALE,
  PROP_BRIGHTNESS,
  PROP_CONTRAST,
  PROP_INVERT,
  PROP_SHOW_ROIS,
  PROP_SELECTED,
  N_PROPS
};

typedef enum
{
  EDIT_DRAG_NONE,
  EDIT_DRAG_MOVE,
  EDIT_DRAG_RESIZE,
  EDIT_DRAG_ROTATE,
  EDIT_DRAG_BORDER,
  EDIT_DRAG_ADD,
} EditDrag;

static GParamSpec *properties[N_PROPS];

typedef enum
{
  DRAW_BOX,
  DRAW_POLYGON,
  DRAW_POLYLINE,
  DRAW_POINTS,
  DRAW_CIRCLE,
} DrawKind;

/* What snapshot needs of one ROI, prepared when the ROIs change so that a
 * frame only transforms a few numbers. */
typedef struct
{
  guint        index;          /* in the sidecar */
  DrawKind     draw;
  gboolean     axis_aligned;
  double      *xy;             /* image pixels; a box's four corners */
  guint        n_points;
  double       x0, y0, x1, y1; /* bounding box in image pixels */
  double       area;
  GdkRGBA      colour;
  gboolean     dark_text;
  PangoLayout *layout;
  int          tag_width;
  int          tag_height;
} RoiEntry;

/* The last render node of one ROI and everything it was drawn from: a
 * frame that would draw it the same appends the same node, so that GTK
 * sees nothing changed there and neither redraws nor re-uploads it. While
 * one ROI is dragged, only its node (and any tag that moves) is new. */
typedef struct
{
  GskRenderNode   *node;
  guint            frame;
  double           s, ox, oy;
  graphene_rect_t  bounds;
  graphene_rect_t  tag;
  gboolean         has_tag;
  int              mode;          /* 0 plain, 1 handles, 2 dashed */
  DrawKind         draw;
  double          *xy;
  guint            n_points;
  PangoLayout     *layout;        /* not a reference; compared only */
  guint            pango_serial;
  GdkRGBA          colour;
  int              scale_factor;
} NodeCache;

static void
node_cache_free (gpointer data)
{
  NodeCache *c = data;

  g_clear_pointer (&c->node, gsk_render_node_unref);
  g_free (c->xy);
  g_free (c);
}

#define WHEEL_ZOOM_STEP      1.189207115002721   /* 2^(1/4): four wheel clicks double */
#define OUTLINE_WIDTH        2.0
#define HALO_WIDTH           4.0
#define THIN_WIDTH           1.5
#define THIN_HALO_WIDTH      3.5
#define DOT_RADIUS           3.0
#define NODE_MARGIN          4.0                 /* halo and antialiasing around a shape */
#define TAG_PAD_X            5
#define TAG_PAD_Y            1
#define TAG_GAP              2.0
#define TAG_MIN_EXTENT       24.0                /* no tag on shapes smaller than this on screen */
#define MAX_AVOIDING         64                  /* tags placed around each other */
#define MAX_CANDIDATES       8
#define HANDLE_SIZE          8.0                 /* side of a resize handle, widget pixels */
#define HANDLE_HIT           7.0                 /* how near a handle a press grabs it */
#define ROTATE_OFFSET        22.0                /* rotation handle above the top edge */
#define BORDER_HIT           4.0                 /* how near a shared border a press grabs it */
#define DUPLICATE_OFFSET     10.0
#define MIN_NEW_SIZE         2.0                 /* image pixels; smaller drags add nothing */

static gboolean          editable        (DensitoScanView  *self);
static const DensitoRoi *selected_box    (DensitoScanView  *self);
static void              handles_bounds  (const DensitoBox *box,
                                          double            s,
                                          double            ox,
                                          double            oy,
                                          graphene_rect_t  *r);
static void              draw_handles    (cairo_t          *cr,
                                          const DensitoBox *box,
                                          const GdkRGBA    *colour,
                                          double            s,
                                          double            ox,
                                          double            oy);
static void              draw_dashed_box (cairo_t          *cr,
                                          const DensitoBox *box,
                                          double            s,
                                          double            ox,
                                          double            oy);

static const GdkRGBA background = { 0.102, 0.102, 0.110, 1.0 };
static const GdkRGBA halo = { 0.0, 0.0, 0.0, 0.55 };

/* Helpers */

static double
fit_scale (DensitoScanView *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  double s;

  if (self->texture == NULL || w <= 0 || h <= 0)
    return 1.0;
  s = MIN ((double)w / gdk_texture_get_width (self->texture),
           (double)h / gdk_texture_get_height (self->texture));
  return CLAMP (s, DENSITO_SCAN_VIEW_MIN_ZOOM, DENSITO_SCAN_VIEW_MAX_ZOOM);
}

static double
effective_scale (DensitoScanView *self)
{
  return self->zoom > 0.0 ? self->zoom : fit_scale (self);
}

/* Widget x = ox + image x * scale, and the same for y. */
static void
get_transform (DensitoScanView *self,
               double          *scale,
               double          *ox,
               double          *oy)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double s = effective_scale (self);

  *scale = s;
  if (self->texture == NULL)
    {
      *ox = *oy = 0.0;
    }
  else if (self->zoom > 0.0)
    {
      *ox = w / 2.0 - self->center_x * s;
      *oy = h / 2.0 - self->center_y * s;
    }
  else
    {
      *ox = (w - gdk_texture_get_width (self->texture) * s) / 2.0;
      *oy = (h - gdk_texture_get_height (self->texture) * s) / 2.0;
    }
}

/* The image may be panned until half of it, or half of the view when it
 * is larger, is left visible along each axis: enough to find it again,
 * and lenient enough that zooming about the pointer keeps the point under
 * it in place. */
static double
clamp_center_axis (double center,
                   double image_size,
                   double view_size,
                   double scale)
{
  double len = image_size * scale;
  double keep = MIN (len, view_size) / 2.0;
  double lo = (keep - view_size / 2.0) / scale;
  double hi = (view_size / 2.0 - keep + len) / scale;

  if (view_size <= 0.0)
    return center;
  return CLAMP (center, lo, hi);
}

static void
clamp_center (DensitoScanView *self)
{
  double s;

  if (self->texture == NULL || self->zoom <= 0.0)
    return;
  s = self->zoom;
  self->center_x = clamp_center_axis (self->center_x, gdk_texture_get_width (self->texture),
                                      gtk_widget_get_width (GTK_WIDGET (self)), s);
  self->center_y = clamp_center_axis (self->center_y, gdk_texture_get_height (self->texture),
                                      gtk_widget_get_height (GTK_WIDGET (self)), s);
}

static void
notify_scale (DensitoScanView *self)
{
  double s = effective_scale (self);

  if (s != self->notified_scale)
    {
      self->notified_scale = s;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE]);
    }
}

static gboolean
notify_scale_idle (gpointer data)
{
  DensitoScanView *self = data;

  self->notify_scale_id = 0;
  notify_scale (self);
  return G_SOURCE_REMOVE;
}

/* Zooms so that the image point now under (wx, wy) stays there. */
static void
set_zoom_about (DensitoScanView *self,
                double           zoom,
                double           wx,
                double           wy)
{
  double old_zoom = self->zoom;
  double old_scale = effective_scale (self);

  if (zoom > 0.0)
    {
      double w = gtk_widget_get_width (GTK_WIDGET (self));
      double h = gtk_widget_get_height (GTK_WIDGET (self));
      double ix, iy;

      zoom = CLAMP (zoom, DENSITO_SCAN_VIEW_MIN_ZOOM, DENSITO_SCAN_VIEW_MAX_ZOOM);
      densito_scan_view_widget_to_image (self, wx, wy, &ix, &iy);
      self->zoom = zoom;
      self->center_x = ix + (w / 2.0 - wx) / zoom;
      self->center_y = iy + (h / 2.0 - wy) / zoom;
      clamp_center (self);
    }
  else
    {
      self->zoom = 0.0;
    }

  if (self->zoom != old_zoom)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  /* Compared with the scale before, not the one last notified: a resize
   * may have changed it with its notification still pending. */
  if (effective_scale (self) != old_scale)
    {
      self->notified_scale = effective_scale (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE]);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_zoom_about_center (DensitoScanView *self,
                       double           zoom)
{
  set_zoom_about (self, zoom,
                  gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                  gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

/* Zoom steps land on powers of √2, so that 1:1, 2:1 and 4:1 are reached
 * exactly from any scale. */
static double
zoom_step (double scale,
           int    direction)
{
  /* At least 10% bigger or smaller: a view fitted just under a step
   * (0.702 under 0.707) moved 0.7% and looked as if nothing happened. */
  double k = 2.0 * log2 (scale);
  double margin = 2.0 * log2 (1.1);
  double n = direction > 0 ? ceil (k + margin - 1e-6) : floor (k - margin + 1e-6);

  return CLAMP (pow (2.0, n / 2.0), DENSITO_SCAN_VIEW_MIN_ZOOM, DENSITO_SCAN_VIEW_MAX_ZOOM);
}

static void
update_cursor (DensitoScanView *self)
{
  const char *name = NULL;

  if (self->panning)
    name = "grabbing";
  else if (self->space_held && self->zoom > 0.0)
    name = "grab";
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), name);
}

/* ROI colours */

typedef struct
{
  const char *id;
  guint32     rgb;
} LabelColour;

/* Total hip blue and neck yellow echo Hologic; the spine is one family of
 * greens to cyans, the forearm one of purples. All are light enough for a
 * dark inverted scan, and the dark halo under every line keeps them apart
 * from a light grey one. */
static const LabelColour label_colours[] = {
  { "L1", 0x33c7de },
  { "L2", 0x2fd3a9 },
  { "L3", 0x4fdc6f },
  { "L4", 0xa3dc3c },
  { "total_hip", 0x3d8fff },
  { "neck", 0xffd21f },
  { "wards", 0xf062d8 },
  { "trochanter", 0xff8a1f },
  { "intertrochanter", 0x30d0a0 },
  { "radius_33", 0xc58cff },
  { "radius_mid", 0x9f6bff },
  { "radius_ud", 0xe07fff },
};
#define FREE_LABEL_COLOUR 0xd6d6d6

static void
colour_for_label (const char *label,
                  GdkRGBA    *colour)
{
  guint32 rgb = FREE_LABEL_COLOUR;

  for (guint i = 0; label != NULL && i < G_N_ELEMENTS (label_colours); i++)
    if (g_strcmp0 (label_colours[i].id, label) == 0)
      {
        rgb = label_colours[i].rgb;
        break;
      }

  /* A label of the vocabulary that the table above does not know yet
   * still gets its region's family. */
  if (rgb == FREE_LABEL_COLOUR && label != NULL)
    {
      const DensitoRoiLabel *known = densito_vocabulary_lookup (label);

      if (known != NULL && known->region == DENSITO_REGION_SPINE)
        rgb = 0x4fdc6f;
      else if (known != NULL && known->region == DENSITO_REGION_HIP)
        rgb = 0xff8a1f;
      else if (known != NULL && known->region == DENSITO_REGION_FOREARM)
        rgb = 0xc58cff;
    }

  colour->red = ((rgb >> 16) & 0xff) / 255.0f;
  colour->green = ((rgb >> 8) & 0xff) / 255.0f;
  colour->blue = (rgb & 0xff) / 255.0f;
  colour->alpha = 1.0f;
}

/* ROI entries */

static void
roi_entry_clear (gpointer data)
{
  RoiEntry *entry = data;

  g_clear_pointer (&entry->xy, g_free);
  g_clear_object (&entry->layout);
}

static void
measure_tag (RoiEntry *entry)
{
  int tw, th;

  pango_layout_get_pixel_size (entry->layout, &tw, &th);
  entry->tag_width = tw + 2 * TAG_PAD_X;
  entry->tag_height = th + 2 * TAG_PAD_Y;
}

static gboolean
fill_entry (DensitoScanView  *self,
            const DensitoRoi *roi,
            RoiEntry         *entry)
{
  g_autoptr(PangoAttrList) attrs = NULL;
  const char *label = roi->label ? roi->label : "";
  double lum;

  if (roi->kind == DENSITO_SHAPE_BOX)
    {
      double a = fmod (roi->box.angle, 90.0);

      entry->draw = DRAW_BOX;
      entry->n_points = 4;
      entry->xy = g_new (double, 8);
      densito_box_corners (&roi->box, entry->xy);
      entry->axis_aligned = a == 0.0;
      entry->area = roi->box.width * roi->box.height;
    }
  else
    {
      const char *type = roi->shape_type ? roi->shape_type : "polygon";

      entry->xy = densito_roi_dup_points (roi, &entry->n_points);
      if (entry->xy == NULL)
        return FALSE;
      if (g_str_equal (type, "circle") && entry->n_points == 2)
        entry->draw = DRAW_CIRCLE;
      else if (g_str_equal (type, "point") || g_str_equal (type, "points") || entry->n_points == 1)
        entry->draw = DRAW_POINTS;
      else if (g_str_equal (type, "line") || g_str_equal (type, "linestrip") || entry->n_points == 2)
        entry->draw = DRAW_POLYLINE;
      else
        entry->draw = DRAW_POLYGON;
    }

  if (entry->draw == DRAW_CIRCLE)
    {
      double r = hypot (entry->xy[2] - entry->xy[0], entry->xy[3] - entry->xy[1]);

      entry->x0 = entry->xy[0] - r;
      entry->x1 = entry->xy[0] + r;
      entry->y0 = entry->xy[1] - r;
      entry->y1 = entry->xy[1] + r;
    }
  else
    densito_points_bounds (entry->xy, entry->n_points, &entry->x0, &entry->y0, &entry->x1, &entry->y1);
  if (entry->draw != DRAW_BOX)
    entry->area = (entry->x1 - entry->x0) * (entry->y1 - entry->y0);

  colour_for_label (roi->label, &entry->colour);
  lum = 0.2126 * entry->colour.red + 0.7152 * entry->colour.green + 0.0722 * entry->colour.blue;
  entry->dark_text = lum > 0.45;

  /* Shared per label, so that the many rebuilds of a drag create none. */
  entry->layout = g_hash_table_lookup (self->layouts, label);
  if (entry->layout == NULL)
    {
      entry->layout = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                                      densito_roi_label_display_name (label));
      attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_scale_new (0.92));
      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_layout_set_attributes (entry->layout, attrs);
      g_hash_table_insert (self->layouts, g_strdup (label), entry->layout);
    }
  g_object_ref (entry->layout);
  measure_tag (entry);
  return TRUE;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const RoiEntry *ea = a;
  const RoiEntry *eb = b;

  /* Largest first, so that small boxes and their tags end up on top. */
  if (ea->area != eb->area)
    return ea->area > eb->area ? -1 : 1;
  return ea->index < eb->index ? -1 : ea->index > eb->index;
}

static void
rebuild_entries (DensitoScanView *self)
{
  guint n = self->sidecar ? densito_sidecar_get_n_rois (self->sidecar) : 0;

  g_array_set_size (self->entries, 0);
  for (guint i = 0; i < n; i++)
    {
      const DensitoRoi *roi = densito_sidecar_get_roi (self->sidecar, i);
      RoiEntry entry = { .index = i };

      if (roi == NULL)
        continue;
      if (fill_entry (self, roi, &entry))
        g_array_append_val (self->entries, entry);
      else
        roi_entry_clear (&entry);
    }
  g_array_sort (self->entries, compare_entries);
  self->pango_serial = pango_context_get_serial (gtk_widget_get_pango_context (GTK_WIDGET (self)));
}

/* Drawing */

static double
snap (double v,
      int    scale_factor)
{
  return round (v * scale_factor) / scale_factor;
}

static void
path_entry (cairo_t        *cr,
            const RoiEntry *entry,
            double          s,
            double          ox,
            double          oy,
            int             scale_factor)
{
  switch (entry->draw)
    {
    case DRAW_BOX:
      if (entry->axis_aligned)
        {
          /* Whole pixels, so that the 2 px line covers two pixel rows. */
          double x0 = snap (ox + entry->x0 * s, scale_factor);
          double y0 = snap (oy + entry->y0 * s, scale_factor);
          double x1 = snap (ox + entry->x1 * s, scale_factor);
          double y1 = snap (oy + entry->y1 * s, scale_factor);

          cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case DRAW_POLYGON:
    case DRAW_POLYLINE:
      for (guint i = 0; i < entry->n_points; i++)
        cairo_line_to (cr, ox + entry->xy[2 * i] * s, oy + entry->xy[2 * i + 1] * s);
      if (entry->draw != DRAW_POLYLINE)
        cairo_close_path (cr);
      break;
    case DRAW_CIRCLE:
      cairo_new_sub_path (cr);
      cairo_arc (cr, ox + entry->xy[0] * s, oy + entry->xy[1] * s,
                 hypot (entry->xy[2] - entry->xy[0], entry->xy[3] - entry->xy[1]) * s,
                 0.0, 2.0 * G_PI);
      break;
    case DRAW_POINTS:
      for (guint i = 0; i < entry->n_points; i++)
        {
          cairo_new_sub_path (cr);
          cairo_arc (cr, ox + entry->xy[2 * i] * s, oy + entry->xy[2 * i + 1] * s,
                     DOT_RADIUS, 0.0, 2.0 * G_PI);
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
draw_shape (cairo_t        *cr,
            const RoiEntry *entry,
            double          s,
            double          ox,
            double          oy,
            int             scale_factor)
{
  gboolean thin = entry->draw != DRAW_BOX;

  path_entry (cr, entry, s, ox, oy, scale_factor);
  if (entry->draw == DRAW_POINTS)
    {
      gdk_cairo_set_source_rgba (cr, &entry->colour);
      cairo_fill_preserve (cr);
      gdk_cairo_set_source_rgba (cr, &halo);
      cairo_set_line_width (cr, 1.0);
      cairo_stroke (cr);
      return;
    }

  cairo_set_line_join (cr, thin ? CAIRO_LINE_JOIN_ROUND : CAIRO_LINE_JOIN_MITER);
  cairo_set_line_cap (cr, thin ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_SQUARE);
  gdk_cairo_set_source_rgba (cr, &halo);
  cairo_set_line_width (cr, thin ? THIN_HALO_WIDTH : HALO_WIDTH);
  cairo_stroke_preserve (cr);
  gdk_cairo_set_source_rgba (cr, &entry->colour);
  cairo_set_line_width (cr, thin ? THIN_WIDTH : OUTLINE_WIDTH);
  cairo_stroke (cr);
}

static void
draw_tag (cairo_t               *cr,
          const RoiEntry        *entry,
          const graphene_rect_t *tag)
{
  GdkRGBA fill = entry->colour;
  double r = 3.0;
  double x = tag->origin.x + 0.5, y = tag->origin.y + 0.5;
  double w = tag->size.width - 1.0, h = tag->size.height - 1.0;

  fill.alpha = 0.88f;
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2.0, 0.0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0.0, G_PI / 2.0);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2.0, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 1.5 * G_PI);
  cairo_close_path (cr);
  gdk_cairo_set_source_rgba (cr, &fill);
  cairo_fill_preserve (cr);
  /* The same dark edge as the outlines, for light tags on light scans. */
  gdk_cairo_set_source_rgba (cr, &halo);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);

  if (entry->dark_text)
    cairo_set_source_rgba (cr, 0.0, 0.0, 0.0, 0.9);
  else
    cairo_set_source_rgba (cr, 1.0, 1.0, 1.0, 1.0);
  cairo_move_to (cr, tag->origin.x + TAG_PAD_X, tag->origin.y + TAG_PAD_Y);
  pango_cairo_show_layout (cr, entry->layout);
}

static void
entry_widget_bounds (const RoiEntry  *entry,
                     double           s,
                     double           ox,
                     double           oy,
                     graphene_rect_t *r)
{
  r->origin.x = ox + entry->x0 * s;
  r->origin.y = oy + entry->y0 * s;
  r->size.width = (entry->x1 - entry->x0) * s;
  r->size.height = (entry->y1 - entry->y0) * s;
}

/* Whether the segment from (ax, ay) to (bx, by) passes through the
 * rectangle (Liang-Barsky clipping). */
static gboolean
segment_hits_rect (double                 ax,
                   double                 ay,
                   double                 bx,
                   double                 by,
                   const graphene_rect_t *r)
{
  double p[4] = { -(bx - ax), bx - ax, -(by - ay), by - ay };
  double q[4] = { ax - r->origin.x, r->origin.x + r->size.width - ax,
                  ay - r->origin.y, r->origin.y + r->size.height - ay };
  double t0 = 0.0, t1 = 1.0;

  for (guint k = 0; k < 4; k++)
    {
      if (p[k] == 0.0)
        {
          if (q[k] < 0.0)
            return FALSE;
          continue;
        }
      if (p[k] < 0.0)
        t0 = MAX (t0, q[k] / p[k]);
      else
        t1 = MIN (t1, q[k] / p[k]);
      if (t0 > t1)
        return FALSE;
    }
  return TRUE;
}

static gboolean
point_in_entry (const RoiEntry *entry,
                double          x,
                double          y)
{
  gboolean inside = FALSE;

  if (entry->draw == DRAW_POLYLINE || entry->draw == DRAW_POINTS)
    return FALSE;
  if (entry->draw == DRAW_CIRCLE)
    return hypot (x - entry->xy[0], y - entry->xy[1]) <
           hypot (entry->xy[2] - entry->xy[0], entry->xy[3] - entry->xy[1]);
  for (guint i = 0, j = entry->n_points - 1; i < entry->n_points; j = i++)
    {
      double xi = entry->xy[2 * i], yi = entry->xy[2 * i + 1];
      double xj = entry->xy[2 * j], yj = entry->xy[2 * j + 1];

      if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        inside = !inside;
    }
  return inside;
}

/* Whether a tag at @r (widget pixels) would hide part of another ROI's
 * outline. */
static gboolean
tag_crosses_entry (const RoiEntry        *entry,
                   const graphene_rect_t *r,
                   double                 s,
                   double                 ox,
                   double                 oy)
{
  graphene_rect_t b;

  entry_widget_bounds (entry, s, ox, oy, &b);
  graphene_rect_inset (&b, -NODE_MARGIN, -NODE_MARGIN);
  if (!graphene_rect_intersection (r, &b, NULL))
    return FALSE;

  switch (entry->draw)
    {
    case DRAW_POINTS:
      for (guint i = 0; i < entry->n_points; i++)
        {
          graphene_rect_t dot = GRAPHENE_RECT_INIT (ox + entry->xy[2 * i] * s - DOT_RADIUS,
                                                    oy + entry->xy[2 * i + 1] * s - DOT_RADIUS,
                                                    2 * DOT_RADIUS, 2 * DOT_RADIUS);
          if (graphene_rect_intersection (r, &dot, NULL))
            return TRUE;
        }
      return FALSE;

    case DRAW_CIRCLE:
      {
        double cx = ox + entry->xy[0] * s, cy = oy + entry->xy[1] * s;
        double radius = hypot (entry->xy[2] - entry->xy[0], entry->xy[3] - entry->xy[1]) * s;
        double nx = CLAMP (cx, r->origin.x, r->origin.x + r->size.width);
        double ny = CLAMP (cy, r->origin.y, r->origin.y + r->size.height);
        double fx = MAX (fabs (cx - r->origin.x), fabs (cx - r->origin.x - r->size.width));
        double fy = MAX (fabs (cy - r->origin.y), fabs (cy - r->origin.y - r->size.height));

        return hypot (nx - cx, ny - cy) <= radius && hypot (fx, fy) >= radius;
      }

    case DRAW_BOX:
    case DRAW_POLYGON:
    case DRAW_POLYLINE:
      for (guint i = 0; i < entry->n_points; i++)
        {
          guint j = i + 1 < entry->n_points ? i + 1 : 0;

          if (j == 0 && entry->draw == DRAW_POLYLINE)
            break;
          if (segment_hits_rect (ox + entry->xy[2 * i] * s, oy + entry->xy[2 * i + 1] * s,
                                 ox + entry->xy[2 * j] * s, oy + entry->xy[2 * j + 1] * s, r))
            return TRUE;
        }
      return FALSE;

    default:
      g_assert_not_reached ();
    }
}

/* How bad a place for a tag is: on another tag, out of view, across
 * another ROI's outline, or over a small ROI it would hide. Lower is
 * better. It allocates nothing; the ROIs looked at are capped so that a
 * sidecar with thousands of shapes stays fast. */
static int
score_tag (DensitoScanView       *self,
           guint                  current,
           const graphene_rect_t *tag,
           const graphene_rect_t *placed,
           guint                  n_placed,
           const graphene_rect_t *view,
           double                 s,
           double                 ox,
           double                 oy)
{
  graphene_rect_t core = *tag;
  double tag_area = tag->size.width * tag->size.height;
  double cx = (tag->origin.x + tag->size.width / 2.0 - ox) / s;
  double cy = (tag->origin.y + tag->size.height / 2.0 - oy) / s;
  int score = 0;

  for (guint i = 0; i < n_placed; i++)
    if (graphene_rect_intersection (tag, &placed[i], NULL))
      score += 1000;
  if (!graphene_rect_contains_rect (view, tag))
    score += 100;

  /* A tag may sit flush on an outline (a tab on its own box, or on a
   * shared edge) without counting as crossing it. */
  graphene_rect_inset (&core, OUTLINE_WIDTH / 2.0 + 1.0, OUTLINE_WIDTH / 2.0 + 1.0);

  for (guint i = 0; i < self->entries->len && i < MAX_AVOIDING; i++)
    {
      const RoiEntry *other = &g_array_index (self->entries, RoiEntry, i);

      if (i == current || other->n_points > 256)
        continue;
      /* Small ROIs, the neck and Ward's above all, matter more than the
       * large boxes around them. */
      if (tag_crosses_entry (other, &core, s, ox, oy))
        score += other->area * s * s < 10.0 * tag_area ? 20 : 10;
      else if (other->area * s * s < 8.0 * tag_area && point_in_entry (other, cx, cy))
        score += 5;
    }
  return score;
}

/* Candidate places for the tag, best first: a tab in the top-left corner
 * of an upright box large enough to hold it, else just outside. */
static guint
tag_candidates (const RoiEntry  *entry,
                double           s,
                double           ox,
                double           oy,
                int              scale_factor,
                graphene_rect_t  candidates[MAX_CANDIDATES])
{
  double tw = entry->tag_width, th = entry->tag_height;
  guint n = 0;

  if (entry->draw == DRAW_BOX && entry->axis_aligned)
    {
      /* Flush with the outer edge of the 2 px outline. */
      double x0 = snap (ox + entry->x0 * s, scale_factor) - OUTLINE_WIDTH / 2.0;
      double y0 = snap (oy + entry->y0 * s, scale_factor) - OUTLINE_WIDTH / 2.0;
      double x1 = snap (ox + entry->x1 * s, scale_factor) + OUTLINE_WIDTH / 2.0;
      double y1 = snap (oy + entry->y1 * s, scale_factor) + OUTLINE_WIDTH / 2.0;
      gboolean fits = tw <= (x1 - x0) * 0.85 && th <= (y1 - y0) * 0.4;

      if (fits)
        graphene_rect_init (&candidates[n++], x0, y0, tw, th);
      graphene_rect_init (&candidates[n++], x0, y0 - th, tw, th);
      if (fits)
        graphene_rect_init (&candidates[n++], x0, y1 - th, tw, th);
      graphene_rect_init (&candidates[n++], x0, y1, tw, th);
      if (fits)
        graphene_rect_init (&candidates[n++], x1 - tw, y0, tw, th);
      graphene_rect_init (&candidates[n++], x1 - tw, y0 - th, tw, th);
      graphene_rect_init (&candidates[n++], x1 + TAG_GAP, y0, tw, th);
      graphene_rect_init (&candidates[n++], x0 - tw - TAG_GAP, y0, tw, th);
    }
  else
    {
      /* Beside the extreme points, so the tag touches the shape. */
      double top_x = 0, top_y = G_MAXDOUBLE, bottom_x = 0, bottom_y = -G_MAXDOUBLE;
      double left_x = G_MAXDOUBLE, left_y = 0, right_x = -G_MAXDOUBLE, right_y = 0;
      double m = NODE_MARGIN;

      if (entry->draw == DRAW_CIRCLE || entry->draw == DRAW_POINTS)
        {
          top_x = bottom_x = ox + (entry->x0 + entry->x1) / 2.0 * s;
          left_y = right_y = oy + (entry->y0 + entry->y1) / 2.0 * s;
          top_y = oy + entry->y0 * s;
          bottom_y = oy + entry->y1 * s;
          left_x = ox + entry->x0 * s;
          right_x = ox + entry->x1 * s;
        }
      else
        for (guint i = 0; i < entry->n_points; i++)
          {
            double x = ox + entry->xy[2 * i] * s;
            double y = oy + entry->xy[2 * i + 1] * s;

            if (y < top_y)
              top_x = x, top_y = y;
            if (y > bottom_y)
              bottom_x = x, bottom_y = y;
            if (x < left_x)
              left_x = x, left_y = y;
            if (x > right_x)
              right_x = x, right_y = y;
          }
      graphene_rect_init (&candidates[n++], top_x - tw / 2.0, top_y - m - th, tw, th);
      graphene_rect_init (&candidates[n++], right_x + m, right_y - th / 2.0, tw, th);
      graphene_rect_init (&candidates[n++], left_x - m - tw, left_y - th / 2.0, tw, th);
      graphene_rect_init (&candidates[n++], bottom_x - tw / 2.0, bottom_y + m, tw, th);
      graphene_rect_init (&candidates[n++], top_x + m, top_y - m - th, tw, th);
      graphene_rect_init (&candidates[n++], top_x - m - tw, top_y - m - th, tw, th);
      graphene_rect_init (&candidates[n++], bottom_x + m, bottom_y + m, tw, th);
      graphene_rect_init (&candidates[n++], bottom_x - m - tw, bottom_y + m, tw, th);
    }
  g_assert (n <= MAX_CANDIDATES);
  return n;
}

static gboolean
node_cache_stale (gpointer key,
                  gpointer value,
                  gpointer data)
{
  return ((NodeCache *)value)->frame != ((DensitoScanView *)data)->frame;
}

static void
snapshot_rois (DensitoScanView *self,
               GtkSnapshot     *snapshot,
               double           s,
               double           ox,
               double           oy)
{
  int scale_factor = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  graphene_rect_t view;
  graphene_rect_t placed[MAX_AVOIDING];
  guint n_placed = 0;
  guint sel_pos;
  guint serial;

  graphene_rect_init (&view, 0, 0,
                      gtk_widget_get_width (GTK_WIDGET (self)),
                      gtk_widget_get_height (GTK_WIDGET (self)));
  self->frame++;

  /* The font or its resolution changed since the tags were measured. */
  serial = pango_context_get_serial (gtk_widget_get_pango_context (GTK_WIDGET (self)));
  if (serial != self->pango_serial)
    {
      GHashTableIter iter;
      gpointer layout;

      g_hash_table_iter_init (&iter, self->layouts);
      while (g_hash_table_iter_next (&iter, NULL, &layout))
        pango_layout_context_changed (layout);
      for (guint i = 0; i < self->entries->len; i++)
        measure_tag (&g_array_index (self->entries, RoiEntry, i));
      self->pango_serial = serial;
    }

  /* The selected ROI last, so that its handles are on top. */
  sel_pos = self->entries->len;
  for (guint i = 0; i < self->entries->len && self->selected >= 0; i++)
    if ((int)g_array_index (self->entries, RoiEntry, i).index == self->selected)
      sel_pos = i;

  for (guint k = 0; k < self->entries->len; k++)
    {
      guint i = k < sel_pos ? k : k + 1 < self->entries->len ? k + 1 : sel_pos;
      const RoiEntry *entry = &g_array_index (self->entries, RoiEntry, i);
      graphene_rect_t shape, bounds, tag;
      const DensitoRoi *selected;
      GskRenderNode *node;
      NodeCache *cached;
      const char *key;
      gboolean has_tag;
      int mode;
      cairo_t *cr;

      entry_widget_bounds (entry, s, ox, oy, &shape);
      graphene_rect_inset (&shape, -NODE_MARGIN, -NODE_MARGIN);
      if (!graphene_rect_intersection (&shape, &view, NULL) &&
          (int)entry->index != self->selected)
        continue;

      has_tag = MAX ((entry->x1 - entry->x0) * s, (entry->y1 - entry->y0) * s) >= TAG_MIN_EXTENT;
      bounds = shape;
      selected = (int)entry->index == self->selected ? selected_box (self) : NULL;
      if (selected != NULL && editable (self))
        {
          graphene_rect_t hb;

          handles_bounds (&selected->box, s, ox, oy, &hb);
          graphene_rect_union (&bounds, &hb, &bounds);
        }
      if (has_tag)
        {
          graphene_rect_t candidates[MAX_CANDIDATES];
          guint n = tag_candidates (entry, s, ox, oy, scale_factor, candidates);
          int best = G_MAXINT;

          /* Past the first few tags, placing them is not worth its cost
           * per frame. */
          tag = candidates[0];
          for (guint c = 0; c < n && best > 0 && n_placed < MAX_AVOIDING; c++)
            {
              int score = score_tag (self, i, &candidates[c], placed, n_placed, &view, s, ox, oy);

              if (score < best)
                {
                  best = score;
                  tag = candidates[c];
                }
            }

          /* A tag stays in view while any of its shape is. */
          tag.origin.x = CLAMP (tag.origin.x, 0.0, MAX (0.0, view.size.width - tag.size.width));
          tag.origin.y = CLAMP (tag.origin.y, 0.0, MAX (0.0, view.size.height - tag.size.height));
          tag.origin.x = snap (tag.origin.x, scale_factor);
          tag.origin.y = snap (tag.origin.y, scale_factor);
          if (n_placed < MAX_AVOIDING)
            placed[n_placed++] = tag;
          graphene_rect_union (&bounds, &tag, &bounds);
        }

      if (!graphene_rect_intersection (&bounds, &view, &bounds))
        continue;
      graphene_rect_round_extents (&bounds, &bounds);

      /* 1: handles; 2: a box that cannot be edited, dashed; 3: a shape
       * that is not a box, which can only be moved: its bounds, dashed. */
      if ((int)entry->index != self->selected)
        mode = 0;
      else if (selected == NULL)
        mode = 3;
      else
        mode = editable (self) ? 1 : 2;
      key = densito_sidecar_get_roi (self->sidecar, entry->index)->key;
      cached = key ? g_hash_table_lookup (self->node_cache, key) : NULL;
      if (cached != NULL && cached->s == s && cached->ox == ox && cached->oy == oy &&
          graphene_rect_equal (&cached->bounds, &bounds) && cached->has_tag == has_tag &&
          (!has_tag || graphene_rect_equal (&cached->tag, &tag)) && cached->mode == mode &&
          cached->draw == entry->draw && cached->n_points == entry->n_points &&
          memcmp (cached->xy, entry->xy, sizeof (double) * 2 * entry->n_points) == 0 &&
          cached->layout == entry->layout && cached->pango_serial == self->pango_serial &&
          gdk_rgba_equal (&cached->colour, &entry->colour) && cached->scale_factor == scale_factor)
        {
          cached->frame = self->frame;
          gtk_snapshot_append_node (snapshot, cached->node);
          continue;
        }

      node = gsk_cairo_node_new (&bounds);
      cr = gsk_cairo_node_get_draw_context (node);
      draw_shape (cr, entry, s, ox, oy, scale_factor);
      if (has_tag)
        draw_tag (cr, entry, &tag);
      if (mode == 1)
        draw_handles (cr, &selected->box, &entry->colour, s, ox, oy);
      else if (mode == 2)
        draw_dashed_box (cr, &selected->box, s, ox, oy);
      else if (mode == 3)
        {
          DensitoBox bounds_box = { (entry->x0 + entry->x1) / 2.0, (entry->y0 + entry->y1) / 2.0,
                                    entry->x1 - entry->x0, entry->y1 - entry->y0, 0.0 };
          draw_dashed_box (cr, &bounds_box, s, ox, oy);
        }
      cairo_destroy (cr);
      gtk_snapshot_append_node (snapshot, node);

      if (key == NULL)
        {
          gsk_render_node_unref (node);
          continue;
        }
      if (cached == NULL)
        {
          cached = g_new0 (NodeCache, 1);
          g_hash_table_insert (self->node_cache, g_strdup (key), cached);
        }
      g_clear_pointer (&cached->node, gsk_render_node_unref);
      cached->node = node;
      cached->frame = self->frame;
      cached->s = s;
      cached->ox = ox;
      cached->oy = oy;
      cached->bounds = bounds;
      cached->tag = tag;
      cached->has_tag = has_tag;
      cached->mode = mode;
      cached->draw = entry->draw;
      g_free (cached->xy);
      cached->xy = g_memdup2 (entry->xy, sizeof (double) * 2 * entry->n_points);
      cached->n_points = entry->n_points;
      cached->layout = entry->layout;
      cached->pango_serial = self->pango_serial;
      cached->colour = entry->colour;
      cached->scale_factor = scale_factor;
    }

  /* Drop the nodes of ROIs that were not drawn this frame. */
  g_hash_table_foreach_remove (self->node_cache, node_cache_stale, self);
}

static void
push_adjustments (DensitoScanView *self,
                  GtkSnapshot     *snapshot)
{
  /* Window and level about mid grey; the matrix acts on unpremultiplied
   * colour, so transparent pixels stay transparent. */
  float k = (float)self->contrast;
  float offset = (float)(0.5 - 0.5 * self->contrast + self->brightness);
  graphene_matrix_t matrix;
  graphene_vec4_t offsets;

  if (self->invert)
    {
      offset = (float)(0.5 + 0.5 * self->contrast + self->brightness);
      k = -k;
    }
  graphene_matrix_init_from_float (&matrix, (float[16]) {
                                     k, 0, 0, 0,
                                     0, k, 0, 0,
                                     0, 0, k, 0,
                                     0, 0, 0, 1 });
  graphene_vec4_init (&offsets, offset, offset, offset, 0.0f);
  gtk_snapshot_push_color_matrix (snapshot, &matrix, &offsets);
}

/* Editing */

static gboolean
editable (DensitoScanView *self)
{
  return self->stack != NULL && self->sidecar != NULL && self->texture != NULL;
}

static guint
n_rois (DensitoScanView *self)
{
  return self->sidecar ? densito_sidecar_get_n_rois (self->sidecar) : 0;
}

/* The selected ROI when it is a box, else NULL. */
static const DensitoRoi *
selected_box (DensitoScanView *self)
{
  const DensitoRoi *roi;

  if (self->selected < 0 || (guint)self->selected >= n_rois (self))
    return NULL;
  roi = densito_sidecar_get_roi (self->sidecar, self->selected);
  return roi != NULL && roi->kind == DENSITO_SHAPE_BOX ? roi : NULL;
}

/* Whether the edge handles along each axis are drawn: not when the box
 * is so small on screen that they would cover it. */
static void
edge_handles_shown (const DensitoBox *box,
                    double            s,
                    gboolean         *along_width,
                    gboolean         *along_height)
{
  *along_width = box->width * s >= 3.0 * HANDLE_SIZE;
  *along_height = box->height * s >= 3.0 * HANDLE_SIZE;
}

static void
handle_point (const DensitoBox *box,
              int               hx,
              int               hy,
              double            s,
              double            ox,
              double            oy,
              double           *wx,
              double           *wy)
{
  double ix, iy;

  densito_box_from_local (box, hx * box->width / 2.0, hy * box->height / 2.0, &ix, &iy);
  *wx = ox + ix * s;
  *wy = oy + iy * s;
}

static void
rotation_point (const DensitoBox *box,
                double            s,
                double            ox,
                double            oy,
                double           *wx,
                double           *wy)
{
  double ix, iy;

  /* Above the top edge by a fixed distance on screen, along the box's own
   * up direction. */
  densito_box_from_local (box, 0.0, -box->height / 2.0 - ROTATE_OFFSET / s, &ix, &iy);
  *wx = ox + ix * s;
  *wy = oy + iy * s;
}

static const int handle_dirs[8][2] = {
  { -1, -1 }, { 0, -1 }, { 1, -1 }, { 1, 0 }, { 1, 1 }, { 0, 1 }, { -1, 1 }, { -1, 0 },
};

static gboolean
handle_shown (const DensitoBox *box,
              double            s,
              int               hx,
              int               hy)
{
  gboolean w, h;

  edge_handles_shown (box, s, &w, &h);
  if (hx == 0)
    return w;
  if (hy == 0)
    return h;
  return TRUE;
}

/* The widget rectangle the handles of @box cover. */
static void
handles_bounds (const DensitoBox *box,
                double            s,
                double            ox,
                double            oy,
                graphene_rect_t  *r)
{
  double wx, wy;

  rotation_point (box, s, ox, oy, &wx, &wy);
  graphene_rect_init (r, wx - HANDLE_SIZE, wy - HANDLE_SIZE, 2 * HANDLE_SIZE, 2 * HANDLE_SIZE);
  for (guint k = 0; k < 8; k++)
    {
      graphene_rect_t h;

      handle_point (box, handle_dirs[k][0], handle_dirs[k][1], s, ox, oy, &wx, &wy);
      graphene_rect_init (&h, wx - HANDLE_SIZE, wy - HANDLE_SIZE, 2 * HANDLE_SIZE, 2 * HANDLE_SIZE);
      graphene_rect_union (r, &h, r);
    }
}

static void
draw_handles (cairo_t          *cr,
              const DensitoBox *box,
              const GdkRGBA    *colour,
              double            s,
              double            ox,
              double            oy)
{
  double tx, ty, rx, ry;

  /* The stem and knob of the rotation handle. */
  handle_point (box, 0, -1, s, ox, oy, &tx, &ty);
  rotation_point (box, s, ox, oy, &rx, &ry);
  cairo_move_to (cr, tx, ty);
  cairo_line_to (cr, rx, ry);
  gdk_cairo_set_source_rgba (cr, &halo);
  cairo_set_line_width (cr, 3.0);
  cairo_stroke_preserve (cr);
  gdk_cairo_set_source_rgba (cr, colour);
  cairo_set_line_width (cr, 1.5);
  cairo_stroke (cr);
  cairo_new_sub_path (cr);
  cairo_arc (cr, rx, ry, HANDLE_SIZE / 2.0 + 1.0, 0.0, 2.0 * G_PI);
  cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
  cairo_fill_preserve (cr);
  gdk_cairo_set_source_rgba (cr, &halo);
  cairo_set_line_width (cr, 1.5);
  cairo_stroke (cr);

  for (guint k = 0; k < 8; k++)
    {
      double wx, wy;

      if (!handle_shown (box, s, handle_dirs[k][0], handle_dirs[k][1]))
        continue;
      handle_point (box, handle_dirs[k][0], handle_dirs[k][1], s, ox, oy, &wx, &wy);
      cairo_rectangle (cr, round (wx) - HANDLE_SIZE / 2.0 + 0.5, round (wy) - HANDLE_SIZE / 2.0 + 0.5,
                       HANDLE_SIZE - 1.0, HANDLE_SIZE - 1.0);
      cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
      cairo_fill_preserve (cr);
      gdk_cairo_set_source_rgba (cr, &halo);
      cairo_set_line_width (cr, 1.0);
      cairo_stroke (cr);
    }
}

/* A dashed outline for a selected ROI that cannot be edited, and for the
 * box being drawn. */
static void
draw_dashed_box (cairo_t          *cr,
                 const DensitoBox *box,
                 double            s,
                 double            ox,
                 double            oy)
{
  static const double dash[] = { 4.0, 3.0 };
  double xy[8];

  /* Not joined to whatever was drawn before. */
  cairo_new_path (cr);
  densito_box_corners (box, xy);
  for (guint k = 0; k < 4; k++)
    cairo_line_to (cr, ox + xy[2 * k] * s, oy + xy[2 * k + 1] * s);
  cairo_close_path (cr);
  gdk_cairo_set_source_rgba (cr, &halo);
  cairo_set_line_width (cr, 3.0);
  cairo_stroke_preserve (cr);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0.0);
  cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
  cairo_set_line_width (cr, 1.5);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0.0);
}

static gboolean
near_point (double ax,
            double ay,
            double bx,
            double by,
            double r)
{
  return fabs (ax - bx) <= r && fabs (ay - by) <= r;
}

/* What a primary press at (@wx, @wy) would grab. */
static EditDrag
hit_test (DensitoScanView *self,
          double           wx,
          double           wy,
          int             *hx,
          int             *hy,
          int             *index,
          int             *index2)
{
  const DensitoRoi *sel = selected_box (self);
  double s, ox, oy, ix, iy;

  *hx = *hy = 0;
  *index = *index2 = -1;
  if (self->sidecar == NULL || self->texture == NULL || !self->show_rois)
    return EDIT_DRAG_NONE;
  get_transform (self, &s, &ox, &oy);
  ix = (wx - ox) / s;
  iy = (wy - oy) / s;

  if (sel != NULL && editable (self))
    {
      double px, py;

      rotation_point (&sel->box, s, ox, oy, &px, &py);
      if (near_point (wx, wy, px, py, HANDLE_HIT + 1.0))
        {
          *index = self->selected;
          return EDIT_DRAG_ROTATE;
        }
      /* Corners before edges, so that a small box stays resizable. */
      for (guint pass = 0; pass < 2; pass++)
        for (guint k = 0; k < 8; k++)
          {
            int dx = handle_dirs[k][0], dy = handle_dirs[k][1];

            if ((pass == 0) != (dx != 0 && dy != 0) || !handle_shown (&sel->box, s, dx, dy))
              continue;
            handle_point (&sel->box, dx, dy, s, ox, oy, &px, &py);
            if (near_point (wx, wy, px, py, HANDLE_HIT))
              {
                /* The middle of an edge shared with a neighbouring
                 * vertebra moves the border of both. */
                if (pass == 1 && dx == 0)
                  continue;
                *hx = dx;
                *hy = dy;
                *index = self->selected;
                return EDIT_DRAG_RESIZE;
              }
          }
    }

  if (editable (self))
    {
      double tol = BORDER_HIT / s;

      for (guint i = 0; i < n_rois (self); i++)
        for (guint j = 0; j < n_rois (self); j++)
          if (densito_rois_border_hit (densito_sidecar_get_roi (self->sidecar, i),
                                       densito_sidecar_get_roi (self->sidecar, j),
                                       ix, iy, tol))
            {
              *index = i;
              *index2 = j;
              return EDIT_DRAG_BORDER;
            }
    }

  if (sel != NULL && editable (self))
    {
      /* Top and bottom edge handles that are not on a shared border. */
      for (int dy = -1; dy <= 1; dy += 2)
        {
          double px, py;

          if (!handle_shown (&sel->box, s, 0, dy))
            continue;
          handle_point (&sel->box, 0, dy, s, ox, oy, &px, &py);
          if (near_point (wx, wy, px, py, HANDLE_HIT))
            {
              *hy = dy;
              *index = self->selected;
              return EDIT_DRAG_RESIZE;
            }
        }
    }

  /* The topmost ROI under the point: the selected one first, then the
   * smallest, as they are drawn. */
  if (self->selected >= 0)
    {
      for (guint i = 0; i < self->entries->len; i++)
        {
          const RoiEntry *entry = &g_array_index (self->entries, RoiEntry, i);

          if ((int)entry->index == self->selected && point_in_entry (entry, ix, iy))
            {
              *index = self->selected;
              return EDIT_DRAG_MOVE;
            }
        }
    }
  for (guint i = self->entries->len; i-- > 0;)
    {
      const RoiEntry *entry = &g_array_index (self->entries, RoiEntry, i);

      if (point_in_entry (entry, ix, iy))
        {
          *index = entry->index;
          return EDIT_DRAG_MOVE;
        }
    }
  return EDIT_DRAG_NONE;
}

static void
announce (DensitoScanView *self)
{
  const DensitoRoi *roi = NULL;

  if (self->selected >= 0 && (guint)self->selected < n_rois (self))
    roi = densito_sidecar_get_roi (self->sidecar, self->selected);

  if (roi != NULL && roi->kind == DENSITO_SHAPE_BOX)
    {
      const DensitoBox *b = &roi->box;
      g_autofree char *text = NULL;
      double angle = round (b->angle * 10.0) / 10.0;

      /* The position is the box's top-left corner before any rotation. */
      if (angle != 0.0)
        /* Translators: an ROI for screen readers: label, position, size and rotation */
        text = g_strdup_printf (_("%s, x %.0f, y %.0f, %.0f by %.0f pixels, rotated %g degrees"),
                                densito_roi_label_display_name (roi->label ? roi->label : ""),
                                b->cx - b->width / 2.0, b->cy - b->height / 2.0,
                                b->width, b->height, angle);
      else
        /* Translators: an ROI for screen readers: label, position and size */
        text = g_strdup_printf (_("%s, x %.0f, y %.0f, %.0f by %.0f pixels"),
                                densito_roi_label_display_name (roi->label ? roi->label : ""),
                                b->cx - b->width / 2.0, b->cy - b->height / 2.0,
                                b->width, b->height);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                      -1);
    }
  else if (roi != NULL)
    {
      const char *label = densito_roi_label_display_name (roi->label ? roi->label : "");
      g_autofree char *text = NULL;
      g_autofree double *xy = NULL;
      double x0, y0, x1, y1;
      guint n = 0;

      xy = densito_roi_dup_points (roi, &n);
      if (xy == NULL)
        text = g_strdup (label);
      else
        {
          densito_points_bounds (xy, n, &x0, &y0, &x1, &y1);
          if (editable (self))
            /* Translators: a polygon, line or point ROI for screen readers: label, number of
             * points, the position and size of its bounds, and what can be done with it */
            text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                 "%s, a shape of %u point, x %.0f, y %.0f, %.0f by %.0f pixels. "
                                                 "It can be moved with the arrow keys or deleted; only boxes "
                                                 "can be resized or rotated.",
                                                 "%s, a shape of %u points, x %.0f, y %.0f, %.0f by %.0f pixels. "
                                                 "It can be moved with the arrow keys or deleted; only boxes "
                                                 "can be resized or rotated.", n),
                                    label, n, x0, y0, x1 - x0, y1 - y0);
          else
            /* Translators: a polygon, line or point ROI for screen readers: label, number of
             * points, the position and size of its bounds */
            text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                 "%s, a shape of %u point, x %.0f, y %.0f, %.0f by %.0f pixels",
                                                 "%s, a shape of %u points, x %.0f, y %.0f, %.0f by %.0f pixels",
                                                 n),
                                    label, n, x0, y0, x1 - x0, y1 - y0);
        }
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                      -1);
    }
  else if (self->title == NULL)
    {
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

static void
update_actions (DensitoScanView *self)
{
  gboolean can_edit = editable (self);
  gboolean has_box = can_edit && selected_box (self) != NULL;
  gboolean has_sel = can_edit && self->selected >= 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.add-roi", can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.add-menu", can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.delete", has_sel);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.duplicate", has_box);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.relabel", has_sel);
}

static void
set_selected_internal (DensitoScanView *self,
                       int              selected)
{
  if (selected < 0 || (guint)selected >= n_rois (self))
    selected = -1;
  g_free (self->selected_key);
  self->selected_key = selected >= 0 ? g_strdup (densito_sidecar_get_roi (self->sidecar, selected)->key) : NULL;
  if (selected != self->selected)
    {
      self->selected = selected;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      announce (self);
    }
  /* A drag announces where it ended, not every step on the way. */
  else if (self->edit_drag == EDIT_DRAG_NONE)
    announce (self);
  update_actions (self);
}

/* The selected ROI by its key, after a change that may have renumbered
 * or removed it. */
static void
resync_selection (DensitoScanView *self)
{
  int i = -1;

  if (self->selected_key != NULL && self->sidecar != NULL)
    i = densito_sidecar_find_roi (self->sidecar, self->selected_key);
  set_selected_internal (self, i);
}

static void
cancel_add (DensitoScanView *self)
{
  g_clear_pointer (&self->add_label, g_free);
  if (self->edit_drag == EDIT_DRAG_ADD)
    {
      self->edit_drag = EDIT_DRAG_NONE;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

/* The resize cursor pointing the way handle (@hx, @hy) of a box turned
 * by @angle degrees faces on screen. */
static const char *
resize_cursor (int    hx,
               int    hy,
               double angle)
{
  static const char *names[8] = {
    "e-resize", "se-resize", "s-resize", "sw-resize", "w-resize", "nw-resize", "n-resize", "ne-resize",
  };
  double a = atan2 (hy, hx) * 180.0 / G_PI + angle;
  int sector = (int)floor (fmod (a + 22.5 + 720.0, 360.0) / 45.0);

  return names[CLAMP (sector, 0, 7)];
}

static void
update_edit_cursor (DensitoScanView *self)
{
  const DensitoRoi *sel = selected_box (self);
  double angle = sel ? sel->box.angle : 0.0;
  const char *name = NULL;
  int hx, hy, i, j;

  if (self->panning || (self->space_held && self->zoom > 0.0))
    {
      update_cursor (self);
      return;
    }
  if (self->add_label != NULL)
    name = "crosshair";
  else if (self->edit_drag == EDIT_DRAG_MOVE)
    name = "move";
  else if (self->edit_drag == EDIT_DRAG_ROTATE)
    name = "grabbing";
  else if (self->edit_drag == EDIT_DRAG_BORDER)
    name = "row-resize";
  else if (self->edit_drag == EDIT_DRAG_RESIZE)
    name = resize_cursor (self->drag_hx, self->drag_hy, self->drag_box.angle);
  else if (self->pointer_inside && editable (self))
    switch (hit_test (self, self->pointer_x, self->pointer_y, &hx, &hy, &i, &j))
      {
      case EDIT_DRAG_ROTATE:
        name = "grab";
        break;
      case EDIT_DRAG_RESIZE:
        name = resize_cursor (hx, hy, angle);
        break;
      case EDIT_DRAG_BORDER:
        name = "row-resize";
        break;
      case EDIT_DRAG_MOVE:
        name = i == self->selected ? "move" : "pointer";
        break;
      case EDIT_DRAG_NONE:
      case EDIT_DRAG_ADD:
      default:
        break;
      }
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), name);
}

static void
stack_changed_cb (DensitoEditStack *stack,
                  DensitoScanView  *self)
{
  rebuild_entries (self);
  /* An undo may have taken away what a drag holds. */
  if (self->edit_drag == EDIT_DRAG_MOVE || self->edit_drag == EDIT_DRAG_RESIZE ||
      self->edit_drag == EDIT_DRAG_ROTATE || self->edit_drag == EDIT_DRAG_BORDER)
    if (self->drag_index >= n_rois (self) || self->drag_index2 >= n_rois (self))
      self->edit_drag = EDIT_DRAG_NONE;
  resync_selection (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Sends @box for the selected ROI as a step of its own. */
static void
apply_box (DensitoScanView  *self,
           const DensitoBox *box)
{
  DensitoBox b = *box;

  densito_box_clamp_center (&b, gdk_texture_get_width (self->texture),
                            gdk_texture_get_height (self->texture));
  densito_edit_stack_set_box (self->stack, self->selected, &b, 0);
}

static void
select_step (DensitoScanView *self,
             int              step)
{
  int n = n_rois (self);
  int next;

  if (self->selected < 0)
    next = step > 0 ? 0 : n - 1;
  else
    next = self->selected + step;
  set_selected_internal (self, next >= 0 && next < n ? next : -1);
}

static void start_add (DensitoScanView *self, const char *label);

static void
label_chosen (DensitoScanView *self,
              const char      *label)
{
  g_autofree char *text = g_strstrip (g_strdup (label));

  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  if (*text == '\0' || !editable (self))
    return;
  if (self->popover_adds)
    start_add (self, text);
  else if (self->selected >= 0)
    densito_edit_stack_relabel (self->stack, self->selected, text);
}

static void
label_button_clicked_cb (GtkButton       *button,
                         DensitoScanView *self)
{
  label_chosen (self, g_object_get_data (G_OBJECT (button), "densito-label"));
}

static void
label_entry_activate_cb (GtkEntry        *entry,
                         DensitoScanView *self)
{
  label_chosen (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
popover_closed_cb (GtkPopover      *popover,
                   DensitoScanView *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

/* The region's vocabulary as buttons, and an entry for any other label;
 * for a relabel the current label is marked. */
static void
show_label_popover (DensitoScanView *self,
                    gboolean         adds)
{
  const DensitoRoiLabel *labels[32];
  const DensitoRoi *roi = NULL;
  guint n = densito_vocabulary_for_region (self->region, labels, G_N_ELEMENTS (labels));
  GtkWidget *box, *heading, *entry;
  graphene_rect_t at;
  double s, ox, oy;

  if (!editable (self))
    return;
  if (!adds)
    {
      if (self->selected < 0)
        return;
      roi = densito_sidecar_get_roi (self->sidecar, self->selected);
    }

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  heading = gtk_label_new (adds ? _("Add ROI") : _("Change label"));
  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0.0);
  gtk_widget_set_margin_bottom (heading, 4);
  gtk_box_append (GTK_BOX (box), heading);

  for (guint k = 0; k < n; k++)
    {
      GtkWidget *button = gtk_button_new ();
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *name = gtk_label_new (_(labels[k]->name));
      GtkWidget *id = gtk_label_new (labels[k]->id);

      gtk_label_set_xalign (GTK_LABEL (name), 0.0);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_widget_add_css_class (id, "dim-label");
      gtk_box_append (GTK_BOX (row), name);
      gtk_box_append (GTK_BOX (row), id);
      if (roi != NULL && g_strcmp0 (roi->label, labels[k]->id) == 0)
        gtk_box_append (GTK_BOX (row), gtk_image_new_from_icon_name ("object-select-symbolic"));
      gtk_button_set_child (GTK_BUTTON (button), row);
      gtk_widget_add_css_class (button, "flat");
      g_object_set_data_full (G_OBJECT (button), "densito-label", g_strdup (labels[k]->id), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (label_button_clicked_cb), self);
      gtk_box_append (GTK_BOX (box), button);
    }

  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Other label, then Enter"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Other label"),
                                  -1);
  if (roi != NULL && roi->label != NULL && densito_vocabulary_lookup (roi->label) == NULL)
    gtk_editable_set_text (GTK_EDITABLE (entry), roi->label);
  gtk_widget_set_margin_top (entry, 6);
  g_signal_connect (entry, "activate", G_CALLBACK (label_entry_activate_cb), self);
  gtk_box_append (GTK_BOX (box), entry);

  if (self->popover == NULL)
    {
      self->popover = gtk_popover_new ();
      gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
      gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_RIGHT);
      g_signal_connect (self->popover, "closed", G_CALLBACK (popover_closed_cb), self);
    }
  gtk_popover_set_child (GTK_POPOVER (self->popover), box);
  self->popover_adds = adds;

  get_transform (self, &s, &ox, &oy);
  if (roi != NULL)
    {
      for (guint i = 0; i < self->entries->len; i++)
        {
          const RoiEntry *e = &g_array_index (self->entries, RoiEntry, i);

          if ((int)e->index == self->selected)
            entry_widget_bounds (e, s, ox, oy, &at);
        }
    }
  else if (self->pointer_inside)
    graphene_rect_init (&at, self->pointer_x, self->pointer_y, 1, 1);
  else
    graphene_rect_init (&at, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                        gtk_widget_get_height (GTK_WIDGET (self)) / 2.0, 1, 1);
  if (!graphene_rect_intersection (&at, &GRAPHENE_RECT_INIT (0, 0,
                                                             gtk_widget_get_width (GTK_WIDGET (self)),
                                                             gtk_widget_get_height (GTK_WIDGET (self))),
                                   &at))
    graphene_rect_init (&at, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                        gtk_widget_get_height (GTK_WIDGET (self)) / 2.0, 1, 1);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover),
                               &(GdkRectangle) { (int)floor (at.origin.x), (int)floor (at.origin.y),
                                                 MAX (1, (int)ceil (at.size.width)),
                                                 MAX (1, (int)ceil (at.size.height)) });
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

static void
start_add (DensitoScanView *self,
           const char      *label)
{
  if (!editable (self) || label == NULL || *label == '\0')
    return;
  g_free (self->add_label);
  self->add_label = g_strdup (label);
  gtk_widget_grab_focus (GTK_WIDGET (self));
  update_edit_cursor (self);
}

/* The step of an arrow key; FALSE for other keys. */
static gboolean
arrow_direction (guint  keyval,
                 int   *dx,
                 int   *dy)
{
  *dx = *dy = 0;
  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      *dx = -1;
      return TRUE;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      *dx = 1;
      return TRUE;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      *dy = -1;
      return TRUE;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      *dy = 1;
      return TRUE;
    default:
      return FALSE;
    }
}

/* Moves the selected shape that is not a box, as a step of its own. */
static void
move_points (DensitoScanView *self,
             double           dx,
             double           dy)
{
  g_autofree double *xy = NULL;
  guint n = 0;

  xy = densito_roi_dup_points (densito_sidecar_get_roi (self->sidecar, self->selected), &n);
  if (xy == NULL)
    return;
  densito_points_move (xy, n, dx, dy, gdk_texture_get_width (self->texture),
                       gdk_texture_get_height (self->texture), xy);
  densito_edit_stack_set_points (self->stack, self->selected, xy, n, 0);
}

/* Keys on the selected ROI; TRUE when handled. */
static gboolean
edit_key (DensitoScanView *self,
          guint            keyval,
          GdkModifierType  state)
{
  const DensitoRoi *roi = selected_box (self);
  gboolean shift = (state & GDK_SHIFT_MASK) != 0;
  gboolean ctrl = (state & GDK_CONTROL_MASK) != 0;
  double step = shift ? 10.0 : 1.0;
  DensitoBox b;

  if (state & GDK_ALT_MASK)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Tab:
    case GDK_KEY_ISO_Left_Tab:
    case GDK_KEY_KP_Tab:
      if (ctrl || n_rois (self) == 0 || self->texture == NULL)
        return FALSE;
      select_step (self, keyval == GDK_KEY_ISO_Left_Tab || shift ? -1 : 1);
      /* Past the last ROI, focus moves on as usual: no keyboard trap. */
      return self->selected >= 0;

    case GDK_KEY_Escape:
      if (self->edit_drag != EDIT_DRAG_NONE && self->edit_drag != EDIT_DRAG_ADD)
        {
          /* Cancel the drag: the boxes go back and no step is left. */
          self->edit_drag = EDIT_DRAG_NONE;
          densito_edit_stack_cancel_merge (self->stack, self->drag_merge);
          announce (self);
          update_edit_cursor (self);
          return TRUE;
        }
      if (self->add_label != NULL)
        {
          cancel_add (self);
          update_edit_cursor (self);
          return TRUE;
        }
      if (self->selected >= 0)
        {
          set_selected_internal (self, -1);
          return TRUE;
        }
      return FALSE;

    case GDK_KEY_n:
    case GDK_KEY_N:
      if (ctrl || !editable (self))
        return FALSE;
      show_label_popover (self, TRUE);
      return TRUE;

    default:
      break;
    }

  if (!editable (self) || self->selected < 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Delete:
    case GDK_KEY_KP_Delete:
      if (ctrl)
        return FALSE;
      densito_edit_stack_delete (self->stack, self->selected);
      set_selected_internal (self, -1);
      return TRUE;

    case GDK_KEY_F2:
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
      if (ctrl)
        return FALSE;
      show_label_popover (self, FALSE);
      return TRUE;

    default:
      break;
    }

  /* A shape that is not a box only moves: arrows, without Ctrl. */
  if (roi == NULL)
    {
      int dx, dy;

      if (ctrl || !arrow_direction (keyval, &dx, &dy))
        return FALSE;
      move_points (self, dx * step, dy * step);
      return TRUE;
    }

  switch (keyval)
    {
    case GDK_KEY_d:
    case GDK_KEY_D:
      if (!ctrl)
        return FALSE;
      set_selected_internal (self, densito_edit_stack_duplicate (self->stack, self->selected,
                                                                 DUPLICATE_OFFSET, DUPLICATE_OFFSET));
      return TRUE;

    case GDK_KEY_Left:
    case GDK_KEY_Right:
    case GDK_KEY_Up:
    case GDK_KEY_Down:
    case GDK_KEY_KP_Left:
    case GDK_KEY_KP_Right:
    case GDK_KEY_KP_Up:
    case GDK_KEY_KP_Down:
      {
        int dx, dy;

        arrow_direction (keyval, &dx, &dy);
        if (ctrl)
          {
            double lx = dx * step, ly = dy * step, x0, y0, x1, y1;

            /* Along the box's own axes: right and down grow it, left and
             * up shrink it, the top-left corner staying put. */
            densito_box_from_local (&roi->box, 0, 0, &x0, &y0);
            densito_box_from_local (&roi->box, lx, ly, &x1, &y1);
            densito_box_resize (&roi->box, dx != 0 ? 1 : 0, dy != 0 ? 1 : 0,
                                roi->box.angle == 0.0 ? lx : x1 - x0,
                                roi->box.angle == 0.0 ? ly : y1 - y0, FALSE, &b);
          }
        else
          densito_box_move (&roi->box, dx * step, dy * step, &b);
        apply_box (self, &b);
        return TRUE;
      }

    case GDK_KEY_bracketleft:
    case GDK_KEY_bracketright:
    case GDK_KEY_braceleft:
    case GDK_KEY_braceright:
      if (ctrl)
        return FALSE;
      densito_box_rotate (&roi->box,
                          (keyval == GDK_KEY_bracketleft || keyval == GDK_KEY_braceleft ? -1.0 : 1.0) *
                          (shift ? 5.0 : 1.0), &b);
      apply_box (self, &b);
      return TRUE;

    default:
      return FALSE;
    }
}

static void
edit_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (widget);

  if (!editable (self))
    return;

  if (g_str_equal (action_name, "scan.add-roi"))
    start_add (self, g_variant_get_string (parameter, NULL));
  else if (g_str_equal (action_name, "scan.add-menu"))
    show_label_popover (self, TRUE);
  else if (self->selected < 0)
    return;
  else if (g_str_equal (action_name, "scan.delete"))
    {
      densito_edit_stack_delete (self->stack, self->selected);
      set_selected_internal (self, -1);
    }
  else if (g_str_equal (action_name, "scan.duplicate"))
    {
      if (selected_box (self) != NULL)
        set_selected_internal (self, densito_edit_stack_duplicate (self->stack, self->selected,
                                                                   DUPLICATE_OFFSET, DUPLICATE_OFFSET));
    }
  else if (g_str_equal (action_name, "scan.relabel"))
    show_label_popover (self, FALSE);
  else
    g_assert_not_reached ();
}

/* The box a drag would give now, from the box it started with and its
 * whole offset. */
static void
update_edit_drag (DensitoScanView *self)
{
  DensitoBox b, b2;
  double iw = gdk_texture_get_width (self->texture);
  double ih = gdk_texture_get_height (self->texture);

  switch (self->edit_drag)
    {
    case EDIT_DRAG_MOVE:
      if (densito_sidecar_get_roi (self->sidecar, self->drag_index)->kind != DENSITO_SHAPE_BOX)
        {
          g_autofree double *xy = NULL;

          if (self->drag_points == NULL)
            break;
          xy = g_new (double, 2 * self->drag_n_points);
          densito_points_move (self->drag_points, self->drag_n_points, self->drag_dx, self->drag_dy,
                               iw, ih, xy);
          densito_edit_stack_set_points (self->stack, self->drag_index, xy, self->drag_n_points,
                                         self->drag_merge);
          break;
        }
      densito_box_move (&self->drag_box, self->drag_dx, self->drag_dy, &b);
      densito_box_clamp_center (&b, iw, ih);
      densito_edit_stack_set_box (self->stack, self->drag_index, &b, self->drag_merge);
      break;

    case EDIT_DRAG_RESIZE:
      densito_box_resize (&self->drag_box, self->drag_hx, self->drag_hy,
                          self->drag_dx, self->drag_dy, self->drag_shift, &b);
      densito_edit_stack_set_box (self->stack, self->drag_index, &b, self->drag_merge);
      break;

    case EDIT_DRAG_ROTATE:
      {
        double a0 = atan2 (self->drag_iy - self->drag_box.cy, self->drag_ix - self->drag_box.cx);
        double a1 = atan2 (self->drag_iy + self->drag_dy - self->drag_box.cy,
                           self->drag_ix + self->drag_dx - self->drag_box.cx);

        densito_box_rotate (&self->drag_box, (a1 - a0) * 180.0 / G_PI, &b);
        if (self->drag_shift)
          densito_box_rotate (&b, round (b.angle / 15.0) * 15.0 - b.angle, &b);
        densito_edit_stack_set_box (self->stack, self->drag_index, &b, self->drag_merge);
        break;
      }

    case EDIT_DRAG_BORDER:
      {
        guint indices[2] = { self->drag_index, self->drag_index2 };
        DensitoBox boxes[2];

        densito_boxes_move_border (&self->drag_box, &self->drag_box2, self->drag_dy, &b, &b2);
        boxes[0] = b;
        boxes[1] = b2;
        densito_edit_stack_set_boxes (self->stack, indices, boxes, 2, self->drag_merge);
        break;
      }

    case EDIT_DRAG_ADD:
      {
        double x0 = CLAMP (self->drag_ix, 0.0, iw), y0 = CLAMP (self->drag_iy, 0.0, ih);
        double x1 = CLAMP (self->drag_ix + self->drag_dx, 0.0, iw);
        double y1 = CLAMP (self->drag_iy + self->drag_dy, 0.0, ih);

        self->drag_box = (DensitoBox) { (x0 + x1) / 2.0, (y0 + y1) / 2.0, fabs (x1 - x0), fabs (y1 - y0), 0.0 };
        gtk_widget_queue_draw (GTK_WIDGET (self));
        break;
      }

    case EDIT_DRAG_NONE:
    default:
      break;
    }
}

/* Starts an edit drag for a primary press; FALSE when there is nothing
 * to drag there. */
static gboolean
begin_edit_drag (DensitoScanView *self,
                 double           x,
                 double           y,
                 GdkModifierType  state)
{
  int hx, hy, i, j;
  EditDrag what;
  double s, ox, oy;

  if (self->texture == NULL)
    return FALSE;
  get_transform (self, &s, &ox, &oy);
  self->drag_scale = s;
  self->drag_ix = (x - ox) / s;
  self->drag_iy = (y - oy) / s;
  self->drag_dx = self->drag_dy = 0.0;
  self->drag_shift = (state & GDK_SHIFT_MASK) != 0;

  if (self->add_label != NULL && editable (self))
    {
      self->edit_drag = EDIT_DRAG_ADD;
      update_edit_drag (self);
      return TRUE;
    }

  what = hit_test (self, x, y, &hx, &hy, &i, &j);
  if (what == EDIT_DRAG_NONE)
    {
      set_selected_internal (self, -1);
      return FALSE;
    }
  if (what == EDIT_DRAG_BORDER)
    set_selected_internal (self, i);
  else if (i != self->selected)
    set_selected_internal (self, i);

  if (!editable (self) || self->selected < 0)
    return FALSE;

  self->edit_drag = what;
  self->drag_hx = hx;
  self->drag_hy = hy;
  self->drag_index = i;
  self->drag_index2 = what == EDIT_DRAG_BORDER ? (guint)j : (guint)i;
  self->drag_box = densito_sidecar_get_roi (self->sidecar, i)->box;
  self->drag_box2 = densito_sidecar_get_roi (self->sidecar, self->drag_index2)->box;
  g_free (self->drag_points);
  self->drag_points = densito_roi_dup_points (densito_sidecar_get_roi (self->sidecar, i), &self->drag_n_points);
  self->drag_merge = densito_edit_stack_new_merge_id (self->stack);
  update_edit_cursor (self);
  return TRUE;
}

static void
end_edit_drag (DensitoScanView *self)
{
  EditDrag was = self->edit_drag;

  self->edit_drag = EDIT_DRAG_NONE;
  announce (self);
  /* A click, or a drag too small to be a box, leaves the add pending
   * (Escape cancels it). */
  if (was == EDIT_DRAG_ADD && self->add_label != NULL &&
      self->drag_box.width >= MIN_NEW_SIZE && self->drag_box.height >= MIN_NEW_SIZE && editable (self))
    {
      g_autofree char *label = g_steal_pointer (&self->add_label);
      g_autoptr(DensitoRoi) roi = densito_roi_new_box (label, &self->drag_box, DENSITO_SOURCE_OPERATOR);

      set_selected_internal (self, densito_edit_stack_add (self->stack, roi));
    }
  if (was == EDIT_DRAG_ADD)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  update_edit_cursor (self);
}

/* Callbacks */

static void
motion_cb (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           DensitoScanView          *self)
{
  self->pointer_inside = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  if (self->edit_drag == EDIT_DRAG_NONE)
    update_edit_cursor (self);
}

static void
leave_cb (GtkEventControllerMotion *controller,
          DensitoScanView          *self)
{
  self->pointer_inside = FALSE;
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           DensitoScanView          *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  gboolean wheel = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL;
  double step;

  if (self->texture == NULL)
    return FALSE;

  if (state & GDK_CONTROL_MASK)
    {
      double steps = wheel ? dy : dy / 20.0;
      double wx = self->pointer_inside ? self->pointer_x : gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      double wy = self->pointer_inside ? self->pointer_y : gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

      set_zoom_about (self, effective_scale (self) * pow (WHEEL_ZOOM_STEP, -steps), wx, wy);
      return TRUE;
    }

  if (self->zoom <= 0.0)
    return FALSE;   /* the whole image is in view already */

  if ((state & GDK_SHIFT_MASK) && dx == 0.0)
    {
      dx = dy;
      dy = 0.0;
    }
  /* The step GtkScrolledWindow uses for one wheel click. */
  step = wheel ? pow (MIN (gtk_widget_get_width (GTK_WIDGET (self)),
                           gtk_widget_get_height (GTK_WIDGET (self))), 2.0 / 3.0) : 1.0;
  densito_scan_view_pan (self, -dx * step, -dy * step);
  return TRUE;
}

static void
drag_begin_cb (GtkGestureDrag  *gesture,
               double           x,
               double           y,
               DensitoScanView *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  if (button == GDK_BUTTON_PRIMARY && !self->space_held)
    {
      if (begin_edit_drag (self, x, y, state))
        gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
      else
        gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  if (self->texture == NULL || self->zoom <= 0.0 ||
      !(button == GDK_BUTTON_MIDDLE || (button == GDK_BUTTON_PRIMARY && self->space_held)))
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  self->panning = TRUE;
  self->drag_center_x = self->center_x;
  self->drag_center_y = self->center_y;
  update_cursor (self);
}

static void
drag_update_cb (GtkGestureDrag  *gesture,
                double           offset_x,
                double           offset_y,
                DensitoScanView *self)
{
  if (self->edit_drag != EDIT_DRAG_NONE)
    {
      GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

      /* The whole offset since the press, at the scale of the press. */
      self->drag_dx = offset_x / self->drag_scale;
      self->drag_dy = offset_y / self->drag_scale;
      self->drag_shift = (state & GDK_SHIFT_MASK) != 0;
      update_edit_drag (self);
      return;
    }
  if (!self->panning || self->zoom <= 0.0)
    return;
  self->center_x = self->drag_center_x - offset_x / self->zoom;
  self->center_y = self->drag_center_y - offset_y / self->zoom;
  clamp_center (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drag_end_cb (GtkGestureDrag  *gesture,
             double           offset_x,
             double           offset_y,
             DensitoScanView *self)
{
  if (self->edit_drag != EDIT_DRAG_NONE)
    {
      end_edit_drag (self);
      return;
    }
  self->panning = FALSE;
  update_cursor (self);
}

static void
pressed_cb (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            DensitoScanView *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
pinch_begin_cb (GtkGesture       *gesture,
                GdkEventSequence *sequence,
                DensitoScanView  *self)
{
  self->pinch_start_scale = effective_scale (self);
}

static void
pinch_scale_changed_cb (GtkGestureZoom  *gesture,
                        double           scale,
                        DensitoScanView *self)
{
  double x, y;

  if (self->texture == NULL)
    return;
  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y))
    {
      x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }
  set_zoom_about (self, self->pinch_start_scale * scale, x, y);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                DensitoScanView       *self)
{
  if (keyval != GDK_KEY_space)
    return edit_key (self, keyval, state);
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  self->space_held = TRUE;
  update_cursor (self);
  return TRUE;
}

static void
key_released_cb (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 DensitoScanView       *self)
{
  if (keyval == GDK_KEY_space)
    {
      self->space_held = FALSE;
      update_cursor (self);
    }
}

static void
focus_leave_cb (GtkEventControllerFocus *controller,
                DensitoScanView         *self)
{
  self->space_held = FALSE;
  update_cursor (self);
}

static void
zoom_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (widget);

  if (g_str_equal (action_name, "scan-view.zoom-in"))
    densito_scan_view_zoom_in (self);
  else if (g_str_equal (action_name, "scan-view.zoom-out"))
    densito_scan_view_zoom_out (self);
  else if (g_str_equal (action_name, "scan-view.zoom-fit"))
    densito_scan_view_zoom_fit (self);
  else if (g_str_equal (action_name, "scan-view.zoom-one"))
    densito_scan_view_zoom_one (self);
  else if (g_str_equal (action_name, "scan-view.reset-adjustments"))
    densito_scan_view_reset_adjustments (self);
  else
    g_assert_not_reached ();
}

/* Overrides */

static void
densito_scan_view_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (widget);

  *minimum = *natural = 0;
  if (gtk_widget_should_layout (self->message_box))
    gtk_widget_measure (self->message_box, orientation, for_size, minimum, natural, NULL, NULL);
}

static void
densito_scan_view_size_allocate (GtkWidget *widget,
                                 int        width,
                                 int        height,
                                 int        baseline)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (widget);

  if (gtk_widget_should_layout (self->message_box))
    gtk_widget_allocate (self->message_box, width, height, baseline, NULL);
  if (self->popover != NULL)
    gtk_popover_present (GTK_POPOVER (self->popover));

  clamp_center (self);

  /* While fitting, the scale follows the size; tell listeners after the
   * layout pass rather than from inside it. */
  if (effective_scale (self) != self->notified_scale && self->notify_scale_id == 0)
    self->notify_scale_id = g_idle_add_full (G_PRIORITY_DEFAULT, notify_scale_idle, self, NULL);
}

static void
densito_scan_view_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (widget);
  double w = gtk_widget_get_width (widget);
  double h = gtk_widget_get_height (widget);
  gboolean adjusted;
  double s, ox, oy;

  gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, w, h));

  if (gtk_widget_get_visible (self->message_box))
    {
      gtk_widget_snapshot_child (widget, self->message_box, snapshot);
      return;
    }
  if (self->texture == NULL)
    return;

  get_transform (self, &s, &ox, &oy);
  adjusted = self->brightness != 0.0 || self->contrast != 1.0 || self->invert;
  if (adjusted)
    push_adjustments (self, snapshot);
  gtk_snapshot_append_texture (snapshot, self->texture,
                               &GRAPHENE_RECT_INIT (ox, oy,
                                                    gdk_texture_get_width (self->texture) * s,
                                                    gdk_texture_get_height (self->texture) * s));
  if (adjusted)
    gtk_snapshot_pop (snapshot);

  if (self->show_rois && self->entries->len > 0)
    snapshot_rois (self, snapshot, s, ox, oy);

  /* The box being drawn, in its own small node. */
  if (self->edit_drag == EDIT_DRAG_ADD && self->drag_box.width > 0.0 && self->drag_box.height > 0.0)
    {
      graphene_rect_t r = GRAPHENE_RECT_INIT (ox + (self->drag_box.cx - self->drag_box.width / 2.0) * s,
                                              oy + (self->drag_box.cy - self->drag_box.height / 2.0) * s,
                                              self->drag_box.width * s, self->drag_box.height * s);
      cairo_t *cr;

      graphene_rect_inset (&r, -NODE_MARGIN, -NODE_MARGIN);
      if (graphene_rect_intersection (&r, &GRAPHENE_RECT_INIT (0, 0, w, h), &r))
        {
          graphene_rect_round_extents (&r, &r);
          cr = gtk_snapshot_append_cairo (snapshot, &r);
          draw_dashed_box (cr, &self->drag_box, s, ox, oy);
          cairo_destroy (cr);
        }
    }
}

static void
densito_scan_view_dispose (GObject *object)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (object);

  g_clear_handle_id (&self->notify_scale_id, g_source_remove);
  g_clear_pointer (&self->message_box, gtk_widget_unparent);
  if (self->popover != NULL)
    g_signal_handlers_disconnect_by_data (self->popover, self);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  if (self->stack != NULL)
    g_clear_signal_handler (&self->stack_changed_id, self->stack);
  g_clear_object (&self->stack);
  g_clear_object (&self->texture);
  g_clear_object (&self->sidecar);
  if (self->entries != NULL)
    g_array_set_size (self->entries, 0);
  if (self->node_cache != NULL)
    g_hash_table_remove_all (self->node_cache);

  G_OBJECT_CLASS (densito_scan_view_parent_class)->dispose (object);
}

static void
densito_scan_view_finalize (GObject *object)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (object);

  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->layouts, g_hash_table_unref);
  g_clear_pointer (&self->node_cache, g_hash_table_unref);
  g_free (self->title);
  g_free (self->add_label);
  g_free (self->selected_key);
  g_free (self->drag_points);

  G_OBJECT_CLASS (densito_scan_view_parent_class)->finalize (object);
}

static void
densito_scan_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (object);

  switch (prop_id)
    {
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_SCALE:
      g_value_set_double (value, effective_scale (self));
      break;
    case PROP_BRIGHTNESS:
      g_value_set_double (value, self->brightness);
      break;
    case PROP_CONTRAST:
      g_value_set_double (value, self->contrast);
      break;
    case PROP_INVERT:
      g_value_set_boolean (value, self->invert);
      break;
    case PROP_SHOW_ROIS:
      g_value_set_boolean (value, self->show_rois);
      break;
    case PROP_SELECTED:
      g_value_set_int (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_scan_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DensitoScanView *self = DENSITO_SCAN_VIEW (object);

  switch (prop_id)
    {
    case PROP_ZOOM:
      densito_scan_view_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_BRIGHTNESS:
      densito_scan_view_set_brightness (self, g_value_get_double (value));
      break;
    case PROP_CONTRAST:
      densito_scan_view_set_contrast (self, g_value_get_double (value));
      break;
    case PROP_INVERT:
      densito_scan_view_set_invert (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_ROIS:
      densito_scan_view_set_show_rois (self, g_value_get_boolean (value));
      break;
    case PROP_SELECTED:
      densito_scan_view_set_selected (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_scan_view_class_init (DensitoScanViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = densito_scan_view_dispose;
  object_class->finalize = densito_scan_view_finalize;
  object_class->get_property = densito_scan_view_get_property;
  object_class->set_property = densito_scan_view_set_property;

  widget_class->measure = densito_scan_view_measure;
  widget_class->size_allocate = densito_scan_view_size_allocate;
  widget_class->snapshot = densito_scan_view_snapshot;

  /**
   * DensitoScanView:zoom:
   *
   * Widget pixels per image pixel, or 0 to fit the image to the view
   * (and keep fitting it as the view is resized).
   */
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL,
                         0.0, DENSITO_SCAN_VIEW_MAX_ZOOM, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * DensitoScanView:scale:
   *
   * The scale in effect, also while fitting; for a zoom indicator.
   */
  properties[PROP_SCALE] =
    g_param_spec_double ("scale", NULL, NULL,
                         DENSITO_SCAN_VIEW_MIN_ZOOM, DENSITO_SCAN_VIEW_MAX_ZOOM, 1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_BRIGHTNESS] =
    g_param_spec_double ("brightness", NULL, NULL,
                         -1.0, 1.0, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_CONTRAST] =
    g_param_spec_double ("contrast", NULL, NULL,
                         0.1, 4.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_INVERT] =
    g_param_spec_boolean ("invert", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_SHOW_ROIS] =
    g_param_spec_boolean ("show-rois", NULL, NULL,
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * DensitoScanView:selected:
   *
   * The index in the sidecar of the selected ROI, or -1 for none.
   */
  properties[PROP_SELECTED] =
    g_param_spec_int ("selected", NULL, NULL,
                      -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* For the window's toolbar; the keys are handled in edit_key(). */
  gtk_widget_class_install_action (widget_class, "scan.add-roi", "s", edit_action_cb);
  gtk_widget_class_install_action (widget_class, "scan.add-menu", NULL, edit_action_cb);
  gtk_widget_class_install_action (widget_class, "scan.delete", NULL, edit_action_cb);
  gtk_widget_class_install_action (widget_class, "scan.duplicate", NULL, edit_action_cb);
  gtk_widget_class_install_action (widget_class, "scan.relabel", NULL, edit_action_cb);

  gtk_widget_class_install_action (widget_class, "scan-view.zoom-in", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "scan-view.zoom-out", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "scan-view.zoom-fit", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "scan-view.zoom-one", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "scan-view.reset-adjustments", NULL, zoom_action_cb);
  gtk_widget_class_install_property_action (widget_class, "scan-view.show-rois", "show-rois");
  gtk_widget_class_install_property_action (widget_class, "scan-view.invert", "invert");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "scan-view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "scan-view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "scan-view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "scan-view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "scan-view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "scan-view.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, 0, "scan-view.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, 0, "scan-view.zoom-one", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_1, 0, "scan-view.zoom-one", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, 0, "scan-view.show-rois", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_SHIFT_MASK, "scan-view.show-rois", NULL);

  gtk_widget_class_set_css_name (widget_class, "scanview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
densito_scan_view_init (DensitoScanView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkEventController *controller;
  GtkGesture *gesture;
  PangoAttrList *attrs;

  self->contrast = 1.0;
  self->show_rois = TRUE;
  self->notified_scale = 1.0;
  self->entries = g_array_new (FALSE, TRUE, sizeof (RoiEntry));
  g_array_set_clear_func (self->entries, roi_entry_clear);
  self->layouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->node_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, node_cache_free);
  self->selected = -1;

  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_focus_on_click (widget, TRUE);
  gtk_widget_set_overflow (widget, GTK_OVERFLOW_HIDDEN);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Scan"),
                                  -1);

  /* The message sits on the view's own dark background whatever the
   * theme, so its colours are fixed here rather than taken from CSS. */
  self->message_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_halign (self->message_box, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->message_box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_start (self->message_box, 24);
  gtk_widget_set_margin_end (self->message_box, 24);
  gtk_widget_set_visible (self->message_box, FALSE);
  gtk_widget_set_parent (self->message_box, widget);

  self->message_title = gtk_label_new (NULL);
  attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_LARGE));
  pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_attr_list_insert (attrs, pango_attr_foreground_new (0xeeee, 0xeeee, 0xeeee));
  gtk_label_set_attributes (GTK_LABEL (self->message_title), attrs);
  pango_attr_list_unref (attrs);
  gtk_label_set_wrap (GTK_LABEL (self->message_title), TRUE);
  gtk_label_set_justify (GTK_LABEL (self->message_title), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (self->message_title), 50);
  gtk_box_append (GTK_BOX (self->message_box), self->message_title);

  self->message_detail = gtk_label_new (NULL);
  attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_foreground_new (0xbbbb, 0xbbbb, 0xbbbb));
  gtk_label_set_attributes (GTK_LABEL (self->message_detail), attrs);
  pango_attr_list_unref (attrs);
  gtk_label_set_wrap (GTK_LABEL (self->message_detail), TRUE);
  gtk_label_set_justify (GTK_LABEL (self->message_detail), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (self->message_detail), 60);
  gtk_label_set_selectable (GTK_LABEL (self->message_detail), TRUE);
  gtk_box_append (GTK_BOX (self->message_box), self->message_detail);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect (controller, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (controller, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (widget, controller);

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), 0);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect (gesture, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), 0);
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (pinch_begin_cb), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (pinch_scale_changed_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (key_released_cb), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "leave", G_CALLBACK (focus_leave_cb), self);
  gtk_widget_add_controller (widget, controller);

  update_actions (self);
}

/* Public API */

GtkWidget *
densito_scan_view_new (void)
{
  return g_object_new (DENSITO_TYPE_SCAN_VIEW, NULL);
}

/**
 * densito_scan_view_set_texture:
 * @texture: (nullable): the scan, or %NULL to show nothing
 *
 * Shows @texture, fitted to the view, and hides any message. Brightness,
 * contrast and inversion are kept, so that scans can be compared with
 * the same settings.
 */
void
densito_scan_view_set_texture (DensitoScanView *self,
                               GdkTexture      *texture)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (texture == NULL || GDK_IS_TEXTURE (texture));

  densito_scan_view_set_message (self, NULL, NULL);
  if (!g_set_object (&self->texture, texture))
    return;
  update_actions (self);
  self->center_x = texture ? gdk_texture_get_width (texture) / 2.0 : 0.0;
  self->center_y = texture ? gdk_texture_get_height (texture) / 2.0 : 0.0;
  set_zoom_about_center (self, 0.0);
}

GdkTexture *
densito_scan_view_get_texture (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), NULL);

  return self->texture;
}

/**
 * densito_scan_view_set_message:
 * @title: (nullable): a short sentence, or %NULL to hide the message
 * @detail: (nullable): what went wrong, in more words
 *
 * Shows a message centred in place of the image, for a scan that cannot
 * be shown. The texture is kept and comes back when the message is
 * cleared.
 */
void
densito_scan_view_set_message (DensitoScanView *self,
                               const char      *title,
                               const char      *detail)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  if (title == NULL && self->title == NULL)
    return;

  g_free (self->title);
  self->title = g_strdup (title);
  gtk_label_set_text (GTK_LABEL (self->message_title), title ? title : "");
  gtk_label_set_text (GTK_LABEL (self->message_detail), detail ? detail : "");
  gtk_widget_set_visible (self->message_detail, title != NULL && detail != NULL && *detail != '\0');
  gtk_widget_set_visible (self->message_box, title != NULL);

  if (title != NULL)
    {
      g_autofree char *text = detail && *detail ? g_strdup_printf ("%s. %s", title, detail) : g_strdup (title);

      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                      -1);
    }
  else
    {
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* Returns: (nullable): the title of the message shown, if any */
const char *
densito_scan_view_get_message_title (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), NULL);

  return self->title;
}

/**
 * densito_scan_view_set_rois:
 * @sidecar: (nullable): whose ROIs to draw
 *
 * The view keeps a reference to @sidecar but does not watch it: call
 * densito_scan_view_rois_changed() after editing it.
 */
void
densito_scan_view_set_rois (DensitoScanView *self,
                            DensitoSidecar  *sidecar)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (sidecar == NULL || DENSITO_IS_SIDECAR (sidecar));

  if (self->stack != NULL)
    {
      g_clear_signal_handler (&self->stack_changed_id, self->stack);
      g_clear_object (&self->stack);
    }
  if (sidecar != self->sidecar)
    {
      cancel_add (self);
      self->edit_drag = EDIT_DRAG_NONE;
      g_clear_pointer (&self->selected_key, g_free);
      if (self->selected != -1)
        {
          self->selected = -1;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
        }
    }
  /* Keys are only unique within one sidecar. */
  if (sidecar != self->sidecar)
    g_hash_table_remove_all (self->node_cache);
  g_set_object (&self->sidecar, sidecar);
  densito_scan_view_rois_changed (self);
}

DensitoSidecar *
densito_scan_view_get_rois (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), NULL);

  return self->sidecar;
}

void
densito_scan_view_rois_changed (DensitoScanView *self)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  rebuild_entries (self);
  resync_selection (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * densito_scan_view_set_edit_stack:
 * @stack: (nullable): the edit stack of the image shown, or %NULL
 * @region: (nullable): "spine", "hip", "forearm", "lateral", or %NULL when
 *   unknown; which vocabulary the add and relabel popovers offer
 *
 * Shows the ROIs of @stack's sidecar and makes them editable: every edit
 * goes through @stack, and the view follows its "changed" signal. With
 * %NULL the view drops the stack and its ROIs and is read-only again;
 * densito_scan_view_set_rois() shows ROIs read-only (and drops any stack).
 */
void
densito_scan_view_set_edit_stack (DensitoScanView  *self,
                                  DensitoEditStack *stack,
                                  const char       *region)
{
  DensitoSidecar *sidecar;

  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (stack == NULL || DENSITO_IS_EDIT_STACK (stack));

  if (g_strcmp0 (region, "spine") == 0)
    self->region = DENSITO_REGION_SPINE;
  else if (g_strcmp0 (region, "hip") == 0)
    self->region = DENSITO_REGION_HIP;
  else if (g_strcmp0 (region, "forearm") == 0)
    self->region = DENSITO_REGION_FOREARM;
  else if (g_strcmp0 (region, "lateral") == 0)
    self->region = DENSITO_REGION_LATERAL;
  else
    self->region = DENSITO_REGION_UNKNOWN;

  if (stack == self->stack)
    {
      update_actions (self);
      return;
    }
  if (stack == NULL && self->stack == NULL)
    return;

  sidecar = stack ? densito_edit_stack_get_sidecar (stack) : NULL;
  /* set_rois drops the old stack and resets the selection. */
  densito_scan_view_set_rois (self, sidecar);
  if (stack != NULL)
    {
      self->stack = g_object_ref (stack);
      self->stack_changed_id = g_signal_connect (stack, "changed", G_CALLBACK (stack_changed_cb), self);
    }
  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Returns: (nullable) (transfer none): the edit stack, if editing */
DensitoEditStack *
densito_scan_view_get_edit_stack (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), NULL);

  return self->stack;
}

int
densito_scan_view_get_selected (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), -1);

  return self->selected;
}

/* @selected: a sidecar index, or -1 (or any index out of range) for none */
void
densito_scan_view_set_selected (DensitoScanView *self,
                                int              selected)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  set_selected_internal (self, selected);
}

/* Whether the next primary drag draws a new ROI (after scan.add-roi). */
gboolean
densito_scan_view_get_adding (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), FALSE);

  return self->add_label != NULL;
}

/**
 * densito_scan_view_get_handle_point:
 * @hx: -1, 0 or 1: left, middle or right
 * @hy: -1, 0 or 1: top, middle or bottom
 * @wx: (out): widget coordinates
 * @wy: (out):
 *
 * Where a resize handle of the selected ROI is (0, 0 is its centre), for
 * tests and for pointer automation. Gives (-1, -1) with no selected box.
 */
void
densito_scan_view_get_handle_point (DensitoScanView *self,
                                    int              hx,
                                    int              hy,
                                    double          *wx,
                                    double          *wy)
{
  const DensitoRoi *roi;
  double s, ox, oy;

  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (wx != NULL && wy != NULL);

  roi = selected_box (self);
  *wx = *wy = -1.0;
  if (roi == NULL)
    return;
  get_transform (self, &s, &ox, &oy);
  handle_point (&roi->box, CLAMP (hx, -1, 1), CLAMP (hy, -1, 1), s, ox, oy, wx, wy);
}

void
densito_scan_view_get_rotation_handle_point (DensitoScanView *self,
                                             double          *wx,
                                             double          *wy)
{
  const DensitoRoi *roi;
  double s, ox, oy;

  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (wx != NULL && wy != NULL);

  roi = selected_box (self);
  *wx = *wy = -1.0;
  if (roi == NULL)
    return;
  get_transform (self, &s, &ox, &oy);
  rotation_point (&roi->box, s, ox, oy, wx, wy);
}

/* Returns: (nullable) (transfer none): the label popover, once shown */
GtkWidget *
densito_scan_view_get_popover (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), NULL);

  return self->popover;
}

double
densito_scan_view_get_zoom (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), 0.0);

  return self->zoom;
}

/**
 * densito_scan_view_set_zoom:
 * @zoom: widget pixels per image pixel, clamped to the zoom range, or 0
 *   to fit
 *
 * Zooms about the centre of the view.
 */
void
densito_scan_view_set_zoom (DensitoScanView *self,
                            double           zoom)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  set_zoom_about_center (self, zoom);
}

/**
 * densito_scan_view_zoom_at:
 * @zoom: the new scale, clamped to the zoom range
 * @wx: (in): a point in widget coordinates
 * @wy: (in): a point in widget coordinates
 *
 * Zooms so that the image point under (@wx, @wy) stays under it, as
 * Ctrl+scroll does about the pointer; the image may still be moved so
 * that some of it stays in view.
 */
void
densito_scan_view_zoom_at (DensitoScanView *self,
                           double           zoom,
                           double           wx,
                           double           wy)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (zoom > 0.0);

  set_zoom_about (self, zoom, wx, wy);
}

/* To the next power of √2 (1:1, 2:1, 4:1...) at least 10% closer. */
void
densito_scan_view_zoom_in (DensitoScanView *self)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  set_zoom_about_center (self, zoom_step (effective_scale (self), 1));
}

void
densito_scan_view_zoom_out (DensitoScanView *self)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  set_zoom_about_center (self, zoom_step (effective_scale (self), -1));
}

void
densito_scan_view_zoom_fit (DensitoScanView *self)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  set_zoom_about_center (self, 0.0);
}

void
densito_scan_view_zoom_one (DensitoScanView *self)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  set_zoom_about_center (self, 1.0);
}

/* Widget pixels per image pixel, also while fitting. */
double
densito_scan_view_get_effective_scale (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), 1.0);

  return effective_scale (self);
}

/**
 * densito_scan_view_pan:
 * @dx: widget pixels to move the image right
 * @dy: widget pixels to move the image down
 *
 * Does nothing while fitting, since the whole image is in view.
 */
void
densito_scan_view_pan (DensitoScanView *self,
                       double           dx,
                       double           dy)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  if (self->texture == NULL || self->zoom <= 0.0)
    return;
  self->center_x -= dx / self->zoom;
  self->center_y -= dy / self->zoom;
  clamp_center (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
densito_scan_view_get_brightness (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), 0.0);

  return self->brightness;
}

/* @brightness: added to every grey level, from -1 to 1 */
void
densito_scan_view_set_brightness (DensitoScanView *self,
                                  double           brightness)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  brightness = CLAMP (brightness, -1.0, 1.0);
  if (brightness == self->brightness)
    return;
  self->brightness = brightness;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BRIGHTNESS]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
densito_scan_view_get_contrast (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), 1.0);

  return self->contrast;
}

/* @contrast: the slope about mid grey, from 0.1 to 4 */
void
densito_scan_view_set_contrast (DensitoScanView *self,
                                double           contrast)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  contrast = CLAMP (contrast, 0.1, 4.0);
  if (contrast == self->contrast)
    return;
  self->contrast = contrast;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTRAST]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
densito_scan_view_get_invert (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), FALSE);

  return self->invert;
}

void
densito_scan_view_set_invert (DensitoScanView *self,
                              gboolean         invert)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  invert = !!invert;
  if (invert == self->invert)
    return;
  self->invert = invert;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVERT]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Back to brightness 0, contrast 1, not inverted. */
void
densito_scan_view_reset_adjustments (DensitoScanView *self)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  g_object_freeze_notify (G_OBJECT (self));
  densito_scan_view_set_brightness (self, 0.0);
  densito_scan_view_set_contrast (self, 1.0);
  densito_scan_view_set_invert (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
densito_scan_view_get_show_rois (DensitoScanView *self)
{
  g_return_val_if_fail (DENSITO_IS_SCAN_VIEW (self), FALSE);

  return self->show_rois;
}

void
densito_scan_view_set_show_rois (DensitoScanView *self,
                                 gboolean         show_rois)
{
  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));

  show_rois = !!show_rois;
  if (show_rois == self->show_rois)
    return;
  self->show_rois = show_rois;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_ROIS]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * densito_scan_view_widget_to_image:
 * @ix: (out): image pixels, origin top-left; fractional
 * @iy: (out):
 *
 * The exact inverse of densito_scan_view_image_to_widget() at the current
 * zoom and pan. Points outside the image are not clamped.
 */
void
densito_scan_view_widget_to_image (DensitoScanView *self,
                                   double           wx,
                                   double           wy,
                                   double          *ix,
                                   double          *iy)
{
  double s, ox, oy;

  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (ix != NULL && iy != NULL);

  get_transform (self, &s, &ox, &oy);
  *ix = (wx - ox) / s;
  *iy = (wy - oy) / s;
}

void
densito_scan_view_image_to_widget (DensitoScanView *self,
                                   double           ix,
                                   double           iy,
                                   double          *wx,
                                   double          *wy)
{
  double s, ox, oy;

  g_return_if_fail (DENSITO_IS_SCAN_VIEW (self));
  g_return_if_fail (wx != NULL && wy != NULL);

  get_transform (self, &s, &ox, &oy);
  *wx = ox + ix * s;
  *wy = oy + iy * s;
}
