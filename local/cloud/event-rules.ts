import { withGlobals } from '../template/sam-globals';
import { isObject, resourcesOfType, type Template } from '../template/template';
import type { ValueResolver } from '../sandbox/function-config';

/** An EventBridge rule a SAM `Schedule` or `EventBridgeRule` event creates, targeting its function. */
export interface TemplateRule {
  name: string;
  functionId: string;
  scheduleExpression?: string;
  eventPattern?: unknown;
  input?: string;
  enabled: boolean;
  retryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

/** Rule names as SAM derives them: `<Function><Event>`, unless the event names its rule. */
export function rulesFromTemplate(template: Template, resolve: ValueResolver): TemplateRule[] {
  const rules: TemplateRule[] = [];
  for (const [id, resource] of resourcesOfType(template, 'AWS::Serverless::Function')) {
    const props = withGlobals(template, 'Function', resource.Properties);
    for (const [eventName, event] of Object.entries(isObject(props.Events) ? props.Events : {})) {
      if (!isObject(event) || !isObject(event.Properties)) continue;
      const p = event.Properties;
      const where = `Resources.${id}.Properties.Events.${eventName}.Properties`;
      const state = p.State ?? (p.Enabled === false ? 'DISABLED' : 'ENABLED');
      const common = {
        name:
          typeof p.RuleName === 'string'
            ? p.RuleName
            : typeof p.Name === 'string'
              ? p.Name
              : `${id}${eventName}`,
        functionId: id,
        enabled: resolve(state, `${where}.State`) !== 'DISABLED',
        ...(p.Input !== undefined ? { input: resolve(p.Input, `${where}.Input`) } : {}),
        ...(isObject(p.RetryPolicy) ? { retryPolicy: p.RetryPolicy as TemplateRule['retryPolicy'] } : {}),
      };
      if (event.Type === 'Schedule') {
        rules.push({ ...common, scheduleExpression: resolve(p.Schedule, `${where}.Schedule`) });
      } else if (event.Type === 'EventBridgeRule' || event.Type === 'CloudWatchEvent') {
        rules.push({ ...common, eventPattern: p.Pattern });
      }
    }
  }
  return rules;
}

/** Function event types the local cloud delivers: API routes (gateway), rules and schedules, SQS. */
export const DELIVERED_EVENT_TYPES = [
  'Api',
  'HttpApi',
  'Schedule',
  'EventBridgeRule',
  'CloudWatchEvent',
  'SQS',
];

/**
 * One line per function event the local cloud does not deliver (S3, SNS, Kinesis, DynamoDB streams…),
 * naming it and what to do instead: the function still runs, nothing triggers it that way locally.
 */
export function undeliveredEvents(template: Template): string[] {
  const lines: string[] = [];
  for (const [id, resource] of resourcesOfType(template, 'AWS::Serverless::Function')) {
    const props = withGlobals(template, 'Function', resource.Properties);
    for (const [name, event] of Object.entries(isObject(props.Events) ? props.Events : {})) {
      const type = isObject(event) ? String(event.Type) : 'unknown';
      if (DELIVERED_EVENT_TYPES.includes(type)) continue;
      lines.push(
        `Resources.${id}.Properties.Events.${name}: ${type} events are not delivered by the local cloud (it delivers ${DELIVERED_EVENT_TYPES.join(', ')}); invoke ${id} with a sample event instead`,
      );
    }
  }
  // The local Secrets Manager rotates when RotateSecret is called, never on a schedule.
  for (const [id] of resourcesOfType(template, 'AWS::SecretsManager::RotationSchedule')) {
    lines.push(
      `Resources.${id}: scheduled rotations do not run in the local cloud; call RotateSecret (aws secretsmanager rotate-secret) to rotate now (--smoke does, with a database)`,
    );
  }
  return lines;
}
