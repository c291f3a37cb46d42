import Ajv, { type ValidateFunction } from 'ajv-draft-04';
import { headerValues, queryValues, type GatewayRequest } from './http-request';
import { restError, type GatewayResponse } from './responses';
import type { RouteMatch } from './router';

/**
 * REST API request validation (a SAM `RequestModel` with `ValidateBody` / `ValidateParameters`):
 * API Gateway checks the required request parameters first, then the body against the model's
 * JSON schema (draft-04), and answers 400 without calling the integration. The messages are API
 * Gateway's ("Test basic request validation in API Gateway"): `Missing required request
 * parameters: [q1, h1]` and `Invalid request body`.
 */

const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    // API Gateway models carry their own $schema / id; compile each one standalone.
    const standalone = { ...schema };
    delete standalone.$schema;
    delete standalone.id;
    fn = ajv.compile(standalone);
    compiled.set(schema, fn);
  }
  return fn;
}

/** Compiles a model up front (so a broken schema is a start-up error, not a request-time one). */
export function compileModel(schema: Record<string, unknown>): void {
  validatorFor(schema);
}

export const REST_BAD_BODY = () => restError(400, 'Invalid request body', 'BadRequestException');
export const REST_BAD_PARAMETERS = (names: string[]) =>
  restError(400, `Missing required request parameters: [${names.join(', ')}]`, 'BadRequestException');

/** The names of required parameters that are absent or empty. */
export function missingParameters(match: RouteMatch, req: GatewayRequest): string[] {
  const missing: string[] = [];
  for (const p of match.route.requestParameters) {
    if (!p.required) continue;
    let present: boolean;
    if (p.location === 'header') present = headerValues(req, p.name).some((v) => v.trim() !== '');
    else if (p.location === 'querystring') present = queryValues(req, p.name).some((v) => v !== '');
    else present = (match.pathParameters[p.name] ?? '') !== '';
    if (!present) missing.push(p.name);
  }
  return missing;
}

/** Whether the body satisfies the route's model (an absent body passes unless the model is Required). */
export function bodyIsValid(schema: Record<string, unknown>, required: boolean, body: Buffer): boolean {
  if (body.length === 0) return !required;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return false;
  }
  return validatorFor(schema)(parsed) === true;
}

/** The 400 answer for a request that fails the route's validator, or undefined when it passes. */
export function validateRequest(match: RouteMatch, req: GatewayRequest): GatewayResponse | undefined {
  const model = match.route.requestModel;
  if (!model) return undefined;
  if (model.validateParameters) {
    const missing = missingParameters(match, req);
    if (missing.length) return REST_BAD_PARAMETERS(missing);
  }
  if (model.validateBody && !bodyIsValid(model.schema, model.required, req.body)) return REST_BAD_BODY();
  return undefined;
}
