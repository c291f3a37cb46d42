import { unqualifiedName } from './function-ref';

/**
 * What an invocation asks for: a full sync (the schedule, or a manual `{"sync":"full"}`), the
 * reconciliation of one function (a CloudTrail Lambda API event), or nothing (a failed call, an
 * event name that does not change registrations).
 */

export type Trigger =
  | { kind: 'full'; dryRun: boolean }
  | { kind: 'function'; functionName: string; eventName: string; dryRun: boolean }
  | { kind: 'skip'; reason: string };

export class TriggerError extends Error {
  override name = 'TriggerError';
}

/**
 * Every eventName CloudTrail has used for the calls that change what the registrator registers:
 * the versioned names Lambda logs today and the plain ones older trails and the original accepted.
 */
const EVENT_NAMES: Record<string, string> = Object.fromEntries(
  (
    [
      ['CreateFunction', ['CreateFunction20150331', 'CreateFunction']],
      ['DeleteFunction', ['DeleteFunction20150331', 'DeleteFunction']],
      ['TagResource', ['TagResource20170331v2', 'TagResource20170331', 'TagResource']],
      ['UntagResource', ['UntagResource20170331v2', 'UntagResource20170331', 'UntagResource']],
      ['CreateAlias', ['CreateAlias20150331', 'CreateAlias']],
      ['UpdateAlias', ['UpdateAlias20150331', 'UpdateAlias']],
      ['DeleteAlias', ['DeleteAlias20150331', 'DeleteAlias']],
      [
        'UpdateFunctionConfiguration',
        [
          'UpdateFunctionConfiguration20150331v2',
          'UpdateFunctionConfiguration20150331',
          'UpdateFunctionConfiguration',
        ],
      ],
    ] as const
  ).flatMap(([op, names]) => names.map((n) => [n, op])),
);

/** The eventName values the CloudTrail rule matches (template.yaml and serverless.yml use them). */
export const CLOUDTRAIL_EVENT_NAMES = Object.keys(EVENT_NAMES);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function triggerOf(event: unknown, dryRunDefault: boolean): Trigger {
  if (!isObject(event)) throw new TriggerError('event: expected a JSON object (an EventBridge event)');
  const detail = isObject(event.detail) ? event.detail : {};
  const dryRun = flag(event.dryRun ?? detail.dryRun, dryRunDefault);
  if (event.sync === 'full') return { kind: 'full', dryRun };
  if (event.source === 'aws.events') return { kind: 'full', dryRun };
  if (event.source !== 'aws.lambda')
    throw new TriggerError(
      `event.source: "${String(event.source)}" is neither aws.events (the schedule) nor aws.lambda ` +
        '(CloudTrail); invoke with {"sync":"full"} for a manual full sync',
    );
  if (!isObject(event.detail)) throw new TriggerError('event.detail: missing; expected a CloudTrail record');
  const eventName = String(detail.eventName ?? '');
  const op = EVENT_NAMES[eventName];
  if (!op) return { kind: 'skip', reason: `eventName "${eventName}" does not change registrations` };
  if (typeof detail.errorCode === 'string' && detail.errorCode !== '')
    return { kind: 'skip', reason: `${eventName} failed (${detail.errorCode}); nothing changed` };
  const functionName = functionNameOf(detail);
  if (!functionName)
    throw new TriggerError(`event.detail: ${eventName} names no function (requestParameters)`);
  return { kind: 'function', functionName, eventName, dryRun };
}

/**
 * The unqualified function name a record is about: create answers with `functionArn`, tag / untag
 * name a `resource` ARN, the others a `functionName` (a name, a partial or a full ARN, maybe with
 * a qualifier).
 */
function functionNameOf(detail: Json): string | undefined {
  const request = isObject(detail.requestParameters) ? detail.requestParameters : {};
  const response = isObject(detail.responseElements) ? detail.responseElements : {};
  const ref = [response.functionArn, request.resource, request.functionName].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  return ref === undefined ? undefined : unqualifiedName(ref);
}

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new TriggerError(`dryRun: "${String(value)}" is not true or false`);
}
