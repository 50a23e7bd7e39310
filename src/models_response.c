/*-------------------------------------------------------------------------
 *
 * src/models_response.c
 *		The response models of the campaigns API, each described once.
 *
 *-------------------------------------------------------------------------
 */
#include "models.h"

const ModelField *const response_schemas[] = {NULL};
const int n_response_schemas = 0;
