/* densito-edit-stack.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "densito-sidecar.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_EDIT_STACK (densito_edit_stack_get_type ())

G_DECLARE_FINAL_TYPE (DensitoEditStack, densito_edit_stack, DENSITO, EDIT_STACK, GObject)

DensitoEditStack *densito_edit_stack_new           (DensitoSidecar      *sidecar);
DensitoSidecar   *densito_edit_stack_get_sidecar   (DensitoEditStack    *self);
guint             densito_edit_stack_add           (DensitoEditStack    *self,
                                                    const DensitoRoi    *roi);
guint             densito_edit_stack_add_many      (DensitoEditStack    *self,
                                                    const DensitoRoi    *rois,
                                                    guint                n_rois);
guint             densito_edit_stack_duplicate     (DensitoEditStack    *self,
                                                    guint                i,
                                                    double               dx,
                                                    double               dy);
void              densito_edit_stack_delete        (DensitoEditStack    *self,
                                                    guint                i);
void              densito_edit_stack_set_box       (DensitoEditStack    *self,
                                                    guint                i,
                                                    const DensitoBox    *box,
                                                    guint                merge_id);
void              densito_edit_stack_set_points    (DensitoEditStack    *self,
                                                    guint                i,
                                                    const double        *xy,
                                                    guint                n_points,
                                                    guint                merge_id);
void              densito_edit_stack_set_boxes     (DensitoEditStack    *self,
                                                    const guint         *indices,
                                                    const DensitoBox    *boxes,
                                                    guint                n,
                                                    guint                merge_id);
void              densito_edit_stack_relabel       (DensitoEditStack    *self,
                                                    guint                i,
                                                    const char          *label);
void              densito_edit_stack_set_review    (DensitoEditStack    *self,
                                                    DensitoReviewStatus  status,
                                                    const char          *reason);
guint             densito_edit_stack_new_merge_id  (DensitoEditStack    *self);
gboolean          densito_edit_stack_cancel_merge  (DensitoEditStack    *self,
                                                    guint                merge_id);
gboolean          densito_edit_stack_can_undo      (DensitoEditStack    *self);
gboolean          densito_edit_stack_can_redo      (DensitoEditStack    *self);
gboolean          densito_edit_stack_undo          (DensitoEditStack    *self);
gboolean          densito_edit_stack_redo          (DensitoEditStack    *self);
gboolean          densito_edit_stack_is_modified   (DensitoEditStack    *self);
guint64           densito_edit_stack_get_generation (DensitoEditStack   *self);
void              densito_edit_stack_mark_saved    (DensitoEditStack    *self);
void              densito_edit_stack_mark_saved_at (DensitoEditStack    *self,
                                                    guint64              generation);
gboolean          densito_edit_stack_save          (DensitoEditStack    *self,
                                                    GCancellable        *cancellable,
                                                    GError             **error);
void              densito_edit_stack_save_async    (DensitoEditStack    *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          densito_edit_stack_save_finish   (DensitoEditStack    *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
guint             densito_edit_stack_get_depth     (DensitoEditStack    *self);

G_END_DECLS
