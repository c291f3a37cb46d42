import { checkSchema } from './schema-check';
import { propsOf, realTemplate } from './test-fixtures';

const messages = (t = realTemplate()) => checkSchema(t).map((f) => `${f.where}: ${f.message}`);

describe('schema check', () => {
  it('passes template.yaml', () => {
    expect(messages()).toEqual([]);
  });

  it('fails an unknown property on a SAM function', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunction').MemorySizeMb = 512;
    expect(messages(t)).toEqual([
      expect.stringMatching(
        /^Resources\.HelloFunction\.Properties\.MemorySizeMb: unknown property of AWS::Serverless::Function/,
      ),
    ]);
  });

  it('fails an unknown property nested inside a CloudFormation shape', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunction').VpcConfig = { SubnetIds: ['subnet-1'], SecurityGroupId: ['sg-1'] };
    expect(messages(t)).toEqual([
      expect.stringMatching(/VpcConfig\.SecurityGroupId: unknown property of VpcConfig/),
    ]);
  });

  it('fails a value of the wrong kind', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunctionLogGroup').RetentionInDays = ['30'];
    expect(messages(t)).toEqual([expect.stringMatching(/RetentionInDays: expected a number, got a list/)]);
  });

  it('fails an unknown resource type and an unknown event type', () => {
    const t = realTemplate();
    t.Resources.Queue = { Type: 'AWS::SQS::Queues', Properties: {} };
    const events = propsOf(t, 'HelloFunction').Events as Record<string, unknown>;
    events.Cron = { Type: 'Cron', Properties: { Schedule: 'rate(1 minute)' } };
    expect(messages(t)).toEqual([
      expect.stringMatching(/Events\.Cron\.Type: unknown event type Cron/),
      'Resources.Queue: unknown resource type AWS::SQS::Queues',
    ]);
  });

  it('fails a missing required property and an unknown Globals key', () => {
    const t = realTemplate();
    t.Resources.Table = { Type: 'AWS::DynamoDB::GlobalTable', Properties: { TableName: 'x' } };
    t.Globals!.Function!.Events = {};
    const found = messages(t);
    expect(
      found.some((m) => m.startsWith('Globals.Function.Events: unknown property of Globals.Function')),
    ).toBe(true);
    expect(
      found.some((m) => /Table.*requires property (AttributeDefinitions|KeySchema|Replicas)/.test(m)),
    ).toBe(true);
  });

  it('checks every branch of Fn::If', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunctionLogGroup').RetentionInDays = { 'Fn::If': ['Short', 7, { Days: 30 }] };
    expect(messages(t)).toEqual([
      expect.stringMatching(/RetentionInDays\(Fn::If branch 2\): expected a number, got a mapping/),
    ]);
  });
});
