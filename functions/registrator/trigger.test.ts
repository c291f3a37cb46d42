import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOUDTRAIL_EVENT_NAMES, triggerOf, TriggerError } from './trigger';

const cloudTrail = (eventName: string, detail: Record<string, unknown>) => ({
  source: 'aws.lambda',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: { eventSource: 'lambda.amazonaws.com', eventName, ...detail },
});
const arn = 'arn:aws:lambda:us-east-1:123456789012:function:orders';

describe('triggerOf', () => {
  it('runs a full sync for the schedule and for a manual request', () => {
    expect(triggerOf({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, false)).toEqual({
      kind: 'full',
      dryRun: false,
    });
    expect(triggerOf({ sync: 'full', dryRun: true }, false)).toEqual({ kind: 'full', dryRun: true });
  });

  it.each([
    ['CreateFunction20150331', { responseElements: { functionArn: arn } }],
    ['CreateFunction', { responseElements: { functionArn: arn } }],
    ['TagResource20170331v2', { requestParameters: { resource: arn } }],
    ['TagResource20170331', { requestParameters: { resource: arn } }],
    ['TagResource', { requestParameters: { resource: arn } }],
    ['UntagResource20170331v2', { requestParameters: { resource: arn } }],
    ['UntagResource20170331', { requestParameters: { resource: arn } }],
    ['UntagResource', { requestParameters: { resource: arn } }],
    ['DeleteFunction20150331', { requestParameters: { functionName: 'orders' } }],
    ['DeleteFunction', { requestParameters: { functionName: arn } }],
    ['CreateAlias20150331', { requestParameters: { functionName: 'orders', name: 'prod' } }],
    ['UpdateAlias20150331', { requestParameters: { functionName: `${arn}:prod`, name: 'prod' } }],
    [
      'DeleteAlias20150331',
      { requestParameters: { functionName: '123456789012:function:orders', name: 'prod' } },
    ],
    ['UpdateFunctionConfiguration20150331v2', { requestParameters: { functionName: 'orders' } }],
  ])('%s reconciles the function it names', (eventName, detail) => {
    expect(triggerOf(cloudTrail(eventName, detail), false)).toEqual({
      kind: 'function',
      functionName: 'orders',
      eventName,
      dryRun: false,
    });
  });

  it('lists every handled eventName for the rule', () => {
    expect(CLOUDTRAIL_EVENT_NAMES).toHaveLength(19);
  });

  it('skips failed calls and calls that change nothing registered', () => {
    expect(triggerOf(cloudTrail('TagResource20170331v2', { errorCode: 'AccessDenied' }), false).kind).toBe(
      'skip',
    );
    expect(triggerOf(cloudTrail('Invoke', {}), false).kind).toBe('skip');
  });

  it('refuses what is not an event, with the field and the fix', () => {
    expect(() => triggerOf('x', false)).toThrow(TriggerError);
    expect(() => triggerOf({ source: 'my.app' }, false)).toThrow(/event.source: "my.app".*\{"sync":"full"\}/);
    expect(() => triggerOf(cloudTrail('TagResource', {}), false)).toThrow(/names no function/);
    expect(() => triggerOf({ sync: 'full', dryRun: 'perhaps' }, false)).toThrow(/dryRun/);
  });
});

describe('events/registrator samples', () => {
  const dir = join(__dirname, '..', '..', 'events', 'registrator');
  it.each(readdirSync(dir))('%s is a trigger the registrator acts on', (file) => {
    const trigger = triggerOf(JSON.parse(readFileSync(join(dir, file), 'utf8')), false);
    expect(['full', 'function']).toContain(trigger.kind);
  });
});
