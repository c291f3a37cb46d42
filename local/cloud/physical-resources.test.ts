import {
  activeTemplate,
  cloudResolver,
  physicalResources,
  resourceFromPhysicalId,
} from './physical-resources';
import type { Template } from '../template/template';

const template = {
  Parameters: {
    Prefix: { Type: 'String', Default: '' },
    Mode: { Type: 'String', Default: 'on' },
  },
  Conditions: {
    HasPrefix: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Prefix' }, ''] }] },
    Both: { 'Fn::And': [{ Condition: 'HasPrefix' }, { 'Fn::Equals': [{ Ref: 'Mode' }, 'on'] }] },
    Either: { 'Fn::Or': [{ Condition: 'HasPrefix' }, { 'Fn::Equals': [{ Ref: 'Mode' }, 'on'] }] },
  },
  Resources: {},
} as unknown as Template;

describe('cloudResolver: Fn::If over the template conditions', () => {
  it('chooses the branch its condition selects, with parameter overrides', () => {
    const resolve = cloudResolver(template, new Map());
    expect(resolve({ 'Fn::If': ['HasPrefix', 'yes', 'no'] }, 'x')).toBe('no');
    expect(resolve({ 'Fn::If': ['Either', 'yes', 'no'] }, 'x')).toBe('yes');
    expect(resolve({ 'Fn::If': ['Both', 'yes', { Ref: 'AWS::NoValue' }] }, 'x')).toBe('');
    const overridden = cloudResolver(template, new Map(), { Prefix: '/p' });
    expect(overridden({ 'Fn::If': ['Both', { 'Fn::Sub': '${Prefix}/x' }, 'no'] }, 'x')).toBe('/p/x');
  });

  it('names an undefined condition', () => {
    expect(() => cloudResolver(template, new Map())({ 'Fn::If': ['Nope', 'a', 'b'] }, 'Env.X')).toThrow(
      /Env\.X: Fn::If names condition Nope, which is not defined/,
    );
  });
});

describe('activeTemplate: resources as the stack would create them', () => {
  const withResources = {
    ...template,
    Resources: {
      Always: { Type: 'AWS::SQS::Queue' },
      OnlyWithPrefix: { Type: 'AWS::SQS::Queue', Condition: 'HasPrefix' },
      WhenEither: { Type: 'AWS::SQS::Queue', Condition: 'Either' },
    },
  } as unknown as Template;

  it('leaves out resources whose condition is false, keeping the others', () => {
    expect(Object.keys(activeTemplate(withResources).Resources)).toEqual(['Always', 'WhenEither']);
    expect(Object.keys(activeTemplate(withResources, { Prefix: '/p' }).Resources)).toEqual([
      'Always',
      'OnlyWithPrefix',
      'WhenEither',
    ]);
  });

  it('names a resource whose condition is not defined', () => {
    const broken = { ...template, Resources: { Odd: { Type: 'AWS::SQS::Queue', Condition: 'Nope' } } };
    expect(() => activeTemplate(broken as unknown as Template)).toThrow(/Resources\.Odd\.Condition: .*Nope/);
  });
});

describe('physicalResources: what Ref and Fn::GetAtt give locally', () => {
  it('resolves names the template builds from parameters, as the function config does', () => {
    const withNames = {
      ...template,
      Resources: {
        Rotation: {
          Type: 'AWS::Serverless::Function',
          Properties: { FunctionName: { 'Fn::Sub': '${AWS::StackName}-rotation' } },
        },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': '${Prefix}work' } } },
      },
    } as unknown as Template;
    const resources = physicalResources(withNames, { sqs: 'http://127.0.0.1:9324' }, { Prefix: 'p-' });
    expect(resources.get('Rotation')).toEqual({
      type: 'AWS::Serverless::Function',
      ref: 'local-rotation',
      attributes: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:local-rotation' },
    });
    expect(resources.get('Queue')?.attributes).toEqual({
      Arn: 'arn:aws:sqs:us-east-1:123456789012:p-work',
      QueueName: 'p-work',
      QueueUrl: 'http://127.0.0.1:9324/123456789012/p-work',
    });
  });
});

describe('resourceFromPhysicalId: a deployed resource from its physical id', () => {
  const china = {
    region: 'cn-north-1',
    accountId: '111122223333',
    partition: 'aws-cn',
    urlSuffix: 'amazonaws.com.cn',
  };

  it('builds ARNs and endpoints in the stack’s partition, region and account', () => {
    expect(
      resourceFromPhysicalId(
        'AWS::SQS::Queue',
        'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/app-Work-X1',
        china,
      ),
    ).toEqual({
      type: 'AWS::SQS::Queue',
      ref: 'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/app-Work-X1',
      attributes: {
        Arn: 'arn:aws-cn:sqs:cn-north-1:111122223333:app-Work-X1',
        QueueName: 'app-Work-X1',
        QueueUrl: 'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/app-Work-X1',
      },
    });
    expect(resourceFromPhysicalId('AWS::ApiGatewayV2::Api', 'a1b2c3', china)?.attributes).toEqual({
      ApiEndpoint: 'https://a1b2c3.execute-api.cn-north-1.amazonaws.com.cn',
    });
    expect(resourceFromPhysicalId('AWS::IAM::Role', 'app-Role-1', china)?.attributes.Arn).toBe(
      'arn:aws-cn:iam::111122223333:role/app-Role-1',
    );
    expect(resourceFromPhysicalId('AWS::EC2::VPC', 'vpc-1', china)).toBeUndefined();
  });
});
