import type { Template } from '../template/template';
import { checkLeastPrivilege, RESOURCE_STAR_ALLOWED } from './least-privilege-check';
import { propsOf, realTemplate } from './test-fixtures';

const messages = (t: Template) => checkLeastPrivilege(t).map((f) => `${f.where}: ${f.message}`);
const withPolicies = (policies: unknown): Template => {
  const t = realTemplate();
  propsOf(t, 'HelloFunction').Policies = policies;
  return t;
};

describe('least-privilege check', () => {
  it('passes template.yaml', () => {
    expect(messages(realTemplate())).toEqual([]);
  });

  it('fails wildcard actions, whole-service and partial', () => {
    const t = withPolicies([
      {
        Statement: [
          { Effect: 'Allow', Action: ['s3:*', 'dynamodb:Get*', '*'], Resource: 'arn:aws:s3:::b/*' },
        ],
      },
    ]);
    expect(messages(t)).toEqual([
      expect.stringMatching(/Policies\[0\]\.Statement\[0\]: action "s3:\*" is a wildcard/),
      expect.stringMatching(/action "dynamodb:Get\*" is a wildcard/),
      expect.stringMatching(/action "\*" is a wildcard/),
    ]);
  });

  it('checks both branches of a policy behind Fn::If', () => {
    const t = withPolicies([
      {
        'Fn::If': [
          'Cond',
          {
            Statement: [
              { Effect: 'Allow', Action: 'ssm:*', Resource: 'arn:aws:ssm:us-east-1:1:parameter/p' },
            ],
          },
          { Ref: 'AWS::NoValue' },
        ],
      },
    ]);
    expect(messages(t)).toEqual([expect.stringMatching(/action "ssm:\*" is a wildcard/)]);
  });

  it('fails Resource "*" unless every action is on the justified allow-list', () => {
    const bad = withPolicies({
      Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter', 'xray:PutTraceSegments'], Resource: '*' }],
    });
    expect(messages(bad)).toEqual([
      expect.stringMatching(/Resource "\*" for "ssm:GetParameter"; scope it to ARNs/),
    ]);
    const ok = withPolicies({
      Statement: [{ Effect: 'Allow', Action: ['xray:PutTraceSegments'], Resource: ['*'] }],
    });
    expect(messages(ok)).toEqual([]);
    expect(Object.values(RESOURCE_STAR_ALLOWED).every((reason) => reason.length > 10)).toBe(true);
  });

  it('fails NotAction / NotResource allows, broad managed policies and unknown policy templates', () => {
    const t = withPolicies([
      'AmazonS3FullAccess',
      { Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' } },
      { DynamoDBCrudPolicy: { TableName: 't' } },
      { AmazonDynamoDBFullAccessPolicy: {} },
    ]);
    expect(messages(t)).toEqual([
      expect.stringMatching(
        /Policies\[0\]: managed policy "AmazonS3FullAccess" is not known to be least-privilege/,
      ),
      expect.stringMatching(/Policies\[1\]\.Statement\[0\]: Allow with NotAction/),
      expect.stringMatching(
        /Policies\[3\]: policy template AmazonDynamoDBFullAccessPolicy is not in POLICY_TEMPLATES_ALLOWED/,
      ),
    ]);
  });

  it('checks plain IAM roles and policies too, ignoring Deny statements', () => {
    const t = realTemplate();
    t.Resources.Role = {
      Type: 'AWS::IAM::Role',
      Properties: {
        ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess' }],
        Policies: [
          {
            PolicyName: 'p',
            PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] },
          },
        ],
      },
    };
    t.Resources.Policy = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] },
      },
    };
    expect(messages(t)).toEqual([
      expect.stringMatching(
        /Resources\.Role\.Properties\.ManagedPolicyArns\[0\]: managed policy .*AdministratorAccess/,
      ),
      expect.stringMatching(
        /Resources\.Policy\.Properties\.PolicyDocument\.Statement\[0\]: Resource "\*" for "sqs:SendMessage"/,
      ),
    ]);
  });
});
