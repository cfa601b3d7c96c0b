/* densito-list-selection.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The patient list's selection model: one item of a list model is
 * selected (as in a GtkSingleSelection that selects automatically), and
 * the view sees only the model's first LIMIT items while the window grows
 * the list a few rows a frame (see limit_list in densito-window.c).
 *
 * What a GtkSliceListModel under a GtkSingleSelection cannot do is the
 * reason for it: the selected item may lie past the limit. When a search
 * is cleared, the patient shown is often far down the whole list while the
 * view shows its top; the selection stays on that patient, the view gets
 * only the rows it shows in the first frame, and the row shows as
 * selected once the list has grown to it. Positions are the model's.
 *
 * It can also keep rows past the model's end, vacant, for a moment
 * (densito_list_selection_set_hold()). A search that narrows a list of
 * thousands to a few made GTK 4.8 destroy the 200 rows of cells it keeps
 * (40-50 ms here) before the frame that shows the new list; kept as
 * vacant rows (the model's slots, which show nothing), they cost nothing
 * then, and the window drops them (densito_list_selection_drop_vacant())
 * once that frame is on screen. The model's slots are one object per
 * position, so a row that turns from a patient into a vacant row and back
 * is the same item to the view.
 */
#include "config.h"

#include "densito-list-selection.h"
#include "densito-patient-model.h"

struct _DensitoListSelection
{
  GObject     parent_instance;

  GListModel *model;
  guint       n_model;   /* the model's count, as last reported */
  guint       limit;     /* G_MAXUINT: all of it */
  guint       selected;  /* a position in the model, or GTK_INVALID_LIST_POSITION */
  guint       n_vacant;  /* rows the view has past the model's end */
  guint       hold;      /* how far a shrinking model leaves rows vacant */
};

enum
{
  PROP_0,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);
static void selection_model_iface_init (GtkSelectionModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DensitoListSelection, densito_list_selection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SELECTION_MODEL, selection_model_iface_init))

static guint
visible (DensitoListSelection *self,
         guint                 n_model)
{
  return MIN (n_model, self->limit);
}

static GType
get_item_type (GListModel *model)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (model);

  return self->model != NULL ? g_list_model_get_item_type (self->model) : G_TYPE_OBJECT;
}

static guint
get_n_items (GListModel *model)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (model);

  return visible (self, self->n_model) + self->n_vacant;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (model);
  guint n = visible (self, self->n_model);

  if (position < n)
    return g_list_model_get_item (self->model, position);
  if (position < n + self->n_vacant)
    return densito_patient_model_dup_slot (DENSITO_PATIENT_MODEL (self->model), position);
  return NULL;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static gboolean
is_selected (GtkSelectionModel *model,
             guint              position)
{
  return position == DENSITO_LIST_SELECTION (model)->selected;
}

static GtkBitset *
get_selection_in_range (GtkSelectionModel *model,
                        guint              position,
                        guint              n_items)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (model);
  GtkBitset *set = gtk_bitset_new_empty ();

  if (self->selected != GTK_INVALID_LIST_POSITION &&
      self->selected >= position && self->selected - position < n_items)
    gtk_bitset_add (set, self->selected);
  return set;
}

static gboolean
select_item (GtkSelectionModel *model,
             guint              position,
             gboolean           unselect_rest)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (model);

  if (position >= visible (self, self->n_model))
    return FALSE;
  densito_list_selection_set_selected (self, position);
  return TRUE;
}

/* One item is always selected while there are any. */
static gboolean
unselect_item (GtkSelectionModel *model,
               guint              position)
{
  return FALSE;
}

static void
selection_model_iface_init (GtkSelectionModelInterface *iface)
{
  iface->is_selected = is_selected;
  iface->get_selection_in_range = get_selection_in_range;
  iface->select_item = select_item;
  iface->unselect_item = unselect_item;
}

/* Tells the view that the rows at @a and @b (model positions, either
 * GTK_INVALID_LIST_POSITION) changed their selected state, where it has them
 * (a vacant row too: it may be the one that was selected). */
static void
rows_selection_changed (DensitoListSelection *self,
                        guint                 a,
                        guint                 b)
{
  guint n = visible (self, self->n_model) + self->n_vacant;

  if (a < n)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), a, 1);
  if (b < n && b != a)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), b, 1);
}

/* The view's rows went from @old_view to @new_view, and the items from
 * @position on may be others: tells the view, from where the two differ.
 * Returns that position. */
static guint
view_changed (DensitoListSelection *self,
              guint                 position,
              guint                 old_view,
              guint                 new_view)
{
  guint start = MIN (position, MIN (old_view, new_view));

  if (start < MAX (old_view, new_view))
    g_list_model_items_changed (G_LIST_MODEL (self), start, old_view - start, new_view - start);
  return start;
}

static void
model_items_changed_cb (GListModel           *model,
                        guint                 position,
                        guint                 removed,
                        guint                 added,
                        DensitoListSelection *self)
{
  guint old_n = self->n_model;
  guint old_visible = visible (self, old_n);
  guint old_view = old_visible + self->n_vacant;
  guint new_n = g_list_model_get_n_items (model);
  guint new_visible = visible (self, new_n);
  guint new_view = new_visible;
  guint old_selected = self->selected;
  guint selected = old_selected;
  guint start;

  self->n_model = new_n;

  /* The selection follows its item, or (its item gone) stays where it was
   * as far as the list still reaches; an empty list selects nothing, and a
   * list no longer empty selects its first item. */
  if (selected == GTK_INVALID_LIST_POSITION)
    selected = new_n > 0 ? 0 : GTK_INVALID_LIST_POSITION;
  else if (selected >= position + removed)
    selected = selected - removed + added;
  else if (selected >= position)
    selected = new_n > 0 ? MIN (selected, new_n - 1) : GTK_INVALID_LIST_POSITION;
  self->selected = selected;

  /* Rows past the model's end stay, vacant, as far as the hold reaches
   * (not past a limit: the rows there are the model's). */
  if (self->hold > 0 && new_visible == new_n && new_visible < old_view)
    new_view = MAX (new_visible, MIN (old_view, self->hold));
  self->n_vacant = new_view - new_visible;
  if (self->n_vacant > 0)
    densito_patient_model_vacate (DENSITO_PATIENT_MODEL (model), new_visible, new_view);

  /* What the view sees: the change, cut at the limit; a change that
   * shifts the rest moves items across the limit too. */
  if (removed == added && old_view == new_view)
    {
      start = MIN (position, new_view);
      if (start < new_view)
        g_list_model_items_changed (G_LIST_MODEL (self), start, MIN (removed, new_view - start),
                                    MIN (added, new_view - start));
    }
  else
    {
      /* The patient model's items are its slots, one per position: only
       * the count changes for the view (the slots tell their cells). */
      if (DENSITO_IS_PATIENT_MODEL (model))
        position = MAX (position, MIN (old_view, new_view));
      start = view_changed (self, position, old_view, new_view);
    }

  if (selected != old_selected)
    {
      /* Rows the change left in place that were or are now selected. */
      guint kept = MIN (start, new_view);

      /* (The view made the rows from @start on anew, or they kept
       * their state.) */
      rows_selection_changed (self, old_selected < kept ? old_selected : GTK_INVALID_LIST_POSITION,
                              selected < kept ? selected : GTK_INVALID_LIST_POSITION);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
    }
}

static void
densito_list_selection_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      g_value_set_uint (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_list_selection_dispose (GObject *object)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, model_items_changed_cb, self);
  g_clear_object (&self->model);
  self->n_model = 0;
  self->n_vacant = 0;
  self->selected = GTK_INVALID_LIST_POSITION;

  G_OBJECT_CLASS (densito_list_selection_parent_class)->dispose (object);
}

static void
densito_list_selection_class_init (DensitoListSelectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = densito_list_selection_get_property;
  object_class->dispose = densito_list_selection_dispose;

  /**
   * DensitoListSelection:selected:
   *
   * The selected position in the model (it may lie past the limit), or
   * GTK_INVALID_LIST_POSITION when the model is empty.
   */
  properties[PROP_SELECTED] =
    g_param_spec_uint ("selected", NULL, NULL, 0, G_MAXUINT, GTK_INVALID_LIST_POSITION,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
densito_list_selection_init (DensitoListSelection *self)
{
  self->limit = G_MAXUINT;
  self->selected = GTK_INVALID_LIST_POSITION;
}

/**
 * densito_list_selection_new:
 * @model: (transfer none): the list
 *
 * Selects the first item, if any; no limit.
 */
DensitoListSelection *
densito_list_selection_new (GListModel *model)
{
  DensitoListSelection *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  self = g_object_new (DENSITO_TYPE_LIST_SELECTION, NULL);
  self->model = g_object_ref (model);
  self->n_model = g_list_model_get_n_items (model);
  if (self->n_model > 0)
    self->selected = 0;
  g_signal_connect (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
  return self;
}

/**
 * densito_list_selection_get_model:
 *
 * Returns: (transfer none): the whole list, past the limit too
 */
GListModel *
densito_list_selection_get_model (DensitoListSelection *self)
{
  g_return_val_if_fail (DENSITO_IS_LIST_SELECTION (self), NULL);
  return self->model;
}

guint
densito_list_selection_get_selected (DensitoListSelection *self)
{
  g_return_val_if_fail (DENSITO_IS_LIST_SELECTION (self), GTK_INVALID_LIST_POSITION);
  return self->selected;
}

/**
 * densito_list_selection_set_selected:
 * @position: a position in the model, past the limit or not; one past
 *   its end is ignored while it has items (one is always selected)
 */
void
densito_list_selection_set_selected (DensitoListSelection *self,
                                     guint                 position)
{
  guint old;

  g_return_if_fail (DENSITO_IS_LIST_SELECTION (self));

  if (position >= self->n_model)
    return;
  if (position == self->selected)
    return;
  old = self->selected;
  self->selected = position;
  rows_selection_changed (self, old, position);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

/**
 * densito_list_selection_dup_selected_item:
 *
 * Returns: (transfer full) (nullable): the selected item
 */
gpointer
densito_list_selection_dup_selected_item (DensitoListSelection *self)
{
  g_return_val_if_fail (DENSITO_IS_LIST_SELECTION (self), NULL);

  if (self->selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  return g_list_model_get_item (self->model, self->selected);
}

guint
densito_list_selection_get_limit (DensitoListSelection *self)
{
  g_return_val_if_fail (DENSITO_IS_LIST_SELECTION (self), G_MAXUINT);
  return self->limit;
}

/**
 * densito_list_selection_set_limit:
 * @limit: how many of the model's first items the view sees; G_MAXUINT
 *   for all
 */
void
densito_list_selection_set_limit (DensitoListSelection *self,
                                  guint                 limit)
{
  guint old_view, new_visible;

  g_return_if_fail (DENSITO_IS_LIST_SELECTION (self));

  if (limit == self->limit)
    return;
  old_view = visible (self, self->n_model) + self->n_vacant;
  self->limit = limit;
  new_visible = visible (self, self->n_model);
  /* Vacant rows stay where the limit does not cut the model. */
  if (new_visible < self->n_model)
    self->n_vacant = 0;
  view_changed (self, MIN (old_view, new_visible + self->n_vacant), old_view, new_visible + self->n_vacant);
}

/**
 * densito_list_selection_set_hold:
 * @hold: how many rows the view keeps when the model shrinks below them;
 *   0 for none
 *
 * While it is set, a model that shrinks (with no limit cutting it) leaves
 * the view its rows up to @hold, past the model's end, as vacant rows of
 * the patient model's slots (see the top of this file), until
 * densito_list_selection_drop_vacant() or a change made without a hold.
 */
void
densito_list_selection_set_hold (DensitoListSelection *self,
                                 guint                 hold)
{
  g_return_if_fail (DENSITO_IS_LIST_SELECTION (self));
  g_return_if_fail (hold == 0 || DENSITO_IS_PATIENT_MODEL (self->model));

  self->hold = hold;
}

/* The rows the view has past the model's end. */
guint
densito_list_selection_get_n_vacant (DensitoListSelection *self)
{
  g_return_val_if_fail (DENSITO_IS_LIST_SELECTION (self), 0);
  return self->n_vacant;
}

/**
 * densito_list_selection_drop_vacant:
 * @max: how many to take, at most
 *
 * Takes vacant rows out of the view, the last ones first.
 *
 * Returns: how many are left
 */
guint
densito_list_selection_drop_vacant (DensitoListSelection *self,
                                    guint                 max)
{
  guint end, n;

  g_return_val_if_fail (DENSITO_IS_LIST_SELECTION (self), 0);

  n = MIN (max, self->n_vacant);
  if (n == 0)
    return self->n_vacant;
  end = visible (self, self->n_model) + self->n_vacant;
  self->n_vacant -= n;
  g_list_model_items_changed (G_LIST_MODEL (self), end - n, n, 0);
  return self->n_vacant;
}
