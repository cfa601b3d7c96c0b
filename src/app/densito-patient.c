/* densito-patient.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row of the patient list. It holds only the row number; its
 * properties read the column store when asked, so the list's cells and
 * sorters can bind to them without copies of the table.
 *
 * The list model reuses its items as slots, one per list position: a
 * refilter gives a slot another row and emits "changed", and the cells
 * bound to it show the new patient without being rebuilt.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "densito-format.h"
#include "densito-patient.h"

struct _DensitoPatient
{
  GObject         parent_instance;
  DensitoDataset *dataset;
  guint           row;
  gboolean        vacant;  /* a list position past the list's end */
};

enum {
  PROP_0,
  PROP_ID,
  PROP_SEX,
  PROP_AGE_GROUP,
  PROP_SPINE_T,
  PROP_HIP_T,
  PROP_NECK_T,
  PROP_SPINE_T_VALUE,
  PROP_HIP_T_VALUE,
  PROP_NECK_T_VALUE,
  PROP_SPINE_CLASS,
  PROP_HIP_CLASS,
  PROP_NECK_CLASS,
  PROP_WHO_CLASS,
  PROP_WHO_CLASS_RANK,
  PROP_LABEL,
  PROP_LABEL_DISAGREES,
  PROP_IMAGES,
  PROP_REVIEW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DensitoPatient, densito_patient, G_TYPE_OBJECT)

static const DensitoField t_fields[DENSITO_N_SITES] = {
  DENSITO_FIELD_SPINE_T, DENSITO_FIELD_HIP_T, DENSITO_FIELD_NECK_T,
};



static guint
image_count (DensitoPatient *self)
{
  DensitoImageIndex *images = densito_dataset_get_images (self->dataset);

  return images ? densito_image_index_count_for_row (images, self->row) : 0;
}

/* The least advanced review state of the patient's images. */
static const char *
review_text (DensitoPatient *self)
{
  guint done;
  guint n = densito_dataset_count_row_reviews (self->dataset, self->row, &done);

  if (n == 0)
    return "";
  if (done == n)
    return C_("review", "Done");
  if (done == 0)
    return C_("review", "To do");
  return C_("review", "Partly");
}

/* The text of one column of the list: a static string, the table's own, or
 * @buf. The list's cells call this for every row they show, so it does no
 * property lookup and, but for the image count, no allocation. */
static const char *
get_text (DensitoPatient     *self,
          DensitoPatientText  text,
          char                buf[DENSITO_PATIENT_TEXT_BUF])
{
  DensitoTable *table = densito_dataset_get_table (self->dataset);
  guint row = self->row;
  int c;

  G_STATIC_ASSERT (DENSITO_PATIENT_TEXT_BUF >= DENSITO_CELL_BUF);
  G_STATIC_ASSERT (DENSITO_PATIENT_TEXT_BUF >= DENSITO_TSCORE_BUF);

  switch (text)
    {
    case DENSITO_PATIENT_TEXT_ID:
      return densito_table_get_id (table, row);

    case DENSITO_PATIENT_TEXT_SEX:
      switch (densito_table_get_sex (table, row))
        {
        case DENSITO_SEX_FEMALE: return C_("sex", "F");
        case DENSITO_SEX_MALE: return C_("sex", "M");
        case DENSITO_SEX_UNKNOWN:
        default: return "—";
        }

    case DENSITO_PATIENT_TEXT_AGE_GROUP:
      c = densito_table_get_field_column (table, DENSITO_FIELD_AGE);
      return c >= 0 ? densito_table_get_cell (table, row, (guint)c, buf) : "";

    case DENSITO_PATIENT_TEXT_SPINE_T:
    case DENSITO_PATIENT_TEXT_HIP_T:
    case DENSITO_PATIENT_TEXT_NECK_T:
      /* not a number in the table: not shown as a blank */
      if (densito_table_get_unreadable (table, row, t_fields[text - DENSITO_PATIENT_TEXT_SPINE_T]) != NULL)
        return "?";
      return densito_format_tscore_buf (densito_table_get_number (table, row,
                                                                  t_fields[text - DENSITO_PATIENT_TEXT_SPINE_T]),
                                        buf);

    case DENSITO_PATIENT_TEXT_WHO_CLASS:
      if (densito_patient_get_class_not_applicable (self))
        {
          /* Translators: a WHO class from T-scores whose categories do not
           * apply to this patient (a man under 50, a woman before menopause) */
          g_snprintf (buf, DENSITO_PATIENT_TEXT_BUF, _("(%s)"),
                      densito_class_display_name (densito_table_get_class (table, row, NULL)));
          return buf;
        }
      return densito_class_display_name (densito_table_get_class (table, row, NULL));

    case DENSITO_PATIENT_TEXT_LABEL:
      c = densito_table_get_field_column (table, DENSITO_FIELD_LABEL);
      return c >= 0 ? densito_table_get_cell (table, row, (guint)c, buf) : "";

    case DENSITO_PATIENT_TEXT_IMAGES:
      g_snprintf (buf, DENSITO_PATIENT_TEXT_BUF, "%u", image_count (self));
      return buf;

    case DENSITO_PATIENT_TEXT_REVIEW:
      return review_text (self);

    default:
      g_return_val_if_reached ("");
    }
}

static void
densito_patient_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DensitoPatient *self = DENSITO_PATIENT (object);
  DensitoTable *table = densito_dataset_get_table (self->dataset);
  guint row = self->row;
  char buf[DENSITO_PATIENT_TEXT_BUF];

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_ID, buf));
      break;

    case PROP_SEX:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_SEX, buf));
      break;

    case PROP_AGE_GROUP:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_AGE_GROUP, buf));
      break;

    case PROP_SPINE_T:
    case PROP_HIP_T:
    case PROP_NECK_T:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_SPINE_T + (prop_id - PROP_SPINE_T), buf));
      break;

    case PROP_SPINE_T_VALUE:
    case PROP_HIP_T_VALUE:
    case PROP_NECK_T_VALUE:
      {
        double t = densito_table_get_number (table, row, t_fields[prop_id - PROP_SPINE_T_VALUE]);
        /* Missing values sort last in ascending order. */
        g_value_set_double (value, isfinite (t) ? t : G_MAXDOUBLE);
      }
      break;

    case PROP_SPINE_CLASS:
    case PROP_HIP_CLASS:
    case PROP_NECK_CLASS:
      {
        const char *css[] = { densito_class_css_name (densito_table_get_site_class (table, row, prop_id - PROP_SPINE_CLASS)),
                              "numeric", NULL };
        g_value_set_boxed (value, css);
      }
      break;

    case PROP_WHO_CLASS:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_WHO_CLASS, buf));
      break;

    case PROP_WHO_CLASS_RANK:
      g_value_set_int (value, (int)densito_table_get_class (table, row, NULL));
      break;

    case PROP_LABEL:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_LABEL, buf));
      break;

    case PROP_LABEL_DISAGREES:
      g_value_set_boolean (value, densito_patient_get_label_disagrees (self));
      break;

    case PROP_IMAGES:
      g_value_set_uint (value, image_count (self));
      break;

    case PROP_REVIEW:
      g_value_set_string (value, get_text (self, DENSITO_PATIENT_TEXT_REVIEW, buf));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_patient_finalize (GObject *object)
{
  DensitoPatient *self = DENSITO_PATIENT (object);

  g_clear_object (&self->dataset);

  G_OBJECT_CLASS (densito_patient_parent_class)->finalize (object);
}

static void
densito_patient_class_init (DensitoPatientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = densito_patient_finalize;
  object_class->get_property = densito_patient_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, ro);
  properties[PROP_SEX] = g_param_spec_string ("sex", NULL, NULL, NULL, ro);
  properties[PROP_AGE_GROUP] = g_param_spec_string ("age-group", NULL, NULL, NULL, ro);
  properties[PROP_SPINE_T] = g_param_spec_string ("spine-t", NULL, NULL, NULL, ro);
  properties[PROP_HIP_T] = g_param_spec_string ("hip-t", NULL, NULL, NULL, ro);
  properties[PROP_NECK_T] = g_param_spec_string ("neck-t", NULL, NULL, NULL, ro);
  properties[PROP_SPINE_T_VALUE] = g_param_spec_double ("spine-t-value", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_HIP_T_VALUE] = g_param_spec_double ("hip-t-value", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_NECK_T_VALUE] = g_param_spec_double ("neck-t-value", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_SPINE_CLASS] = g_param_spec_boxed ("spine-css", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_HIP_CLASS] = g_param_spec_boxed ("hip-css", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_NECK_CLASS] = g_param_spec_boxed ("neck-css", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_WHO_CLASS] = g_param_spec_string ("who-class", NULL, NULL, NULL, ro);
  properties[PROP_WHO_CLASS_RANK] = g_param_spec_int ("who-class-rank", NULL, NULL, 0, 10, 0, ro);
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, ro);
  properties[PROP_LABEL_DISAGREES] = g_param_spec_boolean ("label-disagrees", NULL, NULL, FALSE, ro);
  properties[PROP_IMAGES] = g_param_spec_uint ("images", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_REVIEW] = g_param_spec_string ("review", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DensitoPatient::changed:
   *
   * The item shows another row, or facts of its row outside the table
   * (review states) changed: every property may read differently.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
densito_patient_init (DensitoPatient *self)
{
}

DensitoPatient *
densito_patient_new (DensitoDataset *dataset,
                     guint           row)
{
  DensitoPatient *self;

  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), NULL);

  self = g_object_new (DENSITO_TYPE_PATIENT, NULL);
  self->dataset = g_object_ref (dataset);
  self->row = row;
  return self;
}

guint
densito_patient_get_row (DensitoPatient *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), 0);
  return self->row;
}

/**
 * densito_patient_set_row:
 *
 * Points the item at another row of the same dataset (and makes a vacant
 * item a patient again); emits #DensitoPatient::changed when that changes
 * what it shows.
 */
void
densito_patient_set_row (DensitoPatient *self,
                         guint           row)
{
  g_return_if_fail (DENSITO_IS_PATIENT (self));

  if (self->row == row && !self->vacant)
    return;
  self->row = row;
  self->vacant = FALSE;
  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * densito_patient_set_vacant:
 *
 * Marks the item as a list position past the end of the list, which the
 * list view shows as an empty row for a frame (see
 * densito-list-selection.c); emits #DensitoPatient::changed when it was
 * not. Its accessors still read its last row; densito_patient_set_row()
 * ends it.
 */
void
densito_patient_set_vacant (DensitoPatient *self)
{
  g_return_if_fail (DENSITO_IS_PATIENT (self));

  if (self->vacant)
    return;
  self->vacant = TRUE;
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
densito_patient_get_vacant (DensitoPatient *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), FALSE);
  return self->vacant;
}

void
densito_patient_changed (DensitoPatient *self)
{
  g_return_if_fail (DENSITO_IS_PATIENT (self));
  g_signal_emit (self, signals[CHANGED], 0);
}

DensitoDataset *
densito_patient_get_dataset (DensitoPatient *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), NULL);
  return self->dataset;
}

const char *
densito_patient_get_id (DensitoPatient *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), NULL);
  return densito_table_get_id (densito_dataset_get_table (self->dataset), self->row);
}

/**
 * densito_patient_get_text:
 * @buf: room for the text, when it is not a string that lives on
 *
 * The text the list shows for this patient in one column, read directly
 * (the matching properties give the same).
 *
 * Returns: (transfer none): the text: @buf, or a string that lives as long
 *   as the dataset does (do not keep it)
 */
const char *
densito_patient_get_text (DensitoPatient     *self,
                          DensitoPatientText  text,
                          char                buf[DENSITO_PATIENT_TEXT_BUF])
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), "");
  return get_text (self, text, buf);
}

/* The WHO class of one site's T-score, which colours its cell (the same
 * as the spine-css, hip-css and neck-css properties). */
DensitoClass
densito_patient_get_site_class (DensitoPatient *self,
                                DensitoSite     site)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), DENSITO_CLASS_MISSING);
  g_return_val_if_fail (site < DENSITO_N_SITES, DENSITO_CLASS_MISSING);
  return densito_table_get_site_class (densito_dataset_get_table (self->dataset), self->row, site);
}

/**
 * densito_patient_get_class_not_applicable:
 *
 * Returns: %TRUE when the patient has a WHO class from T-scores but the
 *   T-score categories do not apply (ISCD: a man under 50, a woman before
 *   menopause); the list shows that class apart
 */
gboolean
densito_patient_get_class_not_applicable (DensitoPatient *self)
{
  DensitoTable *table;
  DensitoClass klass;

  g_return_val_if_fail (DENSITO_IS_PATIENT (self), FALSE);
  table = densito_dataset_get_table (self->dataset);
  klass = densito_table_get_class (table, self->row, NULL);
  return (klass == DENSITO_CLASS_NORMAL || klass == DENSITO_CLASS_OSTEOPENIA || klass == DENSITO_CLASS_OSTEOPOROSIS) &&
         densito_table_get_applicability (table, self->row, NULL) == DENSITO_APPLICABLE_NO;
}

/* The site's T-score cell holds something that is not a number. */
gboolean
densito_patient_get_site_unreadable (DensitoPatient *self,
                                     DensitoSite     site)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), FALSE);
  g_return_val_if_fail (site < DENSITO_N_SITES, FALSE);
  return densito_table_get_unreadable (densito_dataset_get_table (self->dataset), self->row, t_fields[site]) != NULL;
}

gboolean
densito_patient_get_label_disagrees (DensitoPatient *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT (self), FALSE);
  return densito_table_get_agreement (densito_dataset_get_table (self->dataset), self->row) == DENSITO_AGREES_NO;
}
