/* densito-edit-stack.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Undo and redo for the edits of one image's sidecar. Every command keeps
 * whole copies of the ROI before and after, so undo restores coordinates
 * and provenance bit for bit. A drag sends many small moves with one
 * merge id; they become one command. The position that was last saved is
 * remembered, so whether there are unsaved changes is always known.
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

typedef struct
{
  EditKind       kind;
  guint          position;
  DensitoRoi    *before;     /* DELETE, MODIFY */
  DensitoRoi    *after;      /* ADD, MODIFY */
  DensitoReview  review_before;
  DensitoReview  review_after;
  guint          merge_id;
} Edit;

struct _DensitoEditStack
{
  GObject         parent_instance;
  DensitoSidecar *sidecar;
  GPtrArray      *edits;
  guint           position;     /* edits[0..position) are applied */
  gint64          saved;        /* position at the last save; -1 when unreachable */
};

G_DEFINE_FINAL_TYPE (DensitoEditStack, densito_edit_stack, G_TYPE_OBJECT)

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

static void
edit_free (gpointer data)
{
  Edit *edit = data;

  densito_roi_free (edit->before);
  densito_roi_free (edit->after);
  review_clear (&edit->review_before);
  review_clear (&edit->review_after);
  g_free (edit);
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

/* Drops the redo branch and appends @edit, which is already applied. */
static void
push (DensitoEditStack *self,
      Edit             *edit)
{
  if (self->position < self->edits->len)
    {
      if (self->saved > (gint64)self->position)
        self->saved = -1;
      g_ptr_array_set_size (self->edits, self->position);
    }
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
  Edit *edit;
  guint n;

  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);
  g_return_val_if_fail (roi != NULL, 0);

  n = densito_sidecar_get_n_rois (self->sidecar);
  densito_sidecar_insert_roi (self->sidecar, n, roi);

  edit = g_new0 (Edit, 1);
  edit->kind = EDIT_ADD;
  edit->position = n;
  edit->after = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, n));
  push (self, edit);
  return n;
}

void
densito_edit_stack_delete (DensitoEditStack *self,
                           guint             i)
{
  Edit *edit;

  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (i < densito_sidecar_get_n_rois (self->sidecar));

  edit = g_new0 (Edit, 1);
  edit->kind = EDIT_DELETE;
  edit->position = i;
  densito_sidecar_remove_roi (self->sidecar, i, &edit->before);
  push (self, edit);
}

static void
modify (DensitoEditStack *self,
        guint             i,
        const DensitoBox *box,
        const char       *label,
        guint             merge_id)
{
  Edit *last = top (self);
  Edit *edit;
  DensitoRoi *before;

  g_return_if_fail (i < densito_sidecar_get_n_rois (self->sidecar));

  before = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, i));
  densito_sidecar_set_roi_box (self->sidecar, i, box, label);

  /* A continuous drag: fold into the last command, whose "before" stays. */
  if (merge_id != 0 && last != NULL && last->kind == EDIT_MODIFY && last->merge_id == merge_id &&
      last->position == i && self->saved != (gint64)self->position)
    {
      densito_roi_free (before);
      densito_roi_free (last->after);
      last->after = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, i));
      return;
    }

  edit = g_new0 (Edit, 1);
  edit->kind = EDIT_MODIFY;
  edit->position = i;
  edit->before = before;
  edit->after = densito_roi_copy (densito_sidecar_get_roi (self->sidecar, i));
  edit->merge_id = merge_id;
  push (self, edit);
}

/**
 * densito_edit_stack_set_box:
 * @merge_id: commands with the same non-zero id in a row merge into one
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

  modify (self, i, box, NULL, merge_id);
}

void
densito_edit_stack_relabel (DensitoEditStack *self,
                            guint             i,
                            const char       *label)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  g_return_if_fail (label != NULL);

  modify (self, i, NULL, label, 0);
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

  edit = g_new0 (Edit, 1);
  edit->kind = EDIT_REVIEW;
  review_copy (&edit->review_before, densito_sidecar_get_review (self->sidecar));
  review.status = status;
  review.reason = (char *)reason;
  review.by = (char *)g_get_user_name ();
  review.at = at;
  densito_sidecar_set_review (self->sidecar, &review);
  review_copy (&edit->review_after, densito_sidecar_get_review (self->sidecar));
  push (self, edit);
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
      densito_sidecar_remove_roi (self->sidecar, edit->position, NULL);
      break;
    case EDIT_DELETE:
      densito_sidecar_insert_roi (self->sidecar, edit->position, edit->before);
      break;
    case EDIT_MODIFY:
      densito_sidecar_replace_roi (self->sidecar, edit->position, edit->before);
      break;
    case EDIT_REVIEW:
    default:
      densito_sidecar_set_review (self->sidecar, &edit->review_before);
      break;
    }
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
      densito_sidecar_insert_roi (self->sidecar, edit->position, edit->after);
      break;
    case EDIT_DELETE:
      densito_sidecar_remove_roi (self->sidecar, edit->position, NULL);
      break;
    case EDIT_MODIFY:
      densito_sidecar_replace_roi (self->sidecar, edit->position, edit->after);
      break;
    case EDIT_REVIEW:
    default:
      densito_sidecar_set_review (self->sidecar, &edit->review_after);
      break;
    }
  return TRUE;
}

gboolean
densito_edit_stack_is_modified (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), FALSE);
  return self->saved != (gint64)self->position;
}

void
densito_edit_stack_mark_saved (DensitoEditStack *self)
{
  g_return_if_fail (DENSITO_IS_EDIT_STACK (self));
  self->saved = self->position;
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

guint
densito_edit_stack_get_depth (DensitoEditStack *self)
{
  g_return_val_if_fail (DENSITO_IS_EDIT_STACK (self), 0);
  return self->position;
}
