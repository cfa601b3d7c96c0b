/* densito-problem-list.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dataset's diagnostics as a GListModel. Items are made when asked
 * for and not kept, since a badly broken table can have a million.
 */
#include "config.h"

#include "densito-problem-list.h"

struct _DensitoProblem
{
  GObject             parent_instance;
  DensitoDiagnostics *diagnostics;
  guint               index;
};

G_DEFINE_FINAL_TYPE (DensitoProblem, densito_problem, G_TYPE_OBJECT)

static void
densito_problem_finalize (GObject *object)
{
  g_clear_object (&DENSITO_PROBLEM (object)->diagnostics);
  G_OBJECT_CLASS (densito_problem_parent_class)->finalize (object);
}

static void
densito_problem_class_init (DensitoProblemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_problem_finalize;
}

static void
densito_problem_init (DensitoProblem *self)
{
}

const DensitoDiagnostic *
densito_problem_get_diagnostic (DensitoProblem *self)
{
  g_return_val_if_fail (DENSITO_IS_PROBLEM (self), NULL);
  return densito_diagnostics_get (self->diagnostics, self->index);
}

struct _DensitoProblemList
{
  GObject             parent_instance;
  DensitoDiagnostics *diagnostics;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DensitoProblemList, densito_problem_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return DENSITO_TYPE_PROBLEM;
}

static guint
get_n_items (GListModel *model)
{
  return densito_diagnostics_get_n (DENSITO_PROBLEM_LIST (model)->diagnostics);
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  DensitoProblemList *self = DENSITO_PROBLEM_LIST (model);
  DensitoProblem *item;

  if (position >= densito_diagnostics_get_n (self->diagnostics))
    return NULL;
  item = g_object_new (DENSITO_TYPE_PROBLEM, NULL);
  item->diagnostics = g_object_ref (self->diagnostics);
  item->index = position;
  return item;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
densito_problem_list_finalize (GObject *object)
{
  g_clear_object (&DENSITO_PROBLEM_LIST (object)->diagnostics);
  G_OBJECT_CLASS (densito_problem_list_parent_class)->finalize (object);
}

static void
densito_problem_list_class_init (DensitoProblemListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_problem_list_finalize;
}

static void
densito_problem_list_init (DensitoProblemList *self)
{
}

DensitoProblemList *
densito_problem_list_new (DensitoDiagnostics *diagnostics)
{
  DensitoProblemList *self;

  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (diagnostics), NULL);

  self = g_object_new (DENSITO_TYPE_PROBLEM_LIST, NULL);
  self->diagnostics = g_object_ref (diagnostics);
  return self;
}
