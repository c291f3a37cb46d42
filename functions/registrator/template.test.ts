import { propsOf, realServerless, realTemplate } from '../../local/checks/test-fixtures';
import { CLOUDTRAIL_EVENT_NAMES } from './trigger';

/** The registrator's deployment in both templates: triggers, settings and least privilege. */

const props = propsOf(realTemplate(), 'RegistratorFunction') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sls = realServerless().functions!.registrator as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const statements = props.Policies as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('RegistratorFunction', () => {
  it('is triggered by every CloudTrail eventName it handles, in both templates', () => {
    const pattern = props.Events.LambdaApiCalls.Properties.Pattern;
    expect(pattern.source).toEqual(['aws.lambda']);
    expect(pattern['detail-type']).toEqual(['AWS API Call via CloudTrail']);
    expect([...pattern.detail.eventName].sort()).toEqual([...CLOUDTRAIL_EVENT_NAMES].sort());
    const slsPattern = sls.events.find((e: Record<string, unknown>) => 'eventBridge' in e).eventBridge
      .pattern;
    expect([...slsPattern.detail.eventName].sort()).toEqual([...CLOUDTRAIL_EVENT_NAMES].sort());
  });

  it('runs a full sync on the SyncFrequencyInMinutes schedule (default 5)', () => {
    expect(props.Events.FullSync.Properties.Schedule).toEqual({
      'Fn::Sub': 'rate(${SyncFrequencyInMinutes} minutes)',
    });
    expect(realTemplate().Parameters!.SyncFrequencyInMinutes!.Default).toBe(5);
    expect(JSON.parse(props.Events.FullSync.Properties.Input)).toEqual({ sync: 'full' });
  });

  it('wires every setting to a parameter, DATACENTER included (the original never did)', () => {
    const env = props.Environment.Variables as Record<string, unknown>;
    expect(env.DATACENTER).toEqual({ Ref: 'ConsulDatacenter' });
    for (const [name, value] of Object.entries(env)) {
      expect([name, value]).toEqual([name, { Ref: expect.any(String) }]);
      expect(realTemplate().Parameters).toHaveProperty((value as { Ref: string }).Ref);
      expect(sls.environment[name]).toMatch(/^\$\{param:/);
    }
  });

  it('runs one at a time unless the account cannot reserve concurrency', () => {
    expect(props.ReservedConcurrentExecutions).toEqual({
      'Fn::If': [
        'RegistratorReservesConcurrency',
        { Ref: 'RegistratorReservedConcurrency' },
        { Ref: 'AWS::NoValue' },
      ],
    });
  });

  it('grants SSM writes under the extension data prefix only, and KMS on the given key via SSM only', () => {
    const text = JSON.stringify(statements);
    expect(text).not.toMatch(/ssm:\w+","?[^\]]*parameter\/\*/);
    const [, extensionData, kms] = statements;
    expect(extensionData['Fn::If'][0]).toBe('RegistratorManagesExtensionData');
    expect(JSON.stringify(extensionData['Fn::If'][1])).toContain('parameter${ConsulExtensionDataPrefix}/*');
    const kmsStatement = kms['Fn::If'][1].Statement[0];
    expect(kmsStatement.Resource).toEqual({ Ref: 'ConsulSsmKmsKeyArn' });
    expect(kmsStatement.Condition.StringEquals['kms:ViaService']).toEqual({
      'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com',
    });
  });
});
