import { isObject, type Template } from '../template/template';
import type { Finding } from './finding';

/**
 * Actions whose API has no resource-level permission, so `Resource: "*"` is the narrowest grant
 * IAM accepts. Each entry says why; anything else on "*" fails the check.
 */
export const RESOURCE_STAR_ALLOWED: Record<string, string> = {
  'xray:PutTraceSegments': 'X-Ray trace upload has no resource type',
  'xray:PutTelemetryRecords': 'X-Ray telemetry upload has no resource type',
  'ec2:CreateNetworkInterface': 'VPC functions: Lambda creates the ENI before its ARN exists',
  'ec2:DescribeNetworkInterfaces': 'Describe* calls in EC2 support no resource-level permissions',
  'ec2:DeleteNetworkInterface': 'VPC functions: paired with CreateNetworkInterface',
  'ec2:AssignPrivateIpAddresses': 'VPC functions: paired with CreateNetworkInterface',
  'ec2:UnassignPrivateIpAddresses': 'VPC functions: paired with CreateNetworkInterface',
  'tag:GetResources': 'the Resource Groups Tagging API supports no resource-level permissions',
  'lambda:ListFunctions': 'a List call has no resource to scope to',
  'secretsmanager:GetRandomPassword': 'GetRandomPassword touches no secret',
};

/** AWS managed policies a function may carry: each is itself scoped to the function's own needs. */
export const MANAGED_POLICIES_ALLOWED: Record<string, string> = {
  AWSLambdaBasicExecutionRole: 'writes only to CloudWatch Logs (SAM attaches it to every function)',
  AWSLambdaVPCAccessExecutionRole: 'ENI management for VPC functions, and logs',
};

/** SAM policy templates that grant only actions on the resource named in their parameters. */
export const POLICY_TEMPLATES_ALLOWED: Record<string, string> = {
  DynamoDBReadPolicy: 'read actions on one table and its indexes',
  DynamoDBWritePolicy: 'write actions on one table',
  DynamoDBCrudPolicy: 'item actions on one table and its indexes',
  SSMParameterReadPolicy: 'GetParameter(s) on one parameter path',
  SSMParameterWithSlashPrefixReadPolicy: 'GetParameter(s) on one parameter path',
  AWSSecretsManagerGetSecretValuePolicy: 'GetSecretValue on one secret',
  AWSSecretsManagerRotationPolicy: 'the rotation actions on secrets rotated by this function only',
  S3WritePolicy: 'object writes in one bucket',
  S3ReadPolicy: 'object reads in one bucket',
  SQSSendMessagePolicy: 'SendMessage on one queue',
  SQSPollerPolicy: 'receive and delete on one queue',
  LambdaInvokePolicy: 'invoke one function',
  KMSDecryptPolicy: 'Decrypt with one key',
  EventBridgePutEventsPolicy: 'PutEvents on one bus',
};

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function checkStatement(statement: Statement, where: string, report: (w: string, m: string) => void): void {
  if (statement.Effect !== 'Allow') return;
  if (statement.NotAction !== undefined)
    report(where, 'Allow with NotAction grants every other action; list the actions');
  if (statement.NotResource !== undefined)
    report(where, 'Allow with NotResource grants every other resource; list the resources');
  const actions = list(statement.Action);
  for (const action of actions) {
    if (typeof action === 'string' && action.includes('*')) {
      report(where, `action "${action}" is a wildcard; list the actions the function calls`);
    }
  }
  if (list(statement.Resource).includes('*')) {
    const unjustified = actions.filter((a) => typeof a !== 'string' || !(a in RESOURCE_STAR_ALLOWED));
    if (unjustified.length > 0) {
      report(
        where,
        `Resource "*" for ${unjustified.map((a) => JSON.stringify(a)).join(', ')}; scope it to ARNs ` +
          '(or, if the API allows nothing narrower, add it to RESOURCE_STAR_ALLOWED with the reason)',
      );
    }
  }
}

function checkDocument(doc: unknown, where: string, report: (w: string, m: string) => void): void {
  if (!isObject(doc)) return;
  list(doc.Statement).forEach((s, i) => isObject(s) && checkStatement(s, `${where}.Statement[${i}]`, report));
}

function managedPolicyName(arnOrName: unknown): string | undefined {
  if (typeof arnOrName !== 'string') {
    // arn:${AWS::Partition}:iam::aws:policy/… written with Fn::Sub
    const sub = isObject(arnOrName) ? arnOrName['Fn::Sub'] : undefined;
    return typeof sub === 'string' ? managedPolicyName(sub) : undefined;
  }
  return arnOrName.split('/').pop();
}

/** A policy behind `Fn::If`: both branches are checked (AWS::NoValue adds nothing). */
function ifBranches(policy: unknown): unknown[] {
  if (!isObject(policy) || !Array.isArray(policy['Fn::If'])) return [policy];
  return (policy['Fn::If'] as unknown[])
    .slice(1)
    .filter((b) => !(isObject(b) && b.Ref === 'AWS::NoValue'))
    .flatMap(ifBranches);
}

/** No IAM wildcard actions, no Resource "*" the API does not require, no broad managed policies. */
export function checkLeastPrivilege(template: Template): Finding[] {
  const findings: Finding[] = [];
  const report = (where: string, message: string) =>
    findings.push({ check: 'least-privilege', where, message });
  const managed = (value: unknown, where: string) => {
    const name = managedPolicyName(value);
    if (!name || !(name in MANAGED_POLICIES_ALLOWED)) {
      report(
        where,
        `managed policy ${JSON.stringify(value)} is not known to be least-privilege; write the statements it needs`,
      );
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    const where = `Resources.${id}.Properties`;
    switch (resource.Type) {
      case 'AWS::Serverless::Function':
      case 'AWS::Serverless::StateMachine':
        list(props.Policies)
          .flatMap(ifBranches)
          .forEach((policy, i) => {
            const at = `${where}.Policies[${i}]`;
            if (typeof policy === 'string') managed(policy, at);
            else if (isObject(policy) && 'Statement' in policy) checkDocument(policy, at, report);
            else if (isObject(policy)) {
              for (const name of Object.keys(policy)) {
                if (!(name in POLICY_TEMPLATES_ALLOWED)) {
                  report(
                    at,
                    `policy template ${name} is not in POLICY_TEMPLATES_ALLOWED; add it with the reason it is scoped`,
                  );
                }
              }
            }
          });
        break;
      case 'AWS::IAM::Role':
        list(props.Policies)
          .flatMap(ifBranches)
          .forEach(
            (p, i) =>
              isObject(p) &&
              checkDocument(p.PolicyDocument, `${where}.Policies[${i}].PolicyDocument`, report),
          );
        list(props.ManagedPolicyArns).forEach((arn, i) => managed(arn, `${where}.ManagedPolicyArns[${i}]`));
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::IAM::RolePolicy':
        checkDocument(props.PolicyDocument, `${where}.PolicyDocument`, report);
        break;
    }
  }
  return findings;
}
