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
 */
#include "config.h"

#include "densito-list-selection.h"

struct _DensitoListSelection
{
  GObject     parent_instance;

  GListModel *model;
  guint       n_model;   /* the model's count, as last reported */
  guint       limit;     /* G_MAXUINT: all of it */
  guint       selected;  /* a position in the model, or GTK_INVALID_LIST_POSITION */
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

  return visible (self, self->n_model);
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  DensitoListSelection *self = DENSITO_LIST_SELECTION (model);

  if (position >= visible (self, self->n_model))
    return NULL;
  return g_list_model_get_item (self->model, position);
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
 * GTK_INVALID_LIST_POSITION) changed their selected state, where it has them. */
static void
rows_selection_changed (DensitoListSelection *self,
                        guint                 a,
                        guint                 b)
{
  guint n = visible (self, self->n_model);

  if (a < n)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), a, 1);
  if (b < n && b != a)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), b, 1);
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
  guint new_n = g_list_model_get_n_items (model);
  guint new_visible = visible (self, new_n);
  guint old_selected = self->selected;
  guint selected = old_selected;

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

  /* What the view sees: the change, cut at the limit. */
  if (position < MAX (old_visible, new_visible))
    {
      guint view_removed = MIN (removed, old_visible - MIN (position, old_visible));
      guint view_added = MIN (added, new_visible - MIN (position, new_visible));

      /* A change that shifts the rest moves items across the limit too. */
      if (removed != added)
        {
          view_removed = old_visible - MIN (position, old_visible);
          view_added = new_visible - MIN (position, new_visible);
        }
      if (view_removed != 0 || view_added != 0)
        g_list_model_items_changed (G_LIST_MODEL (self), position, view_removed, view_added);
    }

  if (selected != old_selected)
    {
      /* Rows the change left in place that were or are now selected. */
      guint kept = MIN (position, new_visible);

      /* (The view made the rows from @position on anew, or they kept
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
  guint old_visible, new_visible;

  g_return_if_fail (DENSITO_IS_LIST_SELECTION (self));

  if (limit == self->limit)
    return;
  old_visible = visible (self, self->n_model);
  self->limit = limit;
  new_visible = visible (self, self->n_model);
  if (new_visible > old_visible)
    g_list_model_items_changed (G_LIST_MODEL (self), old_visible, 0, new_visible - old_visible);
  else if (new_visible < old_visible)
    g_list_model_items_changed (G_LIST_MODEL (self), new_visible, old_visible - new_visible, 0);
}
