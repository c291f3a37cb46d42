import { AwsError, field, validation, type AwsJsonService } from '../aws-json-protocol';
import {
  NonRetryableDeliveryError,
  type BusTarget,
  type DeadLetterHandler,
  type DeliveryContext,
  type LocalEventBus,
  type PutEventsEntry,
  type RetryPolicy,
  type RuleInfo,
  type RuleState,
  type TargetInfo,
} from './event-bus';

/**
 * The EventBridge API subset the local cloud serves (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Op>`)
 * over one LocalEventBus: PutEvents, PutRule, PutTargets, RemoveTargets, ListRules, DescribeRule,
 * DeleteRule, ListTargetsByRule, EnableRule, DisableRule. Target ARNs (e.g. Lambda functions) are
 * resolved through a callback at each delivery, so a target may name a function created later; an
 * ARN that still resolves to nothing fails the delivery without retries, straight to the DLQ.
 */

export type TargetInvoker = (payload: unknown, context: DeliveryContext) => unknown;

export interface EventBridgeServiceOptions {
  bus: LocalEventBus;
  /** The invoker for a target ARN, or undefined when nothing by that ARN exists. */
  resolveTarget(arn: string): TargetInvoker | undefined;
  /** The handler for a DeadLetterConfig ARN (an SQS queue on AWS). */
  resolveDeadLetter?(arn: string): DeadLetterHandler | undefined;
}

type Input = Record<string, unknown>;

export function eventBridgeService(options: EventBridgeServiceOptions): AwsJsonService {
  const { bus } = options;

  const requireBus = (input: Input, name = 'EventBusName'): void => {
    const busName = field.string(input, name, { min: 1, max: 1600 });
    if (!bus.isThisBus(busName))
      throw new AwsError('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
  };

  const ruleName = (input: Input, name: string) =>
    field.string(input, name, { required: true, min: 1, max: 64 }) as string;

  const toTarget = (raw: unknown): BusTarget => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new AwsError('SerializationException', 'Targets must be a list of objects');
    }
    const t = raw as Input;
    const id = field.string(t, 'Id', { required: true, min: 1, max: 64 }) as string;
    const arn = field.string(t, 'Arn', { required: true, min: 1, max: 1600 }) as string;
    const input = field.string(t, 'Input', { max: 8192 });
    const inputPath = field.string(t, 'InputPath', { max: 256 });
    for (const unsupported of ['InputTransformer', 'SqsParameters', 'EcsParameters', 'HttpParameters']) {
      if (t[unsupported] !== undefined && t[unsupported] !== null) {
        throw validation(`${unsupported} (target ${id}) is not supported by the local emulator.`);
      }
    }
    const retry = t.RetryPolicy as Input | undefined;
    let retryPolicy: RetryPolicy | undefined;
    if (retry !== undefined && retry !== null) {
      retryPolicy = {};
      const attempts = field.number(retry, 'MaximumRetryAttempts');
      const age = field.number(retry, 'MaximumEventAgeInSeconds');
      if (attempts !== undefined) retryPolicy.MaximumRetryAttempts = attempts;
      if (age !== undefined) retryPolicy.MaximumEventAgeInSeconds = age;
    }
    const dlqConfig = t.DeadLetterConfig as Input | undefined;
    const deadLetterArn = dlqConfig ? field.string(dlqConfig, 'Arn', { min: 1, max: 1600 }) : undefined;
    const target: BusTarget = {
      id,
      arn,
      deliver: (payload, context) => {
        const invoke = options.resolveTarget(arn);
        if (!invoke)
          throw new NonRetryableDeliveryError('ResourceNotFoundException', `Target ${arn} does not exist.`);
        return invoke(payload, context);
      },
      ...(input !== undefined ? { input } : {}),
      ...(inputPath !== undefined ? { inputPath } : {}),
      ...(retryPolicy ? { retryPolicy } : {}),
    };
    if (deadLetterArn !== undefined) {
      target.deadLetterArn = deadLetterArn;
      target.deadLetter = (record) => {
        const handler = options.resolveDeadLetter?.(deadLetterArn);
        if (!handler) throw new Error(`Dead-letter queue ${deadLetterArn} does not exist.`);
        return handler(record);
      };
    }
    return target;
  };

  const ruleSummary = (r: RuleInfo) => ({
    Name: r.name,
    Arn: r.arn,
    ...(r.eventPattern !== undefined ? { EventPattern: r.eventPattern } : {}),
    ...(r.scheduleExpression !== undefined ? { ScheduleExpression: r.scheduleExpression } : {}),
    State: r.state,
    ...(r.description !== undefined ? { Description: r.description } : {}),
    EventBusName: r.eventBusName,
  });

  const targetSummary = (t: TargetInfo) => ({
    Id: t.id,
    Arn: t.arn,
    ...(t.input !== undefined ? { Input: t.input } : {}),
    ...(t.inputPath !== undefined ? { InputPath: t.inputPath } : {}),
    ...(t.retryPolicy !== undefined ? { RetryPolicy: t.retryPolicy } : {}),
    ...(t.deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: t.deadLetterArn } } : {}),
  });

  /** NextToken is the offset of the next page, opaque to clients. */
  const page = <T>(items: T[], input: Input) => {
    const limit = field.number(input, 'Limit', { min: 1, max: 100 }) ?? 100;
    const token = field.string(input, 'NextToken', { min: 1, max: 2048 });
    const start = token === undefined ? 0 : Number.parseInt(Buffer.from(token, 'base64url').toString(), 10);
    if (!Number.isInteger(start) || start < 0) throw validation('The NextToken is not valid.');
    const slice = items.slice(start, start + limit);
    const next =
      start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
    return { slice, next };
  };

  return {
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    operations: {
      PutEvents(input) {
        const raw = input.Entries;
        if (raw === undefined || raw === null) {
          throw validation(
            "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
          );
        }
        if (
          !Array.isArray(raw) ||
          !raw.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))
        ) {
          throw new AwsError('SerializationException', 'Entries must be a list of objects');
        }
        return bus.putEvents(raw as PutEventsEntry[]);
      },

      PutRule(input) {
        requireBus(input);
        const name = ruleName(input, 'Name');
        const eventPattern = field.string(input, 'EventPattern', { max: 4096 });
        const scheduleExpression = field.string(input, 'ScheduleExpression', { max: 256 });
        const state = field.string(input, 'State') as RuleState | undefined;
        const description = field.string(input, 'Description', { max: 512 });
        const rule = bus.putRule({
          name,
          ...(eventPattern !== undefined ? { eventPattern } : {}),
          ...(scheduleExpression !== undefined ? { scheduleExpression } : {}),
          ...(state !== undefined ? { state } : {}),
          ...(description !== undefined ? { description } : {}),
        });
        return { RuleArn: rule.arn };
      },

      PutTargets(input) {
        requireBus(input);
        const name = ruleName(input, 'Rule');
        const raw = input.Targets;
        if (!Array.isArray(raw)) {
          throw validation(
            "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null",
          );
        }
        bus.putTargets(name, raw.map(toTarget));
        return { FailedEntryCount: 0, FailedEntries: [] };
      },

      RemoveTargets(input) {
        requireBus(input);
        const name = ruleName(input, 'Rule');
        const ids = field.stringList(input, 'Ids', { required: true, min: 1, max: 100 }) as string[];
        bus.removeTargets(name, ids);
        return { FailedEntryCount: 0, FailedEntries: [] };
      },

      ListRules(input) {
        requireBus(input);
        const prefix = field.string(input, 'NamePrefix', { min: 1, max: 64 }) ?? '';
        const { slice, next } = page(bus.listRules(prefix), input);
        return { Rules: slice.map(ruleSummary), ...(next ? { NextToken: next } : {}) };
      },

      DescribeRule(input) {
        requireBus(input);
        const rule = bus.describeRule(ruleName(input, 'Name'));
        return { ...ruleSummary(rule), CreatedBy: bus.account };
      },

      DeleteRule(input) {
        requireBus(input);
        bus.deleteRule(ruleName(input, 'Name'), { force: field.boolean(input, 'Force') ?? false });
        return {};
      },

      ListTargetsByRule(input) {
        requireBus(input);
        const { slice, next } = page(bus.listTargets(ruleName(input, 'Rule')), input);
        return { Targets: slice.map(targetSummary), ...(next ? { NextToken: next } : {}) };
      },

      EnableRule(input) {
        requireBus(input);
        bus.setRuleState(ruleName(input, 'Name'), 'ENABLED');
        return {};
      },

      DisableRule(input) {
        requireBus(input);
        bus.setRuleState(ruleName(input, 'Name'), 'DISABLED');
        return {};
      },
    },
  };
}
