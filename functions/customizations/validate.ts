import Ajv from 'ajv-draft-04';
import schema from './customization-post.schema.json';

/**
 * The CustomizationPost model, checked again inside the function with the same JSON schema
 * (draft-04, as API Gateway models are) the REST API's request validator uses: the function stays
 * safe when it is invoked some other way, or the API's validator is switched off.
 */
export interface Customization {
  imageUrl: string;
  sock: string;
  horn: string;
  glasses: string;
  cape: string;
  name: string;
}

/** Bodies above this are refused before parsing (the WAF rule uses the same limit). */
export const MAX_BODY_BYTES = 8 * 1024;

export type Validation = { ok: true; value: Customization } | { ok: false; errors: string[] };

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
// API Gateway models name their draft in $schema; ajv-draft-04 knows it already.
const standalone: Record<string, unknown> = { ...schema };
delete standalone.$schema;
const validateModel = ajv.compile<Customization>(standalone);

/** Parses and validates a request body; every failure is a message fit for a 400 answer. */
export function validateBody(body: unknown, isBase64Encoded: boolean): Validation {
  if (body === null || body === undefined || body === '')
    return { ok: false, errors: ['a JSON body is required'] };
  // A direct invoke can pass anything: only API Gateway's string form is a body.
  if (typeof body !== 'string') return { ok: false, errors: ['the body must be a JSON string'] };
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    return { ok: false, errors: [`the body is larger than ${MAX_BODY_BYTES} bytes`] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, errors: ['the body is not valid JSON'] };
  }
  if (!validateModel(parsed)) {
    return {
      ok: false,
      errors: (validateModel.errors ?? []).map(
        (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
      ),
    };
  }
  // Only the model's fields go on: whatever else the caller sent is dropped.
  const { imageUrl, sock, horn, glasses, cape, name } = parsed;
  return { ok: true, value: { imageUrl, sock, horn, glasses, cape, name } };
}
