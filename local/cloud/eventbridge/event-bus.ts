import { randomUUID } from 'node:crypto';
import { AwsError, validation } from '../aws-json-protocol';
import { compilePattern, InvalidEventPatternError, type CompiledPattern } from './event-pattern';
import { parseScheduleExpression, ScheduleExpressionError, type Schedule } from './schedule-expression';
import { LOCAL_ACCOUNT_ID } from '../../local-account';

/**
 * One EventBridge event bus for the local cloud: pattern rules matched against every event put on
 * it (PutEvents) or published by the platform (e.g. CloudTrail "AWS API Call via CloudTrail"
 * events), schedule rules firing "Scheduled Event"s, and asynchronous delivery to targets with the
 * target's retry policy (exponential back-off with jitter), then an optional dead-letter handler.
 *
 * Time comes from an injectable clock so tests can drive cron schedules without waiting; the
 * system clock's timers are unref'd, and `close()` cancels every timer.
 */

// ---------------------------------------------------------------------------------------------
// Clock

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `delayMs` (negative = as soon as possible). */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
}

/** setTimeout can't wait more than about 24.8 days; longer waits are re-armed in steps. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Real time; its timers never keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const due = Date.now() + Math.max(0, delayMs);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const remaining = due - Date.now();
      const clamped = remaining > MAX_TIMEOUT_MS;
      timer = setTimeout(clamped ? arm : callback, clamped ? MAX_TIMEOUT_MS : Math.max(0, remaining));
      timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

// ---------------------------------------------------------------------------------------------
// Public types

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
const RULE_STATES: readonly RuleState[] = [
  'ENABLED',
  'DISABLED',
  'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
];

/** The event as EventBridge delivers it to targets. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** A platform event for `publish`: the envelope's defaults (id, time, account, region, …) are filled in. */
export type PublishInput = Pick<EventEnvelope, 'source' | 'detail-type' | 'detail'> &
  Partial<Omit<EventEnvelope, 'source' | 'detail-type' | 'detail'>>;

/** Target retry settings, as PutTargets' RetryPolicy. */
export interface RetryPolicy {
  /** 0-185; default 185. */
  MaximumRetryAttempts?: number;
  /** 60-86400; default 86400 (24 hours). */
  MaximumEventAgeInSeconds?: number;
}

export interface DeliveryContext {
  ruleName: string;
  ruleArn: string;
  targetId: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** The event that matched (or the scheduled event), whatever payload the target gets. */
  event: EventEnvelope;
}

/** What a dead-letter handler receives (the attributes EventBridge puts on a DLQ message). */
export interface DeadLetterRecord {
  /** The payload the target would have received. */
  payload: unknown;
  event: EventEnvelope;
  ruleName: string;
  ruleArn: string;
  targetId: string;
  targetArn?: string;
  errorCode: string;
  errorMessage: string;
  /** Which limit ended the retries; absent when the error was not retryable. */
  exhaustedRetryCondition?: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';
  retryAttempts: number;
}

export type DeadLetterHandler = (record: DeadLetterRecord) => void | Promise<void>;

export interface BusTarget {
  /** 1-64 characters of `[.\-_A-Za-z0-9]`, unique within the rule. */
  id: string;
  /** Receives the event (or Input / InputPath result); throwing or rejecting fails the attempt. */
  deliver(payload: unknown, context: DeliveryContext): unknown;
  /** Informational (ListTargetsByRule), e.g. the Lambda function ARN. */
  arn?: string;
  /** JSON text delivered instead of the event (PutTargets Input, SAM Schedule Input). */
  input?: string;
  /** `$` or `$.a.b`: the part of the event delivered (PutTargets InputPath). */
  inputPath?: string;
  retryPolicy?: RetryPolicy;
  deadLetter?: DeadLetterHandler;
  /** Informational: the DeadLetterConfig ARN the handler stands for. */
  deadLetterArn?: string;
}

export interface PutRuleInput {
  /** 1-64 characters of `[.\-_A-Za-z0-9]`. */
  name: string;
  /** Object or JSON text. At least one of eventPattern / scheduleExpression. */
  eventPattern?: unknown;
  scheduleExpression?: string;
  /** Default ENABLED. */
  state?: RuleState;
  description?: string;
  /** Replaces the rule's targets when given; an update without it keeps them (as PutRule does). */
  targets?: BusTarget[];
  /** Defaults for targets that don't set their own. */
  retryPolicy?: RetryPolicy;
  deadLetter?: DeadLetterHandler;
  input?: string;
}

export interface TargetInfo {
  id: string;
  arn?: string;
  input?: string;
  inputPath?: string;
  retryPolicy?: RetryPolicy;
  deadLetterArn?: string;
}

export interface RuleInfo {
  name: string;
  arn: string;
  eventBusName: string;
  /** As JSON text, the way DescribeRule returns it. */
  eventPattern?: string;
  scheduleExpression?: string;
  state: RuleState;
  description?: string;
  targets: TargetInfo[];
  /** ISO time of the next scheduled fire, if the rule is an enabled schedule rule. */
  nextFireTime?: string;
}

/** A PutEvents request entry (the SDK's field names). */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  /** JSON text of an object. */
  Detail?: string;
  Resources?: string[];
  /** A Date, epoch seconds (the JSON protocol's form) or an ISO string; default now. */
  Time?: Date | number | string;
  EventBusName?: string;
  TraceHeader?: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface RuleStats {
  matched: number;
  fired: number;
  invocations: number;
  delivered: number;
  failedInvocations: number;
  retries: number;
  deadLettered: number;
  dropped: number;
}

export interface BusStats {
  rules: number;
  eventsAccepted: number;
  eventsRejected: number;
  published: number;
  scheduledFires: number;
  matches: number;
  invocations: number;
  delivered: number;
  failedInvocations: number;
  retries: number;
  deadLettered: number;
  deadLetterFailures: number;
  dropped: number;
  /** Deliveries under way or waiting for a retry. */
  pending: number;
  byRule: Record<string, RuleStats>;
}

export interface LocalEventBusOptions {
  /** Default `default`. */
  name?: string;
  account?: string;
  region?: string;
  clock?: Clock;
  /** Jitter source in [0, 1); injectable for deterministic tests. */
  random?: () => number;
  /** Retry n waits between half and all of min(maxMs, baseMs * 2^(n-1)). Defaults 1 s and 5 min. */
  retryBackoff?: { baseMs?: number; maxMs?: number };
  /** PutEvents' limit on the total entry size (bytes); default 256 KiB. */
  maxRequestBytes?: number;
  logger?: { warn(message: string): void };
}

/** Throw this (or any error with `retryable: false`) from `deliver` to skip the retries. */
export class NonRetryableDeliveryError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

// ---------------------------------------------------------------------------------------------

const NAME_PATTERN = /^[.\-_A-Za-z0-9]+$/;
const INPUT_PATH = /^\$(\.[^.[\]\s]+)*$/;
const MAX_TARGETS_PER_RULE = 5;
const DEFAULT_RETRY: Required<RetryPolicy> = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

interface Rule {
  name: string;
  arn: string;
  patternText?: string;
  pattern?: CompiledPattern;
  scheduleExpression?: string;
  schedule?: Schedule;
  /** Rate schedules count their periods from here (the rule's creation or its last schedule change). */
  scheduleStart: number;
  state: RuleState;
  description?: string;
  targets: Map<string, BusTarget>;
  retryPolicy?: RetryPolicy;
  deadLetter?: DeadLetterHandler;
  input?: string;
  timer?: TimerHandle;
  nextFire?: number;
  stats: RuleStats;
}

interface Delivery {
  rule: Rule;
  target: BusTarget;
  event: EventEnvelope;
  payload: unknown;
  ingestedAt: number;
  attempt: number;
  policy: Required<RetryPolicy>;
  timer?: TimerHandle;
}

const emptyRuleStats = (): RuleStats => ({
  matched: 0,
  fired: 0,
  invocations: 0,
  delivered: 0,
  failedInvocations: 0,
  retries: 0,
  deadLettered: 0,
  dropped: 0,
});

/** EventBridge's event time format: seconds precision, `Z`. */
export const eventTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class LocalEventBus {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly arn: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRequestBytes: number;
  private readonly logger?: { warn(message: string): void };
  private readonly rules = new Map<string, Rule>();
  private readonly deliveries = new Set<Delivery>();
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly counters = {
    eventsAccepted: 0,
    eventsRejected: 0,
    published: 0,
    scheduledFires: 0,
    matches: 0,
    invocations: 0,
    delivered: 0,
    failedInvocations: 0,
    retries: 0,
    deadLettered: 0,
    deadLetterFailures: 0,
    dropped: 0,
  };
  /** Stats of deleted rules stay visible under their name. */
  private readonly ruleStats = new Map<string, RuleStats>();

  constructor(options: LocalEventBusOptions = {}) {
    this.name = options.name ?? 'default';
    this.account = options.account ?? LOCAL_ACCOUNT_ID;
    this.region = options.region ?? 'us-east-1';
    this.arn = `arn:aws:events:${this.region}:${this.account}:event-bus/${this.name}`;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoffBaseMs = options.retryBackoff?.baseMs ?? 1_000;
    this.backoffMaxMs = options.retryBackoff?.maxMs ?? 300_000;
    this.maxRequestBytes = options.maxRequestBytes ?? 256 * 1024;
    this.logger = options.logger;
  }

  /** The ARN EventBridge gives a rule on this bus. */
  ruleArn(name: string): string {
    const path = this.name === 'default' ? name : `${this.name}/${name}`;
    return `arn:aws:events:${this.region}:${this.account}:rule/${path}`;
  }

  /** Whether `nameOrArn` (an EventBusName parameter) designates this bus; undefined means the default bus. */
  isThisBus(nameOrArn: string | undefined): boolean {
    return (nameOrArn ?? 'default') === this.name || nameOrArn === this.arn;
  }

  // --- rules ----------------------------------------------------------------------------------

  /** Creates or replaces a rule (PutRule). Throws AwsError with EventBridge's codes when invalid. */
  putRule(input: PutRuleInput): RuleInfo {
    this.assertOpen();
    const name = checkName(input.name, 'name');
    if (input.eventPattern === undefined && input.scheduleExpression === undefined) {
      throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    const state = input.state ?? 'ENABLED';
    if (!RULE_STATES.includes(state)) {
      throw validation(
        `1 validation error detected: Value '${String(state)}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`,
      );
    }
    let pattern: CompiledPattern | undefined;
    let patternText: string | undefined;
    if (input.eventPattern !== undefined) {
      try {
        pattern = compilePattern(input.eventPattern);
      } catch (e) {
        if (e instanceof InvalidEventPatternError) throw new AwsError(e.code, e.message);
        throw e;
      }
      patternText =
        typeof input.eventPattern === 'string' ? input.eventPattern : JSON.stringify(input.eventPattern);
    }
    let schedule: Schedule | undefined;
    if (input.scheduleExpression !== undefined) {
      if (this.name !== 'default') {
        throw validation('ScheduleExpression is supported only on the default event bus.');
      }
      try {
        schedule = parseScheduleExpression(input.scheduleExpression);
      } catch (e) {
        if (e instanceof ScheduleExpressionError) throw validation(e.message);
        throw e;
      }
    }
    if (input.retryPolicy) checkRetryPolicy(input.retryPolicy);
    if (input.input !== undefined) checkInput(input.input, 'Input');
    const targets = input.targets ? this.checkTargets(input.targets, new Map()) : undefined;

    const existing = this.rules.get(name);
    existing?.timer?.cancel();
    const now = this.clock.now();
    const stats = this.ruleStats.get(name) ?? emptyRuleStats();
    this.ruleStats.set(name, stats);
    const rule: Rule = {
      name,
      arn: this.ruleArn(name),
      patternText,
      pattern,
      scheduleExpression: input.scheduleExpression,
      schedule,
      scheduleStart:
        existing && existing.scheduleExpression === input.scheduleExpression ? existing.scheduleStart : now,
      state,
      description: input.description,
      targets: targets ?? existing?.targets ?? new Map(),
      retryPolicy: input.retryPolicy,
      deadLetter: input.deadLetter,
      input: input.input,
      stats,
    };
    this.rules.set(name, rule);
    this.armSchedule(rule);
    return this.info(rule);
  }

  /** Adds or replaces targets by id (PutTargets). */
  putTargets(ruleName: string, targets: BusTarget[]): void {
    this.assertOpen();
    const rule = this.requireRule(ruleName);
    if (targets.length === 0) {
      throw validation(
        "1 validation error detected: Value '[]' at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const merged = this.checkTargets(targets, rule.targets);
    rule.targets = merged;
  }

  /** Removes targets by id (RemoveTargets); ids the rule doesn't have are ignored. Returns the ids removed. */
  removeTargets(ruleName: string, ids: string[]): string[] {
    const rule = this.requireRule(ruleName);
    return ids.filter((id) => rule.targets.delete(id));
  }

  /** DeleteRule: a rule with targets needs `force`; deleting an absent rule is a no-op, as on AWS. */
  deleteRule(name: string, options: { force?: boolean } = {}): void {
    const rule = this.rules.get(name);
    if (!rule) return;
    if (rule.targets.size > 0 && !options.force) {
      throw validation("Rule can't be deleted since it has targets.");
    }
    rule.timer?.cancel();
    this.rules.delete(name);
  }

  /** Enables or disables a rule (EnableRule / DisableRule). */
  setRuleState(name: string, state: 'ENABLED' | 'DISABLED'): void {
    const rule = this.requireRule(name);
    rule.state = state;
    this.armSchedule(rule);
  }

  describeRule(name: string): RuleInfo {
    return this.info(this.requireRule(name));
  }

  listRules(namePrefix = ''): RuleInfo[] {
    return [...this.rules.values()]
      .filter((r) => r.name.startsWith(namePrefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((r) => this.info(r));
  }

  listTargets(ruleName: string): TargetInfo[] {
    return this.info(this.requireRule(ruleName)).targets;
  }

  // --- events ---------------------------------------------------------------------------------

  /** PutEvents: validates each entry, routes the good ones, reports per-entry results in order. */
  putEvents(entries: PutEventsEntry[]): PutEventsResult {
    this.assertOpen();
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      const n = Array.isArray(entries) ? entries.length : 0;
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${n < 1 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
      );
    }
    const size = entries.reduce((sum, e) => sum + entrySize(e), 0);
    if (size > this.maxRequestBytes) {
      throw validation('Total size of the entries in the request is over the limit.');
    }
    const results = entries.map((entry) => this.putEntry(entry));
    const failed = results.filter((r) => r.ErrorCode !== undefined).length;
    return { FailedEntryCount: failed, Entries: results };
  }

  /** Puts a platform-originated event (e.g. CloudTrail's) on the bus, with no PutEvents restrictions. */
  publish(input: PublishInput): EventEnvelope {
    this.assertOpen();
    const event: EventEnvelope = {
      version: '0',
      id: input.id ?? randomUUID(),
      'detail-type': input['detail-type'],
      source: input.source,
      account: input.account ?? this.account,
      time: input.time ?? eventTime(this.clock.now()),
      region: input.region ?? this.region,
      resources: input.resources ?? [],
      detail: input.detail ?? {},
    };
    this.counters.published++;
    this.route(event);
    return event;
  }

  // --- lifecycle ------------------------------------------------------------------------------

  stats(): BusStats {
    const byRule: Record<string, RuleStats> = {};
    for (const [name, s] of this.ruleStats) byRule[name] = { ...s };
    return { rules: this.rules.size, ...this.counters, pending: this.deliveries.size, byRule };
  }

  /** Resolves once no delivery is under way or waiting for a retry. */
  idle(): Promise<void> {
    if (this.deliveries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels every schedule and pending retry; the bus takes no more rules or events. */
  close(): void {
    this.closed = true;
    for (const rule of this.rules.values()) {
      rule.timer?.cancel();
      rule.timer = undefined;
      rule.nextFire = undefined;
    }
    for (const d of this.deliveries) d.timer?.cancel();
    this.deliveries.clear();
    this.notifyIdle();
  }

  // --- internals ------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new Error(`event bus ${this.name} is closed`);
  }

  private requireRule(name: string): Rule {
    const rule = this.rules.get(name);
    if (!rule) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${this.name}.`,
      );
    }
    return rule;
  }

  private checkTargets(targets: BusTarget[], existing: Map<string, BusTarget>): Map<string, BusTarget> {
    const merged = new Map(existing);
    const seen = new Set<string>();
    for (const t of targets) {
      const id = checkName(t.id, 'targets.member.id');
      if (seen.has(id)) throw validation(`The same target Id ${id} appears more than once in the request.`);
      seen.add(id);
      if (typeof t.deliver !== 'function') throw validation(`Target ${id} has no deliver function.`);
      if (t.input !== undefined) checkInput(t.input, `Input of target ${id}`);
      if (t.inputPath !== undefined && !INPUT_PATH.test(t.inputPath)) {
        throw validation(`InputPath of target ${id} must be $ or $.field.field… (${t.inputPath})`);
      }
      if (t.input !== undefined && t.inputPath !== undefined) {
        throw validation(`Target ${id} can't have both Input and InputPath.`);
      }
      if (t.retryPolicy) checkRetryPolicy(t.retryPolicy);
      merged.set(id, t);
    }
    if (merged.size > MAX_TARGETS_PER_RULE) {
      throw new AwsError(
        'LimitExceededException',
        `The requested resource exceeds the maximum number allowed: a rule has at most ${MAX_TARGETS_PER_RULE} targets.`,
      );
    }
    return merged;
  }

  private info(rule: Rule): RuleInfo {
    return {
      name: rule.name,
      arn: rule.arn,
      eventBusName: this.name,
      ...(rule.patternText !== undefined ? { eventPattern: rule.patternText } : {}),
      ...(rule.scheduleExpression !== undefined ? { scheduleExpression: rule.scheduleExpression } : {}),
      state: rule.state,
      ...(rule.description !== undefined ? { description: rule.description } : {}),
      targets: [...rule.targets.values()].map((t) => ({
        id: t.id,
        ...(t.arn !== undefined ? { arn: t.arn } : {}),
        ...(t.input !== undefined ? { input: t.input } : {}),
        ...(t.inputPath !== undefined ? { inputPath: t.inputPath } : {}),
        ...(t.retryPolicy !== undefined ? { retryPolicy: { ...t.retryPolicy } } : {}),
        ...(t.deadLetterArn !== undefined ? { deadLetterArn: t.deadLetterArn } : {}),
      })),
      ...(rule.nextFire !== undefined ? { nextFireTime: new Date(rule.nextFire).toISOString() } : {}),
    };
  }

  private putEntry(entry: PutEventsEntry): PutEventsResultEntry {
    const reject = (code: string, message: string): PutEventsResultEntry => {
      this.counters.eventsRejected++;
      return { ErrorCode: code, ErrorMessage: message };
    };
    if (
      entry.EventBusName !== undefined &&
      entry.EventBusName !== '' &&
      !this.isThisBus(entry.EventBusName)
    ) {
      return reject('ResourceNotFoundException', `Event bus ${entry.EventBusName} does not exist.`);
    }
    if (typeof entry.Source !== 'string' || entry.Source === '') {
      return reject(
        'InvalidArgument',
        'Parameter Source is not valid. Reason: Source is a required argument.',
      );
    }
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') {
      return reject(
        'InvalidArgument',
        'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      );
    }
    if (typeof entry.Detail !== 'string' || entry.Detail === '') {
      return reject(
        'InvalidArgument',
        'Parameter Detail is not valid. Reason: Detail is a required argument.',
      );
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return reject('MalformedDetail', 'Detail is malformed.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return reject('MalformedDetail', 'Detail is malformed.');
    }
    if (entry.Source.startsWith('aws.')) {
      return reject('NotAuthorizedForSourceException', 'Not authorized for the source.');
    }
    if (
      entry.Resources !== undefined &&
      (!Array.isArray(entry.Resources) || !entry.Resources.every((r) => typeof r === 'string'))
    ) {
      return reject(
        'InvalidArgument',
        'Parameter Resources is not valid. Reason: Resources must be strings.',
      );
    }
    const time = entry.Time === undefined ? this.clock.now() : toMillis(entry.Time);
    if (time === undefined) {
      return reject('InvalidArgument', 'Parameter Time is not valid. Reason: Time must be a date.');
    }
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.account,
      time: eventTime(time),
      region: this.region,
      resources: entry.Resources ?? [],
      detail,
    };
    this.counters.eventsAccepted++;
    this.route(event);
    return { EventId: event.id };
  }

  /** Matches an event against every enabled pattern rule and starts the deliveries. */
  private route(event: EventEnvelope): void {
    const readOnlyManagement = isReadOnlyManagementEvent(event);
    for (const rule of this.rules.values()) {
      if (!rule.pattern || rule.state === 'DISABLED') continue;
      // Plain ENABLED rules don't see read-only management events delivered through CloudTrail.
      if (readOnlyManagement && rule.state !== 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') continue;
      if (!rule.pattern.matches(event)) continue;
      this.counters.matches++;
      rule.stats.matched++;
      this.dispatch(rule, event);
    }
  }

  private dispatch(rule: Rule, event: EventEnvelope): void {
    for (const target of rule.targets.values()) {
      let payload: unknown;
      const input = target.input ?? rule.input;
      if (input !== undefined) payload = JSON.parse(input);
      else if (target.inputPath !== undefined) payload = selectPath(event, target.inputPath);
      else payload = structuredClone(event);
      const delivery: Delivery = {
        rule,
        target,
        event,
        payload,
        ingestedAt: this.clock.now(),
        attempt: 0,
        policy: { ...DEFAULT_RETRY, ...(rule.retryPolicy ?? {}), ...(target.retryPolicy ?? {}) },
      };
      this.deliveries.add(delivery);
      // Delivery is asynchronous: PutEvents and publish return before any target runs.
      queueMicrotask(() => void this.attempt(delivery));
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    if (!this.deliveries.has(d)) return; // cancelled by close()
    d.timer = undefined;
    d.attempt++;
    this.counters.invocations++;
    d.rule.stats.invocations++;
    try {
      await d.target.deliver(structuredClone(d.payload), {
        ruleName: d.rule.name,
        ruleArn: d.rule.arn,
        targetId: d.target.id,
        attempt: d.attempt,
        event: d.event,
      });
    } catch (error) {
      this.failed(d, error);
      return;
    }
    this.counters.delivered++;
    d.rule.stats.delivered++;
    this.finish(d);
  }

  private failed(d: Delivery, error: unknown): void {
    if (!this.deliveries.has(d)) return;
    this.counters.failedInvocations++;
    d.rule.stats.failedInvocations++;
    const retries = d.attempt - 1;
    if ((error as { retryable?: unknown } | null)?.retryable === false) {
      void this.deadLetter(d, error, undefined);
      return;
    }
    if (retries >= d.policy.MaximumRetryAttempts) {
      void this.deadLetter(d, error, 'MaximumRetryAttempts');
      return;
    }
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** retries);
    const delay = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    if (this.clock.now() + delay - d.ingestedAt > d.policy.MaximumEventAgeInSeconds * 1000) {
      void this.deadLetter(d, error, 'MaximumEventAgeInSeconds');
      return;
    }
    this.counters.retries++;
    d.rule.stats.retries++;
    d.timer = this.clock.setTimer(() => void this.attempt(d), delay);
  }

  private async deadLetter(
    d: Delivery,
    error: unknown,
    condition: DeadLetterRecord['exhaustedRetryCondition'],
  ): Promise<void> {
    const handler = d.target.deadLetter ?? d.rule.deadLetter;
    const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
    const errorCode = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
    const errorMessage = typeof e?.message === 'string' ? e.message : String(error);
    if (!handler) {
      this.counters.dropped++;
      d.rule.stats.dropped++;
      this.logger?.warn(
        `[events] dropped event ${d.event.id} for rule ${d.rule.name} target ${d.target.id} after ${d.attempt} attempt(s): ${errorCode}: ${errorMessage}`,
      );
      this.finish(d);
      return;
    }
    const record: DeadLetterRecord = {
      payload: d.payload,
      event: d.event,
      ruleName: d.rule.name,
      ruleArn: d.rule.arn,
      targetId: d.target.id,
      ...(d.target.arn !== undefined ? { targetArn: d.target.arn } : {}),
      errorCode,
      errorMessage,
      ...(condition ? { exhaustedRetryCondition: condition } : {}),
      retryAttempts: d.attempt - 1,
    };
    try {
      await handler(record);
      this.counters.deadLettered++;
      d.rule.stats.deadLettered++;
    } catch (dlqError) {
      this.counters.deadLetterFailures++;
      this.counters.dropped++;
      d.rule.stats.dropped++;
      this.logger?.warn(
        `[events] dead-letter handler for rule ${d.rule.name} target ${d.target.id} failed: ${(dlqError as Error).message}`,
      );
    }
    this.finish(d);
  }

  private finish(d: Delivery): void {
    this.deliveries.delete(d);
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.deliveries.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** (Re)arms a schedule rule's timer for its next fire time. */
  private armSchedule(rule: Rule): void {
    rule.timer?.cancel();
    rule.timer = undefined;
    rule.nextFire = undefined;
    if (!rule.schedule || rule.state === 'DISABLED' || this.closed) return;
    const now = this.clock.now();
    const next =
      rule.schedule.kind === 'rate'
        ? rule.schedule.nextFireTime(new Date(now), new Date(rule.scheduleStart))
        : rule.schedule.nextFireTime(new Date(now));
    if (!next) return; // a cron expression whose years are over
    const at = next.getTime();
    rule.nextFire = at;
    rule.timer = this.clock.setTimer(() => this.fire(rule, at), at - now);
  }

  private fire(rule: Rule, at: number): void {
    rule.timer = undefined;
    if (this.closed || this.rules.get(rule.name) !== rule || rule.state === 'DISABLED') return;
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.account,
      time: eventTime(at),
      region: this.region,
      resources: [rule.arn],
      detail: {},
    };
    this.counters.scheduledFires++;
    rule.stats.fired++;
    this.dispatch(rule, event);
    this.armSchedule(rule);
  }
}

// ---------------------------------------------------------------------------------------------

function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value.length > 64) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
  }
  if (!NAME_PATTERN.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
    );
  }
  return value;
}

function checkRetryPolicy(policy: RetryPolicy): void {
  const { MaximumRetryAttempts: attempts, MaximumEventAgeInSeconds: age } = policy;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 0 || attempts > 185)) {
    throw validation(
      `1 validation error detected: Value '${attempts}' at 'retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185`,
    );
  }
  if (age !== undefined && (!Number.isInteger(age) || age < 60 || age > 86_400)) {
    throw validation(
      `1 validation error detected: Value '${age}' at 'retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400`,
    );
  }
}

function checkInput(input: unknown, what: string): void {
  if (typeof input !== 'string') throw validation(`${what} must be JSON text.`);
  try {
    JSON.parse(input);
  } catch {
    throw validation(`${what} is not valid JSON.`);
  }
}

/** PutEvents entry size as EventBridge counts it ("Calculating PutEvents event entry size"). */
function entrySize(entry: PutEventsEntry): number {
  const bytes = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);
  let size = entry.Time !== undefined ? 14 : 0;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const r of entry.Resources) size += bytes(r);
  return size;
}

function toMillis(time: Date | number | string): number | undefined {
  const ms =
    time instanceof Date ? time.getTime() : typeof time === 'number' ? time * 1000 : Date.parse(String(time));
  return Number.isFinite(ms) ? ms : undefined;
}

/** CloudTrail read-only management events, which plain ENABLED rules don't receive. */
function isReadOnlyManagementEvent(event: EventEnvelope): boolean {
  if (event['detail-type'] !== 'AWS API Call via CloudTrail') return false;
  const detail = event.detail as { readOnly?: unknown; managementEvent?: unknown } | null;
  return detail?.readOnly === true && detail.managementEvent !== false;
}

/** `$` or `$.a.b` over the event; a missing path selects null. */
function selectPath(event: EventEnvelope, path: string): unknown {
  let value: unknown = event;
  for (const key of path.split('.').slice(1)) {
    value =
      typeof value === 'object' && value !== null && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : null;
  }
  return structuredClone(value ?? null);
}
