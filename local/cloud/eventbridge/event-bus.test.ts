import { AwsError } from '../aws-json-protocol';
import {
  LocalEventBus,
  NonRetryableDeliveryError,
  systemClock,
  type BusTarget,
  type DeadLetterRecord,
  type DeliveryContext,
  type EventEnvelope,
} from './event-bus';
import { ManualClock } from './manual-clock';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

function setup(start = '2025-01-01T00:07:00Z', options: { random?: () => number } = {}) {
  const clock = new ManualClock(start);
  const warnings: string[] = [];
  const bus = new LocalEventBus({
    account: ACCOUNT,
    region: REGION,
    clock,
    random: options.random ?? (() => 0.5),
    logger: { warn: (m) => warnings.push(m) },
  });
  return { clock, bus, warnings };
}

/** A target recording what it receives, optionally failing its first `failures` attempts. */
function recorder(id = 't1', opts: Partial<BusTarget> & { failures?: number; error?: () => Error } = {}) {
  const received: { payload: unknown; context: DeliveryContext; at: number }[] = [];
  let calls = 0;
  const { failures = 0, error = () => new Error('target unavailable'), ...rest } = opts;
  const target: BusTarget & { received: typeof received } = {
    id,
    received,
    ...rest,
    deliver(payload, context) {
      calls++;
      received.push({ payload, context, at: Date.now() });
      if (calls <= failures) throw error();
    },
  };
  return target;
}

const entry = (over: Record<string, unknown> = {}) => ({
  Source: 'com.example.orders',
  DetailType: 'Order Placed',
  Detail: JSON.stringify({ orderId: 'o-1', amount: 120 }),
  ...over,
});

describe('PutEvents validation', () => {
  test('per-entry results in request order with FailedEntryCount', () => {
    const { bus } = setup();
    const result = bus.putEvents([
      entry(),
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry({ Detail: '{not json' }),
      entry({ Detail: '[1,2]' }),
      entry({ Source: 'aws.lambda' }),
      entry({ Time: 'yesterday' }),
      entry({ EventBusName: 'other-bus' }),
      entry({ EventBusName: bus.arn }),
    ]);
    expect(result.FailedEntryCount).toBe(8);
    expect(result.Entries[0]!.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.Entries.slice(1, 9)).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Time is not valid. Reason: Time must be a date.',
      },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus other-bus does not exist.' },
    ]);
    expect(result.Entries[9]!.EventId).toBeDefined();
    expect(bus.stats()).toMatchObject({ eventsAccepted: 2, eventsRejected: 8 });
  });

  test('1 to 10 entries, at most 256 KB in total', () => {
    const { bus } = setup();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as AwsError).code, (e as AwsError).message];
      }
      return undefined;
    };
    expect(code(() => bus.putEvents([]))).toEqual([
      'ValidationException',
      expect.stringContaining('greater than or equal to 1'),
    ]);
    expect(code(() => bus.putEvents(Array.from({ length: 11 }, () => entry())))).toEqual([
      'ValidationException',
      expect.stringContaining('less than or equal to 10'),
    ]);
    const big = JSON.stringify({ data: 'x'.repeat(256 * 1024) });
    expect(code(() => bus.putEvents([entry({ Detail: big })]))).toEqual([
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    ]);
    // Time counts 14 bytes; Source, DetailType, Detail and Resources their UTF-8 bytes
    const fits = 'x'.repeat(256 * 1024 - 14 - 'a'.length - 'b'.length - '{"k":""}'.length - 'é'.length * 2);
    const exact = {
      Source: 'a',
      DetailType: 'b',
      Detail: `{"k":"${fits}"}`,
      Resources: ['é'],
      Time: new Date(),
    };
    expect(bus.putEvents([exact]).FailedEntryCount).toBe(0);
    expect(code(() => bus.putEvents([{ ...exact, Resources: ['éx'] }]))).toEqual([
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    ]);
  });
});

describe('routing', () => {
  test('delivers asynchronously to matching, enabled rules only', async () => {
    const { bus, clock } = setup();
    const orders = recorder('orders');
    const big = recorder('big');
    const off = recorder('off');
    const other = recorder('other');
    bus.putRule({ name: 'orders', eventPattern: { source: ['com.example.orders'] }, targets: [orders] });
    bus.putRule({
      name: 'big-orders',
      eventPattern: '{"detail":{"amount":[{"numeric":[">",100]}]}}',
      targets: [big],
    });
    bus.putRule({
      name: 'disabled',
      eventPattern: { source: ['com.example.orders'] },
      state: 'DISABLED',
      targets: [off],
    });
    bus.putRule({ name: 'payments', eventPattern: { source: ['com.example.payments'] }, targets: [other] });

    const result = bus.putEvents([
      entry({ Time: new Date('2025-01-01T00:00:00Z'), Resources: ['arn:aws:s3:::bucket'] }),
      entry({ Detail: '{"amount":5}' }),
    ]);
    expect(orders.received).toHaveLength(0); // nothing runs before PutEvents returns
    await clock.flush();

    expect(orders.received).toHaveLength(2);
    expect(big.received).toHaveLength(1);
    expect(off.received).toHaveLength(0);
    expect(other.received).toHaveLength(0);
    expect(orders.received[0]!.payload).toEqual({
      version: '0',
      id: result.Entries[0]!.EventId,
      'detail-type': 'Order Placed',
      source: 'com.example.orders',
      account: ACCOUNT,
      time: '2025-01-01T00:00:00Z',
      region: REGION,
      resources: ['arn:aws:s3:::bucket'],
      detail: { orderId: 'o-1', amount: 120 },
    });
    expect(orders.received[1]!.payload).toMatchObject({ time: '2025-01-01T00:07:00Z' });
    expect(orders.received[0]!.context).toMatchObject({
      ruleName: 'orders',
      ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders`,
      targetId: 'orders',
      attempt: 1,
    });

    bus.setRuleState('disabled', 'ENABLED');
    bus.putEvents([entry()]);
    await clock.flush();
    expect(off.received).toHaveLength(1);

    expect(bus.stats()).toMatchObject({
      rules: 4,
      eventsAccepted: 3,
      matches: 6, // orders ×3, big-orders ×2 (amounts 120, 120), disabled ×1 once enabled
      invocations: 6,
      delivered: 6,
      pending: 0,
      byRule: { orders: { matched: 3, delivered: 3 }, payments: { matched: 0 } },
    });
  });

  test('every target gets its own copy', async () => {
    const { bus, clock } = setup();
    const a = recorder('a');
    const mutating: BusTarget = {
      id: 'm',
      deliver(payload) {
        (payload as EventEnvelope).detail = 'changed';
      },
    };
    bus.putRule({ name: 'r', eventPattern: { source: [{ prefix: 'com.' }] }, targets: [mutating, a] });
    bus.putEvents([entry()]);
    await clock.flush();
    expect((a.received[0]!.payload as EventEnvelope).detail).toEqual({ orderId: 'o-1', amount: 120 });
  });

  test('CloudTrail events from the platform; read-only ones only reach ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS', async () => {
    const { bus, clock } = setup();
    const changes = recorder('changes');
    const all = recorder('all');
    const pattern = {
      source: ['aws.lambda'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['lambda.amazonaws.com'] },
    };
    bus.putRule({ name: 'changes', eventPattern: pattern, targets: [changes] });
    bus.putRule({
      name: 'all',
      eventPattern: pattern,
      state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      targets: [all],
    });
    const call = (eventName: string, readOnly: boolean) =>
      bus.publish({
        source: 'aws.lambda',
        'detail-type': 'AWS API Call via CloudTrail',
        detail: { eventSource: 'lambda.amazonaws.com', eventName, readOnly, managementEvent: true },
      });
    const created = call('CreateFunction20150331', false);
    call('GetFunction20150331v2', true);
    await clock.flush();

    expect(created).toMatchObject({
      version: '0',
      account: ACCOUNT,
      region: REGION,
      resources: [],
      time: '2025-01-01T00:07:00Z',
    });
    expect(changes.received.map((r) => (r.payload as EventEnvelope).detail)).toEqual([
      expect.objectContaining({ eventName: 'CreateFunction20150331' }),
    ]);
    expect(all.received).toHaveLength(2);
    expect(bus.stats().published).toBe(2);
  });

  test('Input replaces the event; InputPath selects part of it', async () => {
    const { bus, clock } = setup();
    const constant = recorder('constant', { input: '{"job":"nightly"}' });
    const detail = recorder('detail', { inputPath: '$.detail' });
    const amount = recorder('amount', { inputPath: '$.detail.amount' });
    const missing = recorder('missing', { inputPath: '$.detail.nope' });
    bus.putRule({
      name: 'r',
      eventPattern: { source: ['com.example.orders'] },
      targets: [constant, detail, amount, missing],
    });
    bus.putEvents([entry()]);
    await clock.flush();
    expect(constant.received[0]!.payload).toEqual({ job: 'nightly' });
    expect(detail.received[0]!.payload).toEqual({ orderId: 'o-1', amount: 120 });
    expect(amount.received[0]!.payload).toBe(120);
    expect(missing.received[0]!.payload).toBeNull();
  });
});

describe('rules', () => {
  const error = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return { code: (e as AwsError).code, message: (e as AwsError).message };
    }
    throw new Error('expected an error');
  };

  test('PutRule validation with EventBridge error codes', () => {
    const { bus } = setup();
    expect(error(() => bus.putRule({ name: 'r' }))).toEqual({
      code: 'ValidationException',
      message: 'Parameter(s) EventPattern or ScheduleExpression must be specified.',
    });
    expect(error(() => bus.putRule({ name: 'r', eventPattern: { source: [] } }))).toEqual({
      code: 'InvalidEventPatternException',
      message: 'Event pattern is not valid. Reason: Empty arrays are not allowed (at source)',
    });
    expect(error(() => bus.putRule({ name: 'r', scheduleExpression: 'rate(1 minutes)' }))).toMatchObject({
      code: 'ValidationException',
      message: expect.stringMatching(
        /^Parameter ScheduleExpression is not valid: a rate of 1 takes the singular unit/,
      ),
    });
    expect(error(() => bus.putRule({ name: 'r', scheduleExpression: 'cron(0 25 * * ? *)' }))).toMatchObject({
      message: expect.stringContaining('Hours field "25"'),
    });
    expect(error(() => bus.putRule({ name: 'bad name', eventPattern: { a: ['b'] } }))).toMatchObject({
      code: 'ValidationException',
      message: expect.stringContaining('Member must satisfy regular expression pattern'),
    });
    expect(error(() => bus.putRule({ name: 'x'.repeat(65), eventPattern: { a: ['b'] } }))).toMatchObject({
      message: expect.stringContaining('less than or equal to 64'),
    });
    expect(
      error(() => bus.putRule({ name: 'r', eventPattern: { a: ['b'] }, state: 'PAUSED' as 'ENABLED' })),
    ).toMatchObject({ code: 'ValidationException' });
    expect(
      error(() =>
        bus.putRule({
          name: 'r',
          eventPattern: { a: ['b'] },
          targets: [recorder('t', { retryPolicy: { MaximumRetryAttempts: 186 } })],
        }),
      ),
    ).toMatchObject({ message: expect.stringContaining('between 0 and 185') });
    expect(
      error(() =>
        bus.putRule({
          name: 'r',
          eventPattern: { a: ['b'] },
          targets: [recorder('t', { retryPolicy: { MaximumEventAgeInSeconds: 59 } })],
        }),
      ),
    ).toMatchObject({ message: expect.stringContaining('between 60 and 86400') });
    expect(
      error(() =>
        bus.putRule({ name: 'r', eventPattern: { a: ['b'] }, targets: [recorder('t', { input: '{' })] }),
      ),
    ).toMatchObject({ message: 'Input of target t is not valid JSON.' });
    expect(
      error(() =>
        bus.putRule({
          name: 'r',
          eventPattern: { a: ['b'] },
          targets: [1, 2, 3, 4, 5, 6].map((i) => recorder(`t${i}`)),
        }),
      ),
    ).toMatchObject({ code: 'LimitExceededException' });
    expect(bus.listRules()).toEqual([]);

    const custom = new LocalEventBus({ name: 'orders' });
    expect(error(() => custom.putRule({ name: 'r', scheduleExpression: 'rate(1 hour)' }))).toEqual({
      code: 'ValidationException',
      message: 'ScheduleExpression is supported only on the default event bus.',
    });
    expect(custom.ruleArn('r')).toBe('arn:aws:events:us-east-1:123456789012:rule/orders/r');
  });

  test('PutRule replaces the rule but keeps its targets; targets, describe, list, delete', async () => {
    const { bus, clock } = setup();
    const t = recorder('t');
    bus.putRule({ name: 'b-rule', eventPattern: { source: ['x'] }, description: 'first', targets: [t] });
    bus.putRule({ name: 'a-rule', eventPattern: { source: ['y'] } });
    const updated = bus.putRule({ name: 'b-rule', eventPattern: '{"source":["com.example.orders"]}' });
    expect(updated).toEqual({
      name: 'b-rule',
      arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/b-rule`,
      eventBusName: 'default',
      eventPattern: '{"source":["com.example.orders"]}',
      state: 'ENABLED',
      targets: [{ id: 't' }],
    });
    bus.putEvents([entry()]);
    await clock.flush();
    expect(t.received).toHaveLength(1);

    expect(bus.listRules().map((r) => r.name)).toEqual(['a-rule', 'b-rule']);
    expect(bus.listRules('a-').map((r) => r.name)).toEqual(['a-rule']);

    bus.putTargets('b-rule', [
      recorder('u', { arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', input: '{}' }),
    ]);
    expect(bus.listTargets('b-rule')).toEqual([
      { id: 't' },
      { id: 'u', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', input: '{}' },
    ]);
    expect(error(() => bus.deleteRule('b-rule'))).toEqual({
      code: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
    });
    expect(bus.removeTargets('b-rule', ['t', 'nope'])).toEqual(['t']);
    bus.deleteRule('b-rule', { force: true });
    bus.deleteRule('b-rule'); // absent: a no-op
    expect(error(() => bus.describeRule('b-rule'))).toEqual({
      code: 'ResourceNotFoundException',
      message: 'Rule b-rule does not exist on EventBus default.',
    });
    expect(error(() => bus.putTargets('b-rule', [recorder()]))).toMatchObject({
      code: 'ResourceNotFoundException',
    });
    expect(bus.stats().rules).toBe(1);
  });
});

describe('retries and dead letters', () => {
  test('a failing target is retried with exponential back-off, then succeeds', async () => {
    // random() = 0.999…: each wait is (almost) the whole back-off ceiling, 1 s, 2 s, 4 s, …
    const { bus, clock } = setup('2025-01-01T00:00:00Z', { random: () => 0.9999999 });
    const t = recorder('t', { failures: 3 });
    const attempts: number[] = [];
    const start = clock.now();
    const target: BusTarget = {
      id: 't',
      deliver: (payload, context) => {
        attempts.push(clock.now() - start);
        return t.deliver(payload, context);
      },
    };
    bus.putRule({ name: 'r', eventPattern: { source: [{ exists: true }] }, targets: [target] });
    bus.putEvents([entry()]);
    await clock.flush();
    expect(attempts).toEqual([0]);
    expect(bus.stats().pending).toBe(1);
    await clock.advance(60_000);
    expect(attempts).toEqual([0, 1_000, 3_000, 7_000]);
    expect(t.received.map((r) => r.context.attempt)).toEqual([1, 2, 3, 4]);
    expect(bus.stats()).toMatchObject({
      invocations: 4,
      failedInvocations: 3,
      retries: 3,
      delivered: 1,
      pending: 0,
    });
    await bus.idle();
  });

  test('MaximumRetryAttempts exhausted: the dead-letter handler gets the event', async () => {
    const { bus, clock } = setup();
    const dead: DeadLetterRecord[] = [];
    const t = recorder('t', {
      failures: Infinity,
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
      retryPolicy: { MaximumRetryAttempts: 2 },
      deadLetter: (r) => void dead.push(r),
    });
    bus.putRule({ name: 'r', eventPattern: { source: ['com.example.orders'] }, targets: [t] });
    const id = bus.putEvents([entry()]).Entries[0]!.EventId;
    await clock.advance(3_600_000);
    expect(t.received).toHaveLength(3);
    expect(dead).toEqual([
      {
        payload: expect.objectContaining({ id, source: 'com.example.orders' }),
        event: expect.objectContaining({ id }),
        ruleName: 'r',
        ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/r`,
        targetId: 't',
        targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
        errorCode: 'Error',
        errorMessage: 'target unavailable',
        exhaustedRetryCondition: 'MaximumRetryAttempts',
        retryAttempts: 2,
      },
    ]);
    expect(bus.stats()).toMatchObject({ deadLettered: 1, dropped: 0, pending: 0 });
  });

  test('MaximumEventAgeInSeconds ends the retries before the attempts do', async () => {
    const { bus, clock } = setup('2025-01-01T00:00:00Z', { random: () => 0.9999999 });
    const dead: DeadLetterRecord[] = [];
    const t = recorder('t', {
      failures: Infinity,
      retryPolicy: { MaximumEventAgeInSeconds: 60 },
      deadLetter: (r) => void dead.push(r),
    });
    bus.putRule({ name: 'r', eventPattern: { source: ['com.example.orders'] }, targets: [t] });
    bus.putEvents([entry()]);
    await clock.advance(3_600_000);
    // attempts at 0, 1, 3, 7, 15, 31 s; the next wait (32 s) would pass 60 s
    expect(t.received).toHaveLength(6);
    expect(dead[0]).toMatchObject({ exhaustedRetryCondition: 'MaximumEventAgeInSeconds', retryAttempts: 5 });
  });

  test('a non-retryable error goes to the dead-letter handler at once; rule-level defaults apply', async () => {
    const { bus, clock } = setup();
    const dead: DeadLetterRecord[] = [];
    const t = recorder('t', {
      failures: Infinity,
      error: () => new NonRetryableDeliveryError('ResourceNotFoundException', 'Function not found'),
    });
    bus.putRule({
      name: 'r',
      eventPattern: { source: ['com.example.orders'] },
      targets: [t],
      deadLetter: (r) => void dead.push(r),
    });
    bus.putEvents([entry()]);
    await clock.flush();
    expect(t.received).toHaveLength(1);
    expect(dead).toEqual([
      expect.objectContaining({
        errorCode: 'ResourceNotFoundException',
        errorMessage: 'Function not found',
        retryAttempts: 0,
      }),
    ]);
    expect(dead[0]).not.toHaveProperty('exhaustedRetryCondition');
  });

  test('without a dead-letter handler the event is dropped and logged; a failing handler counts too', async () => {
    const { bus, clock, warnings } = setup();
    bus.putRule({
      name: 'r',
      eventPattern: { source: ['com.example.orders'] },
      targets: [
        recorder('plain', { failures: Infinity, retryPolicy: { MaximumRetryAttempts: 0 } }),
        recorder('bad-dlq', {
          failures: Infinity,
          retryPolicy: { MaximumRetryAttempts: 0 },
          deadLetter: () => {
            throw new Error('queue gone');
          },
        }),
      ],
    });
    bus.putEvents([entry()]);
    await clock.flush();
    expect(bus.stats()).toMatchObject({ dropped: 2, deadLettered: 0, deadLetterFailures: 1, pending: 0 });
    expect(warnings).toEqual([
      expect.stringMatching(
        /dropped event .* for rule r target plain after 1 attempt\(s\): Error: target unavailable/,
      ),
      expect.stringMatching(/dead-letter handler for rule r target bad-dlq failed: queue gone/),
    ]);
  });
});

describe('schedules', () => {
  test('cron(0/15 * * * ? *) fires Scheduled Events on the quarter hours', async () => {
    const { bus, clock } = setup('2025-01-01T00:07:00Z');
    const t = recorder('t');
    const info = bus.putRule({ name: 'quarterly', scheduleExpression: 'cron(0/15 * * * ? *)', targets: [t] });
    expect(info.nextFireTime).toBe('2025-01-01T00:15:00.000Z');
    await clock.advanceTo('2025-01-01T00:14:59Z');
    expect(t.received).toHaveLength(0);
    await clock.advanceTo('2025-01-01T00:15:00Z');
    expect(t.received).toHaveLength(1);
    expect(t.received[0]!.payload).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2025-01-01T00:15:00Z',
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/quarterly`],
      detail: {},
    });
    await clock.advance(3_600_000);
    expect(t.received.map((r) => (r.payload as EventEnvelope).time)).toEqual([
      '2025-01-01T00:15:00Z',
      '2025-01-01T00:30:00Z',
      '2025-01-01T00:45:00Z',
      '2025-01-01T01:00:00Z',
      '2025-01-01T01:15:00Z',
    ]);
    expect(bus.stats()).toMatchObject({
      scheduledFires: 5,
      byRule: { quarterly: { fired: 5, delivered: 5 } },
    });
  });

  test('cron(0 18 ? * MON-FRI *) skips the weekend', async () => {
    const { bus, clock } = setup('2025-01-03T12:00:00Z'); // a Friday
    const t = recorder('t');
    bus.putRule({ name: 'weekdays', scheduleExpression: 'cron(0 18 ? * MON-FRI *)', targets: [t] });
    await clock.advanceTo('2025-01-08T00:00:00Z');
    expect(t.received.map((r) => (r.payload as EventEnvelope).time)).toEqual([
      '2025-01-03T18:00:00Z',
      '2025-01-06T18:00:00Z',
      '2025-01-07T18:00:00Z',
    ]);
  });

  test('rate(5 minutes) counts from the rule creation; Input replaces the scheduled event', async () => {
    const { bus, clock } = setup('2025-01-01T00:07:30Z');
    const t = recorder('t');
    bus.putRule({
      name: 'every5',
      scheduleExpression: 'rate(5 minutes)',
      input: '{"source":"sam-schedule"}',
      targets: [t],
    });
    await clock.advance(11 * 60_000);
    expect(t.received.map((r) => r.payload)).toEqual([
      { source: 'sam-schedule' },
      { source: 'sam-schedule' },
    ]);
    expect(t.received.map((r) => new Date(r.context.event.time).toISOString())).toEqual([
      '2025-01-01T00:12:30.000Z',
      '2025-01-01T00:17:30.000Z',
    ]);
    // PutRule with the same expression keeps the rate's phase
    bus.putRule({ name: 'every5', scheduleExpression: 'rate(5 minutes)' });
    expect(bus.describeRule('every5').nextFireTime).toBe('2025-01-01T00:22:30.000Z');
  });

  test('disabled, deleted and closed schedules leave no timers', async () => {
    const { bus, clock } = setup();
    const t = recorder('t');
    bus.putRule({ name: 'a', scheduleExpression: 'rate(1 minute)', state: 'DISABLED', targets: [t] });
    expect(clock.pending()).toEqual([]);
    bus.setRuleState('a', 'ENABLED');
    bus.putRule({ name: 'b', scheduleExpression: 'cron(0 12 * * ? *)' });
    expect(clock.pending()).toHaveLength(2);
    bus.deleteRule('b');
    expect(clock.pending()).toHaveLength(1);
    await clock.advance(60_000);
    expect(t.received).toHaveLength(1);
    bus.putRule({
      name: 'c',
      eventPattern: { source: ['com.example.orders'] },
      targets: [recorder('r', { failures: 1 })],
    });
    bus.putEvents([entry()]);
    await clock.flush();
    expect(clock.pending()).toHaveLength(2); // the schedule and a retry
    bus.close();
    expect(clock.pending()).toEqual([]);
    expect(bus.stats().pending).toBe(0);
    await bus.idle();
    expect(() => bus.putEvents([entry()])).toThrow(/closed/);
  });

  test('a rule can have both a pattern and a schedule', async () => {
    const { bus, clock } = setup('2025-01-01T00:00:30Z');
    const t = recorder('t');
    bus.putRule({
      name: 'both',
      eventPattern: { source: ['com.example.orders'] },
      scheduleExpression: 'rate(1 minute)',
      targets: [t],
    });
    bus.putEvents([entry()]);
    await clock.advance(60_000);
    expect(t.received.map((r) => (r.payload as EventEnvelope).source)).toEqual([
      'com.example.orders',
      'aws.events',
    ]);
  });
});

describe('systemClock', () => {
  test('fires, can be cancelled, and does not hold the process open', async () => {
    const fired: string[] = [];
    const a = systemClock.setTimer(() => fired.push('a'), 5);
    const b = systemClock.setTimer(() => fired.push('b'), 5);
    b.cancel();
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toEqual(['a']);
    a.cancel();
    // a far-future timer (beyond setTimeout's 24.8-day limit) is accepted and unref'd
    const far = systemClock.setTimer(() => fired.push('far'), 40 * 86_400_000);
    far.cancel();
  });
});
