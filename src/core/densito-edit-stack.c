/* densito-edit-stack.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Undo and redo for the edits of one image's sidecar. Every command keeps
 * whole copies of the ROI before and after, so undo restores coordinates
 * and provenance bit for bit. A drag sends many small moves with one
 * merge id; they become one command. Each state has a generation (the
 * serial of the last applied command, which a merge renews); the one last
 * saved is remembered, so whether there are unsaved changes is always
 * known, also when a save in a worker ends after more edits.
 */
#include "config.h"

#include "densito-edit-stack.h"

typedef enum
{
  EDIT_ADD,
  EDIT_DELETE,
  EDIT_MODIFY,
  EDIT_REVIEW,
} EditKind;

/* One undo step. ADD inserts after[k] at positions[k] in increasing
 * order (so undo removes them from the last); DELETE has one ROI; MODIFY
 * changes one or more ROIs at once (the two neighbours of a shared
 * vertebra border). */
typedef struct
{
  EditKind       kind;
  guint          n;
  guint         *positions;
  DensitoRoi   **before;     /* DELETE, MODIFY */
  DensitoRoi   **after;      /* ADD, MODIFY */
  DensitoReview  review_before;
  DensitoReview  review_after;
  guint          merge_id;
  guint64        serial;     /* the generation of the state after it */
} Edit;

struct _DensitoEditStack
{
  GObject         parent_instance;
  DensitoSidecar *sidecar;
  GPtrArray      *edits;
  guint           position;     /* edits[0..position) are applied */
  guint64         saved;        /* the generation last saved; 0 is the state as loaded */
  guint64         last_serial;
  guint           last_merge_id;
};

G_DEFINE_FINAL_TYPE (DensitoEditStack, densito_edit_stack, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
review_clear (DensitoReview *r)
{
  g_clear_pointer (&r->reason, g_free);
  g_clear_pointer (&r->by, g_free);
  g_clear_pointer (&r->at, g_free);
}

static void
review_copy (DensitoReview       *dst,
             const DensitoReview *src)
{
  dst->status = src->status;
  dst->reason = g_strdup (src->reason);
  dst->by = g_strdup (src->by);
  dst->at = g_strdup (src->at);
}

static Edit *
edit_new (EditKind kind,
          guint    n)
{
  Edit *edit = g_new0 (Edit, 1);

  edit->kind = kind;
  edit->n = n;
  if (n > 0)
    {
      edit->positions = g_new0 (guint, n);
      edit->before = g_new0 (DensitoRoi *, n);
      edit->after = g_new0 (DensitoRoi *, n);
    }
  return edit;
}

static void
edit_free (gpointer data)
{
  Edit *edit = data;

  for (guint k = 0; k < edit->n; k++)
    {
      densito_roi_free (edit->before[k]);
      densito_roi_free (edit->after[k]);
    }
  g_free (edit->positions);
  g_free (edit->before);
  g_free (edit->after);
  review_clear (&edit->review_before);
  review_clear (&edit->review_after);
  g_free (edit);
}

static void
emit_changed (DensitoEditStack *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
densito_edit_stack_finalize (GObject *object)
{
  DensitoEditStack *self = DENSITO_EDIT_STACK (object);

  g_clear_object (&self->sidecar);
  g_clear_pointer (&self->edits, g_ptr_array_unref);

  G_OBJECT_CLASS (densito_edit_stack_parent_class)->finalize (object);
}

static void
densito_edit_stack_class_init (DensitoEditStackClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_edit_stack_finalize;

  /**
   * DensitoEditStack::changed:
   *
   * Emitted after every change to the sidecar through the stack (edits,
   * undo, redo) and after a save, so that views and "unsaved" marks can
   * follow.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
densito_edit_stack_init (DensitoEditStack *self)
{
  self->edits = g_ptr_array_new_with_free_func (edit_free);
}

DensitoEditStack *
densito_edit_stack_new (DensitoSidecar *sidecar)
{
  DensitoEditStack *self;

  g_return_val_if_fail (DENSITO_IS_SIDECAR (sidecar), NULL);

  self = g_object_new (DENSITO_TYPE_EDIT_STACK, NULL);
  self->sidecar = g_object_ref (sidecar);
  return self;
}

DensitoSidecar *
densito_edit_stack_get_sidecar (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), NULL);
  return self->sidecar;
}

/* Drops the redo branch (a saved state in it is never reached again) and
 * appends @edit, which is already applied. */
static void
push (DensitoEditStack *self,
      Edit             *edit)
{
  if (self->position < self->edits->len)
    g_ptr_array_set_size (self->edits, self->position);
  edit->serial = ++self->last_serial;
  g_ptr_array_add (self->edits, edit);
  self->position++;
}

static Edit *
top (DensitoEditStack *self)
{
  if (self->position == 0 || self->position != self->edits->len)
    return NULL;
  return g_ptr_array_index (self->edits, self->position - 1);
}

guint
densito_edit_stack_add (DensitoEditStack *self,
                        const DensitoRoi *roi)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);
  g_return_val_if_fail (roi != NULL, 0);

  return densito_edit_stack_add_many (self, roi, 1);
}

/**
 * densito_edit_stack_add_many:
 * @rois: (array length=n_rois): the ROIs to append
 *
 * Appends copies of @rois after the existing ROIs, as one undo step (for
 * "copy every ROI from the previous image").
 *
 * Returns: the index of the first one added
 */
guint
densito_edit_stack_add_many (DensitoEditStack *self,
                             const DensitoRoi *rois,
                             guint             n_rois)
{
  Edit *edit;
  guint first;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);
  g_return_val_if_fail (rois != NULL || n_rois == 0, 0);

  first = densito_sidecar_get_n_rois (self->sidecar);
  if (n_rois == 0)
    return first;

  edit = edit_new (EDIT_ADD, n_rois);
  for (guint k = 0; k < n_rois; k++)
    {
      guint at = densito_sidecar_insert_roi (self->sidecar, first + k, &rois[k]);

      edit->positions[k] = at;
      edit->after[k] = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, at));
    }
  push (self, edit);
  emit_changed (self);
  return first;
}

/**
 * densito_edit_stack_duplicate:
 * @dx: image pixels to shift the copy right
 * @dy: image pixels to shift the copy down
 *
 * Appends a copy of ROI @i, shifted, as a new shape by the operator (its
 * own key and provenance; the original geometry of @i is not carried
 * over). Only boxes can be duplicated.
 *
 * Returns: the index of the copy, or the number of ROIs when @i is not a
 *   box
 */
guint
densito_edit_stack_duplicate (DensitoEditStack *self,
                              guint             i,
                              double            dx,
                              double            dy)
{
  const DensitoRoi *roi;
  g_autoptr(DensitoRoi) copy = NULL;
  DensitoBox box;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);
  g_return_val_if_fail (i < densito_sidecar_get_n_rois (self->sidecar),
                        densito_sidecar_get_n_rois (self->sidecar));

  roi = densito_sidecar_get_roi (self->sidecar, i);
  if (roi->kind != DENSITO_SHAPE_BOX)
    return densito_sidecar_get_n_rois (self->sidecar);
  box = roi->box;
  box.cx += dx;
  box.cy += dy;
  copy = densito_roi_new_box (roi->label, &box, DENSITO_SOURCE_OPERATOR);
  return densito_edit_stack_add (self, copy);
}

void
densito_edit_stack_delete (DensitoEditStack *self,
                           guint             i)
{
  Edit *edit;

  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (i < densito_sidecar_get_n_rois (self->sidecar));

  edit = edit_new (EDIT_DELETE, 1);
  edit->positions[0] = i;
  densito_sidecar_remove_roi (self->sidecar, i, &edit->before[0]);
  push (self, edit);
  emit_changed (self);
}

static gboolean
same_positions (const Edit  *edit,
                const guint *indices,
                guint        n)
{
  if (edit->n != n)
    return FALSE;
  for (guint k = 0; k < n; k++)
    if (edit->positions[k] != indices[k])
      return FALSE;
  return TRUE;
}

/* One ROI's change: new points (for shapes that are not boxes), or a
 * new box and/or label. */
static void
apply_change (DensitoEditStack *self,
              guint             index,
              const DensitoBox *box,
              const char       *label,
              const double     *xy,
              guint             n_xy)
{
  if (xy != NULL)
    densito_sidecar_set_roi_points (self->sidecar, index, xy, n_xy);
  else
    densito_sidecar_set_roi_box (self->sidecar, index, box, label);
}

static void
modify (DensitoEditStack *self,
        const guint      *indices,
        const DensitoBox *boxes,
        const char       *label,
        const double     *xy,
        guint             n_xy,
        guint             n,
        guint             merge_id)
{
  Edit *last = top (self);
  Edit *edit;
  guint n_rois = densito_sidecar_get_n_rois (self->sidecar);

  for (guint k = 0; k < n; k++)
    g_return_if_fail (indices[k] < n_rois);
  if (n == 0)
    return;

  /* A continuous drag: fold into the last command, whose "before" stays;
   * not into a saved state, which undo must reach. The state is new: a
   * save of the old one under way does not make it saved. */
  if (merge_id != 0 && last != NULL && last->kind == EDIT_MODIFY && last->merge_id == merge_id &&
      same_positions (last, indices, n) && self->saved != last->serial)
    {
      for (guint k = 0; k < n; k++)
        {
          apply_change (self, indices[k], boxes ? &boxes[k] : NULL, label, xy, n_xy);
          densito_roi_free (last->after[k]);
          last->after[k] = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, indices[k]));
        }
      last->serial = ++self->last_serial;
      emit_changed (self);
      return;
    }

  edit = edit_new (EDIT_MODIFY, n);
  edit->merge_id = merge_id;
  for (guint k = 0; k < n; k++)
    {
      edit->positions[k] = indices[k];
      edit->before[k] = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, indices[k]));
      apply_change (self, indices[k], boxes ? &boxes[k] : NULL, label, xy, n_xy);
      edit->after[k] = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, indices[k]));
    }
  push (self, edit);
  emit_changed (self);
}

/**
 * densito_edit_stack_set_box:
 * @merge_id: commands with the same non-zero id in a row merge into one;
 *   see densito_edit_stack_new_merge_id()
 *
 * Moves, resizes or rotates ROI @i.
 */
void
densito_edit_stack_set_box (DensitoEditStack *self,
                            guint             i,
                            const DensitoBox *box,
                            guint             merge_id)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (box != NULL);

  modify (self, &i, box, NULL, NULL, 0, 1, merge_id);
}

/**
 * densito_edit_stack_set_points:
 * @xy: (array): @n_points x, y pairs
 * @merge_id: as for densito_edit_stack_set_box()
 *
 * Moves a shape that is not a box (a polygon, line, point or circle) by
 * giving it new points.
 */
void
densito_edit_stack_set_points (DensitoEditStack *self,
                               guint             i,
                               const double     *xy,
                               guint             n_points,
                               guint             merge_id)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (xy != NULL && n_points > 0);
  g_return_if_fail (i < densito_sidecar_get_n_rois (self->sidecar));
  g_return_if_fail (densito_sidecar_get_roi (self->sidecar, i)->kind == DENSITO_SHAPE_OTHER);

  modify (self, &i, NULL, NULL, xy, n_points, 1, merge_id);
}

/**
 * densito_edit_stack_set_boxes:
 * @indices: (array length=n): distinct ROI indices
 * @boxes: (array length=n): their new boxes
 * @merge_id: as for densito_edit_stack_set_box(); merges only with a
 *   command on the same indices in the same order
 *
 * Changes several boxes as one undo step.
 */
void
densito_edit_stack_set_boxes (DensitoEditStack *self,
                              const guint      *indices,
                              const DensitoBox *boxes,
                              guint             n,
                              guint             merge_id)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (n == 0 || (indices != NULL && boxes != NULL));

  modify (self, indices, boxes, NULL, NULL, 0, n, merge_id);
}

void
densito_edit_stack_relabel (DensitoEditStack *self,
                            guint             i,
                            const char       *label)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (label != NULL);

  modify (self, &i, NULL, label, NULL, 0, 1, 0);
}

void
densito_edit_stack_set_review (DensitoEditStack    *self,
                               DensitoReviewStatus  status,
                               const char          *reason)
{
  Edit *edit;
  DensitoReview review = { 0 };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = g_date_time_format_iso8601 (now);

  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));

  edit = edit_new (EDIT_REVIEW, 0);
  review_copy (&edit->review_before, densito_sidecar_get_review (self->sidecar));
  review.status = status;
  review.reason = (char *)reason;
  review.by = (char *)g_get_user_name ();
  review.at = at;
  densito_sidecar_set_review (self->sidecar, &review);
  review_copy (&edit->review_after, densito_sidecar_get_review (self->sidecar));
  push (self, edit);
  emit_changed (self);
}

/* A merge id that no earlier drag on this stack used. */
guint
densito_edit_stack_new_merge_id (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);

  /* Large, so as not to meet small constant ids that callers used before. */
  if (self->last_merge_id < 0x10000)
    self->last_merge_id = 0x10000;
  if (++self->last_merge_id == 0)
    self->last_merge_id = 0x10000;
  return self->last_merge_id;
}

/**
 * densito_edit_stack_cancel_merge:
 * @merge_id: the id of a drag in progress
 *
 * Cancels a drag: when the last step is the one @merge_id built, puts
 * back what it changed and forgets it, leaving nothing to redo.
 *
 * Returns: whether there was such a step
 */
gboolean
densito_edit_stack_cancel_merge (DensitoEditStack *self,
                                 guint             merge_id)
{
  Edit *last;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);

  last = top (self);
  if (merge_id == 0 || last == NULL || last->kind != EDIT_MODIFY || last->merge_id != merge_id)
    return FALSE;
  for (guint k = 0; k < last->n; k++)
    densito_sidecar_replace_roi (self->sidecar, last->positions[k], last->before[k]);
  /* The file on disk may hold the drag's boxes if it was saved midway:
   * then its generation is gone with it, and the stack stays modified. */
  g_ptr_array_set_size (self->edits, --self->position);
  emit_changed (self);
  return TRUE;
}

gboolean
densito_edit_stack_can_undo (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);
  return self->position > 0;
}

gboolean
densito_edit_stack_can_redo (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);
  return self->position < self->edits->len;
}

gboolean
densito_edit_stack_undo (DensitoEditStack *self)
{
  Edit *edit;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);

  if (self->position == 0)
    return FALSE;
  edit = g_ptr_array_index (self->edits, --self->position);

  switch (edit->kind)
    {
    case EDIT_ADD:
      for (guint k = edit->n; k-- > 0;)
        densito_sidecar_remove_roi (self->sidecar, edit->positions[k], NULL);
      break;
    case EDIT_DELETE:
      densito_sidecar_insert_roi (self->sidecar, edit->positions[0], edit->before[0]);
      break;
    case EDIT_MODIFY:
      for (guint k = 0; k < edit->n; k++)
        densito_sidecar_replace_roi (self->sidecar, edit->positions[k], edit->before[k]);
      break;
    case EDIT_REVIEW:
    default:
      densito_sidecar_set_review (self->sidecar, &edit->review_before);
      break;
    }
  emit_changed (self);
  return TRUE;
}

gboolean
densito_edit_stack_redo (DensitoEditStack *self)
{
  Edit *edit;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);

  if (self->position >= self->edits->len)
    return FALSE;
  edit = g_ptr_array_index (self->edits, self->position++);

  switch (edit->kind)
    {
    case EDIT_ADD:
      for (guint k = 0; k < edit->n; k++)
        densito_sidecar_insert_roi (self->sidecar, edit->positions[k], edit->after[k]);
      break;
    case EDIT_DELETE:
      densito_sidecar_remove_roi (self->sidecar, edit->positions[0], NULL);
      break;
    case EDIT_MODIFY:
      for (guint k = 0; k < edit->n; k++)
        densito_sidecar_replace_roi (self->sidecar, edit->positions[k], edit->after[k]);
      break;
    case EDIT_REVIEW:
    default:
      densito_sidecar_set_review (self->sidecar, &edit->review_after);
      break;
    }
  emit_changed (self);
  return TRUE;
}

/**
 * densito_edit_stack_get_generation:
 *
 * Returns: an id of the current state: it changes with every edit, undo
 *   and redo, and comes back when undo or redo return to a state
 */
guint64
densito_edit_stack_get_generation (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);

  if (self->position == 0)
    return 0;
  return ((Edit *)g_ptr_array_index (self->edits, self->position - 1))->serial;
}

gboolean
densito_edit_stack_is_modified (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);
  return self->saved != densito_edit_stack_get_generation (self);
}

/**
 * densito_edit_stack_mark_saved_at:
 * @generation: what densito_edit_stack_get_generation() returned when the
 *   saved snapshot was taken
 *
 * Records that the file holds that state: edits made since stay unsaved.
 */
void
densito_edit_stack_mark_saved_at (DensitoEditStack *self,
                                  guint64           generation)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  self->saved = generation;
  emit_changed (self);
}

void
densito_edit_stack_mark_saved (DensitoEditStack *self)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  densito_edit_stack_mark_saved_at (self, densito_edit_stack_get_generation (self));
}

gboolean
densito_edit_stack_save (DensitoEditStack  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);

  if (!densito_sidecar_save (self->sidecar, cancellable, error))
    return FALSE;
  densito_edit_stack_mark_saved (self);
  return TRUE;
}

/* A save in a worker: the snapshot and its generation, taken at the start. */
typedef struct
{
  DensitoSidecarSnapshot *snapshot;
  guint64                 generation;
} SaveData;

static void
save_data_free (SaveData *data)
{
  densito_sidecar_snapshot_free (data->snapshot);
  g_free (data);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData *data = task_data;
  GError *error = NULL;

  /* Only the snapshot: the stack and its sidecar stay on their thread. */
  if (densito_sidecar_snapshot_write (data->snapshot, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * densito_edit_stack_save_async:
 *
 * Saves the sidecar as it is now, written in a worker thread: editing may
 * go on meanwhile. Start one save of a stack at a time.
 */
void
densito_edit_stack_save_async (DensitoEditStack    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *data;

  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));

  data = g_new0 (SaveData, 1);
  data->snapshot = densito_sidecar_snapshot_new (self->sidecar);
  data->generation = densito_edit_stack_get_generation (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, densito_edit_stack_save_async);
  g_task_set_task_data (task, data, (GDestroyNotify)save_data_free);
  g_task_run_in_thread (task, save_thread);
}

/**
 * densito_edit_stack_save_finish:
 *
 * Records what the save did in the sidecar (on the stack's thread) and,
 * when it wrote, marks saved the state it wrote: edits made while it was
 * written stay unsaved.
 */
gboolean
densito_edit_stack_save_finish (DensitoEditStack  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  SaveData *data;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  densito_sidecar_snapshot_apply (data->snapshot, self->sidecar);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  densito_edit_stack_mark_saved_at (self, data->generation);
  return TRUE;
}

guint
densito_edit_stack_get_depth (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);
  return self->position;
}
