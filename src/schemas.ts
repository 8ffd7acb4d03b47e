// Schemas shared by several routes. Every route declares its responses so that the OpenAPI
// document is complete and Fastify serialises replies fast and without leaking extra fields.
import { Type, type Static } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status code, repeated.' }),
    error: Type.String({ description: 'The status text, for example "Bad Request".' }),
    message: Type.String({ description: 'What went wrong, in one line.' }),
    requestId: Type.String({ description: 'The x-request-id of this request.' }),
  },
  { $id: 'ErrorResponse', description: 'The one shape of every error answer.' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** A reference usable in route response maps once ErrorResponse is added with addSchema. */
export const ErrorRef = Type.Ref('ErrorResponse');
