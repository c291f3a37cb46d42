import { realServerless, realTemplate } from '../../local/checks/test-fixtures';
import type { Template } from '../../local/template/template';

/**
 * The private-VPC pattern in both templates: the network behind SamplesPrivateVpcEnabled, private
 * subnets with no NAT and no internet gateway, an interface endpoint for SQS with private DNS, the
 * producer inside only under the condition, the consumer outside, a DLQ after 4 receives.
 */
const NETWORK = [
  'SamplesVpc',
  'SamplesPrivateSubnetA',
  'SamplesPrivateSubnetB',
  'SamplesPrivateRouteTable',
  'SamplesPrivateSubnetARouteTable',
  'SamplesPrivateSubnetBRouteTable',
  'SamplesProducerSecurityGroup',
  'SamplesSqsEndpointSecurityGroup',
  'SamplesSqsEndpointIngress',
  'SamplesSqsEndpoint',
];

function checkNetwork(resources: Template['Resources']): void {
  for (const id of NETWORK) expect([id, resources[id]?.Condition]).toEqual([id, 'SamplesPrivateVpcEnabled']);
  const types = Object.values(resources).map((r) => r.Type);
  for (const forbidden of [
    'AWS::EC2::NatGateway',
    'AWS::EC2::InternetGateway',
    'AWS::EC2::Route',
    'AWS::EC2::EIP',
  ])
    expect(types).not.toContain(forbidden);
  for (const subnet of ['SamplesPrivateSubnetA', 'SamplesPrivateSubnetB'])
    expect(resources[subnet]!.Properties!.MapPublicIpOnLaunch).toBe(false);
  expect(resources.SamplesSqsEndpoint!.Properties).toMatchObject({
    VpcEndpointType: 'Interface',
    PrivateDnsEnabled: true,
    ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.sqs' },
  });
  expect(resources.SamplesVpc!.Properties).toMatchObject({
    EnableDnsSupport: true,
    EnableDnsHostnames: true,
  });
  expect(resources.SamplesWorkQueue!.Properties!.RedrivePolicy).toEqual({
    deadLetterTargetArn: { 'Fn::GetAtt': ['SamplesWorkDeadLetterQueue', 'Arn'] },
    maxReceiveCount: 4,
  });
}

const conditionalVpc = {
  'Fn::If': [
    'SamplesPrivateVpcEnabled',
    {
      SubnetIds: [{ Ref: 'SamplesPrivateSubnetA' }, { Ref: 'SamplesPrivateSubnetB' }],
      SecurityGroupIds: [{ Ref: 'SamplesProducerSecurityGroup' }],
    },
    { Ref: 'AWS::NoValue' },
  ],
};

describe('private-VPC queue sample templates', () => {
  it('template.yaml', () => {
    const template = realTemplate();
    expect(template.Conditions?.SamplesPrivateVpcEnabled).toBeDefined();
    checkNetwork(template.Resources);
    expect(template.Resources.QueueProducerFunction!.Properties!.VpcConfig).toEqual(conditionalVpc);
    const consumer = template.Resources.QueueConsumerFunction!.Properties!;
    expect(consumer.VpcConfig).toBeUndefined();
    expect((consumer.Events as Record<string, { Properties: unknown }>).Work!.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('serverless.yml', () => {
    const sls = realServerless();
    const resources = sls.resources as {
      Resources: Template['Resources'];
      extensions: Template['Resources'];
    };
    checkNetwork(resources.Resources);
    expect(resources.extensions.QueueProducerLambdaFunction!.Properties!.VpcConfig).toEqual(conditionalVpc);
    expect(sls.functions!.queueConsumer!.events).toEqual([
      {
        sqs: {
          arn: { 'Fn::GetAtt': ['SamplesWorkQueue', 'Arn'] },
          batchSize: 10,
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
    ]);
  });
});
