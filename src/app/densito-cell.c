/* densito-cell.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line of text in a cell of the patient list: what GtkInscription
 * shows there, for less. GTK 4.8 keeps 200 rows of cells alive, so the
 * list has 1,400 and more of them; an inscription makes its own
 * PangoContext and PangoLayout when it is created and reads the font
 * metrics (shaping a sample text) on every measure. These cells share one
 * layout and one set of metrics per column view (on the view's own
 * PangoContext, which GTK keeps up to date with the font, the text scale and
 * the direction), and keep only their text.
 *
 * What the cell takes from CSS is its colour (and what GTK's own CSS
 * handling does for every widget: margins, padding, background). The font
 * is the column view's; the two things the list's cells change in it are
 * set here: tabular figures for numbers and bold for one WHO class.
 *
 * A cell's style class (a WHO class's colour, a warning) is not put on its
 * CSS node: a refilter gives hundreds of cells another one, and GTK then
 * restyled each (5 ms of a 25 ms keystroke). The colour a class gives is
 * read from CSS once, for a cell in its place (see ink_color), and kept
 * with the column view's shared state.
 */
#include "config.h"

#include <string.h>

#include "densito-cell.h"

/* The layout and the font metrics that the cells under one column view
 * share, kept on the view. */
typedef struct
{
  PangoLayout *layout;
  guint        serial;      /* the context's, when the metrics were read */
  int          char_width;  /* Pango units */
  int          ascent;
  int          descent;
  GArray      *inks;        /* of Ink */
} Shared;

/* The colour a style class gives a cell's text, in a row selected or not,
 * where the text's own colour is @fg (which the theme, the window's
 * focus and the row's state give). */
typedef struct
{
  const char *css_class;    /* interned */
  gboolean    selected;
  GdkRGBA     fg;
  GdkRGBA     color;
} Ink;

struct _DensitoCell
{
  GtkWidget   parent_instance;

  Shared     *shared;       /* while rooted */
  char       *text;         /* text_buf, or allocated when longer */
  const char *css_class;    /* interned */
  float       xalign;
  guint       numeric : 1;
  guint       bold : 1;
  char        text_buf[24];
};

G_DEFINE_FINAL_TYPE (DensitoCell, densito_cell, GTK_TYPE_WIDGET)

/* Like GtkInscription's default: room for an ellipsis. */
#define MIN_CHARS 3

static GQuark shared_quark;

static void
shared_free (gpointer data)
{
  Shared *shared = data;

  g_clear_object (&shared->layout);
  g_array_unref (shared->inks);
  g_free (shared);
}

static Shared *
shared_for (GtkWidget *anchor)
{
  Shared *shared = g_object_get_qdata (G_OBJECT (anchor), shared_quark);

  if (shared == NULL)
    {
      shared = g_new0 (Shared, 1);
      shared->layout = pango_layout_new (gtk_widget_get_pango_context (anchor));
      shared->inks = g_array_new (FALSE, FALSE, sizeof (Ink));
      /* As an inscription's: what does not fit the cell's width and height
       * ends in an ellipsis (a text with a line break too). */
      pango_layout_set_ellipsize (shared->layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_wrap (shared->layout, PANGO_WRAP_WORD_CHAR);
      g_object_set_qdata_full (G_OBJECT (anchor), shared_quark, shared, shared_free);
    }
  return shared;
}

/* The shared state, with metrics that match the context now: GTK updates
 * the anchor's context in place when the font, the text scale (resolution)
 * or the direction change, and Pango counts every such change in the
 * context's serial. (GTK 4.8 does not put the scale factor into a widget's
 * context: the renderer scales, so the metrics do not depend on it.) */
static Shared *
get_shared (DensitoCell *self)
{
  Shared *shared = self->shared;
  PangoContext *context;
  PangoFontMetrics *metrics;
  guint serial;

  /* Measured while not in a window (not done by the list): the cell's own context. */
  if (shared == NULL)
    shared = shared_for (GTK_WIDGET (self));
  context = pango_layout_get_context (shared->layout);
  serial = pango_context_get_serial (context);
  if (serial != shared->serial)
    {
      metrics = pango_context_get_metrics (context, NULL, NULL);
      shared->char_width = MAX (pango_font_metrics_get_approximate_char_width (metrics),
                                pango_font_metrics_get_approximate_digit_width (metrics));
      shared->ascent = pango_font_metrics_get_ascent (metrics);
      shared->descent = pango_font_metrics_get_descent (metrics);
      pango_font_metrics_unref (metrics);
      shared->serial = serial;
    }
  return shared;
}

/* The attributes of a numeric or bold cell; NULL for plain text. */
static PangoAttrList *
get_attributes (gboolean numeric,
                gboolean bold)
{
  static PangoAttrList *lists[4];
  guint i = (numeric ? 1 : 0) | (bold ? 2 : 0);

  if (i != 0 && lists[i] == NULL)
    {
      lists[i] = pango_attr_list_new ();
      if (numeric)
        pango_attr_list_insert (lists[i], pango_attr_font_features_new ("tnum 1"));
      if (bold)
        pango_attr_list_insert (lists[i], pango_attr_weight_new (PANGO_WEIGHT_BOLD));
    }
  return lists[i];
}

static void
densito_cell_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  Shared *shared = get_shared (DENSITO_CELL (widget));

  /* As GtkInscription (4.8) with its defaults: three characters wide and
   * one line high, whatever the text; the height's baseline is the ascent. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = *natural = PANGO_PIXELS_CEIL (MIN_CHARS * shared->char_width);
    }
  else
    {
      *minimum = *natural = PANGO_PIXELS_CEIL (shared->ascent + shared->descent);
      *minimum_baseline = *natural_baseline = PANGO_PIXELS_CEIL (shared->ascent);
    }
}

/* Whether the cell is in a selected row: GTK 4.8 marks the row and its
 * cells, not what the cells hold. */
static gboolean
in_selected_row (GtkWidget *widget)
{
  guint depth = 0;

  for (GtkWidget *w = gtk_widget_get_parent (widget); w != NULL && depth < 3; w = gtk_widget_get_parent (w), depth++)
    if (gtk_widget_get_state_flags (w) & GTK_STATE_FLAG_SELECTED)
      return TRUE;
  return FALSE;
}

/* The colour the text is drawn in: the cell's own, or the one its style
 * class gives it, as CSS says for a node with that class under the
 * cell's node (the rules select by class, by a selected row above, and
 * by the name "label", which both nodes have). Read once per class, row
 * state and text colour. */
static void
ink_color (DensitoCell *self,
           GdkRGBA     *color)
{
  GtkWidget *widget = GTK_WIDGET (self);
  Shared *shared = get_shared (self);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  G_GNUC_END_IGNORE_DEPRECATIONS
  GdkRGBA fg;
  Ink ink;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (context, &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  *color = fg;
  if (self->css_class == NULL)
    return;

  ink.css_class = self->css_class;
  ink.selected = in_selected_row (widget);
  ink.fg = fg;
  for (guint i = 0; i < shared->inks->len; i++)
    {
      Ink *known = &g_array_index (shared->inks, Ink, i);

      if (known->css_class == ink.css_class && known->selected == ink.selected && gdk_rgba_equal (&known->fg, &fg))
        {
          *color = known->color;
          return;
        }
    }

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_save (context);
  gtk_style_context_add_class (context, self->css_class);
  gtk_style_context_get_color (context, &ink.color);
  gtk_style_context_restore (context);
  G_GNUC_END_IGNORE_DEPRECATIONS
  /* (a theme change or a window losing focus changes the text colour:
   * a few dozen entries at most) */
  if (shared->inks->len >= 64)
    g_array_set_size (shared->inks, 0);
  g_array_append_val (shared->inks, ink);
  *color = ink.color;
}

static void
densito_cell_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  DensitoCell *self = DENSITO_CELL (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gboolean ltr = gtk_widget_get_direction (widget) != GTK_TEXT_DIR_RTL;
  PangoLayout *layout;
  PangoRectangle logical;
  PangoAlignment align;
  GdkRGBA color;
  int baseline;
  int y;

  if (self->text[0] == '\0' || width <= 0)
    return;

  layout = get_shared (self)->layout;
  if (self->xalign < 0.33f)
    align = ltr ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT;
  else if (self->xalign < 0.67f)
    align = PANGO_ALIGN_CENTER;
  else
    align = ltr ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
  pango_layout_set_attributes (layout, get_attributes (self->numeric, self->bold));
  pango_layout_set_alignment (layout, align);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_set_height (layout, height * PANGO_SCALE);
  pango_layout_set_text (layout, self->text, -1);

  /* On the baseline when the parent aligns by it, else centred. */
  baseline = gtk_widget_get_allocated_baseline (widget);
  pango_layout_get_pixel_extents (layout, NULL, &logical);
  if (baseline != -1)
    y = baseline - pango_layout_get_baseline (layout) / PANGO_SCALE;
  else
    y = MAX (0, (height - logical.height) / 2);

  ink_color (self, &color);

  /* The width is the cell's (the layout ellipsizes); only a font taller
   * than the row needs clipping, as the inscription clipped. */
  if (logical.height > height)
    gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, y));
  gtk_snapshot_append_layout (snapshot, layout, &color);
  gtk_snapshot_restore (snapshot);
  if (logical.height > height)
    gtk_snapshot_pop (snapshot);
}

static void
densito_cell_root (GtkWidget *widget)
{
  DensitoCell *self = DENSITO_CELL (widget);
  GtkWidget *anchor;

  GTK_WIDGET_CLASS (densito_cell_parent_class)->root (widget);

  anchor = gtk_widget_get_ancestor (widget, GTK_TYPE_COLUMN_VIEW);
  if (anchor == NULL)
    anchor = GTK_WIDGET (gtk_widget_get_root (widget));
  self->shared = shared_for (anchor);
}

static void
densito_cell_unroot (GtkWidget *widget)
{
  DENSITO_CELL (widget)->shared = NULL;

  GTK_WIDGET_CLASS (densito_cell_parent_class)->unroot (widget);
}

static void
densito_cell_finalize (GObject *object)
{
  DensitoCell *self = DENSITO_CELL (object);

  if (self->text != self->text_buf)
    g_free (self->text);

  G_OBJECT_CLASS (densito_cell_parent_class)->finalize (object);
}

static void
densito_cell_class_init (DensitoCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = densito_cell_finalize;

  widget_class->measure = densito_cell_measure;
  widget_class->snapshot = densito_cell_snapshot;
  widget_class->root = densito_cell_root;
  widget_class->unroot = densito_cell_unroot;

  /* The theme styles it as it styled the inscription. */
  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);

  shared_quark = g_quark_from_static_string ("densito-cell-shared");
}

static void
densito_cell_init (DensitoCell *self)
{
  self->text = self->text_buf;
}

/**
 * densito_cell_new:
 * @xalign: where the text sits in the cell: 0 at the start, 1 at the end
 * @numeric: whether the text is a number (tabular figures)
 */
GtkWidget *
densito_cell_new (float    xalign,
                  gboolean numeric)
{
  DensitoCell *self = g_object_new (DENSITO_TYPE_CELL, NULL);

  self->xalign = CLAMP (xalign, 0.0f, 1.0f);
  self->numeric = numeric != FALSE;
  return GTK_WIDGET (self);
}

/**
 * densito_cell_set_text:
 *
 * Shows @text (copied; %NULL shows nothing). The cell's size does not depend
 * on its text, so new text only redraws it.
 */
void
densito_cell_set_text (DensitoCell *self,
                       const char  *text)
{
  gsize len;

  g_return_if_fail (DENSITO_IS_CELL (self));

  if (text == NULL)
    text = "";
  if (strcmp (self->text, text) == 0)
    return;

  if (self->text != self->text_buf)
    g_free (self->text);
  len = strlen (text);
  if (len < sizeof self->text_buf)
    {
      memcpy (self->text_buf, text, len + 1);
      self->text = self->text_buf;
    }
  else
    self->text = g_strndup (text, len);

  gtk_widget_queue_draw (GTK_WIDGET (self));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, self->text, -1);
}

/**
 * densito_cell_get_text:
 *
 * Returns: (transfer none): the text shown, "" when none
 */
const char *
densito_cell_get_text (DensitoCell *self)
{
  g_return_val_if_fail (DENSITO_IS_CELL (self), NULL);
  return self->text;
}

/**
 * densito_cell_set_style:
 * @css_class: (nullable): the one style class the cell's content gives it
 *   (the colour CSS gives that class), replacing the previous one
 * @bold: whether the text is bold (the font is not read from CSS)
 *
 * Redraws the cell when either changes; its CSS node keeps its classes
 * (see the top of this file).
 */
void
densito_cell_set_style (DensitoCell *self,
                        const char  *css_class,
                        gboolean     bold)
{
  const char *interned;

  g_return_if_fail (DENSITO_IS_CELL (self));

  interned = g_intern_string (css_class);
  if (self->css_class != interned || self->bold != (bold != FALSE))
    {
      self->css_class = interned;
      self->bold = bold != FALSE;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

/**
 * densito_cell_get_style:
 *
 * Returns: (nullable): the style class given with densito_cell_set_style()
 */
const char *
densito_cell_get_style (DensitoCell *self)
{
  g_return_val_if_fail (DENSITO_IS_CELL (self), NULL);
  return self->css_class;
}

/**
 * densito_cell_get_color:
 *
 * The colour the cell draws its text in now.
 */
void
densito_cell_get_color (DensitoCell *self,
                        GdkRGBA     *color)
{
  g_return_if_fail (DENSITO_IS_CELL (self));
  g_return_if_fail (color != NULL);
  ink_color (self, color);
}
